"""A loopback HTTP server for the bundled demo news sites.

Serves ``data/demo_sites/www`` on 127.0.0.1, replacing the ``{{BASE}}`` placeholder with the
server's own base URL in every text response (and inside ``.xml.gz`` files).  It answers
conditional requests (ETag / Last-Modified), logs every answer for tests, and lets tests make one
path misbehave with :meth:`DemoServer.set_override`.

CLI::

    python -m scrapers.demo.server [--port N] [--root DIR] [--ready-file PATH] [--verbose]

prints exactly one line ``NEWSFLOW_DEMO_BASE=http://127.0.0.1:PORT`` and serves until
SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import posixpath
import signal
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

PLACEHOLDER = b"{{BASE}}"
DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "data" / "demo_sites" / "www"
# Every file claims this modification time: stable across checkouts and restarts.
LAST_MODIFIED = datetime(2026, 11, 25, 0, 0, 0, tzinfo=UTC)

_TEXT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".json": "application/json",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}
_BINARY_TYPES = {
    ".gz": "application/gzip",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".gif": "image/gif",
}


@dataclass(frozen=True)
class Override:
    """How one path should misbehave; ``None`` fields keep the normal behaviour."""

    status: int | None = None
    body: bytes | None = None
    headers: dict[str, str] | None = None
    delay: float | None = None


def _content_type(path: Path, data: bytes) -> str:
    """Content-Type by extension; ``.xml`` feeds are sniffed (RSS vs Atom vs plain XML)."""
    suffix = path.suffix.lower()
    if suffix == ".xml":
        head = data[:600].lstrip()
        if b"<rss" in head:
            return "application/rss+xml"
        if b"<feed" in head:
            return "application/atom+xml"
    return _TEXT_TYPES.get(suffix) or _BINARY_TYPES.get(suffix) or "application/octet-stream"


def _substitute(path: Path, data: bytes, base: bytes) -> bytes:
    """Replace ``{{BASE}}`` in text files and inside gzip files (recompressed deterministically)."""
    suffix = path.suffix.lower()
    if suffix in _TEXT_TYPES:
        return data.replace(PLACEHOLDER, base)
    if suffix == ".gz":
        inner = gzip.decompress(data).replace(PLACEHOLDER, base)
        buf = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
            gz.write(inner)
        return buf.getvalue()
    return data


class _Handler(BaseHTTPRequestHandler):
    server: _DemoHTTPServer
    server_version = "newsflow-demo/1.0"
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")

    # -- internals
    def _serve(self, head: bool) -> None:
        demo = self.server.demo
        path = urlsplit(self.path).path
        override = demo._override_for(self.path, path)
        if override and override.delay:
            time.sleep(override.delay)
        if override and (override.status is not None or override.body is not None):
            status = override.status or 200
            body = override.body
            if body is None:
                body = HTTPStatus(status).phrase.encode()
            headers = {"Content-Type": "text/html; charset=utf-8"}
            headers.update(override.headers or {})
            self._send(status, body, headers, head)
            return
        extra = dict(override.headers) if override and override.headers else {}
        resolved = self._resolve(path)
        if resolved is None:
            self._send(404, b"<h1>404 Not Found</h1>", self._html(extra), head)
            return
        if isinstance(resolved, str):  # directory without trailing slash
            self._send(301, b"", {"Location": resolved, **extra}, head)
            return
        body, ctype, etag = demo._file(resolved)
        last_modified = format_datetime(LAST_MODIFIED, usegmt=True)
        headers = {"Content-Type": ctype, "ETag": etag, "Last-Modified": last_modified}
        headers.update(extra)
        if self._not_modified(etag):
            headers.pop("Content-Type")
            self._send(304, b"", headers, head=True)
            return
        self._send(200, body, headers, head)

    @staticmethod
    def _html(extra: dict[str, str]) -> dict[str, str]:
        return {"Content-Type": "text/html; charset=utf-8", **extra}

    def _resolve(self, url_path: str) -> Path | str | None:
        """The file for a URL path, a redirect target (str), or None for 404."""
        root = self.server.demo.root
        clean = posixpath.normpath(unquote(url_path))
        if clean.startswith("..") or "\x00" in clean:
            return None
        target = (root / clean.lstrip("/")).resolve()
        if target != root and root not in target.parents:
            return None
        if target.is_dir():
            if not url_path.endswith("/"):
                return url_path + "/"
            target = target / "index.html"
        return target if target.is_file() else None

    def _not_modified(self, etag: str) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
            return "*" in tags or etag in tags
        ims = self.headers.get("If-Modified-Since")
        if ims:
            try:
                since = parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                return False
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
            return since >= LAST_MODIFIED
        return False

    def _send(self, status: int, body: bytes, headers: dict[str, str], head: bool) -> None:
        # Log first, so a client that has its answer always finds it in the log.
        self.server.demo._log(self.command, self.path, status)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and status not in (204, 304):
            self.wfile.write(body)


class _DemoHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr: tuple[str, int], demo: DemoServer, verbose: bool) -> None:
        self.demo = demo
        self.verbose = verbose
        super().__init__(addr, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up (as crawlers and timeouts do) is not a server error."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class DemoServer:
    """A running demo server: ``base_url``, request log, overrides; stop() or use as context."""

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 0, verbose: bool = False):
        self.root = Path(root).resolve()
        if not (self.root / "robots.txt").is_file():
            raise FileNotFoundError(f"{self.root} is not a demo site build (no robots.txt)")
        self._lock = threading.Lock()
        self._requests: list[tuple[str, str, int]] = []
        self._overrides: dict[str, Override] = {}
        self._cache: dict[Path, tuple[bytes, str, str]] = {}
        self._httpd = _DemoHTTPServer((host, port), self, verbose)
        bound_host, bound_port = self._httpd.server_address[:2]
        self.host = str(bound_host)
        self.port = int(bound_port)
        self.base_url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name=f"demo-server-{self.port}", daemon=True
        )
        self._thread.start()

    # -- lifecycle
    def stop(self) -> None:
        """Stop serving and close the socket (idempotent)."""
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()

    def __enter__(self) -> DemoServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- request log
    @property
    def requests(self) -> list[tuple[str, str, int]]:
        """A snapshot of ``(method, path-with-query, status)`` for every answered request."""
        with self._lock:
            return list(self._requests)

    def reset_log(self) -> None:
        """Forget all logged requests."""
        with self._lock:
            self._requests.clear()

    def count(self, prefix: str = "/", method: str | None = None) -> int:
        """Number of logged requests whose path starts with ``prefix``."""
        return sum(
            1 for m, p, _ in self.requests
            if p.startswith(prefix) and (method is None or m == method)
        )

    def _log(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self._requests.append((method, path, status))

    # -- fault injection
    def set_override(
        self, path: str, status: int | None = None, body: bytes | str | None = None,
        headers: dict[str, str] | None = None, delay: float | None = None,
    ) -> None:
        """Make one path misbehave; ``path`` matches the path with query first, then without.

        ``body`` strings are UTF-8 encoded and get ``{{BASE}}`` substituted.
        """
        if isinstance(body, str):
            body = body.encode("utf-8").replace(PLACEHOLDER, self.base_url.encode())
        with self._lock:
            self._overrides[path] = Override(status, body, dict(headers or {}) or None, delay)

    def clear_overrides(self) -> None:
        """Remove every override."""
        with self._lock:
            self._overrides.clear()

    def _override_for(self, raw_path: str, path: str) -> Override | None:
        with self._lock:
            return self._overrides.get(raw_path) or self._overrides.get(path)

    # -- files
    def _file(self, path: Path) -> tuple[bytes, str, str]:
        """Served bytes, content type and ETag of a file (cached)."""
        with self._lock:
            hit = self._cache.get(path)
        if hit:
            return hit
        raw = path.read_bytes()
        body = _substitute(path, raw, self.base_url.encode())
        entry = (body, _content_type(path, raw), f'"{hashlib.sha256(body).hexdigest()[:32]}"')
        with self._lock:
            self._cache[path] = entry
        return entry


def serve_demo_sites(
    root: Path = DEFAULT_ROOT, host: str = "127.0.0.1", port: int = 0, verbose: bool = False
) -> DemoServer:
    """Start serving the demo sites in a daemon thread and return the running server."""
    return DemoServer(root, host, port, verbose)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description="Serve the newsflow demo news sites on loopback.")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="site directory")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--ready-file", type=Path, help="write the base URL here once serving")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)

    server = serve_demo_sites(args.root, args.host, args.port, args.verbose)
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    print(f"NEWSFLOW_DEMO_BASE={server.base_url}", flush=True)
    if args.ready_file:
        tmp = args.ready_file.with_name(args.ready_file.name + ".tmp")
        tmp.write_text(server.base_url + "\n", encoding="utf-8")
        tmp.replace(args.ready_file)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
