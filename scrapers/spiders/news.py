"""The one generic news spider: registry entry + UTC window [start, end) -> article items.

    scrapy crawl news -a source=<id> \
        -a start=2026-11-20T00:00:00+00:00 -a end=2026-11-21T00:00:00+00:00

Discovery documents (feeds, sitemaps, listings, archives) are fetched first; every candidate URL
that may fall in the window is fetched once and extracted; the extracted publication date makes
the final decision.  Every refusal and error is counted in the stats file.
"""

from __future__ import annotations

import gc
import re
import time
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from scrapers import stats as counters
from scrapers.discovery import Candidate, DocumentLinks
from scrapers.discovery.xml import MAX_XML_BYTES
from scrapers.extract.language import preload_identifier
from scrapers.records import build_record
from scrapers.sources import Registry, Source, load_registry
from scrapers.state import DocumentState, needs_refetch
from scrapers.warc import WarcArchive, archive_response, open_archive_for_crawler

MAX_DOCUMENTS = 1000  # discovery documents per crawl: no pagination trap or sitemap loop is endless
MAX_ARTICLES = 20000
# Parser errors that mean the whole document was refused (not just some entries skipped).
REFUSED_DOCUMENT_ERRORS = frozenset(
    {"unsafe_xml", "too_large", "malformed_xml", "xml_error", "not_a_feed", "not_a_sitemap"}
)


def parse_instant(value: str) -> datetime:
    """Parse an ISO 8601 instant; a naive value is taken as UTC."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class NewsSpider(Spider):
    name = "news"

    def __init__(
        self,
        source: str | None = None,
        start: str | None = None,
        end: str | None = None,
        registry: str | None = None,
        incremental: str = "1",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not source:
            raise ValueError("the news spider needs -a source=<id>")
        preload_identifier()
        self.registry: Registry = load_registry(registry or None)  # None: the default registry
        self.source: Source = self.registry.get(source)
        now = datetime.now(UTC)
        self.window_end = parse_instant(end) if end else now
        self.window_start = parse_instant(start) if start else self.window_end - timedelta(days=1)
        if self.window_start >= self.window_end:
            raise ValueError(f"empty window: start {start} is not before end {end}")
        self.allowed_domains = list(self.source.allowed_domains)
        self.seen_documents: set[str] = set()
        self.seen_articles: set[str] = set()
        self.report_lists: dict[str, list[Any]] = {"robots_refused": [], "errors": []}
        self.archive: WarcArchive | None = None
        self.doc_state: DocumentState | None = None
        self.known: dict[str, datetime] = {}
        self.gc_frozen = False
        if incremental not in ("0", "false", "no"):
            from scrapers.state import known_articles
            from transforms.lake import lake_root

            self.doc_state = DocumentState.load(lake_root(), self.source.id)
            self.known = known_articles(
                lake_root(), self.source.id, self.window_start, self.window_end
            )

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.apply_politeness(crawler)
        spider.archive = open_archive_for_crawler(
            crawler, spider.source.id, spider.window_start.date()
        )
        return spider

    def apply_politeness(self, crawler: Crawler) -> None:
        """Per-domain delay and concurrency from the registry (shared by sources on one domain)."""
        polite = self.source.politeness
        settings = crawler.settings
        prio = "spider"
        settings.set("DOWNLOAD_DELAY", polite.download_delay, priority=prio)
        settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", polite.concurrency, priority=prio)
        settings.set("AUTOTHROTTLE_ENABLED", polite.autothrottle, priority=prio)
        settings.set("ROBOTSTXT_OBEY", polite.obey_robots, priority=prio)
        settings.set("NEWSFLOW_ALLOW_PRIVATE", self.registry.allow_private_addresses, priority=prio)
        slots = {
            domain: {"concurrency": polite.concurrency, "delay": polite.download_delay}
            for domain in self.source.allowed_domains
        }
        settings.set("DOWNLOAD_SLOTS", slots, priority=prio)

    # -- discovery -------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Request]:
        for request in self.discovery_requests():
            if request is not None:
                yield request

    def discovery_requests(self) -> Iterable[Request | None]:
        from scrapers.discovery.archives import archive_urls

        src = self.source
        for url in src.feeds:
            yield self.document_request(url, "feed")
        for url in [*src.news_sitemaps, *src.sitemaps]:
            yield self.document_request(url, "sitemap")
        for listing in src.listings:
            yield self.document_request(listing.url, "listing", max_pages=listing.max_pages)
        for url, kind in archive_urls(src, self.window_start, self.window_end):
            pages = max((a.max_pages for a in src.archives), default=5)
            yield self.document_request(url, kind, max_pages=pages)

    def document_request(
        self, url: str, kind: str, *, page: int = 1, max_pages: int = 1
    ) -> Request | None:
        """A request for a discovery document, or None if seen or over the document budget."""
        if url in self.seen_documents:
            self.crawler.stats.inc_value(counters.DOCUMENTS_REPEATED)
            return None
        if len(self.seen_documents) >= MAX_DOCUMENTS:
            self.crawler.stats.inc_value(counters.DOCUMENTS_OVER_BUDGET)
            return None
        self.seen_documents.add(url)
        self.crawler.stats.inc_value(counters.under(counters.DOCUMENTS_REQUESTED, kind))
        headers = self.doc_state.request_headers(url) if self.doc_state else {}
        meta: dict[str, Any] = {
            "kind": kind, "page": page, "max_pages": max_pages, "role": "document",
            "handle_httpstatus_list": [304],
        }
        if kind == "sitemap":  # the sitemap protocol allows 50 MB, more than a page may be
            meta["download_maxsize"] = self.crawler.settings.getint(
                "NEWSFLOW_SITEMAP_MAXSIZE", MAX_XML_BYTES)
        return Request(
            url,
            callback=self.parse_document,
            errback=self.on_error,
            headers=headers,
            meta=meta,
            priority=10,
            dont_filter=True,
        )

    def parse_document(self, response: Response) -> Iterable[Request]:
        from scrapers.discovery.feeds import parse_feed
        from scrapers.discovery.listings import parse_listing
        from scrapers.discovery.sitemaps import parse_sitemap

        kind = response.meta["kind"]
        stats = self.crawler.stats
        parser = {"feed": parse_feed, "sitemap": parse_sitemap, "listing": parse_listing}[kind]
        if response.status == 304:
            remembered = self.doc_state.links(response.url) if self.doc_state else None
            if remembered is None:  # validators without remembered links: nothing to re-use
                stats.inc_value(counters.DOCUMENTS_NOT_MODIFIED_UNKNOWN)
                return
            stats.inc_value(counters.DOCUMENTS_NOT_MODIFIED)
            links = remembered
        else:
            if kind in ("feed", "sitemap"):
                archive_response(self.archive, response)
            fresh = self.parse_fresh_document(response, kind, parser)
            if fresh is None:
                return
            links = fresh
        stats.inc_value(counters.DOCUMENTS_OK)
        stats.inc_value(counters.under(counters.DOCUMENTS_OK, kind))
        yield from self.follow_documents(response, links)
        for candidate in links.articles:
            request = self.article_request(candidate)
            if request is not None:
                yield request

    def parse_fresh_document(
        self, response: Response, kind: str, parser: Any
    ) -> DocumentLinks | None:
        """Parse a 200 document, count its errors and remember it; None if it was refused."""
        stats = self.crawler.stats
        kwargs = {"since": self.window_start - timedelta(days=1)} if kind == "sitemap" else {}
        try:
            links: DocumentLinks = parser(response.body, response.url, self.source, **kwargs)
        except Exception as exc:  # malformed, unsafe or oversized documents are counted, not fatal
            reason = type(exc).__name__
            stats.inc_value(counters.under(counters.DOCUMENTS_REFUSED, reason))
            self.report_lists["errors"].append(
                {"url": response.url, "kind": kind, "reason": f"{reason}: {exc}"[:300]}
            )
            return None
        refused = [e for e in links.errors if e.split(":")[0] in REFUSED_DOCUMENT_ERRORS]
        if refused and not (links.articles or links.documents):
            reason = refused[0].split(":")[0]  # unsafe, oversized or not XML: nothing was read
            stats.inc_value(counters.under(counters.DOCUMENTS_REFUSED, reason))
            self.report_lists["errors"].append(
                {"url": response.url, "kind": kind, "reason": refused[0][:300]}
            )
            return None
        from scrapers.discovery.xml import RECOVERY_REASONS

        reasons = {reason.split(":")[0] for reason in links.errors}
        for reason in links.errors:
            stats.inc_value(counters.under(counters.DOCUMENTS_ERRORS, reason.split(":")[0]))
        if reasons & RECOVERY_REASONS:  # not well-formed: read by repairing it
            stats.inc_value(counters.DOCUMENTS_RECOVERED)
            stats.inc_value(counters.under(counters.DOCUMENTS_RECOVERED, kind))
        for reason, count in links.skipped.items():
            stats.inc_value(counters.under(counters.DOCUMENTS_SKIPPED, reason), count)
        if self.doc_state is not None:
            self.doc_state.remember(
                response.url, _header(response, b"ETag"), _header(response, b"Last-Modified"), links
            )
        return links

    def follow_documents(self, response: Response, links: DocumentLinks) -> Iterable[Request]:
        kind = response.meta["kind"]
        if kind == "listing":
            page, max_pages = response.meta["page"], response.meta["max_pages"]
            if page >= max_pages:
                if links.documents:
                    self.crawler.stats.inc_value(counters.LISTINGS_PAGE_CAP_REACHED)
                return
            if self.listing_is_past_window(links.articles):
                self.crawler.stats.inc_value(counters.LISTINGS_STOPPED_PAST_WINDOW)
                return
            for url in links.documents[:1]:
                req = self.document_request(url, "listing", page=page + 1, max_pages=max_pages)
                if req is not None:
                    yield req
        elif kind == "sitemap":
            for url in links.documents:
                if not self.source.allows(url):
                    self.crawler.stats.inc_value(counters.DOCUMENTS_OFFSITE)
                    continue
                req = self.document_request(url, "sitemap")
                if req is not None:
                    yield req

    def listing_is_past_window(self, articles: list[Candidate]) -> bool:
        """True when every dated item of a listing page is older than the window."""
        dated = [c.date_hint for c in articles if c.date_hint is not None]
        if not dated or len(dated) < len(articles):
            return False
        return max(dated) < self.window_start - timedelta(days=1)

    def article_request(self, candidate: Candidate) -> Request | None:
        from scrapers.discovery.window import is_candidate_in_window
        from transforms.urls import canonicalize_url

        stats = self.crawler.stats
        stats.inc_value(counters.CANDIDATES_FOUND)
        if not self.source.allows(candidate.url) or not self.source.is_article_url(candidate.url):
            stats.inc_value(counters.CANDIDATES_NOT_ARTICLE_URL)
            return None
        if not is_candidate_in_window(candidate, self.window_start, self.window_end):
            stats.inc_value(counters.CANDIDATES_OUTSIDE_WINDOW)
            return None
        try:
            key = canonicalize_url(candidate.url)
        except ValueError:
            stats.inc_value(counters.CANDIDATES_BAD_URL)
            return None
        if key in self.known and not needs_refetch(candidate, self.known[key]):
            stats.inc_value(counters.ARTICLES_KNOWN_SKIPPED)
            return None
        if self.doc_state is not None and self.doc_state.skips_page(
            key, candidate, self.window_start, self.window_end
        ):
            stats.inc_value(counters.ARTICLES_KNOWN_OUTSIDE_WINDOW)
            return None
        if key in self.seen_articles:
            stats.inc_value(counters.CANDIDATES_DUPLICATE)
            return None
        if len(self.seen_articles) >= MAX_ARTICLES:
            stats.inc_value(counters.CANDIDATES_OVER_BUDGET)
            return None
        self.seen_articles.add(key)
        stats.inc_value(counters.ARTICLES_REQUESTED)
        return Request(
            candidate.url,
            callback=self.parse_article,
            errback=self.on_error,
            meta={"role": "article", "via": candidate.via, "key": key},
        )

    # -- articles --------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterable[dict[str, Any]]:
        from scrapers.discovery.window import is_date_in_window
        from scrapers.extract import extract

        stats = self.crawler.stats
        stats.inc_value(counters.ARTICLES_FETCHED)
        fetched_at = datetime.now(UTC)
        cpu_started = time.thread_time()
        extracted = extract(self.decode_page(response), response.url, self.source)
        stats.inc_value(counters.EXTRACT_CPU_US, int((time.thread_time() - cpu_started) * 1e6))
        if not self.gc_frozen:
            self.freeze_startup_objects()
        published = extracted.published_at
        if not extracted.is_article:
            stats.inc_value(counters.ARTICLES_NOT_ARTICLE)
            stats.inc_value(counters.under(counters.ARTICLES_NOT_ARTICLE, _slug(extracted)))
            self.remember_page(response, None, is_article=False)
            return
        if published is not None and not is_date_in_window(
            published, self.window_start, self.window_end
        ):
            stats.inc_value(counters.ARTICLES_OUTSIDE_WINDOW)
            self.remember_page(response, published, is_article=True)
            return
        if published is None:
            stats.inc_value(counters.ARTICLES_NO_DATE)
        record = build_record(
            extracted, self.source, crawled_at=fetched_at, http_status=response.status,
            discovered_via=response.meta.get("via"),
            raw_ref=archive_response(self.archive, response, fetched_at=fetched_at),
        )
        stats.inc_value(counters.ARTICLES_STAGED)
        yield record

    def decode_page(self, response: Response) -> str:
        """The page's text, decoded as reprocessing will (its ``Content-Type`` charset heeded).

        Pages with characters that could not be decoded are counted.
        """
        from scrapers.extract.encoding import decode_page, looks_binary

        page = decode_page(response.body, response.headers.get(b"Content-Type"))
        if page.replaced and not looks_binary(page.text):
            self.crawler.stats.inc_value(counters.ARTICLES_DECODED_WITH_REPLACEMENT)
        return page.text

    def freeze_startup_objects(self) -> None:
        """Exempt what start-up and the first extraction allocated from cyclic GC from now on.

        By the first article every module of the crawl and of the extraction stack is imported
        and the registry and state are loaded: hundreds of thousands of long-lived objects that
        each full collection (triggered by the garbage of every parsed page) would walk again
        (1.0 s of a 400-page crawl's 29 s went to full collections).  ``gc.freeze`` moves them
        to the permanent generation; reference counting still frees them.  The collection
        before it keeps today's cyclic garbage out of the frozen set.
        """
        gc.collect()
        gc.freeze()
        self.gc_frozen = True

    def remember_page(self, response: Response, published: datetime | None,
                      is_article: bool) -> None:
        if self.doc_state is not None and response.meta.get("key"):
            self.doc_state.remember_page(
                response.meta["key"], published, is_article, datetime.now(UTC)
            )

    def closed(self, reason: str) -> None:
        """Persist discovery validators for the next run."""
        if self.doc_state is not None and reason == "finished":
            self.doc_state.save()

    def on_error(self, failure: Failure) -> None:
        """Count every failed request by reason; robots refusals are listed by URL."""
        from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
        from scrapy.spidermiddlewares.httperror import HttpError

        request = failure.request
        role = request.meta.get("role", "document")
        stats = self.crawler.stats
        message = str(failure.value)
        if failure.check(HttpError):
            reason = f"http_{failure.value.response.status}"
        elif failure.check(IgnoreRequest):
            if "robots.txt" in message:
                stats.inc_value(counters.under(counters.ROBOTS_REFUSED, role))
                self.report_lists["robots_refused"].append(request.url)
                return
            reason = getattr(failure.value, "reason", None) or _ignored_reason(message)
        elif failure.check(DownloadCancelledError):  # Scrapy cancels only over DOWNLOAD_MAXSIZE
            reason = "too_large"
        else:
            reason = type(failure.value).__name__
        stats.inc_value(counters.failed(role))
        stats.inc_value(counters.under(counters.failed(role), reason))
        self.report_lists["errors"].append(
            {"url": request.url, "role": role, "reason": f"{reason}: {failure.value}"[:300]}
        )


def _slug(extracted: Any) -> str:
    """A short stats key for why a page is not an article ('empty_page', 'too_short', ...)."""
    reason = str(extracted.provenance.get("is_article", "unknown")).split(":", 1)[-1]
    words = re.findall(r"[a-z0-9]+", reason.split("(")[0].split(":")[0].lower())
    return "_".join(words)[:40] or "unknown"


def _ignored_reason(message: str) -> str:
    """A short reason for an IgnoreRequest raised by one of Scrapy's own middlewares."""
    if "DOWNLOAD_MAXSIZE" in message or "max size" in message:
        return "too_large"
    if "max redirections" in message:
        return "redirect_max"
    if "offsite" in message.lower():
        return "offsite"
    return "ignored"


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
