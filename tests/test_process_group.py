"""ProcessGroup's supervisor behaviour: restarts, a bounded stop, attached services, signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scrapers.demo.standalone import ProcessGroup, StopSignals


def _wait_dead(group: ProcessGroup, name: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while name not in group.dead():
        assert time.monotonic() < deadline, f"{name} did not exit"
        time.sleep(0.05)


def test_dead_component_is_restarted_up_to_the_limit(tmp_path: Path) -> None:
    counter = tmp_path / "starts"
    crash = [sys.executable, "-c",
             f"open({str(counter)!r}, 'a').write('x'); raise SystemExit(3)"]
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    commands = {"crashy": crash, "steady": sleeper}
    restarts: dict[str, list[int]] = {}
    with ProcessGroup(dict(os.environ), log_dir=tmp_path / "logs") as group:
        for name, cmd in commands.items():
            group.start(name, cmd)
        for attempt in (1, 2):
            _wait_dead(group, "crashy")
            assert group.restart_dead(commands, restarts, limit=2) == {}
            assert restarts == {"crashy": [3] * attempt}
        _wait_dead(group, "crashy")
        assert group.restart_dead(commands, restarts, limit=2) == {"crashy": 3}
        assert counter.read_text() == "xxx", "started once, restarted twice"
        assert "steady" not in group.dead()


def test_component_without_a_command_is_not_restarted(tmp_path: Path) -> None:
    with ProcessGroup(dict(os.environ), log_dir=tmp_path / "logs") as group:
        group.start("demo-sites", [sys.executable, "-c", "raise SystemExit(1)"])
        _wait_dead(group, "demo-sites")
        restarts: dict[str, list[int]] = {}
        assert group.restart_dead({}, restarts, limit=3) == {"demo-sites": 1}
        assert restarts == {"demo-sites": []}


def _wait_for(path: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_component_that_ignores_sigterm_is_killed_after_the_grace(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    stubborn = [sys.executable, "-c",
                "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                f"open({str(ready)!r}, 'w').close(); time.sleep(600)"]
    group = ProcessGroup(dict(os.environ), log_dir=tmp_path / "logs")
    proc = group.start("stubborn", stubborn)
    _wait_for(ready)
    assert group.stop(grace=1.0) == 1, "one process needed SIGKILL"
    assert proc.returncode == -signal.SIGKILL
    assert group.stop() == 0, "a second stop has nothing left to do"


def test_attached_service_stops_after_every_member(tmp_path: Path) -> None:
    member_done = tmp_path / "member-done"
    member = [sys.executable, "-c",
              "import signal, sys, time\n"
              "def bye(*_):\n"
              "    time.sleep(0.5)\n"
              f"    open({str(member_done)!r}, 'w').close()\n"
              "    sys.exit(0)\n"
              "signal.signal(signal.SIGTERM, bye)\n"
              f"open({str(tmp_path / 'ready')!r}, 'w').close()\n"
              "time.sleep(600)\n"]
    service = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                               process_group=0)
    seen: list[bool] = []

    def stop_service() -> None:
        seen.append(member_done.exists())
        service.terminate()
        service.wait(timeout=10)

    group = ProcessGroup(dict(os.environ), log_dir=tmp_path / "logs")
    group.start("member", member)
    group.attach("service", service, stop_service)
    _wait_for(tmp_path / "ready")
    assert group.dead() == {}
    group.stop(grace=10.0)
    assert seen == [True], "the service was stopped once, after the member had finished"
    assert service.returncode is not None
    group.stop()
    assert seen == [True], "stop() is idempotent"


def test_dead_attached_service_is_reported_and_not_restarted(tmp_path: Path) -> None:
    service = subprocess.Popen([sys.executable, "-c", "raise SystemExit(4)"], process_group=0)
    service.wait(timeout=10)
    with ProcessGroup(dict(os.environ), log_dir=tmp_path / "logs") as group:
        group.attach("postgres", service, lambda: None)
        restarts: dict[str, list[int]] = {}
        assert group.restart_dead({}, restarts, limit=3) == {"postgres": 4}


def test_second_stop_signal_is_reported_not_raised() -> None:
    old = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    signals = StopSignals()
    try:
        signals.arm()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises here
        assert not signals.armed
        os.kill(os.getpid(), signal.SIGTERM)  # shutdown is running: must not raise
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.2)
        assert signals.received == 3
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
