"""Fault injection for crawl tests: a loopback server that misbehaves per URL, and helpers.

``FaultServer`` is a ThreadingHTTPServer on 127.0.0.1 (free port).  Each path answers with a
sequence of :class:`Reply` objects (the last one repeats): plain answers, status bursts
(503, 503, 200), 429 with Retry-After, a connection reset mid-body, a stall, redirects,
streamed big bodies, custom bytes and headers.  Every request is logged with its arrival time.

The helpers build a tiny synthetic outlet (article pages, RSS, sitemaps), write a test
registry (``allow_private_addresses: true``, no politeness delay), crawl it with the real
``run_crawl`` subprocess, write the staged items into a lake and check that lake.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.error import DNSLookupError

DAY = date(2026, 11, 20)
WINDOW_START = datetime(2026, 11, 20, tzinfo=UTC)
WINDOW_END = WINDOW_START + timedelta(days=1)
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost"})

WORDS = (
    "The provincial government announced on Thursday that the new water treatment plant "
    "would begin operating before the end of the month, bringing clean drinking water to "
    "more than two hundred thousand residents of the district who have relied on tankers "
    "for years. Officials said the project, funded jointly by the federal ministry and an "
    "international development bank, had been delayed by flooding and by a dispute over "
    "land for the main pipeline. Residents welcomed the news but said they would wait to "
    "see water in their taps before celebrating, since earlier promises had come to nothing."
)


# -- the server -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One answer.  ``mode``: normal, reset (close mid-body), stream (``size`` bytes), or drop."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = "text/html; charset=utf-8"
    delay: float = 0.0
    mode: str = "normal"
    size: int = 0
    content_length: bool = True


@dataclass(frozen=True)
class Hit:
    """One logged request."""

    at: float
    method: str
    path: str
    headers: dict[str, str]
    status: int


def ok(body: bytes | str, content_type: str | None = "text/html; charset=utf-8",
       **headers: str) -> Reply:
    """A 200 with ``body``."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    return Reply(200, data, dict(headers), content_type)


def status(code: int, **headers: str) -> Reply:
    """A bare status answer, e.g. ``status(429, **{"Retry-After": "2"})``."""
    return Reply(code, f"status {code}".encode(), dict(headers))


def redirect(location: str, code: int = 302) -> Reply:
    """A redirect to ``location``."""
    return Reply(code, b"", {"Location": location})


def reset(body: bytes, sent: int | None = None) -> Reply:
    """Headers with the full Content-Length, ``sent`` bytes of body, then a TCP reset."""
    return Reply(200, body, {}, "text/html; charset=utf-8", mode="reset",
                 size=len(body) // 2 if sent is None else sent)


def stall(seconds: float, then: bytes = b"late") -> Reply:
    """Answer only after ``seconds`` (released early when the server stops)."""
    return Reply(200, then, {}, "text/html; charset=utf-8", delay=seconds)


def stream(size: int, content_type: str = "text/html; charset=utf-8",
           content_length: bool = False) -> Reply:
    """``size`` bytes of HTML-ish filler, written in chunks (without Content-Length by default)."""
    return Reply(200, b"", {}, content_type, mode="stream", size=size,
                 content_length=content_length)


class _Handler(BaseHTTPRequestHandler):
    server: _FaultHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "newsflow-fault/1.0"

    def do_GET(self) -> None:
        """Answer a GET from the route table."""
        self._answer(head=False)

    def do_HEAD(self) -> None:
        """Answer a HEAD from the route table."""
        self._answer(head=True)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""

    def _answer(self, head: bool) -> None:
        fault = self.server.fault
        arrived = time.monotonic()
        reply = fault._next_reply(self.path)
        fault._log(Hit(arrived, self.command, self.path, dict(self.headers.items()),
                       reply.status))
        if reply.delay:
            fault._released.wait(reply.delay)
        try:
            if reply.mode == "reset":
                self._reset(reply)
            elif reply.mode == "stream":
                self._stream(reply, head)
            elif reply.mode == "drop":
                self._abort()
            else:
                self._send(reply, head)
        except OSError:  # the client gave up (timeout, size limit): that is the point
            self.close_connection = True

    def _headers(self, reply: Reply, length: int | None) -> None:
        self.send_response(reply.status)
        if reply.content_type:
            self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if length is not None:
            self.send_header("Content-Length", str(length))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()

    def _send(self, reply: Reply, head: bool) -> None:
        self._headers(reply, len(reply.body))
        if not head and reply.status not in (204, 304):
            self.wfile.write(reply.body)

    def _reset(self, reply: Reply) -> None:
        self._headers(reply, len(reply.body))
        self.wfile.write(reply.body[: reply.size])
        self.wfile.flush()
        self._abort()

    def _abort(self) -> None:
        """Close the socket with RST (SO_LINGER 0) so the client sees a reset."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            self.connection.close()

    def _stream(self, reply: Reply, head: bool) -> None:
        self._headers(reply, reply.size if reply.content_length else None)
        if head:
            return
        chunk = b"<p>" + b"filler " * 9360 + b"</p>\n"  # ~64 KiB
        left = reply.size
        self.wfile.write(b"<html><body>")
        left -= 12
        while left > 0 and not self.server.fault._released.is_set():
            piece = chunk[:left]
            self.wfile.write(piece)
            left -= len(piece)

    def finish(self) -> None:
        """Flush and close, ignoring a socket that was reset on purpose."""
        with contextlib.suppress(OSError, ValueError):
            super().finish()


class _FaultHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, fault: FaultServer) -> None:
        self.fault = fault
        super().__init__((fault.host, 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Faults are deliberate: no tracebacks on stderr."""


class FaultServer:
    """A running fault server: ``route()`` paths, read ``hits()``; ``stop()`` or use as context."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        if host != "127.0.0.1":
            raise ValueError("the fault server only listens on 127.0.0.1")
        self.host = host
        self._lock = threading.Lock()
        self._routes: dict[str, list[Reply]] = {}
        self._served: dict[str, int] = {}
        self._hits: list[Hit] = []
        self._released = threading.Event()
        self._httpd = _FaultHTTPServer(self)
        self.port = int(self._httpd.server_address[1])
        self.base_url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        name=f"fault-server-{self.port}", daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` on this server."""
        return self.base_url + path

    def route(self, path: str, *replies: Reply) -> str:
        """Answer ``path`` with ``replies`` in turn (the last repeats); returns its URL."""
        if not replies:
            raise ValueError("route() needs at least one reply")
        with self._lock:
            self._routes[path] = list(replies)
            self._served[path] = 0
        return self.url(path)

    def _next_reply(self, raw_path: str) -> Reply:
        with self._lock:
            key = raw_path if raw_path in self._routes else urlsplit(raw_path).path
            replies = self._routes.get(key)
            if replies is None:
                return Reply(404, b"not found")
            index = min(self._served[key], len(replies) - 1)
            self._served[key] += 1
            return replies[index]

    def _log(self, hit: Hit) -> None:
        with self._lock:
            self._hits.append(hit)

    def hits(self, path: str | None = None) -> list[Hit]:
        """Logged requests, all or those for one path (query ignored when ``path`` has none)."""
        with self._lock:
            hits = list(self._hits)
        if path is None:
            return hits
        return [h for h in hits if h.path == path or ("?" not in path
                                                     and urlsplit(h.path).path == path)]

    def stop(self) -> None:
        """Release stalled answers, stop serving and close the socket."""
        self._released.set()
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()

    def __enter__(self) -> FaultServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def fault_servers(count: int = 1) -> Iterator[list[FaultServer]]:
    """``count`` fault servers, stopped on exit."""
    servers = [FaultServer() for _ in range(count)]
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


class LoopbackOnlyResolver(CachingThreadedResolver):
    """A Scrapy DNS resolver that never asks a name server: loopback names only, else NXDOMAIN.

    Tests that need a DNS failure use a ``.invalid`` host; with this resolver the failure is
    decided locally, so no query ever leaves the machine.
    """

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> defer.Deferred[str]:
        """Resolve loopback literals and ``localhost``; fail every other name."""
        if name in LOOPBACK_NAMES or name.startswith("127."):
            return defer.succeed("127.0.0.1" if name == "localhost" else name)
        return defer.fail(DNSLookupError(f"{name}: refused by the loopback-only test resolver"))


RESOLVER = f"{LoopbackOnlyResolver.__module__}.LoopbackOnlyResolver"


# -- a synthetic outlet --------------------------------------------------------------------


def article_html(title: str, published: datetime, *, words: int = 150, lang: str = "en",
                 body_text: str | None = None, charset: str | None = "utf-8",
                 jsonld: str | None = None) -> str:
    """An article page with NewsArticle JSON-LD, a dated byline and ``words`` words of text."""
    text = body_text if body_text is not None else _words(words)
    paragraphs = "\n".join(f"<p>{p}</p>" for p in _paragraphs(text))
    ld = jsonld if jsonld is not None else json.dumps({
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
        "datePublished": published.isoformat(), "author": {"@type": "Person", "name": "Staff"},
        "inLanguage": lang,
    }, ensure_ascii=False)
    meta = f'<meta charset="{charset}">' if charset else ""
    return (
        f'<!doctype html><html lang="{lang}"><head>{meta}<title>{title}</title>'
        f'<script type="application/ld+json">{ld}</script>'
        f'<meta property="og:type" content="article"></head><body><article>'
        f"<h1>{title}</h1><time datetime=\"{published.isoformat()}\">"
        f"{published:%d %B %Y}</time><div class=\"story\">{paragraphs}</div>"
        f"</article></body></html>"
    )


def distinct_text(seed: str, count: int = 150) -> str:
    """English-looking text of ``count`` words, different for every ``seed`` (no near-dupes)."""
    import random

    vocabulary = sorted(set(WORDS.replace(",", "").replace(".", "").lower().split()))
    rng = random.Random(seed)
    return " ".join(rng.choice(vocabulary) for _ in range(count)) + "."


def _words(count: int) -> str:
    words = WORDS.split()
    return " ".join(words[i % len(words)] for i in range(count))


def _paragraphs(text: str, size: int = 60) -> list[str]:
    words = text.split()
    return [" ".join(words[i : i + size]) for i in range(0, len(words), size)] or [text]


def rss(items: Sequence[tuple[str, str, datetime]], title: str = "Test Outlet") -> bytes:
    """An RSS 2.0 feed of ``(url, title, published)`` items."""
    entries = "".join(
        f"<item><title>{t}</title><link>{u}</link>"
        f"<pubDate>{format_datetime(p.astimezone(UTC), usegmt=True)}</pubDate></item>"
        for u, t, p in items
    )
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{title}</title>{entries}</channel></rss>").encode()


def sitemap(urls: Sequence[str], lastmod: datetime | None = None) -> bytes:
    """A urlset sitemap."""
    mod = f"<lastmod>{lastmod.isoformat()}</lastmod>" if lastmod else ""
    entries = "".join(f"<url><loc>{u}</loc>{mod}</url>" for u in urls)
    return (b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + entries.encode() + b"</urlset>")


def sitemap_index(urls: Sequence[str]) -> bytes:
    """A sitemap index."""
    entries = "".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in urls)
    return (b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + entries.encode() + b"</sitemapindex>")


def gzip_bytes(data: bytes) -> bytes:
    """Deterministic gzip."""
    return gzip.compress(data, mtime=0)


def gzip_bomb(size: int, head: bytes = b"", fill: bytes = b" ") -> bytes:
    """A gzip stream of ``head`` plus ``size`` bytes of ``fill``, built in bounded memory."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    out = [comp.compress(head)]
    block = fill * (1024 * 1024 // len(fill))
    for _ in range(size // len(block)):
        out.append(comp.compress(block))
    out.append(comp.flush())
    return b"".join(out)


def outlet(source_id: str, server: FaultServer, *, feeds: Sequence[str] = (),
           sitemaps: Sequence[str] = (), **extra: Any) -> dict[str, Any]:
    """A registry entry for a synthetic outlet on ``server`` (articles under /news/)."""
    entry: dict[str, Any] = {
        "id": source_id, "name": f"Fault Outlet {source_id}",
        "homepage": server.url("/"), "country": "PK", "languages": ["en", "ur"],
        "timezone": "Asia/Karachi", "allowed_domains": ["127.0.0.1"],
        "feeds": list(feeds), "sitemaps": list(sitemaps),
        "article_url_pattern": r"/news/",
        "politeness": {"download_delay": 0, "autothrottle": False, "concurrency": 4},
    }
    entry.update(extra)
    return entry


def write_registry(path: Path, sources: Sequence[dict[str, Any]], *,
                   allow_private: bool = True) -> Path:
    """Write a registry YAML for ``sources``; loopback allowed unless ``allow_private`` is off."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"version": 1, "allow_private_addresses": allow_private, "sources": list(sources)}
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def published(hour: int = 10, minute: int = 0) -> datetime:
    """A publication instant inside the test window (PKT, +05:00)."""
    from zoneinfo import ZoneInfo

    return datetime(2026, 11, 20, hour, minute, tzinfo=ZoneInfo("Asia/Karachi"))


# -- crawling and the lake ----------------------------------------------------------------


def crawl(source_id: str, registry: Path, *, extra_settings: dict[str, str] | None = None,
          timeout: float = 180) -> Any:
    """``run_crawl`` for the test window (always through the loopback-only resolver)."""
    from scrapers.tasks.crawl import run_crawl

    settings = {"TWISTED_DNS_RESOLVER": RESOLVER, **(extra_settings or {})}
    return run_crawl(source_id, WINDOW_START, WINDOW_END, registry=registry, day=DAY,
                     extra_settings=settings, timeout=timeout)


def load_stats(source_id: str) -> dict[str, Any]:
    """The stats payload a finished (or failed) crawl left in staging."""
    from scrapers.tasks.crawl import stage_paths

    return json.loads(stage_paths(DAY, source_id).stats.read_text(encoding="utf-8"))


def write_lake(paths: Sequence[Path | str], run_id: str = "test-run") -> Any:
    """Process staged files into the lake (``NEWSFLOW_LAKE``)."""
    from transforms.pipeline import process_staged

    return process_staged([Path(p) for p in paths], run_id=run_id)


def stage_file(path: Path, source_id: str, stories: Sequence[tuple[str, datetime]]) -> Path:
    """A staged JSONL file of ``(slug, published)`` stories, extracted as the spider does."""
    from scrapers.extract import extract
    from scrapers.records import build_record
    from scrapers.sources import Source

    host = f"{source_id}.example"
    source = Source.model_validate({
        "id": source_id, "name": f"Outlet {source_id}", "homepage": f"https://{host}/",
        "country": "PK", "languages": ["en"], "timezone": "Asia/Karachi",
        "allowed_domains": [host], "feeds": [f"https://{host}/feed.xml"],
    })
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for slug, when in stories:
            url = f"https://{host}/news/{when:%Y/%m/%d}/{slug}/"
            html = article_html(f"Story {slug} of {source_id}", when,
                                body_text=distinct_text(f"{source_id}/{slug}"))
            record = build_record(extract(html, url, source), source,
                                  crawled_at=when.astimezone(UTC) + timedelta(hours=6),
                                  http_status=200)
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


@contextlib.contextmanager
def fault_lake(tmp_dirs: Any, name: str, servers: int = 1
               ) -> Iterator[tuple[Path, Path, list[FaultServer], dict[str, str]]]:
    """A fault run's setting: a temp dir whose lake and staging the crawl and writer use (through
    ``NEWSFLOW_LAKE``/``NEWSFLOW_STAGING``), ``servers`` fault servers, and a lake seeded with
    rows an earlier run wrote.  Yields ``(tmp, lake root, servers, seeded article ids)``.

    ``tmp_dirs`` is pytest's ``tmp_path_factory`` (module-scoped fixtures cannot use monkeypatch).
    """
    import pytest

    mp = pytest.MonkeyPatch()
    tmp = tmp_dirs.mktemp(name)
    root = tmp / "lake"
    mp.setenv("NEWSFLOW_LAKE", str(root))
    mp.setenv("NEWSFLOW_STAGING", str(tmp / "staging"))
    try:
        with fault_servers(servers) as sites:
            yield tmp, root, sites, seed_lake(tmp)
    finally:
        mp.undo()


def seed_lake(tmp: Path, source_id: str = "seed-outlet", count: int = 3) -> dict[str, str]:
    """Put ``count`` articles of another outlet (a day earlier) in the lake; return its rows."""
    stories = [(f"seed-{n}", published(9 + n) - timedelta(days=1)) for n in range(count)]
    write_lake([stage_file(tmp / f"{source_id}.jsonl", source_id, stories)], run_id="seed")
    return lake_rows()


def lake_rows(root: Path | None = None) -> dict[str, str]:
    """``article_id -> content hash`` of every stored article."""
    from transforms.lake import read_articles

    df = read_articles(root)
    return {
        row["article_id"]: hashlib.sha256(
            json.dumps({k: str(v) for k, v in row.items()}, sort_keys=True).encode()
        ).hexdigest()
        for row in df.to_dict("records")
    }


def stored_by_slug(root: Path) -> dict[str, dict[str, Any]]:
    """Stored loopback articles, keyed by the slug after ``/news/`` in their URL."""
    from transforms.lake import read_articles

    return {row["url"].split("/news/")[-1].strip("/"): row
            for row in read_articles(root).to_dict("records") if "127.0.0.1" in row["url"]}


@dataclass
class PairRun:
    """Two crawls run side by side: one that must succeed, one expected to fail."""

    result: Any  # the succeeding crawl's CrawlResult
    failure: Exception | None  # the other crawl's CrawlFailed, None if it did not fail
    seconds: float
    peak_rss: int  # peak RSS of the largest single process while both ran


def crawl_pair(succeeding: str, failing: str, registry: Path,
               extra_settings: dict[str, str] | None = None) -> PairRun:
    """Crawl ``succeeding`` and ``failing`` in parallel; keep the second's CrawlFailed."""
    from concurrent.futures import ThreadPoolExecutor

    from scrapers.tasks.crawl import CrawlFailed

    started = time.monotonic()
    with PeakRSS() as peak, ThreadPoolExecutor(2) as pool:
        main = pool.submit(crawl, succeeding, registry, extra_settings=extra_settings)
        other = pool.submit(crawl, failing, registry, extra_settings=extra_settings)
        result = main.result()
        failure = None
        try:
            other.result()
        except CrawlFailed as exc:
            failure = exc
    return PairRun(result, failure, time.monotonic() - started, peak.peak_single)


def check_lake(root: Path) -> dict[str, int]:
    """Assert every lake table is whole (no temp files; pandas, pyarrow, DuckDB agree)."""
    import duckdb
    import pandas as pd
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    from transforms.schema import PARTITIONING

    leftovers = list((root / "_staging").glob("*")) if (root / "_staging").exists() else []
    assert not leftovers, f"temp files left in the lake: {leftovers}"
    counts: dict[str, int] = {}
    for table in ("articles", "quarantine"):
        base = root / table
        files = sorted(base.rglob("*.parquet")) if base.exists() else []
        stray = [p for p in base.rglob("*") if p.is_file() and p.suffix != ".parquet"] \
            if base.exists() else []
        assert not stray, f"non-parquet files in {table}: {stray}"
        if not files:
            counts[table] = 0
            continue
        for path in files:
            pq.ParquetFile(path).read()
        n_pandas = len(pd.read_parquet(base, partitioning=PARTITIONING))
        n_arrow = ds.dataset(base, partitioning=PARTITIONING, format="parquet").count_rows()
        n_duck = duckdb.sql(
            f"select count(*) from read_parquet('{base}/**/*.parquet', hive_partitioning=true, "
            "union_by_name=true)"
        ).fetchall()[0][0]
        assert n_pandas == n_arrow == n_duck, (table, n_pandas, n_arrow, n_duck)
        counts[table] = n_pandas
    return counts


def failures(stats: dict[str, Any], role: str = "article") -> dict[str, int]:
    """``reason -> count`` of failed requests of one role."""
    prefix = f"newsflow/{role}s/failed/"
    return {k[len(prefix):]: int(v) for k, v in stats.items() if k.startswith(prefix)}


class PeakRSS:
    """Sample the peak RSS (bytes) of a process tree started by this process while in scope."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.peak = 0
        self.by_pid: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    rss = child.memory_info().rss
                    total += rss
                    self.by_pid[child.pid] = max(self.by_pid.get(child.pid, 0), rss)
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    @property
    def peak_single(self) -> int:
        """The largest peak RSS of any one child process."""
        return max(self.by_pid.values(), default=0)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
