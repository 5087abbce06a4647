"""Downloader middlewares: refuse non-http(s) schemes and, for real outlets, private addresses."""

from __future__ import annotations

import ipaddress
import socket
from functools import lru_cache
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest


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
        or a.is_unspecified
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
            stats.inc_value("newsflow/refused/scheme")
            raise IgnoreRequest(f"refused scheme {parts.scheme!r}: {request.url}")
        allow_private = self.crawler.settings.getbool("NEWSFLOW_ALLOW_PRIVATE", False)
        if not allow_private and parts.hostname and is_private_host(parts.hostname):
            stats.inc_value("newsflow/refused/private_address")
            raise IgnoreRequest(f"refused private address: {request.url}")
        return None
