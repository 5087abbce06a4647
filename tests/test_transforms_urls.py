"""Tests for URL canonicalisation and article ids."""

from __future__ import annotations

import re

import pytest

from transforms.urls import article_id_for, canonicalize_url, registered_site, same_site


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.dawn.com/news/1?utm_source=rss&utm_medium=x", "https://dawn.com/news/1"),
        ("https://dawn.com/news/1?fbclid=a&gclid=b&mc_cid=c&ref=home&cmpid=d",
         "https://dawn.com/news/1"),
        ("https://dawn.com/news/1#comments", "https://dawn.com/news/1"),
        ("https://dawn.com/news/1/", "https://dawn.com/news/1"),
        ("https://dawn.com/", "https://dawn.com/"),
        ("https://dawn.com", "https://dawn.com/"),
        ("HTTPS://DAWN.COM/News/1", "https://dawn.com/News/1"),
        ("https://dawn.com/news/amp/1/budget", "https://dawn.com/news/1/budget"),
        ("https://dawn.com/news/1/budget/amp", "https://dawn.com/news/1/budget"),
        ("https://dawn.com/news/1?amp=1", "https://dawn.com/news/1"),
        ("https://dawn.com/news/1.amp.html", "https://dawn.com/news/1.html"),
        ("https://amp.dawn.com/news/1", "https://dawn.com/news/1"),
        ("https://dawn.com/news?b=2&a=1&utm_campaign=z", "https://dawn.com/news?a=1&b=2"),
        ("https://dawn.com:443/news/1", "https://dawn.com/news/1"),
        ("http://127.0.0.1:8080/news/1/", "http://127.0.0.1:8080/news/1"),
    ],
)
def test_canonicalize_url_cleans(url: str, expected: str) -> None:
    """Tracking params, fragments, www, AMP forms and trailing slashes go; host lowercased."""
    assert canonicalize_url(url) == expected


def test_canonical_on_same_site_is_preferred() -> None:
    """An on-site rel=canonical (also relative or on a sibling subdomain) wins."""
    assert canonicalize_url("https://m.dawn.com/n/1?utm_source=x",
                            "https://www.dawn.com/news/1/") == "https://dawn.com/news/1"
    assert canonicalize_url("https://dawn.com/n/1", "/news/1") == "https://dawn.com/news/1"
    assert canonicalize_url("https://news.example.com.pk/a",
                            "https://www.example.com.pk/b") == "https://example.com.pk/b"


def test_off_site_or_bad_canonical_is_ignored() -> None:
    """A canonical on another registered site, or not http(s), is ignored."""
    assert canonicalize_url("https://dawn.com/news/1", "https://aggregator.com/x") == (
        "https://dawn.com/news/1")
    assert canonicalize_url("https://a.com.pk/x", "https://b.com.pk/x") == "https://a.com.pk/x"
    assert canonicalize_url("https://dawn.com/news/1", "javascript:alert(1)") == (
        "https://dawn.com/news/1")


def test_bad_url_raises() -> None:
    """Non-URLs raise ValueError (normalize turns that into null)."""
    for bad in ("", "not a url", "ftp://x.com/a", None):
        with pytest.raises(ValueError):
            canonicalize_url(bad)  # type: ignore[arg-type]


def test_registered_site() -> None:
    """Registrable domains use the public suffix list, offline."""
    assert registered_site("www.thehindu.co.in") == "thehindu.co.in"
    assert registered_site("127.0.0.1") == "127.0.0.1"
    assert same_site("https://epaper.dawn.com/x", "https://www.dawn.com/y")
    assert not same_site("https://dawn.com/x", "https://dawn.com.evil.org/y")


def test_article_id_is_stable_hex() -> None:
    """The id is the first 16 bytes of SHA-256 as 32 hex chars, stable across calls."""
    first = article_id_for("https://dawn.com/news/1")
    assert first == article_id_for("https://dawn.com/news/1")
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    # the first 16 bytes of SHA-256 of the URL's UTF-8 bytes, written out: ids in stored lakes
    # must never change
    assert first == "080da1b521e9d68be464dbd79e4f734c"
    assert article_id_for("https://dawn.com/news/2") != first
    assert first != article_id_for("https://dawn.com/news/2")
    variants = ["https://www.dawn.com/news/1/?utm_source=x", "https://dawn.com/news/1/amp",
                "https://dawn.com/news/1#top"]
    assert {article_id_for(canonicalize_url(v)) for v in variants} == {first}
