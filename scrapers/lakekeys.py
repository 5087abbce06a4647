"""The few lake facts a crawl process needs, without importing ``transforms.lake``.

``transforms.lake`` imports ``pyarrow.dataset``, whose extension module imports pandas: about
1.5 s of CPU in every ``scrapy crawl`` process, a third of a no-work incremental crawl.  A crawl
only has to check partition names, find the lake, and read four columns of its own source's
article partitions for a few days, which ``pyarrow.parquet`` and ``transforms.storage`` do
without pandas.  The naming rules and the layout
(``<root>/articles/date=YYYY-MM-DD/source=<id>/part-0.parquet``) are those of
``transforms.lake``; ``tests/test_incremental.py`` checks that both agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from transforms.storage import LakeLocation, configured_root

LOCK_TIMEOUT_S = 3600.0  # as transforms.lake.LOCK_TIMEOUT_S
ARTICLES_TABLE = "articles"
PART_FILE = "part-0.parquet"
SAFE_SOURCE = re.compile(r"^[a-z0-9_][a-z0-9_-]{0,62}$")
SAFE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def lake_root() -> Path | str:
    """Lake root: ``$NEWSFLOW_LAKE`` (a Path, or an object-store URI string) or ``data/lake``."""
    return configured_root()


def lake_location(root: str | Path | LakeLocation | None = None) -> LakeLocation:
    """The storage location of ``root`` (default: ``lake_root()``)."""
    return LakeLocation.parse(root)


def check_date(value: Any) -> str:
    """A partition date as ``YYYY-MM-DD``; raise ValueError for anything else."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    text = value if isinstance(value, str) else ""
    if not SAFE_DATE.match(text):
        raise ValueError(f"unsafe or invalid partition date {value!r}")
    date.fromisoformat(text)
    return text


def check_source(value: Any) -> str:
    """A partition source id; raise ValueError if it could escape the lake or is not an id."""
    if not isinstance(value, str) or not SAFE_SOURCE.match(value):
        raise ValueError(f"unsafe or invalid source id {value!r}")
    return value


def read_article_rows(
    root: str | Path | LakeLocation | None, days: Iterable[Any], source: str, columns: list[str]
) -> list[dict[str, Any]]:
    """``columns`` of the stored articles of ``source`` on ``days`` (a column a file lacks: None).

    One ``part-0.parquet`` per (day, source) partition, read with ``pyarrow.parquet`` alone.
    """
    import pyarrow.parquet as pq

    loc = lake_location(root)
    rows: list[dict[str, Any]] = []
    for day in sorted({check_date(d) for d in days}):
        path = loc.join(ARTICLES_TABLE, f"date={day}", f"source={check_source(source)}", PART_FILE)
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
    import pyarrow as pa

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
