"""Safe XML parsing for feeds and sitemaps: no entities, no network, bounded size and entries.

``parse_xml`` is the only place discovery parses XML.  It transparently gunzips gzip bodies
with a bounded decompression, refuses any DTD that declares an ENTITY (billion laughs, XXE),
recovers mildly malformed markup and raises a clear error for anything else.
"""

from __future__ import annotations

import html
import re
import zlib
from collections.abc import Iterable, Iterator
from typing import TypeVar

from lxml import etree

MAX_XML_BYTES = 50 * 1024 * 1024  # decompressed; the sitemap protocol's own limit
MAX_ENTRIES = 50_000  # entries (items, urls, child sitemaps) handled per document
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1024 * 1024
_ENTITY_DECL = re.compile(rb"<!\s*ENTITY", re.IGNORECASE)
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")

T = TypeVar("T")


class DiscoveryXMLError(ValueError):
    """Base class: a discovery document could not be parsed safely."""

    reason = "xml_error"


class UnsafeXMLError(DiscoveryXMLError):
    """The document declares entities (billion laughs / XXE) and is refused."""

    reason = "unsafe_xml"


class TooLargeError(DiscoveryXMLError):
    """The document (or its decompressed form) exceeds the size bound."""

    reason = "too_large"


class MalformedXMLError(DiscoveryXMLError):
    """The document is not XML, even with recovery."""

    reason = "malformed_xml"


def gunzip_bounded(data: bytes, limit: int = MAX_XML_BYTES) -> bytes:
    """Decompress gzip ``data`` (all members) in bounded chunks.

    Raises TooLargeError past ``limit`` output bytes and MalformedXMLError if truncated.
    """
    out = bytearray()
    remaining = data
    while remaining[:2] == _GZIP_MAGIC:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        pending = remaining
        while not inflater.eof:
            chunk = inflater.decompress(pending, _CHUNK)
            pending = inflater.unconsumed_tail
            if not chunk and not pending:
                raise MalformedXMLError("truncated gzip body")
            out += chunk
            if len(out) > limit:
                raise TooLargeError(f"gzip body decompresses to more than {limit} bytes")
        remaining = inflater.unused_data
    return bytes(out)


def decode_body(body: bytes, limit: int = MAX_XML_BYTES) -> bytes:
    """Return the XML bytes of ``body``: size-checked and gunzipped when it has gzip magic."""
    if len(body) > limit:
        raise TooLargeError(f"document is {len(body)} bytes, more than the {limit} byte limit")
    if body[:2] == _GZIP_MAGIC:
        try:
            return gunzip_bounded(body, limit)
        except zlib.error as exc:
            raise MalformedXMLError(f"corrupt gzip body: {exc}") from None
    return body


def check_no_entity_declarations(data: bytes) -> None:
    """Raise UnsafeXMLError if the prolog (before the root element) declares an ENTITY."""
    first = _FIRST_ELEMENT.search(data)
    prolog = data[: first.start()] if first else data
    if _ENTITY_DECL.search(prolog):
        raise UnsafeXMLError("document type declares ENTITY (entity expansion / XXE); refused")


def _check_parsed_dtd(root: etree._Element) -> None:
    """Raise UnsafeXMLError if the parsed internal DTD subset declares any entity."""
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise UnsafeXMLError("document type declares ENTITY (entity expansion / XXE); refused")


def make_parser() -> etree.XMLParser:
    """An lxml parser that never resolves entities, loads DTDs or touches the network."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        recover=True,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(body: bytes, url: str = "", limit: int = MAX_XML_BYTES) -> etree._Element:
    """Parse ``body`` safely and return its root element.

    Raises TooLargeError, UnsafeXMLError or MalformedXMLError (all DiscoveryXMLError).
    """
    data = decode_body(body, limit)
    check_no_entity_declarations(data)
    if not data.strip():
        raise MalformedXMLError(f"empty document{f' at {url}' if url else ''}")
    try:
        root = etree.fromstring(data, make_parser(), base_url=url or None)
    except etree.XMLSyntaxError as exc:
        raise MalformedXMLError(f"not XML: {exc}") from None
    if root is None or not isinstance(root.tag, str):
        raise MalformedXMLError(f"not XML{f' at {url}' if url else ''}: no root element")
    _check_parsed_dtd(root)
    return root


def local_name(element: etree._Element) -> str:
    """The tag of ``element`` without its namespace ('' for comments, entities, PIs)."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def find_children(element: etree._Element, name: str) -> Iterator[etree._Element]:
    """Child elements whose local name is ``name``, in any namespace."""
    return (child for child in element if local_name(child) == name)


def find_child(element: etree._Element, name: str) -> etree._Element | None:
    """The first child element whose local name is ``name``, in any namespace."""
    return next(find_children(element, name), None)


def text_of(element: etree._Element | None) -> str | None:
    """The whitespace-normalised text of ``element`` (HTML entity refs decoded), or None."""
    if element is None:
        return None
    parts: list[str] = []
    for node in element.iter():
        if isinstance(node, etree._Entity):
            parts.append(html.unescape(node.text or ""))
        elif node is element or isinstance(node.tag, str):
            parts.append(node.text or "")
        if node is not element:
            parts.append(node.tail or "")
    text = " ".join("".join(parts).split())
    return text or None


def child_text(element: etree._Element, name: str) -> str | None:
    """The text of the first child named ``name`` (any namespace), or None."""
    return text_of(find_child(element, name))


def take_bounded(items: Iterable[T], errors: list[str], limit: int = MAX_ENTRIES) -> Iterator[T]:
    """Yield at most ``limit`` items; count the excess into ``errors`` as one reason."""
    excess = 0
    for index, item in enumerate(items):
        if index < limit:
            yield item
        else:
            excess += 1
    if excess:
        errors.append(f"too_many_entries: {excess} entries beyond the {limit} limit ignored")
