"""Himalaya Post: Bootstrap-style portal, dates only as visible text, RSS, HTML archives."""

from __future__ import annotations

from datetime import datetime

from scrapers.demo.content import BASE, DAYS, Article
from scrapers.demo.markup import (
    byline_html,
    esc,
    image_url,
    plain_paragraphs,
)
from scrapers.demo.renderer import Listing, OutletRenderer


class HimalayaPost(OutletRenderer):
    """Bootstrap-like portal; dates only as visible text; RSS; HTML daily archives."""

    feed_path = "/himalaya-post/rss.xml"

    page_suffix = "{page}/"

    def print_time(self, dt: datetime) -> str:
        return f"{dt:%Y-%m-%d %H:%M}"

    def shell(
        self, title: str, html_attrs: str, main: str, head_extra: str = "", sidebar: bool = True
    ) -> str:
        nav = "".join(
            f'<li class="nav-item"><a class="nav-link" href="{url}">{name}</a></li>'
            for url, name in self.section_links()
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
        paras = plain_paragraphs(art, "{place}, {mon} {day}: ")
        updated = (
            f' <span class="updated">Updated: {self.print_time(art.modified)}</span>'
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
{paras}
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

    def listing_page(self, page: Listing) -> str:
        item = '<li class="page-item"><a class="page-link" href="{{}}">{}</a></li>'
        pager = page.pager(
            f'<li class="page-item active"><span class="page-link">{page.number}</span></li>',
            item.format("Prev"),
            item.format("Next"),
        )
        pager = ['<ul class="pagination">', *pager, "</ul>"]
        main = (
            f"<h2>{esc(page.heading)}</h2>\n{self.listing_block(page.items)}\n"
            + "\n".join(pager)
        )
        title = f"{page.heading} :: Himalaya Post"
        return self.shell(title, 'lang="en"', main, page.head_links())

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
