"""The real-outlet registry (scrapers/sources.yaml), registry validation errors, and
``python -m scrapers.check_sources`` against loopback hosts only (no real network)."""

from __future__ import annotations

import http.server
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import pytest
import yaml

import scrapers.sources as sources_module
from scrapers import check_sources
from scrapers.sources import Registry, RegistryError, Source, load_registry

REPO_ROOT = Path(__file__).resolve().parents[1]
REAL_REGISTRY = Path(sources_module.__file__).with_name("sources.yaml")

SOUTH_ASIAN_ZONES: dict[str, set[str]] = {
    "PK": {"Asia/Karachi"},
    "IN": {"Asia/Kolkata", "Asia/Calcutta"},
    "BD": {"Asia/Dhaka", "Asia/Dacca"},
    "NP": {"Asia/Kathmandu", "Asia/Katmandu"},
    "LK": {"Asia/Colombo"},
    "AF": {"Asia/Kabul"},
    "BT": {"Asia/Thimphu", "Asia/Thimbu"},
    "MV": {"Indian/Maldives"},
}
SOUTH_ASIAN_LANGUAGES = {"ur", "bn", "hi", "ne"}


# --------------------------------------------------------------------------- the real registry


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry(REAL_REGISTRY)


def _all_urls(source: Source, day: date = date(2024, 7, 8)) -> list[str]:
    return [
        source.homepage,
        *source.feeds,
        *source.sitemaps,
        *source.news_sitemaps,
        *(listing.url for listing in source.listings),
        *(archive.url_for(day) for archive in source.archives),
    ]


def _on_allowed_domain(host: str, domains: list[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def test_real_registry_loads_with_safe_top_level_settings(registry: Registry) -> None:
    assert registry.version == 1
    assert registry.allow_private_addresses is False
    assert len(registry.sources) >= 20
    assert len(set(registry.ids)) == len(registry.ids)


def test_every_country_is_covered(registry: Registry) -> None:
    countries = {s.country for s in registry.sources}
    assert set(SOUTH_ASIAN_ZONES) <= countries
    assert countries <= set(SOUTH_ASIAN_ZONES), "only South Asian outlets belong in this registry"


def test_named_outlets_are_present(registry: Registry) -> None:
    names = {s.name for s in registry.sources}
    for wanted in ("Dawn", "The Express Tribune", "The Kathmandu Post", "The South Asia Times"):
        assert wanted in names


def test_regional_languages(registry: Registry) -> None:
    languages = {lang for s in registry.sources for lang in s.languages}
    assert len(languages & SOUTH_ASIAN_LANGUAGES) >= 3
    regional = [s.id for s in registry.sources if s.languages[0] in SOUTH_ASIAN_LANGUAGES]
    assert len(regional) >= 3, regional
    english_first = [s for s in registry.sources if s.languages[0] == "en"]
    assert len(english_first) > len(registry.sources) / 2


@pytest.mark.parametrize("source_id", load_registry(REAL_REGISTRY).ids)
def test_outlet_entry_is_sane(registry: Registry, source_id: str) -> None:
    source = registry.get(source_id)
    assert source.timezone in SOUTH_ASIAN_ZONES[source.country], (source.id, source.timezone)
    assert source.region == "South Asia"
    for url in _all_urls(source):
        parts = urlsplit(url)
        assert parts.scheme == "https", (source.id, url)
        assert parts.hostname and _on_allowed_domain(parts.hostname, source.allowed_domains), (
            source.id,
            url,
        )
    assert source.feeds or source.sitemaps or source.news_sitemaps, "needs a machine-readable feed"
    assert source.article_url_pattern, "every real outlet declares its article URL shape"
    assert source.politeness.download_delay >= 1
    assert source.politeness.concurrency == 1
    assert source.politeness.autothrottle and source.politeness.obey_robots
    assert source.notes, "notes summarise the discovery strategies"
    if source.founded is not None:
        assert date(1800, 1, 1) < source.founded < date.today()


def test_archive_templates_render_for_any_day(registry: Registry) -> None:
    archives = [(s, a) for s in registry.sources for a in s.archives]
    assert len(archives) >= 4, "several outlets are date-addressed"
    for source, archive in archives:
        for day in (date(2020, 2, 29), date(2024, 12, 31)):
            url = archive.url_for(day)
            assert "{" not in url and "}" not in url
            assert day.strftime("%Y") in url, (source.id, url)
    sitemaps = [a for _, a in archives if a.kind == "sitemap"]
    assert sitemaps, "at least one daily sitemap archive"


def test_article_patterns_accept_known_article_urls(registry: Registry) -> None:
    """Sample URLs seen in public code (see the YAML comments) must count as articles."""
    samples = {
        "dawn": "https://www.dawn.com/news/1623815/science-tracking-the-changing-covid-19",
        "express-tribune": "https://tribune.com.pk/story/2310940/pakistan-sees-crypto-boom",
        "the-hindu": (
            "https://www.thehindu.com/business/markets/markets-decline-in-early-trade/"
            "article68380310.ece"
        ),
        "indian-express": (
            "https://indianexpress.com/article/business/market/"
            "indian-shares-record-high-after-sensex-breaches-80000-mark-9431868/"
        ),
        "kathmandu-post": (
            "https://kathmandupost.com/national/2021/09/27/"
            "buddha-air-plane-lands-safely-in-kathmandu-after-technical-glitch"
        ),
        "pajhwok": (
            "https://pajhwok.com/2021/08/15/5-more-provinces-including-nangarhar-fall-to-taliban/"
        ),
        "kantipur": "https://ekantipur.com/news/2020/12/30/16093229471786339.html",
        "bbc-urdu": "https://www.bbc.com/urdu/articles/clwdz287v89o",
        "the-edition": "https://edition.mv/news/9296",
    }
    for source_id, url in samples.items():
        source = registry.get(source_id)
        assert source.is_article_url(url), (source_id, url)
        assert not source.is_article_url(source.homepage), source_id


def test_every_url_in_the_yaml_says_where_it_can_be_seen() -> None:
    """Each URL line says where a maintainer can see it (a named repository path and the date it
    was checked) or that it is unverified; no opaque search-index ids."""
    url_line = re.compile(r"^\s*(?:-\s+)?(?:[a-z_]+:\s+)?https://")
    seen = re.compile(r"#\s*seen: (host of the feed below|[\w.-]+/[\w.-]+ \S+.*), "
                      r"checked \d{4}-\d{2}-\d{2}$")
    lines = REAL_REGISTRY.read_text(encoding="utf-8").splitlines()
    missing = [
        f"{number}: {line.strip()}"
        for number, line in enumerate(lines, 1)
        if url_line.match(line) and not (seen.search(line) or re.search(r"#\s*unverified: ", line))
    ]
    assert not missing, "\n".join(missing)
    opaque = [f"{n}: {line.strip()}" for n, line in enumerate(lines, 1)
              if "#" in line and "index id" in line.split("#", 1)[1]]
    assert not opaque, "\n".join(opaque)


# ------------------------------------------------------------------- registry validation errors


def _entry(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": "example",
        "name": "Example Times",
        "homepage": "https://example.com/",
        "country": "PK",
        "languages": ["en"],
        "timezone": "Asia/Karachi",
        "allowed_domains": ["example.com"],
        "feeds": ["https://example.com/feed"],
    }
    entry.update(overrides)
    return entry


def _write(tmp_path: Path, entries: list[dict[str, Any]], **top: Any) -> Path:
    path = tmp_path / "registry.yaml"
    path.write_text(yaml.safe_dump({"version": 1, **top, "sources": entries}), encoding="utf-8")
    return path


def _error(path: Path) -> str:
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    message = str(info.value)
    assert str(path) in message, message
    return message


def test_minimal_registry_is_valid(tmp_path: Path) -> None:
    registry = load_registry(_write(tmp_path, [_entry()]))
    assert registry.ids == ["example"]
    assert registry.allow_private_addresses is False


def test_bad_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("version: 1\nsources:\n  - id: dawn\n    name: [unclosed\n", encoding="utf-8")
    message = _error(path)
    assert "invalid YAML" in message
    assert "line" in message


def test_unknown_key_names_the_entry(tmp_path: Path) -> None:
    path = _write(tmp_path, [_entry(), _entry(id="second", colour="red")])
    message = _error(path)
    assert "entry #2" in message and "'second'" in message
    assert "colour" in message


def test_duplicate_ids_name_both_entries(tmp_path: Path) -> None:
    path = _write(tmp_path, [_entry(), _entry(name="Another")])
    message = _error(path)
    assert "entry #2" in message and "'example'" in message
    assert "duplicate id" in message and "entry #1" in message


@pytest.mark.parametrize("bad_id", ["../etc", "a/b", "Dawn", "", "/abs"])
def test_path_like_or_malformed_id_is_refused(tmp_path: Path, bad_id: str) -> None:
    path = _write(tmp_path, [_entry(id=bad_id)])
    message = _error(path)
    assert "entry #1" in message
    assert "id" in message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("homepage", "file:///etc/passwd"),
        ("feeds", ["ftp://example.com/feed.xml"]),
        ("sitemaps", ["file:///tmp/sitemap.xml"]),
        ("news_sitemaps", ["ftp://example.com/news.xml"]),
        ("listings", [{"url": "file:///tmp/list.html"}]),
        ("archives", [{"url_template": "ftp://example.com/{date:%Y-%m-%d}"}]),
    ],
)
def test_non_http_urls_are_refused(tmp_path: Path, field: str, value: Any) -> None:
    path = _write(tmp_path, [_entry(**{field: value})])
    message = _error(path)
    assert "entry #1" in message and "'example'" in message
    assert field in message
    assert "http or https" in message


def test_unset_environment_variable_names_the_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSFLOW_TEST_UNSET_BASE", raising=False)
    path = _write(tmp_path, [_entry(), _entry(id="demo", homepage="${NEWSFLOW_TEST_UNSET_BASE}/")])
    message = _error(path)
    assert "entry #2" in message and "'demo'" in message
    assert "NEWSFLOW_TEST_UNSET_BASE" in message and "not set" in message


def test_set_environment_variable_is_expanded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSFLOW_TEST_BASE", "https://example.com")
    path = _write(tmp_path, [_entry(feeds=["${NEWSFLOW_TEST_BASE}/rss"])])
    assert load_registry(path).get("example").feeds == ["https://example.com/rss"]


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    _error(tmp_path / "nope.yaml")


# ------------------------------------------------------------------------------ check_sources


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _local_registry(tmp_path: Path, base: str, *, allow_private: bool, **extra: Any) -> Path:
    entry = _entry(
        id="local",
        name="Loopback Gazette",
        homepage=f"{base}/",
        allowed_domains=["127.0.0.1"],
        **{"feeds": [f"{base}/feed"], **extra},
    )
    return _write(tmp_path, [entry], allow_private_addresses=allow_private)


def test_check_sources_reports_unreachable_host_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = _closed_port()
    path = _local_registry(tmp_path, f"http://127.0.0.1:{port}", allow_private=True)
    status = check_sources.main(["--registry", str(path), "--timeout", "2"])
    out = capsys.readouterr().out
    assert status == 1
    assert out.splitlines() == ["FAIL local: host 127.0.0.1 cannot be reached (connection refused)"]


def test_check_sources_cli_fails_cleanly_without_traceback(tmp_path: Path) -> None:
    port = _closed_port()
    path = _local_registry(tmp_path, f"http://127.0.0.1:{port}", allow_private=True)
    done = subprocess.run(
        [sys.executable, "-m", "scrapers.check_sources", "--registry", str(path), "--timeout", "2"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("FAIL local: host 127.0.0.1 cannot be reached (")


def test_check_sources_refuses_loopback_unless_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _local_registry(tmp_path, f"http://127.0.0.1:{_closed_port()}", allow_private=False)
    assert check_sources.main(["--registry", str(path), "--timeout", "2"]) == 1
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("FAIL local: host 127.0.0.1 cannot be reached (")
    assert "non-public address 127.0.0.1" in line


def test_check_sources_bad_registry_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("sources: [\n", encoding="utf-8")
    assert check_sources.main(["--registry", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("FAIL registry:") and str(path) in captured.err


_ITEMS = "".join(f"<item><link>/news/{n}</link></item>" for n in range(3))
_SITEMAP_INDEX = ("<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
                  "<sitemap><loc>/a.xml</loc></sitemap><sitemap><loc>/b.xml</loc></sitemap>"
                  "</sitemapindex>")
_URLSET = ("<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'><url><loc>/news/1</loc>"
           "</url></urlset>")


class _Handler(http.server.BaseHTTPRequestHandler):
    """Loopback outlet: robots.txt (naming /sitemap-index.xml), an empty /feed, an RSS feed, an
    Atom feed, two sitemaps and an HTML page exist; /redirect-out redirects to 127.0.0.2;
    everything else is 404."""

    seen_agents: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.seen_agents.append(self.headers.get("User-Agent", ""))
        port = self.server.server_address[1]
        bodies = {
            "/robots.txt": f"User-agent: *\nAllow: /\nSitemap: http://127.0.0.1:{port}"
                           "/sitemap-index.xml\n".encode(),
            "/feed": b"<?xml version='1.0'?><rss version='2.0'><channel/></rss>",
            "/rss": f"<rss version='2.0'><channel>{_ITEMS}</channel></rss>".encode(),
            "/atom": b"<feed xmlns='http://www.w3.org/2005/Atom'><entry/></feed>",
            "/sitemap-index.xml": _SITEMAP_INDEX.encode(),
            "/urls.xml": _URLSET.encode(),
            "/page.html": b"<html><body><p>Not a feed</p></body></html>",
        }
        if self.path == "/redirect-out":
            port = self.server.server_address[1]
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.2:{port}/feed")
            self.end_headers()
            return
        body = bodies.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def local_outlet() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_check_sources_ok_and_warn_lines_against_a_loopback_outlet(
    tmp_path: Path, local_outlet: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ok = _local_registry(tmp_path, local_outlet, allow_private=True)
    assert check_sources.main(["--registry", str(ok), "--timeout", "5"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "OK local robots=200 feeds=1/1 sitemaps=0/0",
        f"  robots {local_outlet}/robots.txt: HTTP 200, names 1 sitemap",
        f"  feed {local_outlet}/feed: RSS with 0 items",
    ]
    assert _Handler.seen_agents[-1] == check_sources.USER_AGENT

    warn = _local_registry(
        tmp_path, local_outlet, allow_private=True, sitemaps=[f"{local_outlet}/sitemap.xml"]
    )
    assert check_sources.main(["--registry", str(warn), "--timeout", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        f"WARN local robots=200 feeds=1/1 sitemaps=0/1 ({local_outlet}/sitemap.xml: HTTP 404)"
    )
    assert lines[-1] == f"  sitemap {local_outlet}/sitemap.xml: HTTP 404"


def test_check_sources_prints_what_it_verified_per_url(
    tmp_path: Path, local_outlet: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each feed and sitemap is parsed: its kind and entry count, and whether robots.txt names
    it; an answer that is not what the registry lists it as makes the outlet WARN."""
    path = _local_registry(
        tmp_path, local_outlet, allow_private=True,
        feeds=[f"{local_outlet}/rss", f"{local_outlet}/atom", f"{local_outlet}/page.html"],
        sitemaps=[f"{local_outlet}/sitemap-index.xml", f"{local_outlet}/rss"],
        news_sitemaps=[f"{local_outlet}/urls.xml"],
    )
    assert check_sources.main(["--registry", str(path), "--timeout", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("WARN local robots=200 feeds=2/3 sitemaps=2/3 (")
    assert lines[1:] == [
        f"  robots {local_outlet}/robots.txt: HTTP 200, names 1 sitemap",
        f"  feed {local_outlet}/rss: RSS with 3 items",
        f"  feed {local_outlet}/atom: Atom with 1 item",
        f"  feed {local_outlet}/page.html: HTTP 200, an XML document with root <html>, "
        "neither a feed nor a sitemap",
        f"  sitemap {local_outlet}/sitemap-index.xml: sitemap index of 2 sitemaps, "
        "named in robots.txt",
        f"  sitemap {local_outlet}/rss: HTTP 200, an RSS feed, not a sitemap",
        f"  sitemap {local_outlet}/urls.xml: sitemap of 1 URL",
    ]


def test_check_sources_refuses_redirects_to_non_public_addresses(
    tmp_path: Path,
    local_outlet: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Pretend 127.0.0.1 is a public address and 127.0.0.2 is not, so that a registry which does
    # not allow private addresses can talk to the loopback outlet but not follow its redirect.
    monkeypatch.setattr(check_sources, "_is_public", lambda address: address == "127.0.0.1")
    path = _local_registry(
        tmp_path, local_outlet, allow_private=False, news_sitemaps=[f"{local_outlet}/redirect-out"]
    )
    assert check_sources.main(["--registry", str(path), "--timeout", "5"]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith("WARN local robots=200 feeds=1/1 sitemaps=0/1 (")
    assert f"{local_outlet}/redirect-out: redirected to http://127.0.0.2:" in line
    assert "non-public address 127.0.0.2" in line


def test_check_sources_deadline_bounds_a_silent_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A listening socket that never answers: the TCP connect succeeds, the HTTP read would wait
    # for the full per-request timeout, so the overall deadline has to cut it short.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        base = f"http://127.0.0.1:{silent.getsockname()[1]}"
        path = _local_registry(tmp_path, base, allow_private=True)
        args = ["--registry", str(path), "--timeout", "20", "--deadline", "0.5"]
        assert check_sources.main(args) == 1
    assert capsys.readouterr().out.splitlines() == [
        "FAIL local: host 127.0.0.1 cannot be reached (no answer within the 0.5 s deadline)"
    ]


def test_registry_is_parsed_once_until_the_file_or_its_variables_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSFLOW_TEST_BASE", "https://one.example")
    path = _write(tmp_path, [_entry(homepage="${NEWSFLOW_TEST_BASE}/")])
    first = load_registry(path)
    assert load_registry(path) is first  # one parse shared by every caller of a task
    assert load_registry(tmp_path / "." / "registry.yaml") is first  # same file, other spelling
    monkeypatch.setenv("NEWSFLOW_TEST_BASE", "https://two.example")
    second = load_registry(path)
    assert second.get("example").homepage == "https://two.example/"
    _write(tmp_path, [_entry(homepage="${NEWSFLOW_TEST_BASE}/", name="Example Daily")])
    assert load_registry(path).get("example").name == "Example Daily"  # a rewrite is read anew


def test_default_registry_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, [_entry()])
    monkeypatch.setenv("NEWSFLOW_REGISTRY", str(path))
    assert load_registry().ids == ["example"]
    path.unlink()
    assert "cannot read registry" in _error(path)
