"""Archives: the date-addressed pages (HTML listings or XML sitemaps) covering a window."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from scrapers.discovery.window import to_utc_bounds
from scrapers.sources import Source

ArchiveKind = Literal["listing", "sitemap"]
MAX_ARCHIVE_DAYS = 400  # a longer window is a mistake, not a backfill


def local_days(start: datetime | date, end: datetime | date, source: Source) -> list[date]:
    """Local calendar days touching ``[start, end)``, padded by one day on each side.

    Archives are addressed by the outlet's local date while the window is UTC, so both the
    UTC and the local dates are covered.  Raises ValueError for naive or over-long windows.
    """
    lower, upper = to_utc_bounds(start, end)
    if upper <= lower:
        return []
    last = upper - timedelta(microseconds=1)
    first_day = min(lower.date(), lower.astimezone(source.tz).date()) - timedelta(days=1)
    last_day = max(last.date(), last.astimezone(source.tz).date()) + timedelta(days=1)
    count = (last_day - first_day).days + 1
    if count > MAX_ARCHIVE_DAYS:
        raise ValueError(f"window spans {count} archive days, more than {MAX_ARCHIVE_DAYS}")
    return [first_day + timedelta(days=n) for n in range(count)]


def archive_urls(
    source: Source, start: datetime | date, end: datetime | date
) -> list[tuple[str, ArchiveKind]]:
    """Every archive URL (and its kind) of ``source`` for the days of the window, no duplicates."""
    days = local_days(start, end, source) if source.archives else []
    urls: list[tuple[str, ArchiveKind]] = []
    seen: set[str] = set()
    for archive in source.archives:
        for day in days:
            url = archive.url_for(day)
            if url not in seen:
                seen.add(url)
                urls.append((url, archive.kind))
    return urls
