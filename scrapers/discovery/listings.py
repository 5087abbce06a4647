"""Listing pages: article links on a section/listing/archive HTML page, and its next page."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, tzinfo

import lxml.html
from lxml import etree
from w3lib.encoding import html_to_unicode

from scrapers.discovery import Candidate, DocumentLinks
from scrapers.discovery.links import clean_url, date_from_url, url_key
from scrapers.discovery.window import parse_date, parse_printed_date
from scrapers.sources import Source

MAX_HTML_BYTES = 10 * 1024 * 1024
MAX_LINKS = 10_000  # anchors examined per page
_ITEM_DEPTH = 6  # how far up from a link we look for its item (card, <li>, <article>)
_DATE_CLASS = re.compile(r"date|time|publish|posted|byline|meta", re.IGNORECASE)
_NEXT_WORDS = {"next", "next page", "older", "older posts", "older entries", "older articles"}
_NEXT_SYMBOLS = {"›", "»", "→", ">", "next"}
_ARROWS = re.compile(r"^[\s›»→<>‹«←]+|[\s›»→<>‹«←]+$")


def parse_html(body: bytes, url: str) -> etree._Element:
    """Parse an HTML page without network access; ValueError if too large or empty."""
    if len(body) > MAX_HTML_BYTES:
        raise ValueError(f"too_large: page is {len(body)} bytes, limit {MAX_HTML_BYTES}")
    _, text = html_to_unicode(None, body)
    if not text.strip():
        raise ValueError("malformed_html: empty page")
    parser = lxml.html.HTMLParser(no_network=True, remove_comments=True, huge_tree=False)
    try:
        return lxml.html.document_fromstring(text, parser=parser, base_url=url)
    except (etree.ParserError, ValueError) as exc:
        raise ValueError(f"malformed_html: {exc}") from None


def _page_base(doc: etree._Element, url: str) -> str:
    base = doc.xpath("string(//base/@href)")
    return clean_url(base, url) or url if base else url


def _item_of(anchor: etree._Element, urls_below: dict[etree._Element, set[str]]) -> etree._Element:
    """The largest ancestor (up to a few levels) that holds links to this article only."""
    item = anchor
    node = anchor.getparent()
    for _ in range(_ITEM_DEPTH):
        if node is None or len(urls_below.get(node, ())) > 1 or node.tag in ("body", "html"):
            break
        item = node
        node = node.getparent()
    return item


def _date_in_item(item: etree._Element, tz: tzinfo) -> datetime | None:
    """A date printed in an item: ``<time datetime>``, ``<time>`` text or a date-ish element."""
    for time_el in item.iter("time"):
        found = parse_date(time_el.get("datetime"), tz) or parse_printed_date(
            time_el.text_content(), tz
        )
        if found:
            return found
    for el in item.iter():
        if not isinstance(el.tag, str):
            continue
        marker = f"{el.get('class', '')} {el.get('itemprop', '')}"
        if _DATE_CLASS.search(marker):
            found = parse_date(el.get("content"), tz) or parse_printed_date(el.text_content(), tz)
            if found:
                return found
    return None


def _anchor_title(anchor: etree._Element) -> str | None:
    text = " ".join(anchor.text_content().split()) or anchor.get("title") or ""
    if not text:
        text = " ".join(str(alt) for alt in anchor.xpath(".//img/@alt"))
    return text.strip() or None


def _is_next_label(text: str) -> bool:
    label = " ".join(text.split()).lower()
    if label in _NEXT_SYMBOLS:
        return True
    return _ARROWS.sub("", label) in _NEXT_WORDS


def find_next_page(doc: etree._Element, url: str, source: Source) -> str | None:
    """The next listing page: ``rel=next``, else a Next/Older/› link; never the page itself."""
    base = _page_base(doc, url)
    here = url_key(url)
    rel_next = doc.xpath(
        "//*[self::a or self::link][contains(concat(' ', normalize-space(@rel), ' '), ' next ')]"
    )
    labelled = [
        a
        for a in doc.iter("a")
        if _is_next_label(a.text_content())
        or _is_next_label(a.get("aria-label", ""))
        or _is_next_label(a.get("title", ""))
    ]
    classed = [a for a in doc.iter("a") if "next" in a.get("class", "").lower().split()]
    for anchor in [*rel_next, *labelled, *classed]:
        target = clean_url(anchor.get("href"), base)
        if target and source.allows(target) and url_key(target) != here:
            return target
    return None


def parse_listing(body: bytes, url: str, source: Source) -> DocumentLinks:
    """Article candidates (same site, ``source.is_article_url``) on a listing page, with date
    hints, and the next page in ``documents``.  Problems go to ``errors``; never raises."""
    links = DocumentLinks()
    try:
        doc = parse_html(body, url)
    except ValueError as exc:
        links.errors.append(str(exc))
        return links
    base = _page_base(doc, url)
    here = url_key(url)
    next_page = find_next_page(doc, url, source)
    skip = {here, url_key(next_page)} if next_page else {here}
    anchors: list[tuple[etree._Element, str]] = []
    for count, anchor in enumerate(doc.iter("a")):
        if count >= MAX_LINKS:
            links.errors.append(f"too_many_links: only the first {MAX_LINKS} links examined")
            break
        target = clean_url(anchor.get("href"), base)
        if target and source.allows(target) and source.is_article_url(target):
            anchors.append((anchor, target))
    keys = {target: url_key(target) for _, target in anchors}
    anchors = [(a, t) for a, t in anchors if keys[t] not in skip]
    urls_below: dict[etree._Element, set[str]] = {}
    for anchor, target in anchors:
        node = anchor.getparent()
        for _ in range(_ITEM_DEPTH + 1):
            if node is None:
                break
            urls_below.setdefault(node, set()).add(keys[target])
            node = node.getparent()
    seen: dict[str, int] = {}
    for anchor, target in anchors:
        key = keys[target]
        title = _anchor_title(anchor)
        if key in seen:
            index = seen[key]
            if title and len(title) > len(links.articles[index].title_hint or ""):
                old = links.articles[index]
                links.articles[index] = Candidate(old.url, old.via, old.date_hint, None, title)
            continue
        item = _item_of(anchor, urls_below)
        hint = _date_in_item(item, source.tz) or date_from_url(target, source.tz)
        seen[key] = len(links.articles)
        links.articles.append(Candidate(target, "listing", hint, None, title))
    if next_page:
        links.documents.append(next_page)
    return links


def follow_listing(
    fetch: Callable[[str], bytes], url: str, source: Source, max_pages: int
) -> tuple[DocumentLinks, list[str]]:
    """Walk a listing's pages through ``fetch`` (at most ``max_pages``, no page twice).

    Returns the merged links (``documents`` empty) and the pages visited, in order.  The
    spider does the same asynchronously; this is the reference and the test harness.
    """
    merged = DocumentLinks()
    visited: list[str] = []
    seen_pages: set[str] = set()
    seen_articles: set[str] = set()
    page: str | None = url
    while page and len(visited) < max_pages and url_key(page) not in seen_pages:
        seen_pages.add(url_key(page))
        visited.append(page)
        links = parse_listing(fetch(page), page, source)
        merged.errors.extend(links.errors)
        for candidate in links.articles:
            if url_key(candidate.url) not in seen_articles:
                seen_articles.add(url_key(candidate.url))
                merged.articles.append(candidate)
        page = links.documents[0] if links.documents else None
    return merged, visited
