"""Crash safety of the lake writer and of crawl retries.

A writer process (``process_staged`` -> ``merge_articles``) is SIGKILLed at several points of a
partition write; afterwards every partition is readable and holds exactly its old rows or its
old + new rows, and the next run completes the work.  Concurrent writers (threads, processes)
lose nothing, and a crawl killed half-way and retried stores each article once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psutil
import pytest

from scrapers.tasks.crawl import CrawlFailed, stage_paths
from tests.fault_server import (
    DAY,
    article_html,
    check_lake,
    crawl,
    distinct_text,
    fault_servers,
    ok,
    outlet,
    published,
    rss,
    stage_file,
    stall,
    write_lake,
    write_registry,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOURCE = "crash-outlet"
D1, D2 = published(10) - timedelta(days=1), published(10)

# Runs process_staged with one injected crash point, then prints "done" if it survived.
CHILD = r"""
import os, signal, sys
from pathlib import Path

import pyarrow.parquet as pq

staged, mode = sys.argv[1], sys.argv[2]
real_replace, real_write = os.replace, pq.write_table
replaced = []


def die(where):
    sys.stderr.write(f"KILLED {mode} at {where}\n")
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def partial_write(table, where, *args, **kwargs):
    data = b"PAR1" + b"\0" * 64  # a temp file cut off before its footer
    if hasattr(where, "write"):
        where.write(data)
        where.flush()
    else:
        Path(str(where)).write_bytes(data)
    die(getattr(where, "name", where))


def replace(src, dst, *args, **kwargs):
    if "/articles/" in str(dst):
        if mode == "before_replace" or (mode == "between_partitions" and replaced):
            die(dst)
        replaced.append(str(dst))
    return real_replace(src, dst, *args, **kwargs)


if mode == "temp_partial":
    pq.write_table = partial_write
os.replace = replace
from transforms.pipeline import process_staged

process_staged([Path(staged)], run_id=f"child-{mode}")
print("done")
"""


def run_child(tmp: Path, staged: Path, mode: str) -> subprocess.CompletedProcess[str]:
    """Run the writer child with crash point ``mode`` against ``NEWSFLOW_LAKE``."""
    script = tmp / "writer_child.py"
    script.write_text(CHILD, encoding="utf-8")
    return subprocess.run([sys.executable, str(script), str(staged), mode], cwd=PROJECT_ROOT,
                          env=dict(os.environ), capture_output=True, text=True, timeout=300,
                          check=False)


def partition_ids(root: Path) -> dict[str, set[str]]:
    """``date -> article ids`` of the test source, read file by file."""
    import pyarrow.parquet as pq

    out: dict[str, set[str]] = {}
    for path in sorted((root / "articles").glob(f"date=*/source={SOURCE}/*.parquet")):
        day = path.parent.parent.name[5:]
        ids = pq.ParquetFile(path).read(columns=["article_id"]).column("article_id").to_pylist()
        assert len(ids) == len(set(ids)), f"duplicate rows in {path}"
        out[day] = set(ids)
    return out


@pytest.fixture
def old_and_new(lake: Path, tmp_path: Path) -> Iterator[tuple[Path, dict[str, set[str]]]]:
    """A lake with two old rows on each of two days; a staged batch of two new rows per day."""
    old = stage_file(tmp_path / "old.jsonl", SOURCE,
                     [("old-a", D1), ("old-b", D1), ("old-c", D2), ("old-d", D2)])
    write_lake([old], run_id="old")
    before = partition_ids(lake)
    new = stage_file(tmp_path / "new.jsonl", SOURCE,
                     [("new-a", D1), ("new-b", D1 + timedelta(hours=1)), ("new-c", D2),
                      ("new-d", D2 + timedelta(hours=1))])
    yield new, before


@pytest.mark.parametrize("mode", ["temp_partial", "before_replace", "between_partitions"])
def test_a_killed_writer_leaves_old_or_old_plus_new_and_the_rerun_completes(
    mode: str, lake: Path, tmp_path: Path, old_and_new: tuple[Path, dict[str, set[str]]]
) -> None:
    staged, before = old_and_new
    assert [len(v) for v in before.values()] == [2, 2]
    proc = run_child(tmp_path, staged, mode)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert "done" not in proc.stdout
    killed = proc.stderr.rsplit("KILLED", 1)[-1]
    assert ("/articles/" if mode != "temp_partial" else "_staging") in killed, proc.stderr[-2000:]
    after_kill = partition_ids(lake)
    assert set(after_kill) == set(before)
    for day, ids in after_kill.items():
        assert ids == before[day] or (ids > before[day] and len(ids) == 4), (mode, day, ids)
    if mode == "between_partitions":
        assert sum(len(ids) for ids in after_kill.values()) == 6  # one day done, one not
    else:
        assert after_kill == before
    import duckdb
    import pandas as pd

    assert len(pd.read_parquet(lake / "articles")) == sum(len(v) for v in after_kill.values())
    duckdb.sql(f"select count(*) from read_parquet('{lake}/articles/**/*.parquet')").fetchall()
    write_lake([staged], run_id="rerun")  # the next run completes the work
    final = partition_ids(lake)
    assert all(len(ids) == 4 and ids > before[day] for day, ids in final.items())
    check_lake(lake)  # also: the dead writer's temp file was cleaned up


def test_concurrent_writers_in_threads_lose_no_row(lake: Path, tmp_path: Path) -> None:
    batches = [
        stage_file(tmp_path / f"t{n}.jsonl", SOURCE,
                   [(f"t{n}-{k}", (D1 if k % 2 else D2) + timedelta(minutes=n * 10 + k))
                    for k in range(4)])
        for n in range(4)
    ]
    errors: list[BaseException] = []

    def write(path: Path) -> None:
        try:
            write_lake([path], run_id=path.stem)
        except BaseException as exc:  # pragma: no cover - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(p,)) for p in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    ids = partition_ids(lake)
    assert sum(len(v) for v in ids.values()) == 16
    assert check_lake(lake)["articles"] == 16


def test_concurrent_writers_in_processes_lose_no_row(lake: Path, tmp_path: Path) -> None:
    batches = [
        stage_file(tmp_path / f"p{n}.jsonl", SOURCE,
                   [(f"p{n}-{k}", (D1 if k % 2 else D2) + timedelta(minutes=n * 10 + k))
                    for k in range(3)])
        for n in range(2)
    ]
    script = tmp_path / "writer_child.py"
    script.write_text(CHILD, encoding="utf-8")
    procs = [subprocess.Popen([sys.executable, str(script), str(p), "none"], cwd=PROJECT_ROOT,
                              env=dict(os.environ), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for p in batches]
    outputs = [proc.communicate(timeout=300) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], [err[-2000:] for _, err in outputs]
    ids = partition_ids(lake)
    assert sum(len(v) for v in ids.values()) == 6
    assert check_lake(lake)["articles"] == 6


def test_a_crawl_killed_half_way_and_retried_stores_each_article_once(
    lake: Path, tmp_path: Path
) -> None:
    from scrapers.tasks.daily import crawl_outcome

    with fault_servers(1) as (site,):
        items = []
        for name in ("first", "second", "third"):
            page = article_html(f"Story {name} of the retried crawl", published(10),
                                body_text=distinct_text(f"retry-{name}"))
            replies = [stall(120), ok(page)] if name == "third" else [ok(page)]
            items.append((site.route(f"/news/{name}/", *replies), name, published(11)))
        site.route("/feed.xml", ok(rss(items), "application/rss+xml"))
        registry = write_registry(tmp_path / "sources.yaml",
                                  [outlet(SOURCE, site, feeds=[site.url("/feed.xml")])])
        outcome: list[BaseException | object] = []
        worker = threading.Thread(target=lambda: outcome.append(_crawl_or_error(registry)))
        worker.start()
        _kill_crawl_when(lambda: bool(site.hits("/news/third/")) and
                         len(site.hits()) >= 4, worker)
        worker.join(timeout=120)
        assert isinstance(outcome[0], CrawlFailed)
        assert "exited -9" in str(outcome[0])
        job = {"source": SOURCE, "day": DAY.isoformat()}
        path, reason, _ = crawl_outcome(job)  # the write task would not take the half crawl
        assert path is None and "did not finish" in (reason or "")
        result = crawl(SOURCE, registry)  # the task retry
        assert result.staged == 3
        write_lake([Path(result.items_path)], run_id="retry-1")
        write_lake([Path(result.items_path)], run_id="retry-2")  # a retried write task, too
    ids = partition_ids(lake)
    assert sum(len(v) for v in ids.values()) == 3
    assert check_lake(lake)["articles"] == 3
    assert stage_paths(DAY, SOURCE).items.exists()


def _crawl_or_error(registry: Path) -> object:
    """The crawl result, or the exception it raised."""
    try:
        return crawl(SOURCE, registry)
    except BaseException as exc:
        return exc


def _kill_crawl_when(ready: object, worker: threading.Thread, limit: float = 120) -> None:
    """SIGKILL the scrapy child as soon as ``ready()`` is true."""
    import time

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and worker.is_alive():
        if ready():  # type: ignore[operator]
            for child in psutil.Process().children(recursive=True):
                if "scrapy" in " ".join(child.cmdline()):
                    child.send_signal(signal.SIGKILL)
                    return
        time.sleep(0.05)
    raise AssertionError("the crawl never reached the stalled article")
