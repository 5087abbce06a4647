"""The Indus Chronicle: a WordPress-style page, RSS with utm links, HTML daily archives."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from scrapers.demo.content import BASE, DAYS, RENDERED_ON, WEEKDAYS, Article
from scrapers.demo.markup import (
    byline_html,
    dateline_prefix,
    esc,
    iso,
    jsonld,
    ld_article,
    long_date,
    og_meta,
    slug,
)
from scrapers.demo.renderer import Listing, OutletRenderer


class IndusChronicle(OutletRenderer):
    """WordPress-like, chrome-heavy; RSS (with utm links), HTML archives, @graph JSON-LD."""

    feed_path = "/indus-chronicle/feed/rss.xml"

    def print_time(self, dt: datetime) -> str:
        return f"{long_date(dt)}, {dt:%H:%M} {self.o.tz_abbr}"

    def header(self, title: str, head_extra: str, html_attrs: str, body_class: str) -> str:
        nav = "".join(
            f'<li class="menu-item"><a href="{url}">{name}</a></li>'
            for url, name in self.section_links()
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
            f'\n  <span class="td-post-modified">Updated: {self.print_time(art.modified)}</span>'
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

    def listing_page(self, page: Listing) -> str:
        nav = page.pager(
            f'<span class="pages">Page {page.number} of {page.count}</span>',
            '<a class="prev page-numbers" href="{}">Previous</a>',
            '<a class="next page-numbers" href="{}">Next</a>',
        )
        heading = page.heading
        title = f"{heading} - Page {page.number}" if page.number > 1 else heading
        top = self.header(
            f"{title} - {self.o.name}", page.head_links(), 'lang="en-US"', "archive category"
        )
        return top + (
            f'<div class="td-main-content">\n<h1 class="entry-title td-page-title">{esc(heading)}'
            f"</h1>\n{self.listing_block(page.items)}\n"
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
