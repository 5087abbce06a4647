"""XML safety: entity expansion, XXE, gzip bombs, size bounds and malformed input."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from pathlib import Path

import pytest

from scrapers.discovery.feeds import parse_feed
from scrapers.discovery.sitemaps import parse_sitemap
from scrapers.discovery.xml import (
    MAX_XML_BYTES,
    MalformedXMLError,
    TooLargeError,
    UnsafeXMLError,
    gunzip_bounded,
    parse_xml,
)
from tests.sources_helpers import make_source

FIXTURES = Path(__file__).parent / "fixtures" / "discovery"
URL = "https://www.example.pk/sitemap.xml"
PASSWD = Path("/etc/passwd")


def read(name: str) -> bytes:
    """The bytes of a fixture document."""
    return (FIXTURES / name).read_bytes()


def passwd_markers() -> list[str]:
    """Strings that would only appear if /etc/passwd leaked into the output."""
    markers = ["root:x:0:0", "/bin/sh", "/usr/sbin/nologin"]
    if PASSWD.exists():
        first = PASSWD.read_text(errors="replace").splitlines()[:1]
        markers += [line for line in first if line]
    return markers


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """1 GiB of zeros in about 1 MB: one 128 MiB gzip member, repeated as 8 members."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"\0" * (1 << 20)
    parts = [compressor.compress(b"<urlset>")]
    parts += [compressor.compress(zeros) for _ in range(128)]
    parts.append(compressor.flush())
    return b"".join(parts) * 8


def test_billion_laughs_is_refused_quickly() -> None:
    with pytest.raises(UnsafeXMLError, match="ENTITY"):
        parse_xml(read("billion_laughs.xml"), URL)
    links = parse_feed(read("billion_laughs.xml"), URL, make_source())
    assert links.articles == []
    assert links.errors[0].startswith("unsafe_xml: ")


@pytest.mark.parametrize("name", ["xxe_passwd.xml", "xxe_comment_smuggle.xml"])
def test_xxe_entities_are_refused_and_never_read(name: str) -> None:
    with pytest.raises(UnsafeXMLError):
        parse_xml(read(name), URL)
    for parse in (parse_sitemap, parse_feed):
        links = parse(read(name), URL, make_source())
        dump = repr(links)
        assert links.articles == [] and links.errors[0].startswith("unsafe_xml: ")
        assert not any(marker in dump for marker in passwd_markers())


def test_entity_declared_past_a_decoy_tag_is_caught_after_parsing() -> None:
    body = read("xxe_comment_smuggle.xml")
    assert b"<decoy>" in body  # the byte pre-scan stops at the decoy; the DTD check does not
    with pytest.raises(UnsafeXMLError):
        parse_xml(body, URL)


def test_utf16_entity_declaration_is_refused() -> None:
    body = read("xxe_passwd.xml").decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    with pytest.raises(UnsafeXMLError):
        parse_xml(body.encode("utf-16"), URL)


def test_external_dtd_is_not_loaded() -> None:
    links = parse_sitemap(read("xxe_external_dtd.xml"), URL, make_source())
    assert [c.url for c in links.articles] == ["https://www.example.pk/news/external-dtd"]
    assert not any(marker in repr(links) for marker in passwd_markers())


def test_plain_doctype_without_entities_is_accepted() -> None:
    body = b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "x.dtd"><rss/>'
    assert parse_xml(body, URL).tag == "rss"


def test_entity_text_inside_cdata_is_not_a_declaration() -> None:
    title = b"<title><![CDATA[How <!ENTITY works]]></title>"
    assert parse_xml(b"<rss><channel><item>" + title + b"</item></channel></rss>", URL).tag == "rss"


def test_gzip_bomb_is_stopped_with_bounded_memory(gzip_bomb: bytes) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(TooLargeError):
            gunzip_bounded(gzip_bomb)
        links = parse_sitemap(gzip_bomb, URL + ".gz", make_source())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert links.errors[0].startswith("too_large: ")
    assert peak < 3 * MAX_XML_BYTES, f"peak {peak / 2**20:.0f} MiB while refusing a gzip bomb"


def test_oversized_plain_body_is_refused_before_parsing() -> None:
    with pytest.raises(TooLargeError):
        parse_xml(b"<urlset>" + b" " * 2048 + b"</urlset>", URL, limit=1024)


@pytest.mark.parametrize("body", [b"", b"   \n", b"just text", b"\x00\x01\x02garbage"])
def test_garbage_raises_a_clear_malformed_error(body: bytes) -> None:
    with pytest.raises(MalformedXMLError, match=r"XML|empty"):
        parse_xml(body, URL)


def test_truncated_gzip_is_malformed() -> None:
    with pytest.raises(MalformedXMLError, match="gzip"):
        parse_xml(gzip.compress(read("urlset.xml"))[:-8], URL)


def test_mild_malformation_is_recovered() -> None:
    root = parse_xml(read("malformed_recoverable.xml"), URL)
    assert root.tag == "rss"
