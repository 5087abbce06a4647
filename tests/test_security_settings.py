"""Security settings, tested: no telnet console or remote control (no listening port at all),
robots.txt obeyed, only http/https fetched, no private addresses for real-outlet registries,
and no credentials in the repository.
"""

from __future__ import annotations

import re
import socket
import subprocess
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psutil
import pytest
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request

from scrapers.middlewares import AddressGuardMiddleware
from scrapers.tasks.crawl import CrawlFailed, CrawlResult
from tests.fault_server import (
    FaultServer,
    article_html,
    crawl,
    distinct_text,
    failures,
    fault_servers,
    load_stats,
    ok,
    outlet,
    published,
    redirect,
    rss,
    stall,
    write_registry,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PASSWD = Path("/etc/passwd")


# -- settings -----------------------------------------------------------------------------


def project_settings() -> Any:
    """The settings a ``scrapy crawl`` of this project starts from."""
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("scrapers.settings", priority="project")
    return settings


def test_remote_shells_are_off_and_robots_obeyed() -> None:
    settings = project_settings()
    assert settings.getbool("TELNETCONSOLE_ENABLED") is False
    assert settings.getbool("REMOTE_CONTROL_ENABLED") is False
    assert settings.getbool("ROBOTSTXT_OBEY") is True
    assert settings.getbool("COOKIES_ENABLED") is False


def test_only_http_download_handlers_exist() -> None:
    handlers = project_settings().getdict("DOWNLOAD_HANDLERS")
    for scheme in ("file", "ftp", "s3", "data"):
        assert handlers.get(scheme, "missing") is None, scheme


def test_the_real_outlet_registry_forbids_private_addresses() -> None:
    from scrapers.sources import load_registry

    registry = load_registry(PROJECT_ROOT / "scrapers" / "sources.yaml")
    assert registry.allow_private_addresses is False


# -- the address guard --------------------------------------------------------------------


def guard(allow_private: bool) -> tuple[AddressGuardMiddleware, dict[str, int]]:
    """An AddressGuardMiddleware over a stub crawler; returns it and its stats dict."""
    counted: dict[str, int] = {}
    stats = SimpleNamespace(inc_value=lambda key, n=1: counted.__setitem__(
        key, counted.get(key, 0) + n))
    settings = SimpleNamespace(getbool=lambda key, default=False: allow_private)
    crawler = SimpleNamespace(stats=stats, settings=settings)
    return AddressGuardMiddleware(crawler), counted  # type: ignore[arg-type]


@pytest.fixture
def no_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the guard resolve numeric host forms only: no query ever leaves the machine."""
    real = socket.getaddrinfo

    def numeric_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        return real(host, None, flags=socket.AI_NUMERICHOST)

    monkeypatch.setattr("scrapers.middlewares.socket.getaddrinfo", numeric_only)
    from scrapers.middlewares import is_private_host

    is_private_host.cache_clear()


PRIVATE = [
    "http://127.0.0.1/", "http://127.0.0.1:8080/admin", "http://localhost/",
    "http://app.localhost/", "http://10.1.2.3/", "http://172.16.0.1/", "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/", "http://100.100.100.200/latest/meta-data/",
    "http://0.0.0.0/", "http://[::1]/", "http://[fe80::1]/", "http://[fd00::1]/",
    "http://[::ffff:127.0.0.1]/", "http://127.1/", "http://2130706433/", "http://0x7f000001/",
    "https://224.0.0.1/",
]


@pytest.mark.parametrize("url", PRIVATE)
@pytest.mark.usefixtures("no_dns")
def test_the_guard_refuses_private_addresses_for_real_outlets(url: str) -> None:
    middleware, counted = guard(allow_private=False)
    with pytest.raises(IgnoreRequest, match="refused private address"):
        middleware.process_request(Request(url))
    assert counted == {"newsflow/refused/private_address": 1}


@pytest.mark.usefixtures("no_dns")
def test_the_guard_lets_test_registries_use_loopback_and_public_hosts_through() -> None:
    loopback, _ = guard(allow_private=True)
    assert loopback.process_request(Request("http://127.0.0.1:9/")) is None
    public, _ = guard(allow_private=False)
    assert public.process_request(Request("https://93.184.216.34/news/")) is None


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "s3://bucket/key",
                                 "data:text/html,hello"])
def test_the_guard_refuses_other_schemes(url: str) -> None:
    for allow in (True, False):
        middleware, counted = guard(allow_private=allow)
        with pytest.raises(IgnoreRequest, match="refused scheme"):
            middleware.process_request(Request(url))
        assert counted == {"newsflow/refused/scheme": 1}


# -- a real crawl -------------------------------------------------------------------------


def listening_ports(pid: int) -> set[int]:
    """TCP ports a process listens on."""
    try:
        conns = psutil.Process(pid).net_connections(kind="inet")
    except psutil.Error:
        return set()
    return {c.laddr.port for c in conns if c.status == psutil.CONN_LISTEN}


def crawl_children() -> list[psutil.Process]:
    """Running ``scrapy crawl`` children of this process."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "scrapy" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:
            continue
    return found


class Watched:
    """A crawl run in a thread while the test samples its process for listening sockets."""

    def __init__(self, source: str, registry: Path, settings: dict[str, str]) -> None:
        self.result: CrawlResult | None = None
        self.error: BaseException | None = None
        self.samples = 0
        self.listening: set[int] = set()
        self._thread = threading.Thread(target=self._run, args=(source, registry, settings))

    def _run(self, source: str, registry: Path, settings: dict[str, str]) -> None:
        try:
            self.result = crawl(source, registry, extra_settings=settings)
        except BaseException as exc:
            self.error = exc

    def watch(self, server: FaultServer) -> Watched:
        """Run the crawl; sample listening ports once the crawl talks to ``server``."""
        self._thread.start()
        while self._thread.is_alive():
            if server.hits():
                for child in crawl_children():
                    self.listening |= listening_ports(child.pid)
                    self.samples += 1
            time.sleep(0.05)
        self._thread.join()
        return self


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One loopback outlet with robots rules, non-http links and redirects; crawled once."""
    mp = pytest.MonkeyPatch()
    tmp = tmp_path_factory.mktemp("security")
    mp.setenv("NEWSFLOW_LAKE", str(tmp / "lake"))
    mp.setenv("NEWSFLOW_STAGING", str(tmp / "staging"))
    try:
        with fault_servers(1) as (site,):
            site.route("/robots.txt", ok("User-agent: *\nDisallow: /news/private/\n",
                                         "text/plain"))
            items = []
            for name in ("public", "private/secret"):
                page = article_html(f"Story {name}", published(10), body_text=distinct_text(name))
                items.append((site.route(f"/news/{name}/", ok(page)), name, published(11)))
            items.append((site.route("/news/slow/", stall(4)), "slow", published(11)))
            items.append((site.route("/news/to-file/", redirect("file:///etc/passwd")), "f",
                          published(11)))
            items.append((site.route("/news/to-ftp/", redirect(f"ftp://127.0.0.1:{site.port}/x")),
                          "ftp", published(11)))
            items += [("file:///etc/passwd", "file", published(11)),
                      (f"ftp://127.0.0.1:{site.port}/news/ftp/", "ftp2", published(11))]
            site.route("/feed.xml", ok(rss(items), "application/rss+xml"))
            registry = write_registry(tmp / "sources.yaml",
                                      [outlet("secure-outlet", site,
                                              feeds=[site.url("/feed.xml")])])
            watched = Watched("secure-outlet", registry, {"DOWNLOAD_TIMEOUT": "2"}).watch(site)
            yield SimpleNamespace(site=site, watched=watched, tmp=tmp,
                                  stats=load_stats("secure-outlet")["stats"])
    finally:
        mp.undo()


def test_a_crawl_opens_no_listening_port(secured: Any) -> None:
    assert secured.watched.error is None, secured.watched.error
    assert secured.watched.samples >= 5  # the crawl was really watched while it ran
    assert secured.watched.listening == set()
    log = Path(secured.watched.result.stats_path).with_suffix("").with_suffix(".log")
    text = log.read_text(encoding="utf-8")
    assert "TelnetConsole" not in text and "RemoteControl" not in text.replace(
        "REMOTE_CONTROL", "")


def test_robots_txt_is_obeyed(secured: Any) -> None:
    assert secured.site.hits("/robots.txt")
    assert secured.site.hits("/news/private/secret/") == []
    assert secured.stats["newsflow/robots_refused/article"] == 1
    assert secured.site.hits("/news/public/")


def test_only_http_and_https_are_fetched(secured: Any) -> None:
    assert secured.stats["newsflow/documents/errors/missing_link"] == 1  # file: and ftp: items
    assert failures(secured.stats)["redirect_scheme"] == 2  # redirects to file: and ftp:
    assert secured.stats["newsflow/redirects/scheme"] == 2
    assert not [h for h in secured.site.hits() if h.path in ("/x", "/news/ftp/")]
    markers = ["root:x:0:0", "/usr/sbin/nologin"]
    for path in secured.tmp.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("latin-1")
            assert not any(m in text for m in markers), path


def test_a_real_outlet_registry_never_fetches_a_private_address(tmp_path: Path,
                                                                 lake: Path) -> None:
    with fault_servers(1) as (site,):
        site.route("/feed.xml", ok(rss([(site.url("/news/a/"), "a", published(11))]),
                                   "application/rss+xml"))
        registry = write_registry(tmp_path / "real.yaml",
                                  [outlet("real-outlet", site, feeds=[site.url("/feed.xml")])],
                                  allow_private=False)
        with pytest.raises(CrawlFailed, match=r"refused private address: http://127\.0\.0\.1"):
            crawl("real-outlet", registry)
        assert site.hits() == []  # not even robots.txt
    stats = load_stats("real-outlet")["stats"]
    assert stats["newsflow/refused/private_address"] >= 1


# -- credentials --------------------------------------------------------------------------

# Built from pieces so that this file does not match its own patterns.
_KEY = "PRIV" + "ATE KEY"
SECRET_PATTERNS = {
    "private key": re.compile("-----BEGIN (?:[A-Z0-9]+ )*" + _KEY + "-----"),
    "AWS access key id": re.compile(r"\b(?:AK" + r"IA|AS" + r"IA)[0-9A-Z]{16}\b"),
    "AWS secret key": re.compile(r"(?i)aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+=]{40}"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "password in URL": re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:([^/\s:@'\"]{3,})@"),
    "hard-coded password": re.compile(
        r"(?i)\b(?:pass" r"word|passwd|secret|api_?key|auth_?token)\b['\"]?\s*[:=]\s*"
        r"['\"]([^'\"\s{}$<>]{6,})['\"]"
    ),
}
HARMLESS = {"testing", "example", "changeme"}  # moto's and docs' placeholder values
PLACEHOLDER = re.compile(r"[*xX._-]+|<[^>]*>|\$\{?[A-Za-z_]+\}?|%\([a-z_]+\)s")


def is_placeholder(value: str) -> bool:
    """True for a redacted or templated value (``***``, ``<password>``, ``${PASS}``)."""
    return value.lower() in HARMLESS or PLACEHOLDER.fullmatch(value) is not None


def repository_files() -> list[Path]:
    """Tracked files plus new files that are not ignored (what a commit would hold)."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout
    return [PROJECT_ROOT / name for name in out.split("\0") if name]


def test_no_credentials_in_the_repository() -> None:
    files = repository_files()
    assert len(files) > 50
    found = []
    for path in files:
        if not path.is_file() or path.stat().st_size > 5_000_000:
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        for name, pattern in SECRET_PATTERNS.items():
            for match in pattern.finditer(text):
                if not is_placeholder(match.group(match.lastindex or 0)):
                    where = path.relative_to(PROJECT_ROOT)
                    found.append(f"{where}: {name}: {match.group(0)[:60]}")
    assert not found, "\n".join(found)


def test_the_secret_scan_would_catch_a_leak() -> None:
    samples = {
        "private key": "-----BEGIN RSA " + _KEY + "-----\nMIIE...",
        "AWS access key id": "key = 'AK" + "IAIOSFODNN7EXAMPLE'",
        "password in URL": "postgres://newsflow:" + "s3cr3tpw@db.internal/newsflow",
        "hard-coded password": 'PASS' + 'WORD = "hunter2hunter2"',
    }
    for name, text in samples.items():
        match = SECRET_PATTERNS[name].search(text)
        assert match and not is_placeholder(match.group(match.lastindex or 0)), name
    assert is_placeholder("***") and is_placeholder("<password>") and is_placeholder("${PW}")


def test_airflow_home_and_lake_are_not_committed() -> None:
    tracked = subprocess.run(["git", "ls-files", "airflow_home", "data/lake", "data/staging"],
                             cwd=PROJECT_ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    assert tracked == []
    ignored = subprocess.run(["git", "check-ignore", "airflow_home/airflow.cfg"],
                             cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    assert ignored.returncode == 0
