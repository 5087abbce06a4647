"""The site being built: the file map, per-outlet article lists, the root robots.txt and index."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from scrapers.demo.content import BASE, ROBOTS_DISALLOW, Article, Outlet
from scrapers.demo.markup import esc


class Renders(Protocol):
    """What the builder needs of an outlet renderer."""

    def render(self) -> None:
        """Put every file of the outlet into the site."""


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

    def build(
        self, renderers: Mapping[str, Callable[[SiteBuilder, Outlet], Renders]]
    ) -> dict[str, bytes]:
        """Render every outlet with its renderer (by outlet id), then the root files."""
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

