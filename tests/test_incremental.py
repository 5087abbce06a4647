"""Incremental crawling: a second run over an unchanged site re-downloads no article page.

Counts the requests the demo server sees on a first and a second crawl of the same day, then
changes one article (new body, later sitemap lastmod) and checks only it is fetched again and
its row replaced.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from scrapers.tasks.crawl import run_crawl
from tests.demo_truth import load_truth
from transforms.lake import read_articles
from transforms.pipeline import process_staged

DAY_START = datetime(2026, 11, 20, tzinfo=UTC)
DAY_END = datetime(2026, 11, 21, tzinfo=UTC)
SOURCES = ["indus-chronicle", "ganga-times", "padma-herald", "himalaya-post"]
ARTICLE_PATH = "/padma-herald/bangladesh/news-604188.html"
SITEMAP_PATH = "/padma-herald/sitemaps/2026-11-20.xml"


def crawl_and_write(registry: Path, run_id: str) -> dict[str, dict]:
    results = {
        sid: run_crawl(sid, DAY_START, DAY_END, registry=registry) for sid in SOURCES
    }
    process_staged([Path(r.items_path) for r in results.values()], run_id=run_id)
    return {sid: r.stats for sid, r in results.items()}


def article_requests(log: list[tuple[str, str, int]]) -> list[str]:
    """Requests for article pages (any demo article, its AMP copy or a tracking-link copy)."""
    articles = {a.path for a in load_truth()}
    paths = [path.split("?", 1)[0] for _, path, _ in log]
    return [p for p in paths if p in articles or p.replace("/amp/", "/") in articles]


@pytest.fixture
def first_run(demo_server, demo_registry, lake):
    demo_server.reset_log()
    stats = crawl_and_write(demo_registry, "run-1")
    log = list(demo_server.requests)
    return stats, log


def test_second_run_downloads_no_article_page(first_run, demo_server, demo_registry, lake):
    from scrapers.tasks.crawl import summarize_stats

    first_stats, first_log = first_run
    before = read_articles(lake)
    demo_server.reset_log()
    stats = crawl_and_write(demo_registry, "run-2")
    second_log = list(demo_server.requests)

    first_articles = article_requests(first_log)
    print(f"\nfirst run: {len(first_log)} requests, {len(first_articles)} article pages; "
          f"second run: {len(second_log)} requests, {len(article_requests(second_log))} "
          f"article pages, {sum(1 for *_, s in second_log if s == 304)} answered 304")
    assert len(first_articles) >= len(before) > 0
    assert article_requests(second_log) == []
    discovery = [(p, s) for _, p, s in second_log if p != "/robots.txt"]
    assert discovery and all(s == 304 for _, s in discovery)
    assert sum(s.get("newsflow/articles/known_skipped", 0) for s in stats.values()) >= len(before)
    # extraction CPU is accounted per crawl: spent on the first run, none on the second
    for sid, s in first_stats.items():
        assert s["newsflow/articles/fetched"] > 0 and s["newsflow/extract/cpu_us"] > 0, sid
        assert summarize_stats(s)["extract_cpu_ms"] == s["newsflow/extract/cpu_us"] // 1000
    assert all(summarize_stats(s)["extract_cpu_ms"] == 0 for s in stats.values())
    after = read_articles(lake)
    assert after.sort_values("article_id").reset_index(drop=True).equals(
        before.sort_values("article_id").reset_index(drop=True)
    )


def test_modified_article_is_fetched_again_and_replaced(
    first_run, demo_server, demo_registry, lake
):
    import urllib.request

    base = demo_server.base_url
    page = urllib.request.urlopen(base + ARTICLE_PATH).read().decode("utf-8")
    sitemap = urllib.request.urlopen(base + SITEMAP_PATH).read().decode("utf-8")
    marker = "Correction: an earlier version misstated the figure."
    truth = next(a for a in load_truth() if a.path == ARTICLE_PATH)
    last_sentence = truth.body.split("\n\n")[-1][-40:]
    assert last_sentence in page
    changed_page = page.replace(last_sentence, f"{last_sentence} {marker}", 1)
    assert changed_page != page
    bumped = datetime.now(UTC).replace(microsecond=0).isoformat()
    changed_sitemap = sitemap.replace("2026-11-20T10:30:00+06:00", bumped)
    assert changed_sitemap != sitemap
    demo_server.set_override(ARTICLE_PATH, body=changed_page, headers={"ETag": '"v2"'})
    demo_server.set_override(
        SITEMAP_PATH, body=changed_sitemap,
        headers={"Content-Type": "application/xml", "ETag": '"v2"'},
    )
    try:
        demo_server.reset_log()
        crawl_and_write(demo_registry, "run-2")
        fetched = article_requests(list(demo_server.requests))
    finally:
        demo_server.clear_overrides()
    assert fetched == [ARTICLE_PATH]
    rows = read_articles(lake)
    row = rows[rows["url"].str.endswith(ARTICLE_PATH)]
    assert len(row) == 1 and marker in row.iloc[0]["body"]
    assert row.iloc[0]["run_id"] == "run-2"
    assert (rows["run_id"] == "run-1").sum() == len(rows) - 1
