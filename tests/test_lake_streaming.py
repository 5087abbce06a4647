"""The streaming lake merge: a batch staged on disk merged one (date, source) partition at a time.

``merge_articles_dataset`` must give exactly what ``merge_articles`` gives for the same rows
(same files, byte for byte, and the same counters), keep every rule of the lake (rows of earlier
runs kept, unchanged rows untouched, sticky story_id, raw_ref ignored on compare, moved articles
removed from their old partition, paths checked before any write), and read each partition's
batch rows only when that partition is merged.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import transforms.lake as lake
from tests.test_lake import batch, make_record, rows
from tests.test_object_storage import S3, s3, s3_lake  # noqa: F401 (fixtures)
from transforms.lake import (
    PART_FILE,
    merge_articles,
    merge_articles_dataset,
    read_articles,
    stage_batch,
)
from transforms.schema import ARTICLE_FIELD_NAMES, PARTITIONING


def file_hashes(root: Path) -> dict[str, str]:
    """SHA-256 of every file under the articles table."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / "articles").rglob("*")) if p.is_file()}


def counters(result: lake.MergeResult) -> list[tuple[Any, ...]]:
    """Every per-partition counter of a merge."""
    return [(p.date, p.source, p.rows, p.inserted, p.updated, p.unchanged, p.removed, p.written)
            for p in result.partitions]


def two_sources(numbers: range | list[int], **overrides: Any) -> pd.DataFrame:
    """Rows of dawn and tribune over two days."""
    records = []
    for n in numbers:
        day = "2026-11-20T10:00:00Z" if n % 2 else "2026-11-21T09:00:00Z"
        records.append(make_record(n, published_at=day, **overrides))
        records.append(make_record(n, source="tribune", url=f"https://tribune.com.pk/story/{n}",
                                   published_at=day, **overrides))
    return rows(*records)


def stage(df: pd.DataFrame, directory: Path, name: str = "chunk-0") -> Path:
    """Stage a frame as a batch directory (one file per partition); returns the directory."""
    stage_batch(df, directory, name=name)
    return directory


def merge_both(df: pd.DataFrame, tmp_path: Path, step: str) -> tuple[Any, Any]:
    """Merge ``df`` in memory into ``tmp_path/mem`` and staged into ``tmp_path/disk``."""
    in_memory = merge_articles(df, tmp_path / "mem")
    staged = merge_articles_dataset(stage(df, tmp_path / f"batch-{step}"), tmp_path / "disk")
    return in_memory, staged


def test_same_lake_as_the_in_memory_merge(tmp_path: Path) -> None:
    """Inserts, updates, unchanged rows, a move and story ids: same files, same counters."""
    first = two_sources(range(6))
    first["story_id"] = first["source"].map({"dawn": None, "tribune": "s-1"})
    second = pd.concat([
        two_sources(range(3, 9), title="Updated title"),
        rows(make_record(0, published_at="2026-11-23T08:00:00Z")),  # moves date
    ], ignore_index=True)
    second["story_id"] = ["s-2"] * len(second)
    second["raw_ref"] = "raw/date=2026-11-22/source=dawn/crawl-0.warc.gz#1"
    for step, df in enumerate([first, second, second]):
        in_memory, staged = merge_both(df, tmp_path, str(step))
        assert counters(staged) == counters(in_memory), step
        assert file_hashes(tmp_path / "disk") == file_hashes(tmp_path / "mem"), step
    pd.testing.assert_frame_equal(read_articles(tmp_path / "disk"),
                                  read_articles(tmp_path / "mem"))
    result = read_articles(tmp_path / "disk").set_index(["source", "url"])
    assert result.loc[("dawn", "https://dawn.com/news/0"), "date"] == date(2026, 11, 23)
    assert result.loc[("tribune", "https://tribune.com.pk/story/3"), "story_id"] == "s-1"
    assert result.loc[("dawn", "https://dawn.com/news/3"), "story_id"] == "s-2"  # was null
    assert result.loc[("dawn", "https://dawn.com/news/3"), "title"] == "Updated title"


def test_rerun_leaves_the_lake_byte_identical(tmp_path: Path) -> None:
    """Merging the same staged batch again changes no file and counts every row unchanged."""
    batch_dir = stage(two_sources(range(8)), tmp_path / "batch")
    merge_articles_dataset(batch_dir, tmp_path / "lake")
    before = file_hashes(tmp_path / "lake")
    again = merge_articles_dataset(batch_dir, tmp_path / "lake")
    assert (again.inserted, again.updated, again.unchanged, again.files_written) == (0, 0, 16, 0)
    assert file_hashes(tmp_path / "lake") == before
    table = pq.read_table(tmp_path / "lake" / "articles" / "date=2026-11-20" / "source=dawn"
                          / PART_FILE)
    stamps = table.column("published_at").to_pylist()
    assert stamps == sorted(stamps) and table.num_rows == 4


def test_rows_from_earlier_runs_are_never_dropped(tmp_path: Path) -> None:
    """A later, smaller batch keeps every stored row; a new raw_ref alone is no change."""
    root = tmp_path / "lake"
    merge_articles_dataset(stage(batch(range(10)), tmp_path / "one"), root)
    later = rows(*(make_record(n, crawled_at="2026-11-23T00:00:00Z") for n in range(5, 13)),
                 run_id="run-2")
    later["raw_ref"] = "raw/date=2026-11-23/source=dawn/crawl-0.warc.gz#9"
    result = merge_articles_dataset(stage(later, tmp_path / "two"), root)
    assert (result.inserted, result.updated, result.unchanged) == (3, 0, 5)
    df = read_articles(root)
    assert len(df) == 13 and df["article_id"].is_unique
    assert set(df.loc[df["url"] == "https://dawn.com/news/0", "run_id"]) == {"run-1"}
    assert df.loc[df["url"] == "https://dawn.com/news/7", "raw_ref"].isna().all()


def test_file_mixing_partitions_is_split_and_scratch_is_cleaned(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One Parquet file holding every partition merges like the frame; the spill goes away."""
    spills: list[int] = []
    real_spill = lake._spill
    monkeypatch.setattr(lake, "SPILL_BATCH_ROWS", 4)  # several record batches per file
    monkeypatch.setattr(lake, "_spill", lambda *a: spills.append(a[1]) or real_spill(*a))
    df = two_sources(range(12))
    table = lake.to_arrow(df, lake.ARTICLES).append_column(
        "date", pa.array(df["date"].tolist(), pa.date32())).append_column(
        "source", pa.array(df["source"].tolist(), pa.string()))
    mixed = tmp_path / "mixed.parquet"
    pq.write_table(table, mixed, row_group_size=5)
    (tmp_path / "lake" / "_staging" / "articles-spill-stale").mkdir(parents=True)
    staged = merge_articles_dataset(mixed, tmp_path / "lake")
    in_memory = merge_articles(df, tmp_path / "mem")
    assert spills == [0]
    assert counters(staged) == counters(in_memory)
    assert file_hashes(tmp_path / "lake") == file_hashes(tmp_path / "mem")
    assert list((tmp_path / "lake" / "_staging").iterdir()) == []


def test_later_chunks_win_and_date_comes_from_published_at(tmp_path: Path) -> None:
    """Across chunks the later one wins; files without ``date`` use published_at's UTC date."""
    old = batch(range(4))
    new = rows(make_record(2, title="Story 2 (fixed)"), run_id="run-2")
    stage(old, tmp_path / "batch", name="chunk-000")
    stage(new, tmp_path / "batch", name="chunk-001")
    merge_articles_dataset(tmp_path / "batch", tmp_path / "lake")
    merge_articles(pd.concat([old, new]).drop_duplicates("article_id", keep="last"),
                   tmp_path / "mem")
    assert file_hashes(tmp_path / "lake") == file_hashes(tmp_path / "mem")
    plain = tmp_path / "plain.parquet"
    frame = batch(range(4, 6)).drop(columns="date")
    pq.write_table(lake.to_arrow(frame, lake.ARTICLES).append_column(
        "source", pa.array(frame["source"].tolist())), plain)
    result = merge_articles_dataset([plain], tmp_path / "lake")
    assert result.inserted == 2 and result.partitions[0].date == "2026-11-20"


def test_dataset_argument_and_empty_batches(tmp_path: Path) -> None:
    """A pyarrow dataset works as the batch; an empty batch writes nothing."""
    batch_dir = stage(batch(range(3)), tmp_path / "batch")
    dataset = ds.dataset(batch_dir, format="parquet", partitioning=PARTITIONING)
    assert merge_articles_dataset(dataset, tmp_path / "lake").inserted == 3
    assert len(read_articles(tmp_path / "lake")) == 3
    assert merge_articles_dataset([], tmp_path / "none").partitions == []
    (tmp_path / "empty").mkdir()
    assert merge_articles_dataset(tmp_path / "empty", tmp_path / "none").partitions == []
    assert not (tmp_path / "none" / "articles").exists()


def test_unsafe_partitions_and_missing_columns_refused_before_any_write(tmp_path: Path) -> None:
    """A bad source id or a missing column raises before the lake is touched."""
    df = batch(range(2))
    table = lake.to_arrow(df, lake.ARTICLES).append_column(
        "date", pa.array(df["date"].tolist(), pa.date32()))
    bad = tmp_path / "bad.parquet"
    pq.write_table(table.append_column("source", pa.array(["dawn", "../evil"])), bad)
    with pytest.raises(ValueError):
        merge_articles_dataset(bad, tmp_path / "lake")
    pq.write_table(table.append_column("source", pa.array(["dawn", "dawn"]))
                   .drop_columns(["title"]), bad)
    with pytest.raises(ValueError, match="missing columns"):
        merge_articles_dataset(bad, tmp_path / "lake")
    with pytest.raises(ValueError):
        stage_batch(df.assign(source="a/b"), tmp_path / "stage")
    assert not (tmp_path / "lake" / "articles").exists()


def test_one_partition_of_the_batch_in_memory_at_a_time(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Each merge step gets one partition's rows; the batch-wide pass reads only key columns."""
    df = two_sources(range(20))
    batch_dir = stage(df, tmp_path / "batch")
    seen: list[int] = []
    read_columns: list[list[str]] = []
    real_merge, real_read = lake._merge_keys, lake._Batch.read

    def spy_merge(path: str, new: pa.Table, *args: Any, **kwargs: Any) -> Any:
        seen.append(new.num_rows)
        return real_merge(path, new, *args, **kwargs)

    def spy_read(self: Any, number: int, columns: list[str]) -> pa.Table:
        read_columns.append(list(columns))
        return real_read(self, number, columns)

    monkeypatch.setattr(lake, "_merge_keys", spy_merge)
    monkeypatch.setattr(lake._Batch, "read", spy_read)
    result = merge_articles_dataset(batch_dir, tmp_path / "lake")
    sizes = df.groupby(["date", "source"]).size()
    assert sorted(seen) == sorted(sizes.tolist()) and max(seen) < len(df)
    assert result.inserted == len(df)
    key_reads = [c for c in read_columns if "body" not in c]
    assert key_reads and all(set(c) <= {"article_id", "date", "source"} for c in key_reads)
    assert sum("body" in c for c in read_columns) == len(sizes)  # each partition read once


def test_concurrent_streaming_and_frame_writers_lose_nothing(tmp_path: Path) -> None:
    """Streaming and in-memory merges share the writer lock: no row is lost."""
    root = tmp_path / "lake"
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            df = batch(range(i * 10, i * 10 + 10))
            if i % 2:
                merge_articles(df, root)
            else:
                merge_articles_dataset(stage(df, tmp_path / f"batch-{i}"), root)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    df = read_articles(root)
    assert len(df) == 60 and list(df.columns) == [*ARTICLE_FIELD_NAMES, "date"]


def test_streaming_merge_into_an_object_store(s3: S3, s3_lake: str,  # noqa: F811
                                              tmp_path: Path) -> None:
    """With the lake on S3 the staged batch merges like a local one: same rows, final objects."""
    df = two_sources(range(6))
    first = merge_articles_dataset(stage(df, tmp_path / "batch"))
    assert counters(first) == counters(merge_articles(df, tmp_path / "mem"))
    keys = s3.keys(f"{s3_lake}/articles/")
    assert keys and all(k.endswith(f"/{PART_FILE}") for k in keys)
    etags = s3.etags(f"{s3_lake}/articles/")
    again = merge_articles_dataset(tmp_path / "batch")
    assert again.files_written == 0 and s3.etags(f"{s3_lake}/articles/") == etags
    pd.testing.assert_frame_equal(read_articles(), read_articles(tmp_path / "mem"))
