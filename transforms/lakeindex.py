"""The writer's key index of a lake table: which date partitions of a source hold each key.

A merge must remove an article from its old date partition when its date changes.  Instead of
reading the key column of every stored partition, the writer keeps, per source, two small
Parquet files of ``(hash, date)`` pairs and a table-wide state object::

    <root>/_index/source=<id>/<table>.keys.parquet    the base: hash int64, date date32
    <root>/_index/source=<id>/<table>.delta.parquet   recent dates: hash int64 (null), date
    <root>/_index/<table>.state.json                  {"format": 2, "sources": [...],
                                                       "pending": [...]}

``hash`` is the first 8 bytes of the key's BLAKE2b digest (:func:`key_hashes`), not the key:
8 bytes a stored article whatever the key's length.  Two keys may share a hash; a false match
only makes the merge read a partition that then has nothing to remove (the partition's actual
keys decide), so a collision costs one read, never a wrong row.

The delta holds, for every date it names, that date's complete set of hashes (a date left with
no keys: one row with a null hash); its dates replace the base's.  A merge rewrites the delta
of each source it changed, whose size is its recent changes, and leaves the base alone until
the delta passes ``max(DELTA_MIN_ROWS, DELTA_FRACTION * base rows)``: then the source is
compacted (the base rewritten with the delta folded in, the delta emptied).  So what a merge
reads (the state, two files per batch source) is small, and what it uploads grows with its
batch, not with the days stored, except for the occasional compaction.

Every file is read and written only under the table's writer lock, each write all-or-nothing
(``LakeLocation.write_atomic``).  How a stale index is found and rebuilt from the partitions
(reading their key columns):

- no state, an unreadable one or another format (format 1 stored keys, not hashes): the whole
  index is rebuilt (a lake written before the index existed, or an index someone deleted);
- ``pending`` lists the sources of a merge that changed partitions but did not finish writing
  their index files (it was killed): those sources are rebuilt.  The writer records
  ``pending`` before its first partition write and clears it after the last index file;
- a base or delta that ``sources`` lists but is missing or unreadable: that source is rebuilt;
- every partition a merge reads is re-indexed from its actual keys, so those entries are exact
  whatever the index said before.

A partition written or deleted by something other than the lake's writer (by hand) is not
noticed until a merge touches it: call :func:`transforms.lake.rebuild_index` after such a change.
This module builds no path from stored text: the lake passes the checked paths.
"""

from __future__ import annotations

import hashlib
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
DELTA_SUFFIX = ".delta.parquet"
STATE_SUFFIX = ".state.json"
FORMAT = 2
BASE_SCHEMA = pa.schema([pa.field("hash", pa.int64(), nullable=False),
                         pa.field("date", pa.date32(), nullable=False)])
DELTA_SCHEMA = pa.schema([pa.field("hash", pa.int64()),
                          pa.field("date", pa.date32(), nullable=False)])
DELTA_MIN_ROWS = 4096  # a source's delta is compacted into its base past this many rows ...
DELTA_FRACTION = 0.125  # ... or past this fraction of its base, whichever is larger
READ_THREADS = 8  # index files are read in parallel (object-store latency, not CPU)

log = logging.getLogger(__name__)

Stored = Callable[[], dict[str, list[tuple[str, str]]]]
"""Lists the table: per source, its ``(date, partition path)`` pairs (called only to rebuild)."""
SourcePath = Callable[[str, str], str]
"""The checked path of one source's index file: ``(source, KEYS_SUFFIX or DELTA_SUFFIX)``."""


@dataclass
class IndexStats:
    """What opening and committing the index cost: for logs, tests and the bench."""

    read: int = 0
    rebuilt: list[str] = field(default_factory=list)
    written: int = 0
    compacted: list[str] = field(default_factory=list)
    full_rebuild: bool = False


def key_hashes(keys: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The index hash of each key: its BLAKE2b digest's first 8 bytes as a little-endian int64."""
    values = keys.cast(pa.string()).to_pylist()
    if None in values:
        raise ValueError("a null key cannot be indexed")
    digests = b"".join(hashlib.blake2b(k.encode(), digest_size=8).digest() for k in values)
    return pa.array(np.frombuffer(digests, dtype="<i8").astype(np.int64), pa.int64())


def read_keys(loc: LakeLocation, path: str, key: str) -> pa.Array:
    """The key column of one partition file, as strings."""
    with loc.open_input(path) as handle:
        column = pq.ParquetFile(handle).read(columns=[key]).column(key)
    return column.cast(pa.string()).combine_chunks()


def _day_number(day: str) -> int:
    """Days since 1970-01-01 of a ``YYYY-MM-DD`` date."""
    return int(np.datetime64(day, "D").astype(np.int64))


def _dates(days: Iterable[str]) -> pa.Array:
    """``YYYY-MM-DD`` dates as a date32 array."""
    return pa.array([_day_number(d) for d in days], pa.int32()).cast(pa.date32())


def _pairs(hashes: pa.Array, day: str) -> pa.Table:
    """Index rows of one partition: its key hashes, each with the partition's date."""
    days = pa.array(np.full(len(hashes), _day_number(day), dtype=np.int32)).cast(pa.date32())
    return pa.Table.from_arrays([hashes, days], schema=BASE_SCHEMA)


def _delta_rows(hashes: pa.Array, day: str) -> pa.Table:
    """Delta rows of one date: its hashes, or one null-hash row when it holds no key."""
    if len(hashes) == 0:
        return pa.Table.from_arrays([pa.nulls(1, pa.int64()), _dates([day])],
                                    schema=DELTA_SCHEMA)
    return _pairs(hashes, day).cast(DELTA_SCHEMA)


def _without(rows: pa.Table, days: pa.Array) -> pa.Table:
    """``rows`` whose date is not one of ``days``."""
    if len(days) == 0 or rows.num_rows == 0:
        return rows
    return rows.filter(pc.invert(pc.is_in(rows.column("date"), value_set=days)))


def _effective(base: pa.Table, delta: pa.Table) -> pa.Table:
    """The index rows a base and its delta stand for: the delta's dates replace the base's."""
    if delta.num_rows == 0:
        return base
    kept = _without(base, pc.unique(delta.column("date")))
    fresh = delta.filter(pc.is_valid(delta.column("hash"))).cast(BASE_SCHEMA)
    return pa.concat_tables([kept, fresh])


def _sorted(table: pa.Table) -> pa.Table:
    """Index rows in (date, hash) order, one chunk (dates compress to runs)."""
    order = pc.sort_indices(table, sort_keys=[("date", "ascending"), ("hash", "ascending")])
    return table.take(order).combine_chunks()


def _hashes_on(rows: pa.Table, day: str) -> np.ndarray:
    """The sorted hashes ``rows`` index on ``day``."""
    mine = rows.filter(pc.equal(rows.column("date"), _dates([day])[0]))
    return np.sort(mine.column("hash").to_numpy())


class KeyIndex:
    """The key index of one table, opened by one merge that holds the table's writer lock.

    ``source_path(source, suffix)`` is the checked path of a source's base or delta file,
    ``state_path`` the path of the state object, ``key`` the table's key column, ``stored``
    lists the table's partitions (only called when something must be rebuilt).
    """

    def __init__(self, loc: LakeLocation, table: str, key: str, state_path: str,
                 source_path: SourcePath, stored: Stored) -> None:
        self.loc = loc
        self.table = table
        self.key = key
        self.state_path = state_path
        self.source_path = source_path
        self._stored_fn = stored
        self._stored: dict[str, list[tuple[str, str]]] | None = None
        self.sources: set[str] = set()
        self.pending: set[str] = set()
        self.entries: dict[str, pa.Table] = {}  # source -> its index rows (base + delta)
        self.deltas: dict[str, pa.Table] = {}  # source -> its delta as stored
        self.base_rows: dict[str, int] = {}  # source -> rows of its base as stored
        self.changed: dict[str, dict[str, pa.Array]] = {}  # source -> date -> final hashes
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
                    self.source_path(name, KEYS_SUFFIX)
        except ValueError:
            ok = False
        if not ok:
            log.warning("%s index: unreadable state %s (or an older format), rebuilding the "
                        "index", self.table, self.state_path)
            return None
        return state

    def _load(self, wanted: list[str]) -> KeyIndex:
        """Read the index files of ``wanted`` sources (not indexed yet: no rows)."""
        todo = [s for s in wanted if s in self.sources and s not in self.entries]
        if todo:
            with ThreadPoolExecutor(max_workers=min(READ_THREADS, 2 * len(todo)),
                                    thread_name_prefix="lake-index") as pool:
                bases = [pool.submit(self._read_file, s, KEYS_SUFFIX, BASE_SCHEMA)
                         for s in todo]
                deltas = [pool.submit(self._read_file, s, DELTA_SUFFIX, DELTA_SCHEMA)
                          for s in todo]
                loaded = [(b.result(), d.result()) for b, d in zip(bases, deltas, strict=True)]
            self.stats.read += sum(t is not None for pair in loaded for t in pair)
            broken = []
            for source, (base, delta) in zip(todo, loaded, strict=True):
                if base is None or delta is None:
                    broken.append(source)
                    continue
                self.base_rows[source] = base.num_rows
                self.deltas[source] = delta
                self.entries[source] = _effective(base, delta)
            if broken:
                log.warning("%s index: %d source(s) with a missing or unreadable index file, "
                            "rebuilding", self.table, len(broken))
                self._rebuild(broken)
        for source in wanted:
            self.entries.setdefault(source, BASE_SCHEMA.empty_table())
            self.deltas.setdefault(source, DELTA_SCHEMA.empty_table())
        return self

    def _read_file(self, source: str, suffix: str, schema: pa.Schema) -> pa.Table | None:
        """One index file of a source, or None if it is missing or not such a file.

        Read whole with one streaming GET (no size request, no footer read first), then parsed.
        """
        try:
            raw = self.loc.read_bytes(self.source_path(source, suffix))
            table = pq.read_table(pa.BufferReader(raw))
        except (FileNotFoundError, OSError, pa.ArrowInvalid):
            return None
        if not table.schema.remove_metadata().equals(schema, check_metadata=False):
            try:
                table = table.select(schema.names).cast(schema)
            except (KeyError, ValueError, pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return None
        return table

    def _listing(self) -> dict[str, list[tuple[str, str]]]:
        """The table's partitions per source (listed once per merge, only to rebuild)."""
        if self._stored is None:
            self._stored = self._stored_fn()
        return self._stored

    def _rebuild_all(self) -> None:
        """Rebuild every source's index from the stored partitions."""
        listing = self._listing()
        if listing:
            log.warning("%s index: building it from %d stored partition(s)", self.table,
                        sum(len(parts) for parts in listing.values()))
        self.stats.full_rebuild = True
        self.sources = set()
        self.pending = set()
        self._rebuild(listing)

    def _rebuild(self, sources: Iterable[str]) -> None:
        """A fresh base (and empty delta) of ``sources`` from their partitions' key columns."""
        listing = self._listing()
        names = sorted(set(sources))
        for source in names:
            parts = listing.get(source, [])
            pieces = [_pairs(key_hashes(read_keys(self.loc, path, self.key)), day)
                      for day, path in parts]
            table = pa.concat_tables(pieces) if pieces else BASE_SCHEMA.empty_table()
            self.entries[source] = table
            self.stats.rebuilt.append(source)
            self._write_source(source, compact=True)
        self.pending -= set(names)
        self._write_state()

    # -- the move check -------------------------------------------------------------------

    def moved(self, targets: pa.Table) -> dict[tuple[str, str], set[str]]:
        """Keys of the batch indexed in another date of their source: ``(date, source) -> keys``.

        ``targets`` has a row per batch key: ``key`` (string), ``source`` (string) and its
        target ``date`` (date32).  Every indexed date other than the target is returned (an
        interrupted merge may have left a key in two dates); a hash shared by two keys may name
        a date that does not hold the key, which the partition's merge then finds out.
        """
        found: dict[tuple[str, str], set[str]] = {}
        if targets.num_rows == 0:
            return found
        sources = targets.column("source").combine_chunks().dictionary_encode()
        names = sources.dictionary.to_pylist()
        keys = targets.column("key").cast(pa.string())
        wanted = pa.table({"hash": key_hashes(keys), "key": keys,
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
        joined = pa.concat_tables(pieces).join(wanted, keys=["hash", "source"],
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
        self.changed.setdefault(source, {})[day] = key_hashes(keys)

    def commit(self) -> None:
        """Write the index files of changed sources, then the state (no pending sources)."""
        dirty = False
        for source, days in self.changed.items():
            old = self.entries.get(source, BASE_SCHEMA.empty_table())
            differ = [d for d, hashes in days.items()
                      if not np.array_equal(_hashes_on(old, d), np.sort(hashes.to_numpy()))]
            if source in self.sources and not differ:
                continue
            numbers = _dates(differ)
            self.entries[source] = pa.concat_tables(
                [_without(old, numbers), *(_pairs(days[d], d) for d in differ)])
            self.deltas[source] = pa.concat_tables(
                [_without(self.deltas.get(source, DELTA_SCHEMA.empty_table()), numbers),
                 *(_delta_rows(days[d], d) for d in differ)])
            limit = max(DELTA_MIN_ROWS, DELTA_FRACTION * self.base_rows.get(source, 0))
            compact = source not in self.sources or self.deltas[source].num_rows > limit
            if compact and source in self.sources:
                self.stats.compacted.append(source)
            self._write_source(source, compact)
            dirty = True
        self.changed = {}
        if self._marked or dirty:
            self.pending = set()
            self._write_state()

    def _write_source(self, source: str, compact: bool) -> None:
        """Publish a source's delta; when ``compact``, first its whole index as the base."""
        if compact:
            base = _sorted(self.entries[source])
            self.entries[source] = base
            self._write_file(source, KEYS_SUFFIX, base)
            self.base_rows[source] = base.num_rows
            self.deltas[source] = DELTA_SCHEMA.empty_table()
        self._write_file(source, DELTA_SUFFIX, _sorted(self.deltas[source]))
        self.sources.add(source)

    def _write_file(self, source: str, suffix: str, rows: pa.Table) -> None:
        """Publish one index file (atomically)."""
        self.loc.write_atomic(self.source_path(source, suffix),
                              lambda sink: pq.write_table(rows, sink, compression="zstd"),
                              self.table)
        self.stats.written += 1

    def _write_state(self) -> None:
        """Publish the state object."""
        state = {"format": FORMAT, "sources": sorted(self.sources),
                 "pending": sorted(self.pending)}
        self.loc.write_bytes(self.state_path, json.dumps(state).encode(), self.table)
