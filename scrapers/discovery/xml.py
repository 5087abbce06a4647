"""Safe XML parsing for feeds and sitemaps: no entities, no network, bounded size and entries.

``parse_document`` is the only place discovery parses XML.  It transparently gunzips gzip bodies
with a bounded decompression, refuses any DTD that declares an ENTITY (billion laughs, XXE) and
raises a clear error for anything that is not XML.  A well-formed document is parsed as it is.
A broken one is repaired, and every repair is noted (``XMLDocument.notes``, counted by the
spider): a declared encoding the bytes contradict is corrected, bare ``&`` are escaped, HTML
void tags (``<br>``) are closed, HTML entity names become characters; what is still broken is
left to libxml2's recovery, whose errors are noted too.  A document cut short says so
(``XMLDocument.is_cut``), so that its last, partial entry can be dropped.
"""

from __future__ import annotations

import html
import html.entities
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from lxml import etree

MAX_XML_BYTES = 50 * 1024 * 1024  # decompressed; the sitemap protocol's own limit
MAX_ENTRIES = 50_000  # entries (items, urls, child sitemaps) handled per document
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1024 * 1024
_ENTITY_DECL = re.compile(rb"<!\s*ENTITY", re.IGNORECASE)
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")
_XML_DECL_ENCODING = re.compile(
    rb"""^(\s*<\?xml[^>]*?encoding\s*=\s*["'])([A-Za-z0-9._-]+)(["'])""")
_CDATA = re.compile(rb"(<!\[CDATA\[.*?\]\]>)", re.DOTALL)
_BARE_AMPERSAND = re.compile(rb"&(?!(?:[A-Za-z_][A-Za-z0-9._-]*|#[0-9]+|#x[0-9A-Fa-f]+);)")
_XML_ENTITIES = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})
_NAMED_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]*);")
# HTML void elements that feeds paste into descriptions unclosed (not <link>/<source>: RSS's own).
_VOID_TAG = re.compile(rb"<(br|hr|img|wbr)\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*?)\s*(?<!/)>",
                       re.IGNORECASE)
_VOID_END = re.compile(rb"</(?:br|hr|img|wbr)\s*>", re.IGNORECASE)
RECOVERY_REASONS = frozenset({
    "redecoded_xml", "escaped_ampersands", "closed_void_tags", "html_entities", "recovered_xml",
    "truncated_document", "bad_url_characters",
})
"""Notes that mean a document was not well-formed and was read by repairing it."""

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


def make_parser(recover: bool = True) -> etree.XMLParser:
    """An lxml parser that never resolves entities, loads DTDs or touches the network."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        recover=recover,
        remove_comments=True,
        remove_pis=True,
    )


@dataclass
class XMLDocument:
    """A parsed discovery document: its root, its bytes and the repairs it needed."""

    root: etree._Element
    data: bytes
    notes: list[str] = field(default_factory=list)

    @property
    def truncated(self) -> bool:
        """True when the root element's end tag is missing: the document was cut short."""
        end = re.compile(rb"</(?:[\w.-]+:)?" + re.escape(local_name(self.root).encode())
                         + rb"\s*>")
        return end.search(self.data[-4096:]) is None

    def is_cut(self, name: str) -> bool:
        """True when the document was cut short inside its last ``<name>`` element."""
        if not self.truncated:
            return False
        tag = re.escape(name.encode())
        starts = list(re.finditer(rb"<(?:[\w.-]+:)?" + tag + rb"(?=[\s>])", self.data))
        if not starts:
            return False
        tail = self.data[starts[-1].end():]
        return re.search(rb"</(?:[\w.-]+:)?" + tag + rb"\s*>", tail) is None


def _declared_encoding(data: bytes) -> str | None:
    match = _XML_DECL_ENCODING.match(data)
    return match.group(2).decode("ascii").lower() if match else None


def redecode(data: bytes) -> tuple[bytes, str | None]:
    """UTF-8 bytes of a document whose declared encoding its bytes contradict, and a note.

    Two lies are common: ``encoding="UTF-16"`` on a file written in UTF-8 (libxml2 then finds
    no root element), and UTF-8 (declared or by default) on Windows-1252 bytes.
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:3] == b"\xef\xbb\xbf":
        return data, None  # a BOM says what the bytes are
    declared = _declared_encoding(data)
    if declared and declared.startswith(("utf-16", "utf-32", "ucs")) and data[:5] == b"<?xml":
        return (_XML_DECL_ENCODING.sub(rb"\1UTF-8\3", data, count=1),
                f"redecoded_xml: declared {declared} but written in an ASCII-compatible "
                "encoding; read as UTF-8")
    if declared not in (None, "utf-8", "utf8"):
        return data, None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        from scrapers.extract.encoding import decode_page

        page = decode_page(data)
        if page.encoding == "utf-8":
            return data, None  # mostly UTF-8: a few bad bytes, left to the parser
        text = _XML_DECL_ENCODING.sub(rb"\1UTF-8\3", page.text.encode("utf-8"), count=1)
        return text, f"redecoded_xml: declared {declared or 'utf-8'} but not UTF-8; read as " \
                     f"{page.encoding}"
    return data, None


def _outside_cdata(data: bytes, repair: Callable[[bytes], tuple[bytes, int]]
                   ) -> tuple[bytes, int]:
    """Apply ``repair`` to every part of ``data`` outside CDATA sections; total its count."""
    parts = _CDATA.split(data)
    total = 0
    for index in range(0, len(parts), 2):
        parts[index], count = repair(parts[index])
        total += count
    return b"".join(parts), total


def _html_entities(part: bytes) -> tuple[bytes, int]:
    """HTML entity names (``&nbsp;``, ``&rsquo;``) as numeric references, and how many."""
    replaced = 0

    def numeric(match: re.Match[bytes]) -> bytes:
        nonlocal replaced
        name = match.group(1)
        point = html.entities.name2codepoint.get(name.decode())
        if name in _XML_ENTITIES or point is None:
            return match.group(0)
        replaced += 1
        return b"&#%d;" % point

    return _NAMED_ENTITY.sub(numeric, part), replaced


def repair(data: bytes) -> tuple[bytes, list[str]]:
    """Fix what commonly breaks hand-made feeds (outside CDATA); notes say what was fixed."""
    notes = []
    data, amps = _outside_cdata(data, lambda part: _BARE_AMPERSAND.subn(b"&amp;", part))
    if amps:
        notes.append(f"escaped_ampersands: {amps} bare '&' escaped")
    data, entities = _outside_cdata(data, _html_entities)
    if entities:
        notes.append(f"html_entities: {entities} HTML entity names read as characters")

    def close_voids(part: bytes) -> tuple[bytes, int]:
        part, opened = _VOID_TAG.subn(rb"<\1\2/>", part)
        part, _ = _VOID_END.subn(b"", part)
        return part, opened

    data, voids = _outside_cdata(data, close_voids)
    if voids:
        notes.append(f"closed_void_tags: {voids} unclosed HTML tags (<br>, <img>) closed")
    return data, notes


def _fromstring(data: bytes, url: str, recover: bool) -> tuple[etree._Element | None, list[str]]:
    """Parse ``data``; the root (None if there is none) and libxml2's error messages."""
    parser = make_parser(recover)
    root = etree.fromstring(data, parser, base_url=url or None)
    return root, [f"line {e.line}: {e.message}" for e in parser.error_log]


def parse_document(body: bytes, url: str = "", limit: int = MAX_XML_BYTES) -> XMLDocument:
    """Parse ``body`` safely: as it is when well-formed, else repaired (with notes).

    Raises TooLargeError, UnsafeXMLError or MalformedXMLError (all DiscoveryXMLError).
    """
    data = decode_body(body, limit)
    check_no_entity_declarations(data)
    where = f" at {url}" if url else ""
    if not data.strip():
        raise MalformedXMLError(f"empty document{where}")
    data, note = redecode(data)
    notes = [note] if note else []
    try:
        root, _ = _fromstring(data, url, recover=False)
    except etree.XMLSyntaxError:
        root = None
    if root is None:
        data, repaired = repair(data)
        notes += repaired
        try:
            root, errors = _fromstring(data, url, recover=False)
        except etree.XMLSyntaxError:
            try:
                root, errors = _fromstring(data, url, recover=True)
            except etree.XMLSyntaxError as exc:
                raise MalformedXMLError(f"not XML: {exc}") from None
            if errors and root is not None:
                notes.append(f"recovered_xml: {len(errors)} syntax errors recovered "
                             f"(first: {errors[0][:120]})")
    if root is None or not isinstance(root.tag, str):
        raise MalformedXMLError(f"not XML{where}: no root element")
    _check_parsed_dtd(root)
    return XMLDocument(root, data, notes)


def parse_xml(body: bytes, url: str = "", limit: int = MAX_XML_BYTES) -> etree._Element:
    """The root element of :func:`parse_document`."""
    return parse_document(body, url, limit).root


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


def take_bounded(items: Iterable[T], errors: list[str], limit: int = MAX_ENTRIES,
                 skipped: dict[str, int] | None = None) -> Iterator[T]:
    """Yield at most ``limit`` items; count the excess into ``errors`` as one reason.

    With ``skipped``, the number of entries ignored is added to its ``entries_over_limit``.
    """
    excess = 0
    for index, item in enumerate(items):
        if index < limit:
            yield item
        else:
            excess += 1
    if excess:
        errors.append(f"too_many_entries: {excess} entries beyond the {limit} limit ignored")
        if skipped is not None:
            skipped["entries_over_limit"] = skipped.get("entries_over_limit", 0) + excess


def without_cut_entry(document: XMLDocument, name: str, entries: Iterable[T],
                      errors: list[str]) -> Iterable[T]:
    """``entries`` without the last one when the document was cut short inside it (noted)."""
    if not document.is_cut(name):
        return entries
    kept = list(entries)
    if kept:
        kept.pop()
        errors.append(f"truncated_document: the document ends inside its last <{name}>; "
                      "that entry was dropped")
    return kept
