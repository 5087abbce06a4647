"""Crawl success is decided from stats, never from scrapy's exit code."""

from __future__ import annotations

from datetime import date

import pytest

from scrapers.tasks.crawl import CrawlFailed, judge_crawl, stage_paths, summarize_stats


def stats(**values: int) -> dict:
    return {"finish_reason": "finished", **{f"newsflow/{k}": v for k, v in values.items()}}


def test_a_crawl_that_fetched_documents_and_articles_passes() -> None:
    judge_crawl("a", stats(**{"documents/ok": 2, "articles/requested": 3, "articles/fetched": 3}),
                {})


def test_a_quiet_day_with_no_articles_passes() -> None:
    judge_crawl("a", stats(**{"documents/ok": 1}), {})


def test_no_discovery_document_fails_with_reasons() -> None:
    lists = {"errors": [{"url": "http://x/feed", "reason": "DNSLookupError: no such host"}]}
    with pytest.raises(CrawlFailed, match=r"no feed, sitemap or listing.*DNSLookupError"):
        judge_crawl("a", stats(**{"documents/failed": 1}), lists)


def test_all_articles_failing_fails() -> None:
    s = stats(**{"documents/ok": 1, "articles/requested": 5, "articles/failed": 4,
                 "robots_refused/article": 1})
    with pytest.raises(CrawlFailed, match="all 4 article requests failed"):
        judge_crawl("a", s, {"errors": []})


def test_interrupted_crawl_fails() -> None:
    s = stats(**{"documents/ok": 1})
    s["finish_reason"] = "shutdown"
    with pytest.raises(CrawlFailed, match="shutdown"):
        judge_crawl("a", s, {})


def test_summary_counts_robots_refusals() -> None:
    s = stats(**{"robots_refused/article": 2, "robots_refused/document": 1})
    assert summarize_stats(s)["robots_refused"] == 3


@pytest.mark.parametrize("bad", ["../x", "a/b", ".hidden", "A"])
def test_stage_paths_refuse_unsafe_source_ids(bad: str) -> None:
    with pytest.raises(ValueError, match="unsafe source id"):
        stage_paths(date(2026, 11, 20), bad)


def test_articles_refused_by_robots_alone_do_not_fail_the_crawl() -> None:
    judge_crawl("a", stats(**{"documents/ok": 3, "articles/requested": 1,
                              "robots_refused/article": 1}), {})
