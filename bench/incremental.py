"""Incremental crawl benchmark: crawl the same unchanged site twice into the same lake.

The crawl benchmark's synthetic site (``--pages``, default 2000, as ``bench/crawl.py``) is
served by the counting server of ``bench/sitegen.py`` with ETags (``If-None-Match`` -> 304).
Two crawls of the same UTC day run ``run_crawl`` + ``process_staged`` into one temp lake; for
both the benchmark prints the requests the server saw (by kind and status), the article pages
downloaded (200 answers), the wall time and the CPU of the crawl process.  Goal: the second run
downloads no article page and takes <= 10% of the first.

The second run has almost nothing to do, so its cost is the crawl process's fixed cost
(interpreter, imports, reactor, robots.txt, four 304s, the lake's keys).  A third, identical
crawl runs under py-spy and its stage breakdown is printed and saved in
``bench/profiles/incremental_second_pyspy.txt``.

    .venv/bin/python bench/incremental.py [--pages 2000]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import PROFILES_DIR, PROJECT_ROOT, Report, bench_env
from bench.crawlprofile import profile_command, write_profile
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
    from scrapers.tasks.crawl import CrawlFailed, run_crawl
    from transforms.pipeline import process_staged

    start, end = window()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)  # the crawl is the only waited child
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
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    crawl_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    stats = server_stats(base, reset=True)
    return {"wall": wall, "crawl_s": crawl_s, "crawl_cpu": crawl_cpu, "stats": stats,
            "staged": staged, "counts": counts, "error": error}


def profile_no_work_crawl(registry: Path, work: Path, lake: Path, pages: int
                          ) -> tuple[Path, list[str], str]:
    """One more crawl of the unchanged site under a sampling profiler; its stage breakdown."""
    from scrapers.tasks.crawl import stage_paths

    start, end = window()
    paths = stage_paths(start.date(), source_id(0), work / "staging-profile")
    paths.items.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"source={source_id(0)}",
           "-a", f"start={start.isoformat()}", "-a", f"end={end.isoformat()}",
           "-a", f"registry={registry}", "-s", f"NEWSFLOW_STAGING_FILE={paths.items}",
           "-s", f"NEWSFLOW_STATS_FILE={paths.stats}", "-s", f"LOG_FILE={paths.log}"]
    env = {**bench_env(), "NEWSFLOW_LAKE": str(lake)}
    profile, done = profile_command(cmd, work / "second.pyspy", cwd=PROJECT_ROOT, env=env,
                                    rate=500)
    if done.returncode != 0 or not profile.stacks:
        raise RuntimeError(f"profiled crawl failed: {done.stderr[-2000:]}")
    target = PROFILES_DIR / "incremental_second_pyspy.txt"
    write_profile(target, f"Crawl of an unchanged {pages}-page site, lake and state already "
                  "filled (bench/incremental.py)", profile, 0, cmd[:5])
    by_stage = profile.by_stage()
    lines = [f"    {stage:26s} {seconds:7.2f} s" for stage, seconds in by_stage.most_common()]
    return target, lines, profile.tool


def main() -> None:
    """Crawl twice and compare."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--no-profile", action="store_true", help="skip the profiled third run")
    args = parser.parse_args()
    out = Report()
    t0 = time.perf_counter()
    corpus = generate_corpus(args.pages)
    proc, bases = start_server(corpus, 1, etag=True)
    runs = []
    profile: tuple[Path, list[str], str] | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="bench-incremental-") as tmp:
            work = Path(tmp)
            registry = write_registry(work / "registry.yaml", bases)
            lake = work / "lake"
            os.environ["NEWSFLOW_LAKE"] = str(lake)
            server_stats(bases[0], reset=True)
            for run in (1, 2):
                runs.append(one_run(registry, work / "staging", lake, bases[0], run))
            if not args.no_profile:
                profile = profile_no_work_crawl(registry, work, lake, args.pages)
    finally:
        stop_server(proc)
    out(f"incremental: site of {args.pages} pages served with ETags; two crawls of the same day "
        "into one lake (run_crawl + process_staged)")
    out(f"{'run':>4} {'wall s':>8} {'crawl s':>8} {'crawl CPU s':>12} {'requests':>9} "
        f"{'article 200':>12} {'article 304':>12} {'docs 200':>9} {'docs 304':>9} "
        f"{'staged':>7}")
    for n, r in enumerate(runs, start=1):
        s = r["stats"]
        out(f"{n:>4} {r['wall']:>8.1f} {r['crawl_s']:>8.1f} {r['crawl_cpu']:>12.2f} "
            f"{s.get('requests', 0):>9} "
            f"{s.get('status/200/article', 0):>12} {s.get('status/304/article', 0):>12} "
            f"{s.get('status/200/document', 0):>9} {s.get('status/304/document', 0):>9} "
            f"{r['staged']:>7}" + (f"  error: {r['error']}" if r["error"] else ""))
    first, second = runs
    downloaded = second["stats"].get("status/200/article", 0)
    share = second["wall"] / first["wall"] if first["wall"] else float("nan")
    out(f"second run: {downloaded} article pages downloaded (goal 0: "
        f"{'MET' if downloaded == 0 else 'MISSED'}); wall {share:.0%} of the first "
        f"(goal <= {GOAL_SHARE:.0%}: {'MET' if share <= GOAL_SHARE else 'MISSED'})")
    cpu_share = second["crawl_cpu"] / first["crawl_cpu"] if first["crawl_cpu"] else float("nan")
    out(f"  CPU view (robust to machine load): second crawl process {second['crawl_cpu']:.2f} s "
        f"= {cpu_share:.0%} of the first's {first['crawl_cpu']:.1f} s")
    if second["counts"]:
        out(f"second run crawl counts: {second['counts']}")
    if profile is not None:
        target, lines, tool = profile
        out(f"where a no-work crawl's time goes ({tool}, a third identical crawl; stacks in "
            f"{target.relative_to(PROJECT_ROOT)}):")
        for line in lines:
            out(line)
    out(f"[bench/incremental.py took {time.perf_counter() - t0:.0f} s]")
    out.save("Incremental crawl (second run over an unchanged site)")


if __name__ == "__main__":
    main()
