"""The Padma Herald: old table layout, daily sitemaps under a sitemap index."""

from __future__ import annotations

from datetime import datetime

from scrapers.demo import feeds
from scrapers.demo.content import BASE, DAYS, MONTHS, Article
from scrapers.demo.markup import (
    byline_html,
    clock12,
    esc,
    image_url,
    iso,
    jsonld,
    ld_article,
    og_meta,
    plain_paragraphs,
    slug,
)
from scrapers.demo.renderer import Listing, OutletRenderer


class PadmaHerald(OutletRenderer):
    """Old table layout; single-object JSON-LD, OpenGraph, <time>, daily sitemaps."""

    section_dir = "{key}/"
    page_suffix = "page-{page}.html"

    def print_time(self, dt: datetime) -> str:
        return f"{dt.day} {MONTHS[dt.month - 1][:3]} {dt.year}, {clock12(dt)}"

    def frame(self, title: str, head_extra: str, html_attrs: str, content: str) -> str:
        menu = "\n".join(
            f'<tr><td><a href="{url}">{name}</a></td></tr>' for url, name in self.section_links()
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
        paras = plain_paragraphs(art, "{place}, {mon} {day} - ")
        updated = (
            f'<br><span class="upd">Updated: <time datetime="{iso(art.modified)}">'
            f"{self.print_time(art.modified)}</time></span>"
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
{paras}
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

    def listing_page(self, page: Listing) -> str:
        pager = page.pager(
            f"[ {page.number} of {page.count} ]",
            '<a href="{}">&laquo; Prev</a>',
            '<a href="{}">Next &raquo;</a>',
        )
        content = (
            f'<h1 class="sec-title">{esc(page.heading)}</h1>\n{self.listing_block(page.items)}\n'
            f'<div class="pager">{" ".join(pager)}</div>'
        )
        title = f"The Padma Herald :: {page.heading}"
        return self.frame(title, page.head_links(), 'lang="en"', content)

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
            self.site.put(path, feeds.urlset((a.url, a.modified or a.published) for a in items))
            last = max((a.modified or a.published for a in items), default=None)
            entries.append((BASE + path, last))
        entries.append((f"{BASE}/padma-herald/sitemaps/news.xml", None))
        news = feeds.news_sitemap(self.o, self.news_items())
        self.site.put("/padma-herald/sitemaps/news.xml", news)
        self.site.put("/padma-herald/sitemap_index.xml", feeds.sitemap_index(entries))
