"""``Source.allows``: the one "is this URL on the source's domains" check, and its normalisation."""

from __future__ import annotations

import pytest

from scrapers.sources import normalize_host, on_domains
from tests.sources_helpers import make_source


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://example.pk/news/1", True),
        ("https://www.example.pk/news/1", True),  # any subdomain, www. included
        ("https://epaper.www.example.pk/x", True),
        ("https://EXAMPLE.PK/news/1", True),  # case
        ("https://www.example.pk./news/1", True),  # a fully qualified name's trailing dot
        ("https://www.example.pk:8443/news/1", True),  # the port is ignored
        ("https://user:pw@www.example.pk/news/1", True),  # so are credentials
        ("https://notexample.pk/news/1", False),  # a suffix that is not a label boundary
        ("https://example.pk.evil.test/news/1", False),
        ("https://example.com/news/1", False),
        ("https://pk/news/1", False),
        ("/news/1", False),  # no host
        ("https://[::1]/news/1", False),
        ("http://[broken/news", False),  # unparseable: not on any domain
    ],
)
def test_allows_hosts_on_the_allowed_domains(url: str, allowed: bool) -> None:
    assert make_source("example").allows(url) is allowed


def test_bare_domain_is_not_covered_by_a_www_entry() -> None:
    source = make_source("example", allowed_domains=["www.example.pk"])
    assert source.allows("https://www.example.pk/a")
    assert not source.allows("https://example.pk/a")


def test_unicode_hosts_match_their_idna_form() -> None:
    source = make_source("example", allowed_domains=["xn--mgbh0fb.example"])  # مثال.example
    assert source.allows("https://مثال.example/news/1")
    assert source.allows("https://www.xn--mgbh0fb.example/news/1")
    assert not source.allows("https://مثالي.example/news/1")


def test_normalize_host() -> None:
    assert normalize_host("WWW.Example.PK.") == "www.example.pk"
    assert normalize_host("مثال.example") == "xn--mgbh0fb.example"
    assert normalize_host("a" * 64 + "\u00e9.example") == ""  # no IDNA form: matches nothing


def test_on_domains_normalises_the_domains_too() -> None:
    assert on_domains("https://news.example.pk/", ["Example.PK."])
    assert not on_domains("https://news.example.pk/", [])
