"""Links on a source's pages: resolve and clean them, key them for de-duplication, read the
date a URL carries, and keep a document's on-site article candidates (feeds, sitemaps)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING
from urllib.parse import urldefrag, urljoin, urlsplit

from w3lib.url import canonicalize_url

from scrapers.discovery import Candidate, DocumentLinks

if TYPE_CHECKING:
    from scrapers.sources import Source

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
        elif not source.allows(candidate.url):
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
