"""Listing pages: same-site article links with date hints, pagination, and pagination traps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from scrapers.discovery.links import date_from_url
from scrapers.discovery.listings import MAX_HTML_BYTES, follow_listing, parse_listing
from tests.sources_helpers import make_source

FIXTURES = Path(__file__).parent / "fixtures" / "discovery"
SITE = "https://www.example.pk"
KARACHI = ZoneInfo("Asia/Karachi")
PKT = timezone(timedelta(hours=5))


def read(name: str) -> bytes:
    """The bytes of a fixture document."""
    return (FIXTURES / name).read_bytes()


def test_listing_articles_carry_titles_and_date_hints() -> None:
    links = parse_listing(read("listing_page1.html"), f"{SITE}/pakistan", make_source())
    found = {c.url: c for c in links.articles}
    assert list(found) == [
        f"{SITE}/news/2026/11/20/karachi-rain",
        f"{SITE}/news/lahore-smog",
        f"{SITE}/news/quetta-snow",
        f"{SITE}/news/2026-11-17-gwadar-port",
        f"{SITE}/news/undated-story",
    ]
    rain = found[f"{SITE}/news/2026/11/20/karachi-rain"]
    assert rain.via == "listing"
    assert rain.title_hint == "Heavy rain lashes Karachi"  # the headline beats the image alt
    assert rain.date_hint == datetime(2026, 11, 20, 10, 30, tzinfo=PKT)  # printed date
    assert found[f"{SITE}/news/lahore-smog"].date_hint == datetime(
        2026, 11, 19, 13, 45, tzinfo=UTC
    )  # <time datetime>
    assert found[f"{SITE}/news/quetta-snow"].date_hint == datetime(2026, 11, 18, tzinfo=PKT)
    assert found[f"{SITE}/news/2026-11-17-gwadar-port"].date_hint == datetime(
        2026, 11, 17, tzinfo=PKT
    )  # from the URL
    assert found[f"{SITE}/news/undated-story"].date_hint is None
    assert links.documents == [f"{SITE}/pakistan?page=2"]
    assert links.errors == []


def test_listing_next_page_from_class_or_older_label() -> None:
    links = parse_listing(read("listing_page2.html"), f"{SITE}/pakistan?page=2", make_source())
    assert links.documents == [f"{SITE}/pakistan?page=3"]
    hints = {c.url: c.date_hint for c in links.articles}
    assert hints[f"{SITE}/news/older-story-one"] == datetime(2026, 11, 16, tzinfo=PKT)
    assert hints[f"{SITE}/news/older-story-two"] == datetime(2026, 11, 15, tzinfo=PKT)


def test_base_href_is_honoured() -> None:
    links = parse_listing(read("listing_base_href.html"), f"{SITE}/x/y", make_source())
    assert [c.url for c in links.articles] == [f"{SITE}/news/based-story"]
    assert links.documents == [f"{SITE}/archive/2026-11-19?p=2"]


def test_next_link_pointing_to_the_page_itself_is_ignored() -> None:
    url = f"{SITE}/trap?page=1&utm_source=x"
    links = parse_listing(read("listing_trap_self.html"), url, make_source())
    assert [c.url for c in links.articles] == [f"{SITE}/news/trap-story"]
    assert links.documents == []


def test_follow_listing_walks_pages_and_stops_on_a_cycle() -> None:
    pages = {
        f"{SITE}/cycle/a": read("listing_cycle_a.html"),
        f"{SITE}/cycle/b": read("listing_cycle_b.html"),
    }
    fetched: list[str] = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return pages[url]

    links, visited = follow_listing(fetch, f"{SITE}/cycle/a", make_source(), max_pages=50)
    assert visited == fetched == [f"{SITE}/cycle/a", f"{SITE}/cycle/b"]
    assert [c.url for c in links.articles] == [
        f"{SITE}/news/cycle-a-story",
        f"{SITE}/news/cycle-b-story",
    ]


def test_follow_listing_respects_max_pages() -> None:
    def fetch(url: str) -> bytes:
        n = int(url.rsplit("=", 1)[1])
        return f'<a href="/news/s{n}">s</a><a rel="next" href="/l?p={n + 1}">next</a>'.encode()

    links, visited = follow_listing(fetch, f"{SITE}/l?p=1", make_source(), max_pages=3)
    assert visited == [f"{SITE}/l?p=1", f"{SITE}/l?p=2", f"{SITE}/l?p=3"]
    assert len(links.articles) == 3


def test_offsite_next_link_is_not_followed() -> None:
    body = b'<a href="/news/one">One</a><a rel="next" href="https://evil.example.com/p2">Next</a>'
    assert parse_listing(body, f"{SITE}/s", make_source()).documents == []


def test_subdomains_of_allowed_domains_count_as_same_site() -> None:
    body = b'<a href="https://urdu.example.pk/news/urdu-story">Urdu</a>'
    links = parse_listing(body, f"{SITE}/s", make_source())
    assert [c.url for c in links.articles] == ["https://urdu.example.pk/news/urdu-story"]


def test_empty_and_oversized_pages_are_errors() -> None:
    assert parse_listing(b"", f"{SITE}/s", make_source()).errors[0].startswith("malformed_html")
    huge = b"<html><body>" + b" " * (MAX_HTML_BYTES + 1)
    assert parse_listing(huge, f"{SITE}/s", make_source()).errors[0].startswith("too_large")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"{SITE}/news/2026/11/20/story", datetime(2026, 11, 20, tzinfo=KARACHI)),
        (f"{SITE}/2026/11/20", datetime(2026, 11, 20, tzinfo=KARACHI)),
        (f"{SITE}/news/story-2026-11-20", datetime(2026, 11, 20, tzinfo=KARACHI)),
        (f"{SITE}/epaper/20261120/page1", datetime(2026, 11, 20, tzinfo=KARACHI)),
        (f"{SITE}/archive?date=2026-11-20", datetime(2026, 11, 20, tzinfo=KARACHI)),
        (f"{SITE}/news/2026/11/story", None),
        (f"{SITE}/news/12345678", None),
        (f"{SITE}/news/20261340", None),
        (f"{SITE}/news/story-1234567890123", None),
    ],
)
def test_date_from_url(url: str, expected: datetime | None) -> None:
    assert date_from_url(url, KARACHI) == expected
