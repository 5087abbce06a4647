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
    assert set(tasks) == {"plan", "crawl", "write", "gate", "report", "publish"}
    assert tasks["write"].pool == "newsflow_lake_writer"
    assert tasks["write"].trigger_rule == "all_done_min_one_success"
    assert {"crawl", "gate"} <= tasks["publish"].upstream_task_ids
    assert tasks["crawl"].map_index_template == "{{ source_id }}"
    assert "crawl" in tasks["write"].upstream_task_ids


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
