"""The only module that reads and writes the Parquet lake.

Layout: ``<root>/<table>/date=YYYY-MM-DD/source=<id>/part-0.parquet`` for the ``articles`` and
``quarantine`` tables.  Writes merge partition by partition under a file lock: existing rows stay
untouched unless their content changed, files whose partition did not change are not rewritten,
and every write is all-or-nothing: on a local lake a temp file in ``<root>/_staging/`` followed by
``os.replace``, on an object store (``NEWSFLOW_LAKE=s3://bucket/prefix``) one upload of the final
object (see ``transforms.storage``).
An article whose date changed leaves its old partition: the writer finds it through its key
index (``<root>/_index/``, see ``transforms.lakeindex``: two small files per source), not by
reading every stored partition, so a merge's cost does not grow with the days stored.
A rewritten partition is always written with the current schema (columns an older file lacks
become null).  ``story_id`` is sticky: a stored non-null value is kept, and a
new value alone only counts as a change when the stored one is null.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from transforms.lakeindex import DELTA_SUFFIX, INDEX_DIR, KEYS_SUFFIX, STATE_SUFFIX, KeyIndex
from transforms.lease import Lease
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
from transforms.source_ids import PARTITION_SOURCE
from transforms.storage import LAKE_ENV as LAKE_ENV
from transforms.storage import LOCKS_DIR as LOCKS_DIR
from transforms.storage import STAGING_DIR as STAGING_DIR
from transforms.storage import LakeLocation, configured_root, fsync_dir

if TYPE_CHECKING:  # pandas and pyarrow.dataset (which imports pandas) are imported where used,
    import pandas as pd  # so a crawl process that only reads a few keys stays light

PART_FILE = "part-0.parquet"
LOCK_TIMEOUT_S = 3600.0
SAFE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


RUN_REPORTS_LAYOUT = "run_reports.layout.json"
"""Marker in ``_index/``: every run_reports file keeps date and source in its path only."""


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
    if not isinstance(value, str) or not PARTITION_SOURCE.match(value):
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


def _lock(loc: LakeLocation, table: str) -> Lease:
    """The writer lease of one table, on every machine (waits up to ``LOCK_TIMEOUT_S``)."""
    return loc.lock(table, LOCK_TIMEOUT_S)


def clean_staging(root: str | Path | LakeLocation, table: str) -> int:
    """Remove leftover temp files of ``table`` (hold its lock); return how many."""
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


def _nested(kind: pa.DataType) -> bool:
    """True for list, map and struct types (``pc.equal`` has no kernel for them)."""
    return pa.types.is_nested(kind)


_COMPARE_FIRST = ("content_hash", "title", "modified_at")  # columns that usually tell changes


def _rows_equal(old: pa.Table, old_rows: pa.Array, new: pa.Table, new_rows: pa.Array,
                spec: TableSpec) -> np.ndarray:
    """Per pair of rows: does ``new[new_rows]`` hold the content of ``old[old_rows]``?

    Bookkeeping columns are ignored.  Same answer as comparing the rows as Python values: flat
    columns are compared with Arrow (two nulls are equal, NaN is not), nested ones (lists, maps)
    as Python values; each column only while some row is still equal.
    """
    same = np.ones(len(new_rows), dtype=bool)
    names = [n for n in spec.schema.names if n not in spec.ignored_on_compare]
    names.sort(key=lambda n: (_nested(spec.schema.field(n).type),
                              _COMPARE_FIRST.index(n) if n in _COMPARE_FIRST else 99))
    for name in names:
        rows = np.flatnonzero(same)
        if not len(rows):
            break
        picked = None if len(rows) == len(same) else pa.array(rows)
        left_rows = old_rows if picked is None else pc.take(old_rows, picked)
        right_rows = new_rows if picked is None else pc.take(new_rows, picked)
        a = old.column(name).take(left_rows)
        b = new.column(name).take(right_rows)
        if _nested(a.type):
            equal = [x == y for x, y in zip(a.to_pylist(), b.to_pylist(), strict=True)]
        elif a.null_count == 0 and b.null_count == 0:
            equal = pc.equal(a, b).to_numpy(zero_copy_only=False)
        else:
            equal = pc.or_(pc.fill_null(pc.equal(a, b), False),
                           pc.and_(pc.is_null(a), pc.is_null(b))).to_numpy(zero_copy_only=False)
        same[rows] = equal
    return same


def merge_partition(path: str, new: pa.Table, remove_ids: set[str], spec: TableSpec,
                    root: str | Path | LakeLocation, present: bool | None = None,
                    existing: pa.Table | None = None) -> PartitionResult:
    """Merge new rows into one partition file and drop ``remove_ids``; rewrite only on change.

    ``new`` has the table schema and unique keys; ``existing`` is the partition as stored, when
    the caller has already read it.  Matching, comparing and the sticky columns are computed
    column by column with Arrow (unchanged rows never become Python objects), and the rewritten
    file is one ``take`` (kept rows in sort order) of the stored and new rows.
    """
    return _merge_keys(path, new, remove_ids, spec, _root(root), present, existing)[0]


def _merge_keys(path: str, new: pa.Table, remove_ids: set[str], spec: TableSpec,
                loc: LakeLocation, present: bool | None = None,
                existing: pa.Table | None = None, key_index: KeyIndex | None = None
                ) -> tuple[PartitionResult, pa.Array]:
    """``merge_partition``, and the keys the partition holds afterwards.

    With ``key_index``, the merge is recorded in it: marked pending before the partition is
    written, and the partition's final keys.
    """
    day, source = _parts(path)
    result = PartitionResult(day, source)
    if existing is None:
        existing = read_partition(path, spec, loc, present)
    stored = existing.num_rows
    key_type = spec.schema.field(spec.key).type
    existing_ids = existing.column(spec.key)
    if remove_ids and stored:
        gone = pc.is_in(existing_ids, value_set=pa.array(sorted(remove_ids), key_type))
    else:
        gone = pa.array(np.zeros(stored, dtype=bool))
    removed = set(pc.filter(existing_ids, gone).to_pylist())
    # Each new row's stored position: the last stored row with its key that is not removed.
    candidates = pc.if_else(gone, pa.scalar(None, key_type), existing_ids)
    backwards = pc.take(candidates, pa.array(np.arange(stored - 1, -1, -1, dtype=np.int64)))
    found = pc.index_in(new.column(spec.key), value_set=backwards, skip_nulls=True)
    position = pc.subtract(stored - 1, found)  # null where the key is not stored
    matched = pc.indices_nonzero(pc.is_valid(found))
    for name in sorted(spec.sticky):  # a stored non-null value wins over the new one
        index = new.schema.get_field_index(name)
        kept = pc.coalesce(existing.column(name).take(position), new.column(name))
        new = new.set_column(index, new.schema.field(name), kept)
    for name in sorted(spec.unions):
        new = _union_column(new, name, existing.column(name).take(position))
    changed = np.zeros(new.num_rows, dtype=bool)
    if spec.updates and len(matched):
        same = _rows_equal(existing, pc.take(position, matched), new, matched, spec)
        changed[matched.to_numpy()] = ~same
    result.updated = int(changed.sum())
    result.unchanged = len(matched) - result.updated
    result.inserted = new.num_rows - len(matched)
    result.removed = len(removed)
    result.rows = stored - len(removed) + result.inserted
    if not (result.inserted or result.updated or result.removed):
        if key_index is not None:
            key_index.record(day, source, existing_ids)
        return result, existing_ids
    # Stored rows stay unless removed or replaced; new rows go in when inserted or changed.
    replaced = pc.filter(new.column(spec.key), pa.array(changed))
    drop = pc.or_(gone, pc.is_in(existing_ids, value_set=replaced))
    keep = pa.chunked_array([pc.invert(drop), pc.or_(pc.is_null(found), pa.array(changed))],
                            pa.bool_())
    both = pa.concat_tables([existing, new]).combine_chunks()  # take on one chunk is faster
    rows = pc.indices_nonzero(keep)
    result.written = True
    if key_index is not None:
        key_index.mark_pending()
    if len(rows) == 0:
        remove_partition(path, str(PurePosixPath(path).parents[2]), loc)
        final = pa.array([], key_type)
    else:
        order = pc.sort_indices(both.select(list(spec.sort_keys)).take(rows),
                                sort_keys=[(name, "ascending") for name in spec.sort_keys])
        merged = both.take(pc.take(rows, order))
        write_atomic(merged, path, loc, spec.name)
        final = merged.column(spec.key).combine_chunks()
    if key_index is not None:
        key_index.record(day, source, final)
    return result, final


def union_lists(stored: list[str] | None, new: list[str] | None) -> list[str] | None:
    """Both lists' values, sorted, once each; None only when both are None."""
    if stored is None or new is None:
        return new if stored is None else stored
    return sorted(set(stored) | set(new))


def _union_column(new: pa.Table, name: str, stored: pa.Array | pa.ChunkedArray) -> pa.Table:
    """``new`` with column ``name`` holding, per row, the union of its value and ``stored``'s
    (the stored row of the same key, null when there is none)."""
    if stored.null_count == len(stored):
        return new
    field_ = new.schema.field(name)
    merged = [union_lists(a, b) for a, b in zip(stored.to_pylist(),
                                                new.column(name).to_pylist(), strict=True)]
    return new.set_column(new.schema.get_field_index(name), field_,
                          pa.array(merged, field_.type))


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


def index_location(loc: LakeLocation, table: str, source: str | None = None,
                   suffix: str = KEYS_SUFFIX) -> str:
    """Path of ``table``'s index state, or of one source's index file, checked to stay inside.

    ``suffix`` names the file of the source: ``KEYS_SUFFIX`` (its base) or ``DELTA_SUFFIX``.
    """
    if source is None:
        return loc.join(INDEX_DIR, f"{table}{STATE_SUFFIX}")
    if suffix not in (KEYS_SUFFIX, DELTA_SUFFIX):
        raise ValueError(f"not an index file suffix: {suffix!r}")
    key = loc.join(INDEX_DIR, f"source={check_source(source)}", f"{table}{suffix}")
    if loc.local and not loc.local_path(key).resolve().is_relative_to(
            loc.local_path(loc.join(INDEX_DIR)).resolve()):
        raise ValueError(f"index path {key} escapes {loc.join(INDEX_DIR)}")
    return key


def _stored_by_source(loc: LakeLocation, table: str) -> dict[str, list[tuple[str, str]]]:
    """Every partition file of ``table``, per source as ``(date, path)`` (one listing)."""
    found: dict[str, list[tuple[str, str]]] = {}
    for path in partition_files(loc, table):
        day, source = _parts(path)
        found.setdefault(source, []).append((day, path))
    return found


def _key_index(loc: LakeLocation, spec: TableSpec, sources: Iterable[str]) -> KeyIndex:
    """The key index of ``spec``'s table, loaded for ``sources`` (hold the table's lock)."""
    index = KeyIndex(loc, spec.name, spec.key, index_location(loc, spec.name),
                     lambda source, suffix: index_location(loc, spec.name, source, suffix),
                     lambda: _stored_by_source(loc, spec.name))
    return index.open(sources)


def rebuild_index(root: str | Path | LakeLocation | None = None, spec: TableSpec | None = None
                  ) -> int:
    """Rebuild a table's key index from its partitions (after writing partitions by hand).

    Takes the table's lock; returns the number of sources indexed.
    """
    loc = _root(root)
    spec = spec or ARTICLES
    with _lock(loc, spec.name):
        loc.delete(index_location(loc, spec.name))
        index = _key_index(loc, spec, [])
        return len(index.sources)


def _moved_paths(loc: LakeLocation, spec: TableSpec, index: KeyIndex, targets: pa.Table
                 ) -> dict[str, set[str]]:
    """Partition path -> ids of the batch stored there though their date is another one."""
    return {partition_key(loc, spec.name, day, source): keys
            for (day, source), keys in index.moved(targets).items()}


def _targets(keys: pa.Array | pa.ChunkedArray, paths: list[str], numbers: pa.Array
             ) -> pa.Table:
    """Batch keys with the source and date of their partition (``numbers`` index ``paths``)."""
    parts = [_parts(path) for path in paths]
    days = pa.array([d for d, _ in parts], pa.string()).cast(pa.date32())
    sources = pa.array([s for _, s in parts], pa.string())
    return pa.table({"key": keys.cast(pa.string()), "source": pc.take(sources, numbers),
                     "date": pc.take(days, numbers)})


def _present(loc: LakeLocation, table: str, paths: Iterable[str]) -> set[str]:
    """Which of ``paths`` exist: one listing per date among them (not of the whole table)."""
    paths = set(paths)
    days = {_parts(path)[0] for path in paths}
    return set(partition_files(loc, table, dates=days)) & paths


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
    """Merge rows into a lake table partition by partition, under the table's lock.

    The batch is one DataFrame; each partition is converted to Arrow only when it is merged.
    """
    loc = _root(root)
    result = MergeResult(spec.name)
    df = _prepare(df, spec)
    groups = _partition_groups(df, loc, spec.name)
    if not groups:
        return result
    with _lock(loc, spec.name):
        clean_staging(loc, spec.name)
        index: KeyIndex | None = None
        moved: dict[str, set[str]] = {}
        present: set[str] | None = None
        if spec.moves:  # the key index tells where the batch's keys are stored
            paths = list(groups)
            index = _key_index(loc, spec, {_parts(path)[1] for path in paths})
            numbers = pa.array(np.repeat(np.arange(len(paths), dtype=np.int32),
                                         [len(g) for g in groups.values()]))
            keys = pa.array([k for g in groups.values() for k in g[spec.key]], pa.string())
            moved = _moved_paths(loc, spec, index, _targets(keys, paths, numbers))
            present = _present(loc, spec.name, set(groups) | set(moved))
        empty = spec.schema.empty_table()
        for path in sorted(set(groups) | set(moved)):
            # Convert one partition at a time: peak memory stays near one partition, not the batch.
            group = groups.pop(path, None)
            new = to_arrow(group, spec) if group is not None else empty
            result.partitions.append(_merge_keys(
                path, new, moved.get(path, set()), spec, loc,
                None if present is None else path in present, key_index=index)[0])
        if index is not None:
            index.commit()
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
        if not SAFE_DATE.match(day) or not PARTITION_SOURCE.match(source):
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
    loc = _root(root)
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


def merge_run_reports(df: pd.DataFrame, root: str | Path | LakeLocation | None = None
                      ) -> MergeResult:
    """Merge run-report rows (RUN_REPORT_COLUMNS) into ``<root>/run_reports``, one per day+source.

    A partition's rows from other runs are removed, so re-running a day replaces its rows; an
    identical re-merge leaves the file untouched.  The first merge on a lake written before
    date and source left the files migrates its old files (see :func:`migrate_run_reports`).
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
        _migrate_run_reports(loc)
        for path, group in groups.items():
            new = to_arrow(group, spec)
            run_id = new.column(spec.key)[0].as_py()
            stored = read_partition(path, spec, loc).column(spec.key).to_pylist()
            stale = {i for i in stored if i != run_id}
            result.partitions.append(merge_partition(path, new, stale, spec, loc))
    return result


def migrate_run_reports(root: str | Path | LakeLocation | None = None) -> int:
    """Rewrite run_reports files that store ``date`` and ``source`` inside (written before
    they moved to the path only), under the table's lock; return how many were rewritten."""
    loc = _root(root)
    with _lock(loc, RUN_REPORTS.name):
        clean_staging(loc, RUN_REPORTS.name)
        return _migrate_run_reports(loc)


def _migrate_run_reports(loc: LakeLocation) -> int:
    """``migrate_run_reports`` under the held lock; once per lake (a marker in ``_index/``
    records it), so later writes do not open every stored file."""
    marker = loc.join(INDEX_DIR, RUN_REPORTS_LAYOUT)
    if loc.exists(marker):
        return 0
    partition_names = {c.name for c in PARTITION_COLUMNS}
    rewritten = 0
    for path in partition_files(loc, RUN_REPORTS.name):
        with loc.open_input(path) as handle:
            parquet = pq.ParquetFile(handle)
            if not partition_names & set(parquet.schema_arrow.names):
                continue
            table = parquet.read()
        write_atomic(conform(table, RUN_REPORTS.schema), path, loc, RUN_REPORTS.name)
        rewritten += 1
    loc.write_bytes(marker, b'{"partition_columns_in_files": false}\n', RUN_REPORTS.name)
    return rewritten


def read_run_reports(root: str | Path | LakeLocation | None = None,
                     dates: Iterable[Any] | None = None, sources: Iterable[str] | None = None
                     ) -> pd.DataFrame:
    """Run-report rows (RUN_REPORT_COLUMNS), optionally only some dates/sources.

    ``date`` and ``source`` come from the path, in files of either layout.
    """
    return read_table(RUN_REPORTS, root, dates, sources)
