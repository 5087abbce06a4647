"""Plan a daily run: resolve its UTC window and the sources it crawls."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from scrapers.sources import default_registry_path, domain_groups, load_registry
from scrapers.staging import run_token


@dataclass(frozen=True)
class CrawlJob:
    """One mapped crawl: a source and its window; serialisable to XCom."""

    source: str
    day: str  # YYYY-MM-DD, the run's UTC day
    start: str  # ISO instant
    end: str
    registry: str
    run: str | None = None  # scrapers.staging.run_token of the DAG run: names its staging
    group: str = ""  # domain group (scrapers.sources.domain_groups): one crawl of it at a time

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def resolve_window(
    interval_start: datetime | None,
    interval_end: datetime | None,
    *,
    now: datetime | None = None,
) -> tuple[datetime, datetime]:
    """The run's [start, end): its data interval, or the previous UTC day when it has none."""
    if interval_start is not None and interval_end is not None and interval_start < interval_end:
        return interval_start.astimezone(UTC), interval_end.astimezone(UTC)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    end = datetime.combine(now.date(), time(0), tzinfo=UTC)
    if interval_start is not None:  # a manual run with a logical date: that UTC day
        start = datetime.combine(interval_start.astimezone(UTC).date(), time(0), tzinfo=UTC)
        return start, start + timedelta(days=1)
    return end - timedelta(days=1), end


def resolve_registry(param: str | None = None) -> Path:
    """Registry path: the run's param, else ``NEWSFLOW_REGISTRY``, else the real-outlet registry."""
    if param:
        return Path(param)
    return default_registry_path()


def plan_crawls(
    start: datetime, end: datetime, registry_path: Path, only: list[str] | None = None,
    run_id: str | None = None,
) -> list[CrawlJob]:
    """Validate the registry (failing fast, naming the entry) and make one job per source."""
    registry = load_registry(registry_path)
    groups = domain_groups(registry)
    run = run_token(run_id) if run_id else None
    wanted = list(only or [])
    unknown = sorted(set(wanted) - set(registry.ids))
    if unknown:
        raise ValueError(f"unknown source(s) {unknown}; {registry_path} has {registry.ids}")
    ids = [s for s in registry.ids if not wanted or s in wanted]
    day = start.date().isoformat()
    return [
        CrawlJob(sid, day, start.isoformat(), end.isoformat(), str(registry_path), run,
                 groups[sid])
        for sid in ids
    ]
