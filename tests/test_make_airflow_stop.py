"""`make airflow` for real: PostgreSQL set up once and reused, a 0600 JWT key, and a clean stop.

Runs the Makefile's ``airflow`` recipe in a throwaway ``AIRFLOW_HOME`` on a free port (set-up
targets are taken as done with ``make -o``: this test is about the recipe, not about ``uv sync``).
The first run is stopped as issue 16 describes: SIGTERM to make, twice, and a Ctrl-C to the job's
process group while it stops. The second run must reuse the cluster and the migrated database.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import jwt
import psutil
import pytest

from scrapers.demo.loopback import free_port, port_is_free
from scrapers.demo.standalone import (
    JWT_SECRET_BYTES,
    JWT_SECRET_ENV,
    JWT_SECRET_FILE,
    SQL_CONN_ENV,
    STOP_GRACE,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
READY_LINE = "Stop with Ctrl-C."


@dataclass
class MakeAirflow:
    """One ``make airflow`` job in its own session; its output collected line by line."""

    home: Path
    port: int
    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    _queue: queue.Queue[str] = field(default_factory=queue.Queue)

    @classmethod
    def start(cls, home: Path, port: int) -> MakeAirflow:
        env = {k: v for k, v in os.environ.items()
               if k not in (SQL_CONN_ENV, "NEWSFLOW_ADMIN_PASSWORD", "MAKEFLAGS", "MFLAGS")}
        env["NEWSFLOW_AIRFLOW_PORT"] = str(port)
        cmd = ["make", "-s", "-C", str(PROJECT_ROOT),
               "-o", str(PROJECT_ROOT / ".venv" / ".synced"), "-o", "airflow_home/.ready",
               "airflow", f"AIRFLOW_HOME={home}"]
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        job = cls(home, port, proc)
        threading.Thread(target=job._read, daemon=True).start()
        return job

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))

    def drain(self) -> None:
        with contextlib.suppress(queue.Empty):
            while True:
                self.lines.append(self._queue.get_nowait())

    def wait_for(self, text: str, timeout: float) -> None:
        """Wait until a line containing ``text`` is printed; fail with the output otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=1.0)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            self.lines.append(line)
            if text in line:
                return
        self.drain()
        pytest.fail(f"make airflow never printed {text!r}:\n" + "\n".join(self.lines[-80:]))

    def output(self) -> str:
        self.drain()
        return "\n".join(self.lines)

    def processes(self) -> list[psutil.Process]:
        """make and every process below it (standalone, Airflow, demo sites, PostgreSQL)."""
        top = psutil.Process(self.proc.pid)
        return [top, *top.children(recursive=True)]


def _alive(procs: list[psutil.Process]) -> list[psutil.Process]:
    alive = []
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                alive.append(proc)
    return alive


def _belonging_to(home: Path) -> list[psutil.Process]:
    """Every live process that runs with ``home`` as AIRFLOW_HOME or names it on its cmdline."""
    found = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if proc.pid == os.getpid() or proc.status() == psutil.STATUS_ZOMBIE:
                continue
            if any(str(home) in arg for arg in proc.cmdline()) or \
                    proc.environ().get("AIRFLOW_HOME") == str(home):
                found.append(proc)
    return found


def _postgres_port(procs: list[psutil.Process], home: Path) -> int:
    data = str(home / "postgres" / "data")
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            args = proc.cmdline()
            if args and Path(args[0]).name == "postgres" and data in args:
                return int(args[args.index("-p") + 1])
    raise AssertionError("no postgres server under make airflow")


def _wait_gone(procs: list[psutil.Process], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while _alive(procs) and time.monotonic() < deadline:
        time.sleep(0.5)


@pytest.fixture
def airflow_home() -> Iterator[Path]:
    """A throwaway AIRFLOW_HOME the PostgreSQL server user can reach (not under pytest's 0700)."""
    home = Path(tempfile.mkdtemp(prefix="newsflow-test-make-airflow-"))
    try:
        yield home
    finally:
        for proc in _belonging_to(home):  # only if the test failed half-way
            with contextlib.suppress(psutil.Error):
                proc.kill()
        shutil.rmtree(home, ignore_errors=True)


def _check_components(job: MakeAirflow) -> None:
    """Every Airflow process uses the private PostgreSQL and the stored 64-byte JWT key."""
    secret_file = job.home / JWT_SECRET_FILE
    assert secret_file.stat().st_mode & 0o777 == 0o600
    secret = secret_file.read_text().strip()
    assert len(secret.encode()) >= JWT_SECRET_BYTES, "at least 64 bytes for HS512"
    assert (job.home / "admin-password").stat().st_mode & 0o777 == 0o600
    assert (job.home / "postgres" / "password").stat().st_mode & 0o777 == 0o600
    components = []
    for proc in job.processes():
        with contextlib.suppress(psutil.Error):
            args = proc.cmdline()
            # `.venv/bin/airflow <component>`, or a process title such as `airflow worker -- ...`
            if args and (args[0].startswith("airflow ") or any(
                    Path(arg).name == "airflow" for arg in args[:2])):
                components.append((args, proc.environ()))
    commands = " ".join(" ".join(args) for args, _ in components)
    for name in ("api-server", "scheduler", "dag-processor", "triggerer"):
        assert name in commands or name.replace("-", "_") in commands, f"{name} not running"
    checked = 0
    for args, env in components:
        if args[0].startswith("airflow ") and not env:
            continue  # setproctitle (api-server, executor workers) overwrote /proc/PID/environ
        assert env.get(JWT_SECRET_ENV) == secret, f"{args[:3]} lacks the stored JWT secret"
        assert env.get(SQL_CONN_ENV, "").startswith("postgresql+psycopg2://newsflow:"), args[:3]
        assert "@127.0.0.1:" in env[SQL_CONN_ENV]
        checked += 1
    assert checked >= 3, "scheduler, dag-processor and triggerer at least"
    # the api-server (environ unreadable) signs its tokens with the stored key (HS512)
    password = (job.home / "admin-password").read_text().strip()
    resp = httpx.post(f"http://127.0.0.1:{job.port}/auth/token", timeout=60,
                      json={"username": "admin", "password": password})
    assert resp.status_code == 201, resp.text
    token = resp.json()["access_token"]
    claims = jwt.decode(token, secret, algorithms=["HS512"], options={"verify_aud": False})
    assert claims["sub"], claims
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, secret[:-1] + ("A" if secret[-1] != "A" else "B"),
                   algorithms=["HS512"], options={"verify_aud": False})
    time.sleep(2)
    assert "HMAC key is" not in job.output(), "PyJWT still warns about a short key"


def _stop(job: MakeAirflow, *, twice: bool) -> tuple[int, int]:
    """Stop the job as a user would; return the process count before and after."""
    before = job.processes()
    pg_port = _postgres_port(before, job.home)
    job.proc.send_signal(signal.SIGTERM)
    if twice:
        time.sleep(0.5)
        job.proc.send_signal(signal.SIGTERM)
        job.wait_for("Stopping Airflow", timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(job.proc.pid, signal.SIGINT)  # a Ctrl-C in the terminal, mid-shutdown
    _wait_gone(before, timeout=STOP_GRACE + 60)
    job.proc.wait(timeout=30)
    survivors = _alive(before) + _belonging_to(job.home)
    assert not survivors, f"left running: {[(p.pid, p.cmdline()[:3]) for p in survivors]}\n" \
        f"{job.output()[-4000:]}"
    assert port_is_free(job.port), f"API port {job.port} still taken"
    assert port_is_free(pg_port), f"PostgreSQL port {pg_port} still taken"
    out = job.output()
    assert re.search(r"Stopped in \d+s", out), out[-3000:]
    for line in out.splitlines():
        if re.search(r"Stopping|received again|SIGKILL|Stopped in|Terminated", line):
            print(f"    make airflow| {line.strip()}")
    return len(before), len(survivors)


def test_make_airflow_reuses_postgres_and_stops_cleanly_on_repeated_signals(
        airflow_home: Path) -> None:
    port = free_port()
    job = MakeAirflow.start(airflow_home, port)
    try:
        job.wait_for(READY_LINE, timeout=600)
        out = job.output()
        assert f"Creating PostgreSQL in {airflow_home / 'postgres'}" in out
        assert "Initialised Airflow's database" in out
        _check_components(job)
        before, after = _stop(job, twice=True)
        print(f"\nmake airflow, first run: {before} processes before the stop, {after} after")
        assert "received again; already stopping" in job.output(), \
            "the mid-shutdown Ctrl-C never reached the supervisor"

        again = MakeAirflow.start(airflow_home, port)
        job = again
        again.wait_for(READY_LINE, timeout=600)
        out = again.output()
        assert f"Starting PostgreSQL in {airflow_home / 'postgres'}" in out, "cluster not reused"
        assert "Initialised Airflow's database" not in out, "migrated an up-to-date database"
        _check_components(again)
        before, after = _stop(again, twice=False)
        print(f"make airflow, second run: {before} processes before the stop, {after} after")
    finally:
        if job.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(job.proc.pid, signal.SIGKILL)
