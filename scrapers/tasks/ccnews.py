"""The work behind each news_ccnews task, kept out of the DAG file so it parses fast.

plan, discover, harvest, stage are this module's; write, gate, report and publish are
news_daily's own (``scrapers.tasks.daily``), fed the per-source staging that
:mod:`scrapers.ccnews.stage` writes where a crawl would.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from scrapers.ccnews.archive import ArchiveStore
from scrapers.ccnews.harvest import VIA


def plan_backfill(params: dict[str, Any], interval_start: datetime | None,
                  interval_end: datetime | None, run_id: str) -> list[dict[str, Any]]:
    """One job per source for the run's UTC day, chosen exactly as news_daily chooses it."""
    from scrapers.tasks.daily import plan_run

    return plan_run(params, interval_start, interval_end, run_id, "news_ccnews backfills")


def discover_warcs(jobs: list[dict[str, Any]], params: dict[str, Any]) -> list[dict[str, Any]]:
    """One harvest per WARC file covering the run's day and its look-ahead (printed)."""
    from scrapers.ccnews.discovery import discover, lookahead_days

    if not jobs:
        raise ValueError("the run planned no source")
    store = ArchiveStore.parse(params.get("archive") or None)
    lookahead = lookahead_days(params.get("lookahead_days"))
    first = jobs[0]
    files = discover(store, date.fromisoformat(first["day"]), lookahead)
    print(f"{len(files)} CC-NEWS WARC file(s) of {store.uri} cover UTC day {first['day']} and "
          f"{lookahead} day(s) of look-ahead:")
    for warc in files:
        print(f"  {warc.path} (captures from {warc.captured_from.isoformat()})")
    common = {k: first[k] for k in ("day", "start", "end", "registry", "run")}
    sources = [job["source"] for job in jobs]
    return [{**warc.to_dict(), **common, "sources": sources, "archive": store.uri}
            for warc in files]


def harvest_file(warc: dict[str, Any]) -> dict[str, Any]:
    """Stream one WARC and stage its kept records per source; its counts (printed)."""
    from scrapers.ccnews.harvest import harvest_warc
    from scrapers.ccnews.stage import clear_parts, drop_folder, publish_harvest, scratch_folder
    from scrapers.sources import load_registry
    from scrapers.staging import staging_location

    location = staging_location()
    day = date.fromisoformat(warc["day"])
    registry = load_registry(warc["registry"])
    sources = [registry.get(sid) for sid in warc["sources"]]
    clear_parts(location, day, warc["run"], warc["name"], warc["sources"])
    folder = scratch_folder(location, warc["name"])
    try:
        result = harvest_warc(ArchiveStore.parse(warc["archive"]), warc["path"], sources,
                              datetime.fromisoformat(warc["start"]),
                              datetime.fromisoformat(warc["end"]), folder)
        stats = publish_harvest(location, day, warc["run"], warc["name"], result, folder)
    finally:
        drop_folder(folder)
    print(describe_harvest(stats))
    return {k: stats[k] for k in ("path", "records", "bytes_streamed", "parts")}


def describe_harvest(stats: dict[str, Any]) -> str:
    """One WARC's counts as readable lines for its task log."""
    lines = [f"{stats['path']}: {stats['records']} records read, "
             f"{stats['bytes_streamed']} bytes streamed",
             "  skipped   " + (", ".join(f"{n} {k}" for k, n in stats["skipped"].items())
                              or "none")]
    for source, counts in stats["sources"].items():
        lines.append(f"  {source}: " + ", ".join(f"{n} {k}" for k, n in counts.items()
                                                 if k != "extract_cpu_us"))
    for error in stats["errors"][:5]:
        lines.append(f"  error {error['url']}: {error['reason']}")
    return "\n".join(lines)


def stage_backfill(jobs: list[dict[str, Any]], warcs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-source staging of every harvested WARC, like a crawl's; the run's CC-NEWS counts."""
    from scrapers.ccnews.stage import stage_run

    totals = stage_run(jobs, warcs)
    print(describe_totals(totals))
    return totals


def describe_totals(totals: dict[str, Any]) -> str:
    """The run's CC-NEWS counts as readable lines (stage and report logs)."""
    lines = [f"CC-NEWS: {totals['files']} WARC file(s), {totals['records_read']} records read, "
             f"{totals['bytes_streamed']} bytes streamed"]
    for source, kept in totals["kept"].items():
        lines.append(f"  {source}: {kept} kept, {totals['live_newer'].get(source, 0)} left to "
                     "a newer live crawl")
    return "\n".join(lines)


def write_backfill(jobs: list[dict[str, Any]], totals: dict[str, Any], run_id: str
                   ) -> dict[str, Any]:
    """news_daily's write of the staged sources; the summary also carries ``ccnews`` counts."""
    from scrapers.tasks.daily import write_staged

    summary = write_staged(jobs, run_id=run_id)
    summary["ccnews"] = totals
    return summary


def report_backfill(jobs: list[dict[str, Any]], summary: dict[str, Any], run_id: str) -> str:
    """news_daily's report, then the CC-NEWS counts."""
    from scrapers.tasks.daily import report_run

    uri = report_run(jobs, summary, run_id=run_id)
    if "ccnews" in summary:
        print(describe_totals(summary["ccnews"]))
    return uri


def publish_backfill(jobs: list[dict[str, Any]], summary: dict[str, Any], run_id: str
                     ) -> dict[str, Any]:
    """news_daily's asset event extra, saying the rows came from CC-NEWS."""
    from scrapers.tasks.daily import publish_extra

    extra = publish_extra(jobs, summary, run_id=run_id)
    totals = summary.get("ccnews") or {}
    extra["via"] = VIA
    extra["ccnews"] = {k: totals.get(k) for k in ("files", "records_read", "bytes_streamed")}
    return extra
