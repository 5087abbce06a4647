"""Benchmark ``transforms.lake.merge_articles`` on synthetic article rows against a pyarrow floor.

For each size N (``--rows 250000,500000,1000000``):

1. a child process writes a lake of N rows over 30 days x 20 sources (600 partitions), one
   zstd Parquet file per partition, directly with pyarrow (not timed);
2. a child process builds a batch of N rows in the frame shape ``merge_articles`` receives from
   the pipeline (all schema columns, object dtypes like ``normalize.typed_frame``): 10% are
   updated versions of lake rows (new body, title and ``modified_at``), 90% new articles on the
   same 600 partitions, then times ``merge_articles`` (seconds, rows/s, peak RSS: RSS sampled in
   the child, and ``wait4`` max RSS of the child);
3. the floor: every partition of the merged lake (1.9 N rows) is read back (not timed) and
   written once with ``pq.write_table`` (zstd, no fsync) into another directory; the sum of the
   writes is the floor.

Bodies are 2-6 KB of generated sentences.  Goals: merge <= 3x floor, peak RSS < 4 GB at 1M rows,
linear growth.  ``--profile N`` runs pyinstrument on one more merge of N rows and saves the top of
the profile in ``bench/profiles/``.  A child whose RSS passes ``--rss-limit-gb`` is killed (the
machine is shared) and reported as such.

    .venv/bin/python bench/transform.py [--rows 250000,500000,1000000] [--profile 40000]

The default sizes (40k, 80k, 160k) keep ``make bench`` within its 20-minute budget at the merge
speed measured on 2026-11-29 (1,500-2,200 rows/s on a loaded 2-core machine; 500k rows took
5.6 min and 7 GB); pass the larger sizes explicitly.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import PROFILES_DIR, PROJECT_ROOT, Report, bench_env, fmt_bytes, run_child

DAYS = 30
SOURCES = 20
FIRST_DAY = date(2026, 10, 22)
OVERLAP = 0.10
GOAL_RATIO = 3.0
GOAL_RSS = 4 * 2**30
_WORDS_TEXT = (
    "government minister district police court budget election flood monsoon farmers "
    "province assembly opposition party protest market prices rupee hospital school "
    "students teachers road bridge railway project officials said on Monday Tuesday "
    "Wednesday Thursday Friday the a of and to in for with after before during report "
    "according water electricity power supply shortage villagers residents city council "
    "chief justice bench hearing petition verdict cricket team match series captain "
    "wickets runs innings tournament trade exports imports growth inflation bank loan "
    "interest rate policy reform health vaccine cases patients doctors strike union "
    "workers wages industry textile garment port shipping customs border security forces "
    "army operation militants attack killed injured rescue relief camp displaced"
)
WORDS = _WORDS_TEXT.split()
SECTIONS = ["National", "Business", "Sport", "World", "Opinion", "Politics", "Metro", "Health"]


# -- synthetic rows ------------------------------------------------------------------------

def _paragraph_pool(rng: random.Random, size: int = 4000) -> list[tuple[str, int]]:
    """Generated paragraphs (3-7 sentences) with their word counts."""
    pool = []
    for _ in range(size):
        sentences = []
        for _ in range(rng.randint(3, 7)):
            words = rng.choices(WORDS, k=rng.randint(10, 28))
            sentences.append(" ".join(words).capitalize() + ".")
        text = " ".join(sentences)
        pool.append((text, len(text.split())))
    return pool


def article_key(i: int) -> dict[str, Any]:
    """The fields that identify synthetic article ``i`` (the same in the lake and the batch)."""
    source = f"src-{i % SOURCES:02d}"
    day = FIRST_DAY + timedelta(days=(i // SOURCES) % DAYS)
    second = (i * 7919) % 86400
    published = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=second)
    url = f"https://{source}.example.pk/news/{day:%Y/%m/%d}/story-{i}"
    return {"i": i, "source": source, "day": day, "published": published, "url": url,
            "article_id": hashlib.sha256(url.encode()).hexdigest()[:32]}


def build_frame(indices: list[int], version: int, seed: int) -> Any:
    """Article rows for ``indices`` in the shape the pipeline hands to ``merge_articles``.

    ``version`` > 0 makes updated copies: same key, other body/title, ``modified_at`` set.
    """
    import pandas as pd

    from transforms.schema import ARTICLE_COLUMNS

    rng = random.Random(seed)
    pool = _paragraph_pool(rng)
    n = len(indices)
    cols: dict[str, list[Any]] = {name: [] for name in
                                  ("article_id", "source", "url", "canonical_url", "title",
                                   "lead", "body", "authors", "published_at",
                                   "published_offset", "modified_at", "language", "section",
                                   "tags", "dateline", "image_url", "word_count",
                                   "content_hash", "country", "region", "paywalled",
                                   "extractor_version", "provenance", "crawled_at", "run_id",
                                   "date")}
    provenance = [("body", "trafilatura"), ("published_at", "jsonld"), ("title", "jsonld")]
    run_id = f"bench__v{version}"
    for i in indices:
        key = article_key(i)
        target = rng.randint(2000, 6000)
        parts, words, size = [f"Story {i} version {version}."], 4, 0
        while size < target:
            text, count = pool[rng.randrange(len(pool))]
            parts.append(text)
            words += count
            size += len(text) + 2
        body = "\n\n".join(parts)
        title_words = rng.choices(WORDS, k=rng.randint(6, 12))
        cols["article_id"].append(key["article_id"])
        cols["source"].append(key["source"])
        cols["url"].append(key["url"] + "?utm_source=rss")
        cols["canonical_url"].append(key["url"])
        cols["title"].append(" ".join(title_words).capitalize() + (f" ({version})" if version
                                                                    else ""))
        cols["lead"].append(parts[1][:220])
        cols["body"].append(body)
        cols["authors"].append([f"Reporter {i % 97}"] if i % 5 else [])
        cols["published_at"].append(key["published"])
        cols["published_offset"].append("+05:00" if i % 2 else "+05:30")
        cols["modified_at"].append(key["published"] + timedelta(hours=2) if version else None)
        cols["language"].append("en")
        cols["section"].append(SECTIONS[i % len(SECTIONS)])
        cols["tags"].append(rng.sample(WORDS, 3))
        cols["dateline"].append("LAHORE" if i % 3 == 0 else None)
        cols["image_url"].append(f"https://{key['source']}.example.pk/img/{i}.jpg")
        cols["word_count"].append(words)
        cols["content_hash"].append(hashlib.sha256(body.encode()).hexdigest())
        cols["country"].append("PK" if i % 2 else "IN")
        cols["region"].append("South Asia")
        cols["paywalled"].append(False)
        cols["extractor_version"].append("1")
        cols["provenance"].append(provenance)
        cols["crawled_at"].append(key["published"] + timedelta(hours=3 + version))
        cols["run_id"].append(run_id)
        cols["date"].append(key["day"])
    data: dict[str, Any] = {}
    for column in ARTICLE_COLUMNS:
        values = cols.get(column.name)
        if values is None:
            if not column.nullable:
                raise RuntimeError(f"bench does not know how to fill column {column.name}")
            values = [None] * n
        data[column.name] = values
    data["date"] = cols["date"]
    # object columns, as transforms.normalize.typed_frame hands them on (pandas 3 would
    # otherwise infer its arrow-backed ``str`` dtype for the text columns)
    frame = pd.DataFrame({k: _object_array(v) for k, v in data.items()}, dtype=object)
    for name in ("published_at", "modified_at", "crawled_at"):
        frame[name] = pd.to_datetime(frame[name], utc=True).astype("datetime64[us, UTC]")
    frame["word_count"] = frame["word_count"].astype("int32")
    return frame


def _object_array(values: list[Any]) -> Any:
    """An object array whose elements are the given lists (numpy would make a 2-D array)."""
    import numpy as np

    out = np.empty(len(values), dtype=object)
    for n, value in enumerate(values):
        out[n] = value
    return out


def batch_indices(rows: int) -> tuple[list[int], list[int]]:
    """(updated lake rows, new rows) of a batch of ``rows`` rows against a lake of ``rows``."""
    updated = list(range(0, rows, round(1 / OVERLAP)))[: int(rows * OVERLAP)]
    new = list(range(rows, rows + rows - len(updated)))
    return updated, new


# -- child modes ---------------------------------------------------------------------------

def _peak_sampler(stop: threading.Event, box: dict[str, int]) -> None:
    import psutil

    proc = psutil.Process()
    while not stop.is_set():
        box["peak"] = max(box["peak"], proc.memory_info().rss)
        stop.wait(0.02)


def child_prepare(rows: int, lake: Path, chunk: int = 100_000) -> dict[str, Any]:
    """Write a lake of ``rows`` rows, one zstd file per partition (as the lake lays it out)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from transforms.lake import ARTICLES, partition_path, to_arrow

    table_dir = lake / "articles"
    start = time.perf_counter()
    pieces: dict[Path, list[pa.Table]] = {}
    for offset in range(0, rows, chunk):
        frame = build_frame(list(range(offset, min(rows, offset + chunk))), 0, seed=offset)
        for (day, source), group in frame.groupby(["date", "source"], sort=True):
            path = partition_path(table_dir, day, source)
            pieces.setdefault(path, []).append(to_arrow(group, ARTICLES))
    for path, tables in pieces.items():
        table = pa.concat_tables(tables).sort_by([("published_at", "ascending"),
                                                  ("article_id", "ascending")])
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path, compression="zstd")
    size = sum(p.stat().st_size for p in table_dir.rglob("*.parquet"))
    return {"seconds": time.perf_counter() - start, "files": len(pieces), "bytes": size}


def child_merge(rows: int, lake: Path, profile: Path | None) -> dict[str, Any]:
    """Build the batch, then time ``merge_articles`` on it (optionally under pyinstrument)."""
    import gc

    import psutil

    updated, new = batch_indices(rows)
    frame_start = time.perf_counter()
    parts = [build_frame(updated, 1, seed=1)] if updated else []
    parts += [build_frame(new[o:o + 100_000], 0, seed=o + 7) for o in range(0, len(new), 100_000)]
    import pandas as pd

    from transforms.lake import merge_articles

    batch = pd.concat(parts, ignore_index=True)
    del parts
    gc.collect()
    build_s = time.perf_counter() - frame_start
    before = psutil.Process().memory_info().rss
    box = {"peak": before}
    stop = threading.Event()
    sampler = threading.Thread(target=_peak_sampler, args=(stop, box), daemon=True)
    sampler.start()
    profiler = None
    if profile is not None:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.005)
        profiler.start()
    start = time.perf_counter()
    result = merge_articles(batch, lake)
    seconds = time.perf_counter() - start
    if profiler is not None:
        profiler.stop()
        profile.write_text(profiler.output_text(unicode=False, color=False, show_all=False),
                           encoding="utf-8")
    stop.set()
    sampler.join()
    return {"seconds": seconds, "build_s": build_s, "rss_before": before, "rss_peak": box["peak"],
            "inserted": result.inserted, "updated": result.updated,
            "unchanged": result.unchanged, "files": result.files_written, "batch": len(batch)}


def child_floor(lake: Path, out: Path) -> dict[str, Any]:
    """Write every partition of the merged lake once with pyarrow; time the writes only."""
    import pyarrow.parquet as pq

    from transforms.lake import PART_FILE

    table_dir = lake / "articles"
    total, rows, files = 0.0, 0, 0
    for path in sorted(table_dir.glob(f"date=*/source=*/{PART_FILE}")):
        table = pq.read_table(path)
        target = out / path.relative_to(table_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        pq.write_table(table, target, compression="zstd")
        total += time.perf_counter() - start
        rows += table.num_rows
        files += 1
        del table
    return {"seconds": total, "rows": rows, "files": files}


def run_child_mode(mode: list[str], rss_limit: int) -> tuple[dict[str, Any], Any]:
    """Run this script in a child mode; return its JSON answer and its wait4 usage."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", *mode]
    usage = run_child(cmd, env=bench_env(), cwd=PROJECT_ROOT, rss_limit=rss_limit)
    if usage.returncode != 0:
        reason = ("killed: RSS over the limit" if usage.returncode == -9
                  else f"exit {usage.returncode}")
        return {"error": reason, "stderr": usage.stderr[-2000:]}, usage
    return json.loads(usage.stdout.strip().splitlines()[-1]), usage


# -- driver --------------------------------------------------------------------------------

def bench_size(rows: int, work: Path, rss_limit: int, profile: Path | None,
               out: Report) -> dict[str, Any]:
    """Prepare, merge and floor for one size; print one result line."""
    lake = work / f"lake-{rows}"
    shutil.rmtree(lake, ignore_errors=True)
    prep, _ = run_child_mode(["prepare", str(rows), str(lake)], rss_limit)
    if "error" in prep:
        out(f"{rows:>9,} prepare failed: {prep['error']} {prep.get('stderr', '')}")
        return {"rows": rows, "error": prep["error"]}
    mode = ["merge", str(rows), str(lake)] + ([str(profile)] if profile else [])
    merge, usage = run_child_mode(mode, rss_limit)
    if "error" in merge:
        out(f"{rows:>9,} merge failed: {merge['error']} (limit {fmt_bytes(rss_limit)}) "
            f"{merge.get('stderr', '')[-500:]}")
        shutil.rmtree(lake, ignore_errors=True)
        return {"rows": rows, "error": merge["error"]}
    result = {"rows": rows, "prepare": prep, "merge": merge, "child_maxrss": usage.max_rss,
              "child_cpu": usage.cpu}
    if profile is None:
        floor_dir = work / f"floor-{rows}"
        floor, _ = run_child_mode(["floor", str(lake), str(floor_dir)], rss_limit)
        shutil.rmtree(floor_dir, ignore_errors=True)
        result["floor"] = floor
        ratio = merge["seconds"] / floor["seconds"] if floor.get("seconds") else float("nan")
        result["ratio"] = ratio
        out(f"{rows:>9,} {merge['seconds']:>9.1f} {rows / merge['seconds']:>9,.0f} "
            f"{floor['seconds']:>8.1f} {ratio:>6.2f}x {fmt_bytes(merge['rss_before']):>10} "
            f"{fmt_bytes(merge['rss_peak']):>10} {fmt_bytes(usage.max_rss):>10} "
            f"{floor['rows']:>10,} {merge['files']:>6} {fmt_bytes(prep['bytes']):>9}")
    shutil.rmtree(lake, ignore_errors=True)
    return result


def main() -> None:
    """Run the sizes and print the table against the goals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="40000,80000,160000",
                        help="comma-separated batch sizes (250000,500000,1000000 takes over "
                             "30 min and ~14 GB at the merge speed measured on 2026-11-29)")
    parser.add_argument("--profile", type=int, default=40_000,
                        help="rows for one extra merge under pyinstrument (0: none)")
    parser.add_argument("--rss-limit-gb", type=float, default=14.0,
                        help="kill a child past this RSS (shared machine)")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, *rest = args.child
        if mode == "prepare":
            answer = child_prepare(int(rest[0]), Path(rest[1]))
        elif mode == "merge":
            answer = child_merge(int(rest[0]), Path(rest[1]), Path(rest[2]) if len(rest) > 2
                                 else None)
        else:
            answer = child_floor(Path(rest[0]), Path(rest[1]))
        print(json.dumps(answer, default=str))
        return
    sizes = [int(s) for s in args.rows.split(",") if s.strip()]
    rss_limit = int(args.rss_limit_gb * 2**30)
    out = Report()
    out(f"merge_articles: lake of N rows (30 days x {SOURCES} sources), batch of N rows with "
        f"{OVERLAP:.0%} updated, bodies 2-6 KB; floor = pq.write_table once per partition of "
        f"the final table (1.9 N rows)")
    out(f"{'rows':>9} {'merge s':>9} {'rows/s':>9} {'floor s':>8} {'ratio':>7} "
        f"{'RSS before':>10} {'RSS peak':>10} {'maxrss':>10} {'final rows':>10} {'files':>6} "
        f"{'lake size':>9}")
    work_parent = args.workdir or Path(tempfile.gettempdir())
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-transform-", dir=work_parent) as tmp:
        work = Path(tmp)
        for rows in sizes:
            results.append(bench_size(rows, work, rss_limit, None, out))
        ok = [r for r in results if "ratio" in r]
        if len(ok) >= 2:
            first, last = ok[0], ok[-1]
            per_row = [r["merge"]["seconds"] / r["rows"] * 1e6 for r in ok]
            out("growth: " + ", ".join(f"{r['rows']:,}: {p:.1f} us/row" for r, p in
                                       zip(ok, per_row, strict=True))
                + f" (last/first per-row cost {per_row[-1] / per_row[0]:.2f}; 1.00 = linear)")
            rss_rows = (last["merge"]["rss_peak"] - first["merge"]["rss_peak"]) / (
                last["rows"] - first["rows"])
            out(f"peak RSS grows {rss_rows / 1024:.1f} KB per batch row")
        if ok:
            top = ok[-1]
            out(f"goal merge <= {GOAL_RATIO}x floor at {top['rows']:,}: {top['ratio']:.2f}x "
                f"{'MET' if top['ratio'] <= GOAL_RATIO else 'MISSED'}")
            out(f"goal peak RSS < 4 GB at {top['rows']:,}: {fmt_bytes(top['merge']['rss_peak'])}"
                f" {'MET' if top['merge']['rss_peak'] < GOAL_RSS else 'MISSED'} (the batch frame"
                f" alone: {fmt_bytes(top['merge']['rss_before'])})")
        if args.profile:
            PROFILES_DIR.mkdir(parents=True, exist_ok=True)
            target = PROFILES_DIR / f"transform_merge_{args.profile}.txt"
            res = bench_size(args.profile, work, rss_limit, target, out)
            if "merge" in res:
                out(f"pyinstrument profile of a {args.profile:,}-row merge "
                    f"({res['merge']['seconds']:.1f} s under the profiler): "
                    f"{target.relative_to(PROJECT_ROOT)}")
    out.save("Transform: merge_articles vs pyarrow floor")


if __name__ == "__main__":
    main()
