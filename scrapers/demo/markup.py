"""Markup helpers shared by the outlet renderers: escaping, printed dates, JSON-LD, OpenGraph."""

from __future__ import annotations

import gzip
import html
import io
import json
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from scrapers.demo.content import AGENCIES, BASE, MONTHS, Article


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


def plain_paragraphs(art: Article, dateline_default: str) -> str:
    """The body as ``<p>`` lines, the first opened by the dateline."""
    return "\n".join(
        f"<p>{esc((dateline_prefix(art, dateline_default) if i == 0 else '') + text)}</p>"
        for i, text in enumerate(art.body)
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


