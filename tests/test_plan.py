"""Run planning: the UTC window of a run and the registry it validates."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from scrapers.plan import plan_crawls, resolve_window
from scrapers.sources import RegistryError


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
