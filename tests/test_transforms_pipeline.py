"""End-to-end tests for process_staged."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd

from transforms.lake import read_articles, read_quarantine
from transforms.normalize import record_json
from transforms.pipeline import SourceCounts, check_staged, process_staged
from transforms.stages import StageTimer

BODY = "The assembly approved the budget on Friday after a long debate in the house."


def make_record(source: str, n: int, **overrides: Any) -> dict[str, Any]:
    """A staged record like ``Extracted.to_record()`` plus source fields."""
    record: dict[str, Any] = {
        "url": f"https://www.{source}.com.pk/news/{n}?utm_source=rss",
        "canonical_url": f"https://{source}.com.pk/news/{n}", "title": f"Story {n}",
        "lead": None, "body": f"{BODY}\n\nParagraph {n}.", "authors": [f"Writer {n}"],
        "byline_is_outlet": False, "published_at": "2026-11-21T02:30:00+05:00",
        "published_offset": "+05:00", "modified_at": None, "language": "en",
        "section": "News", "tags": ["budget"], "dateline": "LAHORE", "image_url": None,
        "paywalled": False, "provenance": {"title": "jsonld"}, "extractor_version": "1",
        "is_article": True, "source": source, "country": "PK", "region": "South Asia",
        "crawled_at": "2026-11-21T03:00:00+00:00",
    }
    record.update(overrides)
    return record


def write_jsonl(path: Path, records: list[dict[str, Any]], extra_lines: list[str] = ()) -> Path:
    """Write records (and raw extra lines) as a staged JSONL file."""
    lines = [json.dumps(r) for r in records] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def lake_hashes(root: Path) -> dict[str, str]:
    """SHA-256 of every Parquet file in the lake."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*.parquet"))}


def staged_files(tmp_path: Path) -> list[Path]:
    """Two sources: duplicates, bad rows and a corrupt line."""
    dawn = [make_record("dawn", n) for n in range(4)]
    dawn.append(make_record("dawn", 0, url="https://dawn.com.pk/news/0/amp"))  # duplicate
    dawn.append(make_record("dawn", 9, title=None))  # quarantined
    tribune = [make_record("tribune", n) for n in range(2)]
    tribune.append(make_record("tribune", 5, published_at="not a date"))
    return [write_jsonl(tmp_path / "dawn.jsonl", dawn, ['{"url": "https://dawn.com.pk/x", ']),
            write_jsonl(tmp_path / "tribune.jsonl", tribune)]


def test_process_staged_end_to_end(tmp_path: Path) -> None:
    """Counts per source, articles and quarantine in the lake, JSON-serialisable summary."""
    root = tmp_path / "lake"
    summary = process_staged(staged_files(tmp_path), "run-1", root=root)
    data = json.loads(summary.to_json())
    dawn, tribune = data["sources"]["dawn"], data["sources"]["tribune"]
    assert dawn["staged"] == 7 and dawn["valid"] == 5 and dawn["duplicates"] == 1
    assert dawn["quarantined"] == 2 and dawn["inserted"] == 4 and dawn["written"] == 4
    assert tribune["staged"] == 3 and tribune["inserted"] == 2 and tribune["quarantined"] == 1
    assert data["totals"]["inserted"] == 6
    articles = read_articles(root)
    assert len(articles) == 6 and articles["article_id"].is_unique
    assert set(articles["run_id"]) == {"run-1"}
    assert {tuple(a) for a in articles["authors"]} >= {("Writer 0",)}
    quarantine = read_quarantine(root)
    assert len(quarantine) == 3
    assert "invalid JSON" in set(quarantine["reason"])
    assert any("missing title" in r for r in quarantine["reason"])
    assert any("unparseable published_at" in r for r in quarantine["reason"])


def test_rerun_changes_nothing_and_fewer_articles_drop_nothing(tmp_path: Path) -> None:
    """Re-running the same files is byte-identical; a smaller run keeps the rest."""
    root = tmp_path / "lake"
    files = staged_files(tmp_path)
    process_staged(files, "run-1", root=root)
    before = lake_hashes(root)
    again = process_staged(files, "run-2", root=root)
    assert lake_hashes(root) == before
    assert again.totals()["unchanged"] == 6 and again.totals()["inserted"] == 0
    assert again.totals()["quarantine_inserted"] == 0
    smaller = write_jsonl(tmp_path / "dawn2.jsonl",
                          [make_record("dawn", 1, title="Story 1 updated")])
    third = process_staged([smaller], "run-3", root=root)
    assert third.sources["dawn"].updated == 1
    articles = read_articles(root)
    assert len(articles) == 6
    assert set(articles.loc[articles["run_id"] == "run-3", "title"]) == {"Story 1 updated"}


def test_empty_inputs(tmp_path: Path) -> None:
    """No files or empty files give a zero summary and no lake writes."""
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    summary = process_staged([empty], "run-1", root=tmp_path / "lake")
    assert summary.sources == {} and summary.totals()["staged"] == 0
    assert process_staged([], "run-1", root=tmp_path / "lake").to_dict()["sources"] == {}
    assert not (tmp_path / "lake" / "articles").exists()


def test_quarantine_keeps_each_refused_record_as_staged(tmp_path: Path) -> None:
    """A refused row's record is its staged line as JSON (sorted keys), whichever file it is in,
    and a line that is not JSON keeps its text, file and line number."""
    files = staged_files(tmp_path)
    process_staged(files, "run-1", root=tmp_path / "lake")
    quarantine = read_quarantine(tmp_path / "lake").set_index("reason")
    lines = {json.loads(line)["title"] if json.loads(line)["title"] else "": line
             for path in files for line in path.read_text().splitlines()
             if line.startswith("{") and line.endswith("}")}
    refused = {"missing title": lines[""], "unparseable published_at: 'not a date'":
               lines["Story 5"]}
    for reason, line in refused.items():
        assert quarantine.loc[reason, "record"] == record_json(json.loads(line))
    broken = json.loads(quarantine.loc["invalid JSON", "record"])
    assert broken["file"] == str(files[0]) and broken["line"] == 7
    assert broken["text"] == '{"url": "https://dawn.com.pk/x", '


def test_files_checked_in_groups_give_the_rows_of_one_check(tmp_path: Path) -> None:
    """Groups of one file and one group of every file: the same valid and quarantine rows, in
    the same order, and the same staged counts."""
    files = [*staged_files(tmp_path), write_jsonl(tmp_path / "broken.jsonl", [], ["nope"]),
             write_jsonl(tmp_path / "geo.jsonl", [make_record("geo", 1, body=None)])]
    now = pd.Timestamp("2026-11-22T00:00:00Z").as_unit("us")
    results = []
    for chunk_rows in (1, 10_000):
        counts: dict[str, SourceCounts] = {}
        valid, quarantine = check_staged(files, "run-1", now, counts, StageTimer(), chunk_rows)
        results.append((valid, quarantine, {s: c.staged for s, c in counts.items()}))
    (valid, quarantine, staged), (valid_1, quarantine_1, staged_1) = results
    pd.testing.assert_frame_equal(valid, valid_1)
    pd.testing.assert_frame_equal(quarantine, quarantine_1)
    assert staged == staged_1 == {"dawn": 7, "tribune": 3, "_invalid": 1, "geo": 1}
    assert len(valid) == 7 and list(quarantine["reason"]).count("invalid JSON") == 2
    assert "missing body" in set(quarantine["reason"])


def test_summary_carries_the_story_grouping_counts(tmp_path: Path) -> None:
    """The write's summary (and so its log) says how many pairs the story step proposed and
    checked, and whether its bucket cap skipped any."""
    from scrapers.tasks.daily import describe_write

    summary = process_staged(staged_files(tmp_path), "run-1", tmp_path / "lake").to_dict()
    stories = summary["stories"]
    assert stories["candidates"] > 0 and stories["pairs_checked"] > 0, stories
    assert stories["rows_capped"] == 0 and stories["candidates_capped"] == 0, stories
    jobs = [{"source": s, "day": "2026-11-21"} for s in ("dawn", "tribune")]
    line = describe_write(jobs, summary).splitlines()[-1]
    assert line == (f"  story grouping: {stories['candidates']} candidate pairs, "
                    f"{stories['pairs_checked']} checked"), line
