"""Schema v1 -> v2: a lake holding v1 files (no story_id/raw_ref) and v2 files reads and merges."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from transforms.lake import PART_FILE, merge_articles, read_articles
from transforms.normalize import normalize_articles
from transforms.schema import (
    ARTICLES_DATASET_SCHEMA,
    ARTICLES_SCHEMA,
    METADATA_KEY,
    PARTITIONING,
    SCHEMA_VERSION,
    added_in,
)
from transforms.validate import split_valid

LATER = [name for version in range(2, SCHEMA_VERSION + 1) for name in added_in(version)]
"""Article columns added after v1."""
BODY = "The assembly approved the budget on Friday after a long debate in the house."


def rows(day: str, *numbers: int, **extra: Any) -> pd.DataFrame:
    """Valid article rows of dawn for one day."""
    records = [{"url": f"https://dawn.com/news/{n}", "title": f"Story {n}",
                "body": f"{BODY} {n}", "authors": [], "published_at": f"{day}T10:00:00Z",
                "extractor_version": "1", "source": "dawn",
                "crawled_at": "2026-11-21T00:00:00Z"} for n in numbers]
    valid, quarantine = split_valid(normalize_articles(pd.DataFrame(records), "run-1"))
    assert quarantine.empty
    return valid.assign(**extra)


def v1_schema() -> pa.Schema:
    """The v1 file schema: today's schema without the columns added since, version 1 in the
    metadata."""
    fields = [f for f in ARTICLES_SCHEMA if f.name not in LATER]
    return pa.schema(fields, metadata={METADATA_KEY: b"1"})


def write_v1(root: Path, day: str, *numbers: int) -> Path:
    """Write a real v1 partition file (as the v1 writer did) and return its path."""
    df = rows(day, *numbers)
    table = pa.Table.from_pandas(df[v1_schema().names], schema=v1_schema(), preserve_index=False)
    table = table.replace_schema_metadata(v1_schema().metadata)
    path = root / "articles" / f"date={day}" / "source=dawn" / PART_FILE
    path.parent.mkdir(parents=True)
    pq.write_table(table, path, compression="zstd")
    return path


def mixed_lake(root: Path) -> tuple[Path, Path]:
    """A v1 partition (2026-11-19) and a v2 partition (2026-11-20)."""
    old = write_v1(root, "2026-11-19", 1, 2)
    merge_articles(rows("2026-11-20", 3, story_id="s3", raw_ref="raw/x.warc.gz#12"), root)
    new = root / "articles" / "date=2026-11-20" / "source=dawn" / PART_FILE
    assert "story_id" not in pq.read_schema(old).names
    assert pq.read_metadata(new).metadata[METADATA_KEY] == str(SCHEMA_VERSION).encode()
    return old, new


def check_frame(df: pd.DataFrame) -> None:
    """Three rows: v1 rows with null v2 columns, the v2 row with its values."""
    df = df.sort_values("url").reset_index(drop=True)
    assert len(df) == 3
    assert df["story_id"].isna().tolist() == [True, True, False]
    assert df.loc[2, "story_id"] == "s3" and df.loc[2, "raw_ref"] == "raw/x.warc.gz#12"
    assert {str(d)[:10] for d in df["date"]} == {"2026-11-19", "2026-11-20"}


def test_pandas_reads_mixed_lake(tmp_path: Path) -> None:
    """pandas with the unified schema, and read_articles, see both versions."""
    mixed_lake(tmp_path)
    df = pd.read_parquet(tmp_path / "articles", partitioning=PARTITIONING,
                         schema=ARTICLES_DATASET_SCHEMA)
    check_frame(df)
    check_frame(read_articles(tmp_path))
    assert set(read_articles(tmp_path)["date"]) == {date(2026, 11, 19), date(2026, 11, 20)}
    only = read_articles(tmp_path, dates=["2026-11-19"], columns=["article_id", "story_id"])
    assert list(only.columns) == ["article_id", "story_id"] and only["story_id"].isna().all()


def test_pyarrow_dataset_reads_mixed_lake(tmp_path: Path) -> None:
    """pyarrow.dataset with the unified schema fills the v1 files' missing columns with null."""
    mixed_lake(tmp_path)
    dataset = ds.dataset(tmp_path / "articles", format="parquet", partitioning=PARTITIONING,
                         schema=ARTICLES_DATASET_SCHEMA)
    table = dataset.to_table(filter=ds.field("date") >= date(2026, 11, 19))
    check_frame(table.to_pandas())
    assert table.schema.field("story_id").type == pa.string()


def test_duckdb_reads_mixed_lake(tmp_path: Path) -> None:
    """DuckDB with union_by_name reads v1 and v2 files together."""
    mixed_lake(tmp_path)
    glob = f"{tmp_path}/articles/**/*.parquet"
    df = duckdb.sql(f"SELECT * FROM read_parquet('{glob}', hive_partitioning=true, "
                    "union_by_name=true)").df()
    check_frame(df)


def test_merge_upgrades_v1_partition(tmp_path: Path) -> None:
    """Rewriting a v1 partition writes it as v2 with null v2 columns for the old rows."""
    old, _ = mixed_lake(tmp_path)
    result = merge_articles(rows("2026-11-19", 4, story_id="s4"), tmp_path)
    assert result.inserted == 1
    assert pq.read_metadata(old).metadata[METADATA_KEY] == str(SCHEMA_VERSION).encode()
    table = pq.read_table(old)
    assert table.schema.remove_metadata() == ARTICLES_SCHEMA.remove_metadata()
    by_url = dict(zip(table.column("url").to_pylist(), table.column("story_id").to_pylist(),
                      strict=True))
    assert by_url == {"https://dawn.com/news/1": None, "https://dawn.com/news/2": None,
                      "https://dawn.com/news/4": "s4"}


def test_unchanged_v1_rows_are_not_rewritten(tmp_path: Path) -> None:
    """Same v1 rows again without story ids leave the v1 file as it was."""
    old, _ = mixed_lake(tmp_path)
    before = old.read_bytes()
    v1_rows = rows("2026-11-19", 1, 2).drop(columns=LATER)
    result = merge_articles(v1_rows, tmp_path)
    assert result.unchanged == 2 and result.files_written == 0
    assert old.read_bytes() == before
