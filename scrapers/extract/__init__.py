"""Extraction: one function turns a page into article fields plus per-field provenance.

``extract(html, url, source)`` is used by the spider, by reprocessing from raw WARCs and by
``bench/extraction.py``.  Provenance values are one of: jsonld, opengraph, meta, microdata,
htmldate, trafilatura, selector, url, text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scrapers.sources import Source

EXTRACTOR_VERSION = "2"
"""Bump when the same page yields other values (2: date-only pages keep their printed day)."""


@dataclass
class Extracted:
    """What one page yields.  Datetimes are timezone-aware; ``published_offset`` is '+HH:MM'."""

    url: str
    is_article: bool = False
    canonical_url: str | None = None
    title: str | None = None
    lead: str | None = None
    body: str | None = None
    authors: list[str] = field(default_factory=list)
    byline_is_outlet: bool = False
    byline_outlet: str | None = None  # the outlet's name when the byline names only the outlet
    published_at: datetime | None = None
    published_offset: str | None = None
    published_date: date | None = None  # day as printed; set even when no offset is known
    published_precision: str | None = None  # day | minute | second: what the page printed
    modified_at: datetime | None = None
    language: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    dateline: str | None = None
    image_url: str | None = None
    paywalled: bool | None = None
    provenance: dict[str, str] = field(default_factory=dict)
    extractor_version: str = EXTRACTOR_VERSION

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready dict (datetimes as ISO 8601 with offset)."""
        data = asdict(self)
        for key in ("published_at", "modified_at", "published_date"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data


def extract(html: str | bytes, url: str, source: Source | None = None) -> Extracted:
    """Turn one fetched page into article fields with provenance."""
    from scrapers.extract.article import extract_article

    return extract_article(html, url, source)
