"""End-to-end crawl benchmark on a synthetic news site, against extraction and parsing floors.

Steps (all in one run, on the same generated pages):

1. generate (or reuse) N article pages of 60-150 KB (``bench/sitegen.py``) and serve them on
   127.0.0.1 from memory; print the server's own request rate from tight keep-alive client loops;
2. floor A: ``trafilatura.extract`` alone over the N pages in one process; floor B: lxml
   ``html.document_fromstring`` alone (both in a fresh child, pages preloaded);
3. the real pipeline: ``scrapers.crawl.run_crawl`` (discovery through feed, sitemap index and
   Google News sitemap, fetch, extraction, staging) then ``transforms.pipeline.process_staged``
   into a temp lake; pages/s end to end, CPU seconds per page of the crawl subprocess and its
   peak RSS (``getrusage(RUSAGE_CHILDREN)`` in a worker whose only child is the crawl);
4. ``--sources 1,2,4``: the N pages split over k sites crawled by k parallel ``run_crawl``
   processes (as the DAG's mapped tasks on 2 cores), then one ``process_staged``; wall scaling;
5. one crawl of ``--profile-pages`` pages under pyinstrument (``python -m pyinstrument -m scrapy
   crawl ...``), top of the profile saved in ``bench/profiles/crawl_pyinstrument.txt``.

Goal: end-to-end throughput >= 70% of floor A.

    .venv/bin/python bench/crawl.py [--pages 400] [--sources 1,2,4] [--profile-pages 150]

The default of 400 pages (the brief asked for 2000) keeps ``make bench`` within 20 minutes at the
crawl speed measured on 2026-11-29 (2.5-5 pages/s on a loaded 2-core machine, ~75 ms CPU/page).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import PROFILES_DIR, PROJECT_ROOT, Report, bench_env, fmt_bytes, run_child
from bench.sitegen import (
    generate_corpus,
    load_manifest,
    measure_server,
    page_bytes,
    server_stats,
    source_id,
    start_server,
    stop_server,
    window,
    write_registry,
)

GOAL_SHARE = 0.70


# -- children ------------------------------------------------------------------------------

def child_floor(corpus: Path, kind: str, limit: int) -> dict[str, Any]:
    """Floor A (trafilatura.extract), B (lxml parse) or our ``extract`` over the pages."""
    entries = load_manifest(corpus)[:limit]
    base = "http://127.0.0.1:8000"
    pages = [(base + e["path"], page_bytes(corpus, e["i"], base)) for e in entries]
    if kind == "trafilatura":
        import trafilatura

        trafilatura.extract(pages[0][1].decode("utf-8"), url=pages[0][0])  # import warm-up

        def work(url: str, raw: bytes) -> object:
            return trafilatura.extract(raw.decode("utf-8"), url=url)
    elif kind == "newsflow":
        from scrapers.extract import extract

        extract(pages[0][1], pages[0][0])  # imports and model loads out of the timing

        def work(url: str, raw: bytes) -> object:
            result = extract(raw, url)
            return result if result.is_article else None
    else:
        from lxml import html as lxml_html

        def work(url: str, raw: bytes) -> object:
            return lxml_html.document_fromstring(raw)
    cpu0 = time.process_time()
    start = time.perf_counter()
    empty = 0
    for url, raw in pages:
        empty += work(url, raw) is None
    wall = time.perf_counter() - start
    return {"pages": len(pages), "seconds": wall, "cpu": time.process_time() - cpu0,
            "empty": empty}


def child_pipeline(registry: Path, sources: list[str], staging: Path, lake: Path
                   ) -> dict[str, Any]:
    """Run ``run_crawl`` for each source in parallel, then ``process_staged``; measure both."""
    from scrapers.crawl import run_crawl
    from transforms.pipeline import process_staged

    os.environ["NEWSFLOW_LAKE"] = str(lake)  # incremental state and raw WARCs go to the temp lake
    start, end = window()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    errors: list[str] = []

    def crawl(source: str) -> Any:
        try:
            return run_crawl(source, start, end, registry=registry, staging=staging,
                             extra_settings={"LOG_LEVEL": "INFO"})
        except Exception as exc:  # report, keep the other crawls' figures
            errors.append(f"{source}: {type(exc).__name__}: {str(exc)[:1500]}")
            return None

    with ThreadPoolExecutor(max_workers=len(sources)) as pool:
        results = list(pool.map(crawl, sources))
    crawl_s = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    counts = [r.summary()["counts"] for r in results if r is not None]
    paths = [Path(r.items_path) for r in results if r is not None and r.staged]
    t1 = time.perf_counter()
    summary = process_staged(paths, run_id="bench__crawl", root=lake) if paths else None
    transform_s = time.perf_counter() - t1
    totals = summary.totals() if summary else {}
    agg = {k: sum(c.get(k, 0) for c in counts) for k in
           ("fetched", "staged", "requested", "not_article", "outside_window", "documents_ok",
            "responses", "bytes", "article_errors")}
    return {"crawl_s": crawl_s, "transform_s": transform_s,
            "crawl_cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
            "crawl_maxrss": after.ru_maxrss * 1024, "counts": agg, "written": totals.get("written"),
            "quarantined": totals.get("quarantined"), "errors": errors}


# -- driver --------------------------------------------------------------------------------

def run_mode(args: list[str], timeout: float | None = None) -> tuple[dict[str, Any], Any]:
    """Run this script in a child mode; return (its JSON answer, its usage)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    usage = run_child(cmd, env=bench_env(), cwd=PROJECT_ROOT, timeout=timeout)
    if usage.returncode != 0 or not usage.stdout.strip():
        raise RuntimeError(f"child {args[0]} failed ({usage.returncode}):\n{usage.stderr[-3000:]}")
    return json.loads(usage.stdout.strip().splitlines()[-1]), usage


def pipeline_run(corpus: Path, sites: int, work: Path, limit: int | None = None
                 ) -> tuple[dict[str, Any], dict[str, int]]:
    """Serve ``sites`` sites, crawl them in parallel and process the result; return figures."""
    proc, bases = start_server(corpus, sites, limit=limit)
    try:
        tag = f"k{sites}"
        registry = write_registry(work / f"registry-{tag}.yaml", bases)
        staging, lake = work / f"staging-{tag}", work / f"lake-{tag}"
        start = time.perf_counter()
        result, _ = run_mode(["pipeline", str(registry), ",".join(source_id(k) for k in
                                                                   range(sites)),
                              str(staging), str(lake)])
        result["wall_s"] = time.perf_counter() - start
        result["pipeline_s"] = result["crawl_s"] + result["transform_s"]
        stats = server_stats(bases[0])
    finally:
        stop_server(proc)
    shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(lake, ignore_errors=True)
    return result, stats


def profile_crawl(corpus: Path, pages: int, work: Path) -> tuple[Path, float]:
    """One crawl of ``pages`` pages run under pyinstrument; the text profile is saved."""
    from scrapers.crawl import stage_paths

    proc, bases = start_server(corpus, 1, limit=pages)
    PROFILES_DIR.mkdir(parents=True, exist_ok=True)
    target = PROFILES_DIR / "crawl_pyinstrument.txt"
    try:
        registry = write_registry(work / "registry-profile.yaml", bases)
        start, end = window()
        paths = stage_paths(start.date(), source_id(0), work / "staging-profile")
        paths.items.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pyinstrument", "-i", "0.005", "-r", "text",
               "--show-regex", ".*", "-o", str(target), "-m", "scrapy", "crawl", "news",
               "-a", f"source={source_id(0)}", "-a", f"start={start.isoformat()}",
               "-a", f"end={end.isoformat()}", "-a", f"registry={registry}",
               "-s", f"NEWSFLOW_STAGING_FILE={paths.items}",
               "-s", f"NEWSFLOW_STATS_FILE={paths.stats}", "-s", f"LOG_FILE={paths.log}"]
        cmd = [c for c in cmd if c not in ("--show-regex", ".*")]
        t0 = time.perf_counter()
        done = subprocess.run(cmd, cwd=PROJECT_ROOT, env=bench_env(), capture_output=True,
                              text=True, check=False)
        wall = time.perf_counter() - t0
        if done.returncode != 0:
            raise RuntimeError(f"profiled crawl failed: {done.stderr[-2000:]}")
    finally:
        stop_server(proc)
    return target, wall


def main() -> None:
    """Run the crawl benchmark and log its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=400,
                        help="article pages (2000 takes over 30 min at the crawl speed "
                             "measured on 2026-11-29)")
    parser.add_argument("--sources", default="1,2,4", help="site counts for the scaling runs")
    parser.add_argument("--profile-pages", type=int, default=150, help="0: no profile")
    parser.add_argument("--floor-pages", type=int, default=0,
                        help="pages for the floors (0: all N)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, *rest = args.child
        if mode == "floor":
            answer = child_floor(Path(rest[0]), rest[1], int(rest[2]))
        else:
            answer = child_pipeline(Path(rest[0]), rest[1].split(","), Path(rest[2]),
                                    Path(rest[3]))
        print(json.dumps(answer, default=str))
        return
    out = Report()
    t0 = time.perf_counter()
    corpus = generate_corpus(args.pages)
    sizes = [(corpus / "pages" / f"{i:05d}.html").stat().st_size for i in range(args.pages)]
    out(f"site: {args.pages} article pages, {sum(sizes) / len(sizes) / 1024:.0f} KB average "
        f"({min(sizes) / 1024:.0f}-{max(sizes) / 1024:.0f} KB), half with JSON-LD, one UTC day; "
        f"RSS feed (100), sitemap index, Google News sitemap (all) [{time.perf_counter() - t0:.0f}"
        " s to generate or load]")
    proc, bases = start_server(corpus, 1)
    try:
        paths = [e["path"] for e in load_manifest(corpus)]
        rate = measure_server(bases[0], paths, seconds=3.0, clients=2)
    finally:
        stop_server(proc)
    out(f"server alone (2 tight keep-alive client processes, article pages): "
        f"{rate['requests_s']:,.0f} req/s, {rate['mb_s']:,.0f} MB/s")

    floor_n = args.floor_pages or args.pages
    floor_a, _ = run_mode(["floor", str(corpus), "trafilatura", str(floor_n)])
    floor_b, _ = run_mode(["floor", str(corpus), "lxml", str(floor_n)])
    ours, _ = run_mode(["floor", str(corpus), "newsflow", str(floor_n)])
    a_rate = floor_a["pages"] / floor_a["seconds"]
    b_rate = floor_b["pages"] / floor_b["seconds"]
    out(f"floor A trafilatura.extract, 1 process: {a_rate:6.1f} pages/s "
        f"({floor_a['cpu'] / floor_a['pages'] * 1000:.1f} ms CPU/page, {floor_a['pages']} pages)")
    out(f"floor B lxml parse alone,   1 process: {b_rate:6.1f} pages/s "
        f"({floor_b['cpu'] / floor_b['pages'] * 1000:.1f} ms CPU/page)")
    out(f"reference: scrapers.extract.extract alone, 1 process: "
        f"{ours['pages'] / ours['seconds']:6.1f} pages/s "
        f"({ours['cpu'] / ours['pages'] * 1000:.1f} ms CPU/page, {ours['empty']} not articles)")

    counts_of_k: dict[int, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-crawl-") as tmp:
        work = Path(tmp)
        ks = [int(k) for k in args.sources.split(",") if k.strip()] or [1]
        if 1 not in ks:
            ks = [1, *ks]
        for k in ks:
            res, stats = pipeline_run(corpus, k, work)
            counts_of_k[k] = res
            c = res["counts"]
            e2e = c["staged"] / res["pipeline_s"] if res["pipeline_s"] else 0.0
            res["e2e_rate"] = e2e
            if k == 1:
                out(f"end to end, 1 source: {res['pipeline_s']:.1f} s = crawl "
                    f"{res['crawl_s']:.1f} s + process_staged {res['transform_s']:.1f} s; "
                    f"{c['fetched']} fetched, {c['staged']} staged, {res['written']} written, "
                    f"{res['quarantined']} quarantined")
                out(f"  server saw {stats.get('requests', 0)} requests "
                    f"({stats.get('requests/article', 0)} article, "
                    f"{stats.get('requests/document', 0)} feed/sitemap, "
                    f"{stats.get('requests/robots', 0)} robots)")
                out(f"  {e2e:.1f} pages/s end to end ({c['staged'] / res['crawl_s']:.1f} pages/s "
                    f"crawl alone); crawl CPU {res['crawl_cpu'] / max(c['fetched'], 1) * 1000:.1f}"
                    f" ms/page; crawl peak RSS {fmt_bytes(res['crawl_maxrss'])}")
                out(f"  vs floor A: {e2e / a_rate:.0%} of trafilatura-alone throughput "
                    f"(goal >= {GOAL_SHARE:.0%}: "
                    f"{'MET' if e2e >= GOAL_SHARE * a_rate else 'MISSED'}"
                    f"); vs floor B: {e2e / b_rate:.1%} of lxml-parse throughput")
                cpu_page = res["crawl_cpu"] / max(c["fetched"], 1)
                out(f"  CPU view (robust to machine load): crawl {cpu_page * 1000:.1f} ms/page vs "
                    f"floor A {floor_a['cpu'] / floor_a['pages'] * 1000:.1f} ms/page = "
                    f"{floor_a['cpu'] / floor_a['pages'] / cpu_page:.0%} of floor A")
                if res["errors"]:
                    out(f"  errors: {res['errors']}")
        out("scaling (pages split over k sites, k parallel run_crawl processes, then one "
            "process_staged):")
        out(f"{'k':>3} {'wall s':>8} {'crawl s':>8} {'write s':>8} {'pages/s':>8} "
            f"{'speedup':>8} {'CPU ms/page':>12} {'max RSS/crawl':>14} {'staged':>7}")
        base_wall = counts_of_k[1]["pipeline_s"]
        for k in ks:
            res = counts_of_k[k]
            c = res["counts"]
            out(f"{k:>3} {res['pipeline_s']:>8.1f} {res['crawl_s']:>8.1f} "
                f"{res['transform_s']:>8.1f} {res['e2e_rate']:>8.1f} "
                f"{base_wall / res['pipeline_s']:>7.2f}x "
                f"{res['crawl_cpu'] / max(c['fetched'], 1) * 1000:>12.1f} "
                f"{fmt_bytes(res['crawl_maxrss']):>14} {c['staged']:>7}"
                + (f"  errors: {res['errors']}" if res["errors"] else ""))
        if args.profile_pages:
            target, wall = profile_crawl(corpus, args.profile_pages, work)
            out(f"pyinstrument profile of a {args.profile_pages}-page crawl ({wall:.1f} s): "
                f"{target.relative_to(PROJECT_ROOT)}")
    out.save("Crawl end to end vs trafilatura/lxml floors")


if __name__ == "__main__":
    main()
