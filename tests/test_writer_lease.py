"""One writer everywhere: the lake lease (``transforms.lease``) with real processes, local and S3.

Every test runs on a local lake (an OS lock) and on moto's S3 server on loopback (conditional
PutObject / DeleteObject).  Other writers are real processes (``tests/lease_holder.py``, the
``python -m scrapers.tasks.reprocess`` CLI); the short TTLs are parameters, never minutes of sleep.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from tests.test_lake import batch
from tests.test_object_storage import BUCKET, S3, s3  # noqa: F401  (the moto server fixture)
from transforms.lake import merge_articles, partition_files, read_articles
from transforms.lease import LeaseHeld, LeaseLost, check_name, holder_of
from transforms.storage import LakeLocation

REPO = Path(__file__).resolve().parents[1]
DEADLINE_S = 60.0  # upper bound for events we wait for (not an assertion on speed)


@dataclass
class Lake:
    """A lake under test: its URI, and how to reach its lease objects."""

    uri: str
    kind: str
    s3: S3 | None

    def loc(self) -> LakeLocation:
        """A fresh location (as another writer would build it)."""
        return LakeLocation.parse(self.uri)


@pytest.fixture(params=["local", "s3"])
def lake(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Lake:
    """A fresh lake, local or on the S3 server; ``NEWSFLOW_LAKE`` points at it."""
    if request.param == "local":
        uri, server = str(tmp_path / "lake"), None
    else:
        server = request.getfixturevalue("s3")
        uri = f"s3://{BUCKET}/lease/{request.node.name}"
    monkeypatch.setenv("NEWSFLOW_LAKE", uri)
    monkeypatch.setenv("NEWSFLOW_STAGING", str(tmp_path / "staging"))
    return Lake(uri, request.param, server)


class Holder:
    """``tests/lease_holder.py`` holding a lease in its own process."""

    def __init__(self, lake: Lake, name: str, marker: Path, owner: str = "holder-under-test",
                 ttl: float = 30.0) -> None:
        self.marker = marker
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.lease_holder", lake.uri, name, "--owner", owner,
             "--ttl", str(ttl), "--marker", str(marker)],
            cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, f"holder exited with {self.proc.wait()}"
        self.pid = json.loads(line)["pid"]

    def release(self) -> None:
        """Tell it to write its marker and let go; wait for it to exit."""
        assert self.proc.stdin is not None
        self.proc.stdin.write("release\n")
        self.proc.stdin.close()
        assert self.proc.wait(timeout=DEADLINE_S) == 0

    def kill(self) -> None:
        """SIGKILL it while it holds the lease."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=DEADLINE_S)
        assert self.proc.returncode == -signal.SIGKILL

    def stop(self) -> None:
        """Make sure it is gone (test cleanup)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=DEADLINE_S)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None and not stream.closed:
                stream.close()


@pytest.fixture
def holders() -> Iterator[list[Holder]]:
    """Holder processes started by a test; all stopped afterwards."""
    started: list[Holder] = []
    yield started
    for holder in started:
        holder.stop()


class WaitSeen(logging.Handler):
    """Sets ``event`` when a lease logs that it is waiting for another holder."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.event = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("waiting up to"):
            self.event.set()


@pytest.fixture
def waiting() -> Iterator[threading.Event]:
    """An event set once a lease of this process starts waiting."""
    handler = WaitSeen()
    logger = logging.getLogger("transforms.lease")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler.event
    logger.removeHandler(handler)
    logger.setLevel(level)


def when(event: threading.Event, then: Callable[[], None]) -> threading.Thread:
    """Run ``then`` in a thread once ``event`` is set."""
    def run() -> None:
        if event.wait(DEADLINE_S):
            then()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def wait_for(condition: Callable[[], object], what: str) -> None:
    """Poll ``condition`` until true (fail after DEADLINE_S)."""
    end = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_a_second_writer_is_refused_at_once_or_waits_for_the_release(
        lake: Lake, tmp_path: Path, holders: list[Holder], waiting: threading.Event) -> None:
    """Refusal names the holder and its expiry; a waiter gets the lease only after the release."""
    holder = Holder(lake, "articles", tmp_path / "released")
    holders.append(holder)
    loc = lake.loc()
    with pytest.raises(LeaseHeld) as refused:
        loc.lock("articles", 0).acquire()
    message = str(refused.value)
    assert "holder-under-test" in message and f"pid {holder.pid}" in message
    assert "expires at" in message and f"{lake.uri}/_leases" in message
    assert refused.value.holder is not None and refused.value.holder.pid == holder.pid
    assert holder_of(loc, "articles").pid == holder.pid

    releaser = when(waiting, holder.release)
    with loc.lock("articles", DEADLINE_S, owner="second") as lease:
        assert holder.marker.exists()  # the holder had let go before we got it
        assert lease.replaced is None  # a clean release leaves nothing to take over
        assert holder_of(loc, "articles").owner == "second"
    releaser.join()
    assert holder_of(loc, "articles") is None


def test_a_merge_waits_for_the_table_lease_held_elsewhere(
        lake: Lake, tmp_path: Path, holders: list[Holder], waiting: threading.Event) -> None:
    """merge_articles blocks on another process's ``articles`` lease, then merges."""
    holder = Holder(lake, "articles", tmp_path / "released")
    holders.append(holder)
    releaser = when(waiting, holder.release)
    result = merge_articles(batch(range(3)), lake.uri)
    releaser.join()
    assert waiting.is_set() and holder.marker.exists()
    assert result.inserted == 3
    assert sorted(read_articles(lake.uri)["title"]) == ["Story 0", "Story 1", "Story 2"]
    assert holder_of(lake.loc(), "articles") is None


def test_a_holder_killed_while_holding_is_replaced(
        lake: Lake, tmp_path: Path, holders: list[Holder]) -> None:
    """SIGKILL: a local lock is free at once; an S3 lease is taken over once its TTL ran out."""
    ttl = 4.0
    holder = Holder(lake, "articles", tmp_path / "released", ttl=ttl)
    holders.append(holder)
    holder.kill()
    loc = lake.loc()
    if lake.kind == "local":
        lease = loc.lock("articles", 0, ttl=ttl).acquire()  # the kernel dropped the dead lock
    else:
        with pytest.raises(LeaseHeld, match=f"pid {holder.pid}"):  # not renewed, not yet expired
            loc.lock("articles", 0, ttl=ttl).acquire()
        lease = loc.lock("articles", DEADLINE_S, ttl=ttl).acquire()
    try:
        assert lease.replaced is not None and lease.replaced.pid == holder.pid
        merged = merge_articles(batch(range(2)), loc)  # the new holder writes (re-entrant lease)
        assert merged.inserted == 2
    finally:
        lease.release()
    assert holder_of(loc, "articles") is None


def test_renewal_keeps_a_long_holders_lease(lake: Lake, holders: list[Holder]) -> None:
    """Held for several TTLs, the lease is renewed: other processes are refused, writes go on."""
    ttl = 3.0
    loc = lake.loc()
    started = time.monotonic()
    with loc.lock("articles", 0, ttl=ttl, owner="long-writer") as lease:
        wait_for(lambda: lease.renewals >= 5, "five renewals")
        assert time.monotonic() - started > ttl  # without renewals the lease would have expired
        tried = subprocess.run([sys.executable, "-m", "tests.lease_holder", lake.uri, "articles",
                                "--try"], cwd=REPO, capture_output=True, text=True,
                               timeout=DEADLINE_S)
        assert tried.returncode == 75, tried.stderr
        assert "long-writer" in tried.stdout and f"pid {os.getpid()}" in tried.stdout
        lease.check()
        assert merge_articles(batch(range(2)), loc).inserted == 2


def test_the_lease_is_reentrant_in_its_thread_only(lake: Lake) -> None:
    """A merge inside a held lease joins it (however the lake is spelt); other threads wait."""
    other = (lake.uri.replace("/lake", "/./lake") if lake.kind == "local"
             else lake.uri.replace("s3://", "s3a://"))
    refused: list[BaseException] = []

    def contend() -> None:
        try:
            LakeLocation.parse(other).lock("articles", 0).acquire()
        except LeaseHeld as exc:
            refused.append(exc)

    with lake.loc().lock("articles", 0, owner="outer") as outer:
        merged = merge_articles(batch(range(2)), other)  # joins: no wait, no refusal
        assert merged.inserted == 2 and outer.held
        thread = threading.Thread(target=contend)
        thread.start()
        thread.join(DEADLINE_S)
        assert len(refused) == 1 and "outer" in str(refused[0])
        assert holder_of(lake.loc(), "articles").owner == "outer"  # the merge kept it held
    assert holder_of(lake.loc(), "articles") is None


def steal(lake: Lake, tmp_path: Path, holders: list[Holder]) -> None:
    """Another writer takes the lease from under its holder, as a takeover would."""
    loc = lake.loc()
    if lake.kind == "local":
        lock_file = loc.local_path(loc.join("_leases", "articles.lock"))
        lock_file.unlink()  # an operator "cleaning up" a lock: a new writer locks a new file
        holders.append(Holder(lake, "articles", tmp_path / "thief-released", owner="thief"))
        return
    assert lake.s3 is not None
    key = f"lease/{lake.uri.rsplit('/', 1)[1]}/_leases/articles.json"
    body = lake.s3.client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    lake.s3.client.put_object(Bucket=BUCKET, Key=key, Body=body.replace(b"lost-writer", b"thief"))


def test_a_lost_lease_stops_the_writer_before_its_next_publish(
        lake: Lake, tmp_path: Path, holders: list[Holder]) -> None:
    """Once a renewal finds the lease taken, publishes and merges raise LeaseLost, write nothing."""
    loc = lake.loc()
    merge_articles(batch(range(2)), loc)
    before = partition_files(loc, "articles")
    lease = loc.lock("articles", 0, ttl=1.5, owner="lost-writer").acquire()
    try:
        steal(lake, tmp_path, holders)
        wait_for(lambda: lease.lost, "the heartbeat to notice")
        with pytest.raises(LeaseLost, match="lost"):
            loc.write_bytes(loc.join("articles", "note.txt"), b"x", "articles")
        with pytest.raises(LeaseLost):
            merge_articles(batch(range(5, 8)), loc)
        assert not loc.exists(loc.join("articles", "note.txt"))
    finally:
        lease.release()
    assert partition_files(loc, "articles") == before
    assert sorted(read_articles(loc)["title"]) == ["Story 0", "Story 1"]
    assert "thief" in holder_of(loc, "articles").owner  # our release left the thief's lease alone


def reprocess_cli(*args: str) -> list[str]:
    """The command line of ``python -m scrapers.tasks.reprocess`` for one demo day."""
    return [sys.executable, "-m", "scrapers.tasks.reprocess", "--start", "2026-11-20", "--end",
            "2026-11-20", *args]


def test_the_cli_refuses_at_once_naming_the_holder(
        lake: Lake, tmp_path: Path, holders: list[Holder]) -> None:
    """Exit 75 and a message with the holder's owner, pid and lease expiry; nothing kept held.

    The other writer holds ``quarantine``, the second of the two tables the CLI takes, so the
    CLI must also let go of ``articles``, which it had already taken.
    """
    holder = Holder(lake, "quarantine", tmp_path / "released", owner="news_daily write")
    holders.append(holder)
    done = subprocess.run(reprocess_cli(), cwd=REPO, capture_output=True, text=True,
                          timeout=DEADLINE_S * 2)
    assert done.returncode == 75, done.stderr
    assert "reprocess refused: lease 'quarantine'" in done.stderr
    assert "news_daily write" in done.stderr and f"pid {holder.pid}" in done.stderr
    assert "expires at" in done.stderr
    assert done.stdout == ""
    with lake.loc().lock("articles", 0):  # free again: the CLI released what it had taken
        pass


def test_the_cli_waits_with_wait_seconds(lake: Lake, tmp_path: Path,
                                         holders: list[Holder]) -> None:
    """``--wait`` says whom it waits for, runs once the holder lets go, and exits 0."""
    holder = Holder(lake, "articles", tmp_path / "released", owner="news_daily write")
    holders.append(holder)
    cli = subprocess.Popen(reprocess_cli("--wait", str(DEADLINE_S)), cwd=REPO, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert cli.stderr is not None
        line = read_until(cli.stderr, "waiting up to")
        assert "news_daily write" in line and f"pid {holder.pid}" in line
        holder.release()
        out, err = cli.communicate(timeout=DEADLINE_S * 2)
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.communicate()
    assert cli.returncode == 0, err
    summary = json.loads(out)
    assert summary["start"] == "2026-11-20"
    assert holder_of(lake.loc(), "articles") is None


def read_until(stream: IO[str], text: str) -> str:
    """Lines of ``stream`` up to the first containing ``text`` (fails at EOF)."""
    for line in stream:
        if text in line:
            return line
    pytest.fail(f"{text!r} never printed")


def test_the_cli_rejects_a_bad_wait() -> None:
    """``--wait`` takes a number of seconds >= 0."""
    done = subprocess.run(reprocess_cli("--wait", "-1"), cwd=REPO, capture_output=True, text=True,
                          timeout=DEADLINE_S)
    assert done.returncode == 2 and "--wait" in done.stderr


@pytest.mark.parametrize("name", ["../articles", "a/b", "", ".hidden", "x" * 200, "a\nb"])
def test_a_lease_name_never_becomes_a_path(name: str, tmp_path: Path) -> None:
    """Names are one safe file name: no separators, no dot files, bounded length."""
    with pytest.raises(ValueError, match="lease name"):
        check_name(name)
    with pytest.raises(ValueError, match="lease name"):
        LakeLocation.parse(tmp_path).lock(name, 0)
    assert not (tmp_path / "_leases").exists()


def test_a_bad_ttl_setting_is_a_clear_error(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """``NEWSFLOW_LEASE_TTL_S`` must be a positive number."""
    monkeypatch.setenv("NEWSFLOW_LEASE_TTL_S", "soon")
    with pytest.raises(ValueError, match="NEWSFLOW_LEASE_TTL_S"):
        LakeLocation.parse(tmp_path).lock("articles", 0)
    monkeypatch.setenv("NEWSFLOW_LEASE_TTL_S", "5")
    assert LakeLocation.parse(tmp_path).lock("articles", 0).ttl == 5.0
