"""Feeds: RSS 2.0, Atom and RDF (RSS 1.0) documents into article candidates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import tzinfo

from lxml import etree

from scrapers.discovery import Candidate, DocumentLinks
from scrapers.discovery.links import add_candidates, clean_url
from scrapers.discovery.window import parse_date
from scrapers.discovery.xml import (
    DiscoveryXMLError,
    child_text,
    find_child,
    find_children,
    local_name,
    parse_document,
    take_bounded,
    without_cut_entry,
)
from scrapers.sources import Source

_RDF_ABOUT = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"


def _base_of(element: etree._Element, url: str) -> str:
    """The base URL for links in ``element``: its xml:base (resolved), else the feed URL."""
    try:
        return element.base or url
    except ValueError:
        return url


def _rss_link(item: etree._Element) -> str | None:
    """An RSS item's article link: feedburner:origLink, <link>, atom:link, permalink <guid>."""
    for name in ("origLink", "link"):
        for child in find_children(item, name):
            text = (child.text or "").strip() or child.get("href")
            if text:
                return text
    guid = find_child(item, "guid")
    if guid is not None and guid.get("isPermaLink", "true").lower() != "false":
        return (guid.text or "").strip() or None
    return None


# Atom link relations that never point at the entry's article page (RFC 4287, RFC 5005, IANA).
_NOT_THE_ARTICLE = frozenset({
    "self", "edit", "edit-media", "replies", "enclosure", "related", "via", "license", "hub",
    "first", "last", "next", "previous", "prev", "payment", "search", "service",
})


def _relation(link: etree._Element) -> str:
    """A link's relation, lower-cased; an IANA URI form is reduced to its name."""
    rel = (link.get("rel") or "alternate").strip().lower()
    return rel.rsplit("/", 1)[-1] if rel.startswith(("http://", "https://")) else rel


def _atom_link(entry: etree._Element) -> str | None:
    """An Atom entry's article link: its alternate link (no rel counts as alternate), else a
    link of an unknown relation, else its ``<id>`` when that is an http(s) URL.

    ``self``, ``edit``, ``replies``, ``enclosure`` and the other relations that name something
    other than the article page are never used.
    """
    links = [(link, _relation(link)) for link in find_children(entry, "link") if link.get("href")]
    for link, rel in links:
        if rel == "alternate":
            return link.get("href")
    for link, rel in links:
        if rel not in _NOT_THE_ARTICLE:
            return link.get("href")
    entry_id = child_text(entry, "id") or ""
    return entry_id if entry_id.lower().startswith(("http://", "https://")) else None


def _rss_candidate(item: etree._Element, url: str, tz: tzinfo, via: str) -> Candidate | None:
    href = _rss_link(item) or (item.get(_RDF_ABOUT) if via == "rdf" else None)
    target = clean_url(href, _base_of(item, url))
    if target is None:
        return None
    published = parse_date(child_text(item, "pubDate"), tz) or parse_date(
        child_text(item, "date"), tz
    )
    updated = parse_date(child_text(item, "updated"), tz) or parse_date(
        child_text(item, "modified"), tz
    )
    return Candidate(target, via, published, updated, child_text(item, "title"))


def _atom_candidate(entry: etree._Element, url: str, tz: tzinfo) -> Candidate | None:
    target = clean_url(_atom_link(entry), _base_of(entry, url))
    if target is None:
        return None
    published = parse_date(child_text(entry, "published"), tz) or parse_date(
        child_text(entry, "issued"), tz
    )
    updated = parse_date(child_text(entry, "updated"), tz) or parse_date(
        child_text(entry, "modified"), tz
    )
    return Candidate(target, "atom", published, updated, child_text(entry, "title"))


def _feed_entries(root: etree._Element) -> tuple[str, Iterator[etree._Element]] | None:
    """The feed kind (rss/atom/rdf) and its entry elements, or None if not a feed."""
    kind = local_name(root)
    if kind == "rss":
        channel = find_child(root, "channel")
        items = find_children(channel, "item") if channel is not None else iter(())
        return "rss", items
    if kind == "feed":
        return "atom", find_children(root, "entry")
    if kind == "RDF":
        channel = find_child(root, "channel")
        nested = find_children(channel, "item") if channel is not None else iter(())
        return "rdf", (el for it in (find_children(root, "item"), nested) for el in it)
    return None


def parse_feed(body: bytes, url: str, source: Source) -> DocumentLinks:
    """Article candidates of an RSS 2.0, Atom or RDF feed; problems go to ``errors``.

    Dates become aware datetimes (no offset → source time zone); relative links are resolved
    against xml:base / the feed URL; off-site and non-article URLs are skipped.  Never raises.
    """
    links = DocumentLinks()
    try:
        document = parse_document(body, url)
    except DiscoveryXMLError as exc:
        links.errors.append(f"{exc.reason}: {exc}")
        return links
    links.errors.extend(document.notes)
    root = document.root
    found = _feed_entries(root)
    if found is None:
        links.errors.append(f"not_a_feed: root element <{local_name(root)}> at {url}")
        return links
    kind, entries = found
    entries = without_cut_entry(document, "entry" if kind == "atom" else "item", entries,
                                links.errors)
    tz = source.tz
    candidates = (
        _atom_candidate(entry, url, tz) if kind == "atom" else _rss_candidate(entry, url, tz, kind)
        for entry in take_bounded(entries, links.errors, skipped=links.skipped)
    )
    add_candidates(links, candidates, source, "missing_link")
    return links
