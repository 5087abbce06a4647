"""Synthetic regional news sites for the crawl benchmarks, and a fast loopback server for them.

``generate_corpus`` writes N article pages of 60-150 KB of realistic HTML (head full of meta
tags and inline CSS, big navigation and mega-menu, ad slots, share buttons with inline SVG,
related and most-read blocks, comments, footer, analytics scripts and a hydration-state script;
JSON-LD ``NewsArticle`` on half of the pages; bodies of generated sentences).  Every page is
published within one UTC day (``DAY``) and printed with the outlet's +05:30 offset.  Absolute
URLs are written as ``{{BASE}}`` and filled in when a site is served, so one corpus can be split
over several sites (one loopback host each: 127.0.0.1, 127.0.0.2, ...).

``site_files`` adds what discovery needs: ``robots.txt``, an RSS feed of the latest 100 pages, a
sitemap index with monthly-style child urlsets of 1000 URLs and a Google News sitemap listing
every page.  ``write_registry`` writes the registry YAML (loopback allowed, politeness off).

The server (``serve`` below, run as ``python bench/sitegen.py serve ...`` via :func:`start_server`)
is an asyncio HTTP/1.1 keep-alive server with every response preloaded in memory, one listening
socket per site, each on its own loopback host (``site_host``).  It counts requests by kind,
answers ``If-None-Match`` with 304 when ``--etag`` is given, and reports its counters at
``/__stats`` (``/__reset`` zeroes them).

    .venv/bin/python bench/sitegen.py generate --pages 2000 [--out DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import urlopen

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

GENERATOR_VERSION = 2
DAY = date(2026, 11, 20)
LOCAL = timezone(timedelta(hours=5, minutes=30))
PLACEHOLDER = "{{BASE}}"
SITE_NAME = "The Deccan Ledger"
ARTICLE_PATTERN = r"/news/\d{4}/\d{2}/\d{2}/[a-z0-9-]+\.html$"
CACHE_ROOT = Path(os.environ.get("NEWSFLOW_BENCH_CACHE", "/tmp/newsflow-bench"))

_VOCAB = (
    "the government announced on Monday that the provincial assembly would debate the new "
    "budget after weeks of protests by farmers and traders in the district officials said "
    "the monsoon rains had damaged roads bridges and crops across several villages while the "
    "high court adjourned the hearing of the petition until next week police registered a "
    "case against unidentified men after the clash near the market opposition leaders "
    "demanded an inquiry into the power outages that left thousands of residents without "
    "electricity the chief minister inaugurated a hospital and promised more schools for "
    "girls in remote areas the central bank kept its policy rate unchanged citing inflation "
    "and the weak rupee exporters of textiles and garments said orders had fallen sharply "
    "cricket fans celebrated as the national team won the series by four wickets in a "
    "thrilling final over the election commission published the revised schedule for the "
    "local body polls health workers began a vaccination drive against measles and polio"
)
WORDS = _VOCAB.split()
PLACES = ["Hyderabad", "Karachi", "Lahore", "Dhaka", "Kathmandu", "Colombo", "Chennai",
          "Kolkata", "Peshawar", "Guwahati", "Patna", "Quetta", "Sylhet", "Pune", "Jaipur"]
NAMES = ["Ayesha Khan", "Rahul Verma", "Fatima Begum", "Suresh Iyer", "Nadia Rahman",
         "Imran Qureshi", "Priya Nair", "Tashi Sherpa", "Kamal Perera", "Sanjay Gupta",
         "Farhan Ali", "Meena Kumari", "Arif Hossain", "Deepa Rao", "Bilal Ahmed"]
SECTIONS = ["national", "business", "sport", "world", "politics", "metro", "health", "opinion",
            "technology", "entertainment", "education", "environment"]
SVG_ICON = ('<svg class="icon" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">'
            '<path d="M18 16.08c-.76 0-1.44.3-1.96.77L8.91 12.7c.05-.23.09-.46.09-.7s-.04-.47-.09'
            '-.7l7.05-4.11c.54.5 1.25.81 2.04.81 1.66 0 3-1.34 3-3s-1.34-3-3-3-3 1.34-3 3c0 .24.04'
            '.47.09.7L8.04 9.81C7.5 9.31 6.79 9 6 9c-1.66 0-3 1.34-3 3s1.34 3 3 3c.79 0 1.5-.31 '
            '2.04-.81l7.12 4.16c-.05.21-.08.43-.08.65 0 1.61 1.31 2.92 2.92 2.92s2.92-1.31 2.92'
            '-2.92-1.31-2.92-2.92-2.92z"/></svg>')


def _sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(12, 30))
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words)), rng.choice(PLACES))
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(2, 5)))


def _slug(words: list[str]) -> str:
    return "-".join(w.lower() for w in words)[:80].strip("-")


def _css(rng: random.Random, rules: int) -> str:
    props = ["margin:0 auto", "padding:8px 12px", "display:flex", "color:#1a1a1a",
             "font:16px/1.6 Georgia,serif", "border-bottom:1px solid #e5e5e5",
             "grid-template-columns:repeat(auto-fill,minmax(240px,1fr))", "gap:16px",
             "background:#f7f5f0", "text-transform:uppercase", "letter-spacing:.04em"]
    out = []
    for n in range(rules):
        chosen = ";".join(rng.sample(props, 3))
        out.append(f".c-{n:x} .el-{rng.randrange(999):x}>a:hover{{{chosen}}}")
    return "\n".join(out)


def _script_blob(rng: random.Random, size: int) -> str:
    """A hydration-state script of about ``size`` bytes (JSON of teasers, ids and config)."""
    items, total = [], 0
    while total < size:
        item = {"id": rng.randrange(10**9), "h": _sentence(rng)[:90],
                "u": f"/news/2026/11/{rng.randint(1, 30):02d}/story-{rng.randrange(10**6)}.html",
                "img": f"/img/{rng.randrange(10**8):x}.jpg", "sec": rng.choice(SECTIONS),
                "ts": rng.randrange(1_700_000_000, 1_800_000_000)}
        text = json.dumps(item)
        items.append(text)
        total += len(text) + 1
    return "window.__INITIAL_STATE__={\"teasers\":[" + ",".join(items) + "]};"


def _nav(rng: random.Random) -> str:
    links = "".join(f'<li><a href="{PLACEHOLDER}/{s}/">{s.title()}</a></li>' for s in SECTIONS)
    mega = []
    for section in SECTIONS:
        subs = "".join(
            f'<li><a href="{PLACEHOLDER}/{section}/{_slug(rng.choices(WORDS, k=2))}/">'
            f"{' '.join(rng.choices(WORDS, k=2)).title()}</a></li>" for _ in range(12))
        mega.append(f'<div class="mega-col"><h4>{section.title()}</h4><ul>{subs}</ul></div>')
    return (f'<nav class="primary-nav" aria-label="Sections"><ul>{links}</ul>'
            f'<div class="mega-menu">{"".join(mega)}</div></nav>')


def _teaser(rng: random.Random, cls: str) -> str:
    title = _sentence(rng)[:90]
    url = f"{PLACEHOLDER}/news/2026/11/{rng.randint(1, 19):02d}/{_slug(title.split()[:6])}.html"
    return (f'<article class="{cls}"><a href="{url}"><img src="{PLACEHOLDER}/img/'
            f'{rng.randrange(10**8):x}.jpg" alt="" loading="lazy" width="320" height="180">'
            f'<h3 class="{cls}__title">{title}</h3></a><p class="{cls}__excerpt">'
            f"{_sentence(rng)}</p><span class=\"{cls}__time\">{rng.randint(1, 23)} hours ago"
            f"</span></article>")


def _ad(slot: str) -> str:
    return (f'<div class="ad-slot ad-slot--{slot}" id="div-gpt-ad-{slot}" data-ad-unit="/2194/'
            f'ledger/{slot}"><span class="ad-label">Advertisement</span><script>'
            f'googletag.cmd.push(function(){{googletag.display("div-gpt-ad-{slot}");}});'
            f"</script></div>")


def render_page(i: int, seed: int) -> tuple[str, dict[str, Any]]:
    """HTML of article ``i`` (absolute URLs as ``{{BASE}}``) and its manifest entry."""
    rng = random.Random(seed * 1_000_003 + i)
    target = rng.randint(60_000, 150_000)
    published = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC) + timedelta(
        seconds=rng.randrange(86400))
    local = published.astimezone(LOCAL)
    modified = local + timedelta(minutes=rng.randint(5, 180))
    title_words = rng.choices(WORDS, k=rng.randint(7, 13))
    title = " ".join(title_words).capitalize()
    path = f"/news/{local:%Y/%m/%d}/{_slug(title_words[:8])}-{i}.html"
    url = PLACEHOLDER + path
    section = rng.choice(SECTIONS)
    author = rng.choice(NAMES)
    place = rng.choice(PLACES).upper()
    tags = rng.sample(WORDS, 4)
    image = f"{PLACEHOLDER}/img/{i:06d}-main.jpg"
    lead = _sentence(rng)
    body_target = rng.randint(2000, 8000)
    paragraphs, size = [], 0
    while size < body_target:
        para = _paragraph(rng)
        paragraphs.append(para)
        size += len(para)
    body_html = []
    for n, para in enumerate(paragraphs):
        text = f"{place}: {para}" if n == 0 else para
        body_html.append(f"<p>{text}</p>")
        if n in (2, 6, 11):
            body_html.append(_ad(f"inarticle-{n}"))
        if n in (4, 9):
            body_html.append(f'<div class="also-read"><strong>Also read:</strong> '
                             f'<a href="{PLACEHOLDER}/news/2026/11/19/also-{i}-{n}.html">'
                             f"{_sentence(rng)[:80]}</a></div>")
    has_jsonld = i % 2 == 0
    jsonld = ""
    if has_jsonld:
        jsonld = ('<script type="application/ld+json">' + json.dumps({
            "@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
            "description": lead, "datePublished": local.isoformat(),
            "dateModified": modified.isoformat(), "articleSection": section.title(),
            "keywords": tags, "inLanguage": "en", "image": [image],
            "mainEntityOfPage": {"@type": "WebPage", "@id": url},
            "author": [{"@type": "Person", "name": author}],
            "publisher": {"@type": "Organization", "name": SITE_NAME,
                          "logo": {"@type": "ImageObject", "url": f"{PLACEHOLDER}/logo.png"}},
        }) + "</script>")
    head = (
        f'<!DOCTYPE html>\n<html lang="en-IN"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title} | {SITE_NAME}</title>"
        f'<meta name="description" content="{lead}">'
        f'<link rel="canonical" href="{url}">'
        f'<meta property="og:type" content="article"><meta property="og:title" content="{title}">'
        f'<meta property="og:url" content="{url}"><meta property="og:image" content="{image}">'
        f'<meta property="og:site_name" content="{SITE_NAME}">'
        f'<meta property="og:description" content="{lead}">'
        f'<meta property="article:published_time" content="{local.isoformat()}">'
        f'<meta property="article:modified_time" content="{modified.isoformat()}">'
        f'<meta property="article:section" content="{section.title()}">'
        + "".join(f'<meta property="article:tag" content="{t}">' for t in tags)
        + f'<meta name="author" content="{author}"><meta name="twitter:card" '
        f'content="summary_large_image"><link rel="preconnect" href="https://cdn.example.net">'
        f'<link rel="stylesheet" href="{PLACEHOLDER}/static/main.css">'
        f"<style>{_css(rng, rng.randint(120, 260))}</style>"
        '<script async src="https://securepubads.g.doubleclick.net/tag/js/gpt.js"></script>'
        "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}"
        f"gtag('js',new Date());gtag('config','G-{i:08X}',{{page_type:'article',section:"
        f"'{section}'}});</script>"
        + '<script type="application/ld+json">' + json.dumps(
            {"@context": "https://schema.org", "@type": "WebSite", "name": SITE_NAME,
             "url": f"{PLACEHOLDER}/"}) + "</script>"
        + jsonld + "</head>"
    )
    header = (
        f'<body class="article-page section-{section}"><div id="cookie-banner" role="dialog">'
        f"We use cookies to improve your experience. <button>Accept</button></div>"
        f'<header class="site-header"><div class="topbar"><span class="date">'
        f"{local:%A, %d %B %Y}</span><a href=\"{PLACEHOLDER}/epaper/\">E-Paper</a>"
        f'<a href="{PLACEHOLDER}/subscribe/">Subscribe</a></div>'
        f'<a class="logo" href="{PLACEHOLDER}/"><img src="{PLACEHOLDER}/logo.png" '
        f'alt="{SITE_NAME}"></a>{_nav(rng)}'
        f'<div class="ticker"><strong>Breaking:</strong><ul>'
        + "".join(f"<li>{_sentence(rng)[:70]}</li>" for _ in range(6))
        + f"</ul></div></header>{_ad('leaderboard')}"
    )
    share = "".join(f'<a class="share share--{n}" href="#">{SVG_ICON}<span>{n}</span></a>'
                    for n in ("facebook", "x", "whatsapp", "telegram", "email", "copy"))
    article = (
        f'<main id="content"><nav class="breadcrumb"><a href="{PLACEHOLDER}/">Home</a> / '
        f'<a href="{PLACEHOLDER}/{section}/">{section.title()}</a></nav>'
        f'<article class="story"><h1 class="story__headline">{title}</h1>'
        f'<p class="story__standfirst">{lead}</p><div class="story__meta">'
        f'<span class="byline">By <a href="{PLACEHOLDER}/author/{_slug(author.split())}/">'
        f"{author}</a></span> <time datetime=\"{local.isoformat()}\">"
        f"Published {local:%d %b %Y, %I:%M %p} IST</time></div>"
        f'<div class="share-bar">{share}</div><figure class="story__image"><img src="{image}" '
        f'alt="{title}" width="1200" height="675"><figcaption>{_sentence(rng)[:100]} '
        f"(Photo: Agency)</figcaption></figure>"
        f'<div class="story__body">{"".join(body_html)}</div>'
        f'<ul class="tags">'
        + "".join(f'<li><a href="{PLACEHOLDER}/tag/{t}/">{t}</a></li>' for t in tags)
        + f'</ul><div class="share-bar share-bar--bottom">{share}</div></article>'
    )
    related = ('<section class="related"><h2>Related stories</h2>'
               + "".join(_teaser(rng, "teaser") for _ in range(12)) + "</section>")
    sidebar = ('<aside class="sidebar">' + _ad("sidebar-top")
               + '<section class="most-read"><h2>Most read</h2><ol>'
               + "".join(f'<li><a href="{PLACEHOLDER}/news/2026/11/18/mr-{i}-{n}.html">'
                         f"{_sentence(rng)[:80]}</a></li>" for n in range(10))
               + "</ol></section>" + _ad("sidebar-bottom") + "</aside>")
    comments = ('<section class="comments"><h2>Comments</h2>'
                + "".join(f'<div class="comment"><span class="comment__author">'
                          f"{rng.choice(NAMES).split()[0]}</span><p>{_sentence(rng)}</p>"
                          f'<button class="reply">Reply</button></div>'
                          for _ in range(rng.randint(3, 15)))
                + '<form class="comment-form"><textarea name="c"></textarea><button>Post'
                  "</button></form></section>")
    footer = ('<footer class="site-footer"><div class="footer-links">'
              + "".join(f'<a href="{PLACEHOLDER}/{s}/{n}/">{s.title()} {n}</a>'
                        for s in SECTIONS for n in range(8))
              + f"</div><p>&copy; 2026 {SITE_NAME}. All rights reserved.</p>"
                '<form class="newsletter"><input type="email" name="e"><button>Sign up'
                "</button></form></footer>")
    parts = [head, header, article, related, sidebar, comments]
    size = sum(len(p) for p in parts) + len(footer)
    more = []
    while size < target * 0.7:
        block = ('<section class="more-stories"><h2>More from ' + rng.choice(SECTIONS).title()
                 + "</h2>" + "".join(_teaser(rng, "card") for _ in range(8)) + "</section>")
        more.append(block)
        size += len(block)
    tail = (f"</main>{''.join(more)}{footer}<script>"
            f"{_script_blob(rng, max(2000, target - size - 400))}</script>"
            '<script src="https://cdn.example.net/app.js" defer></script></body></html>')
    html = "".join(parts) + tail
    entry = {"i": i, "path": path, "published": local.isoformat(), "title": title,
             "jsonld": has_jsonld, "modified": modified.isoformat()}
    return html, entry


def generate_corpus(pages: int, seed: int = 1, out: Path | None = None) -> Path:
    """Write (or reuse) a corpus of ``pages`` article pages; return its directory."""
    out = out or CACHE_ROOT / f"corpus-v{GENERATOR_VERSION}-{pages}-{seed}"
    manifest = out / "manifest.json"
    if manifest.exists():
        return out
    (out / "pages").mkdir(parents=True, exist_ok=True)
    entries = []
    for i in range(pages):
        html, entry = render_page(i, seed)
        (out / "pages" / f"{i:05d}.html").write_text(html, encoding="utf-8")
        entries.append(entry)
    tmp = manifest.with_suffix(".tmp")
    tmp.write_text(json.dumps({"pages": pages, "seed": seed, "day": DAY.isoformat(),
                               "entries": entries}), encoding="utf-8")
    os.replace(tmp, manifest)
    return out


def load_manifest(corpus: Path) -> list[dict[str, Any]]:
    """The manifest entries of a corpus."""
    return json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))["entries"]


def page_bytes(corpus: Path, i: int, base: str) -> bytes:
    """Page ``i`` of a corpus with its absolute URLs pointing at ``base``."""
    raw = (corpus / "pages" / f"{i:05d}.html").read_bytes()
    return raw.replace(PLACEHOLDER.encode(), base.encode())


def _rfc822(value: datetime) -> str:
    return value.strftime("%a, %d %b %Y %H:%M:%S %z")


def site_files(corpus: Path, indices: list[int], base: str) -> dict[str, bytes]:
    """Every file of one site (pages ``indices`` of the corpus) keyed by URL path."""
    entries = load_manifest(corpus)
    chosen = [entries[i] for i in indices]
    files = {e["path"]: page_bytes(corpus, e["i"], base) for e in chosen}
    latest = sorted(chosen, key=lambda e: e["published"], reverse=True)
    files["/robots.txt"] = (f"User-agent: *\nDisallow: /search/\nAllow: /\n\n"
                            f"Sitemap: {base}/sitemap.xml\n").encode()
    items = "".join(
        f"<item><title>{e['title']}</title><link>{base}{e['path']}</link>"
        f"<guid isPermaLink=\"true\">{base}{e['path']}</guid>"
        f"<pubDate>{_rfc822(datetime.fromisoformat(e['published']))}</pubDate></item>"
        for e in latest[:100])
    files["/feed/rss.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{SITE_NAME}</title><link>{base}/</link><description>Latest</description>"
        f"{items}</channel></rss>").encode()
    children = []
    for n in range(0, len(chosen), 1000):
        part = chosen[n:n + 1000]
        urls = "".join(f"<url><loc>{base}{e['path']}</loc><lastmod>{e['modified']}</lastmod>"
                       "</url>" for e in part)
        name = f"/sitemaps/articles-{n // 1000 + 1}.xml"
        files[name] = ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.'
                       f'sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>').encode()
        newest = max(e["modified"] for e in part)
        children.append(f"<sitemap><loc>{base}{name}</loc><lastmod>{newest}</lastmod></sitemap>")
    files["/sitemap.xml"] = ('<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://'
                             f'www.sitemaps.org/schemas/sitemap/0.9">{"".join(children)}'
                             "</sitemapindex>").encode()
    news = "".join(
        f"<url><loc>{base}{e['path']}</loc><news:news><news:publication><news:name>"
        f"{SITE_NAME}</news:name><news:language>en</news:language></news:publication>"
        f"<news:publication_date>{e['published']}</news:publication_date><news:title>"
        f"{e['title']}</news:title></news:news></url>" for e in chosen)
    files["/sitemaps/news.xml"] = (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/'
        'sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"{news}</urlset>").encode()
    files["/"] = (f"<!DOCTYPE html><html><head><title>{SITE_NAME}</title></head><body><ul>"
                  + "".join(f'<li><a href="{base}{e["path"]}">{e["title"]}</a></li>'
                            for e in latest[:50]) + "</ul></body></html>").encode()
    return files


def split_pages(pages: int, sites: int) -> list[list[int]]:
    """Page indices of each of ``sites`` sites (round robin, so each gets every hour)."""
    return [list(range(k, pages, sites)) for k in range(sites)]


def source_id(k: int) -> str:
    """Registry id of bench site ``k``."""
    return f"bench-{k}"


def write_registry(path: Path, bases: list[str], concurrency: int = 16) -> Path:
    """A registry YAML with one source per served site (loopback allowed, politeness off)."""
    lines = ["# Generated by bench/sitegen.py: synthetic sites served on loopback.", "version: 1",
             "allow_private_addresses: true", "sources:"]
    for k, base in enumerate(bases):
        lines += [
            f"  - id: {source_id(k)}", f"    name: {SITE_NAME} {k}", f"    homepage: {base}/",
            "    country: IN", "    languages: [en]", "    timezone: Asia/Kolkata",
            f'    allowed_domains: ["{urlsplit(base).hostname}"]',
            f"    feeds: [{base}/feed/rss.xml]",
            f"    sitemaps: [{base}/sitemap.xml]", f"    news_sitemaps: [{base}/sitemaps/news.xml]",
            f"    article_url_pattern: '{ARTICLE_PATTERN}'",
            f"    politeness: {{download_delay: 0, concurrency: {concurrency}, "
            "autothrottle: false, obey_robots: true}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def window() -> tuple[datetime, datetime]:
    """The UTC day every generated page is published in."""
    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


# -- server --------------------------------------------------------------------------------

_TYPES = {".html": b"text/html; charset=utf-8", ".xml": b"application/xml",
          ".txt": b"text/plain; charset=utf-8"}


def _kind(path: str) -> str:
    if path.startswith("/news/"):
        return "article"
    if path == "/robots.txt":
        return "robots"
    if path.startswith(("/sitemap", "/feed")):
        return "document"
    return "other"


class Server:
    """Preloaded responses for several sites (one host and port each), with counters."""

    def __init__(self, sites: list[dict[str, bytes]], etag: bool) -> None:
        self.sites = sites
        self.etag = etag
        self.etags = [{p: b'"' + hashlib.sha1(body).hexdigest()[:20].encode() + b'"'
                       for p, body in site.items()} for site in sites]
        self.counts: Counter[str] = Counter()

    def respond(self, site: int, method: str, target: str, headers: dict[str, str]
                ) -> tuple[bytes, bytes]:
        """Status line + headers, and body, for one request."""
        path = target.split("?", 1)[0]
        if path == "/__stats":
            body = json.dumps(dict(self.counts)).encode()
            return self._head(200, b"application/json", len(body), None), body
        if path == "/__reset":
            self.counts.clear()
            return self._head(204, None, 0, None), b""
        kind = _kind(path)
        self.counts["requests"] += 1
        self.counts[f"requests/{kind}"] += 1
        body = self.sites[site].get(path)
        if body is None and path.endswith("/"):
            body = self.sites[site].get(path.rstrip("/") or "/")
        if body is None:
            self.counts["status/404"] += 1
            return self._head(404, b"text/plain", 9, None), b"not found"
        tag = self.etags[site].get(path) if self.etag else None
        if tag is not None and tag.decode() in headers.get("if-none-match", ""):
            self.counts["status/304"] += 1
            self.counts[f"status/304/{kind}"] += 1
            return self._head(304, None, None, tag), b""
        self.counts["status/200"] += 1
        self.counts[f"status/200/{kind}"] += 1
        self.counts["bytes"] += len(body)
        ctype = _TYPES.get(Path(path).suffix, b"text/html; charset=utf-8")
        return self._head(200, ctype, len(body), tag), (b"" if method == "HEAD" else body)

    @staticmethod
    def _head(status: int, ctype: bytes | None, length: int | None, tag: bytes | None) -> bytes:
        reason = {200: b"OK", 204: b"No Content", 304: b"Not Modified", 404: b"Not Found"}
        lines = [b"HTTP/1.1 %d %s" % (status, reason[status]), b"Server: bench-sitegen",
                 b"Connection: keep-alive"]
        if ctype:
            lines.append(b"Content-Type: " + ctype)
        if length is not None:
            lines.append(b"Content-Length: %d" % length)
        if tag:
            lines.append(b"ETag: " + tag)
        return b"\r\n".join(lines) + b"\r\n\r\n"

    async def handle(self, site: int, reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> None:
        """Serve one keep-alive connection."""
        try:
            while True:
                try:
                    raw = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                        ConnectionError):
                    break
                lines = raw.decode("latin-1").split("\r\n")
                method, target, _ = ([*lines[0].split(" "), "", ""])[:3]
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name:
                        headers[name.strip().lower()] = value.strip()
                head, body = self.respond(site, method, target, headers)
                writer.write(head + body if len(body) < 65536 else head)
                if len(body) >= 65536:
                    writer.write(body)
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        finally:
            writer.close()


def site_host(k: int) -> str:
    """Loopback address of site ``k``: 127.0.0.1, 127.0.0.2, ... (Linux routes 127/8 to lo).

    One host per site gives each bench source its own domain, so the crawl runner's per-domain
    lock (sources sharing a domain crawl one after another) lets k sites crawl in parallel.
    """
    if not 0 <= k < 250:
        raise ValueError(f"site {k}: at most 250 bench sites")
    return f"127.0.0.{k + 1}"


async def _serve(server: Server, ports: list[int], ready: Any) -> None:
    listeners = []
    for k, port in enumerate(ports):
        listener = await asyncio.start_server(
            lambda r, w, k=k: server.handle(k, r, w), site_host(k), port, backlog=512)
        listeners.append(listener)
    bases = [f"http://{site_host(k)}:{s.sockets[0].getsockname()[1]}"
             for k, s in enumerate(listeners)]
    ready(bases)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for listener in listeners:
        listener.close()


def serve_main(corpus: Path, sites: int, etag: bool, limit: int | None = None) -> None:
    """Bind one port per site, print the bases as one JSON line, serve until SIGTERM.

    ``limit`` serves only the first ``limit`` pages of the corpus.
    """
    import socket

    sockets = []
    for k in range(sites):
        sock = socket.socket()
        sock.bind((site_host(k), 0))
        sockets.append(sock)
    ports = [s.getsockname()[1] for s in sockets]
    for sock in sockets:
        sock.close()
    bases = [f"http://{site_host(k)}:{p}" for k, p in enumerate(ports)]
    pages = len(load_manifest(corpus))
    pages = min(pages, limit) if limit else pages
    split = split_pages(pages, sites)
    server = Server([site_files(corpus, split[k], bases[k]) for k in range(sites)], etag)

    def ready(actual: list[str]) -> None:
        print(json.dumps({"bases": actual, "pid": os.getpid()}), flush=True)

    asyncio.run(_serve(server, ports, ready))


def start_server(corpus: Path, sites: int = 1, etag: bool = False, limit: int | None = None
                 ) -> tuple[subprocess.Popen[str], list[str]]:
    """Start the server in a child process; return it and the base URL of each site."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "serve", "--corpus", str(corpus),
           "--sites", str(sites)] + (["--etag"] if etag else [])
    if limit:
        cmd += ["--limit", str(limit)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.wait()
        raise RuntimeError("the bench server did not start")
    return proc, json.loads(line)["bases"]


def stop_server(proc: subprocess.Popen[str]) -> None:
    """Stop a server started by :func:`start_server`."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def server_stats(base: str, reset: bool = False) -> dict[str, int]:
    """The server's counters (all sites); with ``reset`` zero them afterwards."""
    with urlopen(f"{base}/__stats", timeout=10) as resp:
        stats = json.loads(resp.read())
    if reset:
        urlopen(f"{base}/__reset", timeout=10).close()
    return stats


def measure_server(base: str, paths: list[str], seconds: float = 3.0, clients: int = 2
                   ) -> dict[str, float]:
    """Requests/s the server sustains for article pages: ``clients`` processes, each a tight
    keep-alive loop (the clients share the 2 cores with the server, so this is a lower bound)."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    queue: Any = ctx.Queue()
    procs = [ctx.Process(target=_client_loop, args=(base, paths[k::clients], seconds, queue))
             for k in range(clients)]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    requests = sum(r[0] for r in results)
    size = sum(r[1] for r in results)
    elapsed = max(r[2] for r in results)
    return {"requests_s": requests / elapsed, "mb_s": size / elapsed / 2**20,
            "requests": requests}


def _client_loop(base: str, paths: list[str], seconds: float, queue: Any) -> None:
    import http.client

    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port))
    count = size = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        conn.request("GET", paths[count % len(paths)])
        body = conn.getresponse().read()
        size += len(body)
        count += 1
    queue.put((count, size, time.perf_counter() - start))
    conn.close()


def main() -> None:
    """CLI: ``generate`` a corpus or ``serve`` one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("--pages", type=int, default=2000)
    gen.add_argument("--seed", type=int, default=1)
    gen.add_argument("--out", type=Path, default=None)
    srv = sub.add_parser("serve")
    srv.add_argument("--corpus", type=Path, required=True)
    srv.add_argument("--sites", type=int, default=1)
    srv.add_argument("--etag", action="store_true")
    srv.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    if args.cmd == "generate":
        start = time.perf_counter()
        out = generate_corpus(args.pages, args.seed, args.out)
        sizes = [p.stat().st_size for p in (out / "pages").glob("*.html")]
        print(f"{out}: {len(sizes)} pages, {sum(sizes) / len(sizes) / 1024:.0f} KB average, "
              f"{min(sizes) / 1024:.0f}-{max(sizes) / 1024:.0f} KB, "
              f"{time.perf_counter() - start:.1f} s")
    else:
        serve_main(args.corpus, args.sites, args.etag, args.limit)


if __name__ == "__main__":
    main()
