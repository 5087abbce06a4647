"""Shared helpers for the extractor tests: fixture paths, a registry source, a page builder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapers.sources import Source

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
FILLER = (
    "The district council met on day {n} to review the budget for the coming year and agreed to "
    "spend more on roads, schools and clinics in the outlying villages. "
)


def make_source(**overrides: Any) -> Source:
    """A registry entry for a fictional outlet, with any fields overridden."""
    data: dict[str, Any] = {
        "id": "ledger", "name": "Valley Ledger", "homepage": "https://ledger.example/",
        "country": "PK", "languages": ["en"], "timezone": "Asia/Karachi",
        "allowed_domains": ["ledger.example"], "feeds": ["https://ledger.example/feed"],
    }
    data.update(overrides)
    return Source.model_validate(data)


def page(head: str = "", body: str = "", paragraphs: int = 4, lang: str = "en") -> str:
    """A small article page: ``head`` and ``body`` markup plus filler paragraphs."""
    text = "".join(f"<p>{FILLER.format(n=n + 1)}</p>" for n in range(paragraphs))
    return (f'<html lang="{lang}"><head><meta charset="utf-8">{head}</head>'
            f"<body><article>{body}<div class='content'>{text}</div></article></body></html>")
