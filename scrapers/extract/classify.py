"""Is this page one article?  Tag, section, search and home pages are not."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from lxml import html as lxml_html

from scrapers.extract.metadata import ARTICLE_TYPES, NON_ARTICLE_TYPES, PageMeta

_LISTING_PATH = re.compile(
    r"^/(?:[\w-]+/)?(?:tag|tags|topic|topics|category|categories|section|author|authors|search|"
    r"archive|archives|latest|page)(?:/[^/]+)?/?(?:page/\d+/?)?$",
    re.I,
)
MIN_ARTICLE_WORDS = 40
MIN_UNTYPED_WORDS = 120


def link_density(tree: lxml_html.HtmlElement) -> float:
    """Share of the page's visible words that sit inside links."""
    body = tree.find("body")
    if body is None:
        return 1.0
    texts = body.xpath(".//text()[not(ancestor::script or ancestor::style)]")
    total = len(" ".join(texts).split())
    linked = len(" ".join(body.xpath(".//a//text()")).split())
    return linked / total if total else 1.0


def is_listing_url(url: str, listing_urls: tuple[str, ...] = ()) -> bool:
    """True for home, tag, topic, category, author and pagination URLs (and known listings)."""
    path = urlsplit(url).path or "/"
    if path in ("/", "") or bool(_LISTING_PATH.match(path)):
        return True
    return _url_key(url) in {_url_key(u) for u in listing_urls if u}


def _url_key(url: str) -> str:
    """Host and path without scheme, query, 'index.html' or trailing slash."""
    parts = urlsplit(url)
    path = re.sub(r"/index\.html?$", "/", parts.path or "/").rstrip("/")
    return f"{(parts.hostname or '').removeprefix('www.')}{path}"


def classify(meta: PageMeta, tree: lxml_html.HtmlElement, url: str, body: str | None,
             has_date: bool, listing_urls: tuple[str, ...] = ()) -> tuple[bool, str]:
    """(is_article, reason) from page type markers, URL shape, text length and link density."""
    words = len((body or "").split())
    og_type = (meta.og.get("type") or "").lower()
    typed = meta.article is not None or og_type == "article" or og_type.startswith("article")
    listing_type = bool(meta.page_types & NON_ARTICLE_TYPES) and meta.article is None
    if words < MIN_ARTICLE_WORDS:
        return False, f"text:too short ({words} words)"
    listing_url = is_listing_url(url, listing_urls)
    if typed and not listing_url:
        kind = "jsonld" if meta.article is not None else "opengraph"
        return True, f"{kind}:article type"
    density = link_density(tree)
    if listing_type or listing_url or og_type == "website":
        if words >= 3 * MIN_UNTYPED_WORDS and has_date and density < 0.3:
            return True, "text:long dated text on a listing-like page"
        return False, "text:listing page"
    if density > 0.5 and words < 2 * MIN_UNTYPED_WORDS:
        return False, f"text:many links, few words ({density:.2f})"
    if words >= MIN_UNTYPED_WORDS and has_date:
        return True, "text:dated main text"
    return False, "text:no dated main text"


def types_present(meta: PageMeta) -> bool:
    """True if JSON-LD says article anywhere (helper for tests and diagnostics)."""
    return bool(meta.page_types & ARTICLE_TYPES)
