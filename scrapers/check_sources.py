"""Check that every outlet in a registry answers: ``python -m scrapers.check_sources``.

For each source this fetches ``robots.txt`` on the homepage host, then every feed, sitemap and
news sitemap, parses each feed and sitemap with discovery's safe XML parser, and prints one line
per outlet, in registry order, followed (for a reachable outlet) by one indented line per URL
saying what was verified::

    OK dawn robots=200 feeds=1/1 sitemaps=2/2
      robots https://www.dawn.com/robots.txt: HTTP 200, names 2 sitemaps
      feed https://www.dawn.com/feeds/home: RSS with 30 items
      sitemap https://www.dawn.com/sitemap.xml: sitemap index of 14 sitemaps, named in robots.txt
    WARN jang robots=200 feeds=1/1 sitemaps=0/1 (https://jang.com.pk/sitemap.xml: HTTP 404)
      ...
    FAIL tolonews: host tolonews.com cannot be reached (DNS lookup failed: Name or service ...)

``OK`` means every feed and sitemap answered 2xx and parsed as what it is listed as; ``WARN``
means the host answered but some feed or sitemap did not (the outlet is reachable, the registry
entry needs a look); ``FAIL`` means the homepage host could not be reached at all, or may not be
fetched, and is the outlet's only line (so a run without the network prints one line per
outlet).  The exit status is 0 when every outlet is reachable (OK or WARN), 1 when any is FAIL,
2 when the registry itself is invalid.

Requests are made with the standard library; feeds and sitemaps are read by
``scrapers.discovery.xml`` (no entities, bounded size), as the crawler reads them. Requests carry
an honest User-Agent, have short timeouts and are never retried. Outlets are checked concurrently
by a small pool of daemon threads, and the whole run is bounded by ``--deadline``: an outlet still
unanswered then is reported as FAIL and its thread is abandoned (a DNS lookup has no timeout of its
own, so a stuck worker must not keep the process alive). Unless the registry sets
``allow_private_addresses: true``, a host that resolves to a loopback, private, link-local or
otherwise non-public address is refused, also on redirects. Requests go direct: proxy environment
variables are ignored, so the address check means what it says.
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import queue
import re
import socket
import ssl
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from scrapers.sources import Registry, RegistryError, Source, default_registry_path, load_registry

USER_AGENT = "newsflow/0.1 (+https://github.com/newsflow/newsflow)"
DEFAULT_TIMEOUT = 10.0
DEFAULT_WORKERS = 16
ROBOTS_LIMIT = 512 * 1024  # bytes of robots.txt read (enough for its Sitemap: lines)
XML_LIMIT = 10 * 1024 * 1024  # bytes of a feed or sitemap read; a longer one is reported as cut
_A_KIND = {"RSS": "an RSS feed", "Atom": "an Atom feed", "RDF": "an RDF feed",
           "sitemap": "a sitemap", "sitemap index": "a sitemap index"}
_SITEMAP_LINE = re.compile(r"^\s*sitemap\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


class Unreachable(Exception):
    """A host could not be reached (or may not be fetched); ``reason`` says why, in a few words."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"host {host} cannot be reached ({reason})")
        self.host = host
        self.reason = reason


@dataclass(frozen=True)
class Fetch:
    """The outcome of one request that reached its host: an HTTP status."""

    url: str
    status: int
    body: bytes = b""
    cut: bool = False  # the body was longer than the bytes read

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class SourceReport:
    """What was found for one outlet."""

    source_id: str
    host: str
    unreachable: str | None = None
    robots_status: int | None = None
    feeds_ok: int = 0
    feeds_total: int = 0
    sitemaps_ok: int = 0
    sitemaps_total: int = 0
    problems: list[str] = field(default_factory=list)
    verified: list[str] = field(default_factory=list)  # one line per URL: what its answer showed

    @property
    def reachable(self) -> bool:
        return self.unreachable is None

    @property
    def status(self) -> str:
        if not self.reachable:
            return "FAIL"
        complete = self.feeds_ok == self.feeds_total and self.sitemaps_ok == self.sitemaps_total
        return "OK" if complete else "WARN"

    def lines(self) -> list[str]:
        """The outlet's summary line, then (when reachable) one indented line per URL checked."""
        return [self.line(), *(f"  {text}" for text in self.verified)]

    def line(self) -> str:
        """The summary line printed for this outlet."""
        if not self.reachable:
            return f"FAIL {self.source_id}: host {self.host} cannot be reached ({self.unreachable})"
        robots = "-" if self.robots_status is None else str(self.robots_status)
        text = (
            f"{self.status} {self.source_id} robots={robots} "
            f"feeds={self.feeds_ok}/{self.feeds_total} "
            f"sitemaps={self.sitemaps_ok}/{self.sitemaps_total}"
        )
        if self.problems:
            text += " (" + "; ".join(self.problems) + ")"
        return text


def describe_error(exc: BaseException, timeout: float) -> str:
    """A short human reason for a network error, without a traceback."""
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        reason = exc.reason
        if isinstance(reason, BaseException):
            return describe_error(reason, timeout)
        return str(reason)
    if isinstance(exc, socket.gaierror):
        return f"DNS lookup failed: {exc.strerror or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g} s"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not valid: {exc.verify_message or exc.reason}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or exc}"
    if isinstance(exc, http.client.HTTPException):
        return f"bad HTTP answer: {type(exc).__name__}"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {exc}"


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_host_allowed(host: str, port: int, allow_private: bool) -> None:
    """Raise :class:`Unreachable` if ``host`` does not resolve, or resolves to a non-public
    address while ``allow_private`` is false."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise Unreachable(host, describe_error(exc, 0)) from None
    if allow_private:
        return
    for info in infos:
        address = str(info[4][0])
        if not _is_public(address):
            raise Unreachable(
                host,
                f"it resolves to the non-public address {address} "
                "and the registry does not set allow_private_addresses",
            )


class _GuardedRedirects(urllib.request.HTTPRedirectHandler):
    """Apply the address check to every redirect target, not only to the first URL."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        parts = urlsplit(newurl)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise urllib.error.HTTPError(newurl, code, f"refused redirect to {newurl}", headers, fp)
        try:
            check_host_allowed(
                parts.hostname, parts.port or _default_port(parts.scheme), self.allow_private
            )
        except Unreachable as exc:
            fp.close()
            raise Unreachable(exc.host, f"redirected to {newurl}: {exc.reason}") from None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


class Fetcher:
    """Fetch single URLs politely: honest User-Agent, one attempt, short timeout."""

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT, allow_private: bool = False) -> None:
        self.timeout = timeout
        self.allow_private = allow_private
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), _GuardedRedirects(allow_private)
        )

    def fetch(self, url: str, limit: int = 2048) -> Fetch:
        """Status and first ``limit`` body bytes of ``url``; :class:`Unreachable` if silent."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        check_host_allowed(host, parts.port or _default_port(parts.scheme), self.allow_private)
        request = urllib.request.Request(
            url,
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "application/rss+xml, application/xml, text/xml, text/plain, */*;q=0.5",
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                body = response.read(limit + 1)
                return Fetch(url, int(response.status), body[:limit], len(body) > limit)
        except urllib.error.HTTPError as exc:
            exc.close()
            return Fetch(url, exc.code)
        except Unreachable:
            raise
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise Unreachable(host, describe_error(exc, self.timeout)) from None


def count_entries(body: bytes, url: str) -> tuple[str, int]:
    """What an XML answer is (RSS, Atom, RDF, sitemap, sitemap index) and its entry count.

    Raises ValueError when it is none of those (or not XML at all).
    """
    from scrapers.discovery.xml import find_child, find_children, local_name, parse_document

    root = parse_document(body, url).root
    kind = local_name(root)
    channel = find_child(root, "channel")
    if kind == "rss":
        return "RSS", len(list(find_children(channel, "item"))) if channel is not None else 0
    if kind == "feed":
        return "Atom", len(list(find_children(root, "entry")))
    if kind == "RDF":
        nested = len(list(find_children(channel, "item"))) if channel is not None else 0
        return "RDF", len(list(find_children(root, "item"))) + nested
    if kind == "urlset":
        return "sitemap", len(list(find_children(root, "url")))
    if kind == "sitemapindex":
        return "sitemap index", len(list(find_children(root, "sitemap")))
    raise ValueError(f"an XML document with root <{kind}>, neither a feed nor a sitemap")


def plural(count: int, noun: str) -> str:
    """'1 item', '3 items'."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def describe_xml(answer: Fetch, role: str) -> str:
    """What a 2xx feed or sitemap answer holds; ValueError if it is not what ``role`` says."""
    from scrapers.discovery.xml import DiscoveryXMLError

    try:
        kind, count = count_entries(answer.body, answer.url)
    except DiscoveryXMLError as exc:
        raise ValueError(f"not XML ({exc})" if not answer.cut else
                         f"longer than {XML_LIMIT} bytes and not readable in them") from None
    is_feed = kind in ("RSS", "Atom", "RDF")
    if is_feed != (role == "feed"):
        raise ValueError(f"{_A_KIND[kind]}, not a {role}")
    noun = {"sitemap index": "sitemap", "sitemap": "URL"}.get(kind, "item")
    text = f"{kind} {'of' if not is_feed else 'with'} {plural(count, noun)}"
    return text + (f" in its first {XML_LIMIT} bytes" if answer.cut else "")


def check_source(source: Source, fetcher: Fetcher) -> SourceReport:
    """Fetch robots.txt, feeds and sitemaps of one outlet; parse them; summarise the answers."""
    home = urlsplit(source.homepage)
    report = SourceReport(source_id=source.id, host=home.hostname or source.homepage)
    robots_url = f"{home.scheme}://{home.netloc}/robots.txt"
    try:
        robots = fetcher.fetch(robots_url, ROBOTS_LIMIT)
    except Unreachable as exc:
        report.unreachable = exc.reason
        return report
    report.robots_status = robots.status
    robots_text = robots.body.decode("utf-8", "replace") if robots.ok else ""
    named = set(_SITEMAP_LINE.findall(robots_text))
    report.verified.append(f"robots {robots_url}: HTTP {robots.status}"
                           + (f", names {plural(len(named), 'sitemap')}" if robots.ok else ""))

    def probe(url: str, role: str) -> bool:
        try:
            answer = fetcher.fetch(url, XML_LIMIT)
        except Unreachable as exc:
            report.problems.append(f"{url}: {exc.reason}")
            report.verified.append(f"{role} {url}: {exc.reason}")
            return False
        if not answer.ok:
            report.problems.append(f"{url}: HTTP {answer.status}")
            report.verified.append(f"{role} {url}: HTTP {answer.status}")
            return False
        try:
            text = describe_xml(answer, role)
        except ValueError as exc:
            report.problems.append(f"{url}: {exc}")
            report.verified.append(f"{role} {url}: HTTP {answer.status}, {exc}")
            return False
        listed = ", named in robots.txt" if url in named else ""
        report.verified.append(f"{role} {url}: {text}{listed}")
        return True

    report.feeds_total = len(source.feeds)
    report.feeds_ok = sum(probe(url, "feed") for url in source.feeds)
    sitemaps = [*source.sitemaps, *source.news_sitemaps]
    report.sitemaps_total = len(sitemaps)
    report.sitemaps_ok = sum(probe(url, "sitemap") for url in sitemaps)
    return report


def run_checks(
    registry: Registry,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    workers: int = DEFAULT_WORKERS,
    deadline: float | None = None,
) -> list[SourceReport]:
    """Check every source concurrently; return reports in registry order.

    Sources still running after ``deadline`` seconds are reported as unreachable.
    """
    fetcher = Fetcher(timeout=timeout, allow_private=registry.allow_private_addresses)
    if deadline is None:
        deadline = 2 * timeout + 5
    todo: queue.Queue[int] = queue.Queue()
    for index in range(len(registry.sources)):
        todo.put(index)
    results: dict[int, SourceReport] = {}
    lock = threading.Lock()
    finished = threading.Condition(lock)

    def worker() -> None:
        while True:
            try:
                index = todo.get_nowait()
            except queue.Empty:
                return
            source = registry.sources[index]
            try:
                report = check_source(source, fetcher)
            except Exception as exc:  # a bug must not hide the other outlets' results
                report = SourceReport(source.id, urlsplit(source.homepage).hostname or "?")
                report.unreachable = f"check crashed: {type(exc).__name__}: {exc}"
            with finished:
                results[index] = report
                finished.notify_all()

    for n in range(max(1, min(workers, len(registry.sources)))):
        threading.Thread(target=worker, name=f"check-sources-{n}", daemon=True).start()

    end = time.monotonic() + deadline
    with finished:
        while len(results) < len(registry.sources):
            left = end - time.monotonic()
            if left <= 0:
                break
            finished.wait(left)
        done = dict(results)

    reports = []
    for index, source in enumerate(registry.sources):
        report = done.get(index)
        if report is None:
            report = SourceReport(source.id, urlsplit(source.homepage).hostname or "?")
            report.unreachable = f"no answer within the {deadline:g} s deadline"
        reports.append(report)
    return reports


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m scrapers.check_sources",
        description="Check that every outlet's robots.txt, feeds and sitemaps answer and parse.",
    )
    parser.add_argument(
        "--registry",
        type=Path,
        default=None,
        help="registry YAML (default: $NEWSFLOW_REGISTRY or scrapers/sources.yaml)",
    )
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per request (default 10)"
    )
    parser.add_argument(
        "--workers", type=int, default=DEFAULT_WORKERS, help="outlets checked at once (default 16)"
    )
    parser.add_argument(
        "--deadline",
        type=float,
        default=None,
        help="seconds for the whole run (default 2 x timeout + 5)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; exit status 0 if all reachable, 1 if any is unreachable, 2 if bad registry."""
    args = _parse_args(argv)
    path = args.registry or default_registry_path()
    try:
        registry = load_registry(path)
    except RegistryError as exc:
        print(f"FAIL registry: {exc}", file=sys.stderr)
        return 2
    reports = run_checks(
        registry, timeout=args.timeout, workers=args.workers, deadline=args.deadline
    )
    for report in reports:
        print("\n".join(report.lines()), flush=True)
    failed = sum(not r.reachable for r in reports)
    warned = sum(r.status == "WARN" for r in reports)
    print(
        f"{len(reports)} outlets: {len(reports) - failed - warned} OK, {warned} WARN, "
        f"{failed} FAIL",
        file=sys.stderr,
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
