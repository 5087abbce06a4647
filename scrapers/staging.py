"""Crawl staging: where a finished crawl's items, stats and log wait for the ``write`` task.

``NEWSFLOW_STAGING`` is a local path (default ``data/staging``) or an object-store URI
(``s3://bucket/prefix``); either way it is a :class:`~transforms.storage.LakeLocation`, so the
crawl worker and the writer need not share a disk.  Layout under the root::

    date=<day>/run=<run token>/<source>.jsonl        staged items
    date=<day>/run=<run token>/<source>.stats.json   Scrapy stats (published last)
    date=<day>/run=<run token>/<source>.log          the crawl's log

(``run=`` is left out for crawls outside a DAG run, e.g. ``run_crawl`` from a shell.)  Each file
is one atomic object; the stats object is published after the other two, so a stats object
implies its items object is complete.  Scrapy itself writes to a local per-attempt scratch
directory, never to the store.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.fs as pafs

from transforms.source_ids import SOURCE_ID_PATTERN
from transforms.storage import LakeLocation, is_uri

STAGING_ENV = "NEWSFLOW_STAGING"
RETENTION_ENV = "NEWSFLOW_STAGING_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 7
DEFAULT_STAGING = Path(__file__).resolve().parent.parent / "data" / "staging"
RUN_TOKEN_PATTERN = r"^[A-Za-z0-9_-]{1,100}$"
_DAY_DIR = re.compile(r"^date=(\d{4}-\d{2}-\d{2})$")
_COPY_CHUNK = 8 << 20


@dataclass
class StagePaths:
    """Local files of one crawl: its items, stats and log."""

    items: Path
    stats: Path
    log: Path


@dataclass(frozen=True)
class StageKeys:
    """Paths of one crawl's staged objects inside the staging location."""

    items: str
    stats: str
    log: str


def configured_staging() -> str | Path:
    """``$NEWSFLOW_STAGING`` as given (a URI string or a Path), or ``<repo>/data/staging``."""
    configured = os.environ.get(STAGING_ENV)
    if not configured:
        return DEFAULT_STAGING
    return configured.rstrip("/") if is_uri(configured) else Path(configured).expanduser()


def staging_location(root: str | Path | LakeLocation | None = None) -> LakeLocation:
    """The staging root as a LakeLocation (``root``, else ``$NEWSFLOW_STAGING``)."""
    return LakeLocation.parse(root if root is not None else configured_staging())


def staging_root() -> Path:
    """A LOCAL staging directory: ``$NEWSFLOW_STAGING`` if a path, else scratch for the store."""
    location = staging_location()
    return location.local_root if location.local_root is not None else location.scratch_dir()


def run_token(run_id: str) -> str:
    """A path-safe token for ``run_id``: its safe characters plus a hash (distinct runs differ)."""
    if not run_id:
        raise ValueError("a run id is needed to name its staging")
    readable = re.sub(r"[^A-Za-z0-9_-]+", "_", run_id)[:80].strip("_") or "run"
    return f"{readable}-{hashlib.sha256(run_id.encode()).hexdigest()[:10]}"


def _check_names(source_id: str, run: str | None) -> None:
    """Refuse a source id or run token that could name a path outside its day's folder."""
    if not re.fullmatch(SOURCE_ID_PATTERN, source_id):
        raise ValueError(f"unsafe source id {source_id!r}: it must match {SOURCE_ID_PATTERN}")
    if run is not None and not re.fullmatch(RUN_TOKEN_PATTERN, run):
        raise ValueError(f"unsafe run token {run!r}: it must match {RUN_TOKEN_PATTERN}")


def stage_names(day: date, source_id: str, run: str | None = None) -> tuple[str, str, str]:
    """Relative posix names of one crawl's items, stats and log under the staging root."""
    _check_names(source_id, run)
    folder = f"date={day.isoformat()}" + (f"/run={run}" if run else "")
    return (f"{folder}/{source_id}.jsonl", f"{folder}/{source_id}.stats.json",
            f"{folder}/{source_id}.log")


def stage_keys(location: LakeLocation, day: date, source_id: str,
               run: str | None = None) -> StageKeys:
    """Where one crawl's objects live in ``location``."""
    return StageKeys(*(location.join(name) for name in stage_names(day, source_id, run)))


def stage_paths(day: date, source_id: str, root: Path | None = None,
                run: str | None = None) -> StagePaths:
    """Staged items, stats and log of one crawl in a LOCAL staging directory."""
    base = root if root is not None else staging_root()
    items, stats, log = (base / name for name in stage_names(day, source_id, run))
    return StagePaths(items=items, stats=stats, log=log)


def attempt_scratch(location: LakeLocation, source_id: str) -> StagePaths:
    """Fresh local files for one crawl attempt (``$NEWSFLOW_SCRATCH``/``$TMPDIR``, or beside a
    local staging root so that publishing is a rename)."""
    _check_names(source_id, None)
    folder = location.scratch_dir() / f"crawl-{source_id}-{uuid.uuid4().hex}"
    folder.mkdir(parents=True, exist_ok=False)
    return StagePaths(items=folder / f"{source_id}.jsonl",
                      stats=folder / f"{source_id}.stats.json", log=folder / f"{source_id}.log")


def drop_scratch(paths: StagePaths) -> None:
    """Remove an attempt's scratch directory."""
    shutil.rmtree(paths.items.parent, ignore_errors=True)


def clear_staged(location: LakeLocation, keys: StageKeys) -> None:
    """Remove a previous attempt's objects, stats first (so no stats outlives its items)."""
    for key in (keys.stats, keys.items, keys.log):
        if location.exists(key):
            location.fs.delete_file(key)


def publish_staged(location: LakeLocation, local: StagePaths, keys: StageKeys) -> None:
    """Publish an attempt's log, items and then stats, each as one atomic object."""
    for source, key in ((local.log, keys.log), (local.items, keys.items),
                        (local.stats, keys.stats)):
        if source.exists():
            location.publish(source, key)


def read_stats(location: LakeLocation, keys: StageKeys) -> dict[str, Any] | None:
    """The stats payload of a published crawl, or None if there is none."""
    import json

    try:
        return json.loads(location.read_bytes(keys.stats))
    except FileNotFoundError:
        return None


def fetch_items(location: LakeLocation, keys: StageKeys, scratch: Path) -> Path | None:
    """A local path of the staged items: the file itself if local, else a streamed download."""
    if not location.exists(keys.items):
        return None
    if location.local:
        return location.local_path(keys.items)
    target = scratch / location.relative(keys.items)
    target.parent.mkdir(parents=True, exist_ok=True)
    with location.open_stream(keys.items) as stream, open(target, "wb") as out:
        while chunk := stream.read(_COPY_CHUNK):
            out.write(chunk)
    return target


def retention_days() -> int:
    """Days a staging folder is kept after its last write (``$NEWSFLOW_STAGING_RETENTION_DAYS``)."""
    raw = os.environ.get(RETENTION_ENV, str(DEFAULT_RETENTION_DAYS))
    try:
        days = int(raw)
    except ValueError:
        raise ValueError(f"{RETENTION_ENV}={raw!r} is not a whole number of days") from None
    if days < 0:
        raise ValueError(f"{RETENTION_ENV}={raw!r} must be 0 or more")
    return days


def clean_staging(location: LakeLocation, keep_days: int | None = None,
                  now: datetime | None = None) -> list[str]:
    """Delete staging folders untouched for more than ``keep_days``; their relative paths.

    A folder is one run's staging of one day (``date=<day>/run=<token>``, or the files directly
    under ``date=<day>`` for crawls outside a DAG run), and its age is that of its newest object,
    so a backfill of a day long past, still running, keeps its fresh staging while another run's
    cleanup goes by. ``now`` defaults to the clock; the lake's tables never depend on it.
    """
    keep = retention_days() if keep_days is None else keep_days
    cutoff = (now or datetime.now(UTC)) - timedelta(days=keep)
    selector = pafs.FileSelector(location.base, recursive=True, allow_not_found=True)
    newest: dict[str, datetime] = {}
    files: dict[str, list[str]] = {}
    for info in location.fs.get_file_info(selector):
        if info.type != pafs.FileType.File:
            continue
        parts = location.relative(info.path).split("/")
        if not _DAY_DIR.match(parts[0]) or len(parts) < 2:
            continue
        folder = "/".join(parts[:2]) if len(parts) > 2 and parts[1].startswith("run=") else parts[0]
        mtime = info.mtime if info.mtime is not None else datetime.now(UTC)
        if mtime.tzinfo is None:
            mtime = mtime.replace(tzinfo=UTC)
        newest[folder] = max(newest.get(folder, mtime), mtime)
        files.setdefault(folder, []).append(info.path)
    removed = sorted(folder for folder, mtime in newest.items() if mtime < cutoff)
    for folder in removed:
        for path in files[folder]:
            location.delete(path, keep=location.base)
    return removed
