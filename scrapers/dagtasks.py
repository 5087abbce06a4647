"""The work behind each news_daily task, kept out of the DAG file so it parses fast."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from scrapers.crawl import CrawlFailed, judge_crawl, run_crawl, stage_paths, summarize_stats


def crawl_source(job: dict[str, Any]) -> dict[str, Any]:
    """Run one source's crawl; raise CrawlFailed (failing only this mapped task) on failure."""
    result = run_crawl(
        job["source"],
        datetime.fromisoformat(job["start"]),
        datetime.fromisoformat(job["end"]),
        registry=Path(job["registry"]),
        day=date.fromisoformat(job["day"]),
    )
    summary = result.summary()
    print(json.dumps(summary, indent=1))
    return summary


def crawl_outcome(job: dict[str, Any]) -> tuple[Path | None, str | None, dict[str, int]]:
    """Staged items of a job if its crawl succeeded, else the reason it did not."""
    paths = stage_paths(date.fromisoformat(job["day"]), job["source"])
    if not paths.stats.exists():
        return None, "crawl did not finish (no stats file)", {}
    payload = json.loads(paths.stats.read_text(encoding="utf-8"))
    counts = summarize_stats(payload["stats"], payload.get("lists"))
    try:
        judge_crawl(job["source"], payload["stats"], payload.get("lists", {}))
    except CrawlFailed as exc:
        return None, str(exc), counts
    if not paths.items.exists():
        return None, "crawl finished but staged no file", counts
    return paths.items, None, counts


def write_staged(jobs: list[dict[str, Any]], run_id: str) -> dict[str, Any]:
    """Merge every successful crawl's staged items into the lake; failed ones are reported."""
    from transforms.pipeline import process_staged

    staged: list[Path] = []
    failed: dict[str, str] = {}
    crawl_counts: dict[str, dict[str, int]] = {}
    for job in jobs:
        path, reason, counts = crawl_outcome(job)
        crawl_counts[job["source"]] = counts
        if path is None:
            failed[job["source"]] = reason or "unknown"
        else:
            staged.append(path)
    result = process_staged(staged, run_id=run_id)
    summary = result.to_dict() if hasattr(result, "to_dict") else dict(result)
    summary["crawl_failed"] = failed
    summary["crawl_counts"] = crawl_counts
    print(json.dumps(summary, indent=1, default=str))
    return summary


def report_run(jobs: list[dict[str, Any]], summary: dict[str, Any], run_id: str) -> None:
    """Print a per-source table of the run's counts."""
    print(format_report(jobs, summary, run_id))


def format_report(jobs: list[dict[str, Any]], summary: dict[str, Any], run_id: str) -> str:
    """A plain-text table: found, fetched, written, duplicates, quarantined, refused, errors."""
    header = (
        "source", "found", "fetched", "staged", "written", "dupes", "quar.", "robots", "errors"
    )
    rows = [header]
    per_source = summary.get("sources", {})
    for job in jobs:
        sid = job["source"]
        crawl = summary.get("crawl_counts", {}).get(sid, {})
        written = per_source.get(sid, {})
        rows.append((
            sid,
            str(crawl.get("candidates", 0)),
            str(crawl.get("fetched", 0)),
            str(crawl.get("staged", 0)),
            str(written.get("inserted", 0) + written.get("updated", 0)),
            str(written.get("duplicates", 0)),
            str(written.get("quarantined", 0)),
            str(crawl.get("robots_refused", 0)),
            "FAILED" if sid in summary.get("crawl_failed", {}) else str(
                crawl.get("article_errors", 0) + crawl.get("documents_failed", 0)
            ),
        ))
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [f"news_daily report for {run_id}"]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    for sid, reason in summary.get("crawl_failed", {}).items():
        lines.append(f"FAILED {sid}: {reason}")
    return "\n".join(lines)
