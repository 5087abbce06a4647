"""Discovery: each strategy turns one fetched document into candidate article URLs.

Strategies: feeds (RSS 2.0, Atom, RDF), sitemaps (index, urlset, Google News, gzip),
listings (paginated section pages) and archives (date-addressed pages).  All XML is parsed
without entity expansion or network access, and with size bounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Candidate:
    """A URL found by discovery with the best date known before fetching it."""

    url: str
    via: str  # rss | atom | rdf | sitemap | news_sitemap | listing | archive
    date_hint: datetime | None = None  # aware; from news:publication_date, pubDate, URL, ...
    lastmod: datetime | None = None  # sitemap <lastmod> / feed <updated>
    title_hint: str | None = None


@dataclass
class DocumentLinks:
    """What one discovery document yields: article candidates and further documents to fetch."""

    articles: list[Candidate] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)  # child sitemaps, next listing page
    errors: list[str] = field(default_factory=list)  # counted reasons (malformed, too large, ...)
    # Work deliberately not done, by reason (sitemaps older than the window, entries past the
    # bound): not errors, but counted so that a cut in the data always shows.
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str, count: int = 1) -> None:
        """Count ``count`` pieces of work skipped for ``reason``."""
        if count:
            self.skipped[reason] = self.skipped.get(reason, 0) + count
