"""Shared helpers of the benchmarks: machine description, timing, RSS sampling, results log.

Every benchmark prints its figures and appends them to ``bench/results.md`` with
:func:`append_results`, which stamps the date, the machine (cores, memory, load) and the versions
of the main libraries.  The log is append-only and may be written by several people: each entry
is one ``write`` under an exclusive ``flock``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
RESULTS_FILE = BENCH_DIR / "results.md"
PROFILES_DIR = BENCH_DIR / "profiles"
MAIN_LIBRARIES = ("scrapy", "trafilatura", "lxml", "pandas", "pyarrow", "duckdb",
                  "apache-airflow", "twisted")

if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))


def library_versions(names: Sequence[str] = MAIN_LIBRARIES) -> dict[str, str]:
    """Installed version of each distribution (``-`` when absent)."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "-"
    return versions


def machine_info() -> dict[str, Any]:
    """Cores, memory, load and interpreter of this machine, for the results log."""
    import psutil

    mem = psutil.virtual_memory()
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(mem.total / 2**30, 1),
        "available_gb": round(mem.available / 2**30, 1),
        "load_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


def machine_line() -> str:
    """One human line describing the machine and the library versions."""
    m = machine_info()
    libs = ", ".join(f"{k} {v}" for k, v in library_versions().items())
    return (f"{m['cores']} cores, {m['memory_gb']} GB RAM ({m['available_gb']} GB free), "
            f"load {m['load_1m']}, Python {m['python']} on {m['platform']}; {libs}")


def append_results(title: str, lines: Sequence[str], command: str | None = None) -> None:
    """Append one dated entry (title, machine, command, figures) to ``bench/results.md``."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    cmd = command or " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])
    entry = [f"\n## {title} — {stamp}\n", f"- machine: {machine_line()}",
             f"- command: `{cmd}`", "", "```", *lines, "```", ""]
    text = "\n".join(entry) + "\n"
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    with open(RESULTS_FILE, "a", encoding="utf-8") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            if handle.tell() == 0:
                handle.write("# newsflow benchmark results (append-only)\n")
            handle.write(text)
            handle.flush()
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class Report:
    """Collects printed lines so the same text goes to stdout and to the results log."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, text: str = "") -> None:
        """Print one line and keep it."""
        print(text, flush=True)
        self.lines.append(text)

    def save(self, title: str) -> None:
        """Append everything printed so far to the results log."""
        append_results(title, self.lines)
        print(f"(appended to {RESULTS_FILE.relative_to(PROJECT_ROOT)})", flush=True)


def median(values: Sequence[float]) -> float:
    """Median of a non-empty sequence."""
    return statistics.median(values)


def timed(func: Callable[[], Any]) -> tuple[float, Any]:
    """Wall seconds of one call and its result."""
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


@dataclass
class RssSampler:
    """Samples the RSS of a process (and its children) in a thread; ``peak`` is in bytes."""

    pid: int
    interval: float = 0.05
    include_children: bool = True
    peak: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _total(self) -> int:
        import psutil

        try:
            proc = psutil.Process(self.pid)
            total = proc.memory_info().rss
            if self.include_children:
                for child in proc.children(recursive=True):
                    with contextlib.suppress(psutil.Error):
                        total += child.memory_info().rss
            return total
        except psutil.Error:
            return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._total())
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


@dataclass
class ChildUsage:
    """What one child process used: wall seconds, CPU seconds, peak RSS (bytes), exit code."""

    wall: float
    cpu: float
    max_rss: int
    returncode: int
    stdout: str = ""
    stderr: str = ""


def run_child(cmd: Sequence[str], *, env: dict[str, str] | None = None,
              cwd: Path | None = None, rss_limit: int | None = None,
              timeout: float | None = None) -> ChildUsage:
    """Run a command and measure it with ``wait4`` (its own CPU and max RSS, not other children).

    With ``rss_limit`` (bytes) a sampler kills the child when its RSS passes the limit, so a
    runaway benchmark cannot take a shared machine down; ``returncode`` is then ``-9``.
    """
    import psutil

    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    out_chunks: list[str] = []
    err_chunks: list[str] = []
    readers = [threading.Thread(target=lambda: out_chunks.append(proc.stdout.read()),
                                daemon=True),
               threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()),
                                daemon=True)]
    for reader in readers:
        reader.start()
    stop = threading.Event()

    def watchdog() -> None:
        while not stop.is_set():
            try:
                rss = psutil.Process(proc.pid).memory_info().rss
            except psutil.Error:
                return
            if rss_limit is not None and rss > rss_limit:
                proc.kill()
                return
            if timeout is not None and time.perf_counter() - start > timeout:
                proc.kill()
                return
            stop.wait(0.1)

    guard = threading.Thread(target=watchdog, daemon=True)
    guard.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stop.set()
    proc.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    return ChildUsage(wall=wall, cpu=usage.ru_utime + usage.ru_stime,
                      max_rss=usage.ru_maxrss * 1024, returncode=proc.returncode,
                      stdout="".join(out_chunks), stderr="".join(err_chunks))


def fmt_bytes(n: float) -> str:
    """Bytes as MB or GB."""
    return f"{n / 2**30:.2f} GB" if n >= 2**30 else f"{n / 2**20:.0f} MB"


def bench_env() -> dict[str, str]:
    """Environment for child processes: the project on PYTHONPATH, Airflow/Scrapy settings."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
    env.setdefault("SCRAPY_SETTINGS_MODULE", "scrapers.settings")
    env.setdefault("AIRFLOW_HOME", str(PROJECT_ROOT / "airflow_home"))
    env.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    env.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    return env


HOSTS_FILE = Path("/etc/hosts")


@contextlib.contextmanager
def loopback_hostname(name: str, hosts_file: Path = HOSTS_FILE) -> Iterator[str | None]:
    """Make ``name`` resolve to 127.0.0.1 for the block; yield why not (a message) or None.

    A name that already resolves to loopback is used as it is. Otherwise, as root, one
    ``/etc/hosts`` line tagged with this process's id is added and ALWAYS removed on the way out
    (SIGTERM included); lines added by anyone else are kept. Without root nothing changes and
    the message says why, so the caller can skip with it.
    """
    import signal
    import socket

    def resolves() -> bool:
        try:
            return socket.gethostbyname(name) == "127.0.0.1"
        except OSError:
            return False

    if resolves():
        yield None
        return
    if os.geteuid() != 0 or not os.access(hosts_file, os.W_OK):
        yield (f"{name} does not resolve to loopback and {hosts_file} is not writable here "
               "(not root): run as root, or give the name a hosts entry of your own")
        return
    tag = f"# newsflow-bench {os.getpid()}"
    line = f"127.0.0.1 {name} {tag}\n"

    def remove() -> None:
        with open(hosts_file, "r+", encoding="utf-8") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            kept = [ln for ln in handle.readlines() if not ln.rstrip().endswith(tag)]
            handle.seek(0)
            handle.truncate()
            handle.writelines(kept)

    def on_term(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        with open(hosts_file, "a+", encoding="utf-8") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            handle.seek(0)
            text = handle.read()
            handle.write(("" if not text or text.endswith("\n") else "\n") + line)
        yield None if resolves() else f"{name} still does not resolve after adding {line!r}"
    finally:
        remove()
        signal.signal(signal.SIGTERM, previous)
