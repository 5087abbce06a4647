"""Downloader middlewares: address guard, Retry-After, redirect guard, gzip integrity.

* ``AddressGuardMiddleware``: only http/https; no private addresses for real outlets.
* ``RetryAfterMiddleware``: Scrapy's retry, but a 429/503 ``Retry-After`` is waited out.
* ``RedirectGuardMiddleware``: redirect loops and redirects off the source's domains are refused
  and counted (Scrapy would drop them silently through the dupe filter / offsite filter).
* ``GzipIntegrityMiddleware``: a truncated gzip body is retried, never parsed as a short page.
"""

from __future__ import annotations

import ipaddress
import socket
import zlib
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import sleep
from scrapy.utils.response import response_status_message

from scrapers import stats as counters

MAX_CRAWL_DELAY = 60.0  # a robots.txt asking for more is capped, not obeyed forever


class RefusedRequest(IgnoreRequest):
    """An IgnoreRequest that carries the short reason the spider counts it under."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@lru_cache(maxsize=1024)
def is_private_host(host: str) -> bool:
    """True if ``host`` is, or resolves to, a loopback, private, link-local or reserved address."""
    if host.lower() in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, None)
        except OSError:
            return False  # unresolvable: the download itself fails with a DNS error
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    return any(
        a.is_private or a.is_loopback or a.is_link_local or a.is_reserved or a.is_multicast
        or a.is_unspecified or not a.is_global  # is_global also excludes 100.64.0.0/10 (CGNAT)
        for a in addresses
    )


class AddressGuardMiddleware:
    """Only http/https; no private/loopback hosts unless ``NEWSFLOW_ALLOW_PRIVATE`` is set."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuardMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        parts = urlsplit(request.url)
        stats = self.crawler.stats
        if parts.scheme not in ("http", "https"):
            stats.inc_value(counters.REFUSED_SCHEME)
            raise RefusedRequest("scheme", f"refused scheme {parts.scheme!r}: {request.url}")
        allow_private = self.crawler.settings.getbool("NEWSFLOW_ALLOW_PRIVATE", False)
        if not allow_private and parts.hostname and is_private_host(parts.hostname):
            stats.inc_value(counters.REFUSED_PRIVATE_ADDRESS)
            raise RefusedRequest("private_address", f"refused private address: {request.url}")
        return None


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    """Retry like Scrapy, but wait out ``Retry-After`` first (at most ``RETRY_AFTER_MAX`` s).

    A server asking for longer than the bound is not retried at all: the request fails with its
    status and ``newsflow/retry_after/too_long`` is counted.
    """

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.max_wait = settings.getfloat("RETRY_AFTER_MAX", 60.0)

    async def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        """Retry retryable statuses, sleeping for the server's Retry-After when it sends one."""
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        stats = self.crawler.stats
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is not None:
            stats.inc_value(counters.RETRY_AFTER_RECEIVED)
            if wait > self.max_wait:
                stats.inc_value(counters.RETRY_AFTER_TOO_LONG)
                return response
            max_times = request.meta.get("max_retry_times", self.max_retry_times)
            if wait > 0 and request.meta.get("retry_times", 0) < max_times:
                stats.inc_value(counters.RETRY_AFTER_WAITED)
                stats.max_value(counters.RETRY_AFTER_MAX_SECONDS, wait)
                await sleep(wait)
        return self._retry(request, response_status_message(response.status)) or response


class RedirectGuardMiddleware:
    """Refuse (and count) redirect loops, non-http(s) targets and hops off ``allowed_domains``.

    Runs before Scrapy's RedirectMiddleware on the response path (order above 600).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuardMiddleware:
        return cls(crawler)

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        """Raise RefusedRequest for a loop or an offsite hop; pass everything else on."""
        location = response.headers.get(b"Location")
        if not (300 <= response.status < 400 and response.status != 304 and location):
            return response
        if request.meta.get("dont_redirect", False):
            return response
        target = urljoin(request.url, location.decode("latin-1").strip())
        chain = [*request.meta.get("redirect_urls", []), request.url]
        stats = self.crawler.stats
        if target in chain:
            stats.inc_value(counters.REDIRECTS_LOOP)
            raise RefusedRequest("redirect_loop", f"redirect loop: {request.url} -> {target}")
        if urlsplit(target).scheme not in ("http", "https"):
            stats.inc_value(counters.REDIRECTS_SCHEME)
            raise RefusedRequest("redirect_scheme", f"redirect to {target!r} from {request.url}")
        source = getattr(self.crawler.spider, "source", None)
        if source is not None and not source.allows(target):
            stats.inc_value(counters.REDIRECTS_OFFSITE)
            raise RefusedRequest(
                "offsite_redirect", f"redirect off the source's domains: {request.url} -> {target}"
            )
        return response


def gzip_is_complete(body: bytes, limit: int) -> bool:
    """False if a gzip ``body`` ends before its stream does (checked up to ``limit`` output)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    pending, produced = body, 0
    try:
        while pending and not inflater.eof:
            produced += len(inflater.decompress(pending, 1024 * 1024))
            pending = inflater.unconsumed_tail
            if limit and produced > limit:
                return True  # too big to check: HttpCompressionMiddleware refuses it anyway
    except zlib.error:
        return False
    return inflater.eof


class GzipIntegrityMiddleware:
    """Retry a response whose gzip ``Content-Encoding`` body is cut short (then fail it).

    Scrapy's HttpCompressionMiddleware returns whatever a truncated stream decompressed to, so a
    cut-off article would otherwise be stored as a short one.  Order: above 590.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.limit = crawler.settings.getint("DOWNLOAD_MAXSIZE")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> GzipIntegrityMiddleware:
        return cls(crawler)

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        """Pass whole bodies on; retry or refuse truncated gzip bodies."""
        encoding = response.headers.get(b"Content-Encoding", b"").lower()
        if encoding not in (b"gzip", b"x-gzip") or response.body[:2] != b"\x1f\x8b":
            return response
        if gzip_is_complete(response.body, self.limit):
            return response
        self.crawler.stats.inc_value(counters.RESPONSES_TRUNCATED_GZIP)
        assert self.crawler.spider is not None
        retry = get_retry_request(request, spider=self.crawler.spider, reason="truncated_gzip")
        if retry is not None:
            return retry
        raise RefusedRequest("truncated_gzip", f"truncated gzip body: {request.url}")


class CrawlDelayMiddleware:
    """Honour robots.txt ``Crawl-delay`` (Scrapy's robots middleware ignores it).

    When a robots.txt response names a crawl delay for our user agent, the download slot of
    that host waits at least that long between requests, whatever the registry's delay.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.delays: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlDelayMiddleware:
        return cls(crawler)

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        if urlsplit(request.url).path == "/robots.txt" and response.status == 200:
            self.learn_delay(request, response)
        return response

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        self.apply_delay(request)

    def learn_delay(self, request: Request, response: Response) -> None:
        from protego import Protego

        agent = self.crawler.settings.get("USER_AGENT") or "*"
        try:
            delay = Protego.parse(response.text).crawl_delay(agent)
        except (UnicodeDecodeError, AttributeError, ValueError):
            return
        if delay:
            host = urlsplit(request.url).netloc
            self.delays[host] = min(float(delay), MAX_CRAWL_DELAY)
            self.crawler.stats.set_value(counters.ROBOTS_CRAWL_DELAY, self.delays[host])
            self.apply_delay(request)

    def apply_delay(self, request: Request) -> None:
        delay = self.delays.get(urlsplit(request.url).netloc)
        if not delay or self.crawler.engine is None:
            return
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is not None and slot.delay < delay:
            slot.delay = delay
