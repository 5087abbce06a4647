"""news_daily on a multi-machine-shaped Airflow: CeleryExecutor, two workers sharing no disk.

The cluster (``tests/distributed_cluster.py``): PostgreSQL, Redis, moto's S3 server holding the
lake and the staging, api-server, scheduler, dag-processor, triggerer and two Celery workers with
their own HOME, TMPDIR, AIRFLOW_HOME and scratch, against the demo sites. One test, in phases,
each asserted and timed:

1. a REST backfill of three demo days; the lake, read back from S3, equals the demo truth;
2. the crawl tasks ran on both workers (hostnames from the REST API);
3. a worker SIGKILLed in the middle of a crawl: the task is retried on the other worker and the
   day's rows are exactly the truth (none lost, none twice);
4. the broker stopped and started again between two runs: the next run succeeds;
5. while that run's ``write`` holds the lake's writer lease, a CLI reprocess is refused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from scrapers.demo.standalone import DEMO_REGISTRY, PROJECT_ROOT
from tests.demo_truth import expected_for_day
from tests.distributed_cluster import (
    AWS_NOISE,
    BUCKET,
    LAKE_URI,
    CeleryWorker,
    DistributedCluster,
    s3_env,
    wait_until,
)
from tests.test_e2e_daily import path_of

pytestmark = [pytest.mark.distributed, pytest.mark.timeout(1500)]

DAG_ID = "news_daily"
BACKFILL_DAYS = [date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 21)]
KILL_DAY = date(2026, 11, 22)
KILL_SOURCES = ["padma-herald", "ganga-times"]  # the first one's worker is killed mid-crawl
LOCK_DAY = date(2026, 11, 23)
LOCK_SOURCES = ["himalaya-post"]
SLOW_PAGE_S = 25.0  # the killed crawl's article pages answer this late: it is surely mid-way
# the request that takes the articles table's lease, and the lease requests a holder keeps making
ARTICLES_LEASE_PUT = r"^PUT \S*/_leases/articles\.json[ ?]"
LEASE_REQUESTS = r"/_leases/"
EXIT_LEASE_HELD = 75
TERMINAL = {"success", "failed"}


def _midnight(day: date) -> str:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).isoformat().replace("+00:00", "Z")


def _day_of(run: dict[str, Any]) -> date:
    return datetime.fromisoformat(run["logical_date"].replace("Z", "+00:00")).date()


def create_backfill(cluster: DistributedCluster, first: date, last: date,
                    sources: list[str] | None = None) -> dict[str, Any]:
    """POST /api/v2/backfills for the UTC days ``first``..``last`` (logical dates, inclusive)."""
    return cluster.api.post("/api/v2/backfills", {
        "dag_id": DAG_ID,
        "from_date": _midnight(first),
        "to_date": _midnight(last),
        "run_backwards": False,
        "dag_run_conf": {"sources": sources} if sources else {},
        "reprocess_behavior": "none",
        "max_active_runs": 3,
        "run_on_latest_version": True,
    })


def api_get(cluster: DistributedCluster, path: str, **params: Any) -> Any:
    """GET ``path``; a read timeout (api-server busy on a loaded 2-CPU box) is retried."""
    import httpx

    for attempt in range(4):
        try:
            return cluster.api.get(path, params=params)
        except httpx.TransportError as exc:
            print(f"GET {path}: {exc!r}; retrying", flush=True)
            time.sleep(2 + 2 * attempt)
    return cluster.api.get(path, params=params)


def runs_of(cluster: DistributedCluster, days: list[date]) -> list[dict[str, Any]]:
    """The backfill runs of ``days``, oldest first."""
    runs = api_get(cluster, f"/api/v2/dags/{DAG_ID}/dagRuns", limit=100,
                   order_by="logical_date")["dag_runs"]
    return [r for r in runs if r["run_type"] == "backfill" and _day_of(r) in days]


def wait_backfill(cluster: DistributedCluster, backfill: dict[str, Any], days: list[date],
                  timeout: float = 900.0) -> list[dict[str, Any]]:
    """Wait until the backfill's runs all finished and the backfill completed; fail if a
    component dies meanwhile (no restarts here: PostgreSQL, not SQLite)."""
    deadline = time.monotonic() + timeout
    last: list[tuple[str, str]] = []
    while time.monotonic() < deadline:
        cluster.check_alive()
        runs = runs_of(cluster, days)
        last = [(r["dag_run_id"], r["state"]) for r in runs]
        done = len(runs) == len(days) and all(r["state"] in TERMINAL for r in runs)
        if done and api_get(cluster, f"/api/v2/backfills/{backfill['id']}")["completed_at"]:
            return runs
        time.sleep(2.0)
    raise AssertionError(f"backfill {backfill['id']} not done after {timeout:.0f}s: {last}")


def task_instances(cluster: DistributedCluster, run_id: str) -> list[dict[str, Any]]:
    return api_get(cluster, f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances",
                   limit=100)["task_instances"]


def tries(cluster: DistributedCluster, run_id: str, task_id: str, map_index: int
          ) -> list[dict[str, Any]]:
    """Every try of one task instance (try number, state, hostname), oldest first."""
    body = api_get(cluster, f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/"
                   f"{task_id}/{map_index}/tries")
    return sorted(body["task_instances"], key=lambda t: t["try_number"])


def assert_all_succeeded(cluster: DistributedCluster, runs: list[dict[str, Any]]) -> None:
    """Every run and every task instance succeeded; otherwise show the workers' task logs."""
    problems = []
    for run in runs:
        states = sorted((t["task_id"], t["map_index"], t["state"])
                        for t in task_instances(cluster, run["dag_run_id"]))
        if run["state"] != "success" or any(s != "success" for *_, s in states):
            problems.append(f"{run['dag_run_id']} {run['state']}: {states}\n"
                            f"{cluster.task_log_tails(run['dag_run_id'])}")
    if problems:
        pytest.fail("runs/tasks failed:\n" + "\n".join(problems))


def crawl_hosts(cluster: DistributedCluster, runs: list[dict[str, Any]]
                ) -> dict[tuple[date, str], str]:
    """(day, source) -> the hostname Airflow recorded for the crawl's successful try."""
    hosts = {}
    for run in runs:
        for ti in task_instances(cluster, run["dag_run_id"]):
            if ti["task_id"] == "crawl":
                hosts[(_day_of(run), ti["rendered_map_index"])] = ti["hostname"]
    return hosts


def read_lake() -> Any:
    """The articles table, read back from S3 with the project's reader."""
    from transforms.lake import read_articles

    return read_articles(LAKE_URI)


def assert_day_is_truth(df: Any, day: date, sources: set[str] | None = None) -> int:
    """The lake's rows of ``day`` (of ``sources``) are exactly the demo truth; return the count."""
    truth = {p.rstrip("/"): a for p, a in expected_for_day(day).items()
             if sources is None or a.source in sources}
    got = df[df["date"] == day]
    if sources is not None:
        got = got[got["source"].isin(sources)]
    paths = sorted(path_of(u) for u in got["canonical_url"])
    assert paths == sorted(truth), f"{day}: lake rows differ from the demo truth"
    for row in got.itertuples():
        art = truth[path_of(row.canonical_url)]
        assert (row.source, row.title, list(row.authors), row.body) == (
            art.source, art.title, list(art.authors), art.body), row.url
        assert row.published_at == art.published.astimezone(UTC), row.url
    return len(got)


def survivors(pids: list[int]) -> list[int]:
    """The pids of ``pids`` still running (zombies count as gone)."""
    import psutil

    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            continue
    return alive


def kill_worker_mid_crawl(cluster: DistributedCluster, demo: Any, source: str,
                          timeout: float = 600.0) -> tuple[CeleryWorker, list[str], list[int]]:
    """Wait until ``source`` is being crawled on a worker (its scrapy process runs there and the
    site has answered it); SIGKILL that worker's whole tree. Returns (worker, crawls, pids)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cluster.check_alive()
        for worker in cluster.workers.values():
            crawls = [c for c in worker.crawls() if f"source={source}" in c.split()]
            if crawls and demo.count(f"/{source}/") > 0:
                return worker, crawls, worker.kill()
        time.sleep(0.3)
    raise AssertionError(f"no worker crawled {source} within {timeout:.0f}s")


def map_index_of(cluster: DistributedCluster, run_id: str, source: str) -> int:
    for ti in task_instances(cluster, run_id):
        if ti["task_id"] == "crawl" and ti["rendered_map_index"] == source:
            return int(ti["map_index"])
    raise AssertionError(f"no crawl task instance for {source} in {run_id}")


def lease_holder(cluster: DistributedCluster, name: str) -> dict[str, Any]:
    """The holder record of lease ``name``, read straight from the object store."""
    key = f"{LAKE_URI.removeprefix(f's3://{BUCKET}/')}/_leases/{name}.json"
    return json.loads(cluster.s3.client().get_object(Bucket=BUCKET, Key=key)["Body"].read())


def cli_reprocess(day: date, scratch: Path) -> subprocess.CompletedProcess[str]:
    """``python -m scrapers.tasks.reprocess`` for ``day``, from its own shell (direct to S3)."""
    env = {**os.environ, "NEWSFLOW_LAKE": LAKE_URI, "NEWSFLOW_STAGING": str(scratch / "staging"),
           "NEWSFLOW_SCRATCH": str(scratch), "NEWSFLOW_REGISTRY": str(DEMO_REGISTRY)}
    return subprocess.run(
        [sys.executable, "-m", "scrapers.tasks.reprocess", "--start", day.isoformat(),
         "--end", day.isoformat()],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture
def cluster(tmp_path: Path, demo_server: Any, monkeypatch: pytest.MonkeyPatch
            ) -> Iterator[DistributedCluster]:
    """The running cluster; this test process reads S3 directly (not through the proxy)."""
    dist = DistributedCluster(tmp_path / "cluster", demo_base=demo_server.base_url,
                              registry=DEMO_REGISTRY)
    try:
        dist.start()
        for name in AWS_NOISE:
            monkeypatch.delenv(name, raising=False)
        for key, value in s3_env(dist.s3.endpoint).items():
            monkeypatch.setenv(key, value)
        yield dist
    finally:
        dist.stop()
        print(f"cluster stopped: {dist.stopped_processes} processes were running, "
              f"left running: {dist.leftovers or 'none'}")
    assert dist.leftovers == [], "the cluster left processes or ports behind"


def test_news_daily_on_celery_workers_sharing_no_disk(
        cluster: DistributedCluster, demo_server: Any, tmp_path: Path) -> None:
    started = time.monotonic()
    try:
        api = cluster.api
        assert api.patch(f"/api/v2/dags/{DAG_ID}", {"is_paused": False})["is_paused"] is False

        # 1. a REST backfill of three days; the lake on S3 equals the demo truth
        with cluster.timed("backfill_3_days"):
            backfill = create_backfill(cluster, BACKFILL_DAYS[0], BACKFILL_DAYS[-1])
            runs = wait_backfill(cluster, backfill, BACKFILL_DAYS)
        assert_all_succeeded(cluster, runs)
        df = read_lake()
        counts = {day: assert_day_is_truth(df, day) for day in BACKFILL_DAYS}
        assert df["article_id"].is_unique
        print(f"lake on S3 after the backfill: {counts}")

        # 2. crawls ran on both workers
        hosts = crawl_hosts(cluster, runs)
        print("which worker ran which crawl:")
        for (day, source), host in sorted(hosts.items()):
            print(f"  {day} {source:<16} {host}")
        assert len(hosts) == 4 * len(BACKFILL_DAYS)
        assert set(hosts.values()) == set(cluster.worker_names), hosts

        # 3. a worker SIGKILLed in the middle of a crawl; the retry runs on the other worker
        victim = KILL_SOURCES[0]
        demo_server.reset_log()
        for path in (p for p, a in expected_for_day(KILL_DAY).items() if a.source == victim):
            demo_server.set_override(path, delay=SLOW_PAGE_S)
        with cluster.timed("kill_run"):
            backfill = create_backfill(cluster, KILL_DAY, KILL_DAY, KILL_SOURCES)
            try:
                killed, crawls, pids = kill_worker_mid_crawl(cluster, demo_server, victim)
            finally:
                demo_server.clear_overrides()
            print(f"SIGKILLed {killed.name} ({len(pids)} processes) in the middle of: {crawls}")
            assert survivors(pids) == [], "processes of the killed worker survived"
            (run,) = wait_backfill(cluster, backfill, [KILL_DAY])
        assert_all_succeeded(cluster, [run])
        attempts = tries(cluster, run["dag_run_id"], "crawl",
                         map_index_of(cluster, run["dag_run_id"], victim))
        print(f"tries of crawl[{victim}]: "
              f"{[(t['try_number'], t['state'], t['hostname']) for t in attempts]}")
        (survivor,) = set(cluster.worker_names) - {killed.name}
        assert attempts[0]["hostname"] == killed.name and attempts[0]["state"] != "success"
        assert attempts[-1]["hostname"] == survivor and attempts[-1]["state"] == "success"
        df = read_lake()
        counts[KILL_DAY] = assert_day_is_truth(df, KILL_DAY, set(KILL_SOURCES))
        for day in BACKFILL_DAYS:
            assert_day_is_truth(df, day)
        assert df["article_id"].is_unique, "a row was written twice"
        print(f"after the kill, {KILL_DAY}: {counts[KILL_DAY]} rows = the truth, none twice")
        with cluster.timed("worker_restart"):
            killed.start(cluster.broker.url)

        # 4. the broker stopped and started between two runs
        with cluster.timed("broker_restart"):
            cluster.broker.stop()
            assert not cluster.broker.ping()
            cluster.broker.start()
            for worker in cluster.workers.values():
                wait_until(lambda w=worker: w.answers_ping(cluster.broker.url),
                           f"{worker.name} back on the broker", 180, check=cluster.check_alive)

        # 5. ... and in that next run, a CLI reprocess is refused while `write` holds the lease
        assert cluster.proxy is not None
        cluster.proxy.arm(trigger=ARTICLES_LEASE_PUT, passing=LEASE_REQUESTS)
        with cluster.timed("run_after_broker_restart"):
            backfill = create_backfill(cluster, LOCK_DAY, LOCK_DAY, LOCK_SOURCES)
            try:
                wait_until(cluster.proxy.tripped.is_set, "write taking the articles lease", 600,
                           check=cluster.check_alive)
                holder = lease_holder(cluster, "articles")
                with cluster.timed("cli_reprocess_refused"):
                    cli = cli_reprocess(LOCK_DAY, tmp_path / "cli")
            finally:
                cluster.proxy.release()
            (run,) = wait_backfill(cluster, backfill, [LOCK_DAY])
        print(f"articles lease held by: {holder['owner']} on {holder['host']}")
        print(f"CLI reprocess: exit {cli.returncode}: {cli.stderr.strip()[-600:]}")
        assert "news_daily" in holder["owner"] and run["dag_run_id"] in holder["owner"]
        assert "task write" in holder["owner"]
        assert cli.returncode == EXIT_LEASE_HELD, cli.stdout + cli.stderr
        assert "reprocess refused" in cli.stderr and holder["owner"] in cli.stderr
        assert cluster.proxy.held_requests, "the writer was never held"
        assert_all_succeeded(cluster, [run])
        df = read_lake()
        counts[LOCK_DAY] = assert_day_is_truth(df, LOCK_DAY, set(LOCK_SOURCES))
        for day in [*BACKFILL_DAYS, KILL_DAY]:
            assert_day_is_truth(df, day, set(KILL_SOURCES) if day == KILL_DAY else None)
        assert df["article_id"].is_unique
        print(f"run after the broker restart: {run['state']}; lake rows per day: {counts}")
    finally:
        wall = time.monotonic() - started
        timings = ", ".join(f"{k} {v:.0f}s" for k, v in cluster.timings.items())
        print(f"\ndistributed test: {wall:.0f}s after start-up ({timings})")
