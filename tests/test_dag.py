"""The DAG files: they import cleanly, stay thin, and declare the run shape we promise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(PROJECT_ROOT / "dags"))


def test_dagbag_has_no_import_errors(dagbag) -> None:
    assert dagbag.import_errors == {}
    assert "news_daily" in dagbag.dags


def test_news_daily_shape(dagbag) -> None:
    from airflow.sdk import CronDataIntervalTimetable

    dag = dagbag.dags["news_daily"]
    assert isinstance(dag.timetable, CronDataIntervalTimetable)
    assert dag.catchup is False
    assert set(dag.params.keys()) >= {"sources", "registry"}
    tasks = {t.task_id: t for t in dag.tasks}
    assert set(tasks) == {"plan", "crawl", "write", "gate", "report"}
    assert tasks["write"].pool == "newsflow_lake_writer"
    assert tasks["write"].trigger_rule == "all_done_min_one_success"
    # one gate for every source, which alone emits the Asset event, and only on success
    from airflow.sdk.definitions.mappedoperator import MappedOperator

    assert isinstance(tasks["crawl"], MappedOperator)
    assert not isinstance(tasks["gate"], MappedOperator)
    assert tasks["gate"].upstream_task_ids == {"plan", "write"}
    assert tasks["gate"].trigger_rule == "all_success"
    assert [a.name for a in tasks["gate"].outlets] == ["news_articles"]
    assert not any(t.outlets for name, t in tasks.items() if name != "gate")
    assert tasks["report"].trigger_rule == "all_done_min_one_success"
    # a free slot goes to the task nearest its run's end: backfill runs finish one by one
    assert {t.weight_rule for t in tasks.values()} == {"upstream"}
    assert tasks["crawl"].map_index_template == "{{ source_id }}"
    assert "crawl" in tasks["write"].upstream_task_ids


def test_trigger_form_params(dagbag) -> None:
    """No param is required in the trigger form; `day` is a validated date picker."""
    import copy

    from airflow.sdk.definitions.param import ParamValidationError

    params = dagbag.dags["news_daily"].params
    for name in ("day", "sources", "registry"):
        # the UI marks a field required when its type is set and does not admit null
        assert "null" in params.get_param(name).schema["type"], name
    day = params.get_param("day").schema
    assert (day["format"], day.get("title")) == ("date", "UTC day")  # the form's date picker
    assert params.validate() == {"day": None, "sources": [], "registry": None}
    chosen = copy.deepcopy(params)
    chosen["day"], chosen["sources"] = "2026-11-22", None  # each set validates against its schema
    assert chosen.validate() == {"day": "2026-11-22", "sources": None, "registry": None}
    for bad in ("2026-13-01", "22/11/2026", "2026-11-22T00:00:00"):
        with pytest.raises(ParamValidationError, match="param day"):
            copy.deepcopy(params)["day"] = bad


def test_dag_file_imports_no_heavy_modules() -> None:
    """Parsing the DAG must not import scrapy, pandas or pyarrow."""
    code = (
        "import sys, runpy; runpy.run_path(sys.argv[1]);"
        "heavy = [m for m in ('scrapy', 'pandas', 'pyarrow', 'trafilatura') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(PROJECT_ROOT / "dags" / "news_daily.py")],
        capture_output=True, text=True, check=True, cwd=PROJECT_ROOT,
    )
    assert out.stdout.strip() == ""


def test_queues_and_limits_have_working_defaults(dagbag) -> None:
    """Crawls on queue crawl, the lake's tasks on lake; 500 sources are not capped at 16."""
    dag = dagbag.dags["news_daily"]
    tasks = {t.task_id: t for t in dag.tasks}
    assert tasks["crawl"].queue == "crawl"
    assert {tasks[t].queue for t in ("plan", "write", "gate", "report")} == {"lake"}
    assert dag.max_active_tasks == 64
    assert tasks["crawl"].max_active_tis_per_dagrun == 32
    assert tasks["crawl"].retry_delay.total_seconds() == 300
    assert tasks["crawl"].pool == "default_pool"
    reprocess = dagbag.dags["news_reprocess"].get_task("reprocess")
    assert (reprocess.queue, reprocess.pool) == ("lake", "newsflow_lake_writer")


def test_queues_and_limits_follow_the_environment() -> None:
    """NEWSFLOW_* settings reach the parsed DAG; a bad number is refused by name."""
    import os

    code = (
        "import sys, runpy; g = runpy.run_path(sys.argv[1]); d = g['dag'];"
        "t = {x.task_id: x for x in d.tasks};"
        "print(t['crawl'].queue, t['write'].queue, t['crawl'].pool, d.max_active_tasks,"
        " t['crawl'].max_active_tis_per_dagrun, int(t['crawl'].retry_delay.total_seconds()))"
    )
    env = {**os.environ, "NEWSFLOW_CRAWL_QUEUE": "fetchers", "NEWSFLOW_LAKE_QUEUE": "writer",
           "NEWSFLOW_CRAWL_POOL": "newsflow_crawl", "NEWSFLOW_MAX_ACTIVE_TASKS": "600",
           "NEWSFLOW_CRAWLS_PER_RUN": "500", "NEWSFLOW_RETRY_DELAY_S": "5"}
    daily = str(PROJECT_ROOT / "dags" / "news_daily.py")
    out = subprocess.run([sys.executable, "-c", code, daily], env=env, capture_output=True,
                         text=True, check=True, cwd=PROJECT_ROOT)
    assert out.stdout.split() == ["fetchers", "writer", "newsflow_crawl", "600", "500", "5"]
    env["NEWSFLOW_CRAWLS_PER_RUN"] = "lots"
    bad = subprocess.run([sys.executable, "-c", code, daily], env=env, capture_output=True,
                         text=True, check=False, cwd=PROJECT_ROOT)
    assert bad.returncode != 0 and "NEWSFLOW_CRAWLS_PER_RUN='lots'" in bad.stderr
