"""Incremental crawl state, kept in the lake (never in the Airflow DB).

Two things make a second run over an unchanged site cheap:

- discovery documents (feeds, sitemaps, listings) are fetched with their stored validators
  (ETag, Last-Modified); a 304 re-uses the links remembered from the last 200;
- articles already stored in the lake are not fetched again unless discovery reports a
  ``lastmod`` later than the stored version; nor are pages an earlier crawl found to be no
  article, or published outside this run's window (their verdict is remembered with the time).

Documents live in ``<lake>/state/source=<id>/documents.json``; which articles are stored is read
from the articles table itself, so the state can never claim a row the lake does not hold.
The lake may be local or on an object store (``transforms.storage``): the file is read whole and
replaced whole (temp file + ``os.replace`` locally, one PUT on S3).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock

from scrapers.discovery import Candidate, DocumentLinks
from transforms.lake import check_source, lake_location, read_article_rows

if TYPE_CHECKING:
    from transforms.storage import LakeLocation

STATE_DIR = "state"
PAGES_KEY = "_pages"


def state_path(root: str | Path | LakeLocation, source_id: str) -> str:
    """Filesystem path of one source's document state inside the lake."""
    loc = lake_location(root)
    return loc.join(STATE_DIR, f"source={check_source(source_id)}", "documents.json")


def _candidate_to_json(c: Candidate) -> dict[str, Any]:
    data = asdict(c)
    for key in ("date_hint", "lastmod"):
        if data[key] is not None:
            data[key] = data[key].isoformat()
    return data


def _candidate_from_json(data: dict[str, Any]) -> Candidate:
    for key in ("date_hint", "lastmod"):
        if data.get(key):
            data[key] = datetime.fromisoformat(data[key])
    return Candidate(**data)


class DocumentState:
    """Validators and remembered links of one source's discovery documents."""

    def __init__(self, path: str | Path, entries: dict[str, dict[str, Any]] | None = None,
                 location: LakeLocation | None = None) -> None:
        self.location = location or lake_location(Path(path).parent)
        self.path = str(path) if location is not None else self.location.join("documents.json")
        entries = dict(entries or {})
        self.pages: dict[str, dict[str, Any]] = dict(entries.pop(PAGES_KEY, None) or {})
        self.entries: dict[str, dict[str, Any]] = entries
        self.changed: dict[str, dict[str, Any]] = {}
        self.changed_pages: dict[str, dict[str, Any]] = {}

    @classmethod
    def load(cls, root: str | Path | LakeLocation, source_id: str) -> DocumentState:
        """The stored state of one source (empty if none or unreadable)."""
        loc = lake_location(root)
        path = state_path(loc, source_id)
        entries = _read_json(loc, path)
        return cls(path, entries, loc)

    def request_headers(self, url: str) -> dict[str, str]:
        """Conditional-request headers for a document we have seen."""
        entry = self.entries.get(url) or {}
        headers = {}
        if entry.get("etag"):
            headers["If-None-Match"] = entry["etag"]
        if entry.get("last_modified"):
            headers["If-Modified-Since"] = entry["last_modified"]
        return headers

    def links(self, url: str) -> DocumentLinks | None:
        """The links remembered for a document (for a 304 answer)."""
        entry = self.entries.get(url)
        if not entry:
            return None
        return DocumentLinks(
            articles=[_candidate_from_json(dict(c)) for c in entry.get("articles", [])],
            documents=list(entry.get("documents", [])),
        )

    def remember(self, url: str, etag: str | None, last_modified: str | None,
                 links: DocumentLinks) -> None:
        """Record a 200 answer; documents without validators are not worth remembering."""
        if not etag and not last_modified:
            return
        entry = {
            "etag": etag,
            "last_modified": last_modified,
            "articles": [_candidate_to_json(c) for c in links.articles],
            "documents": list(links.documents),
        }
        self.entries[url] = entry
        self.changed[url] = entry

    def remember_page(self, key: str, published_at: datetime | None, is_article: bool,
                      fetched_at: datetime) -> None:
        """Remember what a fetched page turned out to be (for pages not stored in the lake)."""
        entry = {
            "published_at": published_at.isoformat() if published_at else None,
            "is_article": is_article,
            "fetched_at": fetched_at.isoformat(),
        }
        self.pages[key] = entry
        self.changed_pages[key] = entry

    def skips_page(self, key: str, candidate: Candidate, start: datetime, end: datetime) -> bool:
        """True if an earlier fetch showed the page is no article, or falls outside [start, end)."""
        entry = self.pages.get(key)
        if not entry or needs_refetch(candidate, datetime.fromisoformat(entry["fetched_at"])):
            return False
        if not entry["is_article"]:
            return True
        published = entry.get("published_at")
        if published is None:
            return False
        return not start <= datetime.fromisoformat(published) < end

    def save(self) -> None:
        """Merge this crawl's changes into the stored state, atomically and under a lock."""
        if not self.changed and not self.changed_pages:
            return
        loc = self.location
        with self._lock():
            stored = _read_json(loc, self.path)
            stored.update(self.changed)
            pages = stored.get(PAGES_KEY) or {}
            pages.update(self.changed_pages)
            stored[PAGES_KEY] = pages
            data = json.dumps(stored, sort_keys=True).encode("utf-8")
            if not loc.local:  # object store: one PUT of the whole file
                loc.write_bytes(self.path, data, "state")
                return
            path = loc.local_path(self.path)
            tmp = path.with_suffix(".json.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)

    def _lock(self) -> FileLock:
        """Writer lock: beside the file locally; per machine on object stores (see lake docs)."""
        if self.location.local:
            path = self.location.local_path(self.path)
            path.parent.mkdir(parents=True, exist_ok=True)
            return FileLock(str(path) + ".lock", timeout=120)
        source = Path(self.path).parent.name
        return self.location.lock(f"state-{source}", 120)


def _read_json(loc: LakeLocation, path: str) -> dict[str, Any]:
    """A JSON object stored in the lake, or ``{}`` if absent or unreadable (crawl everything)."""
    try:
        entries = json.loads(loc.read_bytes(path).decode("utf-8"))
    except (OSError, ValueError):
        return {}
    return entries if isinstance(entries, dict) else {}


def known_articles(
    root: str | Path | LakeLocation, source_id: str, start: datetime, end: datetime
) -> dict[str, datetime]:
    """Canonical keys of the source's stored articles near the window -> their last version time.

    The version time is the later of ``modified_at`` and ``crawled_at``: a page whose sitemap
    ``lastmod`` is not after it has not changed since we fetched it.
    """
    from transforms.urls import canonicalize_url

    days = []
    day = (start - timedelta(days=2)).date()
    while day <= (end + timedelta(days=2)).date():
        days.append(day)
        day += timedelta(days=1)
    rows = read_article_rows(root, days, source_id,
                             ["url", "canonical_url", "modified_at", "crawled_at"])
    known: dict[str, datetime] = {}
    for row in rows:
        stamps = [v for v in (row["modified_at"], row["crawled_at"]) if v is not None]
        if not stamps:
            continue
        for key in (row["canonical_url"], row["url"]):
            try:
                known[canonicalize_url(key)] = max(stamps)
            except ValueError:
                continue
    return known


def needs_refetch(candidate: Candidate, stored_version: datetime | None) -> bool:
    """True if discovery says the article changed after the version we store."""
    if stored_version is None:
        return True
    return candidate.lastmod is not None and candidate.lastmod > stored_version
