"""Render the bundled demo news sites from the hand-written truth in ``data/demo_sites/content``.

Run ``python -m scrapers.demo.build_sites`` to regenerate ``data/demo_sites/www`` (the output is
shipped; ``tests/test_demo_sites.py`` fails when it is stale).  The output is deterministic: no
clocks, no random numbers, sorted iteration, gzip with ``mtime=0``.

Absolute URLs are written with the ``{{BASE}}`` placeholder, which the demo server replaces with
``http://127.0.0.1:PORT`` when serving.  The same module exposes the truth to tests:
:func:`load_content` and :func:`expected_articles`.
"""

from __future__ import annotations

import argparse
import gzip
import html
import io
import json
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

BASE = "{{BASE}}"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_DIR = REPO_ROOT / "data" / "demo_sites"
CONTENT_DIR = DEMO_DIR / "content"
WWW_DIR = DEMO_DIR / "www"

FIRST_DAY = date(2026, 11, 18)
DAYS: list[date] = [FIRST_DAY + timedelta(days=i) for i in range(7)]
FEED_SIZE = 10  # feeds show only the latest N items of their outlet
NEWS_SITEMAP_DAYS = (date(2026, 11, 23), date(2026, 11, 24))  # "last 48 hours" of the demo
RENDERED_ON = date(2026, 11, 25)  # the "today" printed in date bars (the page render date)
LATEST_PAGE_SIZE = 4
SECTION_PAGE_SIZE = 2
ROBOTS_DISALLOW = "/indus-chronicle/private/"
AGENCIES = {"SAW": "South Asia Wire"}

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


# --------------------------------------------------------------------------- the truth


def pagination_links(prev_url: str | None, next_url: str | None) -> list[str]:
    """``<link rel="prev|next">`` head tags of a listing page."""
    links = []
    if prev_url:
        links.append(f'<link rel="prev" href="{prev_url}">')
    if next_url:
        links.append(f'<link rel="next" href="{next_url}">')
    return links


@dataclass(frozen=True)
class Outlet:
    """One invented outlet (the ``outlet:`` header of a content file)."""

    id: str
    name: str
    country: str
    timezone: str
    tz_abbr: str
    language: str
    tagline: str

    @property
    def root(self) -> str:
        """URL path prefix of the outlet, with trailing slash."""
        return f"/{self.id}/"


@dataclass(frozen=True)
class Article:
    """One hand-written article; ``render`` holds page-only options that are not truth."""

    outlet: Outlet
    id: str
    path: str
    title: str
    byline: str
    authors: list[str]
    byline_is_outlet: bool
    published: datetime
    modified: datetime | None
    dateline: str | None
    lead: str | None
    section: str
    tags: list[str]
    language: str
    body: list[str]
    agency: str | None = None
    story: str | None = None
    similar_to: str | None = None
    duplicate_urls: list[str] = field(default_factory=list)
    robots_disallowed: bool = False
    render: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """Absolute URL with the ``{{BASE}}`` placeholder."""
        return BASE + self.path

    @property
    def local_day(self) -> date:
        """Publication date in the outlet's own time zone (archives use this)."""
        return self.published.date()

    @property
    def utc_day(self) -> date:
        """Publication date in UTC (the lake's partition date)."""
        return self.published.astimezone(UTC).date()

    @property
    def word_count(self) -> int:
        """Words in the body (whitespace split)."""
        return sum(len(p.split()) for p in self.body)

    @property
    def excerpt(self) -> str:
        """The lead, else the first 28 words of the body."""
        if self.lead:
            return self.lead
        words = self.body[0].split()
        return " ".join(words[:28]) + (" …" if len(words) > 28 else "")

    @property
    def tracking_url(self) -> str | None:
        """The ``utm_*`` copy of the URL that the feed advertises, if any."""
        return next((BASE + u for u in self.duplicate_urls if "utm_" in u), None)

    @property
    def amp_url(self) -> str | None:
        """The AMP copy of the article, if any."""
        return next((BASE + u for u in self.duplicate_urls if "/amp/" in u), None)

    def truth(self, base_url: str) -> dict[str, Any]:
        """The expected row fields, with ``{{BASE}}`` replaced by ``base_url``."""
        return {
            "id": self.id,
            "source": self.outlet.id,
            "url": base_url + self.path,
            "canonical_url": base_url + self.path,
            "duplicate_urls": [base_url + u for u in self.duplicate_urls],
            "title": self.title,
            "lead": self.lead,
            "body": "\n\n".join(self.body),
            "authors": list(self.authors),
            "byline_is_outlet": self.byline_is_outlet,
            "published_at": self.published.astimezone(UTC),
            "published_offset": self.published.strftime("%z")[:3] + ":"
            + self.published.strftime("%z")[3:],
            "modified_at": self.modified.astimezone(UTC) if self.modified else None,
            "dateline": self.dateline,
            "section": self.section,
            "tags": list(self.tags),
            "language": self.language,
            "story": self.story,
            "similar_to": self.similar_to,
            "robots_disallowed": self.robots_disallowed,
            "date": self.utc_day,
        }


_ARTICLE_KEYS = {f for f in Article.__dataclass_fields__ if f != "outlet"}


def _parse_dt(value: Any, where: str) -> datetime:
    dt = datetime.fromisoformat(str(value))
    if dt.tzinfo is None:
        raise ValueError(f"{where}: datetime {value!r} has no UTC offset")
    return dt


def load_content(content_dir: Path = CONTENT_DIR) -> tuple[list[Outlet], list[Article]]:
    """Load and sanity-check every ``*.yaml`` content file; articles sorted by outlet, time."""
    outlets: list[Outlet] = []
    articles: list[Article] = []
    for path in sorted(content_dir.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        outlet = Outlet(**data["outlet"])
        outlets.append(outlet)
        zone = ZoneInfo(outlet.timezone)
        for raw in data["articles"]:
            where = f"{path.name}: {raw.get('id')}"
            unknown = set(raw) - _ARTICLE_KEYS
            if unknown:
                raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
            fields = dict(raw)
            fields["published"] = _parse_dt(raw["published"], where)
            fields["modified"] = _parse_dt(raw["modified"], where) if raw.get("modified") else None
            art = Article(outlet=outlet, **fields)
            if art.published.utcoffset() != art.published.astimezone(zone).utcoffset():
                raise ValueError(f"{where}: offset does not match {outlet.timezone}")
            if not art.path.startswith(outlet.root):
                raise ValueError(f"{where}: path must start with {outlet.root}")
            articles.append(art)
    ids = [a.id for a in articles]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate article ids in content")
    articles.sort(key=lambda a: (a.outlet.id, a.published, a.id))
    return outlets, articles


def expected_articles(
    base_url: str,
    utc_day: date | None = None,
    *,
    include_robots_disallowed: bool = False,
    content_dir: Path = CONTENT_DIR,
) -> list[dict[str, Any]]:
    """Expected lake rows (as dicts) for one UTC day, or all days when ``utc_day`` is None."""
    _, articles = load_content(content_dir)
    return [
        a.truth(base_url.rstrip("/"))
        for a in articles
        if (utc_day is None or a.utc_day == utc_day)
        and (include_robots_disallowed or not a.robots_disallowed)
    ]


# --------------------------------------------------------------------------- helpers


def esc(text: str) -> str:
    """HTML-escape text for element content and double-quoted attribute values."""
    return html.escape(text, quote=False).replace('"', "&quot;")


def slug(text: str) -> str:
    """URL slug of a section or tag name."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def iso(dt: datetime) -> str:
    """ISO 8601 with the printed offset, seconds precision."""
    return dt.isoformat(timespec="seconds")


def long_date(d: date) -> str:
    """``20 November 2026``."""
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def clock12(dt: datetime) -> str:
    """``9:15 AM``."""
    hour = dt.hour % 12 or 12
    return f"{hour}:{dt.minute:02d} {'AM' if dt.hour < 12 else 'PM'}"


def us_datetime(dt: datetime) -> str:
    """``Nov 20, 2026 9:15 AM``."""
    return f"{MONTHS[dt.month - 1][:3]} {dt.day}, {dt.year} {clock12(dt)}"


def jsonld(data: Any) -> str:
    """A JSON-LD script element (``</`` escaped)."""
    text = json.dumps(data, ensure_ascii=False, indent=2).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{text}\n</script>'


def byline_html(art: Article, wrap: Callable[[str], str]) -> str:
    """The printed byline, with each author name wrapped by ``wrap`` (and emails as mailto)."""
    text = esc(art.byline)
    for name in art.authors:
        text = text.replace(esc(name), wrap(esc(name)), 1)
    return re.sub(
        r"([\w.+-]+@[\w.-]+\.\w+)",
        lambda m: f'<a href="mailto:{m.group(1)}">{m.group(1)}</a>',
        text,
    )


def ld_author(art: Article) -> Any:
    """The JSON-LD ``author`` value as the outlet's CMS would emit it."""
    if art.authors:
        people = [{"@type": "Person", "name": n} for n in art.authors]
        return people[0] if len(people) == 1 else people
    if art.agency:
        return {"@type": "Organization", "name": f"{AGENCIES[art.agency]} ({art.agency})"}
    if art.byline_is_outlet:
        return {"@type": "Organization", "name": art.outlet.name}
    # CMS "staff" accounts are exported as a Person named after the desk, as real sites do.
    return {"@type": "Person", "name": art.byline}


def ld_article(art: Article, type_: str = "NewsArticle") -> dict[str, Any]:
    """A schema.org NewsArticle object for ``art``."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": type_,
        "mainEntityOfPage": art.url,
        "headline": art.title,
        "datePublished": iso(art.published),
    }
    if art.modified:
        data["dateModified"] = iso(art.modified)
    data["author"] = ld_author(art)
    data["publisher"] = {
        "@type": "Organization",
        "name": art.outlet.name,
        "logo": {"@type": "ImageObject", "url": f"{BASE}{art.outlet.root}static/logo.png"},
    }
    data["image"] = image_url(art)
    data["articleSection"] = art.section
    data["keywords"] = ", ".join(art.tags)
    data["inLanguage"] = art.language
    if art.lead:
        data["description"] = art.lead
    return data


def image_url(art: Article) -> str:
    """Lead image URL of an article (images themselves are not shipped)."""
    return f"{BASE}{art.outlet.root}media/2026/11/{art.id}.jpg"


def dateline_prefix(art: Article, default: str) -> str:
    """The text that opens the first paragraph, e.g. ``ISLAMABAD - ``."""
    if not art.dateline:
        return ""
    fmt = art.render.get("dateline_format")
    if fmt:
        return str(fmt)
    return default.format(
        place=art.dateline, mon=MONTHS[art.local_day.month - 1][:3], day=art.local_day.day
    )


def og_meta(art: Article, *, times: bool) -> str:
    """OpenGraph (and optionally ``article:*_time``) meta tags."""
    lines = [
        '<meta property="og:type" content="article">',
        f'<meta property="og:title" content="{esc(art.title)}">',
        f'<meta property="og:url" content="{esc(art.url)}">',
        f'<meta property="og:site_name" content="{esc(art.outlet.name)}">',
        f'<meta property="og:image" content="{esc(image_url(art))}">',
        f'<meta property="og:description" content="{esc(art.excerpt)}">',
    ]
    if times:
        lines.append(f'<meta property="article:published_time" content="{iso(art.published)}">')
        if art.modified:
            lines.append(f'<meta property="article:modified_time" content="{iso(art.modified)}">')
        lines.append(f'<meta property="article:section" content="{esc(art.section)}">')
        lines.extend(f'<meta property="article:tag" content="{esc(t)}">' for t in art.tags)
    return "\n".join(lines)


def xml_text(text: str) -> str:
    """Escape text for XML element content."""
    return html.escape(text, quote=False)


def gzip_bytes(data: bytes) -> bytes:
    """Deterministic gzip (no file name, mtime 0)."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


def chunks(items: list[Article], size: int) -> list[list[Article]]:
    """Split into pages of ``size`` (at least one, possibly empty, page)."""
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


# --------------------------------------------------------------------------- the builder


class SiteBuilder:
    """Collects every output file (URL path -> bytes) for all outlets."""

    def __init__(self, outlets: list[Outlet], articles: list[Article]) -> None:
        self.outlets = outlets
        self.articles = articles
        self.files: dict[str, bytes] = {}

    # -- plumbing
    def put(self, url_path: str, content: str | bytes) -> None:
        """Store one file under its URL path (``/x/`` becomes ``x/index.html``)."""
        rel = url_path.lstrip("/")
        if rel.endswith("/") or rel == "":
            rel += "index.html"
        if rel in self.files:
            raise ValueError(f"two files for {url_path}")
        self.files[rel] = content.encode("utf-8") if isinstance(content, str) else content

    def of(self, outlet: Outlet) -> list[Article]:
        """An outlet's articles, newest first."""
        items = [a for a in self.articles if a.outlet.id == outlet.id]
        return sorted(items, key=lambda a: (a.published, a.id), reverse=True)

    def related(self, art: Article, n: int = 3) -> list[Article]:
        """Up to ``n`` other articles of the same outlet (deterministic)."""
        items = [a for a in self.of(art.outlet) if a.id != art.id and not a.robots_disallowed]
        same = [a for a in items if a.section == art.section]
        rest = [a for a in items if a.section != art.section]
        return (same + rest)[:n]

    def build(self) -> dict[str, bytes]:
        """Render everything and return the file map."""
        renderers = {
            "indus-chronicle": IndusChronicle,
            "ganga-times": GangaTimes,
            "padma-herald": PadmaHerald,
            "himalaya-post": HimalayaPost,
        }
        for outlet in self.outlets:
            renderers[outlet.id](self, outlet).render()
        self.put("/robots.txt", self.robots())
        self.put("/", self.root_index())
        return dict(sorted(self.files.items()))

    def robots(self) -> str:
        """The single root robots.txt."""
        return (
            "# Demo robots.txt for every bundled outlet\n"
            "User-agent: *\n"
            f"Disallow: {ROBOTS_DISALLOW}\n"
            "Disallow: /ganga-times/search/\n"
            "\n"
            f"Sitemap: {BASE}/ganga-times/sitemap.xml\n"
            f"Sitemap: {BASE}/padma-herald/sitemap_index.xml\n"
        )

    def root_index(self) -> str:
        """A plain page linking the outlets."""
        items = "\n".join(
            f'<li><a href="{BASE}{o.root}">{esc(o.name)}</a> ({o.country}, {o.timezone})</li>'
            for o in self.outlets
        )
        return (
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>newsflow demo sites</title></head>\n<body><h1>newsflow demo sites</h1>\n"
            f"<ul>\n{items}\n</ul>\n</body></html>\n"
        )


class OutletRenderer:
    """Shared machinery for one outlet; subclasses provide the HTML style."""

    feed_path: str | None = None
    feed_kind = "rss"

    def __init__(self, site: SiteBuilder, outlet: Outlet) -> None:
        self.site = site
        self.o = outlet
        self.items = site.of(outlet)

    # -- to override
    def article_page(self, art: Article) -> str:
        raise NotImplementedError

    def listing_page(
        self, heading: str, items: list[Article], prev_url: str | None, next_url: str | None,
        page: int, pages: int,
    ) -> str:
        raise NotImplementedError

    def listing_url(self, kind: str, key: str, page: int) -> str:
        raise NotImplementedError

    def home_page(self) -> str:
        raise NotImplementedError

    def render_archives(self) -> None:
        raise NotImplementedError

    def render_extra(self) -> None:
        """Sitemaps, tag pages, AMP copies: whatever the outlet has besides the basics."""

    # -- shared
    @property
    def sections(self) -> list[str]:
        """Section names in first-seen order of the newest-first list."""
        seen: dict[str, None] = {}
        for a in self.items:
            seen.setdefault(a.section, None)
        return list(seen)

    def render(self) -> None:
        """Render article pages, listings, home, archives, feed and extras."""
        for art in self.items:
            self.site.put(art.path, self.article_page(art))
        self.render_listing("latest", "", "Latest news", self.items, LATEST_PAGE_SIZE)
        for sec in self.sections:
            items = [a for a in self.items if a.section == sec]
            self.render_listing("section", slug(sec), sec, items, SECTION_PAGE_SIZE)
        self.site.put(self.o.root, self.home_page())
        self.render_archives()
        if self.feed_path:
            feed = self.rss() if self.feed_kind == "rss" else self.atom()
            self.site.put(self.feed_path, feed)
        self.render_extra()

    def render_listing(
        self, kind: str, key: str, heading: str, items: list[Article], size: int
    ) -> None:
        """Paginated listing pages with rel=next/prev and visible Next links."""
        pages = chunks(items, size)
        for n, page_items in enumerate(pages, start=1):
            prev_url = self.listing_url(kind, key, n - 1) if n > 1 else None
            next_url = self.listing_url(kind, key, n + 1) if n < len(pages) else None
            path = self.listing_url(kind, key, n).removeprefix(BASE)
            self.site.put(
                path, self.listing_page(heading, page_items, prev_url, next_url, n, len(pages))
            )

    def feed_items(self) -> list[Article]:
        """The latest ``FEED_SIZE`` articles."""
        return self.items[:FEED_SIZE]

    def feed_link(self, art: Article) -> str:
        """The link a feed advertises (the tracking copy when the content says so)."""
        return art.tracking_url or art.url

    def rss(self) -> str:
        """RSS 2.0 feed of the latest items."""
        items = []
        for art in self.feed_items():
            cats = "".join(f"\n      <category>{xml_text(t)}</category>" for t in art.tags)
            creator = art.byline if not art.byline_is_outlet else self.o.name
            items.append(
                "    <item>\n"
                f"      <title>{xml_text(art.title)}</title>\n"
                f"      <link>{xml_text(self.feed_link(art))}</link>\n"
                f'      <guid isPermaLink="false">{BASE}{self.o.root}?p={art.id}</guid>\n'
                f"      <pubDate>{format_datetime(art.published)}</pubDate>\n"
                f"      <dc:creator><![CDATA[{creator}]]></dc:creator>{cats}\n"
                f"      <description>{xml_text(art.excerpt)}</description>\n"
                "    </item>"
            )
        newest = self.items[0].published
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"'
            ' xmlns:atom="http://www.w3.org/2005/Atom">\n'
            "  <channel>\n"
            f"    <title>{xml_text(self.o.name)}</title>\n"
            f"    <link>{BASE}{self.o.root}</link>\n"
            f'    <atom:link href="{BASE}{self.feed_path}" rel="self"'
            ' type="application/rss+xml"/>\n'
            f"    <description>{xml_text(self.o.tagline)}</description>\n"
            f"    <language>{self.o.language}</language>\n"
            f"    <lastBuildDate>{format_datetime(newest)}</lastBuildDate>\n"
            + "\n".join(items)
            + "\n  </channel>\n</rss>\n"
        )

    def atom(self) -> str:
        """Atom 1.0 feed of the latest items."""
        entries = []
        for art in self.feed_items():
            authors = "".join(
                f"\n    <author><name>{xml_text(n)}</name></author>" for n in art.authors
            ) or f"\n    <author><name>{xml_text(art.byline)}</name></author>"
            updated = art.modified or art.published
            entries.append(
                "  <entry>\n"
                f"    <title>{xml_text(art.title)}</title>\n"
                f'    <link rel="alternate" type="text/html" href="{self.feed_link(art)}"/>\n'
                f"    <id>tag:gangatimes.example,2026:{art.id}</id>\n"
                f"    <published>{iso(art.published)}</published>\n"
                f"    <updated>{iso(updated)}</updated>{authors}\n"
                f'    <category term="{esc(art.section)}"/>\n'
                f"    <summary>{xml_text(art.excerpt)}</summary>\n"
                "  </entry>"
            )
        newest = max((a.modified or a.published) for a in self.feed_items())
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{self.o.language}">\n'
            f"  <title>{xml_text(self.o.name)}</title>\n"
            f"  <subtitle>{xml_text(self.o.tagline)}</subtitle>\n"
            f'  <link rel="self" href="{BASE}{self.feed_path}"/>\n'
            f'  <link rel="alternate" type="text/html" href="{BASE}{self.o.root}"/>\n'
            f"  <id>{BASE}{self.o.root}</id>\n"
            f"  <updated>{iso(newest)}</updated>\n"
            + "\n".join(entries)
            + "\n</feed>\n"
        )

    def day_items(self, day: date) -> list[Article]:
        """Articles of one local publication day, oldest first."""
        return sorted((a for a in self.items if a.local_day == day), key=lambda a: a.published)

    def urlset(self, entries: Iterable[tuple[str, datetime | None]]) -> str:
        """A plain sitemap ``urlset``."""
        rows = []
        for loc, lastmod in entries:
            mod = f"\n    <lastmod>{iso(lastmod)}</lastmod>" if lastmod else ""
            rows.append(f"  <url>\n    <loc>{xml_text(loc)}</loc>{mod}\n  </url>")
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + "\n".join(rows)
            + ("\n" if rows else "")
            + "</urlset>\n"
        )

    def sitemap_index(self, entries: list[tuple[str, datetime | None]]) -> str:
        """A ``sitemapindex`` document."""
        rows = []
        for loc, lastmod in entries:
            mod = f"\n    <lastmod>{iso(lastmod)}</lastmod>" if lastmod else ""
            rows.append(f"  <sitemap>\n    <loc>{xml_text(loc)}</loc>{mod}\n  </sitemap>")
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + "\n".join(rows)
            + "\n</sitemapindex>\n"
        )

    def news_sitemap(self, items: list[Article]) -> str:
        """A Google News sitemap."""
        rows = []
        for art in items:
            rows.append(
                "  <url>\n"
                f"    <loc>{xml_text(art.url)}</loc>\n"
                "    <news:news>\n"
                "      <news:publication>\n"
                f"        <news:name>{xml_text(self.o.name)}</news:name>\n"
                f"        <news:language>{art.language}</news:language>\n"
                "      </news:publication>\n"
                f"      <news:publication_date>{iso(art.published)}</news:publication_date>\n"
                f"      <news:title>{xml_text(art.title)}</news:title>\n"
                f"      <news:keywords>{xml_text(', '.join(art.tags))}</news:keywords>\n"
                "    </news:news>\n"
                "  </url>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"\n'
            '        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
            + "\n".join(rows)
            + "\n</urlset>\n"
        )

    def news_items(self) -> list[Article]:
        """Articles of the news-sitemap window, newest first."""
        return [a for a in self.items if a.local_day in NEWS_SITEMAP_DAYS]

    def dir_attr(self, art: Article) -> str:
        """``lang``/``dir`` attributes for the html element."""
        rtl = ' dir="rtl"' if art.language in {"ur", "ar", "fa"} else ""
        return f'lang="{art.language}"{rtl}'


# --------------------------------------------------------------------------- The Indus Chronicle


class IndusChronicle(OutletRenderer):
    """WordPress-like, chrome-heavy; RSS (with utm links), HTML archives, @graph JSON-LD."""

    feed_path = "/indus-chronicle/feed/rss.xml"

    def listing_url(self, kind: str, key: str, page: int) -> str:
        base = f"{BASE}/indus-chronicle/" + ("latest/" if kind == "latest" else f"category/{key}/")
        return base if page == 1 else f"{base}page/{page}/"

    def printed_date(self, art: Article) -> str:
        if "visible_date" in art.render:
            return str(art.render["visible_date"])
        p = art.published
        return f"{long_date(p)}, {p:%H:%M} {self.o.tz_abbr}"

    def header(self, title: str, head_extra: str, html_attrs: str, body_class: str) -> str:
        nav = "".join(
            f'<li class="menu-item"><a href="{self.listing_url("section", slug(s), 1)}">'
            f"{esc(s)}</a></li>"
            for s in sorted(self.sections)
        )
        today = RENDERED_ON
        return f"""<!DOCTYPE html>
<html {html_attrs}>
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<link rel="stylesheet" href="/indus-chronicle/wp-content/themes/newsmag/style.css?ver=4.2">
<link rel="alternate" type="application/rss+xml" title="The Indus Chronicle &raquo; Feed" \
href="{BASE}{self.feed_path}">
{head_extra}
</head>
<body class="{body_class}">
<div class="td-top-bar">
  <span class="td-date-bar">{WEEKDAYS[today.weekday()]}, {long_date(today)}</span>
  <span class="td-weather">Islamabad 14°C</span>
  <button type="button" class="dark-mode-toggle" aria-label="Dark Mode">Dark Mode</button>
  <a href="/indus-chronicle/epaper/">e-Paper</a>
</div>
<header class="td-header">
  <a class="td-logo" href="{BASE}/indus-chronicle/"><img src="/indus-chronicle/static/logo.png" \
alt="The Indus Chronicle logo" width="300" height="60"></a>
  <div class="td-tagline">{esc(self.o.tagline)}</div>
  <nav class="td-main-menu"><ul><li class="menu-item"><a href="{BASE}/indus-chronicle/">Home</a>\
</li>{nav}</ul></nav>
</header>
<div class="td-ad-slot td-ad-header"><span class="td-adspot-title">AdSense Advertisement</span>\
<ins class="adsbygoogle" data-ad-slot="1001"></ins></div>
"""

    def footer(self) -> str:
        return """<footer class="td-footer">
  <div class="td-ad-slot"><span class="td-adspot-title">Advertisement</span>\
<ins class="adsbygoogle" data-ad-slot="1009"></ins></div>
  <p>&copy; 2026 The Indus Chronicle. All rights reserved.</p>
  <ul class="td-footer-menu"><li>About Us</li><li>Contact</li><li>Privacy Policy</li></ul>
</footer>
</body>
</html>
"""

    def graph(self, art: Article) -> dict[str, Any]:
        article = ld_article(art)
        article.pop("@context")
        article["isPartOf"] = {"@id": art.url + "#webpage"}
        return {
            "@context": "https://schema.org",
            "@graph": [
                {"@type": "Organization", "@id": f"{BASE}/indus-chronicle/#organization",
                 "name": self.o.name, "url": f"{BASE}/indus-chronicle/"},
                {"@type": "WebSite", "@id": f"{BASE}/indus-chronicle/#website",
                 "url": f"{BASE}/indus-chronicle/", "name": self.o.name},
                {"@type": "WebPage", "@id": art.url + "#webpage", "url": art.url,
                 "name": f"{art.title} - {self.o.name}",
                 "datePublished": iso(art.published),
                 "breadcrumb": {"@id": art.url + "#breadcrumb"}},
                {"@type": "BreadcrumbList", "@id": art.url + "#breadcrumb", "itemListElement": [
                    {"@type": "ListItem", "position": 1, "name": "Home",
                     "item": f"{BASE}/indus-chronicle/"},
                    {"@type": "ListItem", "position": 2, "name": art.section,
                     "item": self.listing_url("section", slug(art.section), 1)},
                    {"@type": "ListItem", "position": 3, "name": art.title},
                ]},
                article,
            ],
        }

    def article_page(self, art: Article) -> str:
        minimal = bool(art.render.get("minimal_meta"))
        head = [f'<link rel="canonical" href="{art.url}">', og_meta(art, times=not minimal)]
        if not minimal:
            head.append(jsonld(self.graph(art)))
        top = self.header(
            f"{art.title} - {self.o.name}", "\n".join(head), self.dir_attr(art),
            "post-template-default single single-post",
        )
        paras: list[str] = []
        for i, text in enumerate(art.body):
            prefix = dateline_prefix(art, "{place} - ") if i == 0 else ""
            paras.append(f"<p>{esc(prefix + text)}</p>")
            if i == 0:
                paras.append("<p>&nbsp;</p>")
            if i == 1:
                paras.append(
                    '<div class="td-ad-slot td-ad-inline"><span class="td-adspot-title">'
                    'Advertisement</span><ins class="adsbygoogle" data-ad-slot="1004"></ins></div>'
                )
            if i == 3:
                paras.append(
                    '<div class="td-ad-slot td-ad-inline"><span class="td-adspot-title">'
                    'AdSense Advertisement</span><ins class="adsbygoogle" data-ad-slot="1005">'
                    "</ins></div>"
                )
        paras.append("<p>&nbsp;</p>")
        body = "\n".join(paras)
        lead = f'<p class="td-post-sub-title">{esc(art.lead)}</p>\n' if art.lead else ""
        byline = byline_html(art, lambda n: f'<a class="td-author" rel="author">{n}</a>')
        modified = (
            f'\n  <span class="td-post-modified">Updated: {self.printed_date_mod(art)}</span>'
            if art.modified else ""
        )
        tags = " ".join(f'<a rel="tag">{esc(t)}</a>' for t in art.tags)
        related = "\n".join(
            f'  <li><a href="{r.url}">{esc(r.title)}</a> <span class="td-post-date">'
            f"{long_date(r.local_day)}</span></li>"
            for r in self.site.related(art)
        )
        crumb_sec = self.listing_url("section", slug(art.section), 1)
        return top + f"""<div class="td-crumb-container">
  <h2 class="td-page-title">{esc(art.title)}</h2>
  <div class="entry-crumbs"><a href="{BASE}/indus-chronicle/">Home</a> &gt; \
<a href="{crumb_sec}">{esc(art.section)}</a></div>
</div>
<div class="td-main-content">
<article id="post-{art.id}" class="post type-post status-publish">
<header class="td-post-title">
  <h1 class="entry-title">{esc(art.title)}</h1>
  {lead}<div class="td-module-meta-info">
  <span class="td-post-author-name">{byline}</span>
  <span class="td-post-date">{self.printed_date(art)}</span>{modified}
  </div>
</header>
<div class="td-post-sharing"><span>Share</span> <a class="share-facebook">Facebook</a> \
<a class="share-twitter">Twitter</a> <a class="share-whatsapp">WhatsApp</a> \
<a class="share-email">Email</a></div>
<div class="td-post-content">
{body}
</div>
<footer class="td-post-footer"><div class="td-tags"><span>TAGS</span> {tags}</div></footer>
</article>
<div class="td-related-stories">
<h3 class="td-related-title">Related stories</h3>
<ul>
{related}
</ul>
</div>
<div class="td-ad-slot"><span class="td-adspot-title">AdSense Advertisement</span>\
<ins class="adsbygoogle" data-ad-slot="1006"></ins></div>
<div id="comments" class="comments-area">
<h4 class="td-comments-title">Comment</h4>
<div id="respond" class="comment-respond">
<h3 id="reply-title" class="comment-reply-title">Leave a Reply</h3>
<form action="/indus-chronicle/wp-comments-post.php" method="post" id="commentform">
<p class="comment-notes">Reply From: your email address will not be published.</p>
<p><label for="comment">Comment</label><textarea id="comment" name="comment"></textarea></p>
<p><label for="author">Name *</label><input id="author" name="author" type="text"></p>
<p><label for="email">Email *</label><input id="email" name="email" type="email"></p>
<p><input name="submit" type="submit" id="submit" value="Post Comment"></p>
</form>
</div>
</div>
</div>
""" + self.footer()

    def printed_date_mod(self, art: Article) -> str:
        assert art.modified is not None
        m = art.modified
        return f"{long_date(m)}, {m:%H:%M} {self.o.tz_abbr}"

    def listing_block(self, items: list[Article]) -> str:
        rows = []
        for a in items:
            rows.append(
                f'<div class="td-block-span">\n'
                f'  <h3 class="entry-title td-module-title"><a href="{a.url}" '
                f'rel="bookmark">{esc(a.title)}</a></h3>\n'
                f'  <span class="td-post-date"><time class="entry-date" '
                f'datetime="{iso(a.published)}">{long_date(a.local_day)}</time></span>\n'
                f'  <div class="td-excerpt">{esc(a.excerpt)}</div>\n'
                "</div>"
            )
        return "\n".join(rows) or '<p class="no-results">No stories for this day.</p>'

    def listing_page(
        self, heading: str, items: list[Article], prev_url: str | None, next_url: str | None,
        page: int, pages: int,
    ) -> str:
        links = pagination_links(prev_url, next_url)
        nav = []
        if prev_url:
            nav.append(f'<a class="prev page-numbers" href="{prev_url}">Previous</a>')
        nav.append(f'<span class="pages">Page {page} of {pages}</span>')
        if next_url:
            nav.append(f'<a class="next page-numbers" href="{next_url}">Next</a>')
        title = f"{heading} - Page {page}" if page > 1 else heading
        top = self.header(
            f"{title} - {self.o.name}",
            "\n".join(links), 'lang="en-US"', "archive category",
        )
        return top + (
            f'<div class="td-main-content">\n<h1 class="entry-title td-page-title">{esc(heading)}'
            f"</h1>\n{self.listing_block(items)}\n"
            f'<div class="page-nav td-pb-padding-side">{" ".join(nav)}</div>\n</div>\n'
        ) + self.footer()

    def home_page(self) -> str:
        top = self.header(f"{self.o.name} - {self.o.tagline}", "", 'lang="en-US"', "home")
        return top + (
            '<div class="td-main-content">\n<h2 class="block-title">Top Stories</h2>\n'
            f"{self.listing_block([a for a in self.items if not a.robots_disallowed][:8])}\n"
            f'<p><a href="{self.listing_url("latest", "", 1)}">More news</a></p>\n</div>\n'
        ) + self.footer()

    def render_archives(self) -> None:
        for day in DAYS:
            items = self.day_items(day)
            top = self.header(
                f"Archive: {long_date(day)} - {self.o.name}", "", 'lang="en-US"', "archive date"
            )
            self.site.put(
                f"/indus-chronicle/archive/{day:%Y-%m-%d}/",
                top + (
                    f'<div class="td-main-content">\n<h1 class="td-page-title">Archive for '
                    f"{long_date(day)}</h1>\n{self.listing_block(items)}\n</div>\n"
                ) + self.footer(),
            )


# --------------------------------------------------------------------------- The Ganga Times


class GangaTimes(OutletRenderer):
    """Modern layout; Atom feed, sitemap index (.xml.gz), news sitemap, AMP, tag pages."""

    feed_path = "/ganga-times/feeds/latest.atom"
    feed_kind = "atom"

    def listing_url(self, kind: str, key: str, page: int) -> str:
        base = f"{BASE}/ganga-times/" + ("latest/" if kind == "latest" else f"section/{key}/")
        return base if page == 1 else f"{base}page-{page}.html"

    def printed_date(self, art: Article) -> str:
        return str(art.render.get("visible_date") or us_datetime(art.published))

    def chrome_top(self, title: str, head_extra: str, html_attrs: str) -> str:
        nav = "".join(
            f'<a href="{self.listing_url("section", slug(s), 1)}">{esc(s)}</a>'
            for s in sorted(self.sections)
        )
        return f"""<!doctype html>
<html {html_attrs}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{esc(title)}</title>
<link rel="alternate" type="application/atom+xml" href="{BASE}{self.feed_path}">
<link rel="stylesheet" href="/ganga-times/assets/app.3f9c.css">
{head_extra}
</head>
<body>
<header class="gt-header">
  <a class="gt-brand" href="{BASE}/ganga-times/">The Ganga Times</a>
  <nav class="gt-nav" aria-label="Sections"><a href="{BASE}/ganga-times/latest/">Latest</a>\
{nav}</nav>
  <form class="gt-search" action="/ganga-times/search/"><input name="q" placeholder="Search">\
</form>
</header>
<main class="gt-main">
"""

    def chrome_bottom(self) -> str:
        return f"""</main>
<aside class="gt-newsletter">
  <h2>The Morning Ganga</h2>
  <p>Get the day's top stories in your inbox at 7 AM.</p>
  <form><input type="email" name="email" placeholder="Your email"><button>Sign up</button></form>
</aside>
<footer class="gt-footer">
  <p>&copy; 2026 The Ganga Times Media Pvt Ltd</p>
  <nav><a href="{BASE}/ganga-times/about/">About</a> <a href="{BASE}{self.feed_path}">Feed</a></nav>
</footer>
</body>
</html>
"""

    def tag_links(self, art: Article) -> str:
        return " ".join(
            f'<a class="gt-tag" href="{BASE}/ganga-times/tag/{slug(t)}/">{esc(t)}</a>'
            for t in art.tags
        )

    def article_page(self, art: Article) -> str:
        minimal = bool(art.render.get("minimal_meta"))
        head = [
            f'<link rel="canonical" href="{art.url}">',
            f'<meta name="description" content="{esc(art.excerpt)}">',
        ]
        if art.amp_url:
            head.append(f'<link rel="amphtml" href="{art.amp_url}">')
        if not minimal:
            crumbs = {
                "@context": "https://schema.org", "@type": "BreadcrumbList",
                "itemListElement": [
                    {"@type": "ListItem", "position": 1, "name": "Home",
                     "item": f"{BASE}/ganga-times/"},
                    {"@type": "ListItem", "position": 2, "name": art.section,
                     "item": self.listing_url("section", slug(art.section), 1)},
                ],
            }
            head.append(jsonld([ld_article(art), crumbs]))
        top = self.chrome_top(f"{art.title} | The Ganga Times", "\n".join(head), self.dir_attr(art))
        if minimal:
            when = f'<span class="gt-date">{self.printed_date(art)}</span>'
            scope = ""
            author_tpl = '<span class="gt-author">{}</span>'
            body_attr = ""
        else:
            when = (
                f'<time itemprop="datePublished" datetime="{iso(art.published)}">'
                f"{self.printed_date(art)}</time>"
            )
            if art.modified:
                when += (
                    f' <span class="gt-updated">Updated: <time itemprop="dateModified" '
                    f'datetime="{iso(art.modified)}">{us_datetime(art.modified)}</time></span>'
                )
            scope = ' itemscope itemtype="https://schema.org/NewsArticle"'
            author_tpl = (
                '<span itemprop="author" itemscope itemtype="https://schema.org/Person">'
                '<span itemprop="name">{}</span></span>'
            )
            body_attr = ' itemprop="articleBody"'
        paras = []
        for i, text in enumerate(art.body):
            prefix = dateline_prefix(art, "{place}: ") if i == 0 else ""
            lead_in = f"<strong>{esc(prefix.strip())}</strong> " if prefix else ""
            paras.append(f"<p>{lead_in}{esc(text)}</p>")
            if i == 1:
                paras.append(
                    '<div class="gt-inline-promo"><a href="'
                    f'{BASE}/ganga-times/latest/">Read more: latest headlines</a></div>'
                )
        lead = f'<p class="gt-standfirst">{esc(art.lead)}</p>\n' if art.lead else ""
        more = "\n".join(
            f'  <li><a href="{r.url}">{esc(r.title)}</a></li>' for r in self.site.related(art)
        )
        byline = byline_html(art, author_tpl.format)
        return top + f"""<article class="gt-story"{scope}>
<nav class="gt-crumbs"><a href="{BASE}/ganga-times/">Home</a> / \
<a href="{self.listing_url("section", slug(art.section), 1)}">{esc(art.section)}</a></nav>
<h1 class="gt-headline" itemprop="headline">{esc(art.title)}</h1>
{lead}<div class="gt-meta"><span class="gt-byline">{byline}</span> · {when}</div>
<figure class="gt-hero"><img src="{image_url(art)}" alt="" width="1200" height="675">
<figcaption>{esc(art.section)} file picture. <span class="gt-credit">Photo: Ganga Times</span>\
</figcaption></figure>
<div class="gt-body"{body_attr}>
{chr(10).join(paras)}
</div>
<div class="gt-tags">Tags: {self.tag_links(art)}</div>
<div class="gt-share"><button>Share</button><button>Copy link</button></div>
</article>
<section class="gt-readmore">
<h2>Read more</h2>
<ul>
{more}
</ul>
</section>
""" + self.chrome_bottom()

    def amp_page(self, art: Article) -> str:
        """A minimal AMP copy pointing back to the main URL."""
        paras = "\n".join(
            f"<p>{esc((dateline_prefix(art, '{place}: ') if i == 0 else '') + t)}</p>"
            for i, t in enumerate(art.body)
        )
        lead = f'<p class="standfirst">{esc(art.lead)}</p>\n' if art.lead else ""
        return f"""<!doctype html>
<html amp lang="{art.language}">
<head>
<meta charset="utf-8">
<title>{esc(art.title)} | The Ganga Times</title>
<link rel="canonical" href="{art.url}">
<meta name="viewport" content="width=device-width,minimum-scale=1,initial-scale=1">
<script async src="https://cdn.ampproject.org/v0.js"></script>
<style amp-custom>body{{font-family:Georgia,serif}}.byline{{color:#555}}</style>
{jsonld(ld_article(art))}
</head>
<body>
<header><a href="{BASE}/ganga-times/">The Ganga Times</a></header>
<article>
<h1>{esc(art.title)}</h1>
{lead}<p class="byline">{esc(art.byline)} · {self.printed_date(art)}</p>
<amp-img src="{image_url(art)}" width="1200" height="675" layout="responsive"></amp-img>
{paras}
</article>
<footer><a href="{art.url}">View full site</a></footer>
</body>
</html>
"""

    def listing_block(self, items: list[Article]) -> str:
        rows = []
        for a in items:
            amp = f' <a class="gt-amp" href="{a.amp_url}">AMP</a>' if a.amp_url else ""
            rows.append(
                '<li class="gt-card">\n'
                f'  <a class="gt-card-link" href="{a.url}">{esc(a.title)}</a>{amp}\n'
                f'  <span class="gt-card-date">{self.printed_date(a)}</span>\n'
                f'  <p>{esc(a.excerpt)}</p>\n'
                f'  <div class="gt-card-tags">{self.tag_links(a)}</div>\n'
                "</li>"
            )
        inner = "\n".join(rows) or '<li class="gt-empty">No stories.</li>'
        return f'<ul class="gt-cards">\n{inner}\n</ul>'

    def listing_page(
        self, heading: str, items: list[Article], prev_url: str | None, next_url: str | None,
        page: int, pages: int,
    ) -> str:
        head = pagination_links(prev_url, next_url)
        pager = [f'<span>Page {page} / {pages}</span>']
        if prev_url:
            pager.insert(0, f'<a rel="prev" href="{prev_url}">Previous</a>')
        if next_url:
            pager.append(f'<a rel="next" class="gt-next" href="{next_url}">Next &rsaquo;</a>')
        return (
            self.chrome_top(f"{heading} | The Ganga Times", "\n".join(head), 'lang="en-IN"')
            + f'<h1 class="gt-section-title">{esc(heading)}</h1>\n{self.listing_block(items)}\n'
            + f'<nav class="gt-pager">{" ".join(pager)}</nav>\n'
            + self.chrome_bottom()
        )

    def home_page(self) -> str:
        return (
            self.chrome_top("The Ganga Times - " + self.o.tagline, "", 'lang="en-IN"')
            + '<h1 class="gt-section-title">Top stories</h1>\n'
            + self.listing_block(self.items[:8])
            + f'\n<p><a href="{BASE}/ganga-times/latest/">All latest news</a></p>\n'
            + self.chrome_bottom()
        )

    def render_archives(self) -> None:
        for day in DAYS:
            self.site.put(
                f"/ganga-times/archive/{day:%Y/%m/%d}/",
                self.chrome_top(f"Archive {long_date(day)} | The Ganga Times", "", 'lang="en-IN"')
                + f'<h1 class="gt-section-title">Stories published on {long_date(day)}</h1>\n'
                + self.listing_block(self.day_items(day))
                + "\n"
                + self.chrome_bottom(),
            )

    @property
    def tags(self) -> list[str]:
        return sorted({t for a in self.items for t in a.tags})

    def render_extra(self) -> None:
        for art in self.items:
            if art.amp_url:
                self.site.put(art.amp_url.removeprefix(BASE), self.amp_page(art))
        for tag in self.tags:
            items = [a for a in self.items if tag in a.tags]
            self.site.put(
                f"/ganga-times/tag/{slug(tag)}/",
                self.chrome_top(f"{tag} | Topics | The Ganga Times", "", 'lang="en-IN"')
                + f'<h1 class="gt-section-title">Topic: {esc(tag)}</h1>\n'
                + self.listing_block(items)
                + "\n"
                + self.chrome_bottom(),
            )
        month = self.urlset((a.url, a.modified or a.published) for a in reversed(self.items))
        self.site.put("/ganga-times/sitemaps/sitemap-2026-11.xml.gz", gzip_bytes(month.encode()))
        pages = [f"{BASE}/ganga-times/", f"{BASE}/ganga-times/latest/"]
        pages += [self.listing_url("section", slug(s), 1) for s in sorted(self.sections)]
        pages += [f"{BASE}/ganga-times/tag/{slug(t)}/" for t in self.tags]
        self.site.put(
            "/ganga-times/sitemaps/sitemap-pages.xml", self.urlset((p, None) for p in pages)
        )
        self.site.put("/ganga-times/sitemaps/news.xml", self.news_sitemap(self.news_items()))
        newest = max(a.modified or a.published for a in self.items)
        self.site.put(
            "/ganga-times/sitemap.xml",
            self.sitemap_index([
                (f"{BASE}/ganga-times/sitemaps/sitemap-2026-11.xml.gz", newest),
                (f"{BASE}/ganga-times/sitemaps/sitemap-pages.xml", None),
                (f"{BASE}/ganga-times/sitemaps/news.xml", newest),
            ]),
        )


# --------------------------------------------------------------------------- The Padma Herald


class PadmaHerald(OutletRenderer):
    """Old table layout; single-object JSON-LD, OpenGraph, <time>, daily sitemaps."""

    def listing_url(self, kind: str, key: str, page: int) -> str:
        base = f"{BASE}/padma-herald/" + ("latest/" if kind == "latest" else f"{key}/")
        return base if page == 1 else f"{base}page-{page}.html"

    def printed_date(self, art: Article) -> str:
        if "visible_date" in art.render:
            return str(art.render["visible_date"])
        p = art.published
        return f"{p.day} {MONTHS[p.month - 1][:3]} {p.year}, {clock12(p)}"

    def frame(self, title: str, head_extra: str, html_attrs: str, content: str) -> str:
        menu = "\n".join(
            f'<tr><td><a href="{self.listing_url("section", slug(s), 1)}">{esc(s)}</a></td></tr>'
            for s in sorted(self.sections)
        )
        return f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html {html_attrs}>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{esc(title)}</title>
<link href="/padma-herald/css/style.css" rel="stylesheet" type="text/css">
{head_extra}
</head>
<body bgcolor="#ffffff">
<table id="layout" width="980" cellpadding="0" cellspacing="0" align="center">
<tr><td id="masthead" colspan="2"><a href="{BASE}/padma-herald/"><img \
src="/padma-herald/images/masthead.gif" alt="The Padma Herald"></a>
<div class="slogan">{esc(self.o.tagline)}</div></td></tr>
<tr>
<td id="menu" width="180" valign="top"><table class="menu">
<tr><td><a href="{BASE}/padma-herald/">Home</a></td></tr>
<tr><td><a href="{BASE}/padma-herald/latest/">Latest</a></td></tr>
{menu}
</table>
<div class="newsletter-box"><b>Newsletter</b><br>Daily headlines by email.<br>\
<input type="text" name="nl_email"> <input type="submit" value="Subscribe"></div>
</td>
<td id="content" valign="top">
{content}
</td>
</tr>
<tr><td id="footer" colspan="2">Editor: M. Alamgir Kabir. Published from Tejgaon, Dhaka. \
&copy; The Padma Herald 2026</td></tr>
</table>
</body>
</html>
"""

    def article_page(self, art: Article) -> str:
        reportage = art.render.get("jsonld") == "reportage"
        ld_type = "ReportageNewsArticle" if reportage else "NewsArticle"
        head = "\n".join([
            f'<link rel="canonical" href="{art.url}">',
            og_meta(art, times=True),
            jsonld(ld_article(art, ld_type)),
        ])
        paras = []
        for i, text in enumerate(art.body):
            prefix = dateline_prefix(art, "{place}, {mon} {day} - ") if i == 0 else ""
            paras.append(f"<p>{esc(prefix + text)}</p>")
        updated = (
            f'<br><span class="upd">Updated: <time datetime="{iso(art.modified)}">'
            f"{art.modified.day} {MONTHS[art.modified.month - 1][:3]} {art.modified.year}, "
            f"{clock12(art.modified)}</time></span>"
            if art.modified else ""
        )
        lead = f'<h2 class="shoulder">{esc(art.lead)}</h2>\n' if art.lead else ""
        more = "\n".join(
            f'<li><a href="{r.url}">{esc(r.title)}</a> <a class="readmore" href="{r.url}">'
            "Read more &raquo;</a></li>"
            for r in self.site.related(art)
        )
        content = f"""<div class="breadcrumb"><a href="{BASE}/padma-herald/">Home</a> &raquo; \
<a href="{self.listing_url("section", slug(art.section), 1)}">{esc(art.section)}</a></div>
<div class="news-title"><h1>{esc(art.title)}</h1></div>
{lead}<div class="reporter">{byline_html(art, lambda n: f"<b>{n}</b>")}</div>
<div class="pub-date">Published: <time datetime="{iso(art.published)}">\
{self.printed_date(art)}</time>{updated}</div>
<div class="news-img"><img src="{image_url(art)}" width="640"><p class="caption">\
{esc(art.section)}. Photo: Padma Herald</p></div>
<div id="news-content">
{chr(10).join(paras)}
</div>
<div class="print-share"><a href="javascript:print()">Print</a> | <a>Share</a></div>
<div class="more-news"><b>More from {esc(art.section)}</b>
<ul>
{more}
</ul></div>"""
        return self.frame(
            f"The Padma Herald :: {art.title}", head, self.dir_attr(art), content
        )

    def listing_block(self, items: list[Article]) -> str:
        rows = "\n".join(
            f'<tr><td class="list-title"><a href="{a.url}">{esc(a.title)}</a><br>'
            f'<span class="list-date">{a.local_day.day} {MONTHS[a.published.month - 1][:3]} '
            f"{a.published.year}</span> {esc(a.excerpt)} "
            f'<a class="readmore" href="{a.url}">Read more &raquo;</a></td></tr>'
            for a in items
        )
        return f'<table class="news-list" width="100%">\n{rows}\n</table>'

    def listing_page(
        self, heading: str, items: list[Article], prev_url: str | None, next_url: str | None,
        page: int, pages: int,
    ) -> str:
        head = pagination_links(prev_url, next_url)
        pager = []
        if prev_url:
            pager.append(f'<a href="{prev_url}">&laquo; Prev</a>')
        pager.append(f"[ {page} of {pages} ]")
        if next_url:
            pager.append(f'<a href="{next_url}">Next &raquo;</a>')
        content = (
            f'<h1 class="sec-title">{esc(heading)}</h1>\n{self.listing_block(items)}\n'
            f'<div class="pager">{" ".join(pager)}</div>'
        )
        return self.frame(f"The Padma Herald :: {heading}", "\n".join(head), 'lang="en"', content)

    def home_page(self) -> str:
        content = (
            '<h1 class="sec-title">Top News</h1>\n' + self.listing_block(self.items[:8])
            + f'\n<p><a href="{BASE}/padma-herald/latest/">More news &raquo;</a></p>'
        )
        return self.frame("The Padma Herald :: Home", "", 'lang="en"', content)

    def render_archives(self) -> None:
        entries = []
        for day in DAYS:
            items = self.day_items(day)
            path = f"/padma-herald/sitemaps/{day:%Y-%m-%d}.xml"
            self.site.put(path, self.urlset((a.url, a.modified or a.published) for a in items))
            last = max((a.modified or a.published for a in items), default=None)
            entries.append((BASE + path, last))
        entries.append((f"{BASE}/padma-herald/sitemaps/news.xml", None))
        self.site.put("/padma-herald/sitemaps/news.xml", self.news_sitemap(self.news_items()))
        self.site.put("/padma-herald/sitemap_index.xml", self.sitemap_index(entries))


# --------------------------------------------------------------------------- Himalaya Post


class HimalayaPost(OutletRenderer):
    """Bootstrap-like portal; dates only as visible text; RSS; HTML daily archives."""

    feed_path = "/himalaya-post/rss.xml"

    def listing_url(self, kind: str, key: str, page: int) -> str:
        base = f"{BASE}/himalaya-post/" + ("latest/" if kind == "latest" else f"category/{key}/")
        return base if page == 1 else f"{base}{page}/"

    def printed_date(self, art: Article) -> str:
        return str(art.render.get("visible_date") or f"{art.published:%Y-%m-%d %H:%M}")

    def shell(
        self, title: str, html_attrs: str, main: str, head_extra: str = "", sidebar: bool = True
    ) -> str:
        nav = "".join(
            f'<li class="nav-item"><a class="nav-link" href="'
            f'{self.listing_url("section", slug(s), 1)}">{esc(s)}</a></li>'
            for s in sorted(self.sections)
        )
        trending = "\n".join(
            f'<li><a href="{a.url}">{esc(a.title)}</a></li>' for a in self.items[:5] if sidebar
        )
        return f"""<!DOCTYPE html>
<html {html_attrs}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, shrink-to-fit=no">
<title>{esc(title)}</title>
<link rel="stylesheet" href="/himalaya-post/css/bootstrap.min.css">
{head_extra}
</head>
<body>
<nav class="navbar navbar-expand-lg navbar-dark bg-primary">
<a class="navbar-brand" href="{BASE}/himalaya-post/">Himalaya Post</a>
<ul class="navbar-nav">{nav}</ul>
</nav>
<div class="container">
<div class="row">
<div class="col-md-8">
{main}
</div>
<div class="col-md-4 sidebar">
<div class="card"><div class="card-header">Most Read</div><ul class="list-unstyled">
{trending}
</ul></div>
<div class="card newsletter"><div class="card-header">Newsletter</div>
<p>Subscribe for our morning digest.</p><input type="email" class="form-control"></div>
</div>
</div>
</div>
<footer class="footer bg-dark text-light"><p>Himalaya Post &copy; 2026 | Baneshwor, Kathmandu</p>
</footer>
</body>
</html>
"""

    def article_page(self, art: Article) -> str:
        paras = []
        for i, text in enumerate(art.body):
            prefix = dateline_prefix(art, "{place}, {mon} {day}: ") if i == 0 else ""
            paras.append(f"<p>{esc(prefix + text)}</p>")
        updated = (
            f' <span class="updated">Updated: {art.modified:%Y-%m-%d %H:%M}</span>'
            if art.modified else ""
        )
        lead = f'<p class="summary lead">{esc(art.lead)}</p>\n' if art.lead else ""
        more = "\n".join(
            f'<li><a href="{r.url}">{esc(r.title)}</a></li>' for r in self.site.related(art)
        )
        main = f"""<div class="news-detail">
<span class="badge category-label">{esc(art.section)}</span>
<h1 class="news-title">{esc(art.title)}</h1>
{lead}<div class="author-date"><span class="author">{byline_html(art, lambda n: n)}</span> \
<span class="date"><i class="icon-clock"></i> {self.printed_date(art)}</span>{updated}</div>
<img class="img-fluid" src="{image_url(art)}" alt="{esc(art.title)}">
<small class="credit">Photo: Himalaya Post/File</small>
<div class="news-content">
{chr(10).join(paras)}
</div>
<div class="related"><h4>You may also like</h4><ul>
{more}
</ul></div>
</div>"""
        head = f'<link rel="canonical" href="{art.url}">\n<meta name="description" ' \
            f'content="{esc(art.excerpt)}">'
        return self.shell(f"{art.title} :: Himalaya Post", self.dir_attr(art), main, head)

    def listing_block(self, items: list[Article]) -> str:
        rows = "\n".join(
            '<div class="media news-item">\n'
            f'  <div class="media-body"><h5><a href="{a.url}">{esc(a.title)}</a></h5>\n'
            f'  <span class="date">{self.printed_date(a)}</span>\n'
            f'  <p>{esc(a.excerpt)} <a href="{a.url}">Read more</a></p></div>\n'
            "</div>"
            for a in items
        )
        return rows or '<p class="text-muted">No news found.</p>'

    def listing_page(
        self, heading: str, items: list[Article], prev_url: str | None, next_url: str | None,
        page: int, pages: int,
    ) -> str:
        head = pagination_links(prev_url, next_url)
        pager = ['<ul class="pagination">']
        item = '<li class="page-item"><a class="page-link" href="{}">{}</a></li>'
        if prev_url:
            pager.append(item.format(prev_url, "Prev"))
        pager.append(f'<li class="page-item active"><span class="page-link">{page}</span></li>')
        if next_url:
            pager.append(item.format(next_url, "Next"))
        pager.append("</ul>")
        main = f"<h2>{esc(heading)}</h2>\n{self.listing_block(items)}\n{chr(10).join(pager)}"
        return self.shell(f"{heading} :: Himalaya Post", 'lang="en"', main, "\n".join(head))

    def home_page(self) -> str:
        main = "<h2>Top news</h2>\n" + self.listing_block(self.items[:8])
        return self.shell("Himalaya Post", 'lang="en"', main)

    def render_archives(self) -> None:
        for day in DAYS:
            items = self.listing_block(self.day_items(day))
            main = f"<h2>News archive: {day:%Y-%m-%d}</h2>\n{items}"
            self.site.put(
                f"/himalaya-post/archive/{day:%Y-%m-%d}.html",
                self.shell(
                    f"Archive {day:%Y-%m-%d} :: Himalaya Post", 'lang="en"', main, sidebar=False
                ),
            )


# --------------------------------------------------------------------------- entry points


def render_sites(content_dir: Path = CONTENT_DIR) -> dict[str, bytes]:
    """Render every demo site into memory: relative file path -> bytes."""
    outlets, articles = load_content(content_dir)
    return SiteBuilder(outlets, articles).build()


def build(out_dir: Path = WWW_DIR, content_dir: Path = CONTENT_DIR) -> int:
    """Write the rendered sites to ``out_dir`` (replacing it); return the number of files."""
    files = render_sites(content_dir)
    if out_dir.exists():
        if any(out_dir.iterdir()) and not (out_dir / "robots.txt").exists():
            raise SystemExit(f"refusing to replace {out_dir}: it does not look like a demo build")
        shutil.rmtree(out_dir)
    for rel, data in files.items():
        target = out_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return len(files)


def main(argv: list[str] | None = None) -> None:
    """CLI: ``python -m scrapers.demo.build_sites [--out DIR] [--content DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=WWW_DIR)
    parser.add_argument("--content", type=Path, default=CONTENT_DIR)
    args = parser.parse_args(argv)
    count = build(args.out, args.content)
    print(f"wrote {count} files to {args.out}")


if __name__ == "__main__":
    main()
