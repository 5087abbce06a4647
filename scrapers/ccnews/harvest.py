"""Stream one CC-NEWS WARC and keep the registry's articles published inside a UTC day.

A response is kept when its host is one of a source's allowed domains
(``Source.allows``), its URL matches the source's article pattern, it
is a 2xx HTML page, ``extract()`` finds an article in it, and that article was published inside
the day (``scrapers.discovery.window.is_date_in_window``; a page printing only a date is kept on
that date; an undated one is dropped, since its day is unknown).  Every other record is only
counted: its body is never read, so the file streams at close to warcio's own speed and only
one record is held in memory at a time.

Kept pages become the same staged records a crawl makes (``scrapers.records.build_record``) with
``crawled_at`` = the capture time, ``discovered_via`` = ``cc-news``, ``raw_ref`` into the WARC
(``scrapers.ccnews.archive.make_raw_ref``) and provenance ``archive: CC-NEWS`` and
``captured_at``.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from scrapers.ccnews.archive import ArchiveStore, make_raw_ref
from scrapers.sources import on_domains

if TYPE_CHECKING:
    from scrapers.sources import Source
    from scrapers.warc import RawRecord

VIA = "cc-news"
PROVENANCE_ARCHIVE = "CC-NEWS"
MAX_LISTED_ERRORS = 20
_HTML_TYPES = ("text/html", "application/xhtml+xml")


class CountingReader:
    """A read-only stream that counts the bytes read through it (bytes streamed)."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.bytes = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.bytes += len(data)
        return data


class SourceMatcher:
    """Which registry source a URL belongs to: host in its domains and article pattern met."""

    def __init__(self, sources: list[Source]) -> None:
        self.sources = list(sources)
        self.domains = sorted({d for s in self.sources for d in s.allowed_domains})

    def match(self, url: str) -> tuple[Source | None, str]:
        """(the first matching source, or None; why not: ``other_host``/``not_article_url``).

        ``ambiguous`` says a second source matched too (the first in registry order wins).
        """
        if not on_domains(url, self.domains):
            return None, "other_host"
        found = [s for s in self.sources
                 if s.allows(url) and s.is_article_url(url)]
        if not found:
            return None, "not_article_url"
        return found[0], "ambiguous" if len(found) > 1 else "matched"


@dataclass
class HarvestResult:
    """What one WARC gave: counts for the whole file and per source, and the parts written."""

    path: str
    records: int = 0
    bytes_streamed: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    sources: dict[str, Counter[str]] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    parts: dict[str, Path] = field(default_factory=dict)

    def count(self, source: str, key: str, value: int = 1) -> None:
        """Add to one source's counter."""
        self.sources.setdefault(source, Counter())[key] += value

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready stats (the parts as their source ids)."""
        return {"path": self.path, "records": self.records,
                "bytes_streamed": self.bytes_streamed,
                "skipped": dict(sorted(self.skipped.items())),
                "sources": {s: dict(sorted(c.items())) for s, c in sorted(self.sources.items())},
                "errors": self.errors, "parts": sorted(self.parts)}


def is_html(content_type: str | None) -> bool:
    """True for an HTML content type, or none given (the page is then sniffed by decoding)."""
    if not content_type:
        return True
    return content_type.split(";", 1)[0].strip().lower() in _HTML_TYPES


def published_in_day(extracted: Any, start: datetime, end: datetime) -> str:
    """``in_day``, ``outside_day`` or ``no_date`` for an extracted article."""
    from scrapers.discovery.window import is_date_in_window

    if extracted.published_at is not None:
        inside = is_date_in_window(extracted.published_at, start, end)
        return "in_day" if inside else "outside_day"
    printed: date | None = extracted.published_date
    if printed is not None:
        return "in_day" if start.date() <= printed < end.date() else "outside_day"
    return "no_date"


def extract_page(raw: RawRecord, source: Source, result: HarvestResult) -> Any:
    """``extract()`` of one archived page as the crawl decodes it; None (counted) if no article."""
    from scrapers.extract import extract
    from scrapers.extract.encoding import decode_page, looks_binary

    page = decode_page(raw.body, raw.header("Content-Type"))
    if page.replaced and not looks_binary(page.text):
        result.count(source.id, "decoded_with_replacement")
    cpu = time.thread_time()
    try:
        extracted = extract(page.text, raw.url, source)
    except Exception as exc:  # one bad page must not stop the file, as in the spider
        result.count(source.id, "extract_errors")
        if len(result.errors) < MAX_LISTED_ERRORS:
            result.errors.append({"url": raw.url, "role": "article", "source": source.id,
                                  "reason": f"{type(exc).__name__}: {exc}"[:300]})
        return None
    finally:
        result.count(source.id, "extract_cpu_us", int((time.thread_time() - cpu) * 1e6))
    if not extracted.is_article:
        result.count(source.id, "not_article")
        return None
    return extracted


def to_staged(raw: RawRecord, extracted: Any, source: Source) -> dict[str, Any]:
    """The staged record of an extracted CC-NEWS page: a crawl's record, with its provenance."""
    from scrapers.records import build_record

    record = build_record(extracted, source, crawled_at=raw.fetched_at, http_status=raw.status,
                          discovered_via=VIA, raw_ref=raw.raw_ref)
    record["provenance"] = {**(record.get("provenance") or {}), "archive": PROVENANCE_ARCHIVE,
                            "captured_at": raw.fetched_at.isoformat()}
    return record


def staged_record(raw: RawRecord, source: Source, start: datetime, end: datetime,
                  result: HarvestResult) -> dict[str, Any] | None:
    """The staged record one matched page gives, or None (counted under the source)."""
    extracted = extract_page(raw, source, result)
    if extracted is None:
        return None
    verdict = published_in_day(extracted, start, end)
    if verdict != "in_day":
        result.count(source.id, verdict)
        return None
    result.count(source.id, "kept")
    return to_staged(raw, extracted, source)


def reextract(raw_ref: str, source: Source, store: ArchiveStore | None = None
              ) -> dict[str, Any] | None:
    """Today's extraction of the page a CC-NEWS ``raw_ref`` names (for reprocessing), or None."""
    from scrapers.ccnews.archive import read_ccnews_record

    raw = read_ccnews_record(raw_ref, store)
    extracted = extract_page(raw, source, HarvestResult(raw_ref))
    return None if extracted is None else to_staged(raw, extracted, source)


def harvest_warc(store: ArchiveStore, path: str, sources: list[Source], start: datetime,
                 end: datetime, out_dir: Path) -> HarvestResult:
    """Stream the WARC ``path``; write each source's kept records to ``out_dir/<id>.jsonl``."""
    from warcio.archiveiterator import ArchiveIterator

    matcher = SourceMatcher(sources)
    result = HarvestResult(path)
    handles: dict[str, IO[str]] = {}
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        with store.open_stream(path) as raw_stream:
            stream = CountingReader(raw_stream)
            records = ArchiveIterator(stream)
            for record in records:
                offset = records.offset  # start of this record; read before consuming it
                result.records += 1
                if record.rec_type != "response":
                    result.skipped[f"not_response/{record.rec_type}"] += 1
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                source, why = matcher.match(url)
                if source is None:
                    result.skipped[why] += 1
                    continue
                if why == "ambiguous":
                    result.count(source.id, "ambiguous")
                kept = keep_response(record, make_raw_ref(path, offset), source, start, end,
                                     result)
                if kept is not None:
                    if source.id not in handles:
                        result.parts[source.id] = out_dir / f"{source.id}.jsonl"
                        handles[source.id] = result.parts[source.id].open("w", encoding="utf-8")
                    handles[source.id].write(json.dumps(kept, ensure_ascii=False,
                                                        sort_keys=True) + "\n")
            result.bytes_streamed = stream.bytes
    finally:
        for handle in handles.values():
            handle.close()
    return result


def keep_response(record: Any, raw_ref: str, source: Source, start: datetime, end: datetime,
                  result: HarvestResult) -> dict[str, Any] | None:
    """The staged record of one response matched to ``source``, or None (counted)."""
    from scrapers.warc import record_of

    http = record.http_headers
    status = int(http.get_statuscode()) if http else 0
    result.count(source.id, "matched")
    if not 200 <= status < 300:
        result.count(source.id, "not_ok_status")
        return None
    if not is_html(http.get_header("Content-Type")):
        result.count(source.id, "not_html")
        return None
    raw = record_of(record, raw_ref)
    result.count(source.id, "fetched")
    result.count(source.id, "payload_bytes", len(raw.body))
    return staged_record(raw, source, start, end, result)
