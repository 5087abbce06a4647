"""The work behind each news_daily task, kept out of the DAG file so it parses fast."""

from __future__ import annotations

import json
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapers.crawl import CrawlFailed, judge_crawl, run_crawl, summarize_stats
from scrapers.sources import Quality, load_registry
from scrapers.staging import (
    StageKeys,
    clean_staging,
    fetch_items,
    read_stats,
    stage_keys,
    staging_location,
)
from transforms.storage import LakeLocation

if TYPE_CHECKING:
    from transforms.quality import GateResult


def crawl_source(job: dict[str, Any]) -> dict[str, Any]:
    """Run one source's crawl; raise CrawlFailed (failing only this mapped task) on failure."""
    result = run_crawl(
        job["source"],
        datetime.fromisoformat(job["start"]),
        datetime.fromisoformat(job["end"]),
        registry=Path(job["registry"]),
        day=date.fromisoformat(job["day"]),
        run=job.get("run"),
        group=job.get("group"),
    )
    summary = result.summary()
    print(json.dumps(summary, indent=1))
    return summary


def job_keys(job: dict[str, Any], location: LakeLocation) -> StageKeys:
    """The staged objects of one crawl job (its run, day and source)."""
    return stage_keys(location, date.fromisoformat(job["day"]), job["source"], job.get("run"))


def crawl_outcome(job: dict[str, Any], scratch: Path | None = None,
                  location: LakeLocation | None = None
                  ) -> tuple[Path | None, str | None, dict[str, int]]:
    """A local copy of a job's staged items if its crawl succeeded, else the reason it did not.

    Reads the staging location (``NEWSFLOW_STAGING``), so it works on any machine; items on an
    object store are streamed to ``scratch``.
    """
    location = location or staging_location()
    keys = job_keys(job, location)
    payload = read_stats(location, keys)
    if payload is None:
        return None, "crawl did not finish (no stats file)", {}
    counts = summarize_stats(payload["stats"])
    counts["urls"] = count_urls(payload["stats"])
    try:
        judge_crawl(job["source"], payload["stats"], payload.get("lists", {}))
    except CrawlFailed as exc:
        return None, str(exc), counts
    path = fetch_items(location, keys, scratch or location.scratch_dir() / "fetched")
    if path is None:
        return None, "crawl finished but staged no file", counts
    return path, None, counts


def count_urls(stats: dict[str, Any]) -> int:
    """URLs the crawl tried: article requests (refused ones included) and every document."""
    documents = sum(
        int(v or 0) for k, v in stats.items()
        if k in ("newsflow/documents/ok", "newsflow/documents/failed",
                 "newsflow/robots_refused/document")
        or k.startswith("newsflow/documents/refused/")
    )
    return int(stats.get("newsflow/articles/requested", 0) or 0) + documents


def write_staged(jobs: list[dict[str, Any]], run_id: str) -> dict[str, Any]:
    """Merge every successful crawl's staged items into the lake; failed ones are reported.

    After the merge, staging of days older than the retention (before the run's own day) goes.
    """
    from transforms.pipeline import process_staged

    location = staging_location()
    staged: list[Path] = []
    failed: dict[str, str] = {}
    crawl_counts: dict[str, dict[str, int]] = {}
    scratch = location.scratch_dir()
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="write-", dir=scratch) as downloads:
        for job in jobs:
            path, reason, counts = crawl_outcome(job, Path(downloads), location)
            crawl_counts[job["source"]] = counts
            if path is None:
                failed[job["source"]] = reason or "unknown"
            else:
                staged.append(path)
        result = process_staged(staged, run_id=run_id)
    summary = result.to_dict() if hasattr(result, "to_dict") else dict(result)
    summary["crawl_failed"] = failed
    summary["crawl_counts"] = crawl_counts
    if jobs:
        removed = clean_staging(location, run_day(jobs, date.min))
        summary["staging_removed_days"] = [d.isoformat() for d in removed]
    print(json.dumps(summary, indent=1, default=str))
    return summary


def registry_quality(registry: str, source_id: str) -> Quality:
    """The quality thresholds of one source (defaults if the registry no longer lists it)."""
    sources = {source.id: source for source in load_registry(registry).sources}
    return sources[source_id].quality if source_id in sources else Quality()


def run_day(jobs: list[dict[str, Any]], fallback: date) -> date:
    """The UTC day the run crawled (every job of a run has the same one)."""
    return date.fromisoformat(jobs[0]["day"]) if jobs else fallback


def evaluate_job(job: dict[str, Any], summary: dict[str, Any]) -> GateResult:
    """The quality gate of one crawl job, read back from the lake."""
    from transforms.quality import run_gate

    quality = registry_quality(job["registry"], job["source"])
    return run_gate(job["source"], date.fromisoformat(job["day"]), summary, quality)


def gate_source(job: dict[str, Any], summary: dict[str, Any]) -> dict[str, Any]:
    """Check one source's written data; raise GateFailed (failing only this gate) if it fell."""
    from transforms.quality import raise_if_failed

    result = evaluate_job(job, summary)
    print(result.describe())
    raise_if_failed(result)
    return result.to_dict()


def report_run(jobs: list[dict[str, Any]], summary: dict[str, Any], run_id: str,
               fallback_day: date) -> str:
    """Write the run_reports rows and the HTML report; print its file:// link and the table."""
    from transforms.report import build_report

    day = run_day(jobs, fallback_day)
    # recomputed: a failed gate task returns nothing
    gates = {job["source"]: evaluate_job(job, summary) for job in jobs}
    uri, _, table = build_report([j["source"] for j in jobs], day, run_id, summary, gates)
    print(f"news_daily report for {run_id} ({day})")
    print(table)
    for source, reason in summary.get("crawl_failed", {}).items():
        print(f"FAILED {source}: {reason}")
    for gate in gates.values():
        for message in gate.failures():
            print(f"GATE {message}")
    print(f"report: {uri}")
    return uri


def publish_extra(jobs: list[dict[str, Any]], summary: dict[str, Any], run_id: str,
                  fallback_day: date) -> dict[str, Any]:
    """The asset event's extra: the run's day, row counts per source and where they are."""
    from transforms.lake import ARTICLES, lake_location
    from transforms.quality import partition_rows
    from transforms.report import report_uri

    day = run_day(jobs, fallback_day)
    counts = partition_rows([j["source"] for j in jobs], [day])
    rows = {j["source"]: counts.get((day, j["source"]), 0) for j in jobs}
    written = {
        sid: int(c.get("inserted", 0)) + int(c.get("updated", 0))
        for sid, c in summary.get("sources", {}).items()
    }
    return {
        "day": day.isoformat(),
        "run_id": run_id,
        "rows": rows,
        "total_rows": sum(rows.values()),
        "written": written,
        "total_written": sum(written.values()),
        "table": f"{lake_location().uri}/{ARTICLES.name}",
        "report": report_uri(day),
    }
