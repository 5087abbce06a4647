"""The one ``make_source`` of the test suite: registry entries for the fictional test outlets."""

from __future__ import annotations

from typing import Any

from scrapers.sources import Source

OUTLETS: dict[str, dict[str, Any]] = {
    "example": {  # a Pakistani outlet whose articles live under /news/ (the discovery tests)
        "id": "example", "name": "Example Times", "homepage": "https://www.example.pk/",
        "country": "PK", "languages": ["en"], "timezone": "Asia/Karachi",
        "allowed_domains": ["example.pk"],
        "feeds": ["https://www.example.pk/feed/"],
        "sitemaps": ["https://www.example.pk/sitemap.xml"],
        "listings": [{"url": "https://www.example.pk/pakistan", "max_pages": 5}],
        "article_url_pattern": r"/news/",
    },
    "ledger": {  # a Pakistani outlet with no URL pattern (the extractor tests)
        "id": "ledger", "name": "Valley Ledger", "homepage": "https://ledger.example/",
        "country": "PK", "languages": ["en"], "timezone": "Asia/Karachi",
        "allowed_domains": ["ledger.example"], "feeds": ["https://ledger.example/feed"],
    },
    "daily": {  # a Bangladeshi outlet with an HTML day archive and a daily sitemap
        "id": "example", "name": "Example Daily", "homepage": "https://www.example.bd/",
        "country": "BD", "languages": ["bn", "en"], "timezone": "Asia/Dhaka",
        "allowed_domains": ["example.bd"],
        "archives": [
            {"url_template": "https://www.example.bd/archive/{date:%Y/%m/%d}"},
            {"url_template": "https://www.example.bd/sitemap/{date:%Y-%m-%d}.xml",
             "kind": "sitemap"},
        ],
    },
}


def make_source(outlet: str = "example", **overrides: Any) -> Source:
    """The registry entry of one test outlet in ``OUTLETS``, with any fields overridden."""
    return Source.model_validate({**OUTLETS[outlet], **overrides})
