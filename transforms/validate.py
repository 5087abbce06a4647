"""Split normalised rows into valid articles and quarantine rows (nothing is dropped silently)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa

from transforms.normalize import ISSUES_COLUMN, RECORD_COLUMN, is_missing
from transforms.schema import (
    ARTICLE_COLUMNS,
    ARTICLE_FIELD_NAMES,
    ARTICLES_SCHEMA,
    QUARANTINE_COLUMNS,
)
from transforms.source_ids import INVALID_SOURCE, SOURCE_ID

MIN_BODY_WORDS = 5
FUTURE_TOLERANCE = timedelta(minutes=15)
DAY_AHEAD = timedelta(hours=14)  # the furthest any zone's day runs ahead of UTC's
EARLIEST_PUBLISHED = pd.Timestamp("1990-01-01", tz="UTC")
VALID_COLUMNS = [*ARTICLE_FIELD_NAMES, "date"]
QUARANTINE_FIELD_NAMES = [c.name for c in QUARANTINE_COLUMNS]
QUARANTINE_OUTPUT = [*QUARANTINE_FIELD_NAMES, "date"]
_REQUIRED = [c.name for c in ARTICLE_COLUMNS if not c.nullable and c.name != "source"]
_DERIVED_FROM = {"content_hash": "body", "canonical_url": "url", "article_id": "canonical_url"}
_HTTP = re.compile(r"^https?://", re.IGNORECASE)


def row_reasons(row: dict[str, Any], now: pd.Timestamp) -> list[str]:
    """Every reason why one normalised row is not a valid article (empty list if valid)."""
    reasons = [part for part in str(row.get(ISSUES_COLUMN) or "").split("; ") if part]
    if row.get("is_article") is False:
        reasons.append("not an article")
    noted = " " + " ".join(reasons)
    source = row.get("source")
    if is_missing(source):
        if " source" not in noted:
            reasons.append("missing source")
    elif not SOURCE_ID.match(str(source)):
        reasons.append(f"invalid source id {str(source)[:40]!r}")
    for name in _REQUIRED:
        value = row.get(name)
        parent = _DERIVED_FROM.get(name)
        if parent and (is_missing(row.get(parent)) or f" {parent}" in noted):
            continue
        if not isinstance(value, list | tuple) and is_missing(value) and f" {name}" not in noted:
            reasons.append(f"missing {name}")
    url = row.get("url")
    if isinstance(url, str) and not _HTTP.match(url) and " url" not in noted:
        reasons.append("url is not http(s)")
    if isinstance(row.get("body"), str) and int(row.get("word_count") or 0) < MIN_BODY_WORDS:
        reasons.append(f"body too short ({row.get('word_count')} words, need {MIN_BODY_WORDS})")
    published = row.get("published_at")
    if not is_missing(published):
        # A printed day starts up to 14 hours before UTC's (UTC+14): judge it by that start.
        ahead = DAY_AHEAD if row.get("published_precision") == "day" else timedelta(0)
        if published > now + FUTURE_TOLERANCE + ahead:
            reasons.append("published_at in the future")
        elif published < EARLIEST_PUBLISHED:
            reasons.append("published_at before 1990")
    modified = row.get("modified_at")
    if not is_missing(modified) and modified > now + FUTURE_TOLERANCE:
        reasons.append("modified_at in the future")
    return reasons


def _arrow_problem(row: dict[str, Any]) -> str | None:
    """Why a row does not convert to the articles Arrow schema, or None."""
    try:
        values = {name: [row.get(name)] for name in ARTICLES_SCHEMA.names}
        pa.Table.from_pydict(values, schema=ARTICLES_SCHEMA)
    except (pa.ArrowException, TypeError, ValueError, OverflowError) as exc:
        return f"schema type error: {str(exc)[:120]}"
    return None


def quarantine_id_for(source: str, url: str | None, reason: str, record: str) -> str:
    """Hash of source, url, reason and record (32 hex chars)."""
    payload = json.dumps([source, url, reason, record], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def quarantine_date(row: dict[str, Any], now: pd.Timestamp) -> date:
    """Partition date of a refused row: publication date, else crawl date, else today (UTC)."""
    for name in ("published_at", "crawled_at"):
        value = row.get(name)
        if not is_missing(value) and EARLIEST_PUBLISHED <= value <= now + FUTURE_TOLERANCE:
            return value.date()
    return now.date()


def quarantine_row(row: dict[str, Any], reasons: list[str], stage: str, run_id: str,
                   now: pd.Timestamp) -> dict[str, Any]:
    """One quarantine row (QUARANTINE_COLUMNS plus ``date``) for a refused record."""
    source = row.get("source")
    source = source if isinstance(source, str) and SOURCE_ID.match(source) else INVALID_SOURCE
    url = row.get("url") if isinstance(row.get("url"), str) else None
    reason = "; ".join(reasons)
    record = row.get(RECORD_COLUMN) or json.dumps({"url": url}, ensure_ascii=False)
    return {
        "source": source,
        "url": url,
        "reason": reason,
        "stage": stage,
        "record": record,
        "quarantine_id": quarantine_id_for(source, url, reason, record),
        "run_id": run_id,
        "quarantined_at": now,
        "date": quarantine_date(row, now),
    }


def quarantine_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Quarantine rows as a typed DataFrame."""
    df = pd.DataFrame(rows, columns=QUARANTINE_OUTPUT, dtype=object)
    df["quarantined_at"] = pd.to_datetime(df["quarantined_at"], utc=True).astype(
        "datetime64[us, UTC]")
    return df.reset_index(drop=True)


def _now(now: datetime | pd.Timestamp | None) -> pd.Timestamp:
    """``now`` as a UTC microsecond Timestamp (defaults to the current time)."""
    stamp = pd.Timestamp(now if now is not None else datetime.now(UTC))
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.as_unit("us")


def _schema_problems(df: pd.DataFrame) -> dict[Any, str]:
    """Rows (by index) that do not convert to the articles Arrow schema, with the error."""
    try:
        pa.Table.from_pandas(df[ARTICLES_SCHEMA.names], schema=ARTICLES_SCHEMA,
                             preserve_index=False)
        return {}
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        pass
    problems = {}
    for idx, row in zip(df.index, df.to_dict(orient="records"), strict=True):
        problem = _arrow_problem(row)
        if problem:
            problems[idx] = problem
    return problems


def split_valid(df: pd.DataFrame, now: datetime | pd.Timestamp | None = None,
                run_id: str | None = None, record_text: Callable[[Any], str] | None = None
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split normalised rows into (valid articles, quarantine rows with reasons).

    ``record_text`` (optional) turns a refused row's ``RECORD_COLUMN`` value into the record's
    text, for callers that keep only a reference to each record until it is refused.
    """
    stamp = _now(now)
    df = df.reset_index(drop=True)
    rows = dict(zip(df.index, df.to_dict(orient="records"), strict=True))
    reasons = {idx: row_reasons(row, stamp) for idx, row in rows.items()}
    candidates = [idx for idx, found in reasons.items() if not found]
    for idx, problem in _schema_problems(df.loc[candidates]).items():
        reasons[idx] = [problem]
    refused: list[dict[str, Any]] = []
    for idx, found in reasons.items():
        if not found:
            continue
        row = rows[idx]
        if record_text is not None:
            row = {**row, RECORD_COLUMN: record_text(row[RECORD_COLUMN])}
        stage = "normalize" if row.get(ISSUES_COLUMN) else "validate"
        if row.get("is_article") is False and len(found) == 1:
            stage = "extract"
        row_run = run_id or row.get("run_id") or ""
        refused.append(quarantine_row(row, found, stage, str(row_run), stamp))
    valid_idx = [idx for idx, found in reasons.items() if not found]
    valid = df.loc[valid_idx, VALID_COLUMNS].reset_index(drop=True)
    return valid, quarantine_frame(refused)
