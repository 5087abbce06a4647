"""ProcessGroup's supervisor behaviour: restart components that exit, give up past a limit."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from scrapers.demo.standalone import ProcessGroup


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
