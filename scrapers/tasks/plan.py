"""Plan a daily run: resolve its UTC window and the sources it crawls."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from scrapers.sources import default_registry_path, domain_groups, load_registry
from scrapers.staging import run_token

DAY_FORMAT = re.compile(r"\d{4}-\d{2}-\d{2}")


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
    day: date | None = None,
    now: datetime | None = None,
) -> tuple[datetime, datetime]:
    """The run's [start, end): the ``day`` param's UTC day, else its data interval, else the
    UTC day of its logical date (an empty interval), else the previous UTC day."""
    if day is not None:
        start = datetime.combine(day, time(0), tzinfo=UTC)
        return start, start + timedelta(days=1)
    if interval_start is not None and interval_end is not None and interval_start < interval_end:
        return interval_start.astimezone(UTC), interval_end.astimezone(UTC)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    end = datetime.combine(now.date(), time(0), tzinfo=UTC)
    if interval_start is not None:  # a manual run with a logical date: that UTC day
        start = datetime.combine(interval_start.astimezone(UTC).date(), time(0), tzinfo=UTC)
        return start, start + timedelta(days=1)
    return end - timedelta(days=1), end


def parse_day(value: object) -> date | None:
    """The run's ``day`` param as a date (None when empty); a clear error for anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and DAY_FORMAT.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"day param {value!r} is not a UTC day written YYYY-MM-DD, e.g. 2026-11-22")


def window_source(day: date | None, interval_start: datetime | None,
                  interval_end: datetime | None) -> str:
    """Which rule of ``resolve_window`` chose the window, in the words a UI user sees."""
    if day is not None:
        return "the run's day param"
    if interval_start is not None and interval_end is not None and interval_start < interval_end:
        return "the run's data interval (a scheduled or backfill run: Run After is its end)"
    if interval_start is not None:
        return "the UTC day of the run's logical date"
    return "no logical date: the previous UTC day"


def describe_window(start: datetime, end: datetime, how: str,
                    what: str = "news_daily crawls") -> str:
    """The log line naming the crawled window, e.g. for the run's first task log."""
    return (f"{what} UTC day {start.date().isoformat()}: "
            f"[{start.isoformat()}, {end.isoformat()}) chosen by {how}")


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
    if not ids:
        raise ValueError(f"{registry_path} lists no source to crawl")
    day = start.date().isoformat()
    return [
        CrawlJob(sid, day, start.isoformat(), end.isoformat(), str(registry_path), run,
                 groups[sid])
        for sid in ids
    ]
