"""Incremental crawl benchmark: crawl the same unchanged site twice into the same lake.

A small synthetic site (``--pages``, default 300) is served by the counting server of
``bench/sitegen.py`` with ETags (``If-None-Match`` -> 304).  Two crawls of the same UTC day run
``run_crawl`` + ``process_staged`` into one temp lake; for both the benchmark prints the
requests the server saw (by kind and status), the article pages downloaded (200 answers) and
the wall time.  Goal: the second run downloads no article page and takes <= 10% of the first.

    .venv/bin/python bench/incremental.py [--pages 300]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Report
from bench.sitegen import (
    generate_corpus,
    server_stats,
    source_id,
    start_server,
    stop_server,
    window,
    write_registry,
)

GOAL_SHARE = 0.10


def one_run(registry: Path, staging: Path, lake: Path, base: str, run: int) -> dict[str, Any]:
    """Crawl + process once; return server counters and timings."""
    from scrapers.crawl import CrawlFailed, run_crawl
    from transforms.pipeline import process_staged

    start, end = window()
    t0 = time.perf_counter()
    error = None
    staged = 0
    counts: dict[str, Any] = {}
    try:
        result = run_crawl(source_id(0), start, end, registry=registry, staging=staging,
                           env={"NEWSFLOW_LAKE": str(lake)})
        staged = result.staged
        counts = result.summary()["counts"]
        crawl_s = time.perf_counter() - t0
        if staged:
            process_staged([Path(result.items_path)], run_id=f"bench__incremental_{run}",
                           root=lake)
    except CrawlFailed as exc:
        error = str(exc)[:500]
        crawl_s = time.perf_counter() - t0
    wall = time.perf_counter() - t0
    stats = server_stats(base, reset=True)
    return {"wall": wall, "crawl_s": crawl_s, "stats": stats, "staged": staged,
            "counts": counts, "error": error}


def main() -> None:
    """Crawl twice and compare."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    args = parser.parse_args()
    out = Report()
    corpus = generate_corpus(args.pages)
    proc, bases = start_server(corpus, 1, etag=True)
    runs = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-incremental-") as tmp:
            work = Path(tmp)
            registry = write_registry(work / "registry.yaml", bases)
            lake = work / "lake"
            os.environ["NEWSFLOW_LAKE"] = str(lake)
            server_stats(bases[0], reset=True)
            for run in (1, 2):
                runs.append(one_run(registry, work / "staging", lake, bases[0], run))
    finally:
        stop_server(proc)
    out(f"incremental: site of {args.pages} pages served with ETags; two crawls of the same day "
        "into one lake (run_crawl + process_staged)")
    out(f"{'run':>4} {'wall s':>8} {'crawl s':>8} {'requests':>9} {'article 200':>12} "
        f"{'article 304':>12} {'docs 200':>9} {'docs 304':>9} {'staged':>7}")
    for n, r in enumerate(runs, start=1):
        s = r["stats"]
        out(f"{n:>4} {r['wall']:>8.1f} {r['crawl_s']:>8.1f} {s.get('requests', 0):>9} "
            f"{s.get('status/200/article', 0):>12} {s.get('status/304/article', 0):>12} "
            f"{s.get('status/200/document', 0):>9} {s.get('status/304/document', 0):>9} "
            f"{r['staged']:>7}" + (f"  error: {r['error']}" if r["error"] else ""))
    first, second = runs
    downloaded = second["stats"].get("status/200/article", 0)
    share = second["wall"] / first["wall"] if first["wall"] else float("nan")
    out(f"second run: {downloaded} article pages downloaded (goal 0: "
        f"{'MET' if downloaded == 0 else 'MISSED'}); wall {share:.0%} of the first "
        f"(goal <= {GOAL_SHARE:.0%}: {'MET' if share <= GOAL_SHARE else 'MISSED'})")
    if second["counts"]:
        out(f"second run crawl counts: {second['counts']}")
    out.save("Incremental crawl (second run over an unchanged site)")


if __name__ == "__main__":
    main()
