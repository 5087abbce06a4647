"""Staging of a CC-NEWS backfill: per-WARC parts, then per-source staging like a crawl's.

Each mapped harvest task publishes, under the run's staging folder (``scrapers.staging``)::

    date=<day>/run=<run token>/cc-news/<WARC name>/<source>.jsonl   kept records per source
    date=<day>/run=<run token>/cc-news/<WARC name>.stats.json       the file's counts (last)

The stage task then writes each source's ``<source>.jsonl``, ``.stats.json`` and ``.log`` exactly
where a crawl of that source would (``stage_keys``), with crawl-shaped stats (``finish_reason``,
``newsflow/documents/ok`` = WARC files read, ``newsflow/articles/fetched``/``staged``/...) plus
``newsflow/ccnews/*`` counts, so news_daily's write, gate, report and publish take it unchanged.

Merge rule (applied here, before the write): a page already in the lake from a live crawl keeps
the live row unless the CC-NEWS capture is newer than that row's ``crawled_at``; rows that came
from CC-NEWS are merged as usual (a re-run changes nothing; a newer extractor updates them).
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

from scrapers import stats as counters
from scrapers.ccnews.archive import is_ccnews_ref
from scrapers.staging import (
    StagePaths,
    attempt_scratch,
    clear_staged,
    drop_scratch,
    publish_staged,
    stage_keys,
    staging_location,
)
from transforms.storage import LakeLocation

PARTS_DIR = "cc-news"
_COPY_CHUNK = 8 << 20
# per-source counters of a harvest -> the crawl stats key they are reported under
CRAWL_STATS = {
    "fetched": (counters.ARTICLES_REQUESTED, counters.ARTICLES_FETCHED),
    "not_article": (counters.ARTICLES_NOT_ARTICLE,),
    "outside_day": (counters.ARTICLES_OUTSIDE_WINDOW,),
    "extract_errors": (counters.ARTICLES_FAILED,),
    "matched": ("downloader/response_count",),
    "payload_bytes": ("downloader/response_bytes",),
    "extract_cpu_us": (counters.EXTRACT_CPU_US,),
    "decoded_with_replacement": (counters.ARTICLES_DECODED_WITH_REPLACEMENT,),
}


def warc_stem(name: str) -> str:
    """``CC-NEWS-<time>-<serial>`` of a WARC file name."""
    if not name.endswith(".warc.gz") or "/" in name:
        raise ValueError(f"{name!r} is not a WARC file name")
    return name[: -len(".warc.gz")]


def part_folder(location: LakeLocation, day: date, run: str, name: str) -> str:
    """The staging folder of one WARC's parts (the run token is checked as a crawl's is)."""
    stage_keys(location, day, "x", run)  # refuses an unsafe run token
    return location.join(f"date={day.isoformat()}", f"run={run}", PARTS_DIR, warc_stem(name))


def part_key(location: LakeLocation, day: date, run: str, name: str, source: str) -> str:
    """Where one source's kept records of one WARC are staged."""
    stage_keys(location, day, source, run)  # refuses an unsafe source id
    return f"{part_folder(location, day, run, name)}/{source}.jsonl"


def stats_key(location: LakeLocation, day: date, run: str, name: str) -> str:
    """Where one WARC's harvest stats are staged (published after its parts)."""
    return f"{part_folder(location, day, run, name)}.stats.json"


def clear_parts(location: LakeLocation, day: date, run: str, name: str,
                sources: list[str]) -> None:
    """Remove a previous attempt's stats (first) and parts of one WARC."""
    keys = [stats_key(location, day, run, name)]
    keys += [part_key(location, day, run, name, s) for s in sources]
    for key in keys:
        if location.exists(key):
            location.fs.delete_file(key)


def read_harvest(location: LakeLocation, day: date, run: str, name: str) -> dict[str, Any]:
    """The published stats of one WARC's harvest; an error if the harvest did not finish."""
    key = stats_key(location, day, run, name)
    try:
        return json.loads(location.read_bytes(key))
    except FileNotFoundError:
        raise RuntimeError(f"the harvest of {name} did not finish: no stats at "
                           f"{location.uri}/{location.relative(key)}") from None


def copy_part(location: LakeLocation, key: str, out: Any, keep: Any) -> tuple[int, int]:
    """Append the records of one staged part that ``keep(record)`` accepts; (kept, dropped)."""
    kept = dropped = 0
    with location.open_stream(key) as stream:
        for line in stream.read().decode("utf-8").splitlines():
            if not line.strip():
                continue
            if keep(json.loads(line)):
                out.write(line + "\n")
                kept += 1
            else:
                dropped += 1
    return kept, dropped


def stored_live_rows(day: date, source: str) -> dict[str, datetime]:
    """article_id -> crawled_at of the day's stored rows of ``source`` that a live crawl made."""
    from transforms.lake import read_article_rows

    rows = read_article_rows(None, [day], source, ["article_id", "crawled_at", "raw_ref"])
    return {r["article_id"]: r["crawled_at"] for r in rows
            if r["article_id"] and r["crawled_at"] is not None and not is_ccnews_ref(r["raw_ref"])}


def article_id_of(record: dict[str, Any]) -> str | None:
    """The lake key a staged record will get (as ``transforms.normalize`` computes it)."""
    from transforms.urls import article_id_for, canonicalize_url

    try:
        canonical = record.get("canonical_url")
        return article_id_for(canonicalize_url(record["url"],
                                               canonical if isinstance(canonical, str) else None))
    except (KeyError, TypeError, ValueError):
        return None  # the write quarantines it


def live_wins(day: date, source: str) -> Any:
    """A filter: False for a record whose article a live crawl stored at or after its capture."""
    live = stored_live_rows(day, source)

    def keep(record: dict[str, Any]) -> bool:
        stored = live.get(article_id_of(record) or "")
        return stored is None or datetime.fromisoformat(record["crawled_at"]) > stored

    return keep


def crawl_stats(counts: Counter[str], totals: dict[str, Any], staged: int,
                live_newer: int) -> dict[str, Any]:
    """Crawl-shaped stats of one source (``scrapers.tasks.crawl.summarize_stats`` reads them)."""
    stats: dict[str, Any] = {"finish_reason": "finished",
                             counters.DOCUMENTS_OK: totals["files"],
                             counters.ARTICLES_STAGED: staged}
    for name, keys in CRAWL_STATS.items():
        for key in keys:
            stats[key] = int(counts.get(name, 0))
    stats.update({
        counters.CCNEWS_FILES: totals["files"],
        counters.CCNEWS_RECORDS_READ: totals["records_read"],
        counters.CCNEWS_BYTES_STREAMED: totals["bytes_streamed"],
        counters.CCNEWS_MATCHED: int(counts.get("matched", 0)),
        counters.CCNEWS_KEPT: staged,
        counters.CCNEWS_NO_DATE: int(counts.get("no_date", 0)),
        counters.CCNEWS_NOT_OK_STATUS: int(counts.get("not_ok_status", 0)),
        counters.CCNEWS_NOT_HTML: int(counts.get("not_html", 0)),
        counters.CCNEWS_AMBIGUOUS: int(counts.get("ambiguous", 0)),
        counters.CCNEWS_LIVE_NEWER: live_newer,
    })
    return stats


def stage_run(jobs: list[dict[str, Any]], warcs: list[dict[str, Any]]) -> dict[str, Any]:
    """Gather every WARC's parts into per-source staging; the run's CC-NEWS counts."""
    if not jobs:
        raise ValueError("the run planned no source")
    location = staging_location()
    day, run = date.fromisoformat(jobs[0]["day"]), jobs[0]["run"]
    harvests = [read_harvest(location, day, run, w["name"]) for w in warcs]
    totals: dict[str, Any] = {
        "files": len(harvests),
        "records_read": sum(h["records"] for h in harvests),
        "bytes_streamed": sum(h["bytes_streamed"] for h in harvests),
        "skipped": dict(sum((Counter(h["skipped"]) for h in harvests), Counter())),
        "kept": {}, "live_newer": {},
    }
    for job in jobs:
        source = job["source"]
        local = attempt_scratch(location, source)
        try:
            staged, dropped, counts = gather_source(location, day, run, source, warcs, harvests,
                                                    local)
            payload = {"stats": crawl_stats(counts, totals, staged, dropped),
                       "lists": {"errors": [e for h in harvests for e in h["errors"]
                                            if e.get("source") == source],
                                 "warc_files": [w["path"] for w in warcs]}}
            local.stats.write_text(json.dumps(payload, indent=1, sort_keys=True),
                                   encoding="utf-8")
            local.log.write_text(describe_source(source, payload["stats"], warcs),
                                 encoding="utf-8")
            keys = stage_keys(location, day, source, run)
            clear_staged(location, keys)
            publish_staged(location, local, keys)
        finally:
            drop_scratch(local)
        totals["kept"][source] = staged
        totals["live_newer"][source] = dropped
    return totals


def gather_source(location: LakeLocation, day: date, run: str, source: str,
                  warcs: list[dict[str, Any]], harvests: list[dict[str, Any]],
                  local: StagePaths) -> tuple[int, int, Counter[str]]:
    """Write one source's records of every WARC to ``local.items``; (staged, dropped, counts)."""
    keep = live_wins(day, source)
    counts: Counter[str] = Counter()
    staged = dropped = 0
    with local.items.open("w", encoding="utf-8") as out:
        for warc, harvest in zip(warcs, harvests, strict=True):
            counts.update(harvest["sources"].get(source, {}))
            if source in harvest["parts"]:
                kept, lost = copy_part(location, part_key(location, day, run, warc["name"],
                                                          source), out, keep)
                staged += kept
                dropped += lost
    return staged, dropped, counts


def describe_source(source: str, stats: dict[str, Any], warcs: list[dict[str, Any]]) -> str:
    """The staged log of one source: what the CC-NEWS files gave it."""
    def get(key: str) -> int:
        return int(stats.get(key, 0) or 0)

    return "\n".join([
        f"CC-NEWS harvest of {source}: {len(warcs)} WARC file(s), "
        f"{get(counters.CCNEWS_RECORDS_READ)} records read, "
        f"{get(counters.CCNEWS_BYTES_STREAMED)} bytes streamed",
        f"  matched   {get(counters.CCNEWS_MATCHED)} responses on the source's domains with "
        f"an article URL ({get(counters.CCNEWS_NOT_OK_STATUS)} not 2xx, "
        f"{get(counters.CCNEWS_NOT_HTML)} not HTML)",
        f"  extracted {get(counters.ARTICLES_FETCHED)}: {get(counters.ARTICLES_NOT_ARTICLE)} "
        f"not articles, {get(counters.ARTICLES_OUTSIDE_WINDOW)} published outside the day, "
        f"{get(counters.CCNEWS_NO_DATE)} undated, {get(counters.ARTICLES_FAILED)} errors",
        f"  staged    {get(counters.ARTICLES_STAGED)} "
        f"({get(counters.CCNEWS_LIVE_NEWER)} left to a newer live crawl)",
        *(f"  file      {w['path']}" for w in warcs),
    ]) + "\n"


def scratch_folder(location: LakeLocation, name: str) -> Path:
    """A fresh local folder for one harvest attempt."""
    folder = location.scratch_dir() / f"ccnews-{warc_stem(name)}-{uuid.uuid4().hex}"
    folder.mkdir(parents=True)
    return folder


def publish_harvest(location: LakeLocation, day: date, run: str, name: str,
                    result: Any, folder: Path) -> dict[str, Any]:
    """Publish one WARC's parts, then its stats; the stats."""
    for source, path in sorted(result.parts.items()):
        location.publish(path, part_key(location, day, run, name, source))
    stats = result.to_dict()
    stats_file = folder / "stats.json"
    stats_file.write_text(json.dumps(stats, indent=1, sort_keys=True), encoding="utf-8")
    location.publish(stats_file, stats_key(location, day, run, name))
    return stats


def drop_folder(folder: Path) -> None:
    """Remove a harvest attempt's local folder."""
    shutil.rmtree(folder, ignore_errors=True)
