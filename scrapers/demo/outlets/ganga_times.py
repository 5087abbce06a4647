"""The Ganga Times: modern layout, Atom feed, gzipped sitemap index, AMP copies, tag pages."""

from __future__ import annotations

from datetime import datetime

from scrapers.demo import feeds
from scrapers.demo.content import BASE, DAYS, Article
from scrapers.demo.markup import (
    byline_html,
    dateline_prefix,
    esc,
    gzip_bytes,
    image_url,
    iso,
    jsonld,
    ld_article,
    long_date,
    plain_paragraphs,
    slug,
    us_datetime,
)
from scrapers.demo.renderer import Listing, OutletRenderer


class GangaTimes(OutletRenderer):
    """Modern layout; Atom feed, sitemap index (.xml.gz), news sitemap, AMP, tag pages."""

    feed_path = "/ganga-times/feeds/latest.atom"
    feed_kind = "atom"

    section_dir = "section/{key}/"
    page_suffix = "page-{page}.html"

    def print_time(self, dt: datetime) -> str:
        return us_datetime(dt)

    def chrome_top(self, title: str, head_extra: str, html_attrs: str) -> str:
        nav = "".join(f'<a href="{url}">{name}</a>' for url, name in self.section_links())
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
        paras = plain_paragraphs(art, "{place}: ")
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

    def listing_page(self, page: Listing) -> str:
        pager = page.pager(
            f"<span>Page {page.number} / {page.count}</span>",
            '<a rel="prev" href="{}">Previous</a>',
            '<a rel="next" class="gt-next" href="{}">Next &rsaquo;</a>',
        )
        heading = page.heading
        return (
            self.chrome_top(f"{heading} | The Ganga Times", page.head_links(), 'lang="en-IN"')
            + f'<h1 class="gt-section-title">{esc(heading)}</h1>\n'
            + f"{self.listing_block(page.items)}\n"
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
        month = feeds.urlset((a.url, a.modified or a.published) for a in reversed(self.items))
        self.site.put("/ganga-times/sitemaps/sitemap-2026-11.xml.gz", gzip_bytes(month.encode()))
        pages = [f"{BASE}/ganga-times/", f"{BASE}/ganga-times/latest/"]
        pages += [url for url, _ in self.section_links()]
        pages += [f"{BASE}/ganga-times/tag/{slug(t)}/" for t in self.tags]
        self.site.put(
            "/ganga-times/sitemaps/sitemap-pages.xml", feeds.urlset((p, None) for p in pages)
        )
        news = feeds.news_sitemap(self.o, self.news_items())
        self.site.put("/ganga-times/sitemaps/news.xml", news)
        newest = max(a.modified or a.published for a in self.items)
        self.site.put(
            "/ganga-times/sitemap.xml",
            feeds.sitemap_index([
                (f"{BASE}/ganga-times/sitemaps/sitemap-2026-11.xml.gz", newest),
                (f"{BASE}/ganga-times/sitemaps/sitemap-pages.xml", None),
                (f"{BASE}/ganga-times/sitemaps/news.xml", newest),
            ]),
        )
