"""The work behind each news_daily task, kept out of the DAG file so it parses fast."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapers import stats as counters
from scrapers.sources import Quality, load_registry
from scrapers.staging import (
    StageKeys,
    clean_staging,
    fetch_items,
    read_stats,
    stage_keys,
    staging_location,
)
from scrapers.tasks.crawl import (
    CrawlFailed,
    describe_crawl,
    error_digest,
    judge_crawl,
    run_crawl,
    staged_uri,
    summarize_stats,
)
from transforms.storage import LakeLocation

if TYPE_CHECKING:
    from transforms.quality import GateResult


TASK_LOGGER = "task.newsflow"  # under Airflow's "task" logger: [logging] namespace_levels task=INFO


def in_task_supervisor() -> bool:
    """True in a task process run by Airflow's supervisor (its stdout is a socket to it)."""
    try:
        return stat.S_ISSOCK(os.fstat(1).st_mode)
    except OSError:
        return False


def say(text: str) -> None:
    """Put ``text`` in the task log; printed when not run by Airflow's task supervisor.

    Under the supervisor, stdout and the structured log are two sockets read in no fixed order,
    so a summary printed just before the task returns can land after Airflow's "Post Execute"
    group; logging it as an event of ``TASK_LOGGER`` keeps it in place.
    """
    if in_task_supervisor():
        import structlog

        structlog.get_logger(TASK_LOGGER).info(text)
    else:
        print(text, flush=True)


def plan_run(params: dict[str, Any], interval_start: datetime | None,
             interval_end: datetime | None, run_id: str,
             what: str = "news_daily crawls") -> list[dict[str, Any]]:
    """The run's jobs, one per source; first prints the window (``what`` UTC day …) and why."""
    from scrapers.tasks.plan import (
        describe_window,
        parse_day,
        plan_crawls,
        resolve_registry,
        resolve_window,
        window_source,
    )

    day = parse_day(params.get("day"))
    start, end = resolve_window(interval_start, interval_end, day=day)
    say(describe_window(start, end, window_source(day, interval_start, interval_end), what))
    registry = resolve_registry(params.get("registry"))
    jobs = plan_crawls(start, end, registry, params.get("sources"), run_id)
    say(f"{len(jobs)} source(s) from {registry}: "
        + ", ".join(f"{j.source} (group {j.group})" for j in jobs))
    return [job.to_dict() for job in jobs]


def crawl_source(job: dict[str, Any]) -> dict[str, Any]:
    """Run one source's crawl; raise CrawlFailed (failing only this mapped task) on failure.

    Either way the task log gets the crawl's summary (``describe_crawl``) first.
    """
    try:
        result = run_crawl(
            job["source"],
            datetime.fromisoformat(job["start"]),
            datetime.fromisoformat(job["end"]),
            registry=Path(job["registry"]),
            day=date.fromisoformat(job["day"]),
            run=job.get("run"),
            group=job.get("group"),
        )
    except CrawlFailed:
        print_crawl_summary(job)
        raise
    print_crawl_summary(job, result.stats, result.lists)
    summary = result.summary()
    print(json.dumps(summary, indent=1))
    return summary


def print_crawl_summary(job: dict[str, Any], stats: dict[str, Any] | None = None,
                        lists: dict[str, Any] | None = None) -> None:
    """Print ``describe_crawl`` for a job, reading its staged stats file when not given."""
    location = staging_location()
    keys = job_keys(job, location)
    if stats is None:
        payload = read_stats(location, keys)
        if payload is None:
            say(f"crawl of {job['source']}: no stats file at {staged_uri(location, keys.stats)}")
            return
        stats, lists = payload["stats"], payload.get("lists", {})
    say(describe_crawl(job["source"], stats, lists or {},
                       stats_file=staged_uri(location, keys.stats),
                       warc=warc_written(job, stats)))


def warc_written(job: dict[str, Any], stats: dict[str, Any]) -> str | None:
    """Where the crawl archived its exchanges, with the count; None if it archived nothing."""
    from scrapers.warc import make_run_key, raw_relpath
    from transforms.lake import lake_location

    records = int(stats.get(counters.RAW_RECORDS, 0) or 0)
    if records == 0:
        return None
    day = date.fromisoformat(job["day"])
    lake = lake_location()
    key = lake.join(raw_relpath(day, job["source"], make_run_key(day, job["source"])))
    return f"{staged_uri(lake, key)} ({records} records this run)"


def job_keys(job: dict[str, Any], location: LakeLocation) -> StageKeys:
    """The staged objects of one crawl job (its run, day and source)."""
    return stage_keys(location, date.fromisoformat(job["day"]), job["source"], job.get("run"))


def crawl_outcome(job: dict[str, Any], scratch: Path | None = None,
                  location: LakeLocation | None = None
                  ) -> tuple[Path | None, str | None, dict[str, Any]]:
    """A local copy of a job's staged items if its crawl succeeded, else the reason it did not.

    The counts are ``summarize_stats``, plus ``urls`` and ``errors`` (``error_digest``). Reads
    the staging location (``NEWSFLOW_STAGING``), so it works on any machine; items on an object
    store are streamed to ``scratch``.
    """
    location = location or staging_location()
    keys = job_keys(job, location)
    payload = read_stats(location, keys)
    if payload is None:
        return None, "crawl did not finish (no stats file)", {}
    counts: dict[str, Any] = dict(summarize_stats(payload["stats"]))
    counts["urls"] = count_urls(payload["stats"])
    counts["errors"] = error_digest(payload.get("lists", {}))
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
    once = (counters.DOCUMENTS_OK, counters.DOCUMENTS_FAILED, counters.ROBOTS_REFUSED_DOCUMENT)
    documents = (sum(int(stats.get(key, 0) or 0) for key in once)
                 + counters.sum_under(stats, counters.DOCUMENTS_REFUSED))
    return int(stats.get(counters.ARTICLES_REQUESTED, 0) or 0) + documents


def write_staged(jobs: list[dict[str, Any]], run_id: str) -> dict[str, Any]:
    """Merge every successful crawl's staged items into the lake; failed ones are reported.

    After the merge, staging run folders untouched for longer than the retention go.
    The summary's ``crawl_errors`` holds each source's first error messages, with counts.
    """
    from transforms.pipeline import process_staged

    location = staging_location()
    staged: list[Path] = []
    failed: dict[str, str] = {}
    crawl_counts: dict[str, dict[str, int]] = {}
    crawl_errors: dict[str, list[dict[str, Any]]] = {}
    scratch = location.scratch_dir()
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="write-", dir=scratch) as downloads:
        for job in jobs:
            path, reason, counts = crawl_outcome(job, Path(downloads), location)
            if errors := counts.pop("errors", []):
                crawl_errors[job["source"]] = errors
            crawl_counts[job["source"]] = counts
            if path is None:
                failed[job["source"]] = reason or "unknown"
            else:
                staged.append(path)
        result = process_staged(staged, run_id=run_id)
    summary = result.to_dict() if hasattr(result, "to_dict") else dict(result)
    summary["crawl_failed"] = failed
    summary["crawl_counts"] = crawl_counts
    summary["crawl_errors"] = crawl_errors
    if jobs:
        summary["staging_removed"] = clean_staging(location)
    say(describe_write(jobs, summary))
    print(json.dumps(summary, indent=1, default=str))
    return summary


def describe_write(jobs: list[dict[str, Any]], summary: dict[str, Any]) -> str:
    """Row counts per source of the write task, as readable lines for its log."""
    day = run_day(jobs).isoformat() if jobs else "no day"
    lines = [f"write for UTC day {day}: {len(jobs)} source(s), "
             f"{len(summary.get('crawl_failed', {}))} crawl(s) failed"]
    for job in jobs:
        source = job["source"]
        if source in summary.get("crawl_failed", {}):
            lines.append(f"  {source}: not written, {summary['crawl_failed'][source]}")
            continue
        c = summary.get("sources", {}).get(source) or {}
        lines.append(
            f"  {source}: {c.get('staged', 0)} staged, {c.get('inserted', 0)} inserted, "
            f"{c.get('updated', 0)} updated, {c.get('unchanged', 0)} unchanged, "
            f"{c.get('duplicates', 0)} duplicates, {c.get('quarantined', 0)} quarantined")
    stories = summary.get("stories") or {}
    if stories:
        capped = (f"; the bucket cap skipped {stories.get('candidates_capped', 0)} pairs of "
                  f"{stories.get('rows_capped', 0)} rows" if stories.get("rows_capped") else "")
        lines.append(f"  story grouping: {stories.get('candidates', 0)} candidate pairs, "
                     f"{stories.get('pairs_checked', 0)} checked{capped}")
    return "\n".join(lines)


def registry_quality(registry: str, source_id: str) -> Quality:
    """The quality thresholds of one source (defaults if the registry no longer lists it)."""
    sources = {source.id: source for source in load_registry(registry).sources}
    return sources[source_id].quality if source_id in sources else Quality()


def run_day(jobs: list[dict[str, Any]]) -> date:
    """The UTC day the run crawled, from plan's jobs (every job of a run has the same one).

    Never from the task's context: a run triggered without a logical date has no data
    interval, and a run with a ``day`` param crawls that day whatever its interval.
    """
    if not jobs:
        raise ValueError("the run planned no crawl, so it has no day")
    return date.fromisoformat(jobs[0]["day"])


def evaluate_job(job: dict[str, Any], summary: dict[str, Any]) -> GateResult:
    """The quality gate of one crawl job, read back from the lake."""
    from transforms.quality import run_gate

    quality = registry_quality(job["registry"], job["source"])
    return run_gate(job["source"], date.fromisoformat(job["day"]), summary, quality)


def gate_run(jobs: list[dict[str, Any]], summary: dict[str, Any],
             failed_crawls: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """Every source's quality gate in one go; raise GateFailed naming each failing source.

    Each source's checks go to the log. ``failed_crawls`` are sources whose crawl task did not
    succeed: they hold the run back even where write took their rows.
    """
    from transforms.quality import GateFailed, run_gate

    qualities = registry_qualities(jobs)
    results = {job["source"]: run_gate(job["source"], date.fromisoformat(job["day"]), summary,
                                       qualities[job["source"]]) for job in jobs}
    for result in results.values():
        say(result.describe())
    failures = [message for result in results.values() for message in result.failures()]
    failures += [f"{source}: the crawl task failed" for source in failed_crawls
                 if results.get(source) is None or results[source].passed]
    if failures:
        failing = sorted({message.split(":", 1)[0] for message in failures})
        raise GateFailed(f"{len(failing)} of {len(jobs)} source(s) failed the quality gate "
                         f"({', '.join(failing)}):\n" + "\n".join(failures))
    say(f"quality gate: all {len(jobs)} source(s) passed")
    return {source: result.to_dict() for source, result in results.items()}


def registry_qualities(jobs: list[dict[str, Any]]) -> dict[str, Quality]:
    """Each job's source's quality thresholds (each registry parsed once: ``load_registry``)."""
    return {job["source"]: registry_quality(job["registry"], job["source"]) for job in jobs}


def failed_crawl_tasks(states: dict[str, Any], jobs: list[dict[str, Any]]) -> list[str]:
    """Sources whose mapped crawl did not succeed, from ``get_task_states`` of one run.

    Those states are keyed ``crawl_<map index>``; map indexes follow the order of plan's jobs.
    """
    return [job["source"] for index, job in enumerate(jobs)
            if states.get(f"crawl_{index}") != "success"]


def report_run(jobs: list[dict[str, Any]], summary: dict[str, Any], run_id: str) -> str:
    """Write the run_reports rows and the HTML report; print its file:// link and the table."""
    from transforms.report import build_report, format_errors

    day = run_day(jobs)
    # recomputed: a failed gate task returns nothing
    gates = {job["source"]: evaluate_job(job, summary) for job in jobs}
    uri, _, table = build_report([j["source"] for j in jobs], day, run_id, summary, gates)
    lines = [f"news_daily report for {run_id} ({day})", table]
    lines += [f"FAILED {source}: {reason}"
              for source, reason in summary.get("crawl_failed", {}).items()]
    lines += [f"GATE {message}" for gate in gates.values() for message in gate.failures()]
    if errors := format_errors(summary):
        lines.append(errors)
    lines.append(f"report: {uri}")
    say("\n".join(lines))
    return uri


def publish_extra(jobs: list[dict[str, Any]], summary: dict[str, Any], run_id: str
                  ) -> dict[str, Any]:
    """The asset event's extra: the run's day, row counts per source and where they are."""
    from transforms.lake import ARTICLES, lake_location
    from transforms.quality import partition_rows
    from transforms.report import report_uri

    day = run_day(jobs)
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
