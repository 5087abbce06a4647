"""Read the demo sites' hand-written truth (data/demo_sites/content/*.yaml) for assertions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import yaml

CONTENT = Path(__file__).resolve().parent.parent / "data" / "demo_sites" / "content"
ROBOTS = CONTENT.parent / "www" / "robots.txt"


@dataclass(frozen=True)
class TruthArticle:
    source: str
    path: str
    title: str
    authors: tuple[str, ...]
    published: datetime
    dateline: str | None
    body: str
    language: str
    story: str | None

    @property
    def utc_day(self) -> date:
        return self.published.astimezone(UTC).date()

    @property
    def offset(self) -> str:
        text = self.published.isoformat()
        return text[-6:]


def robots_disallowed() -> list[str]:
    lines = ROBOTS.read_text(encoding="utf-8").splitlines()
    return [ln.split(":", 1)[1].strip() for ln in lines if ln.lower().startswith("disallow:")]


def load_truth() -> list[TruthArticle]:
    articles = []
    for path in sorted(CONTENT.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        source = data["outlet"]["id"]
        for art in data["articles"]:
            articles.append(TruthArticle(
                source=source,
                path=art["path"],
                title=art["title"],
                authors=tuple(art.get("authors") or ()),
                published=datetime.fromisoformat(art["published"]),
                dateline=art.get("dateline"),
                body="\n\n".join(" ".join(p.split()) for p in art["body"]),
                language=art.get("language") or data["outlet"]["language"],
                story=art.get("story"),
            ))
    return articles


def expected_for_day(day: date) -> dict[str, TruthArticle]:
    """Articles a crawl of UTC ``day`` must store, keyed by path (robots-disallowed ones excluded)."""
    blocked = robots_disallowed()
    return {
        a.path: a for a in load_truth()
        if a.utc_day == day and not any(a.path.startswith(b) for b in blocked)
    }
