"""Archives: date-addressed URLs for every local day touching the UTC window."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from scrapers.discovery.archives import archive_urls
from tests.sources_helpers import make_source


def test_one_utc_day_covers_the_local_days_around_it() -> None:
    urls = archive_urls(
        make_source("daily"), datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC)
    )
    assert urls == [
        ("https://www.example.bd/archive/2026/11/19", "listing"),
        ("https://www.example.bd/archive/2026/11/20", "listing"),
        ("https://www.example.bd/archive/2026/11/21", "listing"),
        ("https://www.example.bd/archive/2026/11/22", "listing"),
        ("https://www.example.bd/sitemap/2026-11-19.xml", "sitemap"),
        ("https://www.example.bd/sitemap/2026-11-20.xml", "sitemap"),
        ("https://www.example.bd/sitemap/2026-11-21.xml", "sitemap"),
        ("https://www.example.bd/sitemap/2026-11-22.xml", "sitemap"),
    ]


def test_west_of_utc_pads_on_the_other_side() -> None:
    urls = archive_urls(
        make_source("daily", timezone="America/New_York"),
        datetime(2026, 11, 20, tzinfo=UTC),
        datetime(2026, 11, 21, tzinfo=UTC),
    )
    days = [u for u, kind in urls if kind == "listing"]
    assert days[0].endswith("2026/11/18") and days[-1].endswith("2026/11/21")


def test_dates_are_accepted_as_utc_midnights_and_empty_window_is_empty() -> None:
    source = make_source("daily")
    assert len(archive_urls(source, date(2026, 11, 1), date(2026, 11, 8))) == 2 * (7 + 2 + 1)
    assert archive_urls(source, date(2026, 11, 8), date(2026, 11, 8)) == []


def test_naive_and_absurd_windows_raise() -> None:
    with pytest.raises(ValueError, match="aware"):
        archive_urls(make_source("daily"), datetime(2026, 11, 20), datetime(2026, 11, 21))
    with pytest.raises(ValueError, match="archive days"):
        archive_urls(make_source("daily"), date(2020, 1, 1), date(2026, 1, 1))
