"""Broken feeds and sitemaps as real publishers serve them: every repair is made and noted, no
entry is invented, and a well-formed document is read as it is with no note at all."""

from __future__ import annotations

from pathlib import Path

from scrapers.discovery.feeds import parse_feed
from scrapers.discovery.sitemaps import parse_sitemap
from scrapers.discovery.xml import RECOVERY_REASONS, parse_document
from tests.sources_helpers import make_source

FIXTURES = Path(__file__).parent / "fixtures" / "discovery"
FEED_URL = "https://www.example.pk/feed/"
SITEMAP_URL = "https://www.example.pk/sitemap-news.xml"

# A WordPress-style feed whose first description pastes HTML without escaping it.
WORDPRESS_FEED = b"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
  xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Example Times</title>
  <link>https://www.example.pk</link>
  <description>News from the valley</description>
  <item>
    <title>Snow closes the pass for a second day</title>
    <link>https://www.example.pk/news/2026/11/20/snow-closes-pass/</link>
    <dc:creator><![CDATA[Correspondent]]></dc:creator>
    <pubDate>Fri, 20 Nov 2026 08:10:00 +0500</pubDate>
    <description>Traffic was turned back at the checkpoint.<br>Officials expect the road
      to reopen on Sunday.<img src="https://www.example.pk/img/pass.jpg" alt="pass"></description>
  </item>
  <item>
    <title>Apple growers count losses after early frost</title>
    <link>https://www.example.pk/news/2026/11/20/apple-growers-frost/</link>
    <pubDate>Fri, 20 Nov 2026 09:40:00 +0500</pubDate>
    <description>Growers said&nbsp;half the crop was lost.</description>
  </item>
  <item>
    <title>Schools to open an hour later in winter</title>
    <link>https://www.example.pk/news/2026/11/20/school-hours-winter/</link>
    <pubDate>Fri, 20 Nov 2026 11:05:00 +0500</pubDate>
  </item>
</channel>
</rss>
"""


def reasons(errors: list[str]) -> list[str]:
    """The reason prefixes of a document's notes."""
    return [e.split(":")[0] for e in errors]


def urlset(entries: str) -> bytes:
    """A Google News sitemap around ``entries``."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"\n'
            '        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
            + entries).encode()


def news_url(path: str, title: str) -> str:
    """One news sitemap ``<url>`` entry."""
    return (f"<url><loc>https://www.example.pk{path}</loc><news:news><news:publication>"
            "<news:name>Example Times</news:name><news:language>en</news:language>"
            "</news:publication><news:publication_date>2026-11-20T09:00:00+05:00"
            f"</news:publication_date><news:title>{title}</news:title></news:news></url>\n")


def test_an_unclosed_br_in_one_description_loses_no_item() -> None:
    links = parse_feed(WORDPRESS_FEED, FEED_URL, make_source())
    assert [c.title_hint for c in links.articles] == [
        "Snow closes the pass for a second day",
        "Apple growers count losses after early frost",
        "Schools to open an hour later in winter",
    ]
    assert reasons(links.errors) == ["html_entities", "closed_void_tags"]


def test_a_bare_ampersand_in_a_link_is_escaped_not_eaten() -> None:
    feed = WORDPRESS_FEED.replace(b"school-hours-winter/", b"school-hours?term=winter&year=2026")
    feed = feed.replace(b"<title>Apple growers", b"<title><![CDATA[Q&A:]]> Apple growers")
    links = parse_feed(feed, FEED_URL, make_source())
    urls = [c.url for c in links.articles]
    assert "https://www.example.pk/news/2026/11/20/school-hours?term=winter&year=2026" in urls
    assert links.articles[1].title_hint == "Q&A: Apple growers count losses after early frost"
    assert "escaped_ampersands" in reasons(links.errors)


def test_a_sitemap_cut_mid_path_yields_no_fake_url() -> None:
    body = urlset(news_url("/news/2026/11/20/cabinet-meets/", "Cabinet meets")
                  + news_url("/news/2026/11/20/es/fares-rise/", "Fares rise"))
    cut = body[: body.rindex(b"/es/fa") + len(b"/es/fa")]
    links = parse_sitemap(cut, SITEMAP_URL, make_source())
    assert [c.url for c in links.articles] == [
        "https://www.example.pk/news/2026/11/20/cabinet-meets/"]
    assert reasons(links.errors) == ["recovered_xml", "truncated_document"]


def test_a_sitemap_cut_between_entries_keeps_every_whole_entry() -> None:
    body = urlset(news_url("/news/2026/11/20/cabinet-meets/", "Cabinet meets")
                  + news_url("/news/2026/11/20/fares-rise/", "Fares rise"))
    links = parse_sitemap(body, SITEMAP_URL, make_source())  # no </urlset>: cut after </url>
    assert len(links.articles) == 2
    assert "truncated_document" not in reasons(links.errors)


def test_a_sitemap_declared_utf16_but_written_in_utf8_is_read() -> None:
    body = urlset(news_url("/news/2026/11/20/cabinet-meets/", "کابینہ کا اجلاس")
                  + "</urlset>\n").replace(b'encoding="UTF-8"', b'encoding="UTF-16"')
    links = parse_sitemap(body, SITEMAP_URL, make_source())
    assert [c.title_hint for c in links.articles] == ["کابینہ کا اجلاس"]
    assert reasons(links.errors) == ["redecoded_xml"]


def test_a_windows_1252_feed_declared_utf8_is_read_as_windows_1252() -> None:
    feed = WORDPRESS_FEED.replace(b"Schools to open", "Café owners “welcome” schools".encode(
        "cp1252"))
    links = parse_feed(feed, FEED_URL, make_source())
    assert links.articles[2].title_hint == "Café owners “welcome” schools an hour later in winter"
    assert "redecoded_xml" in reasons(links.errors)


def test_urls_holding_a_replacement_character_are_refused() -> None:
    body = urlset(news_url("/news/2026/11/20/cabinet-meets/", "Cabinet meets")
                  + news_url("/news/2026/11/20/caf\ufffd-owners/", "Cafe owners")
                  + news_url("/news/2026/11/20/%EF%BF%BD-fares/", "Fares")
                  + "</urlset>")
    links = parse_sitemap(body, SITEMAP_URL, make_source())
    assert [c.url for c in links.articles] == [
        "https://www.example.pk/news/2026/11/20/cabinet-meets/"]
    assert links.errors == ["bad_url_characters: 2 links hold U+FFFD (undecodable bytes) and "
                            "were refused"]


def test_well_formed_documents_are_read_as_they_are_without_notes() -> None:
    for name in ("rss_offsets.xml", "atom.xml", "rdf.xml", "urlset.xml", "news_sitemap.xml",
                 "sitemap_index.xml"):
        assert parse_document((FIXTURES / name).read_bytes()).notes == [], name
    assert parse_document(WORDPRESS_FEED.replace(b"<br>", b"<br/>").replace(
        b'alt="pass">', b'alt="pass"/>').replace(b"&nbsp;", b"&#160;")).notes == []


def test_every_note_a_repair_makes_is_a_recovery_reason() -> None:
    links = parse_feed(WORDPRESS_FEED[:-40].replace(b"said&nbsp;", b"said & "), FEED_URL,
                       make_source())
    assert set(reasons(links.errors)) <= RECOVERY_REASONS
    assert "recovered_xml" in reasons(links.errors)
