"""Sitemaps: indexes, urlsets, Google News sitemaps, gzip, and self-referencing indexes."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from scrapers.discovery.sitemaps import parse_sitemap
from tests.sources_helpers import make_source

FIXTURES = Path(__file__).parent / "fixtures" / "discovery"
INDEX_URL = "https://www.example.pk/sitemap.xml"
PKT = timezone(timedelta(hours=5))


def read(name: str) -> bytes:
    """The bytes of a fixture document."""
    return (FIXTURES / name).read_bytes()


def test_index_children_become_documents_without_self_or_duplicates() -> None:
    links = parse_sitemap(read("sitemap_index.xml"), INDEX_URL, make_source())
    assert links.articles == []
    assert links.documents == [
        "https://www.example.pk/sitemap-2026-11.xml",
        "https://www.example.pk/sitemap-2025-01.xml.gz",
        "https://www.example.pk/sitemap-news.xml",
    ]
    assert links.errors == ["offsite_sitemaps: 1 child sitemaps outside allowed_domains"]


def test_index_children_older_than_since_are_skipped_unknown_lastmod_kept() -> None:
    since = datetime(2026, 11, 19, tzinfo=UTC)
    links = parse_sitemap(read("sitemap_index.xml"), INDEX_URL, make_source(), since=since)
    assert links.documents == [
        "https://www.example.pk/sitemap-2026-11.xml",
        "https://www.example.pk/sitemap-news.xml",
    ]
    assert links.skipped == {"sitemap_older_than_window": 1}


def test_self_referencing_index_yields_nothing_to_follow() -> None:
    links = parse_sitemap(read("sitemap_self_index.xml"), INDEX_URL, make_source())
    assert links.documents == [] and links.articles == []


def test_urlset_entries_keep_lastmod_and_skip_non_articles() -> None:
    url = "https://www.example.pk/sitemap-2026-11.xml"
    links = parse_sitemap(read("urlset.xml"), url, make_source())
    found = {c.url: c for c in links.articles}
    assert list(found) == [
        "https://www.example.pk/news/2026/11/20/urlset-one",
        "https://www.example.pk/news/urlset-two",
        "https://www.example.pk/news/whitespace-around",
    ]
    one = found["https://www.example.pk/news/2026/11/20/urlset-one"]
    assert one.via == "sitemap" and one.date_hint is None
    assert one.lastmod == datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    assert found["https://www.example.pk/news/urlset-two"].lastmod == datetime(
        2026, 11, 19, tzinfo=PKT
    )
    assert links.errors == ["missing_loc: 1 entries without a usable http(s) link"]


def test_news_sitemap_keeps_publication_date_and_title() -> None:
    url = "https://www.example.pk/sitemap-news.xml"
    links = parse_sitemap(read("news_sitemap.xml"), url, make_source())
    election, dhaka = links.articles
    assert election.via == "news_sitemap"
    assert election.date_hint == datetime(2026, 11, 20, 17, 10, tzinfo=UTC)
    assert election.lastmod == datetime(2026, 11, 21, 4, 0, tzinfo=UTC)
    assert election.title_hint == "Election results: a close count"
    assert dhaka.date_hint == datetime(2026, 11, 19, tzinfo=PKT)
    assert dhaka.title_hint == "ঢাকার যানজট"
    assert links.errors == []


def test_gzipped_sitemap_is_decompressed_whatever_its_url() -> None:
    body = gzip.compress(read("news_sitemap.xml"))
    for url in ("https://www.example.pk/sitemap-news.xml.gz", "https://www.example.pk/s"):
        links = parse_sitemap(body, url, make_source())
        assert links.articles[0].title_hint == "Election results: a close count"


def test_sitemap_without_namespace_still_parses() -> None:
    body = b"<urlset><url><loc>https://www.example.pk/news/no-ns</loc></url></urlset>"
    links = parse_sitemap(body, INDEX_URL, make_source())
    assert [c.url for c in links.articles] == ["https://www.example.pk/news/no-ns"]


def test_non_sitemap_and_garbage_are_reported() -> None:
    source = make_source()
    assert parse_sitemap(b"<rss/>", INDEX_URL, source).errors == [
        f"not_a_sitemap: root element <rss> at {INDEX_URL}"
    ]
    assert (
        parse_sitemap(read("garbage.bin"), INDEX_URL, source).errors[0].startswith("malformed_xml:")
    )
    corrupt = gzip.compress(read("urlset.xml"))[:40]
    assert parse_sitemap(corrupt, INDEX_URL, source).errors[0].startswith("malformed_xml:")


def test_urlset_entries_are_bounded() -> None:
    entry = "<url><loc>https://www.example.pk/news/{n}</loc></url>"
    body = ("<urlset>" + "".join(entry.format(n=n) for n in range(50_010)) + "</urlset>").encode()
    links = parse_sitemap(body, INDEX_URL, make_source())
    assert len(links.articles) == 50_000
    assert links.errors == ["too_many_entries: 10 entries beyond the 50000 limit ignored"]
    assert links.skipped == {"entries_over_limit": 10}


# A plugin-made sitemap that lists its monthly archives inside the urlset, not in an index.
MIXED_URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://www.example.pk/news/2026/11/20/cabinet-meets</loc>
       <lastmod>2026-11-20T09:00:00+05:00</lastmod></url>
  <sitemap><loc>https://www.example.pk/sitemap-2026-11.xml</loc>
           <lastmod>2026-11-20T12:00:00+05:00</lastmod></sitemap>
  <sitemap><loc>https://www.example.pk/sitemap-2024-03.xml</loc>
           <lastmod>2024-03-31T23:00:00+05:00</lastmod></sitemap>
</urlset>
"""


def test_sitemaps_listed_inside_a_urlset_are_followed_and_counted() -> None:
    since = datetime(2026, 11, 19, tzinfo=UTC)
    links = parse_sitemap(MIXED_URLSET, INDEX_URL, make_source(), since=since)
    assert [c.url for c in links.articles] == [
        "https://www.example.pk/news/2026/11/20/cabinet-meets"]
    assert links.documents == ["https://www.example.pk/sitemap-2026-11.xml"]
    assert links.errors == [
        "sitemap_in_urlset: 2 <sitemap> entries in a urlset, followed as child sitemaps"]
    assert links.skipped == {"sitemap_older_than_window": 1}
