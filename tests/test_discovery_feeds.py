"""Feeds: RSS 2.0, Atom and RDF into candidates with aware dates and resolved links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from scrapers.discovery.feeds import parse_feed
from tests.sources_helpers import make_source

FIXTURES = Path(__file__).parent / "fixtures" / "discovery"
FEED_URL = "https://www.example.pk/feeds/latest.xml"
PKT = timezone(timedelta(hours=5))


def read(name: str) -> bytes:
    """The bytes of a fixture document."""
    return (FIXTURES / name).read_bytes()


def by_url(links: object) -> dict[str, object]:
    """Candidates keyed by URL."""
    return {c.url: c for c in links.articles}  # type: ignore[attr-defined]


def test_rss_dates_in_every_offset_form_are_aware_and_correct() -> None:
    links = parse_feed(read("rss_offsets.xml"), FEED_URL, make_source())
    found = by_url(links)
    first = found["https://www.example.pk/news/2026/11/20/flood-relief"]
    assert first.via == "rss"
    assert first.date_hint == datetime(2026, 11, 20, 5, 15, tzinfo=UTC)
    assert first.title_hint == "Flood relief reaches Sindh"
    budget = found["https://www.example.pk/news/budget-debate"]  # relative link, +0530
    assert budget.date_hint == datetime(2026, 11, 20, 3, 30, tzinfo=UTC)
    assert budget.title_hint == "Budget <b>debate</b> & vote"
    ist = found["https://www.example.pk/news/series-levelled"]
    assert ist.date_hint == datetime(2026, 11, 19, 18, 0, tzinfo=UTC)
    naive = found["https://www.example.pk/feeds/news/no-offset"]  # relative to the feed URL
    assert naive.date_hint == datetime(2026, 11, 19, 8, 0, tzinfo=PKT)
    assert naive.date_hint.utcoffset() == timedelta(hours=5)
    dc = found["https://www.example.pk/news/dc-date"]  # permalink guid, dc:date
    assert dc.date_hint == datetime(2026, 11, 18, 7, 45, tzinfo=PKT)
    assert "https://www.example.pk/news/orig-link" in found  # feedburner:origLink wins
    assert all(c.date_hint is None or c.date_hint.tzinfo for c in links.articles)


def test_rss_skips_offsite_non_article_duplicate_and_linkless_items() -> None:
    links = parse_feed(read("rss_offsets.xml"), FEED_URL, make_source())
    urls = [c.url for c in links.articles]
    assert len(urls) == len(set(urls)) == 6
    assert not any("other-site.com" in u or "/tag/" in u for u in urls)
    assert "offsite_links: 1 entries link outside allowed_domains" in links.errors
    assert any(e.startswith("missing_link: 1 ") for e in links.errors)
    assert links.documents == []


def test_atom_published_is_the_hint_updated_is_lastmod_and_xml_base_resolves() -> None:
    links = parse_feed(read("atom.xml"), FEED_URL, make_source())
    found = by_url(links)
    assert set(found) == {
        "https://www.example.pk/news/monsoon-ends",
        "https://www.example.pk/news/sport/hockey-final",
        "https://www.example.pk/news/local-time",
    }
    monsoon = found["https://www.example.pk/news/monsoon-ends"]
    assert monsoon.via == "atom"
    assert monsoon.date_hint == datetime(2026, 11, 20, 1, 30, tzinfo=UTC)
    assert monsoon.lastmod == datetime(2026, 11, 20, 20, 0, tzinfo=UTC)
    assert monsoon.title_hint == "Monsoon <em>ends</em>"
    hockey = found["https://www.example.pk/news/sport/hockey-final"]
    assert hockey.date_hint is None
    assert hockey.lastmod == datetime(2026, 11, 19, 18, 0, tzinfo=UTC)
    local = found["https://www.example.pk/news/local-time"]
    assert local.date_hint == datetime(2026, 11, 19, 16, 0, tzinfo=UTC)
    assert links.errors == []


def test_rdf_items_use_link_or_rdf_about_and_dc_date() -> None:
    links = parse_feed(read("rdf.xml"), FEED_URL, make_source())
    found = by_url(links)
    one = found["https://www.example.pk/news/rdf-one"]
    assert one.via == "rdf"
    assert one.date_hint == datetime(2026, 11, 20, 5, 15, tzinfo=UTC)  # +05:45 Nepal
    two = found["https://www.example.pk/news/rdf-two"]
    assert two.date_hint == datetime(2026, 11, 20, tzinfo=PKT)  # date only → local midnight
    assert two.title_hint == "RDF two (about only)"


def test_mildly_malformed_feed_is_recovered_and_its_cut_last_item_dropped() -> None:
    links = parse_feed(read("malformed_recoverable.xml"), FEED_URL, make_source())
    assert by_url(links)["https://www.example.pk/news/bare-amp"].title_hint == (
        "Bare ampersand & unescaped")
    assert "https://www.example.pk/news/unclosed" not in by_url(links)  # the file ends inside it
    reasons = [e.split(":")[0] for e in links.errors]
    assert reasons == ["escaped_ampersands", "recovered_xml", "truncated_document"]


def test_garbage_html_and_empty_bodies_are_errors_not_exceptions() -> None:
    source = make_source()
    garbage = parse_feed(read("garbage.bin"), FEED_URL, source)
    assert garbage.articles == [] and garbage.errors[0].startswith("malformed_xml:")
    page = parse_feed(b"<html><body>Soft 404</body></html>", FEED_URL, source)
    assert page.errors == [f"not_a_feed: root element <html> at {FEED_URL}"]
    assert parse_feed(b"", FEED_URL, source).errors[0].startswith("malformed_xml:")


def test_feed_without_article_pattern_keeps_every_same_site_link() -> None:
    links = parse_feed(read("rss_offsets.xml"), FEED_URL, make_source(article_url_pattern=None))
    assert "https://www.example.pk/tag/floods" in by_url(links)


def test_feed_with_100k_items_is_bounded() -> None:
    item = (
        "<item><title>Story {n}</title><link>https://www.example.pk/news/{n}</link>"
        "<pubDate>Fri, 20 Nov 2026 10:00:00 +0500</pubDate></item>"
    )
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel>'
        + "".join(item.format(n=n) for n in range(100_000))
        + "</channel></rss>"
    ).encode()
    links = parse_feed(body, FEED_URL, make_source())
    assert len(links.articles) == 50_000
    assert links.errors == ["too_many_entries: 50000 entries beyond the 50000 limit ignored"]


INDIAN_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title><![CDATA[Example Herald - Top Stories]]></title>
  <link>https://www.example.in/</link>
  <atom:link href="https://www.example.in/rss/top.xml" rel="self" type="application/rss+xml"/>
  <language>en-in</language>
  <lastBuildDate>Thu, 20 Nov 2026 16:45:10 +0530 (IST)</lastBuildDate>
  <item>
    <title><![CDATA[Metro fares to rise from December, says corporation]]></title>
    <link>https://www.example.in/news/city/metro-fares-rise-4412.html</link>
    <guid isPermaLink="false">4412</guid>
    <dc:creator><![CDATA[Staff Reporter]]></dc:creator>
    <pubDate>Thu, 20 Nov 2026 16:20:00 +0530 (IST)</pubDate>
  </item>
  <item>
    <title><![CDATA[Late-night rain floods two underpasses]]></title>
    <link>https://www.example.in/news/city/underpasses-flooded-4415.html</link>
    <guid isPermaLink="false">4415</guid>
    <pubDate>Fri, 21 Nov 2026 01:10:00 +0530 (India Standard Time)</pubDate>
  </item>
</channel>
</rss>
"""


def test_an_indian_feed_with_ist_comments_keeps_plus_0530() -> None:
    """A Kathmandu outlet's wire feed from India: the printed +0530 wins over the source zone."""
    source = make_source(timezone="Asia/Kathmandu", allowed_domains=["example.in"],
                         homepage="https://www.example.in/", country="NP")
    found = by_url(parse_feed(INDIAN_FEED.encode(), "https://www.example.in/rss/top.xml", source))
    metro = found["https://www.example.in/news/city/metro-fares-rise-4412.html"]
    assert metro.date_hint == datetime(2026, 11, 20, 10, 50, tzinfo=UTC)
    late = found["https://www.example.in/news/city/underpasses-flooded-4415.html"]
    assert late.date_hint == datetime(2026, 11, 20, 19, 40, tzinfo=UTC)


# A Blogger-style Atom feed: API links (self, edit), comment feeds (replies), a podcast file.
BLOGGER_ATOM = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:thr="http://purl.org/syndication/thread/1.0">
  <id>tag:blogger.com,1999:blog-4412</id>
  <title type="text">Valley Notes</title>
  <link rel="self" type="application/atom+xml" href="https://www.example.pk/feeds/posts/default"/>
  <entry>
    <id>tag:blogger.com,1999:blog-4412.post-101</id>
    <published>2026-11-20T08:00:00+05:00</published>
    <title type="text">Road to the pass reopens</title>
    <link rel="replies" type="application/atom+xml"
          href="https://www.example.pk/feeds/101/comments/default" title="Post Comments"/>
    <link rel="replies" type="text/html" href="https://www.example.pk/2026/11/road.html#comments"/>
    <link rel="edit" type="application/atom+xml"
          href="https://www.blogger.com/feeds/4412/posts/default/101"/>
    <link rel="self" type="application/atom+xml"
          href="https://www.example.pk/feeds/posts/default/101"/>
    <link rel="alternate" type="text/html" href="https://www.example.pk/2026/11/road.html"
          title="Road to the pass reopens"/>
    <thr:total>3</thr:total>
  </entry>
  <entry>
    <id>tag:blogger.com,1999:blog-4412.post-102</id>
    <published>2026-11-20T09:00:00+05:00</published>
    <title type="text">A draft with only API links</title>
    <link rel="edit" type="application/atom+xml"
          href="https://www.example.pk/feeds/posts/default/102"/>
    <link rel="self" type="application/atom+xml"
          href="https://www.example.pk/feeds/posts/default/102"/>
  </entry>
  <entry>
    <id>https://www.example.pk/2026/11/podcast-episode-12.html</id>
    <published>2026-11-20T10:00:00+05:00</published>
    <title type="text">Podcast: episode 12</title>
    <link rel="enclosure" type="audio/mpeg" length="1337"
          href="https://www.example.pk/media/episode-12.mp3"/>
    <link rel="http://www.iana.org/assignments/relation/self" type="application/atom+xml"
          href="https://www.example.pk/feeds/posts/default/103"/>
  </entry>
</feed>
"""


def test_atom_entries_never_take_self_edit_replies_or_enclosure_links() -> None:
    source = make_source(article_url_pattern=None)
    links = parse_feed(BLOGGER_ATOM, "https://www.example.pk/feeds/posts/default", source)
    assert [c.url for c in links.articles] == [
        "https://www.example.pk/2026/11/road.html",
        "https://www.example.pk/2026/11/podcast-episode-12.html",  # its http(s) <id>
    ]
    assert links.errors == ["missing_link: 1 entries without a usable http(s) link"]
