"""Lake features over the demo sites: backfill reach, story groups across outlets, reprocessing.

Each test crawls real demo outlets over loopback with `run_crawl` (a `scrapy crawl` subprocess
per source) and writes with `process_staged`, the same code the DAG's tasks call.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from scrapers.tasks.crawl import run_crawl
from tests.demo_truth import expected_for_day, load_truth
from transforms.lake import read_articles
from transforms.pipeline import process_staged

SOURCES = ["indus-chronicle", "ganga-times", "padma-herald", "himalaya-post"]
WWW = Path(__file__).resolve().parent.parent / "data" / "demo_sites" / "www"


def crawl_day(day: date, registry: Path, run_id: str, sources: list[str] = SOURCES) -> None:
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    results = [
        run_crawl(sid, start, start + timedelta(days=1), registry=registry) for sid in sources
    ]
    process_staged([Path(r.items_path) for r in results], run_id=run_id)


def path_of(url: str) -> str:
    return urlsplit(url).path.rstrip("/")


def feed_paths() -> set[str]:
    """Every article path that any demo feed lists (feeds hold only the latest 10 items)."""
    import re

    paths: set[str] = set()
    for feed in [*WWW.glob("*/feed/*.xml"), *WWW.glob("*/feeds/*"), *WWW.glob("*/rss.xml")]:
        for link in re.findall(r"\{\{BASE\}\}(/[^<\"?\s]+)", feed.read_text(encoding="utf-8")):
            paths.add(link.rstrip("/"))
    return paths


def test_backfill_of_the_earliest_day_finds_every_article(demo_registry, lake) -> None:
    """Feeds show only the latest 10 items; archives and dated sitemaps reach the first day."""
    day = date(2026, 11, 18)
    expected = {p.rstrip("/") for p in expected_for_day(day)}
    assert expected and not expected & feed_paths(), "no article of that day is in a feed"
    crawl_day(day, demo_registry, "backfill")
    got = {path_of(u) for u in read_articles(lake, dates=[day])["canonical_url"]}
    assert got == expected


def test_wire_story_shares_one_story_id_across_outlets(demo_registry, lake) -> None:
    day = date(2026, 11, 21)
    crawl_day(day, demo_registry, "stories")
    df = read_articles(lake, dates=[day])
    by_path = {path_of(u): s for u, s in zip(df["canonical_url"], df["story_id"], strict=True)}
    wire = [a.path.rstrip("/") for a in load_truth() if a.story]
    assert len(wire) == 3 and len({a.source for a in load_truth() if a.story}) == 3
    stories = {by_path[p] for p in wire}
    assert len(stories) == 1 and None not in stories
    others = [s for p, s in by_path.items() if p not in wire]
    assert stories.isdisjoint(others), "the merely similar article is not in the wire group"
    assert len(set(others)) == len(others), "every other article is a story of its own"
    assert df["story_id"].notna().all()
    assert len(df) == len(expected_for_day(day)), "every carrier keeps its own row"


def test_reprocess_without_network_replaces_only_the_extractor_version(
    lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Crawl a day, stop the server, re-extract from WARC with a newer extractor."""
    import scrapers.extract
    from scrapers.demo.server import serve_demo_sites
    from scrapers.tasks.reprocess import reprocess

    registry = Path(__file__).resolve().parent.parent / "data" / "demo_sites" / "sources.yaml"
    day = date(2026, 11, 20)
    with serve_demo_sites() as server:
        monkeypatch.setenv("NEWSFLOW_DEMO_BASE", server.base_url)
        crawl_day(day, registry, "crawl", sources=["ganga-times", "padma-herald"])
    before = read_articles(lake).sort_values("article_id").reset_index(drop=True)
    assert len(before) > 0 and before["raw_ref"].notna().all()

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"reprocessing made a network connection: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(scrapers.extract, "EXTRACTOR_VERSION", "reprocess-test")
    reprocess(day, day, registry=registry, run_id="reprocess")
    after = read_articles(lake).sort_values("article_id").reset_index(drop=True)
    assert set(after["extractor_version"]) == {"reprocess-test"}
    assert set(after["run_id"]) == {"reprocess"}
    same = [c for c in before.columns
            if c not in ("extractor_version", "run_id", "crawled_at", "raw_ref")]
    for column in same:
        assert before[column].equals(after[column]), column
    assert os.environ["NEWSFLOW_LAKE"] == str(lake)
