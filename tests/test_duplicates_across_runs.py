"""The same body under a new URL is one row, in one batch and across runs (issue 13.4).

Two real runs of ``process_staged`` on a real lake: the second run finds the article of the first
under another URL (a section path, a slug changed after publication), as outlets republish it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from transforms.lake import merge_articles, read_articles
from transforms.pipeline import RunSummary, process_staged

BODY = ("The provincial assembly approved the budget on Friday after a long debate in the "
        "house.\n\nThe opposition walked out before the vote and said it would challenge the "
        "allocation for rural roads in court.")
FIRST = "https://dawn.com.pk/news/2026/11/20/budget-approved"
MOVED = "https://dawn.com.pk/pakistan/2026/11/21/assembly-approves-budget"
OTHER = "https://dawn.com.pk/business/budget-assembly"


def record(url: str, day: str = "2026-11-20", source: str = "dawn", body: str = BODY,
           **overrides: Any) -> dict[str, Any]:
    """A staged record as the spider writes it."""
    data: dict[str, Any] = {
        "url": url + "?utm_source=rss", "canonical_url": url, "title": "Assembly approves budget",
        "lead": None, "body": body, "authors": ["Ayesha Khan"], "byline_is_outlet": False,
        "published_at": f"{day}T09:30:00+05:00", "published_offset": "+05:00",
        "published_precision": "minute", "modified_at": None, "language": "en",
        "section": "Pakistan", "tags": ["budget"], "dateline": None, "image_url": None,
        "paywalled": False, "provenance": {"title": "jsonld"}, "extractor_version": "2",
        "is_article": True, "source": source, "country": "PK", "region": "South Asia",
        "crawled_at": f"{day}T23:00:00+00:00",
    }
    data.update(overrides)
    return data


def stage(tmp_path: Path, name: str, *records: dict[str, Any]) -> list[Path]:
    """One staged JSONL file."""
    path = tmp_path / f"{name}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return [path]


def lake_hashes(root: Path) -> dict[str, str]:
    """SHA-256 of every Parquet file of the articles table."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / "articles").rglob("*.parquet"))}


def counts(summary: RunSummary, source: str = "dawn") -> dict[str, int]:
    return summary.to_dict()["sources"][source]


def alternates(frame: pd.DataFrame) -> dict[str, list[str] | None]:
    """canonical_url -> alternate_urls of every stored row."""
    return {url: (None if alt is None else list(alt))
            for url, alt in zip(frame["canonical_url"], frame["alternate_urls"], strict=True)}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "lake"


def test_same_body_in_a_later_run_is_one_row_with_the_new_url(tmp_path: Path,
                                                               root: Path) -> None:
    first = process_staged(stage(tmp_path, "d1", record(FIRST)), "scheduled__2026-11-20", root)
    assert counts(first)["inserted"] == 1
    stored = read_articles(root)

    second = process_staged(stage(tmp_path, "d2", record(MOVED, day="2026-11-21")),
                            "scheduled__2026-11-21", root)
    after = read_articles(root)
    assert len(after) == 1
    assert alternates(after) == {FIRST: [MOVED]}
    row = after.iloc[0]
    assert row["article_id"] == stored.iloc[0]["article_id"]  # the id the first run gave
    assert row["date"] == stored.iloc[0]["date"]  # it stays in its partition
    assert row["run_id"] == "scheduled__2026-11-21"  # the run that last wrote it
    assert (counts(second)["duplicates_of_stored"], counts(second)["inserted"],
            counts(second)["updated"]) == (1, 0, 1)
    assert counts(second)["duplicates"] == 0


def test_rerunning_either_run_changes_nothing(tmp_path: Path, root: Path) -> None:
    day1, day2 = stage(tmp_path, "d1", record(FIRST)), stage(
        tmp_path, "d2", record(MOVED, day="2026-11-21"))
    process_staged(day1, "scheduled__2026-11-20", root)
    process_staged(day2, "scheduled__2026-11-21", root)
    before, table = lake_hashes(root), read_articles(root)

    again = process_staged(day2, "scheduled__2026-11-21", root)
    assert lake_hashes(root) == before
    assert (counts(again)["duplicates_of_stored"], counts(again)["inserted"],
            counts(again)["updated"], counts(again)["unchanged"]) == (1, 0, 0, 1)

    first_again = process_staged(day1, "scheduled__2026-11-20", root)  # the URL stays listed
    assert lake_hashes(root) == before
    assert counts(first_again)["unchanged"] == 1
    pd.testing.assert_frame_equal(read_articles(root), table)


def test_both_urls_in_a_later_batch_keep_the_stored_row(tmp_path: Path, root: Path) -> None:
    """Whichever copy the batch ranks first, the stored article stays the one row."""
    process_staged(stage(tmp_path, "d1", record(FIRST)), "run-1", root)
    richer = record(MOVED, day="2026-11-21", lead="The budget passed.", image_url=OTHER + ".jpg")
    summary = process_staged(stage(tmp_path, "d2", record(FIRST, day="2026-11-21"), richer),
                             "run-2", root)
    assert alternates(read_articles(root)) == {FIRST: [MOVED]}
    assert counts(summary)["duplicates"] == 1


def test_third_url_adds_to_the_list(tmp_path: Path, root: Path) -> None:
    process_staged(stage(tmp_path, "d1", record(FIRST)), "run-1", root)
    process_staged(stage(tmp_path, "d2", record(MOVED, day="2026-11-21")), "run-2", root)
    process_staged(stage(tmp_path, "d3", record(OTHER, day="2026-11-22")), "run-3", root)
    assert alternates(read_articles(root)) == {FIRST: sorted([MOVED, OTHER])}


def test_within_one_batch_the_dropped_url_is_kept(tmp_path: Path, root: Path) -> None:
    summary = process_staged(stage(tmp_path, "d1", record(FIRST), record(MOVED)), "run-1", root)
    table = read_articles(root)
    assert len(table) == 1 and counts(summary)["duplicates"] == 1
    (kept, alt), = alternates(table).items()
    assert {kept, *alt} == {FIRST, MOVED} and len(alt) == 1


def test_unique_articles_have_no_alternates(tmp_path: Path, root: Path) -> None:
    process_staged(stage(tmp_path, "d1", record(FIRST),
                         record(MOVED, body=BODY + "\n\nA third paragraph.")), "run-1", root)
    assert alternates(read_articles(root)) == {FIRST: None, MOVED: None}


def test_the_same_body_in_another_outlet_is_another_row(tmp_path: Path, root: Path) -> None:
    """Two outlets printing one wire story are two articles (one story_id), not alternates."""
    process_staged(stage(tmp_path, "d1", record(FIRST)), "run-1", root)
    process_staged(stage(tmp_path, "d2", record("https://tribune.com.pk/story/77",
                                                day="2026-11-21", source="tribune")),
                   "run-2", root)
    table = read_articles(root)
    assert sorted(table["source"]) == ["dawn", "tribune"]
    assert table["alternate_urls"].isna().all()
    assert table["story_id"].nunique() == 1


def test_the_check_reaches_the_look_back_window_only(tmp_path: Path, root: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond NEWSFLOW_STORY_LOOKBACK_DAYS the same body is a new row (the documented bound),
    and a partition outside the window is never opened: here it is not even Parquet."""
    monkeypatch.setenv("NEWSFLOW_STORY_LOOKBACK_DAYS", "3")
    process_staged(stage(tmp_path, "d1", record(FIRST)), "run-1", root)
    process_staged(stage(tmp_path, "old", record(OTHER, day="2026-09-01",
                                                 body="An old story. " * 30)), "run-0", root)
    old = next((root / "articles" / "date=2026-09-01").rglob("*.parquet"))
    old.write_bytes(b"not parquet: a reader that opens it fails")

    inside = process_staged(stage(tmp_path, "d4", record(MOVED, day="2026-11-23")), "run-4",
                            root)
    assert counts(inside)["duplicates_of_stored"] == 1
    late = "https://dawn.com.pk/archive/budget"
    outside = process_staged(stage(tmp_path, "d9", record(late, day="2026-11-24")), "run-9",
                             root)
    assert counts(outside)["duplicates_of_stored"] == 0 and counts(outside)["inserted"] == 1
    table = read_articles(root, dates=["2026-11-20", "2026-11-24"])
    assert alternates(table) == {FIRST: [MOVED], late: None}


def test_a_writer_that_brings_the_row_again_keeps_its_urls(root: Path, tmp_path: Path) -> None:
    """The lake merges alternate_urls as a growing list: a row written again without the list
    (a reprocess, an older writer) does not drop the URLs stored on it."""
    process_staged(stage(tmp_path, "d1", record(FIRST)), "run-1", root)
    process_staged(stage(tmp_path, "d2", record(MOVED, day="2026-11-21")), "run-2", root)
    before = lake_hashes(root)
    bare = read_articles(root).assign(alternate_urls=None)
    result = merge_articles(bare, root)
    assert result.unchanged == 1 and lake_hashes(root) == before
    assert alternates(read_articles(root)) == {FIRST: [MOVED]}


def test_stored_article_updated_in_the_same_batch_takes_the_url(tmp_path: Path,
                                                                root: Path) -> None:
    """The first URL now carries an updated body and the stored body shows up under a new URL:
    one row, the update, listing the new URL."""
    process_staged(stage(tmp_path, "d1", record(FIRST)), "run-1", root)
    updated = BODY + "\n\nUpdate: the governor signed the budget on Saturday."
    summary = process_staged(stage(tmp_path, "d2", record(FIRST, body=updated),
                                   record(MOVED, day="2026-11-21")), "run-2", root)
    table = read_articles(root)
    assert alternates(table) == {FIRST: [MOVED]}
    assert table.iloc[0]["body"] == updated
    assert (counts(summary)["duplicates_of_stored"], counts(summary)["updated"]) == (1, 1)
