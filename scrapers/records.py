"""The staged article record: built the same way by the spider and by reprocessing from WARCs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scrapers.extract import Extracted
    from scrapers.sources import Source


def current_extractor_version() -> str:
    """The extractor version now in force (read at call time, so a bump is always seen)."""
    import scrapers.extract

    return str(scrapers.extract.EXTRACTOR_VERSION)


def build_record(extracted: Extracted, source: Source, *, crawled_at: datetime,
                 http_status: int, discovered_via: str | None = None,
                 raw_ref: str | None = None) -> dict[str, Any]:
    """One staged JSONL record: extracted fields plus source facts, fetch facts and ``raw_ref``."""
    record = extracted.to_record()
    moment = crawled_at if crawled_at.tzinfo else crawled_at.replace(tzinfo=UTC)
    record.update(
        source=source.id,
        country=source.country,
        region=source.region,
        crawled_at=moment.astimezone(UTC).isoformat(),
        http_status=http_status,
        discovered_via=discovered_via,
        raw_ref=raw_ref,
        extractor_version=current_extractor_version(),
    )
    return record
