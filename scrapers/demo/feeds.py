"""Feeds and sitemaps: RSS 2.0, Atom 1.0, sitemap ``urlset``/``sitemapindex`` and Google News."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from email.utils import format_datetime

from scrapers.demo.content import BASE, Article, Outlet
from scrapers.demo.markup import esc, iso, xml_text

Linker = Callable[[Article], str]  # the URL a feed advertises for an article


def rss(outlet: Outlet, feed_path: str, shown: list[Article], link: Linker) -> str:
    """RSS 2.0 feed of ``shown`` (newest first), each item linked by ``link``."""
    items = []
    for art in shown:
        cats = "".join(f"\n      <category>{xml_text(t)}</category>" for t in art.tags)
        creator = art.byline if not art.byline_is_outlet else outlet.name
        items.append(
            "    <item>\n"
            f"      <title>{xml_text(art.title)}</title>\n"
            f"      <link>{xml_text(link(art))}</link>\n"
            f'      <guid isPermaLink="false">{BASE}{outlet.root}?p={art.id}</guid>\n'
            f"      <pubDate>{format_datetime(art.published)}</pubDate>\n"
            f"      <dc:creator><![CDATA[{creator}]]></dc:creator>{cats}\n"
            f"      <description>{xml_text(art.excerpt)}</description>\n"
            "    </item>"
        )
    newest = shown[0].published
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:atom="http://www.w3.org/2005/Atom">\n'
        "  <channel>\n"
        f"    <title>{xml_text(outlet.name)}</title>\n"
        f"    <link>{BASE}{outlet.root}</link>\n"
        f'    <atom:link href="{BASE}{feed_path}" rel="self"'
        ' type="application/rss+xml"/>\n'
        f"    <description>{xml_text(outlet.tagline)}</description>\n"
        f"    <language>{outlet.language}</language>\n"
        f"    <lastBuildDate>{format_datetime(newest)}</lastBuildDate>\n"
        + "\n".join(items)
        + "\n  </channel>\n</rss>\n"
    )


def atom(outlet: Outlet, feed_path: str, shown: list[Article], link: Linker) -> str:
    """Atom 1.0 feed of ``shown``, each entry linked by ``link``."""
    entries = []
    for art in shown:
        authors = "".join(
            f"\n    <author><name>{xml_text(n)}</name></author>" for n in art.authors
        ) or f"\n    <author><name>{xml_text(art.byline)}</name></author>"
        updated = art.modified or art.published
        entries.append(
            "  <entry>\n"
            f"    <title>{xml_text(art.title)}</title>\n"
            f'    <link rel="alternate" type="text/html" href="{link(art)}"/>\n'
            f"    <id>tag:gangatimes.example,2026:{art.id}</id>\n"
            f"    <published>{iso(art.published)}</published>\n"
            f"    <updated>{iso(updated)}</updated>{authors}\n"
            f'    <category term="{esc(art.section)}"/>\n'
            f"    <summary>{xml_text(art.excerpt)}</summary>\n"
            "  </entry>"
        )
    newest = max((a.modified or a.published) for a in shown)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{outlet.language}">\n'
        f"  <title>{xml_text(outlet.name)}</title>\n"
        f"  <subtitle>{xml_text(outlet.tagline)}</subtitle>\n"
        f'  <link rel="self" href="{BASE}{feed_path}"/>\n'
        f'  <link rel="alternate" type="text/html" href="{BASE}{outlet.root}"/>\n'
        f"  <id>{BASE}{outlet.root}</id>\n"
        f"  <updated>{iso(newest)}</updated>\n"
        + "\n".join(entries)
        + "\n</feed>\n"
    )


def _loc_rows(tag: str, entries: Iterable[tuple[str, datetime | None]]) -> list[str]:
    """One ``<tag><loc>…</loc><lastmod>…</lastmod></tag>`` row per (URL, last change)."""
    rows = []
    for loc, lastmod in entries:
        mod = f"\n    <lastmod>{iso(lastmod)}</lastmod>" if lastmod else ""
        rows.append(f"  <{tag}>\n    <loc>{xml_text(loc)}</loc>{mod}\n  </{tag}>")
    return rows


def urlset(entries: Iterable[tuple[str, datetime | None]]) -> str:
    """A plain sitemap ``urlset``."""
    rows = _loc_rows("url", entries)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "\n".join(rows)
        + ("\n" if rows else "")
        + "</urlset>\n"
    )


def sitemap_index(entries: list[tuple[str, datetime | None]]) -> str:
    """A ``sitemapindex`` document."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "\n".join(_loc_rows("sitemap", entries))
        + "\n</sitemapindex>\n"
    )


def news_sitemap(outlet: Outlet, items: list[Article]) -> str:
    """A Google News sitemap."""
    rows = []
    for art in items:
        rows.append(
            "  <url>\n"
            f"    <loc>{xml_text(art.url)}</loc>\n"
            "    <news:news>\n"
            "      <news:publication>\n"
            f"        <news:name>{xml_text(outlet.name)}</news:name>\n"
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
