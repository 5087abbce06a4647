"""End to end in real Airflow: backfill three UTC days of news_daily through the REST API.

Starts api-server, scheduler, dag-processor and triggerer (one process group, fresh home,
LocalExecutor, a fresh PostgreSQL cluster as the metadata database) against the demo sites,
creates the backfill exactly as the UI's Backfill dialog does (``POST /api/v2/backfills``), checks
the lake, then re-runs it with ``reprocess_behavior="completed"`` and checks the lake did not
change. Nothing restarts a component: one that exits fails the test with every component's output.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.airflow_proc import AirflowApi, AirflowHarness

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

DAG_ID = "news_daily"
DAYS = [date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 21)]
# Backfill bounds are LOGICAL dates, both inclusive; with CronDataIntervalTimetable("0 0 * * *")
# a run's logical date is its data interval START, so the run for UTC day D has logical date D.
FROM_DATE = "2026-11-19T00:00:00Z"
TO_DATE = "2026-11-21T00:00:00Z"


def _iso(day: date) -> str:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).isoformat()


def _utc(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def backfill_body(reprocess_behavior: str, *, to_date: str = TO_DATE) -> dict[str, Any]:
    """The body the UI's Trigger -> Backfill dialog posts (see ui/dist: createBackfill)."""
    return {
        "dag_id": DAG_ID,
        "from_date": FROM_DATE,
        "to_date": to_date,
        "run_backwards": False,
        "dag_run_conf": {},
        "reprocess_behavior": reprocess_behavior,
        "max_active_runs": 3,
        "run_on_latest_version": True,
    }


def create_backfill(api: AirflowApi, reprocess_behavior: str) -> dict[str, Any]:
    """POST /api/v2/backfills, as the dialog's Run Backfill button does."""
    return api.post("/api/v2/backfills", backfill_body(reprocess_behavior))


def assert_all_succeeded(af: AirflowHarness, runs: list[dict[str, Any]]) -> None:
    """Every run AND every task instance succeeded; otherwise show the failed tasks' logs.

    Checking the tasks matters: write/report use trigger_rule="all_done", so a run whose crawl
    failed still ends "success".
    """
    assert af.api is not None
    details = []
    for run in runs:
        tis = af.api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run['dag_run_id']}/taskInstances",
                         params={"limit": 100})["task_instances"]
        states = sorted((t["task_id"], t["map_index"], t["state"]) for t in tis)
        if run["state"] != "success" or any(state != "success" for *_, state in states):
            details.append(f"{run['dag_run_id']} {run['state']}: {states}\n"
                           f"{af.task_log_tails(run['dag_run_id'])}")
    if details:
        pytest.fail("backfill runs/tasks failed:\n" + "\n".join(details))


def lake_snapshot(lake: Path) -> tuple[Any, dict[str, str]]:
    """The three days' rows (article_id, content_hash, date, source, sorted) and file hashes."""
    import pandas as pd
    import pyarrow.parquet as pq

    from transforms.schema import PARTITIONING

    articles = lake / "articles"
    files: dict[str, str] = {}
    for day in DAYS:
        day_dir = articles / f"date={day.isoformat()}"
        parts = sorted(day_dir.rglob("*.parquet"))
        assert parts, f"no Parquet partition for {day} under {day_dir}"
        for part in parts:
            assert pq.read_table(part).num_rows > 0, f"{part} is empty"
            files[str(part.relative_to(lake))] = hashlib.sha256(part.read_bytes()).hexdigest()
    df = pd.read_parquet(articles, partitioning=PARTITIONING)
    df["date"] = pd.to_datetime(df["date"]).dt.date
    assert set(DAYS) <= set(df["date"]), f"days in lake: {sorted(set(df['date']))}"
    assert df["article_id"].is_unique
    frame = (df.loc[df["date"].isin(DAYS), ["article_id", "content_hash", "date", "source"]]
             .sort_values("article_id").reset_index(drop=True))
    return frame, files


@pytest.fixture
def airflow(tmp_path: Path, lake: Path, demo_registry: Path) -> Iterator[AirflowHarness]:
    """A running throwaway Airflow wired to the demo sites and the temp lake; always stopped."""
    import os

    extra = {k: os.environ[k] for k in (
        "NEWSFLOW_DEMO_BASE", "NEWSFLOW_REGISTRY", "NEWSFLOW_LAKE", "NEWSFLOW_STAGING")}
    af = AirflowHarness(tmp_path / "af", extra_env=extra)
    try:
        yield af
    finally:
        af.stop()


def test_backfill_three_days_via_rest_api(airflow: AirflowHarness, lake: Path) -> None:
    af = airflow
    started = time.monotonic()
    try:
        af.init_db()
        api = af.start()
        af.wait_for_dag(DAG_ID)
        assert api.patch(f"/api/v2/dags/{DAG_ID}", {"is_paused": False})["is_paused"] is False

        # Semantics check (dry run): from/to are inclusive LOGICAL dates = data interval starts.
        dry = api.post("/api/v2/backfills/dry_run", backfill_body("none"))
        assert [_utc(b["logical_date"]).date() for b in dry["backfills"]] == DAYS
        dry_end = api.post("/api/v2/backfills/dry_run",
                           backfill_body("none", to_date="2026-11-22T00:00:00Z"))
        assert len(dry_end["backfills"]) == 4, "to_date is inclusive: the 22nd would be a 4th run"

        t0 = time.monotonic()
        backfill = create_backfill(api, "none")
        runs = af.wait_backfill(DAG_ID, backfill["id"], len(DAYS), 1200.0)
        af.timings["backfill_1"] = time.monotonic() - t0
        assert_all_succeeded(af, runs)
        for run, day in zip(runs, DAYS, strict=True):
            assert _utc(run["logical_date"]) == _utc(_iso(day))
            assert _utc(run["data_interval_start"]) == _utc(_iso(day))
            assert _utc(run["data_interval_end"]) == _utc(_iso(day + timedelta(days=1)))
        first_ids = [r["dag_run_id"] for r in runs]
        print("\nbackfill runs:", [(r["dag_run_id"], r["data_interval_start"],
                                    r["data_interval_end"], r["state"]) for r in runs])

        frame, files = lake_snapshot(lake)
        print(f"lake after backfill: {len(frame)} rows, {len(files)} partition files")

        t0 = time.monotonic()
        again = create_backfill(api, "completed")
        assert again["reprocess_behavior"] == "completed"
        reruns = af.wait_backfill(DAG_ID, again["id"], len(DAYS), 1200.0)
        af.timings["backfill_2"] = time.monotonic() - t0
        assert_all_succeeded(af, reruns)
        # "completed" clears and re-queues the existing runs: same run ids, no new runs
        assert [r["dag_run_id"] for r in reruns] == first_ids

        frame2, files2 = lake_snapshot(lake)
        assert frame2.equals(frame), "rows changed after reprocessing the same days"
        assert files2 == files, "partition files were rewritten by an identical re-run"
        af.assert_alive()  # zero component restarts: every component ran the whole test
    finally:
        exits = af.group.dead()  # before stop(), which ends them all
        af.stop()
        wall = time.monotonic() - started
        mib = 1024 * 1024
        timings = ", ".join(f"{k} {v:.0f}s" for k, v in af.timings.items())
        print(f"\nairflow backfill test: wall {wall:.0f}s ({timings}); peak RSS of the "
              f"process group {af.sampler.peak_group / mib:.0f} MiB, with task runners and "
              f"scrapy children {af.sampler.peak_tree / mib:.0f} MiB "
              f"(PSS {af.sampler.peak_pss / mib:.0f} MiB) "
              f"(max {af.sampler.peak_procs} processes, {af.sampler.samples} samples); "
              f"component exits: {exits or 'none'}, restarts: 0 (the harness restarts nothing)")
