"""Manual runs as users make them, in a real Airflow: the Trigger form (REST), the CLI, task logs.

One throwaway Airflow (tests/airflow_proc.py) with its components at logging level WARNING, as
the Makefile sets it, runs three one-source runs at once:

- REST, logical date 2026-11-22 00:00 (Airflow infers [11-21, 11-22)) and ``day`` 2026-11-20:
  the run crawls the 20th, and its plan log says so on its first line of our output;
- REST with ``logical_date: null`` and no ``day``: the previous UTC day; report still succeeds;
- ``airflow dags trigger news_daily -c '{...}'`` (no logical date) with ``day`` 2026-11-21.

Then it reads finished task logs back through ``GET .../taskInstances/{task}/logs/{try}`` and
checks that the crawl, write and report logs say what happened.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scrapers.demo.standalone import airflow_bin
from tests.airflow_proc import TERMINAL_RUN_STATES, AirflowApi, AirflowHarness
from tests.demo_truth import expected_for_day

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]

DAG_ID = "news_daily"


@pytest.fixture
def airflow(tmp_path: Path, lake: Path, demo_registry: Path) -> Iterator[AirflowHarness]:
    """A running throwaway Airflow whose components log at WARNING; always stopped."""
    extra = {k: os.environ[k] for k in (
        "NEWSFLOW_DEMO_BASE", "NEWSFLOW_REGISTRY", "NEWSFLOW_LAKE", "NEWSFLOW_STAGING")}
    extra["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"  # what the Makefile exports
    af = AirflowHarness(tmp_path / "af", extra_env=extra)
    try:
        af.init_db()
        af.start()
        af.wait_for_dag(DAG_ID)
        yield af
    finally:
        af.stop()


def trigger_rest(api: AirflowApi, logical_date: str | None, conf: dict[str, Any]
                 ) -> dict[str, Any]:
    """POST /api/v2/dags/news_daily/dagRuns, as the Trigger form's Trigger button does."""
    return api.post(f"/api/v2/dags/{DAG_ID}/dagRuns",
                    {"logical_date": logical_date, "conf": conf})


def trigger_cli(af: AirflowHarness, conf: dict[str, Any]) -> str:
    """The README's ``airflow dags trigger news_daily -c '{...}'``; the new run's id."""
    before = {r["dag_run_id"] for r in list_runs(af.api)}
    proc = subprocess.run([airflow_bin(), "dags", "trigger", DAG_ID, "-c", json.dumps(conf)],
                          env=af.env, capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    new = [r["dag_run_id"] for r in list_runs(af.api) if r["dag_run_id"] not in before]
    assert len(new) == 1, (new, proc.stdout)
    return new[0]


def list_runs(api: AirflowApi | None) -> list[dict[str, Any]]:
    assert api is not None
    return api.get(f"/api/v2/dags/{DAG_ID}/dagRuns", params={"limit": 100})["dag_runs"]


def wait_runs(af: AirflowHarness, run_ids: list[str], timeout: float = 1100.0
              ) -> dict[str, dict[str, Any]]:
    """Poll until every run is finished; the runs by id."""
    deadline = time.monotonic() + timeout
    runs: dict[str, dict[str, Any]] = {}
    while time.monotonic() < deadline:
        runs = {r["dag_run_id"]: r for r in list_runs(af.api) if r["dag_run_id"] in run_ids}
        if len(runs) == len(run_ids) and all(r["state"] in TERMINAL_RUN_STATES
                                             for r in runs.values()):
            return runs
        af.assert_alive()
        time.sleep(2.0)
    raise AssertionError(f"runs not done after {timeout:.0f}s: "
                         f"{[(k, r['state']) for k, r in runs.items()]}\n{af.log_tails()}")


def task_states(api: AirflowApi, run_id: str) -> dict[str, dict[str, Any]]:
    """``task_id -> task instance`` of a run (each of these runs maps one source)."""
    tis = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances",
                  params={"limit": 100})["task_instances"]
    return {t["task_id"]: t for t in tis}


def task_log(api: AirflowApi, run_id: str, ti: dict[str, Any]) -> str:
    """A finished task's log as the UI reads it: the REST API's structured events, as text."""
    body = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{ti['task_id']}"
                   f"/logs/{ti['try_number']}", params={"map_index": ti["map_index"]},
                   headers={"Accept": "application/json"})
    lines = []
    for event in body["content"]:
        lines.append(event if isinstance(event, str) else str(event.get("event", "")))
    return "\n".join(lines)


def run_logs(api: AirflowApi, run_id: str) -> str:
    """Every task's state and log of a run, through the REST API (for failure messages)."""
    parts = []
    for ti in task_states(api, run_id).values():
        text = task_log(api, run_id, ti) if ti["try_number"] else "(never ran)"
        parts.append(f"--- {ti['task_id']} [{ti['map_index']}] {ti['state']} ---\n{text[-4000:]}")
    return "\n".join(parts)


def lake_days(lake: Path, source: str) -> dict[date, int]:
    """Rows per UTC day of one source in the lake."""
    from transforms.lake import read_articles

    df = read_articles(lake, sources=[source])
    return {d: int(n) for d, n in df["date"].value_counts().items()}


def truth_count(day: date, source: str) -> int:
    return sum(1 for a in expected_for_day(day).values() if a.source == source)


def test_manual_runs_and_task_logs(airflow: AirflowHarness, lake: Path) -> None:
    af = airflow
    api = af.api
    assert api is not None
    assert api.patch(f"/api/v2/dags/{DAG_ID}", {"is_paused": False})["is_paused"] is False

    # the form's date picker sends YYYY-MM-DD; anything else is refused before a run exists
    bad = api.client.post(f"/api/v2/dags/{DAG_ID}/dagRuns",
                          json={"logical_date": None, "conf": {"day": "2026-13-01"}})
    assert bad.status_code == 400 and "day" in bad.text, bad.text

    chosen = trigger_rest(api, "2026-11-22T00:00:00Z",
                          {"sources": ["padma-herald"], "day": "2026-11-20"})
    no_date = trigger_rest(api, None, {"sources": ["himalaya-post"]})
    cli_id = trigger_cli(af, {"sources": ["indus-chronicle"], "day": "2026-11-21"})
    ids = [chosen["dag_run_id"], no_date["dag_run_id"], cli_id]
    runs = wait_runs(af, ids)

    # 1. logical date 11-22: Airflow's interval is [11-21, 11-22), the day param wins
    run = runs[chosen["dag_run_id"]]
    assert run["data_interval_start"].startswith("2026-11-21")
    states = task_states(api, run["dag_run_id"])
    assert run["state"] == "success", run_logs(api, run["dag_run_id"])
    plan_log = task_log(api, run["dag_run_id"], states["plan"])
    ours = [ln for ln in plan_log.splitlines() if ln.startswith("news_daily")]
    assert ours[0] == ("news_daily crawls UTC day 2026-11-20: [2026-11-20T00:00:00+00:00, "
                       "2026-11-21T00:00:00+00:00) chosen by the run's day param"), plan_log
    assert lake_days(lake, "padma-herald") == {date(2026, 11, 20): truth_count(
        date(2026, 11, 20), "padma-herald")}

    crawl_log = task_log(api, run["dag_run_id"], states["crawl"])
    print(f"\n--- crawl task log of {run['dag_run_id']} via REST ---\n{crawl_log}")
    summary = re.search(r"^crawl of padma-herald: finished\n(?:  .*\n?)+", crawl_log, re.M)
    assert summary, crawl_log
    staged = truth_count(date(2026, 11, 20), "padma-herald")
    assert re.search(rf"articles +\d+ requested, \d+ fetched, {staged} staged", summary[0])
    for label in ("documents", "in the window", "robots.txt", "errors", "WARC", "stats file"):
        assert label in summary[0], label
    write_log = task_log(api, run["dag_run_id"], states["write"])
    assert re.search(rf"padma-herald: {staged} staged, {staged} inserted", write_log), write_log
    report_log = task_log(api, run["dag_run_id"], states["report"])
    report = lake / "reports" / "date=2026-11-20" / "report.html"
    assert f"report: file://{report.resolve()}" in report_log, report_log
    assert re.search(r"padma-herald\s+ok\s+\d+\s+\d+\s+" + str(staged), report_log)

    # 2. REST trigger with logical_date null: no data interval; the previous UTC day
    run = runs[no_date["dag_run_id"]]
    assert run["logical_date"] is None and run["data_interval_start"] is None
    states = task_states(api, run["dag_run_id"])
    assert states["report"]["state"] == "success", run_logs(api, run["dag_run_id"])
    assert states["gate"]["state"] in ("success", "failed"), states["gate"]
    plan_log = task_log(api, run["dag_run_id"], states["plan"])
    after = datetime.fromisoformat(run["run_after"].replace("Z", "+00:00")).astimezone(UTC)
    day = (after - timedelta(days=1)).date().isoformat()
    assert (f"news_daily crawls UTC day {day}: " in plan_log
            and "chosen by no logical date: the previous UTC day" in plan_log), plan_log
    assert "KeyError" not in af.task_log_tails(run["dag_run_id"])
    assert (lake / "reports" / f"date={day}" / "report.html").is_file()

    # 3. the CLI form: no logical date, the day param
    run = runs[cli_id]
    assert run["logical_date"] is None
    states = task_states(api, cli_id)
    assert run["state"] == "success", run_logs(api, cli_id)
    assert lake_days(lake, "indus-chronicle") == {date(2026, 11, 21): truth_count(
        date(2026, 11, 21), "indus-chronicle")}
    af.assert_alive()

    # 4. a later one-source run of the same day replaces only its own source's report row: the
    # day's page and run_reports still show padma-herald as the first run left it
    from transforms.lake import read_run_reports

    later = trigger_rest(api, None, {"sources": ["ganga-times"], "day": "2026-11-20"})
    run = wait_runs(af, [later["dag_run_id"]])[later["dag_run_id"]]
    assert run["state"] == "success", run_logs(api, later["dag_run_id"])
    rows = read_run_reports(lake, dates=[date(2026, 11, 20)]).set_index("source")
    assert rows["run_id"].to_dict() == {"padma-herald": chosen["dag_run_id"],
                                        "ganga-times": later["dag_run_id"]}
    page = report.read_text(encoding="utf-8")
    for source, run_id in rows["run_id"].items():
        assert re.search(rf"<tr><td>{source}</td>.*?<code>{re.escape(run_id)}</code></td></tr>",
                         page), source
    af.assert_alive()
