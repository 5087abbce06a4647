"""The base outlet renderer: what every outlet renders the same way (article pages, paginated
listings, home, feed), with the HTML style left to the per-outlet subclasses in ``outlets/``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from scrapers.demo import feeds
from scrapers.demo.content import (
    BASE,
    FEED_SIZE,
    LATEST_PAGE_SIZE,
    NEWS_SITEMAP_DAYS,
    SECTION_PAGE_SIZE,
    Article,
    Outlet,
)
from scrapers.demo.markup import chunks, esc, slug
from scrapers.demo.site import SiteBuilder


@dataclass(frozen=True)
class Listing:
    """One page of a paginated listing."""

    heading: str
    items: list[Article]
    prev_url: str | None
    next_url: str | None
    number: int
    count: int

    def head_links(self) -> str:
        """The ``<link rel="prev|next">`` head tags, one a line."""
        links = []
        if self.prev_url:
            links.append(f'<link rel="prev" href="{self.prev_url}">')
        if self.next_url:
            links.append(f'<link rel="next" href="{self.next_url}">')
        return "\n".join(links)

    def pager(self, current: str, prev_link: str, next_link: str) -> list[str]:
        """The visible pager: ``current`` between the link templates (``{}`` is the URL)."""
        parts = [prev_link.format(self.prev_url)] if self.prev_url else []
        parts.append(current)
        if self.next_url:
            parts.append(next_link.format(self.next_url))
        return parts


class OutletRenderer:
    """Shared machinery for one outlet; subclasses provide the HTML style."""

    feed_path: str | None = None
    feed_kind = "rss"
    section_dir = "category/{key}/"  # a section's listing, below the outlet root
    page_suffix = "page/{page}/"  # page 2 onwards of a listing, below the listing URL

    def __init__(self, site: SiteBuilder, outlet: Outlet) -> None:
        self.site = site
        self.o = outlet
        self.items = site.of(outlet)

    # -- to override
    def article_page(self, art: Article) -> str:
        raise NotImplementedError

    def listing_page(self, page: Listing) -> str:
        raise NotImplementedError

    def print_time(self, dt: datetime) -> str:
        """A date and time as the outlet prints it on the page."""
        raise NotImplementedError

    def home_page(self) -> str:
        raise NotImplementedError

    def render_archives(self) -> None:
        raise NotImplementedError

    def render_extra(self) -> None:
        """Sitemaps, tag pages, AMP copies: whatever the outlet has besides the basics."""

    # -- shared
    def listing_url(self, kind: str, key: str, page: int) -> str:
        """URL of page ``page`` of the ``latest`` listing or of section ``key``."""
        part = "latest/" if kind == "latest" else self.section_dir.format(key=key)
        first = BASE + self.o.root + part
        return first if page == 1 else first + self.page_suffix.format(page=page)

    def section_links(self) -> list[tuple[str, str]]:
        """(listing URL, escaped name) of every section, sorted by name, for the menus."""
        return [(self.listing_url("section", slug(s), 1), esc(s)) for s in sorted(self.sections)]

    def printed_date(self, art: Article) -> str:
        """The publication time printed on the page (a content override wins)."""
        if "visible_date" in art.render:
            return str(art.render["visible_date"])
        return self.print_time(art.published)

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
            write = feeds.rss if self.feed_kind == "rss" else feeds.atom
            self.site.put(
                self.feed_path, write(self.o, self.feed_path, self.feed_items(), self.feed_link)
            )
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
            listing = Listing(heading, page_items, prev_url, next_url, n, len(pages))
            self.site.put(path, self.listing_page(listing))

    def feed_items(self) -> list[Article]:
        """The latest ``FEED_SIZE`` articles."""
        return self.items[:FEED_SIZE]

    def feed_link(self, art: Article) -> str:
        """The link a feed advertises (the tracking copy when the content says so)."""
        return art.tracking_url or art.url

    def day_items(self, day: date) -> list[Article]:
        """Articles of one local publication day, oldest first."""
        return sorted((a for a in self.items if a.local_day == day), key=lambda a: a.published)

    def news_items(self) -> list[Article]:
        """Articles of the news-sitemap window, newest first."""
        return [a for a in self.items if a.local_day in NEWS_SITEMAP_DAYS]

    def dir_attr(self, art: Article) -> str:
        """``lang``/``dir`` attributes for the html element."""
        rtl = ' dir="rtl"' if art.language in {"ur", "ar", "fa"} else ""
        return f'lang="{art.language}"{rtl}'

