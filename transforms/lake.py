"""The only module that reads and writes the Parquet lake.

Layout: ``<root>/<table>/date=YYYY-MM-DD/source=<id>/part-0.parquet`` for the ``articles`` and
``quarantine`` tables.  Writes merge partition by partition under a file lock: existing rows stay
untouched unless their content changed, files whose partition did not change are not rewritten,
and every write goes through a temp file in ``<root>/_staging/`` followed by ``os.replace``.
A rewritten partition is always written with the current schema (columns an older file lacks
become null).  ``story_id`` is sticky: a stored non-null value is kept, and a
new value alone only counts as a change when the stored one is null.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from filelock import FileLock

from transforms.schema import (
    ARTICLE_COLUMNS,
    ARTICLES_SCHEMA,
    PARTITIONING,
    QUARANTINE_COLUMNS,
    QUARANTINE_SCHEMA,
    dataset_schema,
)

LAKE_ENV = "NEWSFLOW_LAKE"
PART_FILE = "part-0.parquet"
STAGING_DIR = "_staging"
LOCKS_DIR = "_locks"
LOCK_TIMEOUT_S = 3600.0
SAFE_SOURCE = re.compile(r"^[a-z0-9_][a-z0-9_-]{0,62}$")
SAFE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class TableSpec:
    """How one lake table is keyed, compared, sorted and merged."""

    name: str
    schema: pa.Schema
    key: str
    ignored_on_compare: frozenset[str]
    sort_keys: tuple[str, ...]
    updates: bool
    moves: bool
    sticky: frozenset[str] = frozenset()
    """Columns whose stored non-null value wins over a new one (a new value only fills a null);
    callers may omit them (they are then null)."""


# raw_ref is bookkeeping: an unchanged article keeps the row (and raw page) it had; a changed one
# brings the raw_ref of the copy it was extracted from.  story_id is sticky: once set it stays.
ARTICLES = TableSpec("articles", ARTICLES_SCHEMA, "article_id",
                     frozenset({"crawled_at", "run_id", "raw_ref"}),
                     ("published_at", "article_id"), updates=True, moves=True,
                     sticky=frozenset({"story_id"}))
QUARANTINE = TableSpec("quarantine", QUARANTINE_SCHEMA, "quarantine_id",
                       frozenset({"quarantined_at", "run_id"}), ("quarantine_id",),
                       updates=False, moves=False)


@dataclass
class PartitionResult:
    """What a merge did to one ``(date, source)`` partition."""

    date: str
    source: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    written: bool = False


@dataclass
class MergeResult:
    """Per-partition outcome of one merge into a table."""

    table: str
    partitions: list[PartitionResult] = field(default_factory=list)

    def total(self, name: str) -> int:
        """Sum of one counter (inserted, updated, unchanged, removed, rows) over partitions."""
        return sum(int(getattr(p, name)) for p in self.partitions)

    @property
    def inserted(self) -> int:
        """Rows inserted."""
        return self.total("inserted")

    @property
    def updated(self) -> int:
        """Rows replaced by a changed version."""
        return self.total("updated")

    @property
    def unchanged(self) -> int:
        """Rows already present with the same content."""
        return self.total("unchanged")

    @property
    def removed(self) -> int:
        """Rows removed from an old partition because the article moved date."""
        return self.total("removed")

    @property
    def files_written(self) -> int:
        """Partition files (re)written or deleted."""
        return sum(p.written for p in self.partitions)

    def by_source(self) -> dict[str, dict[str, int]]:
        """Counters summed per source."""
        out: dict[str, dict[str, int]] = {}
        for p in self.partitions:
            counts = out.setdefault(p.source, dict.fromkeys(
                ("inserted", "updated", "unchanged", "removed", "files_written"), 0))
            for name in ("inserted", "updated", "unchanged", "removed"):
                counts[name] += getattr(p, name)
            counts["files_written"] += int(p.written)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"table": self.table, "inserted": self.inserted, "updated": self.updated,
                "unchanged": self.unchanged, "removed": self.removed,
                "files_written": self.files_written,
                "partitions": [asdict(p) for p in self.partitions]}


def lake_root() -> Path:
    """Lake root: ``$NEWSFLOW_LAKE`` or ``<repo>/data/lake``."""
    configured = os.environ.get(LAKE_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path(__file__).resolve().parents[1] / "data" / "lake"


def _root(root: str | Path | None) -> Path:
    """The given root or the default one."""
    return Path(root) if root is not None else lake_root()


def check_date(value: Any) -> str:
    """A partition date as ``YYYY-MM-DD``; raise ValueError for anything else."""
    if isinstance(value, pd.Timestamp | datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value) if isinstance(value, str) else ""
    if not SAFE_DATE.match(text):
        raise ValueError(f"unsafe or invalid partition date {value!r}")
    date.fromisoformat(text)
    return text


def check_source(value: Any) -> str:
    """A partition source id; raise ValueError if it could escape the lake or is not an id."""
    if not isinstance(value, str) or not SAFE_SOURCE.match(value):
        raise ValueError(f"unsafe or invalid source id {value!r}")
    return value


def partition_path(table_dir: Path, day: Any, source: Any) -> Path:
    """``<table_dir>/date=<day>/source=<source>/part-0.parquet``, checked to stay inside."""
    path = table_dir / f"date={check_date(day)}" / f"source={check_source(source)}" / PART_FILE
    if not path.resolve().is_relative_to(table_dir.resolve()):
        raise ValueError(f"partition path {path} escapes {table_dir}")
    return path


def _lock(root: Path, table: str) -> FileLock:
    """The writer lock of one table."""
    locks = root / LOCKS_DIR
    locks.mkdir(parents=True, exist_ok=True)
    return FileLock(str(locks / f"{table}.lock"), timeout=LOCK_TIMEOUT_S)


def clean_staging(root: Path, table: str) -> int:
    """Remove leftover temp files of ``table`` (call while holding its lock); returns count."""
    staging = root / STAGING_DIR
    removed = 0
    for stale in staging.glob(f"{table}-*.tmp"):
        stale.unlink(missing_ok=True)
        removed += 1
    return removed


def _fsync_dir(path: Path) -> None:
    """fsync a directory so a rename in it is durable (no-op where unsupported)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(table: pa.Table, path: Path, root: Path, name: str) -> None:
    """Write a Parquet file via a fsynced temp file in ``<root>/_staging`` and ``os.replace``."""
    staging = root / STAGING_DIR
    staging.mkdir(parents=True, exist_ok=True)
    tmp = staging / f"{name}-{uuid.uuid4().hex}.tmp"
    try:
        pq.write_table(table, tmp, coerce_timestamps="us", allow_truncated_timestamps=True,
                       compression="zstd")
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    finally:
        tmp.unlink(missing_ok=True)


def remove_partition(path: Path, table_dir: Path) -> None:
    """Delete a partition file and its now-empty directories."""
    path.unlink(missing_ok=True)
    for parent in (path.parent, path.parent.parent):
        if parent != table_dir and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
    _fsync_dir(table_dir)


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """A table with exactly ``schema``'s columns, types and metadata (missing columns null)."""
    columns = []
    for fld in schema:
        if fld.name in table.column_names:
            columns.append(table.column(fld.name).cast(fld.type))
        else:
            columns.append(pa.nulls(table.num_rows, fld.type))
    return pa.Table.from_arrays(columns, schema=schema)


def read_partition(path: Path, spec: TableSpec) -> pa.Table:
    """One partition file conformed to the table schema (empty table if absent)."""
    if not path.exists():
        return spec.schema.empty_table()
    return conform(pq.ParquetFile(path).read(), spec.schema)


def to_arrow(df: pd.DataFrame, spec: TableSpec) -> pa.Table:
    """File columns of a DataFrame as an Arrow table with the table schema (no pandas metadata)."""
    table = pa.Table.from_pandas(df[spec.schema.names], schema=spec.schema, preserve_index=False)
    return table.replace_schema_metadata(spec.schema.metadata)


def _content(row: dict[str, Any], spec: TableSpec) -> dict[str, Any]:
    """The compared part of a row (everything but bookkeeping columns)."""
    return {k: v for k, v in row.items() if k not in spec.ignored_on_compare}


def keep_sticky(old: dict[str, Any], row: dict[str, Any], spec: TableSpec) -> dict[str, Any]:
    """``row`` with the stored non-null values of ``old`` in the table's sticky columns."""
    kept = {k: old[k] for k in spec.sticky if old.get(k) is not None and old[k] != row.get(k)}
    return {**row, **kept} if kept else row


def _with_sticky(table: pa.Table, rows: list[dict[str, Any]], spec: TableSpec) -> pa.Table:
    """``table`` with its sticky columns replaced by the values in ``rows`` (same order)."""
    for name in sorted(spec.sticky):
        index = table.schema.get_field_index(name)
        values = pa.array([r[name] for r in rows], type=table.schema.field(name).type)
        table = table.set_column(index, table.schema.field(name), values)
    return table


def _sort(table: pa.Table, spec: TableSpec) -> pa.Table:
    """Rows in deterministic order."""
    return table.sort_by([(name, "ascending") for name in spec.sort_keys])


def merge_partition(path: Path, new: pa.Table, remove_ids: set[str], spec: TableSpec,
                    root: Path) -> PartitionResult:
    """Merge new rows into one partition file and drop ``remove_ids``; rewrite only on change."""
    day, source = path.parent.parent.name[5:], path.parent.name[7:]
    result = PartitionResult(day, source)
    existing = read_partition(path, spec)
    existing_ids = existing.column(spec.key).to_pylist()
    removed = {i for i in existing_ids if i in remove_ids}
    wanted = set(new.column(spec.key).to_pylist())
    positions = {i: n for n, i in enumerate(existing_ids) if i in wanted and i not in removed}
    old_rows = existing.take(list(positions.values())).to_pylist() if positions else []
    old_by_id = dict(zip(positions, old_rows, strict=True))
    take, taken, replaced = [], [], set()
    for n, row in enumerate(new.to_pylist()):
        old = old_by_id.get(row[spec.key])
        if old is None:
            result.inserted += 1
        else:
            row = keep_sticky(old, row, spec)
            if not spec.updates or _content(old, spec) == _content(row, spec):
                result.unchanged += 1
                continue
            result.updated += 1
            replaced.add(row[spec.key])
        take.append(n)
        taken.append(row)
    result.removed = len(removed)
    result.rows = existing.num_rows - len(removed) + result.inserted
    if not (result.inserted or result.updated or result.removed):
        return result
    drop = removed | replaced
    keep_mask = pa.array([i not in drop for i in existing_ids], type=pa.bool_())
    added = _with_sticky(new.take(pa.array(take, pa.int64())), taken, spec)
    merged = pa.concat_tables([existing.filter(keep_mask), added])
    result.written = True
    if merged.num_rows == 0:
        remove_partition(path, path.parents[2])
    else:
        write_atomic(_sort(merged, spec), path, root, spec.name)
    return result


def _partition_groups(df: pd.DataFrame, table_dir: Path) -> dict[Path, pd.DataFrame]:
    """Rows grouped by partition path; every path is checked before anything is written."""
    if df.empty:
        return {}
    days = [check_date(d) for d in df["date"]]
    sources = [check_source(s) for s in df["source"]]
    paths = [partition_path(table_dir, d, s) for d, s in zip(days, sources, strict=True)]
    keyed = df.assign(_path=[str(p) for p in paths])
    return {Path(p): group.drop(columns="_path") for p, group in keyed.groupby("_path", sort=True)}


def _moved_ids(table_dir: Path, groups: dict[Path, pd.DataFrame], spec: TableSpec
               ) -> dict[Path, set[str]]:
    """Ids of the batch that sit in another date partition of the same source (to remove)."""
    target: dict[str, dict[str, Path]] = {}
    for path, group in groups.items():
        source = path.parent.name[7:]
        for key in group[spec.key]:
            target.setdefault(source, {})[key] = path
    moved: dict[Path, set[str]] = {}
    for source, ids in target.items():
        for existing in sorted(table_dir.glob(f"date=*/source={source}/{PART_FILE}")):
            keys = pq.ParquetFile(existing).read(columns=[spec.key]).column(spec.key)
            found = pc.is_in(keys, value_set=pa.array(list(ids), type=pa.string()))
            for key in pc.filter(keys, found).to_pylist():
                if ids[key] != existing:
                    moved.setdefault(existing, set()).add(key)
    return moved


def _prepare(df: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """Check columns, derive a missing ``date`` and keep the last row per key."""
    df = df.copy()
    for name in sorted(spec.sticky - set(df.columns)):
        df[name] = None
    if "date" not in df and "published_at" in df:
        df["date"] = pd.to_datetime(df["published_at"], utc=True).dt.date
    missing = [c for c in [*spec.schema.names, "date", "source"] if c not in df]
    if missing:
        raise ValueError(f"{spec.name}: missing columns {missing}")
    return df.drop_duplicates(spec.key, keep="last")


def merge_table(df: pd.DataFrame, spec: TableSpec, root: str | Path | None = None
                ) -> MergeResult:
    """Merge rows into a lake table partition by partition, under the table's lock."""
    base = _root(root)
    table_dir = base / spec.name
    result = MergeResult(spec.name)
    df = _prepare(df, spec)
    groups = _partition_groups(df, table_dir)
    if not groups:
        return result
    tables = {path: to_arrow(group, spec) for path, group in groups.items()}
    with _lock(base, spec.name):
        clean_staging(base, spec.name)
        moved = _moved_ids(table_dir, groups, spec) if spec.moves else {}
        empty = spec.schema.empty_table()
        for path in sorted(set(tables) | set(moved)):
            new = tables.get(path, empty)
            result.partitions.append(merge_partition(path, new, moved.get(path, set()), spec, base))
    return result


def merge_articles(df: pd.DataFrame, root: str | Path | None = None) -> MergeResult:
    """Merge article rows (ARTICLE_COLUMNS + ``date``) into ``<root>/articles``."""
    return merge_table(df, ARTICLES, root)


def merge_quarantine(df: pd.DataFrame, root: str | Path | None = None) -> MergeResult:
    """Merge quarantine rows (QUARANTINE_COLUMNS + ``date``) into ``<root>/quarantine``."""
    return merge_table(df, QUARANTINE, root)


def partition_files(table_dir: Path, dates: Iterable[Any] | None = None,
                    sources: Iterable[str] | None = None) -> list[Path]:
    """Partition files of a table, pruned by dates and sources from their paths only."""
    wanted_days = {check_date(d) for d in dates} if dates is not None else None
    wanted_sources = {check_source(s) for s in sources} if sources is not None else None
    files = []
    for path in sorted(table_dir.glob(f"date=*/source=*/{PART_FILE}")):
        day, source = path.parent.parent.name[5:], path.parent.name[7:]
        if wanted_days is not None and day not in wanted_days:
            continue
        if wanted_sources is not None and source not in wanted_sources:
            continue
        files.append(path)
    return files


def read_table(spec: TableSpec, root: str | Path | None = None,
               dates: Iterable[Any] | None = None, sources: Iterable[str] | None = None,
               columns: Iterable[str] | None = None) -> pd.DataFrame:
    """Read a lake table (or some partitions/columns) with typed ``date`` and ``source``.

    Files of older schema versions are read with the current schema (missing columns null).
    """
    table_dir = _root(root) / spec.name
    table_columns = ARTICLE_COLUMNS if spec is ARTICLES else QUARANTINE_COLUMNS
    schema = dataset_schema(table_columns)
    names = [*(c.name for c in table_columns), "date"]
    if columns is not None:
        wanted = set(columns)
        unknown = wanted - set(names)
        if unknown:
            raise ValueError(f"{spec.name}: unknown columns {sorted(unknown)}")
        names = [n for n in names if n in wanted]
    files = partition_files(table_dir, dates, sources)
    if files:
        dataset = ds.dataset([str(f) for f in files], schema=schema, format="parquet",
                             partitioning=PARTITIONING, partition_base_dir=str(table_dir))
        table = dataset.to_table(columns=names)
    else:
        table = pa.schema([schema.field(n) for n in names]).empty_table()
    frame = table.to_pandas()
    if frame.empty and "date" in frame:
        frame["date"] = frame["date"].astype(object)
    return frame[names]


def read_articles(root: str | Path | None = None, dates: Iterable[Any] | None = None,
                  sources: Iterable[str] | None = None, columns: Iterable[str] | None = None
                  ) -> pd.DataFrame:
    """Articles (ARTICLE_COLUMNS + ``date``, or only ``columns``), optionally some partitions."""
    return read_table(ARTICLES, root, dates, sources, columns)


def read_quarantine(root: str | Path | None = None, dates: Iterable[Any] | None = None,
                    sources: Iterable[str] | None = None) -> pd.DataFrame:
    """Quarantine rows (QUARANTINE_COLUMNS + ``date``), optionally only some dates/sources."""
    return read_table(QUARANTINE, root, dates, sources)
