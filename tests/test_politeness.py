"""Politeness across processes: robots.txt Crawl-delay, and shared limits for one domain."""

from __future__ import annotations

import itertools
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta

from scrapers.tasks.crawl import run_crawl

START = datetime(2026, 11, 20, tzinfo=UTC)
END = START + timedelta(days=1)
NO_JITTER = {"RANDOMIZE_DOWNLOAD_DELAY": "False"}


def test_robots_crawl_delay_is_honoured(demo_server, demo_registry, lake) -> None:
    robots = urllib.request.urlopen(demo_server.base_url + "/robots.txt").read().decode()
    delayed = robots.replace("User-agent: *", "User-agent: *\nCrawl-delay: 0.5", 1)
    demo_server.set_override("/robots.txt", body=delayed, headers={"Content-Type": "text/plain"})
    try:
        demo_server.reset_log()
        started = time.monotonic()
        result = run_crawl("himalaya-post", START, END, registry=demo_registry,
                           extra_settings=NO_JITTER)
        elapsed = time.monotonic() - started
        served = [p for _, p, _ in demo_server.requests if p != "/robots.txt"]
    finally:
        demo_server.clear_overrides()
    assert result.stats["newsflow/robots/crawl_delay"] == 0.5
    # The registry asks for no delay at all; robots.txt's 0.5 s must space every request.
    assert len(served) >= 6
    assert elapsed >= 0.5 * (len(served) - 1)


def test_sources_on_one_domain_do_not_crawl_at_once(demo_server, demo_registry, lake) -> None:
    """Both demo outlets live on 127.0.0.1: their crawls take turns, never interleave."""
    demo_server.reset_log()
    errors: list[BaseException] = []

    def crawl(source: str) -> None:
        try:
            run_crawl(source, START, END, registry=demo_registry)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=crawl, args=(s,)) for s in ("indus-chronicle",
                                                                   "himalaya-post")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    outlets = [p.split("/")[1] for _, p, _ in demo_server.requests if p != "/robots.txt"]
    changes = sum(1 for a, b in itertools.pairwise(outlets) if a != b)
    assert set(outlets) == {"indus-chronicle", "himalaya-post"}
    assert changes == 1, f"requests of the two sources interleaved: {outlets}"
