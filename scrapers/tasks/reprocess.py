"""Re-extract archived raw pages with today's extractor and merge them into the lake, offline.

    python -m scrapers.tasks.reprocess --start 2026-11-18 --end 2026-11-24 [--sources a,b]

Days are run days (the ``date=`` of ``<lake>/raw``), inclusive.  Per (source, URL) the newest
archived article response is re-extracted (that is the page the lake row was made from), staged
as JSONL outside the lake exactly as the spider stages it (``scrapers.records.build_record``,
``crawled_at`` = the archived fetch time, ``raw_ref`` kept) and merged by ``process_staged``:
a row changes only where today's extractor says something different.  No network request is
made for those. Rows that came from CC-NEWS (``raw_ref`` ``cc-news:<file>#<offset>``, dated
inside the range) are re-extracted from the CC-NEWS archive (``NEWSFLOW_CCNEWS_ARCHIVE``) the same
way; a page that cannot be read leaves its row as it is, counted as ``ccnews_unreadable``.

A reprocess holds the writer leases of the tables it merges (``articles``, ``quarantine``) for its
whole run, on any machine (``transforms.lease``).  From the command line it refuses at once, with
exit status 75, when another writer holds one; ``--wait SECONDS`` waits for it instead.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from scrapers.records import build_record
from scrapers.sources import Registry, default_registry_path, load_registry
from scrapers.tasks.crawl import staging_root
from scrapers.warc import RAW_REF, RawRecord, iter_raw, read_raw

log = logging.getLogger(__name__)

ARTICLE_ROLES = (None, "article")
EXIT_LEASE_HELD = 75  # sysexits EX_TEMPFAIL: another writer holds the lake; try again later


def make_run_id() -> str:
    """A run id for a CLI reprocess: ``reprocess__<UTC instant>``."""
    return f"reprocess__{datetime.now(UTC).isoformat(timespec='seconds')}"


def source_of(raw_ref: str) -> str:
    """The source id a ``raw_ref`` is filed under."""
    match = RAW_REF.match(raw_ref)
    if not match:
        raise ValueError(f"malformed raw_ref {raw_ref!r}")
    return match.group(2)


def is_article_response(record: RawRecord) -> bool:
    """True for archived 2xx responses the spider parsed as articles (not feeds or sitemaps)."""
    return record.role in ARTICLE_ROLES and 200 <= record.status < 300


def select_latest(root: Path | None, start_day: date, end_day: date,
                  sources: list[str] | None, counts: Counter[str]) -> list[str]:
    """``raw_ref`` of the newest archived article response per (source, URL), sorted."""
    newest: dict[tuple[str, str], tuple[datetime, str]] = {}
    for record in iter_raw(root, start_day, end_day, sources):
        counts["responses"] += 1
        if not is_article_response(record):
            counts["skipped_not_article_response"] += 1
            continue
        key = (source_of(record.raw_ref), record.url)
        seen = newest.get(key)
        if seen is None or (record.fetched_at, record.raw_ref) > seen:
            newest[key] = (record.fetched_at, record.raw_ref)
    counts["selected"] = len(newest)
    counts["older_copies"] = counts["responses"] - counts["skipped_not_article_response"] - len(
        newest)
    return sorted(ref for _, ref in newest.values())


def record_for(raw: RawRecord, registry: Registry, counts: Counter[str]) -> dict[str, Any] | None:
    """The staged record today's extractor makes of one archived page, or None (counted)."""
    from scrapers.extract import extract
    from scrapers.extract.encoding import decode_page, looks_binary

    source_id = source_of(raw.raw_ref)
    try:
        source = registry.get(source_id)
    except (KeyError, ValueError):
        counts["unknown_source"] += 1
        return None
    page = decode_page(raw.body, raw.header("Content-Type"))  # as the crawl decoded it
    if page.replaced and not looks_binary(page.text):
        counts["decoded_with_replacement"] += 1
    try:
        extracted = extract(page.text, raw.url, source)
    except Exception:  # one bad page must not stop a reprocess, as in the spider
        counts["extract_errors"] += 1
        return None
    if not extracted.is_article:
        counts["not_article"] += 1
        return None
    counts["staged"] += 1
    return build_record(extracted, source, crawled_at=raw.fetched_at, http_status=raw.status,
                        discovered_via=raw.via, raw_ref=raw.raw_ref)


def staging_dir_for(run_id: str, staging: Path | None = None) -> Path:
    """``<staging>/reprocess/<run id made path-safe>`` (outside the lake)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", run_id)
    return (staging or staging_root()) / "reprocess" / safe


def write_staged(records: dict[str, list[dict[str, Any]]], directory: Path) -> list[Path]:
    """One JSONL file per source, each written to a temp file and renamed into place."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for source, rows in sorted(records.items()):
        path = directory / f"{source}.jsonl"
        tmp = path.with_suffix(".jsonl.partial")
        with tmp.open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
        os.replace(tmp, path)
        paths.append(path)
    return paths


def hold_tables(stack: ExitStack, root: str | Path | None, wait: float,
                owner: str | None) -> None:
    """Take the leases of the tables ``process_staged`` merges (LeaseHeld if one is kept)."""
    from transforms.lake import ARTICLES, QUARANTINE
    from transforms.storage import LakeLocation

    loc = LakeLocation.parse(root)
    for spec in (ARTICLES, QUARANTINE):
        stack.enter_context(loc.lock(spec.name, wait, owner=owner))


def reprocess(start_day: date, end_day: date, sources: list[str] | None = None,
              run_id: str | None = None, registry: str | Path | None = None,
              root: str | Path | None = None, staging: Path | None = None,
              wait: float | None = None, owner: str | None = None,
              progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Re-extract archived pages of run days ``start_day``..``end_day`` into the lake.

    The tables' writer leases are held throughout; ``wait`` bounds the wait for them (default
    ``transforms.lake.LOCK_TIMEOUT_S``), ``owner`` names this writer (default: the Airflow task).
    ``progress(done, total)`` is called after each selected page is re-extracted.
    """
    from transforms.lake import LOCK_TIMEOUT_S

    if start_day > end_day:
        raise ValueError(f"empty range: start {start_day} is after end {end_day}")
    run_id = run_id or make_run_id()
    with ExitStack() as stack:
        hold_tables(stack, root, LOCK_TIMEOUT_S if wait is None else wait, owner)
        return _reprocess(start_day, end_day, sources, run_id, registry, root, staging,
                          progress)


def ccnews_records(base: Path | None, start_day: date, end_day: date,
                   sources: list[str] | None, reg: Registry, counts: Counter[str]
                   ) -> Iterator[dict[str, Any]]:
    """Today's extraction of the lake's CC-NEWS rows dated ``start_day``..``end_day``.

    Their pages are in the CC-NEWS archive (``NEWSFLOW_CCNEWS_ARCHIVE``), not in the lake's own
    WARCs; a page that cannot be read or no longer gives an article leaves its row as it is, and
    is counted.
    """
    from scrapers.ccnews.archive import ArchiveStore, is_ccnews_ref
    from scrapers.ccnews.harvest import reextract
    from transforms.lake import read_articles

    days = [start_day + timedelta(days=n) for n in range((end_day - start_day).days + 1)]
    rows = read_articles(base, dates=days, sources=sources, columns=["source", "raw_ref"])
    refs = [(r.source, r.raw_ref) for r in rows.itertuples() if is_ccnews_ref(r.raw_ref)]
    if not refs:
        return
    store = ArchiveStore.parse()
    known = set(reg.ids)
    for source, raw_ref in refs:
        if source not in known:
            counts["ccnews_source_not_in_registry"] += 1
            continue
        try:
            record = reextract(raw_ref, reg.get(source), store)
        except (OSError, ValueError) as exc:
            counts["ccnews_unreadable"] += 1
            log.warning("CC-NEWS page %s could not be read: %s", raw_ref, exc)
            continue
        if record is None:
            counts["ccnews_not_article"] += 1
            continue
        counts["ccnews_staged"] += 1
        yield record


def _reprocess(start_day: date, end_day: date, sources: list[str] | None, run_id: str,
               registry: str | Path | None, root: str | Path | None,
               staging: Path | None,
               progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """The reprocess itself, with the leases held."""
    from transforms.pipeline import process_staged

    base = Path(root) if root is not None else None
    reg = load_registry(registry or default_registry_path())
    counts: Counter[str] = Counter()
    staged: dict[str, list[dict[str, Any]]] = {}
    refs = select_latest(base, start_day, end_day, sources, counts)
    for done, raw_ref in enumerate(refs, start=1):
        record = record_for(read_raw(raw_ref, base), reg, counts)
        if record is not None:
            staged.setdefault(record["source"], []).append(record)
        if progress is not None:
            progress(done, len(refs))
    for record in ccnews_records(base, start_day, end_day, sources, reg, counts):
        staged.setdefault(record["source"], []).append(record)
    paths = write_staged(staged, staging_dir_for(run_id, staging))
    result = process_staged(paths, run_id=run_id, root=base)
    summary = result.to_dict()
    summary.update(start=start_day.isoformat(), end=end_day.isoformat(), source_filter=sources,
                   staged_files=[str(p) for p in paths], reprocess=dict(sorted(counts.items())))
    return summary


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """CLI arguments."""
    parser = argparse.ArgumentParser(prog="python -m scrapers.tasks.reprocess", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--start", required=True, type=date.fromisoformat, help="first run day")
    parser.add_argument("--end", required=True, type=date.fromisoformat, help="last run day")
    parser.add_argument("--sources", default="", help="comma-separated source ids (default all)")
    parser.add_argument("--run-id", default=None, help="run id written to the rows")
    parser.add_argument("--registry", default=None, help="registry YAML path")
    parser.add_argument("--wait", default=0.0, type=seconds, metavar="SECONDS",
                        help="wait up to SECONDS for another writer's lease on the lake's"
                             " tables (default 0: refuse at once)")
    return parser.parse_args(argv)


def seconds(text: str) -> float:
    """A non-negative number of seconds (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, not {text!r}")
    return value


@contextmanager
def lease_messages() -> Iterator[None]:
    """Show the lease module's "waiting for ..." and takeover messages on stderr meanwhile."""
    leases = logging.getLogger("transforms.lease")
    handler = logging.StreamHandler(sys.stderr)
    leases.addHandler(handler)
    leases.setLevel(logging.INFO)
    try:
        yield
    finally:
        leases.removeHandler(handler)


def main(argv: list[str] | None = None) -> int:
    """Run a reprocess from the command line and print its summary as JSON."""
    args = parse_args(argv)
    sources = [s.strip() for s in args.sources.split(",") if s.strip()] or None
    run_id = args.run_id or make_run_id()
    code, summary = reprocess_from_shell(
        "reprocess", args.start, args.end, sources, run_id=run_id, registry=args.registry,
        wait=args.wait, owner=f"python -m scrapers.tasks.reprocess run {run_id}")
    if summary is not None:
        print(json.dumps(summary, indent=1, default=str))
    return code


def reprocess_from_shell(name: str, start_day: date, end_day: date, sources: list[str] | None,
                         **options: Any) -> tuple[int, dict[str, Any] | None]:
    """``reprocess`` for a command line: exit status and summary (None when it did not run).

    Lease messages go to stderr; a held lease is exit status 75 and a lost one 1, each with a
    line on stderr that starts with ``name``.
    """
    from transforms.lease import LeaseError, LeaseHeld

    try:
        with lease_messages():
            return 0, reprocess(start_day, end_day, sources, **options)
    except LeaseHeld as exc:
        print(f"{name} refused: {exc}", file=sys.stderr)
        return EXIT_LEASE_HELD, None
    except LeaseError as exc:
        print(f"{name} stopped: {exc}", file=sys.stderr)
        return 1, None


if __name__ == "__main__":
    sys.exit(main())
