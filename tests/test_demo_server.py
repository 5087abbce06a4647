"""The loopback demo server: placeholders, content types, revalidation, log, overrides, CLI."""

from __future__ import annotations

import gzip
import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from scrapers.demo.build_sites import REPO_ROOT
from scrapers.demo.server import DemoServer, serve_demo_sites


@pytest.fixture(scope="module")
def server() -> Iterator[DemoServer]:
    with serve_demo_sites() as srv:
        yield srv


@pytest.fixture(autouse=True)
def _clean(server: DemoServer) -> Iterator[None]:
    server.clear_overrides()
    server.reset_log()
    yield
    server.clear_overrides()


def fetch(
    server: DemoServer, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    """One raw HTTP request (no redirects followed, no path normalisation)."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_base_url_is_loopback_with_free_port(server: DemoServer) -> None:
    parts = urlsplit(server.base_url)
    assert parts.hostname == "127.0.0.1" and parts.port == server.port and server.port > 0


def test_rss_feed_has_base_substituted(server: DemoServer) -> None:
    status, headers, body = fetch(server, "/indus-chronicle/feed/rss.xml")
    assert status == 200
    assert headers["content-type"] == "application/rss+xml"
    assert b"{{BASE}}" not in body
    assert f"<link>{server.base_url}/indus-chronicle/".encode() in body
    assert headers["content-length"] == str(len(body))


@pytest.mark.parametrize(
    ("path", "ctype"),
    [
        ("/ganga-times/feeds/latest.atom", "application/atom+xml"),
        ("/himalaya-post/rss.xml", "application/rss+xml"),
        ("/padma-herald/sitemap_index.xml", "application/xml"),
        ("/ganga-times/sitemaps/news.xml", "application/xml"),
        ("/ganga-times/2026/11/20/rupee-ends-flat-as-oil-prices-steady.html",
         "text/html; charset=utf-8"),
        ("/robots.txt", "text/plain; charset=utf-8"),
        ("/ganga-times/sitemaps/sitemap-2026-11.xml.gz", "application/gzip"),
    ],
)
def test_content_types(server: DemoServer, path: str, ctype: str) -> None:
    status, headers, _ = fetch(server, path)
    assert (status, headers["content-type"]) == (200, ctype)


def test_directory_serves_index_and_redirects_without_slash(server: DemoServer) -> None:
    status, headers, body = fetch(server, "/indus-chronicle/archive/2026-11-20/")
    assert status == 200 and b"Archive for 20 November 2026" in body
    assert b"{{BASE}}" not in body
    status, headers, _ = fetch(server, "/indus-chronicle/archive/2026-11-20")
    assert status == 301 and headers["location"] == "/indus-chronicle/archive/2026-11-20/"


def test_query_string_is_ignored_for_files(server: DemoServer) -> None:
    path = (
        "/indus-chronicle/2026/11/21/"
        "cabinet-approves-winter-relief-package-for-northern-districts/"
    )
    _, _, plain = fetch(server, path)
    status, _, tracked = fetch(server, path + "?utm_source=rss&utm_medium=feed")
    assert status == 200 and tracked == plain
    canonical = f'<link rel="canonical" href="{server.base_url}{path}">'.encode()
    assert canonical in tracked


def test_404_and_traversal(server: DemoServer) -> None:
    assert fetch(server, "/no-such-outlet/")[0] == 404
    assert fetch(server, "/ganga-times/2026/11/20/missing.html")[0] == 404
    assert fetch(server, "/../pyproject.toml")[0] == 404
    assert fetch(server, "/%2e%2e/%2e%2e/pyproject.toml")[0] == 404
    assert ("GET", "/no-such-outlet/", 404) in server.requests


def test_robots_txt(server: DemoServer) -> None:
    status, _, body = fetch(server, "/robots.txt")
    text = body.decode()
    assert status == 200
    assert "Disallow: /indus-chronicle/private/" in text
    assert f"Sitemap: {server.base_url}/ganga-times/sitemap.xml" in text


def test_gz_sitemap_is_substituted_inside(server: DemoServer) -> None:
    status, _, body = fetch(server, "/ganga-times/sitemaps/sitemap-2026-11.xml.gz")
    inner = gzip.decompress(body)
    assert status == 200 and b"<urlset" in inner
    assert b"{{BASE}}" not in inner
    assert f"<loc>{server.base_url}/ganga-times/2026/11/18/".encode() in inner
    assert fetch(server, "/ganga-times/sitemaps/sitemap-2026-11.xml.gz")[2] == body  # stable


def test_conditional_requests(server: DemoServer) -> None:
    path = "/ganga-times/feeds/latest.atom"
    status, headers, _ = fetch(server, path)
    etag, last_modified = headers["etag"], headers["last-modified"]
    assert status == 200 and etag.startswith('"') and last_modified.endswith("GMT")
    status, headers304, body304 = fetch(server, path, {"If-None-Match": etag})
    assert (status, body304) == (304, b"")
    assert headers304["etag"] == etag
    assert fetch(server, path, {"If-None-Match": '"other"'})[0] == 200
    assert fetch(server, path, {"If-Modified-Since": last_modified})[0] == 304
    assert fetch(server, path, {"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"})[0] == 200
    # If-None-Match wins over If-Modified-Since
    both = {"If-None-Match": '"other"', "If-Modified-Since": last_modified}
    assert fetch(server, path, both)[0] == 200
    assert [s for _, _, s in server.requests] == [200, 304, 200, 304, 200, 200]


def test_last_modified_is_stable_across_restarts(server: DemoServer) -> None:
    path = "/padma-herald/sitemaps/2026-11-20.xml"
    first = fetch(server, path)[1]["last-modified"]
    with serve_demo_sites() as other:
        second = fetch(other, path)[1]["last-modified"]
        assert other.port != server.port
    assert first == second


def test_head_request(server: DemoServer) -> None:
    status, headers, body = fetch(server, "/ganga-times/sitemap.xml", method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0
    assert server.requests == [("HEAD", "/ganga-times/sitemap.xml", 200)]


def test_request_log_and_count(server: DemoServer) -> None:
    fetch(server, "/padma-herald/")
    fetch(server, "/padma-herald/latest/")
    fetch(server, "/ganga-times/")
    assert server.count("/padma-herald/") == 2
    assert server.count() == 3
    server.reset_log()
    assert server.requests == []


def test_overrides(server: DemoServer) -> None:
    path = "/himalaya-post/rss.xml"
    server.set_override(path, status=503, headers={"Retry-After": "1"})
    status, headers, _ = fetch(server, path)
    assert status == 503 and headers["retry-after"] == "1"
    server.set_override(path, body="<rss>{{BASE}}</rss>")
    status, _, body = fetch(server, path)
    assert status == 200 and body == f"<rss>{server.base_url}</rss>".encode()
    server.set_override(path, headers={"X-Test": "yes"}, delay=0.3)
    start = time.monotonic()
    status, headers, body = fetch(server, path)
    assert time.monotonic() - start >= 0.3
    assert status == 200 and headers["x-test"] == "yes" and b"<rss" in body
    server.set_override("/no/such/page.html", status=200, body=b"made up")
    assert fetch(server, "/no/such/page.html")[2] == b"made up"
    server.clear_overrides()
    status, headers, _ = fetch(server, path)
    assert status == 200 and "x-test" not in headers
    assert [s for _, _, s in server.requests] == [503, 200, 200, 200, 200]


def test_cli_prints_base_and_stops_on_sigterm(tmp_path: Path) -> None:
    ready = tmp_path / "ready.txt"
    proc = subprocess.Popen(
        [sys.executable, "-m", "scrapers.demo.server", "--ready-file", str(ready)],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("NEWSFLOW_DEMO_BASE=http://127.0.0.1:")
        base = line.split("=", 1)[1]
        for _ in range(50):
            if ready.exists():
                break
            time.sleep(0.05)
        assert ready.read_text().strip() == base
        parts = urlsplit(base)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        conn.request("GET", "/robots.txt")
        assert conn.getresponse().status == 200
        conn.close()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert out == ""  # exactly one line was printed
    assert err == ""  # quiet: no per-request logging


def test_client_resets_are_not_reported_as_errors(capsys) -> None:
    """Crawlers hang up mid-connection; the server must stay quiet about it."""
    import socket
    import struct

    with serve_demo_sites() as srv:
        port = int(srv.base_url.rsplit(":", 1)[1])
        for _ in range(3):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(b"GET /robots.txt HTTP/1.1\r\nHost: demo\r\n\r\n")
            sock.recv(64)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()  # an RST, not a polite FIN
        time.sleep(0.3)
    assert "Traceback" not in capsys.readouterr().err
