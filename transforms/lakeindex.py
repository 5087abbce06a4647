"""The writer's key index of a lake table: which date partitions of a source hold each key.

A merge must remove an article from its old date partition when its date changes.  Instead of
reading the key column of every stored partition, the writer keeps, per source, one small
Parquet file of ``(key, date)`` pairs and a table-wide state object::

    <root>/_index/source=<id>/<table>.keys.parquet   key: string, date: date32 (sorted)
    <root>/_index/<table>.state.json                 {"format": 1, "sources": [...],
                                                      "pending": [...]}

Both are read and written only under the table's writer lock, each write all-or-nothing
(``LakeLocation.write_atomic``).  A merge reads the state and the key files of its batch's
sources (one object each), so its cost does not depend on how many days are stored.

How a stale index is found and rebuilt from the partitions (reading their key columns):

- no state, an unreadable one or another format: the whole index is rebuilt (a lake written
  before the index existed, or an index someone deleted);
- ``pending`` lists the sources of a merge that changed partitions but did not finish writing
  their key files (it was killed): those sources are rebuilt.  The writer records ``pending``
  before its first partition write and clears it after the last key file;
- a key file that ``sources`` lists but is missing or unreadable: that source is rebuilt;
- every partition a merge reads is re-indexed from its actual keys, so those entries are exact
  whatever the index said before.

A partition written or deleted by something other than the lake's writer (by hand) is not
noticed until a merge touches it: call :func:`transforms.lake.rebuild_index` after such a change.
This module builds no path from stored text: the lake passes the checked paths.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from transforms.storage import LakeLocation

INDEX_DIR = "_index"
KEYS_SUFFIX = ".keys.parquet"
STATE_SUFFIX = ".state.json"
FORMAT = 1
INDEX_SCHEMA = pa.schema([pa.field("key", pa.string(), nullable=False),
                          pa.field("date", pa.date32(), nullable=False)])
READ_THREADS = 8  # key files are read in parallel (object-store latency, not CPU)

log = logging.getLogger(__name__)

Stored = Callable[[], dict[str, list[tuple[str, str]]]]
"""Lists the table: per source, its ``(date, partition path)`` pairs (called only to rebuild)."""


@dataclass
class IndexStats:
    """What opening and committing the index cost: for logs, tests and the bench."""

    read: int = 0
    rebuilt: list[str] = field(default_factory=list)
    written: int = 0
    full_rebuild: bool = False


def read_keys(loc: LakeLocation, path: str, key: str) -> pa.Array:
    """The key column of one partition file, as strings."""
    with loc.open_input(path) as handle:
        column = pq.ParquetFile(handle).read(columns=[key]).column(key)
    return column.cast(pa.string()).combine_chunks()


def _day_number(day: str) -> int:
    """Days since 1970-01-01 of a ``YYYY-MM-DD`` date."""
    return int(np.datetime64(day, "D").astype(np.int64))


def _pairs(keys: pa.Array, day: str) -> pa.Table:
    """Index rows of one partition: its keys, each with the partition's date."""
    days = pa.array(np.full(len(keys), _day_number(day), dtype=np.int32)).cast(pa.date32())
    return pa.Table.from_arrays([keys.cast(pa.string()), days], schema=INDEX_SCHEMA)


def _sorted(table: pa.Table) -> pa.Table:
    """Index rows in (date, key) order, one chunk (equal content gives an equal table)."""
    order = pc.sort_indices(table, sort_keys=[("date", "ascending"), ("key", "ascending")])
    return table.take(order).combine_chunks()


class KeyIndex:
    """The key index of one table, opened by one merge that holds the table's writer lock.

    ``keys_path(source)`` is the checked path of a source's key file, ``state_path`` the path
    of the state object, ``key`` the table's key column, ``stored`` lists the table's partitions
    (only called when something must be rebuilt).
    """

    def __init__(self, loc: LakeLocation, table: str, key: str, state_path: str,
                 keys_path: Callable[[str], str], stored: Stored) -> None:
        self.loc = loc
        self.table = table
        self.key = key
        self.state_path = state_path
        self.keys_path = keys_path
        self._stored_fn = stored
        self._stored: dict[str, list[tuple[str, str]]] | None = None
        self.sources: set[str] = set()
        self.pending: set[str] = set()
        self.entries: dict[str, pa.Table] = {}  # source -> its index rows as loaded
        self.changed: dict[str, dict[str, pa.Array]] = {}  # source -> date -> final keys
        self.stats = IndexStats()
        self._marked = False

    # -- opening --------------------------------------------------------------------------

    def open(self, sources: Iterable[str]) -> KeyIndex:
        """Load the index of ``sources`` (checked ids), rebuilding what is missing or stale."""
        wanted = sorted(set(sources))
        state = self._read_state()
        if state is None:
            self._rebuild_all()
            return self._load(wanted)
        self.sources = set(state["sources"])
        self.pending = set(state["pending"])
        if self.pending:  # a merge died after changing partitions: its sources are stale
            log.warning("%s index: rebuilding %d source(s) an unfinished merge left stale",
                        self.table, len(self.pending))
            self._rebuild(self.pending)
        return self._load(wanted)

    def _read_state(self) -> dict[str, Any] | None:
        """The state object, or None when absent, unreadable or of another format."""
        try:
            raw = self.loc.read_bytes(self.state_path)
        except FileNotFoundError:
            return None
        try:
            state = json.loads(raw)
            ok = (isinstance(state, dict) and state.get("format") == FORMAT
                  and all(isinstance(state.get(n), list) and
                          all(isinstance(s, str) for s in state[n])
                          for n in ("sources", "pending")))
            if ok:  # every name must be a source id the lake accepts as a path
                for name in (*state["sources"], *state["pending"]):
                    self.keys_path(name)
        except ValueError:
            ok = False
        if not ok:
            log.warning("%s index: unreadable state %s, rebuilding the index", self.table,
                        self.state_path)
            return None
        return state

    def _load(self, wanted: list[str]) -> KeyIndex:
        """Read the key files of ``wanted`` sources (absent when not indexed: no rows)."""
        todo = [s for s in wanted if s in self.sources and s not in self.entries]
        if todo:
            with ThreadPoolExecutor(max_workers=min(READ_THREADS, len(todo)),
                                    thread_name_prefix="lake-index") as pool:
                loaded = list(pool.map(self._read_source, todo))
            broken = []
            for source, table in zip(todo, loaded, strict=True):
                if table is None:
                    broken.append(source)
                else:
                    self.entries[source] = table
            if broken:
                log.warning("%s index: %d key file(s) missing or unreadable, rebuilding",
                            self.table, len(broken))
                self._rebuild(broken)
        for source in wanted:
            self.entries.setdefault(source, INDEX_SCHEMA.empty_table())
        return self

    def _read_source(self, source: str) -> pa.Table | None:
        """One source's key file, or None if it is missing or not an index file."""
        path = self.keys_path(source)
        try:
            with self.loc.open_input(path) as handle:
                table = pq.ParquetFile(handle).read()
        except (FileNotFoundError, OSError, pa.ArrowInvalid):
            return None
        if not table.schema.remove_metadata().equals(INDEX_SCHEMA, check_metadata=False):
            try:
                table = table.select(INDEX_SCHEMA.names).cast(INDEX_SCHEMA)
            except (KeyError, pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return None
        self.stats.read += 1
        return table

    def _listing(self) -> dict[str, list[tuple[str, str]]]:
        """The table's partitions per source (listed once per merge, only to rebuild)."""
        if self._stored is None:
            self._stored = self._stored_fn()
        return self._stored

    def _rebuild_all(self) -> None:
        """Rebuild every source's key file from the stored partitions."""
        listing = self._listing()
        if listing:
            log.warning("%s index: building it from %d stored partition(s)", self.table,
                        sum(len(parts) for parts in listing.values()))
        self.stats.full_rebuild = True
        self.sources = set()
        self.pending = set()
        self._rebuild(listing)

    def _rebuild(self, sources: Iterable[str]) -> None:
        """Index rows of ``sources`` from their partitions' key columns (written on commit)."""
        listing = self._listing()
        for source in sorted(set(sources)):
            parts = listing.get(source, [])
            pieces = [_pairs(read_keys(self.loc, path, self.key), day) for day, path in parts]
            table = (pa.concat_tables(pieces) if pieces else INDEX_SCHEMA.empty_table())
            self.entries[source] = _sorted(table)
            self.stats.rebuilt.append(source)
        self._write_sources(sorted(set(sources)))
        self.pending -= set(sources)
        self._write_state()

    # -- the move check -------------------------------------------------------------------

    def moved(self, targets: pa.Table) -> dict[tuple[str, str], set[str]]:
        """Keys of the batch stored in another date of their source: ``(date, source) -> keys``.

        ``targets`` has a row per batch key: ``key`` (string), ``source`` (string) and its
        target ``date`` (date32).  Every indexed date other than the target is returned (an
        interrupted merge may have left a key in two dates).
        """
        found: dict[tuple[str, str], set[str]] = {}
        if targets.num_rows == 0:
            return found
        sources = targets.column("source").combine_chunks().dictionary_encode()
        names = sources.dictionary.to_pylist()
        wanted = pa.table({"key": targets.column("key").cast(pa.string()),
                           "source": sources.indices.cast(pa.int32()),
                           "target": targets.column("date").cast(pa.date32())})
        pieces = []
        for number, name in enumerate(names):
            rows = self.entries.get(name)
            if rows is None or rows.num_rows == 0:
                continue
            pieces.append(rows.append_column(
                "source", pa.repeat(pa.scalar(number, pa.int32()), rows.num_rows)))
        if not pieces:
            return found
        joined = pa.concat_tables(pieces).join(wanted, keys=["key", "source"],
                                               join_type="inner", use_threads=False)
        joined = joined.filter(pc.not_equal(joined.column("date"), joined.column("target")))
        for key, day, number in zip(joined.column("key").to_pylist(),
                                    joined.column("date").cast(pa.string()).to_pylist(),
                                    joined.column("source").to_pylist(), strict=True):
            found.setdefault((day, names[number]), set()).add(key)
        return found

    # -- recording a merge ----------------------------------------------------------------

    def mark_pending(self) -> None:
        """Before the merge's first partition write: record its sources as pending (once)."""
        if self._marked:
            return
        self._marked = True
        self.pending |= set(self.entries)
        self._write_state()

    def record(self, day: str, source: str, keys: pa.Array) -> None:
        """The keys a merged partition of ``source`` on ``day`` now holds (after the merge)."""
        self.changed.setdefault(source, {})[day] = keys.cast(pa.string())

    def commit(self) -> None:
        """Write the key files of changed sources, then the state (no pending sources)."""
        dirty = []
        for source, days in self.changed.items():
            old = self.entries.get(source, INDEX_SCHEMA.empty_table())
            numbers = pa.array([_day_number(d) for d in days], pa.int32()).cast(pa.date32())
            kept = old.filter(pc.invert(pc.is_in(old.column("date"), value_set=numbers)))
            new = _sorted(pa.concat_tables([kept, *(_pairs(k, d) for d, k in days.items())]))
            if source not in self.sources or not new.equals(old):
                self.entries[source] = new
                dirty.append(source)
        self.changed = {}
        self._write_sources(dirty)
        if self._marked or dirty:
            self.pending = set()
            self._write_state()

    def _write_sources(self, sources: list[str]) -> None:
        """Publish the key files of ``sources`` (each atomically)."""
        for source in sources:
            rows = self.entries[source]
            self.loc.write_atomic(self.keys_path(source),
                                  lambda sink, rows=rows: pq.write_table(
                                      rows, sink, compression="zstd"), self.table)
            self.sources.add(source)
            self.stats.written += 1

    def _write_state(self) -> None:
        """Publish the state object."""
        state = {"format": FORMAT, "sources": sorted(self.sources),
                 "pending": sorted(self.pending)}
        self.loc.write_bytes(self.state_path, json.dumps(state).encode(), self.table)
