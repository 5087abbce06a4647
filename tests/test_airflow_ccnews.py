"""news_ccnews backfilled in a real Airflow through the REST API, as the UI's Backfill dialog does.

A throwaway Airflow (tests/airflow_proc.py: PostgreSQL, api-server, scheduler, dag-processor,
triggerer, LocalExecutor) reads the CC-NEWS-shaped archive of tests/ccnews_archive.py from a
loopback HTTP server (NEWSFLOW_CCNEWS_ARCHIVE). Two UTC days are backfilled with
``POST /api/v2/backfills``; both runs and every task must succeed, the harvest tasks must be
mapped one per WARC file and labelled with its name, the lake must hold exactly the demo truth
of the two days, and a re-run (``reprocess_behavior="completed"``) must leave every Parquet file
byte-identical.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.airflow_proc import AirflowApi, AirflowHarness
from tests.ccnews_archive import (
    DAYS,
    build_archive,
    check_lake_is_the_truth,
    lake_fingerprint,
    serve_archive,
    warc_path,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

DAG_ID = "news_ccnews"
# Backfill bounds are inclusive LOGICAL dates; news_ccnews's run of UTC day D has logical date D.
FROM_DATE = f"{DAYS[0].isoformat()}T00:00:00Z"
TO_DATE = f"{DAYS[-1].isoformat()}T00:00:00Z"
# The WARC files covering each day and the default look-ahead of 2 days (see test_ccnews.py).
WARCS_OF_DAY = {DAYS[0]: [0, 1, 2], DAYS[1]: [1, 2, 3]}
SOURCES = ["indus-chronicle", "ganga-times", "padma-herald", "himalaya-post"]


def utc(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@pytest.fixture
def airflow(tmp_path: Path, lake: Path, demo_registry: Path, demo_server: Any
            ) -> Iterator[AirflowHarness]:
    """A running Airflow whose tasks read the archive from a loopback server; always stopped."""
    import os

    archive = build_archive(tmp_path / "archive", demo_server.base_url)
    with serve_archive(archive, ranges=True) as archive_url:
        extra = {k: os.environ[k] for k in ("NEWSFLOW_REGISTRY", "NEWSFLOW_LAKE",
                                            "NEWSFLOW_STAGING")}
        extra["NEWSFLOW_CCNEWS_ARCHIVE"] = archive_url
        extra["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"  # what the Makefile exports
        af = AirflowHarness(tmp_path / "af", extra_env=extra)
        try:
            af.init_db()
            af.start()
            af.wait_for_dag(DAG_ID)
            yield af
        finally:
            af.stop()


def backfill_body(reprocess_behavior: str) -> dict[str, Any]:
    """The body the UI's Trigger -> Backfill dialog posts, for the two days."""
    return {"dag_id": DAG_ID, "from_date": FROM_DATE, "to_date": TO_DATE,
            "run_backwards": False, "dag_run_conf": {},
            "reprocess_behavior": reprocess_behavior, "max_active_runs": 2,
            "run_on_latest_version": True}


def task_instances(api: AirflowApi, run_id: str) -> list[dict[str, Any]]:
    return api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances",
                   params={"limit": 100})["task_instances"]


def assert_every_task_succeeded(af: AirflowHarness, runs: list[dict[str, Any]]) -> None:
    """Each run and each of its task instances succeeded; else the failed tasks' log tails."""
    assert af.api is not None
    details = []
    for run in runs:
        states = sorted((t["task_id"], t["map_index"], t["state"])
                        for t in task_instances(af.api, run["dag_run_id"]))
        if run["state"] != "success" or any(state != "success" for *_, state in states):
            details.append(f"{run['dag_run_id']} {run['state']}: {states}\n"
                           f"{af.task_log_tails(run['dag_run_id'])}")
    if details:
        pytest.fail("backfill runs/tasks failed:\n" + "\n".join(details))


def labels(api: AirflowApi, run_id: str, task_id: str) -> list[str | None]:
    """The rendered map index of each mapped instance of ``task_id``, by map index."""
    tis = [t for t in task_instances(api, run_id) if t["task_id"] == task_id]
    return [t["rendered_map_index"] for t in sorted(tis, key=lambda t: t["map_index"])]


def task_log(api: AirflowApi, run_id: str, task_id: str, map_index: int = -1) -> str:
    """A finished task's log as the UI reads it (first try), as text."""
    body = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{task_id}/logs/1",
                   params={"map_index": map_index}, headers={"Accept": "application/json"})
    return "\n".join(e if isinstance(e, str) else str(e.get("event", ""))
                     for e in body["content"])


def test_backfill_two_days_via_rest_api(airflow: AirflowHarness, lake: Path) -> None:
    af = airflow
    api = af.api
    assert api is not None
    started = time.monotonic()
    assert api.patch(f"/api/v2/dags/{DAG_ID}", {"is_paused": False})["is_paused"] is False
    dry = api.post("/api/v2/backfills/dry_run", backfill_body("none"))
    assert [utc(b["logical_date"]).date() for b in dry["backfills"]] == DAYS

    backfill = api.post("/api/v2/backfills", backfill_body("none"))
    runs = af.wait_backfill(DAG_ID, backfill["id"], len(DAYS), 600.0)
    af.timings["backfill"] = time.monotonic() - started
    print("\nbackfill runs:", [(r["dag_run_id"], r["data_interval_start"], r["state"])
                               for r in runs])
    assert_every_task_succeeded(af, runs)
    for run, day in zip(runs, DAYS, strict=True):
        assert utc(run["logical_date"]) == utc(run["data_interval_start"]) == midnight(day)
        assert utc(run["data_interval_end"]) == midnight(day + timedelta(days=1))
        run_id = run["dag_run_id"]
        names = [warc_path(i).rsplit("/", 1)[-1] for i in WARCS_OF_DAY[day]]
        assert labels(api, run_id, "harvest") == names, run_id
        gate_log = task_log(api, run_id, "gate")
        assert f"quality gate: all {len(SOURCES)} source(s) passed" in gate_log, gate_log
        assert (f"news_ccnews backfills UTC day {day.isoformat()}: "
                in task_log(api, run_id, "plan")), run_id
        harvest_log = task_log(api, run_id, "harvest", map_index=0)
        assert f"{warc_path(WARCS_OF_DAY[day][0])}: " in harvest_log, harvest_log
        assert "records read" in harvest_log and "bytes streamed" in harvest_log, harvest_log
    check_lake_is_the_truth(lake, DAYS)
    before = lake_fingerprint(lake)
    assert before

    t0 = time.monotonic()
    again = api.post("/api/v2/backfills", backfill_body("completed"))
    assert again["reprocess_behavior"] == "completed"
    reruns = af.wait_backfill(DAG_ID, again["id"], len(DAYS), 600.0)
    af.timings["rerun"] = time.monotonic() - t0
    print("re-run:", [(r["dag_run_id"], r["state"]) for r in reruns])
    assert_every_task_succeeded(af, reruns)
    assert [r["dag_run_id"] for r in reruns] == [r["dag_run_id"] for r in runs]
    assert lake_fingerprint(lake) == before, "an identical re-run rewrote Parquet files"
    check_lake_is_the_truth(lake, DAYS)
    af.assert_alive()
    timings = ", ".join(f"{k} {v:.0f}s" for k, v in af.timings.items())
    print(f"news_ccnews in Airflow: {timings}; {len(before)} Parquet files; peak RSS of the "
          f"tree {af.sampler.peak_tree / 2**20:.0f} MiB")
