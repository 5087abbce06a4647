"""Merging rows into lake tables partition by partition, under each table's writer lock.

The third layer of ``transforms.lake`` (over ``paths``, ``files`` and ``layout``). Existing rows
stay untouched unless their content changed, files whose partition did not change are not
rewritten, and an article whose date changed leaves its old partition: the writer finds it
through the key index (``transforms.lakeindex``), not by reading every stored partition.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from transforms.lake.files import (
    clean_staging,
    read_partition,
    remove_partition,
    to_arrow,
    write_atomic,
    writer_lock,
)
from transforms.lake.layout import migrate_layout
from transforms.lake.paths import (
    check_date,
    check_source,
    index_location,
    location,
    partition_files,
    partition_key,
    partition_of,
)
from transforms.lakeindex import KeyIndex
from transforms.schema import ARTICLES, QUARANTINE, RUN_REPORTS, TableSpec
from transforms.storage import LakeLocation

if TYPE_CHECKING:
    import pandas as pd


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
    return _merge_keys(path, new, remove_ids, spec, location(root), present, existing)[0]


def _merge_keys(path: str, new: pa.Table, remove_ids: set[str], spec: TableSpec,
                loc: LakeLocation, present: bool | None = None,
                existing: pa.Table | None = None, key_index: KeyIndex | None = None
                ) -> tuple[PartitionResult, pa.Array]:
    """``merge_partition``, and the keys the partition holds afterwards.

    With ``key_index``, the merge is recorded in it: marked pending before the partition is
    written, and the partition's final keys.
    """
    day, source = partition_of(path)
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


def _stored_by_source(loc: LakeLocation, table: str) -> dict[str, list[tuple[str, str]]]:
    """Every partition file of ``table``, per source as ``(date, path)`` (one listing)."""
    found: dict[str, list[tuple[str, str]]] = {}
    for path in partition_files(loc, table):
        day, source = partition_of(path)
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
    loc = location(root)
    spec = spec or ARTICLES
    with writer_lock(loc, spec.name):
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
    parts = [partition_of(path) for path in paths]
    days = pa.array([d for d, _ in parts], pa.string()).cast(pa.date32())
    sources = pa.array([s for _, s in parts], pa.string())
    return pa.table({"key": keys.cast(pa.string()), "source": pc.take(sources, numbers),
                     "date": pc.take(days, numbers)})


def _present(loc: LakeLocation, table: str, paths: Iterable[str]) -> set[str]:
    """Which of ``paths`` exist: one listing per date among them (not of the whole table)."""
    paths = set(paths)
    days = {partition_of(path)[0] for path in paths}
    return set(partition_files(loc, table, dates=days)) & paths


def _prepare(df: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """Check columns, derive a missing ``date`` and keep the last row per key (per partition
    when the table keeps one row per partition)."""
    df = df.copy()
    for name in sorted((spec.sticky | spec.optional) - set(df.columns)):
        df[name] = None
    if "date" not in df and "published_at" in df:
        import pandas as pd

        df["date"] = pd.to_datetime(df["published_at"], utc=True).dt.date
    missing = [c for c in [*spec.schema.names, "date", "source"] if c not in df]
    if missing:
        raise ValueError(f"{spec.name}: missing columns {missing}")
    unique = ["date", "source"] if spec.replaces_partition else spec.key
    return df.drop_duplicates(unique, keep="last")


def merge_table(df: pd.DataFrame, spec: TableSpec, root: str | Path | LakeLocation | None = None
                ) -> MergeResult:
    """Merge rows into a lake table partition by partition, under the table's lock.

    The batch is one DataFrame; each partition is converted to Arrow only when it is merged.
    """
    loc = location(root)
    result = MergeResult(spec.name)
    df = _prepare(df, spec)
    groups = _partition_groups(df, loc, spec.name)
    if not groups:
        return result
    with writer_lock(loc, spec.name):
        clean_staging(loc, spec.name)
        migrate_layout(loc, spec.name)
        index: KeyIndex | None = None
        moved: dict[str, set[str]] = {}
        present: set[str] | None = None
        if spec.moves:  # the key index tells where the batch's keys are stored
            paths = list(groups)
            index = _key_index(loc, spec, {partition_of(path)[1] for path in paths})
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
            remove = moved.get(path, set())
            existing = None
            if spec.replaces_partition:  # the partition's rows of other keys go
                existing = read_partition(path, spec, loc)
                remove = set(existing.column(spec.key).to_pylist()) - set(
                    new.column(spec.key).to_pylist())
            result.partitions.append(_merge_keys(
                path, new, remove, spec, loc, None if present is None else path in present,
                existing=existing, key_index=index)[0])
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


def merge_run_reports(df: pd.DataFrame, root: str | Path | LakeLocation | None = None
                      ) -> MergeResult:
    """Merge run-report rows (RUN_REPORT_COLUMNS) into ``<root>/run_reports``, one per day+source.

    An ordinary ``merge_table``: the spec keeps one row per partition, so re-running a day
    replaces its rows; an identical re-merge leaves the file untouched.
    """
    return merge_table(df, RUN_REPORTS, root)
