"""Hostile feeds and sitemaps through a real crawl: malformed XML, billion laughs, XXE, gzip
bombs, sitemap index cycles, a 100k-item feed and an oversized feed.  Each is refused or bounded
with a counted reason, the good feed beside them still lands in the lake, and the crawl's peak
memory stays bounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scrapers.tasks.crawl import CrawlFailed, CrawlResult
from tests.fault_server import (
    FaultServer,
    article_html,
    check_lake,
    crawl_pair,
    distinct_text,
    failures,
    fault_lake,
    gzip_bomb,
    lake_rows,
    load_stats,
    ok,
    outlet,
    published,
    rss,
    sitemap_index,
    stored_by_slug,
    stream,
    write_lake,
    write_registry,
)

ITEMS = 100_000
BOMB = 200 * 1024 * 1024  # decompressed size of the gzip bombs
MAX_RSS = 1536 * 1024 * 1024
PASSWD = Path("/etc/passwd")
XML = "application/rss+xml"
URLSET = b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'


def laughs() -> bytes:
    """The classic billion-laughs feed."""
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    ]
    return (f'<?xml version="1.0"?><!DOCTYPE rss [{"".join(levels)}]>'
            '<rss version="2.0"><channel><title>&lol9;</title></channel></rss>').encode()


def xxe(link: str, parameter: bool = False) -> bytes:
    """A feed whose entity pulls in /etc/passwd (external general or parameter entity)."""
    if parameter:
        dtd = '<!DOCTYPE rss [<!ENTITY % x SYSTEM "file:///etc/passwd"> %x;]>'
    else:
        dtd = '<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    return (f'<?xml version="1.0"?>{dtd}<rss version="2.0"><channel><title>&x;</title>'
            f"<item><title>&x;</title><link>{link}</link><description>&x;</description></item>"
            "</channel></rss>").encode()


def many_items(server: FaultServer, count: int) -> bytes:
    """A feed with ``count`` short items (links outside the article pattern)."""
    base = server.url("/o/")
    items = "".join(f"<item><link>{base}{n}</link></item>" for n in range(count))
    return f'<rss version="2.0"><channel><title>big</title>{items}</channel></rss>'.encode()


def passwd_markers() -> list[str]:
    """Strings only a leak of /etc/passwd would bring."""
    markers = ["root:x:0:0", ":/bin/bash", "/usr/sbin/nologin"]
    if PASSWD.exists():
        markers += [line for line in PASSWD.read_text(errors="replace").splitlines()[:3] if line]
    return markers


@dataclass
class FeedRun:
    site: FaultServer
    result: CrawlResult
    stats: dict[str, Any]
    lists: dict[str, Any]
    unsafe_only: CrawlFailed | None
    before: dict[str, str]
    after: dict[str, str]
    stored: dict[str, dict[str, Any]]
    tmp: Path
    root: Path
    peak_rss: int
    seconds: float

    def refused(self, reason: str) -> int:
        """Documents refused for ``reason``."""
        return int(self.stats.get(f"newsflow/documents/refused/{reason}", 0))


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Serve every hostile document next to one good feed; crawl; merge into a seeded lake."""
    with fault_lake(tmp_path_factory, "faults-feeds", 1) as (tmp, root, (site,), before):
        good = []
        for name in ("good-1", "good-2", "cut-1"):
            page = article_html(f"Story {name} on the new pipeline", published(10),
                                body_text=distinct_text(name))
            good.append((site.route(f"/news/{name}/", ok(page)), name, published(11)))
        site.route("/feed.xml", ok(rss(good[:2]), XML))
        whole = rss([good[2], (site.url("/news/cut-2/"), "cut-2", published(11))])
        site.route("/truncated.xml", ok(whole[: whole.index(b"cut-2")], XML))
        site.route("/malformed.xml", ok(b"\x00\x01\x02 this is not xml at all <<<", XML))
        site.route("/laughs.xml", ok(laughs(), XML))
        site.route("/xxe.xml", ok(xxe(site.url("/news/xxe/")), XML))
        site.route("/xxe-param.xml", ok(xxe(site.url("/news/xxe/"), parameter=True), XML))
        site.route("/huge.xml", ok(many_items(site, ITEMS), XML))
        site.route("/oversize.xml", stream(12 * 1024 * 1024, XML, content_length=True))
        site.route("/bomb.xml.gz", ok(gzip_bomb(BOMB, URLSET), "application/gzip"))
        site.route("/bomb-encoded.xml", ok(gzip_bomb(BOMB, URLSET), "application/xml",
                                           **{"Content-Encoding": "gzip"}))
        site.route("/self-index.xml", ok(sitemap_index([site.url("/self-index.xml")]),
                                         "application/xml"))
        site.route("/cycle-a.xml", ok(sitemap_index([site.url("/cycle-b.xml")]),
                                      "application/xml"))
        site.route("/cycle-b.xml", ok(sitemap_index([site.url("/cycle-a.xml")]),
                                      "application/xml"))
        feed_paths = ["/feed.xml", "/truncated.xml", "/malformed.xml", "/laughs.xml",
                      "/xxe.xml", "/xxe-param.xml", "/huge.xml", "/oversize.xml"]
        sitemap_paths = ["/bomb.xml.gz", "/bomb-encoded.xml", "/self-index.xml",
                         "/cycle-a.xml"]
        registry = write_registry(tmp / "sources.yaml", [
            outlet("feed-outlet", site, feeds=[site.url(p) for p in feed_paths],
                   sitemaps=[site.url(p) for p in sitemap_paths]),
            outlet("unsafe-outlet", site, feeds=[site.url("/xxe.xml")]),
        ])
        run = crawl_pair("feed-outlet", "unsafe-outlet", registry)
        result = run.result
        write_lake([result.items_path], run_id="faults-feeds")
        yield FeedRun(site, result, result.stats, result.lists, run.failure, before,
                      lake_rows(root), stored_by_slug(root), tmp, root, run.peak_rss, run.seconds)


def test_the_good_feed_still_lands(feeds: FeedRun) -> None:
    assert {"good-1", "good-2"} <= set(feeds.stored)
    assert feeds.stats["finish_reason"] == "finished"


def test_malformed_xml_is_refused_and_a_cut_feed_recovers(feeds: FeedRun) -> None:
    assert feeds.refused("malformed_xml") == 1
    assert "cut-1" in feeds.stored  # lxml recovery keeps the whole items before the cut
    assert "cut-2" not in feeds.stored
    assert feeds.stats["newsflow/documents/errors/truncated_document"] == 1  # its partial item
    assert feeds.stats["newsflow/documents/recovered"] == 1
    assert feeds.stats["newsflow/documents/recovered/feed"] == 1


def test_billion_laughs_is_refused(feeds: FeedRun) -> None:
    assert feeds.refused("unsafe_xml") == 3  # laughs, xxe, xxe-param
    reasons = {e["url"].rsplit("/", 1)[-1]: e["reason"] for e in feeds.lists["errors"]}
    assert reasons["laughs.xml"].startswith("unsafe_xml")
    assert "lol" not in " ".join(str(r.get("title")) for r in feeds.stored.values())


def test_xxe_never_reads_etc_passwd(feeds: FeedRun) -> None:
    reasons = {e["url"].rsplit("/", 1)[-1]: e["reason"] for e in feeds.lists["errors"]}
    assert reasons["xxe.xml"].startswith("unsafe_xml")
    assert reasons["xxe-param.xml"].startswith("unsafe_xml")
    assert feeds.site.hits("/news/xxe/") == []  # nothing of the refused feed was followed
    markers = passwd_markers()
    for path in feeds.tmp.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("latin-1")
            assert not any(m in text for m in markers), f"/etc/passwd leaked into {path}"


def test_a_feed_that_is_only_unsafe_fails_the_crawl_clearly(feeds: FeedRun) -> None:
    assert feeds.unsafe_only is not None
    message = str(feeds.unsafe_only)
    assert "unsafe-outlet" in message and "no feed, sitemap or listing" in message
    assert "unsafe_xml" in message
    stats = load_stats("unsafe-outlet")["stats"]
    assert stats["newsflow/documents/refused/unsafe_xml"] == 1
    assert "newsflow/documents/ok" not in stats


def test_gzip_bombs_are_stopped(feeds: FeedRun) -> None:
    assert feeds.refused("too_large") == 1  # the .xml.gz sitemap, by the bounded gunzip
    reasons = failures(feeds.stats, "document")
    assert reasons["too_large"] == 2  # Content-Encoding bomb (Scrapy) + the 12 MB feed
    assert feeds.peak_rss < MAX_RSS


def test_sitemap_index_cycles_end(feeds: FeedRun) -> None:
    assert len(feeds.site.hits("/self-index.xml")) == 1
    assert len(feeds.site.hits("/cycle-a.xml")) == 1
    assert len(feeds.site.hits("/cycle-b.xml")) == 1
    assert feeds.stats["newsflow/documents/repeated"] == 1


def test_a_feed_with_100k_items_is_bounded(feeds: FeedRun) -> None:
    assert feeds.stats["newsflow/documents/errors/too_many_entries"] == 1
    assert feeds.stats["newsflow/candidates/found"] <= 50_000 + 10
    assert feeds.site.hits("/o/1") == []
    print(f"MEASURE feed crawl: peak RSS {feeds.peak_rss / 2**20:.0f} MiB, {feeds.seconds:.1f} s, "
          f"{feeds.stats['newsflow/candidates/found']} candidates")
    assert feeds.peak_rss < MAX_RSS
    assert feeds.seconds < 120


def test_feed_faults_lose_no_row_and_the_lake_reads_everywhere(feeds: FeedRun) -> None:
    for key, digest in feeds.before.items():
        assert feeds.after[key] == digest
    assert sorted(feeds.stored) == ["cut-1", "good-1", "good-2"]
    assert check_lake(feeds.root)["articles"] == len(feeds.before) + 3
