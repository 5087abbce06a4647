"""One row per article and per body: duplicates in a batch collapse to the most complete/newest
row, and a body the lake already holds under another URL of the source is that stored row.

Either way the other canonical URLs are kept in the row's ``alternate_urls``.  Across runs the
check reaches the stored rows of the batch's sources dated within the story look-back window
(``NEWSFLOW_STORY_LOOKBACK_DAYS``, default 7) of each batch row: it reads four small columns of
those partitions (never every partition), then the full rows of the few partitions matched.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from transforms.lake import read_articles, union_lists
from transforms.schema import ARTICLE_COLUMNS
from transforms.stories import lookback_dates, lookback_days

MATCH_COLUMNS = ["article_id", "source", "content_hash", "published_at", "date"]
"""What the cross-run check reads of the window's partitions."""

_COMPLETENESS_COLUMNS = [c for c in ARTICLE_COLUMNS if c.completeness]
"""Columns that count toward the most complete copy (``completeness`` in the schema)."""


def completeness_of(df: pd.DataFrame) -> pd.Series:
    """How many of the completeness columns each row fills (a list column when non-empty)."""
    score = pd.Series(0, index=df.index, dtype="int64")
    for column in _COMPLETENESS_COLUMNS:
        if column.name not in df:
            continue
        if pa.types.is_list(column.type):
            filled = df[column.name].map(lambda v: v is not None and len(v) > 0)
        else:
            filled = df[column.name].notna()
        score += filled.astype("int64")
    return score


def rank_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Rows ordered best first: newest modification, longest body, most complete, latest crawl."""
    ranked = df.assign(
        _completeness=completeness_of(df),
        _url_len=df["url"].map(lambda v: len(v) if isinstance(v, str) else 0),
    )
    ranked = ranked.sort_values(
        ["modified_at", "word_count", "_completeness", "crawled_at", "_url_len", "url",
         "article_id", "content_hash"],
        ascending=[False, False, False, False, True, True, True, True],
        kind="mergesort",
        na_position="last",
    )
    return ranked.drop(columns=["_completeness", "_url_len"])


def sort_articles(df: pd.DataFrame) -> pd.DataFrame:
    """Deterministic output order: published_at, then article_id."""
    return df.sort_values(["published_at", "article_id"], kind="mergesort").reset_index(drop=True)


def url_list(value: Any) -> list[str] | None:
    """A stored or staged list of URLs as a Python list (None for a missing value)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return [str(v) for v in value]


def with_alternates(stored: Any, own_url: str, others: Iterable[str]) -> list[str] | None:
    """``stored`` alternates plus ``others``, without ``own_url``; None when there are none."""
    merged = union_lists(url_list(stored), sorted(set(others))) or []
    merged = [url for url in merged if url != own_url]
    return merged or url_list(stored)


def dedupe_articles(df: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """One row per article_id and per (source, content_hash); returns (kept rows, dropped count).

    A body dropped under another canonical URL leaves that URL in the kept row's
    ``alternate_urls``.
    """
    if df.empty:
        return df.reset_index(drop=True), 0
    ranked = rank_rows(df)
    kept = ranked.drop_duplicates("article_id", keep="first")
    same_body = kept.duplicated(["source", "content_hash"], keep="first").to_numpy()
    dropped, kept = kept[same_body], kept[~same_body].copy()
    if "alternate_urls" not in kept:
        kept["alternate_urls"] = None
    if len(dropped):
        others: dict[tuple[str, str], set[str]] = {}
        for row in dropped.itertuples(index=False):
            urls = others.setdefault((row.source, row.content_hash), set())
            urls.add(row.canonical_url)
            urls.update(url_list(getattr(row, "alternate_urls", None)) or [])
        kept["alternate_urls"] = [
            with_alternates(alt, url, others.get((source, digest), ()))
            for alt, url, source, digest in zip(kept["alternate_urls"], kept["canonical_url"],
                                                kept["source"], kept["content_hash"],
                                                strict=True)]
    return sort_articles(kept), len(df) - len(kept)


def fold_into_stored(kept: pd.DataFrame, root: str | Path | None = None,
                     lookback: int | None = None) -> tuple[pd.DataFrame, dict[str, int]]:
    """Batch rows whose body the lake holds under another article of the source become it.

    A row (one per body already, see :func:`dedupe_articles`) whose article_id is not stored
    but whose ``(source, content_hash)`` is, on a stored row dated within ``lookback`` days
    (default: the story look-back) of the row's date, is replaced by that stored row (the
    earliest one if several), its ``alternate_urls`` extended by the row's canonical URL and
    alternates.  When that stored article is in the batch too, its batch row takes the URLs.
    Returns the rows and, per source, how many were folded.
    """
    if kept.empty:
        return kept, {}
    days = lookback_days() if lookback is None else lookback
    stored = read_articles(root, dates=lookback_dates(set(kept["date"]), days),
                           sources=sorted(set(kept["source"])), columns=MATCH_COLUMNS)
    if stored.empty:
        return kept, {}
    stored = stored.sort_values(["published_at", "article_id"], kind="mergesort")
    new = kept[~kept["article_id"].isin(set(stored["article_id"]))]
    pairs = new.reset_index().merge(stored, on=["source", "content_hash"],
                                    suffixes=("", "_stored"))
    near = (pd.to_datetime(pairs["date"]) - pd.to_datetime(pairs["date_stored"])).abs()
    pairs = (pairs[near <= pd.Timedelta(days=days)]
             .sort_values(["index", "published_at_stored", "article_id_stored"], kind="mergesort")
             .drop_duplicates("index", keep="first"))
    if pairs.empty:
        return kept, {}
    targets = dict(zip(pairs["index"], pairs["article_id_stored"], strict=True))
    urls: dict[str, set[str]] = {}
    for index, target in targets.items():
        row = kept.loc[index]
        urls.setdefault(target, set()).update(
            [row["canonical_url"], *(url_list(row.get("alternate_urls")) or [])])
    rows = kept.drop(index=list(targets)).copy()
    if "alternate_urls" not in rows:
        rows["alternate_urls"] = None
    in_batch = rows["article_id"].isin(set(urls))
    rows.loc[in_batch, "alternate_urls"] = pd.Series(
        [with_alternates(alt, url, urls[aid]) for alt, url, aid in zip(
            rows.loc[in_batch, "alternate_urls"], rows.loc[in_batch, "canonical_url"],
            rows.loc[in_batch, "article_id"], strict=True)],
        index=rows.index[in_batch], dtype=object)
    wanted = set(urls) - set(rows["article_id"])
    if wanted:
        where = pairs[pairs["article_id_stored"].isin(wanted)]
        full = read_articles(root, dates=sorted(set(where["date_stored"])),
                             sources=sorted(set(where["source"])))
        full = full[full["article_id"].isin(wanted)].drop_duplicates("article_id").copy()
        run_ids = dict(zip(pairs["article_id_stored"], pairs["run_id"], strict=True))
        full["alternate_urls"] = [with_alternates(alt, url, urls[aid]) for alt, url, aid in zip(
            full["alternate_urls"], full["canonical_url"], full["article_id"], strict=True)]
        full["run_id"] = full["article_id"].map(run_ids)
        rows = pd.concat([rows, full[[c for c in rows.columns if c in full.columns]]],
                         ignore_index=True)
    folded = pairs["source"].value_counts().to_dict()
    return sort_articles(rows), {str(s): int(n) for s, n in folded.items()}
