"""Extraction: one function turns a page into article fields plus per-field provenance.

``extract(html, url, source)`` is used by the spider, by reprocessing from raw WARCs and by
``bench/extraction.py``.  Provenance values are one of: jsonld, opengraph, meta, microdata,
htmldate, trafilatura, selector, url, text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapers.extract.extracted import EXTRACTOR_VERSION as EXTRACTOR_VERSION
from scrapers.extract.extracted import Extracted

if TYPE_CHECKING:
    from scrapers.sources import Source


def extract(html: str | bytes, url: str, source: Source | None = None) -> Extracted:
    """Turn one fetched page into article fields with provenance."""
    from scrapers.extract.article import extract_article

    return extract_article(html, url, source)
