"""A stage timer that ``process_staged`` reports its stages to (seconds and rows per stage)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class StageTimer:
    """Wall seconds and rows per named stage, summed over every time a stage runs."""

    seconds: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str, rows: int = 0) -> Iterator[None]:
        """Time the block as (a part of) stage ``name`` that handles ``rows`` rows."""
        self.enter(name)
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start
            self.rows[name] = self.rows.get(name, 0) + rows
            self.leave(name)

    def enter(self, name: str) -> None:
        """Called as a stage starts (a hook for subclasses, e.g. to sample memory per stage)."""

    def leave(self, name: str) -> None:
        """Called as a stage ends."""
