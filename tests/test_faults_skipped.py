"""Skipped work leaves a trace, through a real crawl: child sitemaps skipped by ``lastmod``,
``<sitemap>`` entries inside a urlset, and a 12 MB plain sitemap (the sitemap protocol allows
50 MB, more than the 10 MB a page may be) that is read under the sitemaps' own size limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from tests.fault_server import (
    FaultServer,
    article_html,
    crawl,
    distinct_text,
    failures,
    fault_lake,
    ok,
    outlet,
    published,
    sitemap_index,
    stored_by_slug,
    write_lake,
    write_registry,
)

BIG = 12 * 1024 * 1024
XML = "application/xml"


@dataclass
class SkippedRun:
    site: FaultServer
    stats: dict[str, Any]
    stored: dict[str, dict[str, Any]]


def urlset(entries: str) -> bytes:
    """A urlset sitemap around ``entries`` (image namespace declared)."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"\n'
            '        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">\n'
            f"{entries}</urlset>\n").encode()


def big_sitemap(site: FaultServer, article: str) -> bytes:
    """A plain image sitemap of photo-gallery pages over 12 MB, one article among them."""
    gallery = (
        "<url><loc>{base}/gallery/2026/11/{n}/</loc><lastmod>2026-11-20T06:00:00+05:00"
        "</lastmod><image:image><image:loc>{base}/images/2026/11/gallery-{n}-large.jpg"
        "</image:loc><image:caption>Photo {n} of the winter fair in the old city, taken "
        "from the clock tower</image:caption></image:image></url>\n"
    )
    one = len(gallery.format(base=site.base_url, n=10_000))
    entries = "".join(gallery.format(base=site.base_url, n=n)
                      for n in range(10_000, 10_000 + BIG // one + 10))
    return urlset(f"<url><loc>{article}</loc></url>\n" + entries)


@pytest.fixture(scope="module")
def skipped(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Serve the sitemaps and their articles, crawl once, merge into a lake."""
    with fault_lake(tmp_path_factory, "faults-skipped", 1) as (tmp, root, (site,), _before):
        pages = {}
        for name in ("new-1", "nested-1", "big-1", "old-1"):
            html = article_html(f"Story {name} about the winter fair", published(10),
                                body_text=distinct_text(name))
            pages[name] = site.route(f"/news/{name}/", ok(html))
        index = sitemap_index([site.url("/sitemap-new.xml"), site.url("/sitemap-old.xml")])
        index = index.replace(b"</loc></sitemap>", b"</loc><lastmod>2026-11-20T12:00:00+05:00"
                              b"</lastmod></sitemap>", 1)
        index = index.replace(b"/sitemap-old.xml</loc>",
                              b"/sitemap-old.xml</loc><lastmod>2024-03-31</lastmod>")
        site.route("/sitemap-index.xml", ok(index, XML))
        site.route("/sitemap-new.xml", ok(urlset(
            f"<url><loc>{pages['new-1']}</loc></url>\n"
            f"<sitemap><loc>{site.url('/sitemap-nested.xml')}</loc></sitemap>\n"), XML))
        site.route("/sitemap-nested.xml", ok(urlset(f"<url><loc>{pages['nested-1']}</loc></url>"),
                                             XML))
        site.route("/sitemap-old.xml", ok(urlset(f"<url><loc>{pages['old-1']}</loc></url>"), XML))
        body = big_sitemap(site, pages["big-1"])
        assert len(body) > BIG
        site.route("/sitemap-big.xml", ok(body, XML))
        registry = write_registry(tmp / "sources.yaml", [outlet(
            "skip-outlet", site,
            sitemaps=[site.url("/sitemap-index.xml"), site.url("/sitemap-big.xml")])])
        result = crawl("skip-outlet", registry)
        write_lake([result.items_path], run_id="faults-skipped")
        yield SkippedRun(site, result.stats, stored_by_slug(root))


def test_child_sitemaps_skipped_by_lastmod_are_counted(skipped: SkippedRun) -> None:
    assert skipped.stats["newsflow/documents/skipped/sitemap_older_than_window"] == 1
    assert skipped.site.hits("/sitemap-old.xml") == []
    assert "old-1" not in skipped.stored


def test_a_sitemap_inside_a_urlset_is_followed_and_counted(skipped: SkippedRun) -> None:
    assert skipped.stats["newsflow/documents/errors/sitemap_in_urlset"] == 1
    assert len(skipped.site.hits("/sitemap-nested.xml")) == 1
    assert "nested-1" in skipped.stored


def test_a_12_mb_plain_sitemap_is_read_under_the_sitemap_limit(skipped: SkippedRun) -> None:
    assert "too_large" not in failures(skipped.stats, "document")
    assert skipped.stats["newsflow/documents/ok/sitemap"] == 4  # index, new, nested, big
    assert "big-1" in skipped.stored
    assert isinstance(skipped.stored["big-1"]["published_at"], datetime)
