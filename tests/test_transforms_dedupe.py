"""Tests for dedupe_articles."""

from __future__ import annotations

from typing import Any

import pandas as pd

from transforms.dedupe import dedupe_articles
from transforms.normalize import normalize_articles
from transforms.validate import split_valid

BODY = "The assembly approved the budget on Friday after a long debate."


def make_record(**overrides: Any) -> dict[str, Any]:
    """A good staged record, with overrides."""
    record: dict[str, Any] = {
        "url": "https://dawn.com/news/1", "title": "Budget passes", "body": BODY,
        "published_at": "2026-11-21T02:30:00+05:00", "extractor_version": "1",
        "source": "dawn", "crawled_at": "2026-11-21T03:00:00Z",
    }
    record.update(overrides)
    return record


def valid_rows(*records: dict[str, Any]) -> pd.DataFrame:
    """Normalised, validated rows."""
    valid, quarantine = split_valid(normalize_articles(pd.DataFrame(list(records)), "r"))
    assert quarantine.empty
    return valid


def test_same_canonical_url_collapses_to_most_complete() -> None:
    """Tracking/AMP variants of one URL give one row: the most complete one."""
    rows = valid_rows(
        make_record(url="https://dawn.com/news/1?utm_source=rss"),
        make_record(url="https://www.dawn.com/news/1/amp", section="Business", lead="Lead"),
        make_record(url="https://dawn.com/news/1#x"),
    )
    kept, dropped = dedupe_articles(rows)
    assert dropped == 2 and len(kept) == 1
    assert kept.loc[0, "section"] == "Business"


def test_newest_modification_wins() -> None:
    """Among versions of one article, the newest modified_at wins."""
    rows = valid_rows(
        make_record(modified_at="2026-11-21T05:00:00Z", body=BODY + " Updated."),
        make_record(modified_at="2026-11-21T04:00:00Z"),
    )
    kept, dropped = dedupe_articles(rows)
    assert dropped == 1 and kept.loc[0, "body"].endswith("Updated.")


def test_same_body_within_source_collapses() -> None:
    """Same content hash in one source is one row; across sources both stay."""
    rows = valid_rows(
        make_record(url="https://dawn.com/news/1"),
        make_record(url="https://dawn.com/section/news-1"),
        make_record(url="https://tribune.com.pk/story/1", source="tribune"),
    )
    kept, dropped = dedupe_articles(rows)
    assert dropped == 1
    assert sorted(kept["source"]) == ["dawn", "tribune"]


def test_deterministic_regardless_of_input_order() -> None:
    """Shuffled input gives identical output."""
    records = [make_record(url=f"https://dawn.com/news/{i % 4}?v={i}",
                           body=f"{BODY} {i % 4}", crawled_at=f"2026-11-21T0{i}:00:00Z")
               for i in range(8)]
    rows = valid_rows(*records)
    first, _ = dedupe_articles(rows)
    second, _ = dedupe_articles(rows.iloc[::-1].reset_index(drop=True))
    pd.testing.assert_frame_equal(first, second)
    assert len(first) == 4


def test_empty() -> None:
    """Empty in, empty out."""
    kept, dropped = dedupe_articles(valid_rows(make_record()).iloc[0:0])
    assert kept.empty and dropped == 0


def test_same_body_keeps_the_dropped_url_as_alternate() -> None:
    """The copy dropped for its body leaves its canonical URL on the kept row; others get none."""
    rows = valid_rows(
        make_record(url="https://dawn.com/news/1"),
        make_record(url="https://dawn.com/section/news-1?utm_source=x"),
        make_record(url="https://dawn.com/news/2", body=BODY + " Another story."),
    )
    kept, dropped = dedupe_articles(rows)
    assert dropped == 1
    by_url = dict(zip(kept["canonical_url"], kept["alternate_urls"], strict=True))
    assert by_url == {"https://dawn.com/news/1": ["https://dawn.com/section/news-1"],
                      "https://dawn.com/news/2": None}
