"""`make airflow`: the demo sites plus a local Airflow (UI, scheduler, dag-processor, triggerer).

Everything binds to 127.0.0.1. Airflow's metadata database is a private PostgreSQL cluster in
``$AIRFLOW_HOME/postgres`` (``scrapers.demo.postgres``; created on the first run, reused after),
unless ``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN`` names a database of your own. The components run
as ONE process group with the LocalExecutor and the simple auth manager; Ctrl-C / SIGTERM stops
them (SIGKILL for any still running ``STOP_GRACE`` s later), then PostgreSQL (fast shutdown).

Secrets, generated on the first run and kept mode 0600 in ``$AIRFLOW_HOME``: ``admin-password``
(unless ``NEWSFLOW_ADMIN_PASSWORD`` is set), ``jwt-secret`` (the API's 64-byte token signing key,
given to every component) and ``postgres/password``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from scrapers.demo.loopback import HOST, free_port, port_is_free
from scrapers.demo.secret_files import read_private, stored_secret, write_private

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEMO_REGISTRY = PROJECT_ROOT / "data" / "demo_sites" / "sources.yaml"
LAKE_WRITER_POOL = "newsflow_lake_writer"
ADMIN_USER = "admin"
PASSWORD_ENV = "NEWSFLOW_ADMIN_PASSWORD"
PASSWORD_FILE = "admin-password"
AUTH_PASSWORDS_FILE = "simple_auth_manager_passwords.json"
JWT_SECRET_FILE = "jwt-secret"
JWT_SECRET_ENV = "AIRFLOW__API_AUTH__JWT_SECRET"  # [api_auth] jwt_secret in config.yml
JWT_SECRET_BYTES = 64  # the HS512 minimum PyJWT asks for; Airflow generates 16
SQL_CONN_ENV = "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"
NAMESPACE_LEVELS_ENV = "AIRFLOW__LOGGING__NAMESPACE_LEVELS"  # [logging] namespace_levels (3.2+)
# The "task" logger writes the task logs: the task's stdout (the DAG's crawl, write and report
# summaries) and Airflow's own task lines. INFO there whatever [logging] logging_level keeps the
# components (scheduler, api-server...) at.
TASK_LOG_LEVEL = "task=INFO"
POSTGRES_DIR = "postgres"
DB_READY_FILE = "db-ready"  # in the cluster's folder: the Airflow version it was migrated for
SIMPLE_AUTH_MANAGER = (
    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
)
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")


def airflow_bin() -> str:
    """The ``airflow`` console script next to this interpreter."""
    return str(Path(sys.executable).with_name("airflow"))


@dataclass(frozen=True)
class AdminPassword:
    """The admin password and where it came from."""

    password: str
    source: str  # "env" or a file path
    created: bool  # True only on the run that generated it


def resolve_admin_password(airflow_home: Path) -> AdminPassword:
    """``NEWSFLOW_ADMIN_PASSWORD``, else ``<home>/admin-password`` (generated 0600 if missing)."""
    if env_value := os.environ.get(PASSWORD_ENV):
        return AdminPassword(env_value, "env", False)
    path = airflow_home / PASSWORD_FILE
    if (password := read_private(path)) is not None:
        return AdminPassword(password, str(path), False)
    password = secrets.token_urlsafe(18)
    write_private(path, password + "\n")
    return AdminPassword(password, str(path), True)


def resolve_jwt_secret(airflow_home: Path) -> str:
    """The API's JWT signing key: ``<home>/jwt-secret``, 64 random bytes generated once (0600)."""
    secret, _ = stored_secret(airflow_home / JWT_SECRET_FILE, JWT_SECRET_BYTES)
    return secret


def write_auth_passwords(airflow_home: Path, password: str, user: str = ADMIN_USER) -> Path:
    """Write the simple auth manager's JSON passwords file (0600) for ``user``; return its path."""
    path = airflow_home / AUTH_PASSWORDS_FILE
    write_private(path, json.dumps({user: password}) + "\n")
    return path


def airflow_env(
    base: Mapping[str, str],
    *,
    airflow_home: Path,
    api_port: int,
    passwords_file: Path,
    database_uri: str | None = None,
    jwt_secret: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Env for every Airflow component: loopback only, LocalExecutor, simple auth.

    ``database_uri`` (SQLAlchemy) and ``jwt_secret`` (the API's token signing key, which every
    component must share) are set when given.
    """
    env = dict(base)
    pythonpath = [str(PROJECT_ROOT), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]]
    api_url = f"http://{HOST}:{api_port}"
    env.update({
        "AIRFLOW_HOME": str(airflow_home),
        "PYTHONPATH": os.pathsep.join(dict.fromkeys(pythonpath)),
        "SCRAPY_SETTINGS_MODULE": "scrapers.settings",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords_file),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api_url}/execution/",
        "AIRFLOW__API__HOST": HOST,
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__BASE_URL": api_url,
    })
    if database_uri is not None:
        env[SQL_CONN_ENV] = database_uri
    if jwt_secret is not None:
        env[JWT_SECRET_ENV] = jwt_secret
    env[NAMESPACE_LEVELS_ENV] = with_task_log_level(env.get(NAMESPACE_LEVELS_ENV, ""))
    env.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(PROJECT_ROOT / "dags"))
    env.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    env.setdefault("AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION", "True")
    # the LocalExecutor forks `parallelism` workers up front (default 32): size it to the box
    env.setdefault("AIRFLOW__CORE__PARALLELISM", str(max(4, 2 * (os.cpu_count() or 2))))
    env.update(extra or {})
    return env


def with_task_log_level(levels: str) -> str:
    """``[logging] namespace_levels`` with the task logger at INFO unless it already has a level."""
    entries = [e for e in re.split(r"[\s,]+", levels.strip()) if e]
    if any(e.partition("=")[0] == "task" for e in entries):
        return " ".join(entries)
    return " ".join([*entries, TASK_LOG_LEVEL])


def init_airflow_home(env: Mapping[str, str], log: Path | None = None) -> None:
    """``airflow db migrate`` and the lake-writer pool (size 1); raise with the output on error."""
    steps = [
        [airflow_bin(), "db", "migrate"],
        [airflow_bin(), "pools", "set", LAKE_WRITER_POOL, "1",
         "Serialises writes to the Parquet lake"],
    ]
    for cmd in steps:
        proc = subprocess.run(cmd, env=dict(env), cwd=PROJECT_ROOT, capture_output=True,
                              text=True, check=False)
        if log is not None:
            with log.open("a", encoding="utf-8") as fh:
                fh.write(f"$ {' '.join(cmd)}\n{proc.stdout}{proc.stderr}\n")
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr)[-3000:]
            raise RuntimeError(f"{' '.join(cmd[1:])} failed:\n{tail}")


def migrate_once(env: Mapping[str, str], marker: Path, log: Path | None = None) -> bool:
    """``init_airflow_home`` unless ``marker`` names this Airflow version; True if it ran.

    Re-running ``make airflow`` then starts in seconds; an Airflow upgrade migrates again.
    """
    from importlib.metadata import version

    wanted = f"apache-airflow {version('apache-airflow')}"
    if marker.exists() and marker.read_text(encoding="utf-8").strip() == wanted:
        return False
    init_airflow_home(env, log=log)
    marker.write_text(wanted + "\n", encoding="utf-8")
    return True


def component_commands(api_port: int) -> dict[str, list[str]]:
    """The four Airflow 3 components; log servers are skipped (logs are local files)."""
    bin_ = airflow_bin()
    return {
        "api-server": [bin_, "api-server", "--host", HOST, "--port", str(api_port)],
        "scheduler": [bin_, "scheduler", "--skip-serve-logs"],
        "dag-processor": [bin_, "dag-processor"],
        "triggerer": [bin_, "triggerer", "--skip-serve-logs"],
    }


RESTART_LIMIT = 3  # restarts per Airflow component before make airflow gives up
STOP_GRACE = 20.0  # seconds between SIGTERM and SIGKILL when make airflow stops


class ProcessGroup:
    """Processes started as one POSIX process group and stopped together.

    The first process started leads the group (``setpgid(0, 0)``); the others join it. ``stop()``
    sends SIGTERM to the group, waits, then SIGKILLs the group and every descendant recorded, which
    also catches Airflow task runners (each in its own group) and their ``scrapy`` subprocesses.
    Output goes to ``log_dir/<name>.log`` if given, else to stdout prefixed with the name.
    """

    def __init__(self, env: Mapping[str, str], *, cwd: Path = PROJECT_ROOT,
                 log_dir: Path | None = None) -> None:
        self.env = dict(env)
        self.cwd = cwd
        self.log_dir = log_dir
        self.pgid: int | None = None
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._files: list[IO[bytes]] = []
        self._threads: list[threading.Thread] = []
        self._line_hooks: list[Callable[[str, str], None]] = []
        self.attached: dict[str, tuple[subprocess.Popen[bytes], Callable[[], None]]] = {}

    def start(self, name: str, cmd: list[str], env: Mapping[str, str] | None = None
              ) -> subprocess.Popen[bytes]:
        """Start ``cmd`` in the group (creating the group if this is the first process)."""
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out: Any = (self.log_dir / f"{name}.log").open("ab")
            self._files.append(out)
        else:
            out = subprocess.PIPE
        proc = subprocess.Popen(
            cmd, env=dict(env or self.env), cwd=self.cwd, stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, process_group=self.pgid or 0,
        )
        if self.pgid is None:
            self.pgid = proc.pid
        self.procs[name] = proc
        if proc.stdout is not None:
            thread = threading.Thread(target=self._pump, args=(name, proc.stdout), daemon=True)
            thread.start()
            self._threads.append(thread)
        return proc

    def on_line(self, hook: Callable[[str, str], None]) -> None:
        """Call ``hook(name, line)`` for every output line (only when not logging to files)."""
        self._line_hooks.append(hook)

    def _pump(self, name: str, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip()
            for hook in list(self._line_hooks):
                hook(name, line)
            print(f"{name:<13}| {line}", flush=True)

    def attach(self, name: str, proc: subprocess.Popen[bytes], stop: Callable[[], None]) -> None:
        """Supervise ``proc``, a service with a process group of its own (e.g. PostgreSQL).

        ``dead()`` reports it like a member (it is never restarted); ``stop()`` calls ``stop``
        after every member has exited, the service attached last first.
        """
        self.attached[name] = (proc, stop)

    def dead(self) -> dict[str, int]:
        """Components (and attached services) that have exited, with their exit codes."""
        procs = {**self.procs, **{n: p for n, (p, _) in self.attached.items()}}
        return {n: p.returncode for n, p in procs.items() if p.poll() is not None}

    def restart_dead(self, commands: Mapping[str, list[str]], restarts: dict[str, list[int]],
                     limit: int) -> dict[str, int]:
        """Restart exited components, as a process supervisor would; return those past ``limit``.

        Only components named in ``commands`` are restarted, each at most ``limit`` times;
        ``restarts`` records the exit codes each was restarted after, as production supervisors
        (systemd, Kubernetes) restart an Airflow component that exits.
        """
        given_up: dict[str, int] = {}
        for name, code in self.dead().items():
            codes = restarts.setdefault(name, [])
            if name not in commands or len(codes) >= limit:
                given_up[name] = code
                continue
            codes.append(code)
            print(f"{name} exited with {code}; restarting it ({len(codes)}/{limit})", flush=True)
            self.start(name, list(commands[name]))
        return given_up

    def tree(self) -> list[Any]:
        """psutil.Process objects of every started process and all their descendants."""
        import psutil

        found: dict[int, psutil.Process] = {}
        for proc in self.procs.values():
            with contextlib.suppress(psutil.Error):
                top = psutil.Process(proc.pid)
                found[top.pid] = top
                for child in top.children(recursive=True):
                    found[child.pid] = child
        return list(found.values())

    def group_members(self, procs: Iterable[Any] | None = None) -> list[Any]:
        """The processes of ``tree()`` (or ``procs``) whose process group is ours."""
        members = []
        for proc in self.tree() if procs is None else procs:
            with contextlib.suppress(OSError):
                if self.pgid is not None and os.getpgid(proc.pid) == self.pgid:
                    members.append(proc)
        return members

    def _signal_group(self, sig: int) -> None:
        if self.pgid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pgid, sig)

    def stop(self, grace: float = 20.0) -> int:
        """SIGTERM the group, wait up to ``grace`` s, SIGKILL what is left; then attached services.

        Returns how many processes needed SIGKILL. Idempotent: a second call finds nothing to do.
        """
        import psutil

        killed = 0
        if self.pgid is not None:
            everything = {p.pid: p for p in self.tree()}
            self._signal_group(signal.SIGTERM)
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline:
                for p in self.tree():  # children forked during shutdown are recorded too
                    everything.setdefault(p.pid, p)
                if not [p for p in everything.values() if _alive(p)]:
                    break
                time.sleep(0.2)
            survivors = [p for p in everything.values() if _alive(p)]
            if survivors:
                killed = len(survivors)
                print(f"SIGKILL for {killed} process(es) still running {grace:.0f}s after "
                      f"SIGTERM: {sorted(p.pid for p in survivors)}", flush=True)
            self._signal_group(signal.SIGKILL)
            for proc in survivors:
                with contextlib.suppress(psutil.Error):
                    proc.kill()
            for proc in self.procs.values():  # reap our children first: keeps their exit codes
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=5)
            psutil.wait_procs(list(everything.values()), timeout=5)
            self.pgid = None
        while self.attached:
            name = next(reversed(self.attached))
            _, stop_service = self.attached.pop(name)
            stop_service()
        for fh in self._files:
            fh.close()
        self._files.clear()
        return killed

    def __enter__(self) -> ProcessGroup:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _alive(proc: Any) -> bool:
    """True if ``proc`` (psutil.Process) still runs and is not a zombie."""
    import psutil

    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def http_json(url: str, timeout: float = 5.0) -> tuple[int, Any]:
    """GET ``url``; return (status, parsed JSON or None). Status 0 if nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            body = resp.read()
            return resp.status, json.loads(body) if body else None
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (OSError, ValueError):
        return 0, None


def wait_healthy(api_url: str, group: ProcessGroup, timeout: float = 240.0) -> dict[str, Any]:
    """Wait until the API answers /api/v2/monitor/health with every component healthy."""
    deadline = time.monotonic() + timeout
    health: Any = None
    while time.monotonic() < deadline:
        if dead := group.dead():
            raise RuntimeError(f"Airflow component(s) exited during start-up: {dead}")
        status, health = http_json(f"{api_url}/api/v2/monitor/health")
        if status == 200 and isinstance(health, dict) and all(
            (health.get(key) or {}).get("status") == "healthy"
            for key in ("metadatabase", "scheduler", "dag_processor", "triggerer")
        ):
            return health
        time.sleep(1.0)
    raise TimeoutError(f"Airflow not healthy after {timeout:.0f}s; last health: {health}")


def start_demo_server(group: ProcessGroup, port: int, timeout: float = 60.0) -> str:
    """Run ``python -m scrapers.demo.server --port N`` in the group; return its base URL."""
    lines: queue.Queue[str] = queue.Queue()
    group.on_line(lambda name, line: lines.put(line) if name == "demo-sites" else None)
    env = {**group.env, "PYTHONPATH": group.env.get("PYTHONPATH", str(PROJECT_ROOT))}
    group.start("demo-sites", [sys.executable, "-m", "scrapers.demo.server", "--port", str(port)],
                env=env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "demo-sites" in group.dead():
            raise RuntimeError("the demo sites server exited; see its output above")
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        if line.startswith("NEWSFLOW_DEMO_BASE="):
            return line.split("=", 1)[1].strip()
    raise TimeoutError("the demo sites server did not print NEWSFLOW_DEMO_BASE=...")


class StopSignals:
    """SIGINT/SIGTERM raise KeyboardInterrupt once while armed; later ones are only reported.

    GNU make forwards SIGTERM to its child, so ``make airflow`` can be told to stop twice; a
    second signal must not interrupt the shutdown (it once orphaned the whole stack).
    """

    def __init__(self) -> None:
        self.armed = False
        self.received = 0

    def arm(self) -> None:
        """Install the handlers (even if started with SIGINT ignored, e.g. as a background job)."""
        self.armed = True
        signal.signal(signal.SIGINT, self._handle)
        signal.signal(signal.SIGTERM, self._handle)

    def disarm(self) -> None:
        """From now on signals are counted and reported, never raised."""
        self.armed = False

    def _handle(self, signum: int, frame: object) -> None:
        self.received += 1
        if self.armed:
            self.armed = False
            raise KeyboardInterrupt
        # os.write, not print: print would be a reentrant write if the signal hit a print
        name = signal.Signals(signum).name
        os.write(2, f"{name} received again; already stopping, please wait.\n".encode())


def start_postgres(cluster: Any, group: ProcessGroup) -> str:
    """Start the private PostgreSQL cluster and let ``group`` supervise it; return its URI."""
    first = not (cluster.data / "PG_VERSION").exists()
    print(("Creating" if first else "Starting") + f" PostgreSQL in {cluster.root} ...", flush=True)
    uri = cluster.start()
    group.attach("postgres", cluster.process, cluster.stop)
    return uri


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    default_port = int(os.environ.get("NEWSFLOW_AIRFLOW_PORT", "8080"))
    parser.add_argument("--port", type=int, default=default_port,
                        help="API server / UI port on 127.0.0.1 (default 8080 or "
                             "$NEWSFLOW_AIRFLOW_PORT)")
    parser.add_argument("--demo-port", type=int, default=0,
                        help="demo sites port (default: any free port)")
    parser.add_argument("--no-demo", action="store_true",
                        help="do not serve the demo sites; use NEWSFLOW_REGISTRY as set")
    args = parser.parse_args(argv)

    from scrapers.demo.postgres import PostgresCluster

    airflow_home = Path(os.environ.get("AIRFLOW_HOME", PROJECT_ROOT / "airflow_home")).resolve()
    if not port_is_free(args.port):
        print(f"Port {args.port} on {HOST} is in use; pick another with --port or "
              "NEWSFLOW_AIRFLOW_PORT.", file=sys.stderr)
        return 2
    airflow_home.mkdir(parents=True, exist_ok=True)
    admin = resolve_admin_password(airflow_home)
    passwords_file = write_auth_passwords(airflow_home, admin.password)
    own_database = SQL_CONN_ENV not in os.environ
    cluster = PostgresCluster(airflow_home / POSTGRES_DIR)
    group = ProcessGroup({})
    signals = StopSignals()
    signals.arm()
    api_url = f"http://{HOST}:{args.port}"
    code = 1
    try:
        try:
            uri = start_postgres(cluster, group) if own_database else None
            group.env = airflow_env(os.environ, airflow_home=airflow_home, api_port=args.port,
                                    passwords_file=passwords_file, database_uri=uri,
                                    jwt_secret=resolve_jwt_secret(airflow_home))
            if own_database and migrate_once(group.env, cluster.root / DB_READY_FILE,
                                             log=airflow_home / "migrate.log"):
                print(f"Initialised Airflow's database ({airflow_home / 'migrate.log'}).",
                      flush=True)
            if not args.no_demo:
                base = start_demo_server(group, args.demo_port or free_port())
                group.env.update({"NEWSFLOW_DEMO_BASE": base,
                                  "NEWSFLOW_REGISTRY": str(DEMO_REGISTRY)})
            commands = component_commands(args.port)
            for name, cmd in commands.items():
                group.start(name, cmd)
            print("Waiting for Airflow to become healthy ...", flush=True)
            wait_healthy(api_url, group)
            _banner(api_url, admin, group.env)
            restarts: dict[str, list[int]] = {}
            while not (dead := group.restart_dead(commands, restarts, limit=RESTART_LIMIT)):
                time.sleep(1.0)
            print(f"Component(s) exited unexpectedly: {dead} (restarts: {restarts}); "
                  "stopping everything.", flush=True)
        finally:
            signals.disarm()  # past this line no signal raises: the shutdown below always runs
    except KeyboardInterrupt:
        print("\nStopping Airflow, the demo sites and PostgreSQL ...", flush=True)
        code = 0
    except (RuntimeError, TimeoutError) as exc:  # PostgresError is a RuntimeError
        print(f"error: {exc}", file=sys.stderr)
    finally:
        stopping = time.monotonic()
        killed = group.stop(grace=STOP_GRACE)
        cluster.stop()
        print(f"Stopped in {time.monotonic() - stopping:.0f}s"
              + (f" ({killed} process(es) SIGKILLed)." if killed else "."), flush=True)
    return code


def _banner(api_url: str, admin: AdminPassword, env: Mapping[str, str]) -> None:
    """Print the UI address, the login and where the password is."""
    if admin.source == "env":
        where = f"password: from ${PASSWORD_ENV}"
    elif admin.created:
        where = f"password: {admin.password}   (generated now; stored in {admin.source}, mode 0600)"
    else:
        where = f"password: stored in {admin.source}   (cat it; delete it to generate a new one)"
    lines = [
        f"Airflow UI:  {api_url}",
        f"login:       user {ADMIN_USER}",
        f"             {where}",
        f"DAGs:        {env.get('AIRFLOW__CORE__DAGS_FOLDER')}  (news_daily starts paused)",
    ]
    if base := env.get("NEWSFLOW_DEMO_BASE"):
        lines.append(f"Demo sites:  {base}  (registry {env.get('NEWSFLOW_REGISTRY')}; "
                     "articles 2026-11-18..2026-11-24)")
    lines.append("Stop with Ctrl-C.")
    width = max(len(line) for line in lines)
    print("\n" + "=" * width + "\n" + "\n".join(lines) + "\n" + "=" * width + "\n", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
