"""run_reports is laid out like articles: the obvious calls of pandas, pyarrow and DuckDB read it;
files of the old layout (date and source inside the file too) are read and migrated."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from transforms.lake import (
    RUN_REPORTS,
    RUN_REPORTS_LAYOUT,
    merge_run_reports,
    migrate_run_reports,
    read_run_reports,
)
from transforms.lakeindex import INDEX_DIR
from transforms.schema import RUN_REPORT_COLUMNS, arrow_schema

DAYS = (date(2026, 11, 19), date(2026, 11, 20))
SOURCES = ("himalaya-post", "indus-chronicle")


def report_row(source: str, day: date, run_id: str, written: int = 3) -> dict[str, Any]:
    """One run_reports row, as the report task builds it."""
    return {"run_id": run_id, "date": day, "source": source, "found": 5, "fetched": 4,
            "staged": 3, "written": written, "duplicates": 0, "quarantined": 0,
            "robots_refused": 0, "errors": 1, "complete_share": 0.5, "status": "ok",
            "created_at": pd.Timestamp(datetime(2026, 11, 21, tzinfo=UTC)).as_unit("us")}


def four_rows() -> pd.DataFrame:
    """Two days times two sources."""
    return pd.DataFrame([report_row(s, d, f"scheduled__{d}") for d in DAYS for s in SOURCES])


def write_old_layout(root: Path, row: dict[str, Any]) -> Path:
    """A run_reports file as written before: every column, date and source too, in the file."""
    path = (root / "run_reports" / f"date={row['date']}" / f"source={row['source']}"
            / "part-0.parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(pd.DataFrame([row]), schema=arrow_schema(RUN_REPORT_COLUMNS),
                                 preserve_index=False)
    pq.write_table(table, path)
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_files_hold_no_partition_columns(tmp_path: Path) -> None:
    merge_run_reports(four_rows(), tmp_path)
    files = sorted((tmp_path / "run_reports").rglob("*.parquet"))
    assert len(files) == 4
    for path in files:
        assert pq.read_schema(path).names == RUN_REPORTS.schema.names
        assert not {"date", "source"} & set(pq.read_schema(path).names)


def test_pandas_reads_the_table_directory(tmp_path: Path) -> None:
    merge_run_reports(four_rows(), tmp_path)
    frame = pd.read_parquet(tmp_path / "run_reports")
    assert len(frame) == 4
    got = sorted(zip(frame["date"].astype(str), frame["source"].astype(str), frame["run_id"],
                     strict=True))
    assert got == sorted((str(d), s, f"scheduled__{d}") for d in DAYS for s in SOURCES)


def test_pyarrow_hive_dataset_reads_and_filters(tmp_path: Path) -> None:
    import pyarrow.dataset as ds

    merge_run_reports(four_rows(), tmp_path)
    dataset = ds.dataset(tmp_path / "run_reports", partitioning="hive")
    assert dataset.to_table().num_rows == 4
    picked = dataset.to_table(filter=ds.field("source") == "indus-chronicle").to_pylist()
    assert sorted(r["run_id"] for r in picked) == [f"scheduled__{d}" for d in DAYS]


def test_duckdb_hive_partitioning_types_date_as_a_date(tmp_path: Path) -> None:
    import duckdb

    merge_run_reports(four_rows(), tmp_path)
    rows = duckdb.sql(
        f"SELECT date, source, written FROM read_parquet('{tmp_path}/run_reports/**/*.parquet', "
        "hive_partitioning = true) WHERE date = DATE '2026-11-20' ORDER BY source").fetchall()
    assert rows == [(date(2026, 11, 20), s, 3) for s in SOURCES]


def test_read_run_reports_types_and_order(tmp_path: Path) -> None:
    merge_run_reports(four_rows(), tmp_path)
    frame = read_run_reports(tmp_path, dates=[DAYS[1]], sources=["himalaya-post"])
    assert list(frame.columns) == [c.name for c in RUN_REPORT_COLUMNS]
    assert frame.to_dict("records")[0] | {"created_at": None} == (
        report_row("himalaya-post", DAYS[1], f"scheduled__{DAYS[1]}") | {"created_at": None})


def test_old_files_are_read_then_migrated_on_the_next_write(tmp_path: Path) -> None:
    """A lake holding old-layout files reads as before; the next merge rewrites those files
    (unchanged rows), after which the obvious calls work; later merges open no old file."""
    old = [write_old_layout(tmp_path, report_row(s, DAYS[0], "scheduled__old")) for s in SOURCES]
    mixed = read_run_reports(tmp_path)
    assert list(mixed["source"]) == list(SOURCES) and set(mixed["date"]) == {DAYS[0]}

    result = merge_run_reports(pd.DataFrame([report_row(SOURCES[0], DAYS[1], "run-new")]),
                               tmp_path)
    assert result.inserted == 1
    for path in old:
        assert not {"date", "source"} & set(pq.read_schema(path).names)
    assert (tmp_path / INDEX_DIR / RUN_REPORTS_LAYOUT).is_file()
    after = read_run_reports(tmp_path)
    pd.testing.assert_frame_equal(after[after["date"] == DAYS[0]].reset_index(drop=True), mixed)
    assert len(pd.read_parquet(tmp_path / "run_reports")) == 3

    # Once the marker is there an old file written by hand is not looked for again.
    stray = write_old_layout(tmp_path, report_row(SOURCES[1], DAYS[1], "stray"))
    before = sha(stray)
    merge_run_reports(pd.DataFrame([report_row(SOURCES[0], DAYS[1], "run-new")]), tmp_path)
    assert sha(stray) == before
    assert read_run_reports(tmp_path, dates=[DAYS[1]])["run_id"].tolist() == ["run-new", "stray"]


def test_migrate_is_idempotent_and_keeps_the_rows(tmp_path: Path) -> None:
    write_old_layout(tmp_path, report_row(SOURCES[0], DAYS[0], "scheduled__old"))
    before = read_run_reports(tmp_path)
    assert migrate_run_reports(tmp_path) == 1
    assert migrate_run_reports(tmp_path) == 0
    pd.testing.assert_frame_equal(read_run_reports(tmp_path), before)


def test_empty_lake_reads_an_empty_typed_frame(tmp_path: Path) -> None:
    frame = read_run_reports(tmp_path)
    assert frame.empty and list(frame.columns) == [c.name for c in RUN_REPORT_COLUMNS]
