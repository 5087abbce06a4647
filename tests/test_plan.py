"""Run planning: the UTC window of a run and the registry it validates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from scrapers.sources import RegistryError
from scrapers.tasks.plan import (
    describe_window,
    parse_day,
    plan_crawls,
    resolve_window,
    window_source,
)


def test_window_is_the_data_interval() -> None:
    start = datetime(2026, 11, 20, tzinfo=UTC)
    end = datetime(2026, 11, 21, tzinfo=UTC)
    assert resolve_window(start, end) == (start, end)


def test_manual_run_without_logical_date_covers_previous_utc_day() -> None:
    now = datetime(2026, 11, 29, 15, 30, tzinfo=UTC)
    start, end = resolve_window(None, None, now=now)
    assert (start, end) == (datetime(2026, 11, 28, tzinfo=UTC), datetime(2026, 11, 29, tzinfo=UTC))


def test_empty_interval_with_logical_date_covers_that_day() -> None:
    logical = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    start, end = resolve_window(logical, logical)
    assert (start, end) == (datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC))


def test_day_param_wins_over_the_inferred_interval() -> None:
    """Trigger dialog: logical date 11-22 00:00 infers [11-21, 11-22); day 11-22 crawls the 22nd."""
    inferred = (datetime(2026, 11, 21, tzinfo=UTC), datetime(2026, 11, 22, tzinfo=UTC))
    day = parse_day("2026-11-22")
    start, end = resolve_window(*inferred, day=day)
    assert (start, end) == (datetime(2026, 11, 22, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC))
    assert resolve_window(None, None, day=day) == (start, end)  # no logical date either
    line = describe_window(start, end, window_source(day, *inferred))
    assert line == ("news_daily crawls UTC day 2026-11-22: [2026-11-22T00:00:00+00:00, "
                    "2026-11-23T00:00:00+00:00) chosen by the run's day param")


def test_window_source_names_each_rule() -> None:
    start, end = datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC)
    assert "data interval" in window_source(None, start, end)
    assert "logical date" in window_source(None, start, start)
    assert window_source(None, None, None) == "no logical date: the previous UTC day"


@pytest.mark.parametrize("empty", [None, "", "  "])
def test_empty_day_param_means_no_day(empty) -> None:
    assert parse_day(empty) is None


@pytest.mark.parametrize("bad", ["2026-13-01", "22/11/2026", "20261122", "2026-11-22T00:00",
                                 "yesterday", 20261122, ["2026-11-22"]])
def test_bad_day_param_is_refused_by_name(bad) -> None:
    with pytest.raises(ValueError, match=r"day param .* is not a UTC day written YYYY-MM-DD"):
        parse_day(bad)


def test_day_param_accepts_a_date() -> None:
    assert parse_day(date(2026, 11, 22)) == date(2026, 11, 22)
    assert parse_day(" 2026-11-22 ") == date(2026, 11, 22)
    with pytest.raises(ValueError):
        parse_day(datetime(2026, 11, 22, tzinfo=UTC))


REGISTRY = """
version: 1
sources:
  - id: alpha
    name: Alpha
    homepage: https://alpha.example/
    country: PK
    languages: [en]
    timezone: Asia/Karachi
    allowed_domains: [alpha.example]
    feeds: [https://alpha.example/feed]
  - id: beta
    name: Beta
    homepage: https://beta.example/
    country: NP
    languages: [ne]
    timezone: Asia/Kathmandu
    allowed_domains: [beta.example]
    sitemaps: [https://beta.example/sitemap.xml]
"""


def test_plan_makes_one_job_per_source_and_honours_subset(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(REGISTRY)
    start, end = datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC)
    assert [j.source for j in plan_crawls(start, end, path)] == ["alpha", "beta"]
    jobs = plan_crawls(start, end, path, ["beta"])
    assert [(j.source, j.day) for j in jobs] == [("beta", "2026-11-20")]
    with pytest.raises(ValueError, match="unknown source"):
        plan_crawls(start, end, path, ["gamma"])


def test_plan_fails_fast_on_a_bad_registry(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(REGISTRY.replace("id: beta", "id: ../beta"))
    with pytest.raises(RegistryError, match=r"sources.yaml: entry #2 \(id='../beta'\): id"):
        plan_crawls(datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC), path)
