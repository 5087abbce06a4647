"""Run one crawl as a ``scrapy crawl`` subprocess and judge it from its stats file.

Scrapy's reactor cannot restart inside one process and ``scrapy crawl`` exits 0 even when every
request failed, so each crawl runs in its own process and success is decided from the stats.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from scrapers import stats as counters
from scrapers.staging import (
    StagePaths,
    attempt_scratch,
    clear_staged,
    drop_scratch,
    publish_staged,
    stage_keys,
    staging_location,
)
from scrapers.staging import stage_paths as stage_paths  # the crawl's files, for callers
from scrapers.staging import staging_root as staging_root
from transforms.storage import LakeLocation

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class CrawlFailed(RuntimeError):
    """A crawl ran but its stats show it did not do its job; the message says why."""


@dataclass
class CrawlResult:
    source: str
    items_path: str
    stats_path: str
    staged: int
    stats: dict[str, Any] = field(repr=False)
    lists: dict[str, Any] = field(repr=False)

    def summary(self) -> dict[str, Any]:
        """The figures the report needs, without the full stats."""
        data = asdict(self)
        data.pop("stats")
        data.pop("lists")
        data["counts"] = summarize_stats(self.stats)
        return data


def summarize_stats(stats: dict[str, Any]) -> dict[str, int]:
    """Report counts from raw Scrapy stats."""

    def get(key: str) -> int:
        return int(stats.get(key, 0) or 0)

    failed_docs = (get(counters.DOCUMENTS_FAILED)
                   + counters.sum_under(stats, counters.DOCUMENTS_REFUSED))
    return {
        "documents_ok": get(counters.DOCUMENTS_OK),
        "documents_failed": failed_docs,
        # malformed feeds/sitemaps that were repaired, and discovery work cut short on purpose
        "documents_recovered": get(counters.DOCUMENTS_RECOVERED),
        "documents_skipped": counters.sum_under(stats, counters.DOCUMENTS_SKIPPED),
        "over_budget": get(counters.CANDIDATES_OVER_BUDGET)
        + get(counters.DOCUMENTS_OVER_BUDGET),
        "entries_over_limit": get(counters.under(counters.DOCUMENTS_SKIPPED, "entries_over_limit")),
        "documents_too_large": get(counters.under(counters.DOCUMENTS_FAILED, "too_large"))
        + get(counters.under(counters.DOCUMENTS_REFUSED, "too_large")),
        "candidates": get(counters.CANDIDATES_FOUND),
        "outside_window": get(counters.CANDIDATES_OUTSIDE_WINDOW)
        + get(counters.ARTICLES_OUTSIDE_WINDOW),
        "requested": get(counters.ARTICLES_REQUESTED),
        "fetched": get(counters.ARTICLES_FETCHED),
        "not_article": get(counters.ARTICLES_NOT_ARTICLE),
        "staged": get(counters.ARTICLES_STAGED),
        "article_errors": get(counters.ARTICLES_FAILED),
        "robots_refused": get(counters.ROBOTS_REFUSED_ARTICLE)
        + get(counters.ROBOTS_REFUSED_DOCUMENT),
        "bytes": get("downloader/response_bytes"),
        "responses": get("downloader/response_count"),
        "extract_cpu_ms": get(counters.EXTRACT_CPU_US) // 1000,  # CPU inside extract()
        "decoded_with_replacement": get(counters.ARTICLES_DECODED_WITH_REPLACEMENT),
    }


def error_digest(lists: dict[str, Any], limit: int = 5) -> list[dict[str, Any]]:
    """The crawl's errors grouped by kind (``HttpError``, ``DNSLookupError``...), most first.

    Each group has its count and its first message with the URL it came from, so a report can
    say what went wrong without listing every failed request.
    """
    groups: dict[str, dict[str, Any]] = {}
    for error in lists.get("errors", []) or []:
        message = str(error.get("reason") or "unknown error")
        kind = message.split(":", 1)[0].strip() or "error"
        group = groups.setdefault(kind, {"kind": kind, "count": 0, "url": error.get("url"),
                                         "message": message})
        group["count"] += 1
    ranked = sorted(groups.values(), key=lambda g: -g["count"])  # stable: first seen first
    return ranked[:limit]


def describe_crawl(source_id: str, stats: dict[str, Any], lists: dict[str, Any], *,
                   stats_file: str, warc: str | None) -> str:
    """A short per-source summary for the crawl task's log: what was found, kept and refused."""
    counts = summarize_stats(stats)

    def get(key: str) -> int:
        return int(stats.get(key, 0) or 0)

    in_window = (counts["candidates"] - get(counters.CANDIDATES_NOT_ARTICLE_URL)
                 - get(counters.CANDIDATES_OUTSIDE_WINDOW))
    errors = counts["article_errors"] + counts["documents_failed"]
    lines = [
        f"crawl of {source_id}: {stats.get('finish_reason', 'unknown')}",
        f"  documents     {counts['documents_ok']} fetched, {counts['documents_failed']} failed"
        f", {get(counters.DOCUMENTS_NOT_MODIFIED)} not modified",
        f"  candidates    {counts['candidates']} found, {in_window} in the window "
        f"({get(counters.CANDIDATES_DUPLICATE)} repeats), "
        f"{get(counters.CANDIDATES_OUTSIDE_WINDOW)} outside it",
        f"  articles      {counts['requested']} requested, {counts['fetched']} fetched, "
        f"{counts['staged']} staged, {get(counters.ARTICLES_KNOWN_SKIPPED)} already in the "
        f"lake, {get(counters.ARTICLES_OUTSIDE_WINDOW)} dated outside the window, "
        f"{counts['not_article']} not articles",
        f"  robots.txt    {counts['robots_refused']} refused"
        + "".join(f", {url}" for url in (lists.get("robots_refused") or [])[:3]),
        f"  errors        {errors}",
    ]
    for group in error_digest(lists):
        lines.append(f"    {group['count']} x {group['kind']}, first: {group['url']}: "
                     f"{group['message']}")
    lines += [f"  WARC          {warc or 'none (nothing archived)'}",
              f"  stats file    {stats_file}"]
    return "\n".join(lines)


def judge_crawl(source_id: str, stats: dict[str, Any], lists: dict[str, Any]) -> None:
    """Raise CrawlFailed if the stats show a failed crawl."""
    counts = summarize_stats(stats)
    reason = stats.get("finish_reason")
    errors = lists.get("errors", [])[:5]
    detail = "; ".join(f"{e.get('url')}: {e.get('reason')}" for e in errors)
    if reason != "finished":
        raise CrawlFailed(f"{source_id}: crawl ended with {reason!r}. {detail}")
    if counts["documents_ok"] == 0:
        raise CrawlFailed(
            f"{source_id}: no feed, sitemap or listing could be fetched "
            f"({counts['documents_failed']} failed, {counts['robots_refused']} refused by "
            f"robots.txt). First errors: {detail or 'none recorded'}"
        )
    if counts["fetched"] == 0 and counts["article_errors"] > 0:
        raise CrawlFailed(
            f"{source_id}: all {counts['article_errors']} article requests failed. "
            f"First errors: {detail}"
        )


def source_group(registry: Path, source_id: str) -> str:
    """The domain group of one source (``scrapers.sources.domain_groups``)."""
    from scrapers.sources import domain_groups, load_registry

    groups = domain_groups(load_registry(registry))
    if source_id not in groups:
        raise KeyError(f"unknown source {source_id!r} in {registry}")
    return groups[source_id]


@contextmanager
def domain_lease(group: str, source_id: str, wait: float) -> Iterator[None]:
    """Hold the lease ``domain-<group>`` on the lake's store while a crawl of the group runs.

    Sources sharing a registrable domain then take turns on any number of machines, so their
    per-domain delay and concurrency hold for the site.  Waits at most ``wait`` seconds and
    says in the log whom it waits for.
    """
    from transforms.lease import LeaseHeld

    lake = LakeLocation.parse(None)
    name = f"domain-{group}"
    owner = f"crawl of {source_id}"
    lease = lake.lock(name, 0, owner=owner)
    try:
        lease.acquire()
    except LeaseHeld as held:
        print(f"{source_id}: waiting up to {wait:g} s for domain group {group!r}: {held}",
              flush=True)
        lease = lake.lock(name, wait, owner=owner)
        lease.acquire()
    try:
        yield
    finally:
        lease.release()


def run_crawl(
    source_id: str,
    start: datetime,
    end: datetime,
    *,
    registry: Path,
    day: date | None = None,
    staging: str | Path | None = None,
    run: str | None = None,
    group: str | None = None,
    extra_settings: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 3600,
) -> CrawlResult:
    """Crawl one source for [start, end) in a subprocess; return its result or raise CrawlFailed.

    Scrapy writes to local per-attempt scratch files; once it has exited, the items, stats and
    log are published to the staging location (stats last), replacing this attempt's earlier
    objects only: the keys are those of this ``run`` (a ``run_token``), day and source.
    """
    day = day or start.date()
    location = staging_location(staging)
    keys = stage_keys(location, day, source_id, run)
    group = group or source_group(registry, source_id)
    local = attempt_scratch(location, source_id)
    try:
        clear_staged(location, keys)
        proc = _run_scrapy(source_id, start, end, registry, day, local, extra_settings, env,
                           group, timeout)
        payload = (json.loads(local.stats.read_text(encoding="utf-8"))
                   if local.stats.exists() else None)
        staged = (sum(1 for _ in local.items.open(encoding="utf-8"))
                  if local.items.exists() else 0)
        tail = (proc.stderr or "")[-2000:] + _tail(local.log)
        publish_staged(location, local, keys)
    finally:
        drop_scratch(local)
    if payload is None:
        raise CrawlFailed(f"{source_id}: scrapy exited {proc.returncode} without writing stats.\n"
                          f"{tail}")
    stats, lists = payload["stats"], payload.get("lists", {})
    if proc.returncode != 0:
        raise CrawlFailed(f"{source_id}: scrapy exited {proc.returncode}.\n{tail[-3000:]}")
    judge_crawl(source_id, stats, lists)
    return CrawlResult(source_id, staged_uri(location, keys.items),
                       staged_uri(location, keys.stats), staged, stats, lists)


def _run_scrapy(source_id: str, start: datetime, end: datetime, registry: Path, day: date,
                local: StagePaths, extra_settings: dict[str, str] | None,
                env: dict[str, str] | None, group: str,
                timeout: float) -> subprocess.CompletedProcess[str]:
    """Run ``scrapy crawl news`` into the attempt's local files, holding the domain group."""
    settings = {
        "NEWSFLOW_STAGING_FILE": str(local.items),
        "NEWSFLOW_STATS_FILE": str(local.stats),
        "LOG_FILE": str(local.log),
        "LOG_FILE_APPEND": "False",
        "NEWSFLOW_RUN_DAY": day.isoformat(),
        **(extra_settings or {}),
    }
    cmd = [
        sys.executable, "-m", "scrapy", "crawl", "news",
        "-a", f"source={source_id}",
        "-a", f"start={start.isoformat()}",
        "-a", f"end={end.isoformat()}",
        "-a", f"registry={registry}",
    ]
    for key, value in settings.items():
        cmd += ["-s", f"{key}={value}"]
    proc_env = {**os.environ, **(env or {}), "SCRAPY_SETTINGS_MODULE": "scrapers.settings"}
    with domain_lease(group, source_id, timeout):
        return subprocess.run(
            cmd, cwd=PROJECT_ROOT, env=proc_env, capture_output=True, text=True,
            timeout=timeout, check=False,
        )


def staged_uri(location: LakeLocation, key: str) -> str:
    """A staged object as a local path (local staging) or a full URI (object store)."""
    if location.local:
        return str(location.local_path(key))
    return f"{location.uri}/{location.relative(key)}"


def _tail(path: Path, size: int = 3000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-size:]
    except OSError:
        return ""
