"""Sitemaps: sitemap indexes, urlsets and Google News sitemaps (plain or gzipped).

Scrapy's own sitemap parser drops ``news:publication_date`` and ``news:title``; here they
become ``date_hint`` and ``title_hint``.  Elements are matched by local name, so sitemaps
with a missing or wrong namespace still work.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from lxml import etree

from scrapers.discovery import Candidate, DocumentLinks
from scrapers.discovery.links import (
    add_candidates,
    clean_url,
    has_replacement_character,
    url_key,
)
from scrapers.discovery.window import parse_date
from scrapers.discovery.xml import (
    DiscoveryXMLError,
    XMLDocument,
    child_text,
    find_child,
    find_children,
    local_name,
    parse_document,
    take_bounded,
    without_cut_entry,
)
from scrapers.sources import Source


def parse_sitemap_entry(element: etree._Element, url: str, tz: tzinfo) -> Candidate | None:
    """One ``<url>`` entry as a candidate (``news_sitemap`` if it has ``<news:news>``)."""
    target = clean_url(child_text(element, "loc"), url)
    if target is None:
        return None
    lastmod = parse_date(child_text(element, "lastmod"), tz)
    news = find_child(element, "news")
    if news is None:
        return Candidate(target, "sitemap", None, lastmod, None)
    published = parse_date(child_text(news, "publication_date"), tz)
    return Candidate(target, "news_sitemap", published, lastmod, child_text(news, "title"))


def _children_of_index(
    document: XMLDocument, url: str, source: Source, since: datetime | None,
    links: DocumentLinks,
) -> None:
    """Child sitemaps of an index into ``links.documents`` (no self-reference, no duplicates)."""
    seen = {url_key(url)}
    offsite = damaged = 0
    children = without_cut_entry(document, "sitemap", find_children(document.root, "sitemap"),
                                 links.errors)
    for child in take_bounded(children, links.errors, skipped=links.skipped):
        target = clean_url(child_text(child, "loc"), url)
        if target is not None and has_replacement_character(target):
            damaged += 1
            continue
        if target is None or url_key(target) in seen:
            continue
        seen.add(url_key(target))
        if not source.allows(target):
            offsite += 1
            continue
        lastmod = parse_date(child_text(child, "lastmod"), source.tz)
        if since is not None and lastmod is not None and lastmod < since:
            links.skip("sitemap_older_than_window")
            continue
        links.documents.append(target)
    if offsite:
        links.errors.append(f"offsite_sitemaps: {offsite} child sitemaps outside allowed_domains")
    if damaged:
        links.errors.append(f"bad_url_characters: {damaged} child sitemaps hold U+FFFD "
                            "(undecodable bytes) and were refused")


def _entries_of_urlset(document: XMLDocument, url: str, source: Source,
                       since: datetime | None, links: DocumentLinks) -> None:
    """The ``<url>`` entries of a urlset into ``links.articles``."""
    entries = without_cut_entry(document, "url", find_children(document.root, "url"),
                                links.errors)
    entries = take_bounded(entries, links.errors, skipped=links.skipped)
    candidates = (parse_sitemap_entry(entry, url, source.tz) for entry in entries)
    add_candidates(links, candidates, source, "missing_loc")
    nested = sum(1 for _ in find_children(document.root, "sitemap"))
    if nested:  # an index and a urlset in one file: its child sitemaps are followed too
        links.errors.append(f"sitemap_in_urlset: {nested} <sitemap> entries in a urlset, "
                            "followed as child sitemaps")
        _children_of_index(document, url, source, since, links)


def parse_sitemap(
    body: bytes, url: str, source: Source, since: datetime | None = None
) -> DocumentLinks:
    """Candidates of a urlset, or child sitemaps (``documents``) of a sitemap index.

    Gzip bodies are decompressed (bounded).  With ``since`` (aware; e.g. window start minus
    slack), child sitemaps whose ``<lastmod>`` is older are skipped (counted in ``skipped``).
    ``<sitemap>`` entries inside a urlset are followed like an index's.  Never raises: unsafe,
    oversized or malformed documents, and skipped entries, are reported in ``errors``.
    """
    links = DocumentLinks()
    try:
        document = parse_document(body, url)
    except DiscoveryXMLError as exc:
        links.errors.append(f"{exc.reason}: {exc}")
        return links
    links.errors.extend(document.notes)
    kind = local_name(document.root)
    if kind == "sitemapindex":
        _children_of_index(document, url, source, since, links)
    elif kind == "urlset":
        _entries_of_urlset(document, url, source, since, links)
    else:
        links.errors.append(f"not_a_sitemap: root element <{kind}> at {url}")
    return links
