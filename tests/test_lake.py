"""Tests for the Parquet lake: merge semantics, layout, engines, safety and concurrency."""

from __future__ import annotations

import hashlib
import threading
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from transforms.lake import (
    PART_FILE,
    lake_root,
    merge_articles,
    merge_quarantine,
    read_articles,
    read_quarantine,
)
from transforms.normalize import normalize_articles
from transforms.schema import ARTICLE_FIELD_NAMES, METADATA_KEY, PARTITIONING, SCHEMA_VERSION
from transforms.validate import split_valid

BODY = "The assembly approved the budget on Friday after a long debate in the house."


def make_record(n: int, **overrides: Any) -> dict[str, Any]:
    """A good staged record for article ``n``."""
    record: dict[str, Any] = {
        "url": f"https://dawn.com/news/{n}", "title": f"Story {n}", "body": f"{BODY} {n}",
        "authors": ["Ayesha Khan"], "tags": ["budget"], "provenance": {"title": "jsonld"},
        "published_at": "2026-11-21T02:30:00+05:00", "extractor_version": "1",
        "source": "dawn", "country": "PK", "crawled_at": "2026-11-21T03:00:00Z",
    }
    record.update(overrides)
    return record


def rows(*records: dict[str, Any], run_id: str = "run-1") -> pd.DataFrame:
    """Valid article rows for records (normalised and validated like the pipeline does)."""
    valid, quarantine = split_valid(normalize_articles(pd.DataFrame(list(records)), run_id))
    assert quarantine.empty, quarantine["reason"].tolist()
    return valid


def batch(numbers: range | list[int], **overrides: Any) -> pd.DataFrame:
    """Valid rows for several article numbers."""
    return rows(*(make_record(n, **overrides) for n in numbers))


def file_hashes(root: Path) -> dict[str, str]:
    """SHA-256 of every file under the articles table."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / "articles").rglob("*")) if p.is_file()}


def partition(root: Path, day: str = "2026-11-20", source: str = "dawn") -> Path:
    """Path of one article partition file."""
    return root / "articles" / f"date={day}" / f"source={source}" / PART_FILE


def test_insert_and_read_back(tmp_path: Path) -> None:
    """New rows are inserted into date/source partitions and read back typed."""
    result = merge_articles(batch(range(3)), tmp_path)
    assert (result.inserted, result.updated, result.unchanged) == (3, 0, 0)
    assert result.partitions[0].date == "2026-11-20" and result.partitions[0].written
    assert partition(tmp_path).exists()
    df = read_articles(tmp_path)
    assert list(df.columns) == [*ARTICLE_FIELD_NAMES, "date"]
    assert len(df) == 3 and set(df["date"]) == {date(2026, 11, 20)}
    assert str(df["published_at"].dtype) == "datetime64[us, UTC]"
    assert list(df.loc[0, "authors"]) == ["Ayesha Khan"]
    assert df["source"].tolist() == ["dawn"] * 3


def test_unchanged_rows_are_untouched(tmp_path: Path) -> None:
    """Same content again (new crawled_at/run_id) leaves rows and files as they were."""
    merge_articles(batch(range(3)), tmp_path)
    before = file_hashes(tmp_path)
    again = rows(*(make_record(n, crawled_at="2026-11-22T09:00:00Z") for n in range(3)),
                 run_id="run-2")
    result = merge_articles(again, tmp_path)
    assert (result.inserted, result.updated, result.unchanged) == (0, 0, 3)
    assert result.files_written == 0
    assert file_hashes(tmp_path) == before
    df = read_articles(tmp_path)
    assert set(df["run_id"]) == {"run-1"}
    assert set(df["crawled_at"]) == {pd.Timestamp("2026-11-21T03:00:00Z")}


def test_changed_row_replaces_old(tmp_path: Path) -> None:
    """A changed article replaces its row; others stay."""
    merge_articles(batch(range(3)), tmp_path)
    changed = rows(make_record(1, title="Story 1 (updated)", modified_at="2026-11-21T08:00:00Z"),
                   make_record(2), run_id="run-2")
    result = merge_articles(changed, tmp_path)
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 1)
    df = read_articles(tmp_path).set_index("url")
    assert len(df) == 3
    assert df.loc["https://dawn.com/news/1", "title"] == "Story 1 (updated)"
    assert df.loc["https://dawn.com/news/1", "run_id"] == "run-2"
    assert df.loc["https://dawn.com/news/2", "run_id"] == "run-1"


def test_fewer_rows_drop_nothing(tmp_path: Path) -> None:
    """A re-run that finds fewer articles keeps the others."""
    merge_articles(batch(range(5)), tmp_path)
    merge_articles(batch([0]), tmp_path)
    assert len(read_articles(tmp_path)) == 5


def test_rerun_is_byte_identical_and_only_touched_partitions_change(tmp_path: Path) -> None:
    """Re-running a day leaves files byte-identical; other partitions are not rewritten."""
    first = pd.concat([batch(range(3)),
                       rows(*(make_record(n, source="tribune",
                                          url=f"https://tribune.com.pk/story/{n}")
                              for n in range(10, 12)))], ignore_index=True)
    merge_articles(first, tmp_path)
    before = file_hashes(tmp_path)
    merge_articles(first, tmp_path)
    assert file_hashes(tmp_path) == before
    merge_articles(batch([7]), tmp_path)
    after = file_hashes(tmp_path)
    tribune = "articles/date=2026-11-20/source=tribune/part-0.parquet"
    assert after[tribune] == before[tribune]
    assert after != before


def test_overlapping_batches_equal_one_batch(tmp_path: Path) -> None:
    """Merging A then B gives the same table (and bytes) as merging A and B at once."""
    a, b = batch(range(0, 6)), batch(range(3, 9))
    merge_articles(a, tmp_path / "two")
    merge_articles(b, tmp_path / "two")
    merge_articles(pd.concat([a, b]).drop_duplicates("article_id"), tmp_path / "one")
    pd.testing.assert_frame_equal(read_articles(tmp_path / "two"), read_articles(tmp_path / "one"))
    assert partition(tmp_path / "two").read_bytes() == partition(tmp_path / "one").read_bytes()


def test_rows_sorted_deterministically(tmp_path: Path) -> None:
    """Rows in a file are sorted by published_at then article_id."""
    records = [make_record(n, published_at=f"2026-11-20T{10 - n:02d}:00:00Z") for n in range(5)]
    merge_articles(rows(*reversed(records)), tmp_path)
    table = pq.read_table(partition(tmp_path))
    stamps = table.column("published_at").to_pylist()
    assert stamps == sorted(stamps)


def test_partition_move(tmp_path: Path) -> None:
    """An article whose date changes moves partition; the old (now empty) partition goes."""
    merge_articles(batch([1, 2]), tmp_path)
    moved = rows(make_record(1, published_at="2026-11-22T10:00:00Z"))
    result = merge_articles(moved, tmp_path)
    assert result.removed == 1 and result.inserted == 1
    df = read_articles(tmp_path).set_index("url")
    assert len(df) == 2
    assert df.loc["https://dawn.com/news/1", "date"] == date(2026, 11, 22)
    merge_articles(rows(make_record(2, published_at="2026-11-23T10:00:00Z")), tmp_path)
    assert not (tmp_path / "articles" / "date=2026-11-20").exists()
    assert len(read_articles(tmp_path)) == 2


def test_readers_see_right_types(tmp_path: Path) -> None:
    """pandas, pyarrow.dataset, DuckDB and Polars read the lake with the right types."""
    merge_articles(batch(range(3)), tmp_path)
    merge_articles(rows(make_record(9, source="tribune", url="https://tribune.com.pk/9",
                                    published_at="2026-11-19T23:00:00Z")), tmp_path)
    table_dir = tmp_path / "articles"
    pdf = pd.read_parquet(table_dir, partitioning=PARTITIONING)
    assert len(pdf) == 4 and set(pdf["date"]) == {date(2026, 11, 20), date(2026, 11, 19)}
    assert str(pdf["published_at"].dtype) == "datetime64[us, UTC]"
    dataset = ds.dataset(table_dir, format="parquet", partitioning=PARTITIONING)
    schema = dataset.schema
    assert schema.field("date").type == pa.date32()
    assert schema.field("source").type == pa.string()
    assert schema.field("published_at").type == pa.timestamp("us", tz="UTC")
    assert schema.field("authors").type == pa.list_(pa.string())
    only = dataset.to_table(filter=ds.field("source") == "tribune")
    assert only.num_rows == 1
    con = duckdb.connect()
    rel = con.sql(f"SELECT * FROM read_parquet('{table_dir}/**/*.parquet', hive_partitioning=true)")
    types = dict(zip(rel.columns, [str(t) for t in rel.types], strict=True))
    assert types["date"] == "DATE" and types["source"] == "VARCHAR"
    assert types["published_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["authors"] == "VARCHAR[]"
    assert con.sql(f"SELECT count(*) FROM read_parquet('{table_dir}/**/*.parquet', "
                   "hive_partitioning=true) WHERE source = 'dawn'").fetchall() == [(3,)]
    polars = pytest.importorskip("polars")
    frame = polars.read_parquet(f"{table_dir}/**/*.parquet", hive_partitioning=True)
    assert frame.height == 4 and "date" in frame.columns


def test_file_metadata_and_layout(tmp_path: Path) -> None:
    """Files carry the schema version, no partition columns, and no strays in the table root."""
    (tmp_path / "_staging").mkdir()
    (tmp_path / "_staging" / "articles-deadbeef.tmp").write_bytes(b"junk")
    merge_articles(batch(range(2)), tmp_path)
    meta = pq.read_metadata(partition(tmp_path)).metadata
    assert meta[METADATA_KEY] == str(SCHEMA_VERSION).encode()
    names = pq.read_schema(partition(tmp_path)).names
    assert "date" not in names and "source" not in names
    files = [p for p in (tmp_path / "articles").rglob("*") if p.is_file()]
    assert [p.name for p in files] == [PART_FILE]
    assert list((tmp_path / "_staging").iterdir()) == []


def test_path_traversal_refused(tmp_path: Path) -> None:
    """Source ids or dates that would escape the lake raise before any write."""
    good = batch([1])
    for column, value in [("source", "../evil"), ("source", "/abs"), ("source", "a/b"),
                          ("date", "2026-11-20/../../x"), ("date", None)]:
        bad = pd.concat([good, batch([2])], ignore_index=True)
        bad.loc[1, column] = value
        with pytest.raises(ValueError):
            merge_articles(bad, tmp_path)
    assert not (tmp_path / "articles").exists()
    with pytest.raises(ValueError):
        read_articles(tmp_path, sources=["../x"])


def test_read_filters_and_empty(tmp_path: Path) -> None:
    """read_articles prunes by date/source and returns typed empty frames."""
    empty = read_articles(tmp_path)
    assert empty.empty and list(empty.columns) == [*ARTICLE_FIELD_NAMES, "date"]
    merge_articles(batch(range(2)), tmp_path)
    merge_articles(batch([5], published_at="2026-11-25T00:00:00Z"), tmp_path)
    assert len(read_articles(tmp_path, dates=[date(2026, 11, 25)])) == 1
    assert len(read_articles(tmp_path, dates=["2026-11-20"], sources=["dawn"])) == 2
    assert read_articles(tmp_path, sources=["tribune"]).empty


def test_lake_root_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """NEWSFLOW_LAKE sets the root; the default is <repo>/data/lake."""
    monkeypatch.setenv("NEWSFLOW_LAKE", str(tmp_path))
    assert lake_root() == tmp_path
    merge_articles(batch([1]))
    assert partition(tmp_path).exists()
    monkeypatch.delenv("NEWSFLOW_LAKE")
    assert lake_root().parts[-2:] == ("data", "lake")


def test_quarantine_merge(tmp_path: Path) -> None:
    """Quarantine rows land with reasons; the same rows again change nothing."""
    normalized = normalize_articles(pd.DataFrame([make_record(1, title=None),
                                                  make_record(2, published_at="soon")]), "r")
    _, quarantine = split_valid(normalized)
    result = merge_quarantine(quarantine, tmp_path)
    assert result.inserted == 2
    q = read_quarantine(tmp_path)
    assert sorted(q["reason"]) == ["missing title", "unparseable published_at: 'soon'"]
    assert q["date"].map(type).eq(date).all()
    files = sorted((tmp_path / "quarantine").rglob("*.parquet"))
    before = [f.read_bytes() for f in files]
    assert merge_quarantine(quarantine, tmp_path).inserted == 0
    assert [f.read_bytes() for f in files] == before


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    """Threads merging overlapping partitions at once lose no rows."""
    batches = [batch(range(i * 10, i * 10 + 10)) for i in range(6)]
    errors: list[BaseException] = []

    def write(df: pd.DataFrame) -> None:
        try:
            merge_articles(df, tmp_path)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(b,)) for b in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(read_articles(tmp_path)) == 60
    assert list((tmp_path / "_staging").iterdir()) == []
