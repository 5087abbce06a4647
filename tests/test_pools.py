"""``python -m scrapers.pools``: the DAGs' pools, created through the real Airflow CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scrapers.pools import pool_specs

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def airflow_pools() -> dict[str, int]:
    """Pool name -> slots, as the test Airflow database holds them."""
    airflow = str(Path(sys.executable).with_name("airflow"))
    out = subprocess.run([airflow, "pools", "list", "--output", "json"], capture_output=True,
                         text=True, check=True, timeout=300)
    return {p["pool"]: int(p["slots"]) for p in json.loads(out.stdout)}


def test_pools_command_creates_the_writer_and_crawl_pools() -> None:
    """The command imports both pools; a re-run with other slots updates the crawl pool."""
    env = {**os.environ, "NEWSFLOW_CRAWL_POOL_SLOTS": "7"}
    run = subprocess.run([sys.executable, "-m", "scrapers.pools"], env=env, cwd=PROJECT_ROOT,
                         capture_output=True, text=True, check=False, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "pool newsflow_crawl: 7 slot(s)" in run.stdout
    pools = airflow_pools()
    assert (pools["newsflow_lake_writer"], pools["newsflow_crawl"]) == (1, 7)
    again = subprocess.run([sys.executable, "-m", "scrapers.pools", "--crawl-slots", "9"],
                           cwd=PROJECT_ROOT, capture_output=True, text=True, check=False,
                           timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    assert airflow_pools()["newsflow_crawl"] == 9


def test_bad_slot_counts_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A crawl pool of no slots, or a non-number, is a clear error."""
    monkeypatch.setenv("NEWSFLOW_CRAWL_POOL_SLOTS", "many")
    with pytest.raises(ValueError, match="NEWSFLOW_CRAWL_POOL_SLOTS='many'"):
        pool_specs()
    with pytest.raises(ValueError, match="at least 1 slot"):
        pool_specs(0)
    printed = subprocess.run([sys.executable, "-m", "scrapers.pools", "--print"],
                             cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60,
                             env={**os.environ, "NEWSFLOW_CRAWL_POOL_SLOTS": "0"})
    assert printed.returncode == 2 and "NEWSFLOW_CRAWL_POOL_SLOTS='0'" in printed.stderr
