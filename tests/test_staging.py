"""Crawl staging that travels between machines: ``scrapers/staging.py`` and its callers.

A crawl runs on "machine A" (its own scratch and TMPDIR) and ``write`` on "machine B" (other
scratch and TMPDIR; A's are deleted first), with the staging on a local path and on moto's S3
server on loopback.  Also: run-scoped keys, a retried attempt replacing only its own objects, a
failed crawl's reason read back on B, and the retention clean-up.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from scrapers.staging import (
    RUN_TOKEN_PATTERN,
    StagePaths,
    clean_staging,
    publish_staged,
    retention_days,
    run_token,
    stage_keys,
    stage_names,
    staging_location,
)
from scrapers.tasks.crawl import CrawlFailed
from scrapers.tasks.plan import plan_crawls
from tests.demo_truth import expected_for_day
from tests.fault_server import fault_servers, outlet, status, write_registry
from tests.test_object_storage import BUCKET, S3, s3  # noqa: F401  (the moto fixture)
from transforms.lake import read_articles

DAY = date(2026, 11, 20)
START = datetime(2026, 11, 20, tzinfo=UTC)
END = START + timedelta(days=1)
SOURCE = "himalaya-post"
RUN_ID = "manual__2026-11-21T00:00:00+00:00"
DEMO_REGISTRY = Path(__file__).resolve().parent.parent / "data" / "demo_sites" / "sources.yaml"


@dataclass
class Machines:
    """Two workers' local folders, and the staging root they share only through its URI."""

    tmp: Path
    staging: str
    mp: pytest.MonkeyPatch

    def become(self, name: str) -> Path:
        """Switch NEWSFLOW_SCRATCH and TMPDIR to the folders of machine ``name``."""
        home = self.tmp / f"machine-{name}"
        for sub in ("scratch", "tmp"):
            (home / sub).mkdir(parents=True, exist_ok=True)
        self.mp.setenv("NEWSFLOW_SCRATCH", str(home / "scratch"))
        self.mp.setenv("TMPDIR", str(home / "tmp"))
        tempfile.tempdir = None  # re-read TMPDIR
        return home

    def leave(self, name: str) -> None:
        """Delete machine ``name``'s local folders (the other machine never had them)."""
        shutil.rmtree(self.tmp / f"machine-{name}")


@pytest.fixture(params=["local", "s3"])
def machines(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
             demo_server: object) -> Iterator[Machines]:
    """Staging (and lake) on a local path, or both on the S3 server; the demo registry."""
    monkeypatch.setenv("NEWSFLOW_REGISTRY", str(DEMO_REGISTRY))
    if request.param == "local":
        staging = str(tmp_path / "staging")
        monkeypatch.setenv("NEWSFLOW_LAKE", str(tmp_path / "lake"))
    else:
        request.getfixturevalue("s3")
        prefix = f"staging-test/{request.node.name}"
        staging = f"s3://{BUCKET}/{prefix}/staging"
        monkeypatch.setenv("NEWSFLOW_LAKE", f"s3://{BUCKET}/{prefix}/lake")
    monkeypatch.setenv("NEWSFLOW_STAGING", staging)
    try:
        yield Machines(tmp_path, staging, monkeypatch)
    finally:
        monkeypatch.undo()
        tempfile.tempdir = None


def staged_names(staging: str) -> list[str]:
    """Every file under the staging root, relative to it (a local root's lock files aside)."""
    location = staging_location(staging)
    names = [location.relative(p) for p in location.list_files(location.base)]
    return [n for n in names if not n.startswith("_locks/")]


def test_run_tokens_are_safe_and_distinct() -> None:
    """Any run id becomes one safe path segment; different ids never share a token."""
    ids = [RUN_ID, "manual__2026-11-21T00:00:00_00:00", "../../etc/passwd", "a/b", "a_b",
           "backfill__" + "x" * 300, "  ", "scheduled__2026-11-21T00:00:00+00:00"]
    tokens = [run_token(i) for i in ids]
    assert len(set(tokens)) == len(ids)
    for token in tokens:
        assert re.fullmatch(RUN_TOKEN_PATTERN, token), token
    assert run_token(RUN_ID) == run_token(RUN_ID)
    with pytest.raises(ValueError, match="run id"):
        run_token("")


def test_stage_names_refuse_what_could_leave_the_root() -> None:
    """Source ids and run tokens are checked before they become a path."""
    assert stage_names(DAY, SOURCE, "r-1") == (
        f"date={DAY}/run=r-1/{SOURCE}.jsonl", f"date={DAY}/run=r-1/{SOURCE}.stats.json",
        f"date={DAY}/run=r-1/{SOURCE}.log")
    assert stage_names(DAY, SOURCE)[0] == f"date={DAY}/{SOURCE}.jsonl"
    for bad_source in ("../x", "a/b", "", "A"):
        with pytest.raises(ValueError, match="unsafe source id"):
            stage_names(DAY, bad_source, "r-1")
    for bad_run in ("..", "a/b", "a.b", "", "x" * 101):
        with pytest.raises(ValueError, match="unsafe run token"):
            stage_names(DAY, SOURCE, bad_run or ".")


def test_crawl_on_one_machine_write_on_another(machines: Machines) -> None:
    """A's crawl publishes items, stats and log under its run; B merges them, twice alike."""
    from scrapers.tasks.daily import crawl_source, write_staged

    jobs = [j.to_dict() for j in plan_crawls(START, END, DEMO_REGISTRY, [SOURCE], RUN_ID)]
    token = run_token(RUN_ID)
    assert jobs[0]["run"] == token
    machines.become("A")
    summary = crawl_source(jobs[0])
    staged = summary["staged"]
    assert staged > 0
    folder = f"date={DAY}/run={token}"
    assert staged_names(machines.staging) == [
        f"{folder}/{SOURCE}.jsonl", f"{folder}/{SOURCE}.log", f"{folder}/{SOURCE}.stats.json"]
    machines.leave("A")

    machines.become("B")
    first = write_staged(jobs, run_id=RUN_ID)
    assert first["crawl_failed"] == {}
    assert first["sources"][SOURCE]["staged"] == staged
    assert first["sources"][SOURCE]["inserted"] > 0
    df = read_articles()
    got = sorted(urlsplit(u).path.rstrip("/") for u in df[df["date"] == DAY]["canonical_url"])
    want = sorted(a.path.rstrip("/") for a in expected_for_day(DAY).values()
                  if a.source == SOURCE)
    assert got == want
    # A cleared and re-run write of the same run still finds its staging and changes nothing.
    again = write_staged(jobs, run_id=RUN_ID)
    assert again["crawl_failed"] == {}
    assert again["sources"][SOURCE]["inserted"] == 0
    assert again["sources"][SOURCE]["unchanged"] == first["sources"][SOURCE]["inserted"]
    assert len(read_articles()) == len(df)
    machines.leave("B")


def test_a_retry_replaces_its_own_objects_only(machines: Machines) -> None:
    """A second attempt of a run rewrites that run's keys; another run of the day is untouched."""
    from scrapers.tasks.daily import crawl_outcome, crawl_source

    other_run = "manual__2026-11-21T06:00:00+00:00"
    first = plan_crawls(START, END, DEMO_REGISTRY, [SOURCE], RUN_ID)[0].to_dict()
    other = plan_crawls(START, END, DEMO_REGISTRY, [SOURCE], other_run)[0].to_dict()
    machines.become("A")
    crawl_source(other)
    location = staging_location()
    other_keys = stage_keys(location, DAY, SOURCE, other["run"])
    other_stats = location.read_bytes(other_keys.stats)
    crawl_source(first)  # attempt 1
    keys = stage_keys(location, DAY, SOURCE, first["run"])
    attempt_one = json.loads(location.read_bytes(keys.stats))["stats"]["start_time"]
    machines.leave("A")
    machines.become("B")  # the retry runs on the other worker
    crawl_source(first)  # attempt 2
    attempt_two = json.loads(location.read_bytes(keys.stats))["stats"]["start_time"]
    assert attempt_two != attempt_one
    assert location.read_bytes(other_keys.stats) == other_stats
    assert len(staged_names(machines.staging)) == 6  # 3 objects per run, no leftovers
    path, reason, counts = crawl_outcome(first, machines.tmp / "fetched")
    assert reason is None and path is not None
    assert len(path.read_text(encoding="utf-8").splitlines()) == counts["staged"]
    machines.leave("B")


def test_a_failed_crawl_reports_its_reason_on_the_writer(
        machines: Machines, tmp_path: Path) -> None:
    """A crawl whose feed answers 404 fails its task; B's write reads why from the staging."""
    from scrapers.tasks.daily import crawl_source, write_staged

    with fault_servers(1) as (site,):
        site.route("/feed.xml", status(404))
        registry = write_registry(tmp_path / "sources.yaml",
                                  [outlet("broken-outlet", site, feeds=[site.url("/feed.xml")])])
        jobs = [j.to_dict() for j in plan_crawls(START, END, registry, None, RUN_ID)]
        machines.become("A")
        with pytest.raises(CrawlFailed, match="no feed, sitemap or listing"):
            crawl_source(jobs[0])
    machines.leave("A")
    machines.become("B")
    summary = write_staged(jobs, run_id=RUN_ID)
    assert "no feed, sitemap or listing" in summary["crawl_failed"]["broken-outlet"]
    assert summary["crawl_counts"]["broken-outlet"]["documents_failed"] == 1
    names = staged_names(machines.staging)
    assert any(n.endswith("broken-outlet.log") for n in names)
    assert f"date={DAY}/run={run_token(RUN_ID)}/broken-outlet.stats.json" in names


@pytest.mark.parametrize("where", ["local", "s3"])
def test_clean_up_keeps_the_retention_window(where: str, tmp_path: Path,
                                            request: pytest.FixtureRequest,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Days more than the retention before the run's day go; later days and other folders stay."""
    if where == "s3":
        request.getfixturevalue("s3")
        root = f"s3://{BUCKET}/cleanup-test/staging"
    else:
        root = str(tmp_path / "staging")
    location = staging_location(root)
    monkeypatch.setenv("NEWSFLOW_SCRATCH", str(tmp_path / "scratch"))
    old_day, new_day = date(2026, 1, 5), date(2026, 11, 20)
    folders = {}  # a run of a day long past (a backfill), runs of recent days, a shell crawl
    for day, token in ((old_day, run_token("backfill__2026-01-06")), (new_day, run_token(RUN_ID)),
                       (new_day, run_token("manual__x")), (new_day, None)):
        local = tmp_path / "files" / f"{day}-{token}"
        local.mkdir(parents=True)
        files = StagePaths(local / "a.jsonl", local / "a.stats.json", local / "a.log")
        for path in (files.items, files.stats, files.log):
            path.write_text("{}\n", encoding="utf-8")
        keys = stage_keys(location, day, "dawn", token)
        publish_staged(location, files, keys)
        folders[day, token] = location.relative(keys.stats).rsplit("/", 1)[0]
    location.write_bytes(location.join("reprocess", "run-x", "dawn.jsonl"), b"{}\n", "keep")
    written = datetime.now(UTC)
    # nothing is old yet: the backfill of January keeps its fresh staging
    assert clean_staging(location, 7, now=written + timedelta(days=6)) == []
    assert len(staged_names(root)) == 4 * 3 + 1
    if where == "local":  # age one recent run's folder (a local clock can be turned back)
        aged = written - timedelta(days=10)
        stale = folders[new_day, run_token("manual__x")]
        for name in ("a.jsonl", "a.stats.json", "a.log"):
            path = Path(root) / stale / name.replace("a.", "dawn.")
            os.utime(path, (aged.timestamp(), aged.timestamp()))
        assert clean_staging(location, 7, now=written) == [stale]
        assert not any(n.startswith(stale) for n in staged_names(root))
        assert len(staged_names(root)) == 3 * 3 + 1
    removed = clean_staging(location, 7, now=written + timedelta(days=8))
    assert sorted(removed) == sorted(f for k, f in folders.items()
                                     if where != "local" or k[1] != run_token("manual__x"))
    assert staged_names(root) == ["reprocess/run-x/dawn.jsonl"]  # other folders stay
    assert clean_staging(location, 7, now=written + timedelta(days=8)) == []
    monkeypatch.setenv("NEWSFLOW_STAGING_RETENTION_DAYS", "-1")
    with pytest.raises(ValueError, match="NEWSFLOW_STAGING_RETENTION_DAYS"):
        retention_days()
    monkeypatch.setenv("NEWSFLOW_STAGING_RETENTION_DAYS", "a week")
    with pytest.raises(ValueError, match="whole number"):
        retention_days()
    monkeypatch.delenv("NEWSFLOW_STAGING_RETENTION_DAYS")
    assert retention_days() == 7
