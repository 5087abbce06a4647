"""What one page yields: the ``Extracted`` record and the extractor version stamped on it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

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
