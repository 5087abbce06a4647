"""The demo truth: outlets and articles loaded from ``data/demo_sites/content``, and the constants
every page renderer shares (the ``{{BASE}}`` placeholder, the demo days, page sizes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

BASE = "{{BASE}}"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_DIR = REPO_ROOT / "data" / "demo_sites"
CONTENT_DIR = DEMO_DIR / "content"
WWW_DIR = DEMO_DIR / "www"

FIRST_DAY = date(2026, 11, 18)
DAYS: list[date] = [FIRST_DAY + timedelta(days=i) for i in range(7)]
FEED_SIZE = 10  # feeds show only the latest N items of their outlet
NEWS_SITEMAP_DAYS = (date(2026, 11, 23), date(2026, 11, 24))  # "last 48 hours" of the demo
RENDERED_ON = date(2026, 11, 25)  # the "today" printed in date bars (the page render date)
LATEST_PAGE_SIZE = 4
SECTION_PAGE_SIZE = 2
ROBOTS_DISALLOW = "/indus-chronicle/private/"
AGENCIES = {"SAW": "South Asia Wire"}

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]




@dataclass(frozen=True)
class Outlet:
    """One invented outlet (the ``outlet:`` header of a content file)."""

    id: str
    name: str
    country: str
    timezone: str
    tz_abbr: str
    language: str
    tagline: str

    @property
    def root(self) -> str:
        """URL path prefix of the outlet, with trailing slash."""
        return f"/{self.id}/"


@dataclass(frozen=True)
class Article:
    """One hand-written article; ``render`` holds page-only options that are not truth."""

    outlet: Outlet
    id: str
    path: str
    title: str
    byline: str
    authors: list[str]
    byline_is_outlet: bool
    published: datetime
    modified: datetime | None
    dateline: str | None
    lead: str | None
    section: str
    tags: list[str]
    language: str
    body: list[str]
    agency: str | None = None
    story: str | None = None
    similar_to: str | None = None
    duplicate_urls: list[str] = field(default_factory=list)
    robots_disallowed: bool = False
    render: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """Absolute URL with the ``{{BASE}}`` placeholder."""
        return BASE + self.path

    @property
    def local_day(self) -> date:
        """Publication date in the outlet's own time zone (archives use this)."""
        return self.published.date()

    @property
    def utc_day(self) -> date:
        """Publication date in UTC (the lake's partition date)."""
        return self.published.astimezone(UTC).date()

    @property
    def word_count(self) -> int:
        """Words in the body (whitespace split)."""
        return sum(len(p.split()) for p in self.body)

    @property
    def excerpt(self) -> str:
        """The lead, else the first 28 words of the body."""
        if self.lead:
            return self.lead
        words = self.body[0].split()
        return " ".join(words[:28]) + (" …" if len(words) > 28 else "")

    @property
    def tracking_url(self) -> str | None:
        """The ``utm_*`` copy of the URL that the feed advertises, if any."""
        return next((BASE + u for u in self.duplicate_urls if "utm_" in u), None)

    @property
    def amp_url(self) -> str | None:
        """The AMP copy of the article, if any."""
        return next((BASE + u for u in self.duplicate_urls if "/amp/" in u), None)

    def truth(self, base_url: str) -> dict[str, Any]:
        """The expected row fields, with ``{{BASE}}`` replaced by ``base_url``."""
        return {
            "id": self.id,
            "source": self.outlet.id,
            "url": base_url + self.path,
            "canonical_url": base_url + self.path,
            "duplicate_urls": [base_url + u for u in self.duplicate_urls],
            "title": self.title,
            "lead": self.lead,
            "body": "\n\n".join(self.body),
            "authors": list(self.authors),
            "byline_is_outlet": self.byline_is_outlet,
            "published_at": self.published.astimezone(UTC),
            "published_offset": self.published.strftime("%z")[:3] + ":"
            + self.published.strftime("%z")[3:],
            "modified_at": self.modified.astimezone(UTC) if self.modified else None,
            "dateline": self.dateline,
            "section": self.section,
            "tags": list(self.tags),
            "language": self.language,
            "story": self.story,
            "similar_to": self.similar_to,
            "robots_disallowed": self.robots_disallowed,
            "date": self.utc_day,
        }


_ARTICLE_KEYS = {f for f in Article.__dataclass_fields__ if f != "outlet"}


def _parse_dt(value: Any, where: str) -> datetime:
    dt = datetime.fromisoformat(str(value))
    if dt.tzinfo is None:
        raise ValueError(f"{where}: datetime {value!r} has no UTC offset")
    return dt


def load_content(content_dir: Path = CONTENT_DIR) -> tuple[list[Outlet], list[Article]]:
    """Load and sanity-check every ``*.yaml`` content file; articles sorted by outlet, time."""
    outlets: list[Outlet] = []
    articles: list[Article] = []
    for path in sorted(content_dir.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        outlet = Outlet(**data["outlet"])
        outlets.append(outlet)
        zone = ZoneInfo(outlet.timezone)
        for raw in data["articles"]:
            where = f"{path.name}: {raw.get('id')}"
            unknown = set(raw) - _ARTICLE_KEYS
            if unknown:
                raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
            fields = dict(raw)
            fields["published"] = _parse_dt(raw["published"], where)
            fields["modified"] = _parse_dt(raw["modified"], where) if raw.get("modified") else None
            art = Article(outlet=outlet, **fields)
            if art.published.utcoffset() != art.published.astimezone(zone).utcoffset():
                raise ValueError(f"{where}: offset does not match {outlet.timezone}")
            if not art.path.startswith(outlet.root):
                raise ValueError(f"{where}: path must start with {outlet.root}")
            articles.append(art)
    ids = [a.id for a in articles]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate article ids in content")
    articles.sort(key=lambda a: (a.outlet.id, a.published, a.id))
    return outlets, articles


def expected_articles(
    base_url: str,
    utc_day: date | None = None,
    *,
    include_robots_disallowed: bool = False,
    content_dir: Path = CONTENT_DIR,
) -> list[dict[str, Any]]:
    """Expected lake rows (as dicts) for one UTC day, or all days when ``utc_day`` is None."""
    _, articles = load_content(content_dir)
    return [
        a.truth(base_url.rstrip("/"))
        for a in articles
        if (utc_day is None or a.utc_day == utc_day)
        and (include_robots_disallowed or not a.robots_disallowed)
    ]

