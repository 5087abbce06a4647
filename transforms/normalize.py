"""Normalise staged records into article rows: text, timestamps, ids and hashes.

Bad values never raise: they become null and a note goes into ``_issues`` so that
validation can quarantine the row with a useful reason.  Author names and the UTC offset are
the extractor's to clean and format (``scrapers/extract/authors.py``, ``transforms.schema
.format_offset``); here they are only checked, so a record from another producer or an older
extractor that breaks the form is quarantined, not cleaned a second way.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import pandas as pd

from transforms.schema import (
    ARTICLE_COLUMNS,
    ARTICLE_FIELD_NAMES,
    OFFSET_PATTERN,
    PRECISIONS,
    format_offset,
)
from transforms.text import clean_text
from transforms.urls import article_id_for, canonicalize_url

RECORD_COLUMN = "_record"
ISSUES_COLUMN = "_issues"
EXTRA_COLUMNS = ["date", "is_article", RECORD_COLUMN, ISSUES_COLUMN]
OUTPUT_COLUMNS = [*ARTICLE_FIELD_NAMES, *EXTRA_COLUMNS]

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_BYLINE_PREFIX = re.compile(
    r"^(?:(?:written|reported|compiled|edited|posted)\s+)?by\s*[:\-]?\s+", re.IGNORECASE
)
_PLAIN_FIELDS = tuple(c.name for c in ARTICLE_COLUMNS if c.plain_text)


def is_missing(value: Any) -> bool:
    """True for None, NaN, NaT and pd.NA."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def clean_body(value: str) -> str:
    """Like :func:`clean_text` per line, keeping line breaks and blank lines between paragraphs."""
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2029", "\n\n").replace("\u2028", "\n")
    paragraphs = []
    for block in _PARAGRAPH_BREAK.split(text):
        lines = [clean_text(line) for line in block.split("\n")]
        joined = "\n".join(line for line in lines if line)
        if joined:
            paragraphs.append(joined)
    return "\n\n".join(paragraphs)


def check_offset(value: Any, issues: list[str]) -> str | None:
    """A staged ``published_offset`` in its one form (``+HH:MM``), else None with an issue."""
    if is_missing(value):
        return None
    if isinstance(value, str) and OFFSET_PATTERN.fullmatch(value):
        return value
    issues.append(f"published_offset is not +HH:MM: {str(value)[:20]!r}")
    return None


def _offset_delta(offset: str) -> timedelta:
    """``+05:30`` as a timedelta."""
    sign = -1 if offset.startswith("-") else 1
    return sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))


def parse_timestamp(value: Any, default_offset: str | None = None) -> tuple[pd.Timestamp | None,
                                                                          str | None]:
    """Parse an ISO 8601 value to a UTC Timestamp (us) and its printed offset; raise ValueError."""
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text.endswith(("z", "Z")):
            text = text[:-1] + "+00:00"
        moment = datetime.fromisoformat(text)
    else:
        raise ValueError(f"expected an ISO 8601 string, got {type(value).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        tz = timezone(_offset_delta(default_offset)) if default_offset else UTC
        moment = moment.replace(tzinfo=tz)
        printed = default_offset
    else:
        printed = format_offset(moment.utcoffset() or timedelta(0))
    stamp = pd.Timestamp(moment).tz_convert("UTC").as_unit("us")
    return stamp, printed


def _as_list(value: Any) -> list[Any]:
    """A list from a list, tuple or array; anything else gives an empty list."""
    if isinstance(value, list | tuple) or hasattr(value, "tolist"):
        items = value.tolist() if hasattr(value, "tolist") else list(value)
        return items if isinstance(items, list) else []
    return []


def is_clean_name(name: Any) -> bool:
    """True for an author name in the extractor's form: one line of clean text with a letter,
    no e-mail and no "By" in front."""
    return (isinstance(name, str) and bool(name) and clean_text(name) == name
            and any(ch.isalpha() for ch in name) and not _EMAIL.search(name)
            and not _BYLINE_PREFIX.match(name))


def check_authors(value: Any, issues: list[str]) -> list[str]:
    """The staged author names when they are a list in the extractor's form, each once; else an
    empty list with an issue noted."""
    if is_missing(value):
        return []
    if isinstance(value, str) or not (isinstance(value, list | tuple) or hasattr(value, "tolist")):
        issues.append(f"authors is {type(value).__name__}, not a list")
        return []
    names = _as_list(value)
    unclean = [name for name in names if not is_clean_name(name)]
    if unclean:
        issues.append(f"authors not cleaned by the extractor: {str(unclean[0])[:40]!r}")
        return []
    if len({name.casefold() for name in names}) < len(names):
        issues.append("authors repeat a name")
        return []
    return names


def clean_tags(value: Any) -> list[str]:
    """Tags as a de-duplicated list; a string is split on commas."""
    raw = value.split(",") if isinstance(value, str) else _as_list(value)
    tags: list[str] = []
    seen: set[str] = set()
    for item in raw:
        if not isinstance(item, str | int | float) or is_missing(item):
            continue
        tag = clean_text(str(item))
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            tags.append(tag)
    return tags


def clean_provenance(value: Any) -> list[tuple[str, str]] | None:
    """Provenance as sorted (field, method) pairs for the Arrow map column."""
    if not isinstance(value, dict):
        return None
    return sorted((str(k), str(v)) for k, v in value.items() if not is_missing(v))


def parse_bool(value: Any) -> bool | None:
    """True/False from a bool or a "true"/"false" string, else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no"):
        return value.strip().lower() in ("true", "yes")
    return None


def content_hash_for(body: str) -> str:
    """SHA-256 hex of a normalised body."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def record_json(record: dict[str, Any]) -> str:
    """The original record as stable JSON (sorted keys, non-JSON values as strings)."""
    return json.dumps(record, sort_keys=True, ensure_ascii=False, default=str)


def _text_field(record: dict[str, Any], name: str, issues: list[str]) -> str | None:
    """A cleaned single-line string field, or None (noting wrong types)."""
    value = record.get(name)
    if is_missing(value):
        return None
    if not isinstance(value, str):
        issues.append(f"{name} is {type(value).__name__}, not text")
        return None
    return clean_text(value) or None


def _timestamp_field(record: dict[str, Any], name: str, issues: list[str],
                     default_offset: str | None = None) -> tuple[pd.Timestamp | None, str | None]:
    """A parsed UTC timestamp and its offset, or (None, None) with an issue noted."""
    value = record.get(name)
    if is_missing(value) or (isinstance(value, str) and not value.strip()):
        return None, None
    try:
        return parse_timestamp(value, default_offset)
    except (ValueError, TypeError, OverflowError):
        issues.append(f"unparseable {name}: {str(value)[:40]!r}")
        return None, None


def normalize_record(record: dict[str, Any], run_id: str) -> dict[str, Any]:
    """Normalise one staged record into an article row plus ``date``, ``is_article`` and notes."""
    issues: list[str] = []
    row: dict[str, Any] = {name: _text_field(record, name, issues) for name in _PLAIN_FIELDS}
    if row["language"]:
        row["language"] = row["language"].lower()
    if row["country"]:
        row["country"] = row["country"].upper()
    body_value = record.get("body")
    if isinstance(body_value, str):
        row["body"] = clean_body(body_value) or None
    else:
        if not is_missing(body_value):
            issues.append(f"body is {type(body_value).__name__}, not text")
        row["body"] = None
    _published_fields(record, row, issues)
    offset = row["published_offset"]
    row["modified_at"], _ = _timestamp_field(record, "modified_at", issues, offset)
    row["crawled_at"], _ = _timestamp_field(record, "crawled_at", issues)
    outlet_byline = parse_bool(record.get("byline_is_outlet")) is True
    authors = check_authors(record.get("authors"), issues)
    row["authors"] = [] if outlet_byline else authors
    row["tags"] = clean_tags(record.get("tags"))
    row["provenance"] = clean_provenance(record.get("provenance"))
    row["paywalled"] = parse_bool(record.get("paywalled"))
    row["canonical_url"] = _canonical_field(row["url"], record.get("canonical_url"), issues)
    row["article_id"] = article_id_for(row["canonical_url"]) if row["canonical_url"] else None
    row["word_count"] = len(row["body"].split()) if row["body"] else 0
    row["content_hash"] = content_hash_for(row["body"]) if row["body"] else None
    row["run_id"] = run_id
    published = row["published_at"]
    row["date"] = published.date() if published is not None else None
    is_article = parse_bool(record.get("is_article"))
    row["is_article"] = True if is_article is None else is_article
    row[RECORD_COLUMN] = record.get(RECORD_COLUMN) or record_json(record)
    row[ISSUES_COLUMN] = "; ".join(issues)
    return row


def _printed_day(value: Any) -> pd.Timestamp | None:
    """The calendar day of a record's ``published_date`` at 00:00 UTC, or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        day = date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None
    return pd.Timestamp(datetime.combine(day, time(0), tzinfo=UTC)).as_unit("us")


def _published_fields(record: dict[str, Any], row: dict[str, Any], issues: list[str]) -> None:
    """``published_at``, ``published_offset`` and ``published_precision`` of one record.

    A date printed without a time is kept as that calendar day: ``published_at`` at its 00:00
    UTC, precision ``day`` and no offset (records staged before the precision existed, which
    carry only ``published_date``, get the same).
    """
    offset = check_offset(record.get("published_offset"), issues)
    row["published_at"], printed = _timestamp_field(record, "published_at", issues, offset)
    if offset and printed and offset != printed:
        issues.append(f"published_offset {offset} is not published_at's offset {printed}")
    row["published_offset"] = offset or printed
    precision = record.get("published_precision")
    if is_missing(precision):
        precision = None
    elif precision not in PRECISIONS:
        issues.append(f"unknown published_precision: {str(precision)[:20]!r}")
        precision = None
    printed_day = _printed_day(record.get("published_date"))
    if row["published_at"] is None and printed_day is not None and not any(
            i.startswith("unparseable published_at") for i in issues):
        row["published_at"], precision = printed_day, "day"
    if precision == "day":
        if printed_day is not None:
            row["published_at"] = printed_day
        elif row["published_at"] is not None:  # the UTC day of a day-only instant
            row["published_at"] = row["published_at"].normalize()
        row["published_offset"] = None
    row["published_precision"] = precision if row["published_at"] is not None else None


def _canonical_field(url: str | None, canonical: Any, issues: list[str]) -> str | None:
    """Canonical URL of the row, or None with an issue noted."""
    if not url:
        return None
    try:
        return canonicalize_url(url, canonical if isinstance(canonical, str) else None)
    except ValueError as exc:
        issues.append(f"bad url: {exc}")
        return None


def empty_frame() -> pd.DataFrame:
    """An empty normalised frame with the output columns."""
    return typed_frame(pd.DataFrame({name: [] for name in OUTPUT_COLUMNS}, dtype=object))


def typed_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Give the timestamp and count columns their dtypes; everything else stays object."""
    df = df.astype(object)
    df = df.where(df.notna(), None)
    for name in ("published_at", "modified_at", "crawled_at"):
        df[name] = pd.to_datetime(df[name], utc=True).astype("datetime64[us, UTC]")
    df["word_count"] = df["word_count"].astype("int32")
    return df


def _row_as_record(row: dict[str, Any]) -> dict[str, Any]:
    """A DataFrame row as a plain record (NaN/NaT to None)."""
    return {k: (None if not isinstance(v, list | tuple | dict) and is_missing(v) else v)
            for k, v in row.items()}


def normalize_articles(df: pd.DataFrame, run_id: str) -> pd.DataFrame:
    """Normalise a frame of staged records (keys of ``Extracted.to_record()`` + source etc.)."""
    if df.empty:
        return empty_frame()
    rows = [normalize_record(_row_as_record(r), run_id) for r in df.to_dict(orient="records")]
    out = pd.DataFrame(rows, columns=OUTPUT_COLUMNS, index=df.index)
    return typed_frame(out)

