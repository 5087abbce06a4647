"""The only module that reads and writes the Parquet lake.

Layout: ``<root>/<table>/date=YYYY-MM-DD/source=<id>/part-0.parquet`` for the ``articles`` and
``quarantine`` tables.  Writes merge partition by partition under a file lock: existing rows stay
untouched unless their content changed, files whose partition did not change are not rewritten,
and every write is all-or-nothing: on a local lake a temp file in ``<root>/_staging/`` followed by
``os.replace``, on an object store (``NEWSFLOW_LAKE=s3://bucket/prefix``) one upload of the final
object (see ``transforms.storage``).
A rewritten partition is always written with the current schema (columns an older file lacks
become null).  ``story_id`` is sticky: a stored non-null value is kept, and a
new value alone only counts as a change when the stored one is null.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from filelock import FileLock

from transforms.schema import (
    ARTICLE_COLUMNS,
    ARTICLES_SCHEMA,
    NEW_IN_V2,
    PARTITIONING,
    QUARANTINE_COLUMNS,
    QUARANTINE_SCHEMA,
    RUN_REPORT_COLUMNS,
    arrow_schema,
    dataset_schema,
)
from transforms.storage import LAKE_ENV as LAKE_ENV
from transforms.storage import LOCKS_DIR as LOCKS_DIR
from transforms.storage import STAGING_DIR as STAGING_DIR
from transforms.storage import LakeLocation, configured_root, fsync_dir

if TYPE_CHECKING:  # pandas is imported where frames are made, so crawls stay light
    import pandas as pd

PART_FILE = "part-0.parquet"
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
    optional: frozenset[str] = frozenset()  # callers may omit these columns (stored as null)
    """Columns whose stored non-null value wins over a new one (a new value only fills a null);
    callers may omit them (they are then null)."""


# raw_ref is bookkeeping: an unchanged article keeps the row (and raw page) it had; a changed one
# brings the raw_ref of the copy it was extracted from.  story_id is sticky: once set it stays.
ARTICLES = TableSpec("articles", ARTICLES_SCHEMA, "article_id",
                     frozenset({"crawled_at", "run_id", "raw_ref"}),
                     ("published_at", "article_id"), updates=True, moves=True,
                     sticky=frozenset({"story_id"}), optional=frozenset(NEW_IN_V2))
QUARANTINE = TableSpec("quarantine", QUARANTINE_SCHEMA, "quarantine_id",
                       frozenset({"quarantined_at", "run_id"}), ("quarantine_id",),
                       updates=False, moves=False)
# One row per (date, source) partition, every column (date and source too) stored in the file:
# the key is run_id, and merge_run_reports drops a partition's rows of other runs, so re-running
# a day replaces its rows.
RUN_REPORTS = TableSpec("run_reports", arrow_schema(RUN_REPORT_COLUMNS), "run_id",
                        frozenset({"created_at"}), ("run_id",), updates=True, moves=False)


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


def lake_root() -> Path | str:
    """Lake root: ``$NEWSFLOW_LAKE`` (a Path, or an object-store URI string) or ``data/lake``."""
    return configured_root()


def lake_location(root: str | Path | LakeLocation | None = None) -> LakeLocation:
    """The storage location of ``root`` (default: ``lake_root()``)."""
    return LakeLocation.parse(root)


def _root(root: str | Path | LakeLocation | None) -> LakeLocation:
    """The given root or the default one, as a location."""
    return LakeLocation.parse(root)


def check_date(value: Any) -> str:
    """A partition date as ``YYYY-MM-DD``; raise ValueError for anything else."""
    if isinstance(value, datetime):  # pd.Timestamp is a datetime too
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


def partition_key(loc: LakeLocation, table: str, day: Any, source: Any) -> str:
    """Filesystem path of one partition file of ``table`` in the lake, checked to stay inside."""
    key = loc.join(table, f"date={check_date(day)}", f"source={check_source(source)}", PART_FILE)
    if loc.local:
        partition_path(loc.local_path(loc.join(table)), day, source)  # resolves symlinks too
    return key


def _parts(path: str) -> tuple[str, str]:
    """``(date, source)`` of a partition file path."""
    pure = PurePosixPath(path)
    return pure.parent.parent.name[5:], pure.parent.name[7:]


def _lock(loc: LakeLocation, table: str) -> FileLock:
    """The writer lock of one table (on object stores: per machine; the Airflow pool is global)."""
    return loc.lock(table, LOCK_TIMEOUT_S)


def clean_staging(root: str | Path | LakeLocation, table: str) -> int:
    """Remove leftover temp files of ``table`` (call while holding its lock); returns count."""
    return _root(root).clean_scratch(f"{table}-")


_fsync_dir = fsync_dir


def write_atomic(table: pa.Table, path: str, root: str | Path | LakeLocation, name: str) -> None:
    """Write a Parquet file all-or-nothing (temp file + ``os.replace``, or one object upload)."""
    def write(sink: Any) -> None:
        """Serialise the table into ``sink``."""
        pq.write_table(table, sink, coerce_timestamps="us", allow_truncated_timestamps=True,
                       compression="zstd")

    _root(root).write_atomic(str(path), write, name)


def remove_partition(path: str, table_dir: str, root: str | Path | LakeLocation) -> None:
    """Delete a partition file and its now-empty directories."""
    _root(root).delete(str(path), keep=str(table_dir))


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """A table with exactly ``schema``'s columns, types and metadata (missing columns null)."""
    columns = []
    for fld in schema:
        if fld.name in table.column_names:
            columns.append(table.column(fld.name).cast(fld.type))
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


def merge_partition(path: str, new: pa.Table, remove_ids: set[str], spec: TableSpec,
                    root: str | Path | LakeLocation, present: bool | None = None
                    ) -> PartitionResult:
    """Merge new rows into one partition file and drop ``remove_ids``; rewrite only on change."""
    loc = _root(root)
    day, source = _parts(path)
    result = PartitionResult(day, source)
    existing = read_partition(path, spec, loc, present)
    existing_ids = existing.column(spec.key).to_pylist()
    removed = {i for i in existing_ids if i in remove_ids}
    wanted = set(new.column(spec.key).to_pylist())
    positions = {i: n for n, i in enumerate(existing_ids) if i in wanted and i not in removed}
    old_rows = existing.take(list(positions.values())).to_pylist() if positions else []
    old_by_id = dict(zip(positions, old_rows, strict=True))
    # Only rows whose key is already stored need a row-by-row comparison; inserts stay columnar.
    new_ids = new.column(spec.key).to_pylist()
    matched = [n for n, i in enumerate(new_ids) if i in old_by_id]
    matched_rows = new.take(pa.array(matched, pa.int64())).to_pylist() if matched else []
    updates: dict[int, dict[str, Any]] = {}
    replaced: set[str] = set()
    for n, row in zip(matched, matched_rows, strict=True):
        old = old_by_id[row[spec.key]]
        row = keep_sticky(old, row, spec)
        if not spec.updates or _content(old, spec) == _content(row, spec):
            result.unchanged += 1
            continue
        result.updated += 1
        replaced.add(row[spec.key])
        updates[n] = row
    result.inserted = len(new_ids) - len(matched)
    take = [n for n, i in enumerate(new_ids) if i not in old_by_id or n in updates]
    sticky_values = {c: new.column(c).to_pylist() for c in spec.sticky}
    taken = [updates.get(n) or {c: sticky_values[c][n] for c in spec.sticky} for n in take]
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
        remove_partition(path, str(PurePosixPath(path).parents[2]), loc)
    else:
        write_atomic(_sort(merged, spec), path, loc, spec.name)
    return result


def _partition_groups(df: pd.DataFrame, loc: LakeLocation, table: str
                      ) -> dict[str, pd.DataFrame]:
    """Rows grouped by partition path; every path is checked before anything is written."""
    if df.empty:
        return {}
    days = [check_date(d) for d in df["date"]]
    sources = [check_source(s) for s in df["source"]]
    checked = {(d, s): partition_key(loc, table, d, s) for d, s in set(zip(days, sources,
                                                                           strict=True))}
    keyed = df.assign(_path=[checked[d, s] for d, s in zip(days, sources, strict=True)])
    return {str(p): group.drop(columns="_path") for p, group in keyed.groupby("_path", sort=True)}


def _moved_ids(loc: LakeLocation, stored: list[str], groups: dict[str, pd.DataFrame],
               spec: TableSpec) -> dict[str, set[str]]:
    """Ids of the batch that sit in another date partition of the same source (to remove)."""
    target: dict[str, dict[str, str]] = {}
    for path, group in groups.items():
        source = _parts(path)[1]
        for key in group[spec.key]:
            target.setdefault(source, {})[key] = path
    by_source: dict[str, list[str]] = {}
    for existing in stored:
        by_source.setdefault(_parts(existing)[1], []).append(existing)
    moved: dict[str, set[str]] = {}
    for source, ids in target.items():
        for existing in by_source.get(source, []):
            with loc.open_input(existing) as handle:
                keys = pq.ParquetFile(handle).read(columns=[spec.key]).column(spec.key)
            found = pc.is_in(keys, value_set=pa.array(list(ids), type=pa.string()))
            for key in pc.filter(keys, found).to_pylist():
                if ids[key] != existing:
                    moved.setdefault(existing, set()).add(key)
    return moved


def _prepare(df: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """Check columns, derive a missing ``date`` and keep the last row per key."""
    df = df.copy()
    for name in sorted((spec.sticky | spec.optional) - set(df.columns)):
        df[name] = None
    if "date" not in df and "published_at" in df:
        import pandas as pd

        df["date"] = pd.to_datetime(df["published_at"], utc=True).dt.date
    missing = [c for c in [*spec.schema.names, "date", "source"] if c not in df]
    if missing:
        raise ValueError(f"{spec.name}: missing columns {missing}")
    return df.drop_duplicates(spec.key, keep="last")


def merge_table(df: pd.DataFrame, spec: TableSpec, root: str | Path | LakeLocation | None = None
                ) -> MergeResult:
    """Merge rows into a lake table partition by partition, under the table's lock."""
    loc = _root(root)
    result = MergeResult(spec.name)
    df = _prepare(df, spec)
    groups = _partition_groups(df, loc, spec.name)
    if not groups:
        return result
    with _lock(loc, spec.name):
        clean_staging(loc, spec.name)
        stored: list[str] | None = None
        moved: dict[str, set[str]] = {}
        if spec.moves:  # one listing of the table serves the move check and the reads
            stored = partition_files(loc, spec.name)
            moved = _moved_ids(loc, stored, groups, spec)
        present = set(stored) if stored is not None else None
        empty = spec.schema.empty_table()
        for path in sorted(set(groups) | set(moved)):
            # Convert one partition at a time: peak memory stays near one partition, not the batch.
            group = groups.pop(path, None)
            new = to_arrow(group, spec) if group is not None else empty
            result.partitions.append(merge_partition(
                path, new, moved.get(path, set()), spec, loc,
                None if present is None else path in present))
    return result


def merge_articles(df: pd.DataFrame, root: str | Path | LakeLocation | None = None
                   ) -> MergeResult:
    """Merge article rows (ARTICLE_COLUMNS + ``date``) into ``<root>/articles``."""
    return merge_table(df, ARTICLES, root)


def merge_quarantine(df: pd.DataFrame, root: str | Path | LakeLocation | None = None
                     ) -> MergeResult:
    """Merge quarantine rows (QUARANTINE_COLUMNS + ``date``) into ``<root>/quarantine``."""
    return merge_table(df, QUARANTINE, root)


def partition_files(root: str | Path | LakeLocation, table: str,
                    dates: Iterable[Any] | None = None, sources: Iterable[str] | None = None
                    ) -> list[str]:
    """Partition files of a table, pruned by dates and sources from their paths only.

    With ``dates`` only those ``date=`` prefixes are listed (one LIST each on an object store).
    """
    loc = _root(root)
    wanted_days = {check_date(d) for d in dates} if dates is not None else None
    wanted_sources = {check_source(s) for s in sources} if sources is not None else None
    table_dir = loc.join(table)
    if wanted_days is None:
        found = loc.list_files(table_dir, f"date=*/source=*/{PART_FILE}")
    else:
        found = [path for day in sorted(wanted_days)
                 for path in loc.list_files(loc.join(table, f"date={day}"),
                                            f"source=*/{PART_FILE}")]
    files = []
    for path in sorted(found):
        day, source = _parts(path)
        if not SAFE_DATE.match(day) or not SAFE_SOURCE.match(source):
            continue
        if wanted_days is not None and day not in wanted_days:
            continue
        if wanted_sources is not None and source not in wanted_sources:
            continue
        files.append(path)
    return files


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
    loc = _root(root)
    table_dir = loc.join(spec.name)
    table_columns = ARTICLE_COLUMNS if spec is ARTICLES else QUARANTINE_COLUMNS
    schema = dataset_schema(table_columns)
    names = [*(c.name for c in table_columns), "date"]
    if columns is not None:
        wanted = set(columns)
        unknown = wanted - set(names)
        if unknown:
            raise ValueError(f"{spec.name}: unknown columns {sorted(unknown)}")
        names = [n for n in names if n in wanted]
    files = partition_files(loc, spec.name, dates, sources)
    if files:
        dataset = ds.dataset(files, schema=schema, format="parquet", filesystem=loc.fs,
                             partitioning=PARTITIONING, partition_base_dir=table_dir)
        table = dataset.to_table(columns=names)
    else:
        table = pa.schema([schema.field(n) for n in names]).empty_table()
    return table.select(names), names


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


def merge_run_reports(df: pd.DataFrame, root: str | Path | LakeLocation | None = None
                      ) -> MergeResult:
    """Merge run-report rows (RUN_REPORT_COLUMNS) into ``<root>/run_reports``, one per day+source.

    A partition's rows from other runs are removed, so re-running a day replaces its rows; an
    identical re-merge leaves the file untouched.
    """
    loc = _root(root)
    spec = RUN_REPORTS
    result = MergeResult(spec.name)
    missing = [c for c in [*spec.schema.names, "date", "source"] if c not in df]
    if missing:
        raise ValueError(f"{spec.name}: missing columns {missing}")
    df = df.drop_duplicates(["date", "source"], keep="last")  # run_id repeats across sources
    groups = _partition_groups(df, loc, spec.name)
    if not groups:
        return result
    with _lock(loc, spec.name):
        clean_staging(loc, spec.name)
        for path, group in groups.items():
            new = to_arrow(group, spec)
            run_id = new.column(spec.key)[0].as_py()
            stored = read_partition(path, spec, loc).column(spec.key).to_pylist()
            stale = {i for i in stored if i != run_id}
            result.partitions.append(merge_partition(path, new, stale, spec, loc))
    return result


def read_run_reports(root: str | Path | LakeLocation | None = None,
                     dates: Iterable[Any] | None = None, sources: Iterable[str] | None = None
                     ) -> pd.DataFrame:
    """Run-report rows (RUN_REPORT_COLUMNS), optionally only some dates/sources."""
    loc = _root(root)
    files = partition_files(loc, RUN_REPORTS.name, dates, sources)
    if not files:
        frame = RUN_REPORTS.schema.empty_table().to_pandas()
        frame["date"] = frame["date"].astype(object)
        return frame
    dataset = ds.dataset(files, schema=RUN_REPORTS.schema, format="parquet", filesystem=loc.fs)
    return dataset.to_table().to_pandas()
