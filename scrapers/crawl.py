"""Run one crawl as a ``scrapy crawl`` subprocess and judge it from its stats file.

Scrapy's reactor cannot restart inside one process and ``scrapy crawl`` exits 0 even when every
request failed, so each crawl runs in its own process and success is decided from the stats.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock

from scrapers.sources import SOURCE_ID_PATTERN

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class CrawlFailed(RuntimeError):
    """A crawl ran but its stats show it did not do its job; the message says why."""


@dataclass
class StagePaths:
    items: Path
    stats: Path
    log: Path


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


def staging_root() -> Path:
    """Crawl staging: ``NEWSFLOW_STAGING`` or ``data/staging`` (outside the lake)."""
    return Path(os.environ.get("NEWSFLOW_STAGING", PROJECT_ROOT / "data" / "staging"))


def stage_paths(day: date, source_id: str, root: Path | None = None) -> StagePaths:
    """Staged items, stats and log of one source's crawl for one day."""
    if not re.fullmatch(SOURCE_ID_PATTERN, source_id):
        raise ValueError(f"unsafe source id {source_id!r}: it must match {SOURCE_ID_PATTERN}")
    base = (root or staging_root()) / f"date={day.isoformat()}"
    return StagePaths(
        items=base / f"{source_id}.jsonl",
        stats=base / f"{source_id}.stats.json",
        log=base / f"{source_id}.log",
    )


def summarize_stats(stats: dict[str, Any]) -> dict[str, int]:
    """Report counts from raw Scrapy stats."""

    def get(key: str) -> int:
        return int(stats.get(key, 0) or 0)

    failed_docs = get("newsflow/documents/failed") + sum(
        int(v) for k, v in stats.items() if k.startswith("newsflow/documents/refused/")
    )
    return {
        "documents_ok": get("newsflow/documents/ok"),
        "documents_failed": failed_docs,
        "candidates": get("newsflow/candidates/found"),
        "outside_window": get("newsflow/candidates/outside_window")
        + get("newsflow/articles/outside_window"),
        "requested": get("newsflow/articles/requested"),
        "fetched": get("newsflow/articles/fetched"),
        "not_article": get("newsflow/articles/not_article"),
        "staged": get("newsflow/articles/staged"),
        "article_errors": get("newsflow/articles/failed"),
        "robots_refused": get("newsflow/robots_refused/article")
        + get("newsflow/robots_refused/document"),
        "bytes": get("downloader/response_bytes"),
        "responses": get("downloader/response_count"),
        "extract_cpu_ms": get("newsflow/extract/cpu_us") // 1000,  # CPU inside extract()
    }


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


@contextmanager
def domain_locks(registry: Path, source_id: str, root: Path, timeout: float) -> Iterator[None]:
    """Hold a lock per allowed domain, so sources sharing a domain crawl one after another.

    Their per-domain delay and concurrency then hold across processes on one machine; across
    machines an Airflow pool per domain group does the same (docs/scale-out.md).
    """
    from scrapers.sources import load_registry

    domains = sorted(set(load_registry(registry).get(source_id).allowed_domains))
    lock_dir = root / "_locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        for domain in domains:  # sorted: two crawls never wait on each other in a cycle
            stack.enter_context(FileLock(str(lock_dir / f"domain={domain}.lock"), timeout=timeout))
        yield


def run_crawl(
    source_id: str,
    start: datetime,
    end: datetime,
    *,
    registry: Path,
    day: date | None = None,
    staging: Path | None = None,
    extra_settings: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 3600,
) -> CrawlResult:
    """Crawl one source for [start, end) in a subprocess; return its result or raise CrawlFailed."""
    paths = stage_paths(day or start.date(), source_id, staging)
    paths.items.parent.mkdir(parents=True, exist_ok=True)
    for stale in (paths.items, paths.stats):
        stale.unlink(missing_ok=True)
    settings = {
        "NEWSFLOW_STAGING_FILE": str(paths.items),
        "NEWSFLOW_STATS_FILE": str(paths.stats),
        "LOG_FILE": str(paths.log),
        "LOG_FILE_APPEND": "False",
        "NEWSFLOW_RUN_DAY": (day or start.date()).isoformat(),
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
    with domain_locks(registry, source_id, paths.items.parent.parent, timeout):
        proc = subprocess.run(
            cmd, cwd=PROJECT_ROOT, env=proc_env, capture_output=True, text=True,
            timeout=timeout, check=False,
        )
    if not paths.stats.exists():
        tail = (proc.stderr or "")[-2000:] + _tail(paths.log)
        raise CrawlFailed(
            f"{source_id}: scrapy exited {proc.returncode} without writing stats.\n{tail}"
        )
    payload = json.loads(paths.stats.read_text(encoding="utf-8"))
    stats, lists = payload["stats"], payload.get("lists", {})
    if proc.returncode != 0:
        raise CrawlFailed(f"{source_id}: scrapy exited {proc.returncode}.\n{_tail(paths.log)}")
    judge_crawl(source_id, stats, lists)
    staged = sum(1 for _ in paths.items.open(encoding="utf-8")) if paths.items.exists() else 0
    return CrawlResult(source_id, str(paths.items), str(paths.stats), staged, stats, lists)


def _tail(path: Path, size: int = 3000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-size:]
    except OSError:
        return ""
