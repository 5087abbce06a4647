"""Network faults: 5xx bursts, 429 Retry-After, 404/410, resets, truncated gzip, stalls,
redirect loops, offsite redirects and a DNS failure, each against a real ``scrapy crawl``.

One synthetic outlet serves every fault at its own article URL; one crawl (a real subprocess
through ``run_crawl``) fetches them all, and its staged items are merged into a lake that
already holds another outlet's rows.  A second outlet on a ``.invalid`` host crawls at the same
time and fails on DNS (resolved by the loopback-only test resolver: no query leaves the host).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scrapers.tasks.crawl import CrawlFailed, CrawlResult
from tests.fault_server import (
    FaultServer,
    Reply,
    article_html,
    check_lake,
    crawl_pair,
    distinct_text,
    failures,
    fault_lake,
    gzip_bytes,
    lake_rows,
    load_stats,
    ok,
    outlet,
    published,
    redirect,
    reset,
    rss,
    stall,
    status,
    stored_by_slug,
    write_lake,
    write_registry,
)

RETRY_AFTER = 2
TIMEOUT = 6  # generous: the first extraction blocks the reactor for a while


def story(name: str) -> bytes:
    """A full article page whose title and text are the scenario's own."""
    return article_html(f"Story {name} about the water plant", published(10),
                        body_text=distinct_text(name)).encode()


def words(text: str) -> str:
    """``text`` with paragraph breaks folded to single spaces."""
    return " ".join(text.split())


@dataclass
class NetworkRun:
    site: FaultServer
    other: FaultServer
    result: CrawlResult
    stats: dict[str, Any]
    lists: dict[str, Any]
    dns_error: CrawlFailed | None
    dns_stats: dict[str, Any]
    before: dict[str, str]
    after: dict[str, str]
    stored: dict[str, dict[str, Any]]
    root: Path
    seconds: float
    peak_rss: int

    def statuses(self, path: str) -> list[int]:
        """Statuses the site answered on ``path``, in order."""
        return [h.status for h in self.site.hits(path)]


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Serve every network fault, crawl it (and a DNS-failing outlet), merge into a lake."""

    with fault_lake(tmp_path_factory, "faults-net", 2) as (tmp, root, (site, other), before):
        items = []

        def add(name: str, *replies: Reply) -> None:
            items.append((site.route(f"/news/{name}/", *replies), name, published(11)))

        add("plain", ok(story("plain")))
        add("burst", status(503), status(503), ok(story("burst")))
        add("e500", status(500), ok(story("e500")))
        add("r429", status(429, **{"Retry-After": str(RETRY_AFTER)}), ok(story("r429")))
        add("r429-long", status(429, **{"Retry-After": "3600"}), ok(story("r429-long")))
        add("gone404", status(404))
        add("gone410", status(410))
        add("reset", reset(story("reset")))
        add("reset-once", reset(story("reset-once")), ok(story("reset-once")))
        zipped = gzip_bytes(story("gz-cut"))
        cut = Reply(200, zipped[: len(zipped) * 2 // 3], {"Content-Encoding": "gzip"})
        add("gz-cut", cut)
        add("gz-cut-once", Reply(200, gzip_bytes(story("gz-cut-once"))[:300],
                                 {"Content-Encoding": "gzip"}),
            Reply(200, gzip_bytes(story("gz-cut-once")), {"Content-Encoding": "gzip"}))
        add("stall", stall(30))
        add("loop", redirect(site.url("/news/loop-b/")))
        site.route("/news/loop-b/", redirect(site.url("/news/loop/")))
        add("self", redirect(site.url("/news/self/")))
        add("chain", redirect(site.url("/news/chain/?n=1")))
        for n in range(1, 40):
            site.route(f"/news/chain/?n={n}", redirect(site.url(f"/news/chain/?n={n + 1}")))
        add("offsite", redirect(f"http://localhost:{other.port}/news/taken/"))
        other.route("/news/taken/", ok(story("taken")))
        site.route("/feed.xml", ok(rss(items), "application/rss+xml"))
        registry = write_registry(tmp / "sources.yaml", [
            outlet("flaky-outlet", site, feeds=[site.url("/feed.xml")]),
            outlet("nowhere-outlet", site, feeds=["http://news.nowhere.invalid/feed.xml"],
                   homepage="http://news.nowhere.invalid/",
                   allowed_domains=["news.nowhere.invalid"]),
        ])
        settings = {"DOWNLOAD_TIMEOUT": str(TIMEOUT)}
        run = crawl_pair("flaky-outlet", "nowhere-outlet", registry, extra_settings=settings)
        result = run.result
        write_lake([result.items_path], run_id="faults-net")
        yield NetworkRun(site, other, result, result.stats, result.lists, run.failure,
                         load_stats("nowhere-outlet")["stats"], before, lake_rows(root),
                         stored_by_slug(root), root, run.seconds, run.peak_rss)


def test_5xx_bursts_are_retried_and_then_stored(net: NetworkRun) -> None:
    assert net.statuses("/news/burst/") == [503, 503, 200]
    assert net.statuses("/news/e500/") == [500, 200]
    assert net.stats["retry/reason_count/503 Service Unavailable"] == 2
    assert net.stats["retry/reason_count/500 Internal Server Error"] == 1
    assert net.stored["burst"]["title"] == "Story burst about the water plant"
    assert net.stored["e500"]["title"] == "Story e500 about the water plant"


def test_retry_after_is_honoured(net: NetworkRun) -> None:
    first, second = net.site.hits("/news/r429/")
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= RETRY_AFTER
    assert net.stats["newsflow/retry_after/waited"] == 1
    assert "r429" in net.stored


def test_retry_after_beyond_the_bound_is_not_retried(net: NetworkRun) -> None:
    assert net.statuses("/news/r429-long/") == [429]
    assert net.stats["newsflow/retry_after/too_long"] == 1
    assert failures(net.stats)["http_429"] == 1
    assert "r429-long" not in net.stored


def test_gone_articles_are_counted_and_the_crawl_passes(net: NetworkRun) -> None:
    assert net.statuses("/news/gone404/") == [404]  # 404/410 are final: never retried
    assert net.statuses("/news/gone410/") == [410]
    reasons = failures(net.stats)
    assert reasons["http_404"] == 1 and reasons["http_410"] == 1
    assert net.stats["finish_reason"] == "finished"
    assert "plain" in net.stored


def test_connection_reset_mid_body_is_retried_never_stored_half(net: NetworkRun) -> None:
    assert len(net.site.hits("/news/reset/")) == 3  # first try + RETRY_TIMES=2
    assert failures(net.stats)["ResponseDataLossError"] == 1
    assert "reset" not in net.stored
    assert len(net.site.hits("/news/reset-once/")) == 2
    assert words(net.stored["reset-once"]["body"]) == distinct_text("reset-once")  # all of it


def test_truncated_gzip_is_retried_and_never_stored_half(net: NetworkRun) -> None:
    assert len(net.site.hits("/news/gz-cut/")) == 3
    assert failures(net.stats)["truncated_gzip"] == 1
    assert net.stats["newsflow/responses/truncated_gzip"] == 4  # 3 cut + 1 cut-once
    assert "gz-cut" not in net.stored
    assert words(net.stored["gz-cut-once"]["body"]) == distinct_text("gz-cut-once")


def test_stalled_server_times_out_and_the_crawl_finishes(net: NetworkRun) -> None:
    assert len(net.site.hits("/news/stall/")) == 3
    assert failures(net.stats)["DownloadTimeoutError"] == 1
    assert net.stats["finish_reason"] == "finished"
    print(f"MEASURE network crawl: peak RSS {net.peak_rss / 2**20:.0f} MiB, {net.seconds:.1f} s")
    assert net.seconds < 90


def test_redirect_loops_are_bounded_and_counted(net: NetworkRun) -> None:
    assert len(net.site.hits("/news/loop/")) == 1
    assert len(net.site.hits("/news/loop-b/")) == 1
    assert len(net.site.hits("/news/self/")) == 1
    assert net.stats["newsflow/redirects/loop"] == 2
    chain = [h for h in net.site.hits() if h.path.startswith("/news/chain/")]
    assert len(chain) == 21  # the first hop + REDIRECT_MAX_TIMES (20)
    reasons = failures(net.stats)
    assert reasons["redirect_loop"] == 2 and reasons["redirect_max"] == 1


def test_redirects_to_another_outlet_are_not_followed(net: NetworkRun) -> None:
    assert net.other.hits() == []
    assert net.stats["newsflow/redirects/offsite"] == 1
    assert failures(net.stats)["offsite_redirect"] == 1
    assert "taken" not in net.stored


def test_every_article_request_ends_in_a_count(net: NetworkRun) -> None:
    requested = net.stats["newsflow/articles/requested"]
    fetched = net.stats["newsflow/articles/fetched"]
    assert requested == fetched + sum(failures(net.stats).values())
    assert sorted(net.stored) == sorted(
        ["plain", "burst", "e500", "r429", "reset-once", "gz-cut-once"]
    )


def test_dns_failure_fails_only_its_source(net: NetworkRun) -> None:
    assert net.dns_error is not None
    message = str(net.dns_error)
    assert "nowhere-outlet" in message and "no feed, sitemap or listing" in message
    assert "CannotResolveHostError" in message or "DNSLookupError" in message
    assert net.dns_stats["newsflow/documents/failed"] == 1
    assert net.result.staged == len(net.stored)  # the other source completed meanwhile


def test_the_lake_lost_nothing_and_reads_everywhere(net: NetworkRun) -> None:
    assert net.before
    for key, digest in net.before.items():
        assert net.after[key] == digest
    assert len(net.after) == len(net.before) + len(net.stored)
    counts = check_lake(net.root)
    assert counts["articles"] == len(net.after)
