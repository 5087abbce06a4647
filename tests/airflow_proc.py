"""Test helper: a throwaway Airflow (api-server, scheduler, dag-processor, triggerer) on loopback.

All four components run as one process group (see ``scrapers.demo.standalone.ProcessGroup``) in a
temporary ``AIRFLOW_HOME`` with the LocalExecutor, on a throwaway PostgreSQL cluster
(``scrapers.demo.postgres``) that the group supervises and stops last. The harness samples the RSS
of the group while it runs and always stops it by process group (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from scrapers.demo.postgres import PostgresCluster
from scrapers.demo.standalone import (
    ADMIN_USER,
    HOST,
    SQL_CONN_ENV,
    ProcessGroup,
    airflow_env,
    component_commands,
    free_port,
    init_airflow_home,
    resolve_jwt_secret,
    wait_healthy,
    write_auth_passwords,
)

TERMINAL_RUN_STATES = {"success", "failed"}


class RssSampler(threading.Thread):
    """Samples the summed RSS of a ProcessGroup every ``interval`` seconds; keeps the peaks."""

    def __init__(self, group: ProcessGroup, interval: float = 1.0) -> None:
        super().__init__(daemon=True, name="rss-sampler")
        self.group = group
        self.interval = interval
        self.peak_group = 0  # bytes: processes in the group (Airflow components, executor workers)
        self.peak_tree = 0  # bytes: + descendants in their own groups (task runners, scrapy)
        self.peak_pss = 0  # bytes: PSS of the whole tree (shared pages counted once)
        self.peak_procs = 0
        self.samples = 0
        self._halt = threading.Event()

    def run(self) -> None:
        import psutil

        while not self._halt.is_set():
            tree = self.group.tree()
            members = {p.pid for p in self.group.group_members(tree)}
            group_rss = tree_rss = tree_pss = 0
            for proc in tree:
                with contextlib.suppress(psutil.Error):
                    mem = proc.memory_full_info()
                    tree_rss += mem.rss
                    tree_pss += getattr(mem, "pss", mem.rss)
                    if proc.pid in members:
                        group_rss += mem.rss
            self.peak_group = max(self.peak_group, group_rss)
            self.peak_tree = max(self.peak_tree, tree_rss)
            self.peak_pss = max(self.peak_pss, tree_pss)
            self.peak_procs = max(self.peak_procs, len(tree))
            self.samples += 1
            self._halt.wait(self.interval)

    def halt(self) -> None:
        self._halt.set()
        self.join(timeout=10)


class AirflowApi:
    """A tiny REST client for the public API: logs in via ``POST /auth/token``, sends the bearer."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url
        self.client = httpx.Client(base_url=base_url, timeout=30.0)
        resp = self.client.post("/auth/token", json={"username": username, "password": password})
        assert resp.status_code == 201, f"login failed: {resp.status_code} {resp.text}"
        self.client.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"

    def request(self, method: str, path: str, *, expect: int | tuple[int, ...] = 200,
                **kwargs: Any) -> Any:
        """Call ``path``; assert the status; return the JSON body (or None)."""
        resp = self.client.request(method, path, **kwargs)
        wanted = (expect,) if isinstance(expect, int) else expect
        assert resp.status_code in wanted, f"{method} {path}: {resp.status_code} {resp.text}"
        return resp.json() if resp.content else None

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Mapping[str, Any], **kwargs: Any) -> Any:
        return self.request("POST", path, json=dict(body), **kwargs)

    def patch(self, path: str, body: Mapping[str, Any], **kwargs: Any) -> Any:
        return self.request("PATCH", path, json=dict(body), **kwargs)

    def close(self) -> None:
        self.client.close()


class AirflowHarness:
    """A temporary Airflow: fresh PostgreSQL and home, four components in one group, a client.

    ``extra_env`` (e.g. NEWSFLOW_LAKE, NEWSFLOW_REGISTRY, NEWSFLOW_DEMO_BASE) is passed to every
    component, so LocalExecutor tasks and their ``scrapy`` subprocesses inherit it. If it names a
    database (``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN``), that one is used and no cluster started.

    The harness's own cluster lives in a ``mkdtemp`` folder that ``stop()`` removes, not under
    pytest's ``tmp_path``: as root the server runs as another user, who must be able to pass
    through every parent folder, and each new pytest session resets its base folder to 0700.
    """

    def __init__(self, root: Path, extra_env: Mapping[str, str] | None = None,
                 base_env: Mapping[str, str] | None = None) -> None:
        self.root = root
        self.home = root / "airflow_home"
        self.log_dir = root / "components"
        self.api_port = free_port()
        self.api_url = f"http://{HOST}:{self.api_port}"
        self.password = secrets.token_urlsafe(16)
        self.home.mkdir(parents=True, exist_ok=True)
        base = dict(base_env if base_env is not None else os.environ)
        base.pop(SQL_CONN_ENV, None)  # never the project's database or one from the shell
        self.pg_root: Path | None = None
        self.postgres: PostgresCluster | None = None
        if SQL_CONN_ENV not in (extra_env or {}):
            self.pg_root = Path(tempfile.mkdtemp(prefix="newsflow-test-pg-"))
            self.postgres = PostgresCluster(self.pg_root / "postgres", durable=False)
        passwords_file = write_auth_passwords(self.home, self.password)
        self.env = airflow_env(
            base,
            airflow_home=self.home,
            api_port=self.api_port,
            passwords_file=passwords_file,
            jwt_secret=resolve_jwt_secret(self.home),
            extra={
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
                "NEWSFLOW_TASK_RETRIES": "0",
                # 2-CPU CI boxes: 4 task slots (LocalExecutor forks this many workers up front)
                "AIRFLOW__CORE__PARALLELISM": "4",
                # only the runs the test creates: no scheduled run appears on unpause
                "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
                **(extra_env or {}),
            },
        )
        self.group = ProcessGroup(self.env, log_dir=self.log_dir)
        self.sampler = RssSampler(self.group)
        self.api: AirflowApi | None = None
        self.timings: dict[str, float] = {}
        self.commands: dict[str, list[str]] = {}

    def init_db(self) -> None:
        """Our own PostgreSQL (unless given one), ``airflow db migrate`` and the lake pool."""
        if self.postgres is not None:
            started = time.monotonic()
            uri = self.postgres.start()
            assert self.postgres.process is not None
            self.group.attach("postgres", self.postgres.process, self.postgres.stop)
            self.env[SQL_CONN_ENV] = self.group.env[SQL_CONN_ENV] = uri
            self.timings["postgres"] = time.monotonic() - started
        started = time.monotonic()
        init_airflow_home(self.env, log=self.root / "init.log")
        self.timings["db_migrate"] = time.monotonic() - started

    def start(self, timeout: float = 240.0) -> AirflowApi:
        """Start the four components as one group, wait for health, log in; return the client."""
        started = time.monotonic()
        self.commands = component_commands(self.api_port)
        for name, cmd in self.commands.items():
            self.group.start(name, cmd)
        self.sampler.start()
        wait_healthy(self.api_url, self.group, timeout=timeout)
        self.api = AirflowApi(self.api_url, ADMIN_USER, self.password)
        self.timings["startup"] = time.monotonic() - started
        return self.api

    def wait_for_dag(self, dag_id: str, timeout: float = 180.0) -> dict[str, Any]:
        """Wait until the dag-processor has serialised ``dag_id``; return its API record."""
        assert self.api is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            resp = self.api.client.get(f"/api/v2/dags/{dag_id}")
            if resp.status_code == 200:
                return resp.json()
            self.assert_alive()
            time.sleep(1.0)
        raise TimeoutError(f"{dag_id} not parsed after {timeout:.0f}s\n{self.log_tails()}")

    def assert_alive(self) -> None:
        """Fail, with every component's last output, if any component (or PostgreSQL) exited."""
        if dead := self.group.dead():
            raise AssertionError(f"component(s) exited: {dead}\n{self.log_tails()}")

    def stop(self) -> None:
        """Stop everything by process group, then our PostgreSQL; always safe to call."""
        if self.api is not None:
            self.api.close()
        try:
            self.group.stop()
            if self.postgres is not None:
                self.postgres.stop()
        finally:
            if self.sampler.is_alive():
                self.sampler.halt()
            if self.pg_root is not None:
                shutil.rmtree(self.pg_root, ignore_errors=True)

    def backfill_runs(self, dag_id: str) -> list[dict[str, Any]]:
        """Every backfill run of ``dag_id``, oldest logical date first."""
        assert self.api is not None
        runs = self.api.get(f"/api/v2/dags/{dag_id}/dagRuns",
                            params={"limit": 100, "order_by": "logical_date"})["dag_runs"]
        return [r for r in runs if r["run_type"] == "backfill"]

    def wait_backfill(self, dag_id: str, backfill_id: int, runs_wanted: int,
                      timeout: float = 1200.0) -> list[dict[str, Any]]:
        """Poll until ``runs_wanted`` backfill runs finished and the backfill completed."""
        assert self.api is not None
        deadline = time.monotonic() + timeout
        last: list[tuple[str, str]] = []
        while time.monotonic() < deadline:
            runs = self.backfill_runs(dag_id)
            last = [(r["dag_run_id"], r["state"]) for r in runs]
            if (len(runs) == runs_wanted
                    and all(r["state"] in TERMINAL_RUN_STATES for r in runs)
                    and self.api.get(f"/api/v2/backfills/{backfill_id}")["completed_at"]
                    is not None):
                return runs
            self.assert_alive()
            time.sleep(2.0)
        raise AssertionError(f"backfill {backfill_id} not done after {timeout:.0f}s: {last}\n"
                             f"{self.log_tails()}")

    def log_tails(self, size: int = 2500) -> str:
        """The end of each component's output (for failure messages)."""
        parts = []
        for path in sorted(self.log_dir.glob("*.log")):
            text = path.read_text(encoding="utf-8", errors="replace")
            parts.append(f"--- {path.name} (last {size} chars) ---\n{text[-size:]}")
        return "\n".join(parts)

    def task_log_tails(self, run_id: str, size: int = 3000) -> str:
        """The end of every task log of ``run_id`` found under ``$AIRFLOW_HOME/logs``."""
        parts = []
        for path in sorted((self.home / "logs").rglob("*.log")):
            if f"run_id={run_id}" in str(path):
                text = path.read_text(encoding="utf-8", errors="replace")
                parts.append(f"--- {path.relative_to(self.home)} ---\n{text[-size:]}")
        return "\n".join(parts)

    def __enter__(self) -> AirflowHarness:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
