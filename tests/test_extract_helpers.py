"""Shared helpers for the extractor tests: fixture paths and a page builder."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
FILLER = (
    "The district council met on day {n} to review the budget for the coming year and agreed to "
    "spend more on roads, schools and clinics in the outlying villages. "
)


def page(head: str = "", body: str = "", paragraphs: int = 4, lang: str = "en") -> str:
    """A small article page: ``head`` and ``body`` markup plus filler paragraphs."""
    text = "".join(f"<p>{FILLER.format(n=n + 1)}</p>" for n in range(paragraphs))
    return (f'<html lang="{lang}"><head><meta charset="utf-8">{head}</head>'
            f"<body><article>{body}<div class='content'>{text}</div></article></body></html>")
