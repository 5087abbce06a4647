"""Reading lake tables: typed pandas or Arrow tables, and light row reads for crawl processes.

The top layer of ``transforms.lake``. Files of older schema versions are read with the current
schema (missing columns null); ``date`` and ``source`` come from the Hive path.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from transforms.lake.paths import check_date, location, partition_files, partition_key
from transforms.schema import (
    ARTICLES,
    PARTITION_COLUMNS,
    QUARANTINE,
    RUN_REPORTS,
    TABLE_COLUMNS,
    TableSpec,
    dataset_schema,
    partitioning,
)
from transforms.storage import LakeLocation

if TYPE_CHECKING:  # pandas and pyarrow.dataset (which imports pandas) are imported where used,
    import pandas as pd  # so a crawl process that only reads a few keys stays light


def read_table(spec: TableSpec, root: str | Path | LakeLocation | None = None,
               dates: Iterable[Any] | None = None, sources: Iterable[str] | None = None,
               columns: Iterable[str] | None = None) -> pd.DataFrame:
    """Read a lake table (or some partitions/columns) with typed ``date`` and ``source``.

    Files of older schema versions are read with the current schema (missing columns null).
    """
    table, names = read_arrow(spec, root, dates, sources, columns)
    frame = table.to_pandas()
    if frame.empty and "date" in frame:
        frame["date"] = frame["date"].astype(object)
    return frame[names]


def read_arrow(spec: TableSpec, root: str | Path | LakeLocation | None = None,
               dates: Iterable[Any] | None = None, sources: Iterable[str] | None = None,
               columns: Iterable[str] | None = None) -> tuple[pa.Table, list[str]]:
    """Like ``read_table`` but an Arrow table (no pandas), with its column names."""
    loc = location(root)
    table_dir = loc.join(spec.name)
    table_columns = TABLE_COLUMNS[spec.name]
    schema = dataset_schema(table_columns)
    names = [c.name for c in table_columns]
    names += [c.name for c in PARTITION_COLUMNS if c.name not in names]
    if columns is not None:
        wanted = set(columns)
        unknown = wanted - set(names)
        if unknown:
            raise ValueError(f"{spec.name}: unknown columns {sorted(unknown)}")
        names = [n for n in names if n in wanted]
    files = partition_files(loc, spec.name, dates, sources)
    if files:
        import pyarrow.dataset as ds

        dataset = ds.dataset(files, schema=schema, format="parquet", filesystem=loc.fs,
                             partitioning=partitioning(), partition_base_dir=table_dir)
        table = dataset.to_table(columns=names)
    else:
        table = pa.schema([schema.field(n) for n in names]).empty_table()
    return table.select(names), names


# -- light reads for crawl processes (no pandas, no pyarrow.dataset) ----------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def read_article_rows(
    root: str | Path | LakeLocation | None, days: Iterable[Any], source: str, columns: list[str]
) -> list[dict[str, Any]]:
    """``columns`` of the stored articles of ``source`` on ``days`` (a column a file lacks: None).

    One ``part-0.parquet`` per (day, source) partition, read with ``pyarrow.parquet`` alone and
    without pandas: a crawl process calls this for its incremental state.
    """
    loc = location(root)
    rows: list[dict[str, Any]] = []
    for day in sorted({check_date(d) for d in days}):
        path = partition_key(loc, ARTICLES.name, day, source)
        if not loc.exists(path):
            continue
        try:
            with loc.open_input(path) as handle:
                parquet = pq.ParquetFile(handle)
                present = [c for c in columns if c in parquet.schema_arrow.names]
                table = parquet.read(columns=present)
        except FileNotFoundError:  # removed by a merge since the check: no rows stored there
            continue
        values = {name: _pylist(table.column(name)) for name in present}
        rows.extend(
            {c: values[c][i] if c in values else None for c in columns}
            for i in range(table.num_rows)
        )
    return rows


_UNIT_US = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": 0}


def _pylist(column: Any) -> list[Any]:
    """A column as Python values; timestamps as aware UTC datetimes (naive ones taken as UTC).

    Not ``to_pylist()`` on timestamps: pyarrow asks whether pandas is installed on every
    timestamp scalar, and that question imports pandas (~1.5 s).
    """
    if not pa.types.is_timestamp(column.type):
        return column.to_pylist()
    unit = column.type.unit
    out: list[Any] = []
    for value in column.cast(pa.int64()).to_pylist():
        if value is None:
            out.append(None)
        elif unit == "ns":
            out.append(_EPOCH + timedelta(microseconds=value // 1000))
        else:
            out.append(_EPOCH + timedelta(microseconds=value * _UNIT_US[unit]))
    return out


def read_articles(root: str | Path | LakeLocation | None = None, dates: Iterable[Any] | None = None,
                  sources: Iterable[str] | None = None, columns: Iterable[str] | None = None
                  ) -> pd.DataFrame:
    """Articles (ARTICLE_COLUMNS + ``date``, or only ``columns``), optionally some partitions."""
    return read_table(ARTICLES, root, dates, sources, columns)


def read_quarantine(root: str | Path | LakeLocation | None = None,
                    dates: Iterable[Any] | None = None, sources: Iterable[str] | None = None
                    ) -> pd.DataFrame:
    """Quarantine rows (QUARANTINE_COLUMNS + ``date``), optionally only some dates/sources."""
    return read_table(QUARANTINE, root, dates, sources)


def read_run_reports(root: str | Path | LakeLocation | None = None,
                     dates: Iterable[Any] | None = None, sources: Iterable[str] | None = None
                     ) -> pd.DataFrame:
    """Run-report rows (RUN_REPORT_COLUMNS), optionally only some dates/sources.

    ``date`` and ``source`` come from the path, in files of either layout.
    """
    return read_table(RUN_REPORTS, root, dates, sources)
