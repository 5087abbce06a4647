"""A small CC-NEWS-shaped archive of the demo outlets, built with warcio, and its loopback server.

The archive holds ``crawl-data/CC-NEWS/2026/11/warc.paths.gz`` and five WARC files whose
captures run from 2026-11-19 to 2026-11-25: every demo article (as the demo server serves it,
captured three hours after publication), listing and tag pages, a 404, the same article pages
under hosts outside the registry, an unrelated site, and the request record of each response.
Shared by tests/test_ccnews.py (dag.test) and tests/test_airflow_ccnews.py (a real Airflow),
with the check that a lake holds exactly the demo truth of the backfilled days.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from scrapers.ccnews.archive import parse_raw_ref
from scrapers.ccnews.discovery import listing_path
from tests.demo_truth import expected_for_day, load_truth, robots_disallowed

DAYS = [date(2026, 11, 20), date(2026, 11, 21)]
FILE_STARTS = [datetime(2026, 11, 19, 12, tzinfo=UTC), datetime(2026, 11, 20, 12, tzinfo=UTC),
               datetime(2026, 11, 21, 18, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC),
               datetime(2026, 11, 25, tzinfo=UTC)]
CAPTURE_DELAY = timedelta(hours=3)
NON_ARTICLE_PAGES = ["/indus-chronicle/latest/", "/ganga-times/latest/", "/padma-herald/latest/",
                     "/himalaya-post/", "/ganga-times/section/business/"]
OTHER_HOSTS = ["mirror.example.net", "127.0.0.2"]


def warc_path(index: int) -> str:
    """The archive path of WARC file ``index``, named as CC-NEWS names its files."""
    start = FILE_STARTS[index]
    return (f"crawl-data/CC-NEWS/{start:%Y}/{start:%m}/"
            f"CC-NEWS-{start:%Y%m%d%H%M%S}-{index:05d}.warc.gz")


def file_for(moment: datetime) -> int:
    """The index of the file whose coverage holds a capture time (the first file: earlier)."""
    return max([0] + [i for i, s in enumerate(FILE_STARTS) if s <= moment])


@dataclass
class Archive:
    """The archive folder and what it holds."""

    root: Path
    base: str  # the demo server's base URL the pages were fetched from
    captures: dict[str, tuple[int, datetime]]  # demo path -> (file index, capture time)


def fetch(base: str, path: str) -> tuple[int, str, bytes]:
    """A page of the demo server: (status, content type, body)."""
    try:
        with urllib.request.urlopen(base + path, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def write_exchange(writer: WARCWriter, url: str, status: int, content_type: str, body: bytes,
                   captured: datetime) -> None:
    """A CC-NEWS-style request and response pair."""
    date_header = captured.strftime("%Y-%m-%dT%H:%M:%SZ")
    http = StatusAndHeaders(f"{status} {'OK' if status == 200 else 'Not Found'}",
                            [("Content-Type", content_type), ("Content-Length", str(len(body)))],
                            protocol="HTTP/1.1")
    response = writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                         length=len(body), http_headers=http,
                                         warc_headers_dict={"WARC-Date": date_header})
    parts = urlsplit(url)
    request = writer.create_warc_record(
        url, "request", http_headers=StatusAndHeaders(
            f"GET {parts.path} HTTP/1.1", [("Host", parts.netloc)], is_http_request=True),
        warc_headers_dict={"WARC-Date": date_header})
    writer.write_record(request)
    writer.write_record(response)


def build_archive(root: Path, base: str) -> Archive:
    """The CC-NEWS-shaped archive of the demo outlets under ``root``."""
    blocked = robots_disallowed()
    exchanges: list[list[tuple[str, int, str, bytes, datetime]]] = [[] for _ in FILE_STARTS]
    captures: dict[str, tuple[int, datetime]] = {}
    for number, art in enumerate(load_truth()):
        if any(art.path.startswith(b) for b in blocked):
            continue  # CCBot obeys robots.txt too
        captured = max(art.published.astimezone(UTC) + CAPTURE_DELAY,
                       FILE_STARTS[0] + timedelta(minutes=number))
        index = file_for(captured)
        status, ctype, body = fetch(base, art.path)
        assert status == 200, art.path
        exchanges[index].append((base + art.path, status, ctype, body, captured))
        captures[art.path] = (index, captured)
        if number % 3 == 0:  # the same page on a host outside the registry
            host = OTHER_HOSTS[number % 2]
            exchanges[index].append((f"http://{host}{art.path}", status, ctype, body, captured))
    for number, path in enumerate(NON_ARTICLE_PAGES):
        status, ctype, body = fetch(base, path)
        index = number % len(FILE_STARTS)
        exchanges[index].append((base + path, status, ctype, body,
                                 FILE_STARTS[index] + timedelta(minutes=5)))
    missing = "/indus-chronicle/2026/11/20/no-such-story/"
    status, ctype, body = fetch(base, missing)
    assert status == 404
    exchanges[1].append((base + missing, status, ctype, body, FILE_STARTS[1]))
    for index, start in enumerate(FILE_STARTS):
        unrelated = f"<html><body><h1>Other news {index}</h1><p>{'word ' * 300}</p></body></html>"
        exchanges[index].append((f"https://news.example.org/2026/11/20/story-{index}.html", 200,
                                 "text/html", unrelated.encode(), start + timedelta(minutes=1)))
    for index, items in enumerate(exchanges):
        target = root / warc_path(index)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as handle:
            writer = WARCWriter(handle, gzip=True, warc_version="1.1")
            writer.write_record(writer.create_warcinfo_record(target.name, {"isPartOf": "CC-NEWS"}))
            for url, status, ctype, body, captured in sorted(items, key=lambda e: e[4]):
                write_exchange(writer, url, status, ctype, body, captured)
    listing = "".join(f"{warc_path(i)}\n" for i in range(len(FILE_STARTS)))
    (root / listing_path(2026, 11)).write_bytes(gzip.compress(listing.encode()))
    return Archive(root, base, captures)


class RangeHandler(BaseHTTPRequestHandler):
    """Static files of the archive folder, with HEAD and single byte ranges (as S3 and CC)."""

    root: Path
    ranges = True  # False: a server that ignores Range and always sends the whole file

    def do_HEAD(self) -> None:
        self.serve(head=True)

    def do_GET(self) -> None:
        self.serve(head=False)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def serve(self, head: bool) -> None:
        target = (self.root / urlsplit(self.path).path.lstrip("/")).resolve()
        if not target.is_relative_to(self.root.resolve()) or not target.is_file():
            self.send_error(404)
            return
        data = target.read_bytes()
        start, end, status = 0, len(data), 200
        wanted = self.headers.get("Range", "")
        if self.ranges and wanted.startswith("bytes="):
            first, _, last = wanted[len("bytes="):].partition("-")
            start, status = int(first), 206
            end = int(last) + 1 if last else len(data)
        self.send_response(status)
        self.send_header("Content-Length", str(end - start))
        self.send_header("Content-Type", "application/octet-stream")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
        self.end_headers()
        if not head:
            self.wfile.write(data[start:end])


@contextlib.contextmanager
def serve_archive(archive: Archive, ranges: bool) -> Iterator[str]:
    """The archive on a loopback HTTP server; yields its base URL."""
    handler = type("Handler", (RangeHandler,), {"root": archive.root, "ranges": ranges})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def lake_fingerprint(root: Path) -> dict[str, str]:
    """SHA-256 of every Parquet file of the lake's articles, by path."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / "articles").rglob("*.parquet"))}


def path_of(url: str) -> str:
    """A URL's path without its trailing slash (the demo truth's key)."""
    return urlsplit(url).path.rstrip("/")


def check_lake_is_the_truth(root: Path, days: list[date]) -> None:
    """The lake holds exactly the demo truth of ``days``, field by field, and nothing else."""
    from transforms.lake import read_articles

    df = read_articles(root)
    truth = {p.rstrip("/"): a for day in days for p, a in expected_for_day(day).items()}
    assert sorted(path_of(u) for u in df["canonical_url"]) == sorted(truth)
    assert set(df["date"]) == set(days)
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in df["url"])
    for row in df.itertuples():
        art = truth[path_of(row.canonical_url)]
        assert row.source == art.source, row.url
        assert row.title == art.title, row.url
        assert list(row.authors) == list(art.authors), row.url
        assert row.published_at == art.published.astimezone(UTC), row.url
        assert row.published_offset == art.offset, row.url
        assert row.dateline == art.dateline, row.url
        assert row.body == art.body, row.url
        assert dict(row.provenance)["archive"] == "CC-NEWS", row.url
        path, _ = parse_raw_ref(row.raw_ref)
        assert path.startswith("crawl-data/CC-NEWS/2026/11/CC-NEWS-"), row.url
        captured = datetime.fromisoformat(dict(row.provenance)["captured_at"])
        assert row.crawled_at == captured >= row.published_at, row.url
