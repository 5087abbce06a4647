"""Drop duplicate articles in a batch, keeping the most complete/newest row deterministically."""

from __future__ import annotations

import pandas as pd

_COMPLETENESS_FIELDS = ("lead", "published_offset", "modified_at", "language", "section",
                        "dateline", "image_url", "paywalled", "provenance")


def completeness_of(df: pd.DataFrame) -> pd.Series:
    """How many optional fields each row fills (authors and tags count when non-empty)."""
    score = pd.Series(0, index=df.index, dtype="int64")
    for name in _COMPLETENESS_FIELDS:
        if name in df:
            score += df[name].notna().astype("int64")
    for name in ("authors", "tags"):
        if name in df:
            filled = df[name].map(lambda v: v is not None and len(v) > 0)
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


def dedupe_articles(df: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """One row per article_id and per (source, content_hash); returns (kept rows, dropped count)."""
    if df.empty:
        return df.reset_index(drop=True), 0
    ranked = rank_rows(df)
    kept = ranked.drop_duplicates("article_id", keep="first")
    kept = kept.drop_duplicates(["source", "content_hash"], keep="first")
    return sort_articles(kept), len(df) - len(kept)
