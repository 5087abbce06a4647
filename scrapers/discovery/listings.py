"""Listing pages: article links on a section/listing/archive HTML page, and its next page.

Also home to the URL helpers the other strategies share (``clean_url``, ``is_same_site``,
``url_key``, ``date_from_url``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime, tzinfo
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
from lxml import etree
from w3lib.encoding import html_to_unicode
from w3lib.url import canonicalize_url

from scrapers.discovery import Candidate, DocumentLinks
from scrapers.discovery.window import parse_date, parse_printed_date
from scrapers.sources import Source

MAX_HTML_BYTES = 10 * 1024 * 1024
MAX_LINKS = 10_000  # anchors examined per page
_ITEM_DEPTH = 6  # how far up from a link we look for its item (card, <li>, <article>)
_DATE_CLASS = re.compile(r"date|time|publish|posted|byline|meta", re.IGNORECASE)
_NEXT_WORDS = {"next", "next page", "older", "older posts", "older entries", "older articles"}
_NEXT_SYMBOLS = {"›", "»", "→", ">", "next"}
_ARROWS = re.compile(r"^[\s›»→<>‹«←]+|[\s›»→<>‹«←]+$")
_ABSOLUTE = re.compile(r"^https?://[A-Za-z0-9.-]+(?::\d+)?(?:[/?#]|$)")
_URL_DATES = [
    re.compile(r"(?<!\d)(?P<year>(?:19|20)\d{2})/(?P<month>\d{1,2})/(?P<day>\d{1,2})(?!\d)"),
    re.compile(r"(?<!\d)(?P<year>(?:19|20)\d{2})[-_](?P<month>\d{2})[-_](?P<day>\d{2})(?!\d)"),
    re.compile(r"(?<![\d])(?P<year>(?:19|20)\d{2})(?P<month>[01]\d)(?P<day>[0-3]\d)(?!\d)"),
]


def clean_url(href: str | None, base: str) -> str | None:
    """Resolve ``href`` against ``base``, drop the fragment; None unless absolute http(s)."""
    if not href:
        return None
    href = "".join(href.split())  # stray whitespace/newlines inside attributes
    if _ABSOLUTE.match(href):  # fast path: most feed and sitemap links are absolute
        return href.split("#", 1)[0]
    try:
        absolute = urldefrag(urljoin(base, href))[0]
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return absolute


def has_replacement_character(url: str) -> bool:
    """True for a URL holding U+FFFD (raw or percent-encoded): bytes lost in decoding."""
    return "\ufffd" in url or ("%" in url and "%EF%BF%BD" in url.upper())


def is_same_site(url: str, source: Source) -> bool:
    """True if the URL's host is one of the source's allowed domains or a subdomain of one."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in source.allowed_domains)


def url_key(url: str) -> str:
    """A canonical form of ``url`` for de-duplication and loop detection."""
    try:
        return canonicalize_url(url, keep_fragments=False).rstrip("/")
    except ValueError:
        return url


def date_from_url(url: str, tz: tzinfo) -> datetime | None:
    """The date a URL carries (``/2026/11/20/``, ``2026-11-20``, ``20261120``) as local midnight."""
    parts = urlsplit(url)
    haystack = f"{parts.path}?{parts.query}"
    for pattern in _URL_DATES:
        for match in pattern.finditer(haystack):
            try:
                day = datetime(int(match["year"]), int(match["month"]), int(match["day"]))
            except ValueError:
                continue
            return day.replace(tzinfo=tz)
    return None


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
        if target and is_same_site(target, source) and url_key(target) != here:
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
        if target and is_same_site(target, source) and source.is_article_url(target):
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


def add_candidates(links: DocumentLinks, candidates: Iterable[Candidate | None], source: Source,
                   missing_reason: str) -> None:
    """Keep each on-site article candidate once; count entries without a link and off-site ones.

    ``None`` stands for an entry without a usable http(s) link; it is counted under
    ``missing_reason`` in ``links.errors``.  A link holding U+FFFD is refused and counted.
    """
    seen: set[str] = set()
    missing = offsite = damaged = 0
    for candidate in candidates:
        if candidate is None:
            missing += 1
        elif has_replacement_character(candidate.url):
            damaged += 1
        elif not is_same_site(candidate.url, source):
            offsite += 1
        elif source.is_article_url(candidate.url) and candidate.url not in seen:
            seen.add(candidate.url)
            links.articles.append(candidate)
    if missing:
        links.errors.append(f"{missing_reason}: {missing} entries without a usable http(s) link")
    if offsite:
        links.errors.append(f"offsite_links: {offsite} entries link outside allowed_domains")
    if damaged:
        links.errors.append(f"bad_url_characters: {damaged} links hold U+FFFD (undecodable "
                            "bytes) and were refused")
