"""The writer's key index: moves are found without reading every stored partition.

Real merges into a temp lake, read back with the lake's readers; the index files are broken
by hand (deleted, garbage, an older format, a merge that dies half-way) to show that a stale
index is rebuilt and that no article is stored twice.  A hash that every key shares shows that
false matches cost reads, never rows; small delta limits show compaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.test_lake import make_record, partition, rows
from transforms import lakeindex
from transforms.lake import merge as lake_merge
from transforms.lake import merge_articles, read_articles, rebuild_index
from transforms.lakeindex import DELTA_SUFFIX, INDEX_DIR, KEYS_SUFFIX, STATE_SUFFIX, key_hashes
from transforms.storage import LakeLocation

FIRST = date(2026, 10, 1)


def on(day: date, n: int, source: str = "dawn", **overrides: Any) -> dict[str, Any]:
    """Record of article ``n`` published at noon UTC on ``day``."""
    return make_record(n, source=source, published_at=f"{day.isoformat()}T12:00:00Z",
                       **overrides)


def history(root: Path, days: int, per_day: int = 3) -> None:
    """``days`` days of ``per_day`` articles each (article numbers 100 * day + i), merged."""
    records = [on(FIRST + timedelta(days=d), 100 * d + i) for d in range(days)
               for i in range(per_day)]
    merge_articles(rows(*records), root)


def where(root: Path, url: str) -> list[str]:
    """Dates of every stored row of ``url`` (a duplicate shows twice)."""
    stored = read_articles(root, columns=["url", "date"])
    return sorted(str(d) for d in stored.loc[stored["url"] == url, "date"])


def index_file(root: Path, source: str = "dawn", suffix: str = KEYS_SUFFIX) -> Path:
    """Base (or, with ``DELTA_SUFFIX``, delta) file of one source in the articles index."""
    return root / INDEX_DIR / f"source={source}" / f"articles{suffix}"


def indexed(root: Path, source: str = "dawn") -> dict[int, list[str]]:
    """What a source's base and delta say, read as documented: hash -> sorted dates."""
    base = pq.read_table(index_file(root, source))
    delta = pq.read_table(index_file(root, source, DELTA_SUFFIX))
    assert base.column_names == delta.column_names == ["hash", "date"]
    replaced = set(delta.column("date").to_pylist())
    found: dict[int, list[str]] = {}
    for table, fresh in ((base, False), (delta, True)):
        for value, day in zip(table.column("hash").to_pylist(),
                              table.column("date").to_pylist(), strict=True):
            if value is not None and (fresh or day not in replaced):
                found.setdefault(value, []).append(day.isoformat())
    return {value: sorted(days) for value, days in found.items()}


def hash_of(key: str) -> int:
    """The index hash of one key."""
    return int(key_hashes(pa.array([key]))[0].as_py())


def stored_ids(root: Path) -> dict[str, str]:
    """article_id -> date of every stored row (asserting that no id is stored twice)."""
    stored = read_articles(root, columns=["article_id", "date"])
    assert stored["article_id"].is_unique
    return dict(zip(stored["article_id"], (str(d) for d in stored["date"]), strict=True))


def state_file(root: Path) -> Path:
    """State object of the articles index."""
    return root / INDEX_DIR / f"articles{STATE_SUFFIX}"


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Paths opened for reading through LakeLocation (seekable or streamed) while the test runs."""
    paths: list[str] = []
    for name in ("open_input", "open_stream"):
        real = getattr(LakeLocation, name)

        def spy(self: LakeLocation, path: str, real: Any = real) -> Any:
            paths.append(path)
            return real(self, path)

        monkeypatch.setattr(LakeLocation, name, spy)
    yield paths


def test_a_merge_reads_the_index_not_every_partition(tmp_path: Path, opened: list[str]) -> None:
    """With 40 days stored, a day's merge opens its own partitions and one key file only."""
    history(tmp_path, 40)
    opened.clear()
    new_day = FIRST + timedelta(days=40)
    result = merge_articles(rows(on(new_day, 9000), on(new_day, 9001)), tmp_path)
    assert result.inserted == 2
    # the new day's partition does not exist yet: only the state and the source's two index
    # files are read
    assert sorted(Path(p).name for p in opened) == [f"articles{DELTA_SUFFIX}",
                                                    f"articles{KEYS_SUFFIX}",
                                                    f"articles{STATE_SUFFIX}"]
    index = indexed(tmp_path)
    assert len(index) == 40 * 3 + 2 and index == {
        hash_of(key): [day] for key, day in stored_ids(tmp_path).items()}


def test_move_to_a_day_far_in_the_past_leaves_no_duplicate(tmp_path: Path,
                                                           opened: list[str]) -> None:
    """An article re-dated three years back leaves its partition; only the two are read."""
    history(tmp_path, 30)
    old = FIRST + timedelta(days=12)
    far = date(2023, 5, 4)
    url = "https://dawn.com/news/1201"
    assert where(tmp_path, url) == [old.isoformat()]
    opened.clear()
    result = merge_articles(rows(on(far, 1201, title="Story 1201, re-dated")), tmp_path)
    assert (result.inserted, result.removed) == (1, 1)
    assert where(tmp_path, url) == [far.isoformat()]
    assert len(read_articles(tmp_path, dates=[old])) == 2
    assert sorted(opened) == sorted([str(state_file(tmp_path)), str(index_file(tmp_path)),
                                     str(index_file(tmp_path, suffix=DELTA_SUFFIX)),
                                     str(partition(tmp_path, old.isoformat()))])
    again = merge_articles(rows(on(old, 1201)), tmp_path)  # and back again
    assert (again.inserted, again.removed) == (1, 1)
    assert where(tmp_path, url) == [old.isoformat()]


def test_a_deleted_index_is_rebuilt_from_the_partitions(tmp_path: Path) -> None:
    """No index at all (an older lake): the next merge builds it and still finds the move."""
    history(tmp_path, 10)
    for path in sorted((tmp_path / INDEX_DIR).rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    result = merge_articles(rows(on(FIRST + timedelta(days=20), 301)), tmp_path)
    assert result.removed == 1
    assert where(tmp_path, "https://dawn.com/news/301") == [
        (FIRST + timedelta(days=20)).isoformat()]
    assert json.loads(state_file(tmp_path).read_text())["pending"] == []
    assert len(indexed(tmp_path)) == 10 * 3  # moved, not added


@pytest.mark.parametrize("broken", ["keys", "delta", "state"])
def test_a_corrupt_index_is_rebuilt(tmp_path: Path, broken: str) -> None:
    """Garbage in a base, a delta or the state: rebuilt, the moved article stored once."""
    history(tmp_path, 10)
    target = {"keys": index_file(tmp_path),
              "delta": index_file(tmp_path, suffix=DELTA_SUFFIX),
              "state": state_file(tmp_path)}[broken]
    target.write_bytes(b"not an index")
    result = merge_articles(rows(on(FIRST + timedelta(days=20), 502)), tmp_path)
    assert result.removed == 1
    assert where(tmp_path, "https://dawn.com/news/502") == [
        (FIRST + timedelta(days=20)).isoformat()]
    index = indexed(tmp_path)
    assert len(index) == 30 and index == {
        hash_of(key): [day] for key, day in stored_ids(tmp_path).items()}
    assert json.loads(state_file(tmp_path).read_text())["sources"] == ["dawn"]


def test_a_merge_killed_half_way_leaves_its_sources_pending(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A partition written without its index update is found by the next merge's rebuild."""
    history(tmp_path, 3)
    day1, day2, day3 = (FIRST + timedelta(days=d) for d in (10, 11, 12))
    real_write = lake_merge.write_atomic

    def dies_on_day2(table: Any, path: str, *args: Any) -> None:
        if f"date={day2.isoformat()}" in str(path):
            raise KeyboardInterrupt("killed")  # the writer dies after day1 is written
        real_write(table, path, *args)

    monkeypatch.setattr(lake_merge, "write_atomic", dies_on_day2)
    with pytest.raises(KeyboardInterrupt):
        merge_articles(rows(on(day1, 7001), on(day2, 7002)), tmp_path)
    monkeypatch.setattr(lake_merge, "write_atomic", real_write)
    assert where(tmp_path, "https://dawn.com/news/7001") == [day1.isoformat()]
    assert json.loads(state_file(tmp_path).read_text())["pending"] == ["dawn"]
    stored = read_articles(tmp_path, columns=["url", "article_id"]).set_index("url")
    key = stored.loc["https://dawn.com/news/7001", "article_id"]
    assert hash_of(key) not in indexed(tmp_path)
    result = merge_articles(rows(on(day3, 7001)), tmp_path)  # 7001 moves from day1
    assert result.removed == 1
    assert where(tmp_path, "https://dawn.com/news/7001") == [day3.isoformat()]
    assert json.loads(state_file(tmp_path).read_text())["pending"] == []


def test_a_partition_written_by_hand_is_indexed_by_rebuild_index(tmp_path: Path) -> None:
    """Partitions written around the writer need ``rebuild_index``; then moves are found."""
    history(tmp_path, 3)
    other = tmp_path / "other"
    merge_articles(rows(on(FIRST + timedelta(days=5), 8000)), other)
    hand = partition(tmp_path, (FIRST + timedelta(days=5)).isoformat())
    hand.parent.mkdir(parents=True)
    hand.write_bytes(partition(other, (FIRST + timedelta(days=5)).isoformat()).read_bytes())
    assert rebuild_index(tmp_path) == 1
    result = merge_articles(rows(on(FIRST + timedelta(days=6), 8000)), tmp_path)
    assert result.removed == 1
    assert where(tmp_path, "https://dawn.com/news/8000") == [
        (FIRST + timedelta(days=6)).isoformat()]


def test_a_merge_with_a_new_source_reads_only_the_index_and_the_moved_partition(
        tmp_path: Path, opened: list[str]) -> None:
    """A batch with a move and a source the index has not seen: the merge reads the index and
    the one partition the moved article leaves, and adds the new source to the index."""
    lake_dir = tmp_path / "lake"
    history(lake_dir, 20)
    target = FIRST + timedelta(days=25)
    opened.clear()
    result = merge_articles(rows(on(target, 501), on(target, 9500),
                                 on(target, 9501, source="geo")), lake_dir)
    assert (result.inserted, result.removed) == (3, 1)
    assert where(lake_dir, "https://dawn.com/news/501") == [target.isoformat()]
    lake_reads = [p for p in opened if p.startswith(f"{lake_dir}/")]
    assert sorted(Path(p).name for p in lake_reads) == [
        f"articles{DELTA_SUFFIX}", f"articles{KEYS_SUFFIX}", f"articles{STATE_SUFFIX}",
        "part-0.parquet"]
    merge_articles(rows(on(target + timedelta(days=1), 9501, source="geo")), lake_dir)
    assert where(lake_dir, "https://dawn.com/news/9501") == [
        (target + timedelta(days=1)).isoformat()]
    assert json.loads(state_file(lake_dir).read_text())["sources"] == ["dawn", "geo"]


def test_an_unsafe_source_in_the_state_is_never_a_path(tmp_path: Path) -> None:
    """A state naming ``../x`` is treated as unreadable (rebuilt), not joined into a path."""
    history(tmp_path, 2)
    state_file(tmp_path).write_text(json.dumps(
        {"format": lakeindex.FORMAT, "sources": ["dawn", "../../escape"],
         "pending": ["../../escape"]}))
    merge_articles(rows(on(FIRST + timedelta(days=4), 1)), tmp_path)
    assert not (tmp_path.parent / "escape").exists()
    assert json.loads(state_file(tmp_path).read_text())["sources"] == ["dawn"]
    assert where(tmp_path, "https://dawn.com/news/1") == [
        (FIRST + timedelta(days=4)).isoformat()]


def test_a_hash_every_key_shares_costs_reads_never_rows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, opened: list[str]) -> None:
    """All keys forced onto one hash: every stored date looks like a match, is read, keeps its
    rows and is not rewritten; only the real move removes a row."""
    monkeypatch.setattr(lakeindex, "key_hashes",
                        lambda keys: pa.array(np.zeros(len(keys), dtype=np.int64)))
    history(tmp_path, 6)
    before = {p: p.read_bytes() for p in (tmp_path / "articles").rglob("*.parquet")}
    ids = stored_ids(tmp_path)
    opened.clear()
    new_day = FIRST + timedelta(days=9)
    result = merge_articles(rows(on(new_day, 9100), on(new_day, 9101), on(new_day, 301)),
                            tmp_path)
    assert (result.inserted, result.removed, result.files_written) == (3, 1, 2)
    moved_from = partition(tmp_path, (FIRST + timedelta(days=3)).isoformat())
    assert {Path(p) for p in opened if p.endswith("part-0.parquet")} == set(before)
    assert {p: p.read_bytes() for p in before if p != moved_from} == {
        p: data for p, data in before.items() if p != moved_from}
    after = stored_ids(tmp_path)
    assert len(after) == len(ids) + 2
    assert where(tmp_path, "https://dawn.com/news/301") == [new_day.isoformat()]
    assert indexed(tmp_path) == {0: sorted(after.values())}  # one row per stored article
    again = merge_articles(rows(on(new_day, 9100)), tmp_path)  # the same again: no write
    assert (again.unchanged, again.removed, again.files_written) == (1, 0, 0)


def test_a_merge_writes_the_delta_and_compacts_it_past_its_limit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A steady merge publishes the delta, not the base; past the limit the base takes it in."""
    monkeypatch.setattr(lakeindex, "DELTA_MIN_ROWS", 5)
    monkeypatch.setattr(lakeindex, "DELTA_FRACTION", 0.0)
    history(tmp_path, 10)
    published: list[str] = []
    real = LakeLocation.publish

    def spy(self: LakeLocation, local_file: Path, path: str) -> None:
        published.append(Path(path).name)
        real(self, local_file, path)

    monkeypatch.setattr(LakeLocation, "publish", spy)
    base = index_file(tmp_path).read_bytes()
    day = FIRST + timedelta(days=12)
    merge_articles(rows(on(day, 9200), on(day, 9201)), tmp_path)  # 2 delta rows: no compaction
    assert published == [f"articles{STATE_SUFFIX}", "part-0.parquet",  # state: pending first
                         f"articles{DELTA_SUFFIX}", f"articles{STATE_SUFFIX}"]
    assert index_file(tmp_path).read_bytes() == base
    assert pq.read_table(index_file(tmp_path, suffix=DELTA_SUFFIX)).num_rows == 2
    published.clear()
    merge_articles(rows(on(day, 9202), on(day, 9203), on(day, 9204), on(day, 401)), tmp_path)
    assert f"articles{KEYS_SUFFIX}" in published  # 6 + 2 delta rows passed 5: compacted
    assert pq.read_table(index_file(tmp_path, suffix=DELTA_SUFFIX)).num_rows == 0
    index = indexed(tmp_path)
    assert index == {hash_of(key): [d] for key, d in stored_ids(tmp_path).items()}
    assert where(tmp_path, "https://dawn.com/news/401") == [day.isoformat()]
    back = merge_articles(rows(on(FIRST + timedelta(days=4), 401)), tmp_path)
    assert back.removed == 1  # found through the compacted base
    assert where(tmp_path, "https://dawn.com/news/401") == [(FIRST + timedelta(days=4)).isoformat()]


def test_a_date_left_empty_is_dropped_from_the_index(tmp_path: Path) -> None:
    """The only article of a date moves away: the delta marks the date empty, and a later move
    of the same article finds it at its new date only."""
    history(tmp_path, 4, per_day=1)
    old, new = FIRST + timedelta(days=2), FIRST + timedelta(days=7)
    url = "https://dawn.com/news/200"
    assert merge_articles(rows(on(new, 200)), tmp_path).removed == 1
    assert not partition(tmp_path, old.isoformat()).exists()
    delta = pq.read_table(index_file(tmp_path, suffix=DELTA_SUFFIX))
    assert (None, old) in set(zip(delta.column("hash").to_pylist(),
                                  delta.column("date").to_pylist(), strict=True))
    assert old.isoformat() not in {d for days in indexed(tmp_path).values() for d in days}
    moved = merge_articles(rows(on(old - timedelta(days=1), 200)), tmp_path)
    assert (moved.removed, moved.inserted) == (1, 1)
    assert where(tmp_path, url) == [(old - timedelta(days=1)).isoformat()]


def test_an_index_of_the_older_format_is_rebuilt(tmp_path: Path) -> None:
    """A format-1 index (key strings, no delta) is rebuilt as format 2; moves are still found."""
    history(tmp_path, 5)
    for path in sorted((tmp_path / INDEX_DIR).rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    index_file(tmp_path).parent.mkdir(parents=True)
    pq.write_table(pa.table({"key": pa.array(["x"]), "date": pa.array([FIRST])}),
                   index_file(tmp_path))
    state_file(tmp_path).write_text(json.dumps({"format": 1, "sources": ["dawn"],
                                                "pending": []}))
    result = merge_articles(rows(on(FIRST + timedelta(days=8), 101)), tmp_path)
    assert result.removed == 1
    assert json.loads(state_file(tmp_path).read_text())["format"] == lakeindex.FORMAT
    assert indexed(tmp_path) == {hash_of(k): [d] for k, d in stored_ids(tmp_path).items()}
