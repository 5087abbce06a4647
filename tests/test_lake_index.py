"""The writer's key index: moves are found without reading every stored partition.

Real merges into a temp lake, read back with the lake's readers; the index files are broken
by hand (deleted, garbage, a merge that dies half-way) to show that a stale index is rebuilt
and that no article is stored twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.test_lake import make_record, partition, rows
from transforms import lake
from transforms.lake import (
    merge_articles,
    merge_articles_dataset,
    read_articles,
    rebuild_index,
    stage_batch,
)
from transforms.lakeindex import INDEX_DIR, KEYS_SUFFIX, STATE_SUFFIX
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


def index_file(root: Path, source: str = "dawn") -> Path:
    """Key file of one source in the articles index."""
    return root / INDEX_DIR / f"source={source}" / f"articles{KEYS_SUFFIX}"


def state_file(root: Path) -> Path:
    """State object of the articles index."""
    return root / INDEX_DIR / f"articles{STATE_SUFFIX}"


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Paths opened for reading through LakeLocation while the test runs."""
    paths: list[str] = []
    real = LakeLocation.open_input

    def spy(self: LakeLocation, path: str) -> Any:
        paths.append(path)
        return real(self, path)

    monkeypatch.setattr(LakeLocation, "open_input", spy)
    yield paths


def test_a_merge_reads_the_index_not_every_partition(tmp_path: Path, opened: list[str]) -> None:
    """With 40 days stored, a day's merge opens its own partitions and one key file only."""
    history(tmp_path, 40)
    opened.clear()
    new_day = FIRST + timedelta(days=40)
    result = merge_articles(rows(on(new_day, 9000), on(new_day, 9001)), tmp_path)
    assert result.inserted == 2
    # the new day's partition does not exist yet: only the source's key file is read
    assert sorted(Path(p).name for p in opened) == [f"articles{KEYS_SUFFIX}"]
    assert pq.read_table(index_file(tmp_path)).num_rows == 40 * 3 + 2


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
    assert sorted(opened) == sorted([str(index_file(tmp_path)),
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
    assert pq.read_table(index_file(tmp_path)).num_rows == 10 * 3  # moved, not added


@pytest.mark.parametrize("broken", ["keys", "state"])
def test_a_corrupt_index_is_rebuilt(tmp_path: Path, broken: str) -> None:
    """Garbage in a key file or in the state: rebuilt, the moved article stored once."""
    history(tmp_path, 10)
    target = index_file(tmp_path) if broken == "keys" else state_file(tmp_path)
    target.write_bytes(b"not an index")
    result = merge_articles(rows(on(FIRST + timedelta(days=20), 502)), tmp_path)
    assert result.removed == 1
    assert where(tmp_path, "https://dawn.com/news/502") == [
        (FIRST + timedelta(days=20)).isoformat()]
    keys = pq.read_table(index_file(tmp_path))
    assert keys.num_rows == 30 and keys.column_names == ["key", "date"]
    assert json.loads(state_file(tmp_path).read_text())["sources"] == ["dawn"]


def test_a_merge_killed_half_way_leaves_its_sources_pending(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A partition written without its index update is found by the next merge's rebuild."""
    history(tmp_path, 3)
    day1, day2, day3 = (FIRST + timedelta(days=d) for d in (10, 11, 12))
    real_write = lake.write_atomic

    def dies_on_day2(table: Any, path: str, *args: Any) -> None:
        if f"date={day2.isoformat()}" in str(path):
            raise KeyboardInterrupt("killed")  # the writer dies after day1 is written
        real_write(table, path, *args)

    monkeypatch.setattr(lake, "write_atomic", dies_on_day2)
    with pytest.raises(KeyboardInterrupt):
        merge_articles(rows(on(day1, 7001), on(day2, 7002)), tmp_path)
    monkeypatch.setattr(lake, "write_atomic", real_write)
    assert where(tmp_path, "https://dawn.com/news/7001") == [day1.isoformat()]
    assert json.loads(state_file(tmp_path).read_text())["pending"] == ["dawn"]
    stored = read_articles(tmp_path, columns=["url", "article_id"]).set_index("url")
    key = stored.loc["https://dawn.com/news/7001", "article_id"]
    assert key not in pq.read_table(index_file(tmp_path)).column("key").to_pylist()
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


def test_streaming_merge_uses_and_keeps_the_same_index(tmp_path: Path,
                                                       opened: list[str]) -> None:
    """``merge_articles_dataset`` finds moves through the index and keeps it up to date."""
    lake_dir, staged = tmp_path / "lake", tmp_path / "batch"
    history(lake_dir, 20)
    target = FIRST + timedelta(days=25)
    stage_batch(rows(on(target, 501), on(target, 9500), on(target, 9501, source="geo")),
                staged)
    opened.clear()
    result = merge_articles_dataset(staged, lake_dir)
    assert (result.inserted, result.removed) == (3, 1)
    assert where(lake_dir, "https://dawn.com/news/501") == [target.isoformat()]
    lake_reads = [p for p in opened if p.startswith(f"{lake_dir}/")]
    assert sorted(Path(p).name for p in lake_reads) == [f"articles{KEYS_SUFFIX}", "part-0.parquet"]
    merge_articles(rows(on(target + timedelta(days=1), 9501, source="geo")), lake_dir)
    assert where(lake_dir, "https://dawn.com/news/9501") == [
        (target + timedelta(days=1)).isoformat()]
    assert json.loads(state_file(lake_dir).read_text())["sources"] == ["dawn", "geo"]


def test_an_unsafe_source_in_the_state_is_never_a_path(tmp_path: Path) -> None:
    """A state naming ``../x`` is treated as unreadable (rebuilt), not joined into a path."""
    history(tmp_path, 2)
    state_file(tmp_path).write_text(json.dumps(
        {"format": 1, "sources": ["dawn", "../../escape"], "pending": ["../../escape"]}))
    merge_articles(rows(on(FIRST + timedelta(days=4), 1)), tmp_path)
    assert not (tmp_path.parent / "escape").exists()
    assert json.loads(state_file(tmp_path).read_text())["sources"] == ["dawn"]
    assert where(tmp_path, "https://dawn.com/news/1") == [
        (FIRST + timedelta(days=4)).isoformat()]
