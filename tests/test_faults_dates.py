"""A regional outlet that prints only a date, through real crawls and the lake: the article of
20 November belongs to the 20 November run and partition (no invented midnight in Kathmandu's
zone moves it to the 19th), the runs of the 19th and 21st leave it alone, and a timed article
beside it keeps its instant and precision."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from tests.fault_server import (
    DAY,
    RESOLVER,
    article_html,
    distinct_text,
    fault_lake,
    ok,
    outlet,
    rss,
    stored_by_slug,
    write_lake,
    write_registry,
)

KATHMANDU = ZoneInfo("Asia/Kathmandu")


@dataclass
class DatesRun:
    stats: dict[str, dict[str, Any]]  # run day -> crawl stats
    stored: dict[str, dict[str, Any]]


def date_only_page(title: str, day: date) -> str:
    """An article page that prints a date and no time (JSON-LD, <time> and text agree)."""
    html = article_html(title, datetime(day.year, day.month, day.day, 12, tzinfo=KATHMANDU),
                        body_text=distinct_text(title))
    html = re.sub(r'"datePublished": "[^"]+"', f'"datePublished": "{day.isoformat()}"', html)
    return re.sub(r'<time datetime="[^"]+">', f'<time datetime="{day.isoformat()}">', html)


def crawl_day(source: str, registry: Any, day: date) -> Any:
    """The scheduled crawl of one UTC day."""
    from scrapers.tasks.crawl import run_crawl

    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return run_crawl(source, start, start + timedelta(days=1), registry=registry, day=day,
                     extra_settings={"TWISTED_DNS_RESOLVER": RESOLVER}, timeout=180)


@pytest.fixture(scope="module")
def dates(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Crawl the 19th, 20th and 21st of a Kathmandu outlet; merge each run into the lake."""
    with fault_lake(tmp_path_factory, "faults-dates", 1) as (tmp, root, (site,), _before):
        timed = datetime(2026, 11, 20, 7, 45, tzinfo=KATHMANDU)  # 02:00 UTC on the 20th
        items = [
            (site.route("/news/date-only/", ok(date_only_page("Valley roads reopen", DAY))),
             "Valley roads reopen", datetime(2026, 11, 20, tzinfo=KATHMANDU)),
            (site.route("/news/timed/", ok(article_html("Airport fog delays", timed,
                                                        body_text=distinct_text("timed")))),
             "Airport fog delays", timed),
        ]
        site.route("/feed.xml", ok(rss(items), "application/rss+xml"))
        registry = write_registry(tmp / "sources.yaml", [outlet(
            "valley-post", site, feeds=[site.url("/feed.xml")], timezone="Asia/Kathmandu",
            country="NP")])
        stats = {}
        for day in (DAY - timedelta(days=1), DAY, DAY + timedelta(days=1)):
            result = crawl_day("valley-post", registry, day)
            stats[day.isoformat()] = result.stats
            write_lake([result.items_path], run_id=f"scheduled__{day.isoformat()}")
        yield DatesRun(stats, stored_by_slug(root))


def test_a_date_only_article_is_staged_by_the_run_of_its_printed_day(dates: DatesRun) -> None:
    assert dates.stats["2026-11-20"]["newsflow/articles/staged"] == 2
    for other in ("2026-11-19", "2026-11-21"):
        stats = dates.stats[other]
        assert stats.get("newsflow/articles/staged", 0) == 0
        left_alone = sum(int(stats.get(f"newsflow/{key}", 0)) for key in (
            "candidates/outside_window", "articles/outside_window",
            "articles/known_outside_window", "articles/known_skipped"))
        assert left_alone == 2, (other, {k: v for k, v in stats.items() if "newsflow" in k})


def test_a_date_only_article_is_filed_under_its_printed_day(dates: DatesRun) -> None:
    row = dates.stored["date-only"]
    assert str(row["date"]) == "2026-11-20"
    assert row["published_at"] == pd.Timestamp("2026-11-20T00:00:00Z")
    assert row["published_precision"] == "day"
    assert pd.isna(row["published_offset"])


def test_a_timed_article_keeps_its_instant_and_precision(dates: DatesRun) -> None:
    row = dates.stored["timed"]
    assert row["published_at"] == pd.Timestamp("2026-11-20T02:00:00Z")
    assert row["published_precision"] == "second"  # isoformat() prints seconds
    assert row["published_offset"] == "+05:45"
    assert str(row["date"]) == "2026-11-20"
