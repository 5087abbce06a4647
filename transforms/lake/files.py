"""Lake files all-or-nothing: the writer lock, atomic Parquet writes, deletes, schema conformance.

The second layer of ``transforms.lake`` (over ``paths``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from transforms.lake.paths import location
from transforms.lease import Lease
from transforms.schema import TableSpec
from transforms.storage import LakeLocation

if TYPE_CHECKING:
    import pandas as pd

LOCK_TIMEOUT_S = 3600.0


def writer_lock(loc: LakeLocation, table: str) -> Lease:
    """The writer lease of one table, on every machine (waits up to ``LOCK_TIMEOUT_S``)."""
    return loc.lock(table, LOCK_TIMEOUT_S)


def clean_staging(root: str | Path | LakeLocation, table: str) -> int:
    """Remove leftover temp files of ``table`` (hold its lock); return how many."""
    return location(root).clean_scratch(f"{table}-")


def write_atomic(table: pa.Table, path: str, root: str | Path | LakeLocation, name: str) -> None:
    """Write a Parquet file all-or-nothing (temp file + ``os.replace``, or one object upload)."""
    def write(sink: Any) -> None:
        """Serialise the table into ``sink``."""
        pq.write_table(table, sink, coerce_timestamps="us", allow_truncated_timestamps=True,
                       compression="zstd")

    location(root).write_atomic(str(path), write, name)


def remove_partition(path: str, table_dir: str, root: str | Path | LakeLocation) -> None:
    """Delete a partition file and its now-empty directories."""
    location(root).delete(str(path), keep=str(table_dir))


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """A table with exactly ``schema``'s columns, types and metadata (missing columns null)."""
    columns = []
    for fld in schema:
        if fld.name in table.column_names:
            column = table.column(fld.name)
            columns.append(column if column.type == fld.type else column.cast(fld.type))
        else:
            columns.append(pa.nulls(table.num_rows, fld.type))
    return pa.Table.from_arrays(columns, schema=schema)


def read_partition(path: str, spec: TableSpec, loc: LakeLocation,
                   present: bool | None = None) -> pa.Table:
    """One partition file conformed to the table schema (empty table if absent)."""
    if not (loc.exists(path) if present is None else present):
        return spec.schema.empty_table()
    with loc.open_input(path) as handle:
        return conform(pq.ParquetFile(handle).read(), spec.schema)


def to_arrow(df: pd.DataFrame, spec: TableSpec) -> pa.Table:
    """File columns of a DataFrame as an Arrow table with the table schema (no pandas metadata)."""
    table = pa.Table.from_pandas(df[spec.schema.names], schema=spec.schema, preserve_index=False)
    return table.replace_schema_metadata(spec.schema.metadata)
