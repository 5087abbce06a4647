"""Shared fixtures: Airflow env, the demo sites on loopback, and a throwaway lake per test."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_REGISTRY = PROJECT_ROOT / "data" / "demo_sites" / "sources.yaml"



def _isolated_airflow_home() -> Path:
    """A per-session AIRFLOW_HOME holding a copy of the migrated project DB (made by make setup).

    Tests never share the developer's metadata DB, and parallel sessions never share one.
    """
    home = Path(tempfile.mkdtemp(prefix="newsflow-airflow-"))
    source_db = PROJECT_ROOT / "airflow_home" / "airflow.db"
    if source_db.exists():
        with sqlite3.connect(source_db) as src, sqlite3.connect(home / "airflow.db") as dst:
            src.backup(dst)
    else:  # pytest run without `make setup`: migrate a fresh DB (slower)
        env = {**os.environ, "AIRFLOW_HOME": str(home)}
        airflow = str(Path(sys.executable).with_name("airflow"))
        subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True)
        subprocess.run([airflow, "pools", "set", "newsflow_lake_writer", "1", "lake writer"],
                       env=env, check=True, capture_output=True)
    return home


# Airflow reads its configuration at import time: set it before any test imports airflow.
os.environ["AIRFLOW_HOME"] = str(_isolated_airflow_home())
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(PROJECT_ROOT / "dags"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "scrapers.settings")
os.environ["NEWSFLOW_TASK_RETRIES"] = "0"
_pythonpath = os.environ.get("PYTHONPATH", "")
if str(PROJECT_ROOT) not in _pythonpath.split(os.pathsep):
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), _pythonpath) if p)


@pytest.fixture(scope="session")
def demo_server() -> Iterator[object]:
    """The bundled demo sites served on 127.0.0.1 for the whole session."""
    from scrapers.demo.server import serve_demo_sites

    server = serve_demo_sites()
    os.environ["NEWSFLOW_DEMO_BASE"] = server.base_url
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh lake and staging area; subprocess crawls inherit them through the environment."""
    root = tmp_path / "lake"
    monkeypatch.setenv("NEWSFLOW_LAKE", str(root))
    monkeypatch.setenv("NEWSFLOW_STAGING", str(tmp_path / "staging"))
    return root


@pytest.fixture
def demo_registry(demo_server: object, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NEWSFLOW_REGISTRY", str(DEMO_REGISTRY))
    return DEMO_REGISTRY


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(os.environ["AIRFLOW_HOME"], ignore_errors=True)
