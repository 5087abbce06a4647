"""Benchmark the streaming lake merge (``transforms.lake.merge_articles_dataset``) against a floor.

For each size N (``--rows 250000,500000,1000000``), in child processes:

1. ``prepare`` (not timed) generates, one ``(date, source)`` partition at a time (generate,
   write, drop: memory stays near one partition), a lake of N rows over 30 days x 20 sources
   (600 zstd partition files, as the lake lays them out) and a batch of N rows staged on disk
   with ``transforms.lake.stage_batch`` (one Parquet file per partition): 10% are updated
   versions of lake rows (new body, title and ``modified_at``; every partition gets some), 90%
   new articles on the same 600 partitions;
2. ``merge`` times ``merge_articles_dataset(batch_dir, lake)``, which reads the batch one
   partition at a time (seconds, rows/s; peak RSS sampled in the child, and its ``wait4`` max
   RSS);
3. ``floor``: every partition of the merged lake (1.9 N rows) is read back (not timed) and
   written once with ``pq.write_table`` (zstd, no fsync) into another directory; the sum of the
   writes is the floor.

Bodies are 2-6 KB of generated sentences.  Goals: merge <= 3x floor, peak RSS < 4 GB at 1M rows,
cost per row flat (linear growth).  ``--profile N`` prepares and merges N more rows under
pyinstrument, saves the profile in ``bench/profiles/`` and prints where the time goes.  A child
whose RSS passes ``--rss-limit-gb`` is killed (the machine is shared) and reported as such.

    .venv/bin/python bench/transform.py [--rows 250000,500000,1000000] [--profile 100000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import PROFILES_DIR, PROJECT_ROOT, Report, bench_env, fmt_bytes, run_child

DAYS = 30
SOURCES = 20
PARTITIONS = DAYS * SOURCES
FIRST_DAY = date(2026, 10, 22)
OVERLAP = 0.10
GOAL_RATIO = 3.0
GOAL_RSS = 4 * 2**30
GOAL_ROWS = 1_000_000
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
MAX_PARAGRAPHS = 80


# -- synthetic rows ------------------------------------------------------------------------

class Generator:
    """Synthetic article rows, built column by column with numpy and Arrow.

    Row ``i`` belongs to source ``i % 20`` and day ``(i // 20) % 30``, so partition
    ``20 * day + source`` holds the rows ``i`` with ``i % 600`` equal to it.  Bodies are 2-6 KB:
    a per-row first line, then paragraphs (3-7 generated sentences) drawn from a pool.
    """

    def __init__(self, seed: int = 7, pool_size: int = 4000) -> None:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        rng = np.random.default_rng(seed)
        words = np.array(WORDS)
        paragraphs, counts = [], []
        for _ in range(pool_size):
            sentences = []
            for _ in range(int(rng.integers(3, 8))):
                chosen = words[rng.integers(0, len(words), int(rng.integers(10, 29)))]
                sentences.append(" ".join(chosen).capitalize() + ".")
            text = " ".join(sentences)
            paragraphs.append(text)
            counts.append(len(text.split()))
        self.pool = pa.array(paragraphs, pa.string())
        self.pool_chars = np.array([len(p) for p in paragraphs], dtype=np.int64)
        self.pool_words = np.array(counts, dtype=np.int64)
        self.leads = pc.utf8_slice_codeunits(self.pool, 0, 220)
        self.titles = pa.array([" ".join(words[rng.integers(0, len(words),
                                                             int(rng.integers(6, 13)))])
                                .capitalize() for _ in range(2000)], pa.string())

    def rows(self, indices: Any, version: int, seed: int) -> Any:
        """Batch-shaped rows (the article columns but story_id/raw_ref, plus ``date``)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        from transforms.schema import ARTICLES_SCHEMA, UTC_US

        rng = np.random.default_rng(seed)
        idx = np.asarray(indices, dtype=np.int64)
        n = len(idx)
        source_no, day_no = idx % SOURCES, (idx // SOURCES) % DAYS
        sources = [f"src-{s:02d}" for s in source_no.tolist()]
        days = np.datetime64(FIRST_DAY, "D") + day_no
        published = (days.astype("datetime64[us]")
                     + ((idx * 7919) % 86400).astype("timedelta64[s]"))
        urls = [f"https://{s}.example.pk/news/{d.replace('-', '/')}/story-{i}"
                for s, d, i in zip(sources, days.astype(str).tolist(), idx.tolist(), strict=True)]
        # bodies: "Story i version v." then pool paragraphs until the 2-6 KB target is reached
        target = rng.integers(2000, 6001, n)
        drawn = rng.integers(0, len(self.pool), (n, MAX_PARAGRAPHS))
        cumulative = np.cumsum(self.pool_chars[drawn] + 2, axis=1)
        taken = np.minimum((cumulative < target[:, None]).sum(axis=1) + 1, MAX_PARAGRAPHS)
        heads = pa.array([f"Story {i} version {version}." for i in idx.tolist()], pa.string())
        grid = np.concatenate([np.arange(n)[:, None], drawn + n], axis=1)
        keep = np.arange(MAX_PARAGRAPHS + 1)[None, :] < (taken + 1)[:, None]
        offsets = np.concatenate([[0], np.cumsum(taken + 1)]).astype(np.int32)
        parts = pc.take(pa.concat_arrays([heads, self.pool]), pa.array(grid[keep]))
        body = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), parts), "\n\n")
        words = 4 + (self.pool_words[drawn] * keep[:, 1:]).sum(axis=1)
        hashes = [hashlib.sha256(b.encode()).hexdigest() for b in body.to_pylist()]
        title = pc.take(self.titles, pa.array(rng.integers(0, len(self.titles), n)))
        if version:
            title = pc.binary_join_element_wise(title, f" ({version})", "")
        tags = pa.ListArray.from_arrays(
            pa.array(np.arange(0, 3 * n + 1, 3, dtype=np.int32)),
            pa.array(np.array(WORDS)[rng.integers(0, len(WORDS), 3 * n)]))
        authors = pa.array([[f"Reporter {i % 97}"] if i % 5 else [] for i in idx.tolist()],
                           pa.list_(pa.string()))
        provenance = pa.array([[("body", "trafilatura"), ("published_at", "jsonld"),
                                ("title", "jsonld")]] * n, pa.map_(pa.string(), pa.string()))
        odd = (idx % 2).astype(bool)
        hour = np.timedelta64(3600, "s")
        columns = {
            "article_id": [hashlib.sha256(u.encode()).hexdigest()[:32] for u in urls],
            "url": [u + "?utm_source=rss" for u in urls],
            "canonical_url": urls,
            "title": title,
            "lead": pc.take(self.leads, pa.array(drawn[:, 0])),
            "body": body,
            "authors": authors,
            "published_at": pa.array(published, UTC_US),
            "published_offset": pa.array(np.where(odd, "+05:00", "+05:30")),
            "modified_at": (pa.array(published + 2 * hour, UTC_US) if version
                            else pa.nulls(n, UTC_US)),
            "language": pa.repeat("en", n),
            "section": pa.array(np.array(SECTIONS)[idx % len(SECTIONS)]),
            "tags": tags,
            "dateline": pa.array(np.where(idx % 3 == 0, "LAHORE", None), pa.string()),
            "image_url": [f"https://{s}.example.pk/img/{i}.jpg"
                          for s, i in zip(sources, idx.tolist(), strict=True)],
            "word_count": pa.array(words.astype(np.int32)),
            "content_hash": hashes,
            "country": pa.array(np.where(odd, "PK", "IN")),
            "region": pa.repeat("South Asia", n),
            "paywalled": pa.repeat(False, n),
            "extractor_version": pa.repeat("1", n),
            "provenance": provenance,
            "crawled_at": pa.array(published + (3 + version) * hour, UTC_US),
            "run_id": pa.repeat(f"bench__v{version}", n),
        }
        fields = [f for f in ARTICLES_SCHEMA if f.name in columns]
        table = pa.table({f.name: pa.array(columns[f.name], f.type) if isinstance(
            columns[f.name], list) else columns[f.name].cast(f.type) for f in fields})
        table = table.append_column("date", pa.array(days.astype("datetime64[D]"), pa.date32()))
        return table.append_column("source", pa.array(sources, pa.string()))


def end_of_batch(rows: int) -> int:
    """One past the last new row of the batch of size N (the batch has N rows in all)."""
    return rows + rows - sum(len(range(p, rows, PARTITIONS * round(1 / OVERLAP)))
                             for p in range(PARTITIONS))


def split_partition(v0: Any, v1: Any, rows: int) -> tuple[Any, Any]:
    """(lake rows, batch rows) of size N out of one partition's universe rows.

    The universe holds every row ``i`` of the partition as first written (``v0``, ascending
    ``i``) and the updated copies of every 10th lake row (``v1``).  The lake of size N holds the
    rows ``i < N``; its batch updates every 10th of them and adds the new rows ``N..`` until it
    has N rows.  Every size is a subset of the same rows, so one generation serves all sizes.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    def below(table: Any, limit: int) -> Any:
        return table.filter(pc.less(table.column("i"), limit))

    lake = below(v0, rows)
    new = v0.filter(pc.and_(pc.greater_equal(v0.column("i"), rows),
                            pc.less(v0.column("i"), end_of_batch(rows))))
    batch = pa.concat_tables([below(v1, rows), new])
    return lake.drop_columns(["i"]), batch.drop_columns(["i"])


# -- child modes ---------------------------------------------------------------------------

def _peak_sampler(stop: threading.Event, box: dict[str, int]) -> None:
    import psutil

    proc = psutil.Process()
    while not stop.is_set():
        box["peak"] = max(box["peak"], proc.memory_info().rss)
        stop.wait(0.02)


def child_prepare(names: list[str], work: Path, worker: int, workers: int) -> dict[str, Any]:
    """Write the lake and stage the batch of every size, one partition at a time.

    ``names`` are directory names ending in ``-N`` (N: the size).  This worker handles the
    partitions ``p`` with ``p % workers == worker``; each partition's rows are generated once
    (for the largest size), written for every size and dropped.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from transforms.lake import ARTICLES, conform, partition_path, stage_batch

    start = time.perf_counter()
    gen = Generator()
    sizes = {name: int(name.rsplit("-", 1)[1]) for name in names}
    top = max(end_of_batch(n) for n in sizes.values())
    lake_top = max(sizes.values())
    step = PARTITIONS * round(1 / OVERLAP)
    for p in range(worker, PARTITIONS, workers):
        first = np.arange(p, top, PARTITIONS)
        v0 = gen.rows(first, 0, seed=p)
        v0 = v0.append_column("i", pa.array(first))
        second = np.arange(p, lake_top, step)
        v1 = gen.rows(second, 1, seed=PARTITIONS + p).append_column("i", pa.array(second))
        for name, rows in sizes.items():
            lake, batch = split_partition(v0, v1, rows)
            table_dir = work / name / "lake" / "articles"
            path = partition_path(table_dir, lake.column("date")[0].as_py(),
                                  lake.column("source")[0].as_py())
            path.parent.mkdir(parents=True, exist_ok=True)
            stored = conform(lake, ARTICLES.schema).sort_by(
                [("published_at", "ascending"), ("article_id", "ascending")])
            pq.write_table(stored, path, compression="zstd")
            stage_batch(batch, work / name / "batch", name="part-0")
        del v0, v1
    return {"seconds": time.perf_counter() - start}


def prepare_all(names: list[str], work: Path, rss_limit: int, workers: int = 2
                ) -> dict[str, Any]:
    """Generate every size's lake and batch with ``workers`` child processes at once."""
    results: list[tuple[dict[str, Any], Any]] = [({}, None)] * workers
    names = ",".join(names)

    def run(worker: int) -> None:
        results[worker] = run_child_mode(["prepare", names, str(work), str(worker),
                                          str(workers)], rss_limit)

    start = time.perf_counter()
    threads = [threading.Thread(target=run, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    errors = [answer["error"] + " " + answer.get("stderr", "")[-500:]
              for answer, _ in results if "error" in answer]
    return {"seconds": time.perf_counter() - start, "errors": errors,
            "maxrss": max(usage.max_rss for _, usage in results)}


def tree_bytes(directory: Path) -> int:
    """Bytes of the Parquet files under ``directory``."""
    return sum(p.stat().st_size for p in directory.rglob("*.parquet"))


def top_costs(session: Any, limit: int = 10) -> dict[str, list[tuple[str, float]]]:
    """Where a pyinstrument session spent its time: the steps of the merge and self time.

    Steps are the callees of ``merge_dataset`` and (indented, summed over partitions) of
    ``merge_partition``, inclusive; self time is exclusive, summed per function.
    """
    root = session.root_frame()
    own: dict[str, float] = {}
    steps: dict[tuple[int, str], float] = {}

    def label(frame: Any) -> str:
        return f"{frame.function} ({frame.file_path_short}:{frame.line_no})"

    def walk(frame: Any) -> None:
        children = [c for c in frame.children if not c.is_synthetic]
        if not frame.is_synthetic:
            own[label(frame)] = (own.get(label(frame), 0.0) + frame.time
                                 - sum(c.time for c in children))
        level = {"merge_dataset": 0, "merge_partition": 1}.get(frame.function)
        for child in children:
            if level is not None:
                steps[level, label(child)] = steps.get((level, label(child)), 0.0) + child.time
            walk(child)

    walk(root)
    waited = sum(t for (level, name), t in steps.items() if level == 0
                 and name.startswith("result "))
    floor = 0.01 * root.time
    ordered: list[tuple[str, float]] = []
    for (level, name), seconds in sorted(steps.items(), key=lambda kv: -kv[1]):
        if level == 0 and seconds >= floor:
            ordered.append((name, seconds))
            if name.startswith("merge_partition "):
                ordered += [("  " + inner, t) for (lvl, inner), t in sorted(
                    steps.items(), key=lambda kv: -kv[1]) if lvl == 1 and t >= floor]
    return {"steps": ordered, "self": sorted(own.items(), key=lambda kv: -kv[1])[:limit],
            "waited": waited}


def child_merge(rows: int, work: Path, profile: Path | None) -> dict[str, Any]:
    """Time ``merge_articles_dataset`` on the staged batch (optionally under pyinstrument)."""
    import psutil

    from transforms.lake import merge_articles_dataset

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
    result = merge_articles_dataset(work / "batch", work / "lake")
    seconds = time.perf_counter() - start
    costs = None
    if profiler is not None:
        profiler.stop()
        profile.write_text(profiler.output_text(unicode=False, color=False, show_all=False),
                           encoding="utf-8")
        costs = top_costs(profiler.last_session)
    stop.set()
    sampler.join()
    return {"seconds": seconds, "rss_before": before, "rss_peak": box["peak"],
            "inserted": result.inserted, "updated": result.updated,
            "unchanged": result.unchanged, "files": result.files_written,
            "rows_after": result.total("rows"), "costs": costs}


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

def bench_size(rows: int, work_parent: Path, rss_limit: int, profile: Path | None,
               out: Report) -> dict[str, Any]:
    """Merge and floor for one prepared size; print one result line."""
    work = work_parent / (f"profile-{rows}" if profile else f"size-{rows}")
    try:
        lake_bytes, batch_bytes = tree_bytes(work / "lake"), tree_bytes(work / "batch")
        mode = ["merge", str(rows), str(work)] + ([str(profile)] if profile else [])
        merge, usage = run_child_mode(mode, rss_limit)
        if "error" in merge:
            out(f"{rows:>9,} merge failed: {merge['error']} (limit {fmt_bytes(rss_limit)}) "
                f"{merge.get('stderr', '')[-500:]}")
            return {"rows": rows, "error": merge["error"]}
        result = {"rows": rows, "merge": merge, "child_maxrss": usage.max_rss,
                  "child_cpu": usage.cpu}
        if profile is not None:
            return result
        floor, _ = run_child_mode(["floor", str(work / "lake"), str(work / "floor")],
                                  rss_limit)
        if "error" in floor:
            out(f"{rows:>9,} floor failed: {floor['error']} {floor.get('stderr', '')[-500:]}")
            return {"rows": rows, "error": floor["error"]}
        result["floor"] = floor
        ratio = merge["seconds"] / floor["seconds"]
        result["ratio"] = ratio
        out(f"{rows:>9,} {merge['seconds']:>8.1f} {rows / merge['seconds']:>8,.0f} "
            f"{floor['seconds']:>8.1f} {ratio:>6.2f}x {fmt_bytes(merge['rss_peak']):>9} "
            f"{fmt_bytes(usage.max_rss):>9} {usage.cpu:>6.0f} {floor['rows']:>10,} "
            f"{merge['files']:>5} {fmt_bytes(lake_bytes):>9} {fmt_bytes(batch_bytes):>9}")
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report_goals(ok: list[dict[str, Any]], out: Report) -> None:
    """Growth per row, RSS growth and the three goals."""
    if len(ok) >= 2:
        first, last = ok[0], ok[-1]
        per_row = [r["merge"]["seconds"] / r["rows"] * 1e6 for r in ok]
        out("growth: " + ", ".join(f"{r['rows']:,}: {p:.1f} us/row" for r, p in
                                   zip(ok, per_row, strict=True))
            + f" (last/first per-row cost {per_row[-1] / per_row[0]:.2f}; 1.00 = linear)")
        rss_rows = (last["merge"]["rss_peak"] - first["merge"]["rss_peak"]) / (
            last["rows"] - first["rows"])
        out(f"peak RSS grows {rss_rows:.0f} bytes per batch row "
            f"({fmt_bytes(first['merge']['rss_peak'])} at {first['rows']:,}, "
            f"{fmt_bytes(last['merge']['rss_peak'])} at {last['rows']:,})")
        linear = per_row[-1] / per_row[0] <= 1.25
        out(f"goal linear cost ({first['rows']:,} -> {last['rows']:,} rows): per-row cost x"
            f"{per_row[-1] / per_row[0]:.2f} {'MET' if linear else 'MISSED'} (<= 1.25 counts "
            f"as linear on this noisy machine)")
    if ok:
        top = ok[-1]
        out(f"goal merge <= {GOAL_RATIO:.0f}x floor at {top['rows']:,}: {top['ratio']:.2f}x "
            f"{'MET' if top['ratio'] <= GOAL_RATIO else 'MISSED'} (worst size: "
            f"{max(r['ratio'] for r in ok):.2f}x)")
        peak = max(top["merge"]["rss_peak"], top["child_maxrss"])
        scope = "" if top["rows"] >= GOAL_ROWS else f" (goal is for {GOAL_ROWS:,})"
        out(f"goal peak RSS < 4 GB at {top['rows']:,}: {fmt_bytes(peak)} "
            f"{'MET' if peak < GOAL_RSS else 'MISSED'}{scope}")


def report_profile(res: dict[str, Any], rows: int, target: Path, out: Report) -> None:
    """Print where the profiled merge spent its time."""
    merge = res["merge"]
    out(f"pyinstrument profile of a {rows:,}-row merge ({merge['seconds']:.1f} s under the "
        f"profiler): {target.relative_to(PROJECT_ROOT)}")
    costs = merge.get("costs") or {}
    total = merge["seconds"]
    out("  steps of the merge (inclusive seconds, share of the merge):")
    for name, seconds in costs.get("steps", []):
        out(f"    {seconds:7.2f} s {seconds / total:6.1%}  {name}")
    out(f"  reads run in the read-ahead thread, which pyinstrument does not sample; the main "
        f"thread waited {costs.get('waited', 0.0):.2f} s for them")
    out("  top self time (exclusive):")
    for name, seconds in costs.get("self", []):
        out(f"    {seconds:7.2f} s {seconds / total:6.1%}  {name}")


def main() -> None:
    """Run the sizes and print the table against the goals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="250000,500000,1000000",
                        help="comma-separated batch sizes (default 250000,500000,1000000)")
    parser.add_argument("--profile", type=int, default=100_000,
                        help="rows for one extra merge under pyinstrument (0: none)")
    parser.add_argument("--rss-limit-gb", type=float, default=8.0,
                        help="kill a child past this RSS (shared machine)")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--no-save", action="store_true",
                        help="print only; do not append to bench/results.md")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, *rest = args.child
        if mode == "prepare":
            answer = child_prepare(rest[0].split(","), Path(rest[1]), int(rest[2]),
                                   int(rest[3]))
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
    started = time.perf_counter()
    out(f"merge_articles_dataset: lake of N rows ({DAYS} days x {SOURCES} sources), batch of N "
        f"rows staged as Parquet (one file per partition), {OVERLAP:.0%} of them updates; "
        f"bodies 2-6 KB; floor = pq.write_table once per partition of the final table "
        f"(1.9 N rows); RSS and CPU = the merge child's")
    work_parent = args.workdir or Path(tempfile.gettempdir())
    with tempfile.TemporaryDirectory(prefix="bench-transform-", dir=work_parent) as tmp:
        work = Path(tmp)
        names = [f"size-{n}" for n in sizes] + ([f"profile-{args.profile}"] if args.profile
                                                else [])
        prepared = prepare_all(names, work, rss_limit)
        if prepared["errors"]:
            out(f"generation failed: {prepared['errors']}")
            out.save("Transform: streaming merge vs pyarrow floor")
            return
        out(f"generated every size's lake and batch in {prepared['seconds']:.0f} s (2 processes, "
            f"one partition at a time; max RSS {fmt_bytes(prepared['maxrss'])}); not timed")
        out(f"{'rows':>9} {'merge s':>8} {'rows/s':>8} {'floor s':>8} {'ratio':>7} "
            f"{'RSS peak':>9} {'maxrss':>9} {'cpu s':>6} {'final rows':>10} {'files':>5} "
            f"{'lake':>9} {'batch':>9}")
        results = [bench_size(rows, work, rss_limit, None, out) for rows in sizes]
        report_goals([r for r in results if "ratio" in r], out)
        if args.profile:
            PROFILES_DIR.mkdir(parents=True, exist_ok=True)
            target = PROFILES_DIR / f"transform_merge_{args.profile}.txt"
            res = bench_size(args.profile, work, rss_limit, target, out)
            if "merge" in res:
                report_profile(res, args.profile, target, out)
    out(f"whole benchmark (generation, merges, floors, profile): "
        f"{time.perf_counter() - started:.0f} s wall")
    if not args.no_save:
        out.save("Transform: streaming merge vs pyarrow floor")


if __name__ == "__main__":
    main()
