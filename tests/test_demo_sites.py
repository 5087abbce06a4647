"""The bundled demo sites: shipped output is fresh, and every promised feature is present."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter, defaultdict
from datetime import UTC, date, timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from lxml import html as lhtml

from scrapers.demo import content as dc
from scrapers.demo.build_sites import build, render_sites
from scrapers.demo.markup import esc, iso
from scrapers.sources import load_registry

WWW = dc.WWW_DIR
ARTICLE_PATTERNS = {
    "indus-chronicle": r"/indus-chronicle/(?:[a-z]+/)?\d{4}/\d{2}/\d{2}/[a-z0-9-]+/",
    "ganga-times": r"/ganga-times/(?:amp/)?\d{4}/\d{2}/\d{2}/[a-z0-9-]+\.html",
    "padma-herald": r"/padma-herald/[a-z-]+/news-\d+\.html",
    "himalaya-post": r"/himalaya-post/story/\d{4}-\d{2}-\d{2}/[a-z0-9-]+\.html",
}
NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
    "atom": "http://www.w3.org/2005/Atom",
}


@pytest.fixture(scope="module")
def content() -> tuple[list[dc.Outlet], list[dc.Article]]:
    return dc.load_content()


@pytest.fixture(scope="module")
def articles(content: tuple[list[dc.Outlet], list[dc.Article]]) -> list[dc.Article]:
    return content[1]


def rel(url_or_path: str) -> Path:
    """The shipped file behind a URL (``{{BASE}}`` prefix and query ignored)."""
    path = url_or_path.removeprefix(dc.BASE).split("?")[0]
    target = WWW / path.lstrip("/")
    return target / "index.html" if path.endswith("/") else target


def read(url_or_path: str) -> str:
    return rel(url_or_path).read_text(encoding="utf-8")


def doc(url_or_path: str) -> Any:
    return lhtml.fromstring(read(url_or_path))


def xml(url_or_path: str) -> Any:
    data = rel(url_or_path).read_bytes()
    if url_or_path.endswith(".gz"):
        data = gzip.decompress(data)
    return etree.fromstring(data)


def jsonld_blocks(url_or_path: str) -> list[Any]:
    scripts = doc(url_or_path).xpath('//script[@type="application/ld+json"]/text()')
    return [json.loads(t) for t in scripts]


def article_links(page: Any, outlet_id: str) -> list[str]:
    return [
        h for h in page.xpath(".//a/@href") if re.search(ARTICLE_PATTERNS[outlet_id], h)
    ]


# --------------------------------------------------------------------------- freshness


def test_shipped_sites_match_a_fresh_build(tmp_path: Path) -> None:
    out = tmp_path / "www"
    build(out)
    fresh = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    shipped = {p.relative_to(WWW).as_posix(): p.read_bytes() for p in WWW.rglob("*") if p.is_file()}
    assert sorted(fresh) == sorted(shipped), "run: python -m scrapers.demo.build_sites"
    stale = [name for name in fresh if fresh[name] != shipped[name]]
    assert not stale, f"stale generated files {stale[:5]}; run python -m scrapers.demo.build_sites"


def test_build_is_deterministic() -> None:
    assert render_sites() == render_sites()


# --------------------------------------------------------------------------- content truth


def test_outlets_and_time_zones(content: tuple[list[dc.Outlet], list[dc.Article]]) -> None:
    outlets, articles = content
    assert len(outlets) >= 4
    offsets = {a.published.strftime("%z") for a in articles}
    assert {"+0500", "+0530", "+0600", "+0545"} <= offsets


def test_article_counts_days_and_lengths(articles: list[dc.Article]) -> None:
    reachable = [a for a in articles if not a.robots_disallowed]
    assert len(reachable) >= 48
    per_day: dict[date, set[str]] = defaultdict(set)
    for a in articles:
        assert a.local_day in dc.DAYS, a.id
        per_day[a.local_day].add(a.outlet.id)
        assert 3 <= len(a.body) <= 8, a.id
        assert 120 <= a.word_count <= 450, (a.id, a.word_count)
        assert a.title and a.section and a.language
        if a.dateline and a.body[0].startswith(a.dateline):
            pytest.fail(f"{a.id}: body must not carry the dateline")
    for day in dc.DAYS:
        assert len(per_day[day]) >= 2, day
    midnight = [a for a in reachable if a.utc_day == a.local_day - timedelta(days=1)]
    assert len(midnight) >= 3


def test_truth_rows_for_a_utc_day() -> None:
    rows = dc.expected_articles("http://127.0.0.1:1", date(2026, 11, 20))
    assert rows and all(r["date"] == date(2026, 11, 20) for r in rows)
    assert all(r["published_at"].astimezone(UTC).date() == date(2026, 11, 20) for r in rows)
    assert not any(r["robots_disallowed"] for r in rows)
    assert all(r["url"].startswith("http://127.0.0.1:1/") for r in rows)


def test_byline_variety(articles: list[dc.Article]) -> None:
    bylines = [a.byline for a in articles]
    assert "By Ayesha Rahman and Karan Mehta" in bylines
    assert any(b.startswith("Reporting by ") and "; Editing by " in b for b in bylines)
    assert "Staff Reporter" in bylines
    assert any(b.endswith(" | Correspondent") for b in bylines)
    assert any("@" in b for b in bylines)
    assert "By The Indus Chronicle" in bylines
    for a in articles:
        if a.byline_is_outlet or a.byline == "Staff Reporter":
            assert a.authors == [], a.id


def test_non_latin_scripts(articles: list[dc.Article]) -> None:
    langs = {a.language for a in articles}
    scripts = {"ur": "\u0600", "hi": "\u0900", "bn": "\u0980", "ne": "\u0900"}
    assert len({scripts[lang] for lang in langs if lang in scripts}) >= 2
    native = [a for a in articles if re.search("[\u0966-\u096f\u09e6-\u09ef]", a.render.get(
        "visible_date", ""))]
    assert native
    for a in native:
        page = read(a.path)
        assert a.render["visible_date"] in page
        assert iso(a.published) in page  # the metadata keeps the ISO date


# --------------------------------------------------------------------------- discovery surfaces


def _feed_links(outlet_id: str) -> list[str]:
    if outlet_id == "ganga-times":
        root = xml("/ganga-times/feeds/latest.atom")
        return root.xpath("//atom:entry/atom:link/@href", namespaces=NS)
    path = {
        "indus-chronicle": "/indus-chronicle/feed/rss.xml",
        "himalaya-post": "/himalaya-post/rss.xml",
    }
    root = xml(path[outlet_id])
    assert root.tag == "rss" and root.get("version") == "2.0"
    return root.xpath("//item/link/text()")


@pytest.mark.parametrize("outlet_id", ["indus-chronicle", "ganga-times", "himalaya-post"])
def test_feeds_show_only_latest_ten(articles: list[dc.Article], outlet_id: str) -> None:
    links = [u.split("?")[0] for u in _feed_links(outlet_id)]
    own = sorted((a for a in articles if a.outlet.id == outlet_id), key=lambda a: a.published)
    assert links == [a.url for a in reversed(own)][: dc.FEED_SIZE]
    assert own[0].url not in links  # the oldest days are reachable only elsewhere


def test_tracking_copy_in_feed_and_robots(articles: list[dc.Article]) -> None:
    links = _feed_links("indus-chronicle")
    assert any("?utm_source=rss&utm_medium=feed" in u for u in links)
    robots = (WWW / "robots.txt").read_text()
    assert f"Disallow: {dc.ROBOTS_DISALLOW}" in robots
    assert any(urlpath_of(u).startswith(dc.ROBOTS_DISALLOW) for u in links)
    assert any(a.robots_disallowed and a.path.startswith(dc.ROBOTS_DISALLOW) for a in articles)


def urlpath_of(url: str) -> str:
    return url.removeprefix(dc.BASE)


def test_amp_copy(articles: list[dc.Article]) -> None:
    amp = [a for a in articles if a.amp_url]
    assert amp
    listing = "".join(
        p.read_text(encoding="utf-8") for p in (WWW / "ganga-times/latest").glob("*.html")
    )
    for a in amp:
        page = doc(a.amp_url)
        assert page.xpath('//link[@rel="canonical"]/@href') == [a.url]
        assert a.amp_url in listing
        assert f'<link rel="amphtml" href="{a.amp_url}">' in read(a.path)


def test_sitemaps_index_news_and_gzip(articles: list[dc.Article]) -> None:
    index = xml("/ganga-times/sitemap.xml")
    locs = index.xpath("//sm:sitemap/sm:loc/text()", namespaces=NS)
    assert any(u.endswith(".xml.gz") for u in locs)
    for loc in locs:
        assert rel(loc).is_file(), loc
    month = xml("/ganga-times/sitemaps/sitemap-2026-11.xml.gz")
    urls = set(month.xpath("//sm:url/sm:loc/text()", namespaces=NS))
    assert urls == {a.url for a in articles if a.outlet.id == "ganga-times"}
    for path in ("/ganga-times/sitemaps/news.xml", "/padma-herald/sitemaps/news.xml"):
        text = read(path)
        assert 'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"' in text
        news = xml(path)
        assert news.xpath("//news:publication_date", namespaces=NS)
        assert news.xpath("//news:title", namespaces=NS)
    padma = xml("/padma-herald/sitemap_index.xml")
    daily = padma.xpath("//sm:sitemap/sm:loc/text()", namespaces=NS)
    assert f"{dc.BASE}/padma-herald/sitemaps/2026-11-20.xml" in daily


@pytest.mark.parametrize(
    "start", ["/indus-chronicle/latest/", "/ganga-times/latest/", "/padma-herald/latest/",
              "/himalaya-post/latest/", "/himalaya-post/category/nation/"],
)
def test_paginated_listings(articles: list[dc.Article], start: str) -> None:
    outlet_id = start.split("/")[1]
    url: str | None = start
    seen: list[str] = []
    pages = 0
    while url:
        page = doc(url)
        pages += 1
        links = [h for h in dict.fromkeys(article_links(page, outlet_id)) if "/amp/" not in h]
        main_links = [h for h in links if h not in seen]
        seen.extend(main_links)
        text = page.text_content()
        nxt = page.xpath('//link[@rel="next"]/@href')
        if nxt:
            assert re.search(r"\bNext\b", text)
        url = nxt[0] if nxt else None
    assert pages >= 2
    if start.endswith("/latest/"):
        own = {a.url for a in articles if a.outlet.id == outlet_id}
        assert own <= set(seen)


def test_listing_items_print_dates() -> None:
    samples = {
        "/indus-chronicle/latest/": "24 November 2026",
        "/ganga-times/latest/page-2.html": "Nov 20, 2026 9:15 AM",
        "/padma-herald/latest/page-2.html": "22 Nov 2026",
        "/himalaya-post/latest/2/": "2026-11-22 08:40",
    }
    for path, needle in samples.items():
        assert needle in doc(path).text_content() or needle in read(path), path


def _archive_links(outlet_id: str, day: date) -> set[str]:
    if outlet_id == "padma-herald":
        root = xml(f"/padma-herald/sitemaps/{day:%Y-%m-%d}.xml")
        return set(root.xpath("//sm:url/sm:loc/text()", namespaces=NS))
    path = {
        "indus-chronicle": f"/indus-chronicle/archive/{day:%Y-%m-%d}/",
        "ganga-times": f"/ganga-times/archive/{day:%Y/%m/%d}/",
        "himalaya-post": f"/himalaya-post/archive/{day:%Y-%m-%d}.html",
    }[outlet_id]
    page = doc(path)
    main = page.xpath('//*[contains(@class,"td-main-content") or contains(@class,"gt-main") '
                      'or contains(@class,"col-md-8")]')[0]
    return {h for h in article_links(main, outlet_id) if "/amp/" not in h}


def test_archives_list_exactly_one_local_day(
    content: tuple[list[dc.Outlet], list[dc.Article]],
) -> None:
    outlets, articles = content
    for outlet in outlets:
        for day in dc.DAYS:
            want = {a.url for a in articles if a.outlet.id == outlet.id and a.local_day == day}
            assert _archive_links(outlet.id, day) == want, (outlet.id, day)


# --------------------------------------------------------------------------- pages


def test_metadata_variety(articles: list[dc.Article]) -> None:
    kinds: Counter[str] = Counter()
    for a in articles:
        blocks = jsonld_blocks(a.path)
        text = read(a.path)
        page = doc(a.path)
        if not blocks:
            kinds["no-jsonld"] += 1
        for b in blocks:
            if isinstance(b, list):
                kinds["array"] += 1
            elif "@graph" in b:
                kinds["graph"] += 1
            elif b.get("@type") == "ReportageNewsArticle":
                kinds["reportage"] += 1
            elif b.get("@type") == "NewsArticle":
                kinds["object"] += 1
        if 'property="article:published_time"' in text:
            kinds["og-time"] += 1
        if page.xpath('//*[@itemprop="datePublished"]'):
            kinds["microdata"] += 1
        if page.xpath("//time[@datetime]"):
            kinds["time"] += 1
        if not blocks and not page.xpath("//time[@datetime]") and "published_time" not in text:
            kinds["visible-only"] += 1
    for kind in ("no-jsonld", "array", "graph", "reportage", "object", "og-time", "microdata",
                 "time", "visible-only"):
        assert kinds[kind] >= 1, (kind, kinds)
    all_text = "".join(read(a.path) for a in articles)
    for sample in ("20 November 2026, 00:40 PKT", "Nov 21, 2026 8:05 PM", "2026-11-20 13:00"):
        assert sample in all_text


def test_indus_chronicle_chrome(articles: list[dc.Article]) -> None:
    indus = [a for a in articles if a.outlet.id == "indus-chronicle"]
    for a in indus:
        text = read(a.path)
        page = doc(a.path)
        for needle in ("Dark Mode", "AdSense Advertisement", "Advertisement", "<p>&nbsp;</p>",
                       "Related stories", "Leave a Reply", "Reply From", 'name="email"',
                       'name="author"', 'name="comment"', "td-logo", "td-date-bar", "Share"):
            assert needle in text, (a.id, needle)
        assert text.count(esc(a.title)) >= 3  # <title>, page header, h1
        content = page.xpath('//div[@class="td-post-content"]')[0]
        assert content.xpath(".//div[contains(@class,'td-ad-slot')]"), a.id
        first = content.xpath("./p")[0].text_content()
        assert a.dateline and first.startswith(a.dateline)
    assert sum(a.byline_is_outlet for a in indus) > len(indus) / 2
    assert any(a.authors for a in indus)


def test_other_outlets_chrome(articles: list[dc.Article]) -> None:
    for a in articles:
        if a.outlet.id == "indus-chronicle":
            continue
        text = read(a.path)
        assert "Photo: " in text and ("Newsletter" in text or "newsletter" in text), a.id
        assert "<nav" in text or 'id="menu"' in text


def test_wire_story_and_similar(articles: list[dc.Article]) -> None:
    group = [a for a in articles if a.story]
    assert len(group) == 3
    assert len({a.outlet.id for a in group}) == 3
    assert len({a.local_day for a in group}) == 1
    assert len({a.title for a in group}) == 3
    bodies = {a.id: a.body for a in group}
    assert len({tuple(b) for b in bodies.values()}) == 3
    similar = [a for a in articles if a.similar_to]
    assert len(similar) == 1 and similar[0].similar_to == group[0].story
    wire_sentences = set(re.split(r"(?<=\.)\s+", " ".join(group[0].body)))
    own = re.split(r"(?<=\.)\s+", " ".join(similar[0].body))
    shared = [s for s in own if s in wire_sentences]
    assert 1 <= len(shared) < len(own) / 2


def test_tag_page_and_homepages(articles: list[dc.Article]) -> None:
    tag = "/ganga-times/tag/economy/"
    assert rel(tag).is_file()
    assert not re.search(ARTICLE_PATTERNS["ganga-times"], tag)
    listing = "".join(
        p.read_text(encoding="utf-8") for p in (WWW / "ganga-times/latest").glob("*.html")
    )
    assert tag in listing
    pages_sitemap = xml("/ganga-times/sitemaps/sitemap-pages.xml")
    assert dc.BASE + tag in pages_sitemap.xpath("//sm:loc/text()", namespaces=NS)
    for outlet in ("indus-chronicle", "ganga-times", "padma-herald", "himalaya-post"):
        assert rel(f"/{outlet}/").is_file()


# --------------------------------------------------------------------------- registry


def test_registry_loads_and_points_at_shipped_files(
    monkeypatch: pytest.MonkeyPatch, articles: list[dc.Article]
) -> None:
    base = "http://127.0.0.1:8765"
    monkeypatch.setenv("NEWSFLOW_DEMO_BASE", base)
    registry = load_registry(dc.DEMO_DIR / "sources.yaml")
    assert registry.allow_private_addresses
    assert len(registry.sources) >= 4
    for source in registry.sources:
        assert source.allowed_domains == ["127.0.0.1"]
        assert source.politeness.download_delay == 0
        urls = [source.homepage, *source.feeds, *source.sitemaps, *source.news_sitemaps]
        urls += [listing.url for listing in source.listings]
        urls += [arch.url_for(day) for arch in source.archives for day in dc.DAYS]
        for url in urls:
            assert url.startswith(base + f"/{source.id}/"), url
            assert rel(url.removeprefix(base)).is_file(), url
        for a in articles:
            if a.outlet.id == source.id:
                assert source.is_article_url(base + a.path), a.path
                assert not source.is_article_url(base + f"/{source.id}/")
        assert ARTICLE_PATTERNS[source.id] == source.article_url_pattern
