"""Dump what the code does, so a refactor can be diffed against it (issue 14, "Done means").

Usage::

    python tests/behaviour_dump.py OUTDIR [--days N] [--skip-lake]
    diff -r BEFORE_DIR AFTER_DIR

Writes, all as sorted, stable JSON lines:

* ``extract/<dataset>.jsonl``: ``Extracted.to_record()`` of every page of each dev set under
  ``/work/shared/datasets`` (extracted without a source, as ``bench/extraction.py`` does);
* ``extract/demo.jsonl``: the same for every shipped demo HTML page, with its registry source;
* ``lake/<table>.jsonl``: every table of a demo lake built by crawling the demo sites over real
  HTTP (``scrapy crawl news`` against the demo server on 127.0.0.1) and writing each day with
  ``transforms.pipeline.process_staged``, without Airflow; volatile values (timestamps of the run,
  run ids, WARC byte offsets, the server's port, temporary paths) become placeholders;
* ``lake/files.txt``: the lake's file paths (not their bytes: Parquet carries writer metadata).

The code under test is whatever ``import scrapers`` finds, so ``PYTHONPATH=/tmp/before`` dumps
another checkout with this same tool.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import json
import math
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

DATASETS = Path("/work/shared/datasets")
PAGE_BASE = "http://127.0.0.1:1"
BASE_MARK = "{{BASE}}"
VOLATILE = "<volatile>"
VOLATILE_COLUMNS = frozenset({"crawled_at", "run_id", "quarantined_at", "created_at",
                              "written_at", "started_at", "finished_at", "fetched_at"})
FIRST_DAY = date(2026, 11, 18)
PORT = 18731  # fixed, so URLs (and the ids hashed from them) are the same in every dump
NOT_TABLES = frozenset({"_index", "_leases", "_staging", "raw", "state"})
SORT_KEYS = ("article_id", "quarantine_id", "source", "date")
_OFFSET = re.compile(r"(\.warc\.gz)#\d+")


def project_root() -> Path:
    """The checkout whose ``scrapers`` package is imported (the code being dumped)."""
    import scrapers

    return Path(scrapers.__file__).resolve().parent.parent


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    """Write rows as sorted-key JSON lines; return how many."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, sort_keys=True, ensure_ascii=False, default=str) + "\n")
            count += 1
    return count


def dataset_pages(dataset: Path) -> Iterator[tuple[str, str, bytes]]:
    """(id, url, raw bytes) of every page that truth.jsonl lists and the dataset ships."""
    lines = (dataset / "truth.jsonl").read_text(encoding="utf-8").splitlines()
    rows = sorted((json.loads(line) for line in lines if line.strip()), key=lambda r: r["id"])
    for row in rows:
        page = dataset / "pages" / f"{row['id']}.html.gz"
        if page.exists():
            yield row["id"], row.get("url") or "", gzip.decompress(page.read_bytes())


def dump_datasets(out: Path) -> dict[str, int]:
    """One JSONL of extracted records per dev set; return the page count of each."""
    from scrapers.extract import extract

    counts = {}
    for dataset in sorted(p for p in DATASETS.iterdir() if (p / "truth.jsonl").exists()):
        rows = ({"id": pid, **extract(raw, url, None).to_record()}
                for pid, url, raw in dataset_pages(dataset))
        counts[dataset.name] = write_jsonl(out / "extract" / f"{dataset.name}.jsonl", rows)
    return counts


@contextmanager
def demo_base(base: str) -> Iterator[None]:
    """Set ``NEWSFLOW_DEMO_BASE`` for the duration (the demo registry expands it)."""
    old = os.environ.get("NEWSFLOW_DEMO_BASE")
    os.environ["NEWSFLOW_DEMO_BASE"] = base
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("NEWSFLOW_DEMO_BASE", None)
        else:
            os.environ["NEWSFLOW_DEMO_BASE"] = old


def demo_sources(registry: Path, base: str) -> dict[str, Any]:
    """The demo registry's sources by id, with URLs under ``base``."""
    from scrapers.sources import load_registry

    with demo_base(base):
        return {s.id: s for s in load_registry(registry).sources}


def served_path(www: Path, file: Path) -> str:
    """The URL path the demo server gives a shipped file (``index.html`` is the folder)."""
    path = "/" + file.relative_to(www).as_posix()
    return path.removesuffix("index.html") if path.endswith("/index.html") else path


def dump_demo_pages(out: Path, demo: Path) -> int:
    """Extracted records of every shipped demo HTML page, by served path; return the count."""
    from scrapers.extract import extract

    www = demo / "www"
    sources = demo_sources(demo / "sources.yaml", PAGE_BASE)

    def rows() -> Iterator[dict[str, Any]]:
        for file in sorted(www.rglob("*.html")):
            path = served_path(www, file)
            source_id = path.strip("/").split("/", 1)[0]
            html = file.read_text(encoding="utf-8").replace(BASE_MARK, PAGE_BASE)
            record = extract(html, PAGE_BASE + path, sources.get(source_id)).to_record()
            yield {"path": path, "source": source_id if source_id in sources else None,
                   **record}

    return write_jsonl(out / "extract" / "demo.jsonl", rows())


def crawl_day(root: Path, registry: Path, source_id: str, day: date, work: Path,
              env: dict[str, str]) -> Path:
    """Crawl one source for one UTC day with ``scrapy crawl news``; return its staged JSONL."""
    items, stats, log = (work / f"{source_id}-{day}.{ext}" for ext in ("jsonl", "stats", "log"))
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    cmd = [sys.executable, "-m", "scrapy", "crawl", "news",
           "-a", f"source={source_id}", "-a", f"start={start.isoformat()}",
           "-a", f"end={(start + timedelta(days=1)).isoformat()}", "-a", f"registry={registry}"]
    settings = {"NEWSFLOW_STAGING_FILE": items, "NEWSFLOW_STATS_FILE": stats, "LOG_FILE": log,
                "NEWSFLOW_RUN_DAY": day.isoformat()}
    for key, value in settings.items():
        cmd += ["-s", f"{key}={value}"]
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not items.exists():
        tail = log.read_text(encoding="utf-8")[-3000:] if log.exists() else proc.stderr[-3000:]
        raise RuntimeError(f"crawl of {source_id} for {day} failed ({proc.returncode}):\n{tail}")
    return items


def plain(value: Any, replace: dict[str, str]) -> Any:
    """A JSON-ready, placeholder-substituted copy of one cell."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, dict):
        return {k: plain(v, replace) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [plain(v, replace) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is None or isinstance(value, bool | int | float):
        return value
    if hasattr(value, "isoformat"):
        return "NaT" if str(value) == "NaT" else value.isoformat()
    text = str(value)
    for old, new in replace.items():
        text = text.replace(old, new)
    return _OFFSET.sub(r"\1#<offset>", text)


def masked(record: dict[str, Any], replace: dict[str, str]) -> dict[str, Any]:
    """One row or state entry with volatile fields as placeholders, nested dicts included."""
    out = {}
    for raw_key, value in sorted(record.items()):
        key = plain(raw_key, replace)
        if raw_key in VOLATILE_COLUMNS and value is not None:
            out[key] = VOLATILE
        elif isinstance(value, dict):
            out[key] = masked(value, replace)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            out[key] = [masked(v, replace) for v in value]
        else:
            out[key] = plain(value, replace)
    return out


def table_rows(table_dir: Path, replace: dict[str, str]) -> tuple[list[dict[str, Any]], str]:
    """Every row of one lake table (hive partitions as columns, sorted by key), and its schema."""
    import pyarrow.dataset as ds

    files = sorted(str(p) for p in table_dir.rglob("*.parquet"))
    data = ds.dataset(files, format="parquet", partition_base_dir=str(table_dir),
                      partitioning=ds.partitioning(flavor="hive")).to_table()
    rows = [masked(record, replace) for record in data.to_pylist()]
    rows.sort(key=lambda r: ([str(r.get(k)) for k in SORT_KEYS],
                             json.dumps(r, sort_keys=True, default=str)))
    return rows, str(data.schema)


def state_rows(lake: Path, replace: dict[str, str]) -> Iterator[dict[str, Any]]:
    """The crawl state files (JSON) of the lake, one row per file, volatile fields masked."""
    for file in sorted(lake.glob("state/**/*.json")):
        data = json.loads(file.read_text(encoding="utf-8"))
        yield {"file": file.relative_to(lake).as_posix(),
               "state": masked(data, replace) if isinstance(data, dict) else plain(data, replace)}


@contextmanager
def work_area(keep: Path | None) -> Iterator[str]:
    """A fresh temporary folder, or ``keep`` (created, must be empty) to look at afterwards."""
    if keep is None:
        with tempfile.TemporaryDirectory(prefix="behaviour-dump-") as tmp:
            yield tmp
        return
    keep.mkdir(parents=True, exist_ok=True)
    if any(keep.iterdir()):
        raise SystemExit(f"{keep} is not empty")
    yield str(keep.resolve())


def dump_lake(out: Path, demo: Path, days: list[date], server_module: str,
              port: int = PORT, keep: Path | None = None) -> dict[str, int]:
    """Crawl and write the demo days into a fresh lake, then dump its tables; return row counts."""
    from transforms.pipeline import process_staged

    root = project_root()
    registry = demo / "sources.yaml"
    server = importlib.import_module(server_module).serve_demo_sites(port=port)
    counts: dict[str, int] = {}
    try:
        with work_area(keep) as tmp:
            work, lake = Path(tmp) / "work", Path(tmp) / "lake"
            work.mkdir()
            env = {**os.environ, "NEWSFLOW_DEMO_BASE": server.base_url,
                   "NEWSFLOW_LAKE": str(lake), "NEWSFLOW_STAGING": str(Path(tmp) / "staging"),
                   "NEWSFLOW_SCRATCH": str(Path(tmp) / "scratch"),
                   "SCRAPY_SETTINGS_MODULE": "scrapers.settings",
                   "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
            summaries = []
            with patched_environ(env):
                ids = sorted(demo_sources(registry, server.base_url))
                for day in days:
                    staged = [crawl_day(root, registry, sid, day, work, env) for sid in ids]
                    result = process_staged(staged, run_id=f"behaviour-dump-{day}", root=lake)
                    summary = result.to_dict() if hasattr(result, "to_dict") else dict(result)
                    summaries.append({"day": day.isoformat(), "summary": summary})
            replace = {server.base_url: BASE_MARK, tmp: "<tmp>"}
            write_jsonl(out / "lake" / "summaries.jsonl",
                        (plain(s, replace) for s in summaries))
            files = sorted(p.relative_to(lake).as_posix() for p in lake.rglob("*") if p.is_file())
            (out / "lake" / "files.txt").write_text("".join(f + "\n" for f in files),
                                                    encoding="utf-8")
            write_jsonl(out / "lake" / "state.jsonl", state_rows(lake, replace))
            for table in sorted(p for p in lake.iterdir() if p.is_dir()
                                and p.name not in NOT_TABLES and any(p.rglob("*.parquet"))):
                rows, schema = table_rows(table, replace)
                counts[table.name] = write_jsonl(out / "lake" / f"{table.name}.jsonl", rows)
                (out / "lake" / f"{table.name}.schema.txt").write_text(schema + "\n",
                                                                       encoding="utf-8")
    finally:
        server.stop()
    return counts


@contextmanager
def patched_environ(env: dict[str, str]) -> Iterator[None]:
    """Run with ``os.environ`` replaced by ``env`` (process_staged reads the lake settings)."""
    old = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(old)


def main(argv: list[str] | None = None) -> int:
    """Write the dump and print what it holds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--days", type=int, default=7, help=f"demo days from {FIRST_DAY}")
    parser.add_argument("--skip-lake", action="store_true", help="extraction only")
    parser.add_argument("--demo", type=Path, help="demo site folder (default data/demo_sites)")
    parser.add_argument("--server-module", default="scrapers.demo.server",
                        help="module with serve_demo_sites()")
    parser.add_argument("--port", type=int, default=PORT, help="demo server port (fixed)")
    parser.add_argument("--keep", type=Path, help="build the lake here and keep it")
    args = parser.parse_args(argv)
    demo = args.demo or project_root() / "data" / "demo_sites"
    print(f"code under test: {project_root()}")
    for name, n in dump_datasets(args.outdir).items():
        print(f"extract/{name}.jsonl: {n} pages")
    print(f"extract/demo.jsonl: {dump_demo_pages(args.outdir, demo)} pages")
    if not args.skip_lake:
        days = [FIRST_DAY + timedelta(days=i) for i in range(args.days)]
        for table, n in dump_lake(args.outdir, demo, days, args.server_module, args.port,
                                    args.keep).items():
            print(f"lake/{table}.jsonl: {n} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
