"""Benchmark the DAG's write path: ``transforms.pipeline.process_staged`` on one staged day.

For each size N (``--rows 25000,100000``) the day has N / 200 sources x 200 articles, staged
as one JSONL file per source with the keys the spider writes (``scrapers.records.build_record``:
``Extracted.to_record()`` plus source, country, region, crawled_at, http_status, ...).  Bodies
are about 300 words of a 5000-word generated vocabulary; 5% of the rows are near-copies of an
article of another source (a new first sentence, so a new content hash: same story, not a
duplicate), 1% repeat an article of the day before (the same canonical URL with a new body: an
update of a stored row), 0.5% are refused by validation (no body) and each file ends with one
line that is not JSON (both go to quarantine).

The lake already holds 30 days of all 500 sources, ``--history-rows`` (default 4) articles per
source and day: 15,000 partition files (60,000 rows), written once with the lake's own writer
and key index (``write_atomic`` + ``rebuild_index``) and copied for each size.  Generation is
not timed.

Each size runs in a child process (capped at ``--rss-limit-gb``; a child over the cap is killed
and reported so).  The child calls ``process_staged`` with a ``StageTimer`` that samples its RSS
in a thread, and prints per stage: seconds, rows/s and the peak RSS seen during the stage.  The
floor is pyarrow writing the same final partitions once: every partition file the run wrote
(articles and quarantine) is read back (not timed) and written with ``pq.write_table`` (zstd)
into another directory (timed).  Goals: total <= 3x floor, peak RSS < 2 GB at 100k, cost per
row at 100k within 1.25x of 25k ("linear?"); PASS/MISS is printed, exit status 0 either way.
Last, one more run of ``--profile-rows`` (25,000) rows under py-spy prints where the time goes
by stage and the heaviest functions of each (also saved to ``bench/profiles/write_pyspy.txt``).

    .venv/bin/python bench/write.py [--rows 25000,100000] [--rss-limit-gb 10] [--no-save]
                                    [--profile-rows 25000]
"""

from __future__ import annotations

import argparse
import calendar
import json
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Report, bench_env, fmt_bytes, run_child

PER_SOURCE = 200
HISTORY_SOURCES = 500
HISTORY_DAYS = 30
DAY = date(2026, 11, 1)
WORDS_PER_BODY = 300
VOCABULARY = 5000
NEAR_COPY = 0.05
RECRAWL = 0.01
REFUSED = 0.005
GOAL_RATIO = 3.0
GOAL_RSS = 2 * 2**30
GOAL_LINEAR = 1.25
STAGES = ("read", "frame", "normalize", "validate", "dedupe", "stories", "merge", "quarantine")


def source_name(number: int) -> str:
    """Id of source ``number``."""
    return f"wr-{number:03d}"


def article_url(source: str, day: date, n: int) -> str:
    """URL of article ``n`` of ``source`` published on ``day``."""
    return f"https://{source}.example.pk/news/{day.isoformat()}/story-{n}"


@cache
def vocabulary() -> Any:
    """VOCABULARY generated words of 3-9 letters (the same on every call)."""
    import numpy as np

    rng = np.random.default_rng(3)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    return np.array(["".join(letters[rng.integers(0, 26, k)])
                     for k in rng.integers(3, 10, VOCABULARY)])


class Bodies:
    """Article bodies of about 300 words drawn from a generated vocabulary (seeded)."""

    def __init__(self, seed: int) -> None:
        import numpy as np

        self.rng = np.random.default_rng(seed)
        self.words = vocabulary()

    def body(self, head: str) -> str:
        """``head`` then paragraphs of sentences, about WORDS_PER_BODY words in all."""
        words = self.words[self.rng.integers(0, VOCABULARY, WORDS_PER_BODY)].tolist()
        sentences = [" ".join(words[i:i + 15]).capitalize() + "." for i in range(0, len(words), 15)]
        paragraphs = [" ".join(sentences[i:i + 4]) for i in range(0, len(sentences), 4)]
        return "\n\n".join([head, *paragraphs])


def staged_record(source: str, day: date, n: int, body: str | None, title: str) -> dict[str, Any]:
    """One staged JSONL record shaped like ``scrapers.records.build_record``'s."""
    minute = (n * 7) % 1440
    published = datetime(day.year, day.month, day.day, minute // 60, minute % 60)
    url = article_url(source, day, n)
    return {
        "url": url + "?utm_source=rss", "is_article": True, "canonical_url": url,
        "title": title, "lead": body.split(".")[0] + "." if body else None, "body": body,
        "authors": [f"Reporter {n % 97}"] if n % 5 else [], "byline_is_outlet": False,
        "byline_outlet": None, "published_at": published.isoformat() + "+05:00",
        "published_offset": "+05:00", "published_date": day.isoformat(),
        "published_precision": "minute", "modified_at": None, "language": "en",
        "section": ("National", "Business", "Sport", "World")[n % 4],
        "tags": ["news", f"tag{n % 13}"], "dateline": "LAHORE" if n % 3 == 0 else None,
        "image_url": f"https://{source}.example.pk/img/{n}.jpg", "paywalled": False,
        "provenance": {"body": "trafilatura", "published_at": "jsonld", "title": "jsonld"},
        "extractor_version": "2", "source": source, "country": "PK", "region": "South Asia",
        "crawled_at": f"{day.isoformat()}T23:30:00+00:00", "http_status": 200,
        "discovered_via": "sitemap", "raw_ref": f"warc/{source}/{day.isoformat()}.warc.gz#{n}",
    }


# -- generation (not timed) ------------------------------------------------------------------

def history_rows(day: date, sources: int, count: int, bodies: Bodies) -> Any:
    """Arrow rows (the lake's file schema) of ``count`` stored articles per source on ``day``."""
    import hashlib

    import pyarrow as pa

    from transforms.schema import ARTICLES_SCHEMA
    from transforms.urls import article_id_for

    keys = [(source_name(s), n) for s in range(sources) for n in range(count)]
    urls = [article_url(source, day, n) for source, n in keys]
    texts = [bodies.body(f"Story {n} of {source} on {day.isoformat()}.") for source, n in keys]
    stamp = (calendar.timegm(day.timetuple()) + 6 * 3600) * 1_000_000
    size = len(keys)
    columns: dict[str, Any] = {
        "article_id": [article_id_for(u) for u in urls], "url": urls, "canonical_url": urls,
        "title": [f"Story {n}" for _, n in keys], "body": texts,
        "authors": [["Reporter"]] * size, "published_at": [stamp] * size,
        "published_offset": ["+05:00"] * size, "published_precision": ["minute"] * size,
        "language": ["en"] * size, "section": ["National"] * size, "tags": [["news"]] * size,
        "word_count": [len(t.split()) for t in texts],
        "content_hash": [hashlib.sha256(t.encode()).hexdigest() for t in texts],
        "country": ["PK"] * size, "region": ["South Asia"] * size,
        "paywalled": [False] * size, "extractor_version": ["2"] * size,
        "provenance": [[("body", "trafilatura")]] * size, "crawled_at": [stamp] * size,
        "run_id": [f"history-{day.isoformat()}"] * size,
    }
    return pa.table({f.name: pa.array(columns.get(f.name, [None] * size), f.type)
                     for f in ARTICLES_SCHEMA}, schema=ARTICLES_SCHEMA)


def prepare_history(lake: Path, per_day: int) -> int:
    """Write HISTORY_DAYS days x HISTORY_SOURCES sources before DAY, build the key index."""
    from transforms.lake import ARTICLES, lake_location, partition_key, rebuild_index, write_atomic

    loc = lake_location(lake)
    days = [DAY - timedelta(days=back) for back in range(1, HISTORY_DAYS + 1)]

    def write(job: tuple[date, int, Any]) -> None:
        day, number, table = job
        key = partition_key(loc, ARTICLES.name, day, source_name(number))
        write_atomic(table, key, loc, ARTICLES.name)

    with ThreadPoolExecutor(max_workers=2) as pool:
        for day in days:
            table = history_rows(day, HISTORY_SOURCES, per_day, Bodies(day.toordinal()))
            list(pool.map(write, [(day, s, table.slice(s * per_day, per_day))
                                  for s in range(HISTORY_SOURCES)]))
    rebuild_index(lake)
    return len(days) * HISTORY_SOURCES


def prepare_day(staged: Path, rows: int, history_per_day: int) -> int:
    """Write the day's staged JSONL, one file per source; returns the number of lines."""
    import numpy as np

    sources = max(1, rows // PER_SOURCE)
    bodies = Bodies(11)
    rng = np.random.default_rng(5)
    staged.mkdir(parents=True, exist_ok=True)
    made: list[str] = []  # bodies made so far, for near-copies of another source's article
    lines = 0
    for number in range(sources):
        source = source_name(number)
        with open(staged / f"{source}.jsonl", "w", encoding="utf-8") as handle:
            for n in range(PER_SOURCE):
                roll = rng.random()
                head = f"Story {n} of {source} today."
                if roll < NEAR_COPY and len(made) > PER_SOURCE:
                    other = made[int(rng.integers(0, len(made) - PER_SOURCE))]
                    body = "\n\n".join([head, *other.split("\n\n")[1:]])
                else:
                    body = bodies.body(head)
                made.append(body)
                record = staged_record(source, DAY, n, body, f"Story {n} of {source}")
                if roll > 1 - RECRAWL:  # a stored article of yesterday, crawled again
                    yesterday = DAY - timedelta(days=1)
                    record.update(url=article_url(source, yesterday, n % history_per_day),
                                  canonical_url=article_url(source, yesterday,
                                                            n % history_per_day))
                elif roll > 1 - RECRAWL - REFUSED:
                    record["body"] = None
                handle.write(json.dumps(record) + "\n")
                lines += 1
            handle.write("{not json\n")
            lines += 1
    return lines


# -- the timed run (in a child) ----------------------------------------------------------------

def sampled_timer() -> Any:
    """A ``StageTimer`` that also records this process's peak RSS during each stage."""
    import psutil

    from transforms.stages import StageTimer

    class SampledTimer(StageTimer):
        """Peak RSS per stage, sampled every 20 ms in a thread."""

        def __init__(self) -> None:
            super().__init__()
            self.peaks: dict[str, int] = {}
            self.current: str | None = None
            self.process = psutil.Process()
            self.stop = threading.Event()
            self.thread = threading.Thread(target=self.sample, daemon=True)
            self.thread.start()

        def sample(self) -> None:
            while not self.stop.is_set():
                rss, name = self.process.memory_info().rss, self.current
                if name is not None:
                    self.peaks[name] = max(self.peaks.get(name, 0), rss)
                self.stop.wait(0.02)

        def enter(self, name: str) -> None:
            self.current = name
            rss = self.process.memory_info().rss
            self.peaks[name] = max(self.peaks.get(name, 0), rss)

        def leave(self, name: str) -> None:
            rss = self.process.memory_info().rss
            self.peaks[name] = max(self.peaks.get(name, 0), rss)
            self.current = None

    return SampledTimer()


def floor_seconds(lake: Path, summary: dict[str, Any], scratch: Path) -> tuple[float, int]:
    """Seconds pyarrow takes to write every partition file the run wrote, once; file count."""
    import pyarrow.parquet as pq

    total, files = 0.0, 0
    for table in ("articles", "quarantine"):
        for part in summary[table]["partitions"]:
            if not part["written"]:
                continue
            path = lake / table / f"date={part['date']}" / f"source={part['source']}"
            path = path / "part-0.parquet"
            if not path.exists():
                continue
            data = pq.read_table(path)
            target = scratch / f"{files}.parquet"
            start = time.perf_counter()
            pq.write_table(data, target, compression="zstd")
            total += time.perf_counter() - start
            files += 1
    return total, files


def run_day(lake: Path, staged: Path, floor_dir: Path) -> dict[str, Any]:
    """Time ``process_staged`` on the staged day and the floor; the figures as a dict."""
    import psutil

    from transforms.pipeline import process_staged

    paths = sorted(staged.glob("*.jsonl"))
    timer = sampled_timer()
    base_rss = psutil.Process().memory_info().rss
    start = time.perf_counter()
    summary = process_staged(paths, run_id="bench_write", root=lake, timer=timer)
    total = time.perf_counter() - start
    timer.stop.set()
    floor_dir.mkdir(parents=True, exist_ok=True)
    floor, files = floor_seconds(lake, summary.to_dict(), floor_dir)
    return {"total": total, "seconds": timer.seconds, "rows": timer.rows, "peaks": timer.peaks,
            "base_rss": base_rss, "floor": floor, "floor_files": files,
            "totals": summary.totals()}


# -- the profile ----------------------------------------------------------------------------

# Where a sampled stack belongs: the first of these files it passes through, outermost first.
_PROFILE_STAGES = (
    ("transforms/normalize.py", "normalize"),
    ("transforms/validate.py", "validate"),
    ("transforms/dedupe.py", "dedupe"),
    ("transforms/stories.py", "stories"),
    ("transforms/lake/", "merge + quarantine"),
    ("transforms/lakeindex.py", "merge + quarantine"),
    ("transforms/storage.py", "merge + quarantine"),
)


def profile_stage(frames: list[tuple[str, str]]) -> str:
    """The write stage of one sampled stack (outermost frame first)."""
    if not any(func == "process_staged" for func, _ in frames):
        return "outside process_staged (start-up, floor)"
    for func, path in frames:
        for marker, stage in _PROFILE_STAGES:
            if marker in path:
                return stage
        if func in ("read_staged", "_parse", "_lines"):
            return "read"
    return "pipeline glue (frames, concat, counts)"


def profile_lines(stacks: list[tuple[list[tuple[str, str]], float]], rows: int) -> list[str]:
    """Seconds per stage, and each stage's heaviest functions by their own time."""
    from collections import Counter

    from bench.crawlprofile import short_path

    stages: Counter[str] = Counter()
    own: dict[str, Counter[str]] = {}
    for frames, weight in stacks:
        stage = profile_stage(frames)
        stages[stage] += weight
        func, path = frames[-1] if frames else ("?", "")
        own.setdefault(stage, Counter())[f"{func} ({short_path(path)})"] += weight
    total = sum(stages.values()) or 1.0
    lines = []
    for stage, seconds in stages.most_common():
        lines.append(f"  {stage:42s} {seconds:6.2f} s {seconds / total:6.1%}  "
                     f"{seconds / rows * 1e6:6.0f} us/row")
        for func, weight in own[stage].most_common(4):
            lines.append(f"      {weight:6.2f} s  {func}")
    return lines


def profile_run(rows: int, history: Path, scratch: Path, args: argparse.Namespace,
                limit: int, out: Report) -> None:
    """One more ``--child run`` of ``rows`` rows under py-spy: where the write's time goes."""
    from bench.crawlprofile import profile_command

    day, lake = scratch / "staged-profile", scratch / "lake-profile"
    made, usage = child(["--history-rows", str(args.history_rows), "--child", "day", str(day),
                         str(rows)], limit)
    if made is None:
        out(f"profile: staging failed: {usage.stderr[-500:]}")
        return
    shutil.copytree(history, lake)
    raw = scratch / "write.pyspy"
    cmd = [sys.executable, __file__, "--child", "run", str(lake), str(day),
           str(scratch / "floor-profile")]
    profile, done = profile_command(cmd, raw, cwd=Path(__file__).resolve().parents[1],
                                    env=bench_env(), rate=100)
    if done.returncode != 0 or not profile.stacks:
        out(f"profile: the profiled run failed ({done.returncode}): {done.stderr[-500:]}")
        return
    lines = profile_lines(profile.stacks, rows)
    out(f"where the time goes ({profile.tool} over process_staged of {rows:,} rows, samples "
        "by the first transforms module on the stack; the heaviest functions by own time):")
    for line in lines:
        out(line)
    target = Path(__file__).resolve().parent / "profiles" / "write_pyspy.txt"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(f"process_staged of {rows:,} rows (bench/write.py --profile-rows {rows})\n"
                      f"tool: {profile.tool}\n\n" + "\n".join(lines) + "\n", encoding="utf-8")
    out(f"(profile saved to {target.relative_to(target.parents[2])})")


# -- the parent ------------------------------------------------------------------------------

def child(args: list[str], rss_limit: int | None) -> Any:
    """Run this script in a child with ``args``; (parsed JSON of its last line, usage)."""
    usage = run_child([sys.executable, __file__, *args], env=bench_env(), rss_limit=rss_limit)
    if usage.returncode != 0:
        return None, usage
    return json.loads(usage.stdout.strip().splitlines()[-1]), usage


def report_size(rows: int, result: dict[str, Any], usage: Any, out: Report) -> None:
    """Per-stage table of one size."""
    out(f"{rows:,} rows ({rows // PER_SOURCE} sources x {PER_SOURCE}):")
    out(f"  {'stage':<11} {'seconds':>8} {'rows':>8} {'rows/s':>9} {'peak RSS':>9}")
    for name in STAGES:
        seconds = result["seconds"].get(name, 0.0)
        n = result["rows"].get(name, 0)
        rate = f"{n / seconds:,.0f}" if seconds > 0 and n else "-"
        out(f"  {name:<11} {seconds:8.2f} {n:8,} {rate:>9} "
            f"{fmt_bytes(result['peaks'].get(name, 0)):>9}")
    total = result["total"]
    out(f"  {'total':<11} {total:8.2f} {rows:8,} {rows / total:9,.0f} "
        f"{fmt_bytes(usage.max_rss):>9} (child max RSS; {fmt_bytes(result['base_rss'])} "
        "before the run)")
    out(f"  floor: pyarrow writes the {result['floor_files']:,} partition files the run wrote "
        f"in {result['floor']:.2f} s; write = {total / result['floor']:.1f}x floor")
    totals = result["totals"]
    out("  counts: " + ", ".join(f"{k} {totals[k]:,}" for k in (
        "staged", "valid", "duplicates", "quarantined", "inserted", "updated")))


def main() -> None:
    """Parse arguments; run as the parent or as one of its children."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="25000,100000")
    parser.add_argument("--history-rows", type=int, default=4)
    parser.add_argument("--rss-limit-gb", type=float, default=10.0)
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument("--profile-rows", type=int, default=25000,
                        help="one more run of this many rows under py-spy (0: none)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, *rest = args.child
        if mode == "history":
            print(json.dumps({"files": prepare_history(Path(rest[0]), args.history_rows)}))
        elif mode == "day":
            print(json.dumps({"lines": prepare_day(Path(rest[0]), int(rest[1]),
                                                   args.history_rows)}))
        else:
            print(json.dumps(run_day(Path(rest[0]), Path(rest[1]), Path(rest[2]))))
        return
    sizes = [int(s) for s in args.rows.split(",")]
    limit = int(args.rss_limit_gb * 2**30)
    out = Report()
    out(f"process_staged on one staged day into a lake of {HISTORY_DAYS} days x "
        f"{HISTORY_SOURCES} sources x {args.history_rows} rows "
        f"({HISTORY_DAYS * HISTORY_SOURCES:,} partition files, "
        f"{HISTORY_DAYS * HISTORY_SOURCES * args.history_rows:,} rows); ~{WORDS_PER_BODY}-word "
        f"bodies, {NEAR_COPY:.0%} near-copies, {RECRAWL:.0%} re-crawls of stored rows, "
        f"{REFUSED:.1%} refused rows + 1 broken line per file")
    results: dict[int, dict[str, Any]] = {}
    peaks: dict[int, int] = {}
    with tempfile.TemporaryDirectory(prefix="bench-write-") as tmp:
        scratch = Path(tmp)
        history = scratch / "history"
        start = time.perf_counter()
        made, usage = child(["--history-rows", str(args.history_rows), "--child", "history",
                             str(history)], limit)
        if made is None:
            raise SystemExit(f"history generation failed: {usage.stderr[-2000:]}")
        out(f"(history generated in {time.perf_counter() - start:.0f} s, not timed)")
        for rows in sizes:
            day = scratch / f"staged-{rows}"
            made, usage = child(["--history-rows", str(args.history_rows), "--child", "day",
                                 str(day), str(rows)], limit)
            if made is None:
                raise SystemExit(f"staging failed: {usage.stderr[-2000:]}")
            lake = scratch / f"lake-{rows}"
            shutil.copytree(history, lake)
            result, usage = child(["--child", "run", str(lake), str(day),
                                   str(scratch / f"floor-{rows}")], limit)
            if result is None:
                why = ("killed at the RSS cap" if usage.returncode == -9
                       else f"failed ({usage.returncode}): {usage.stderr[-1500:]}")
                out(f"{rows:,} rows: {why} (cap {fmt_bytes(limit)}, after {usage.wall:.0f} s)")
            else:
                report_size(rows, result, usage, out)
                results[rows] = result
                peaks[rows] = usage.max_rss
            shutil.rmtree(lake, ignore_errors=True)
            shutil.rmtree(day, ignore_errors=True)
        if args.profile_rows:
            profile_run(args.profile_rows, history, scratch, args, limit, out)
    report_goals(sizes, results, peaks, out)
    if not args.no_save:
        out.save("Write path (process_staged)")


def report_goals(sizes: list[int], results: dict[int, dict[str, Any]], peaks: dict[int, int],
                 out: Report) -> None:
    """Goals vs figures, PASS/MISS each."""
    big, small = max(sizes), min(sizes)

    def verdict(ok: bool | None) -> str:
        return "n/a" if ok is None else ("PASS" if ok else "MISS")

    out("goals:")
    if big in results:
        ratio = results[big]["total"] / results[big]["floor"]
        out(f"  total <= {GOAL_RATIO:.0f}x floor at {big:,}: {ratio:.1f}x  "
            f"{verdict(ratio <= GOAL_RATIO)}")
        out(f"  peak RSS < {fmt_bytes(GOAL_RSS)} at {big:,}: {fmt_bytes(peaks[big])}  "
            f"{verdict(peaks[big] < GOAL_RSS)}")
    else:
        out(f"  total <= {GOAL_RATIO:.0f}x floor at {big:,}: no figure  MISS")
        out(f"  peak RSS < {fmt_bytes(GOAL_RSS)} at {big:,}: over the cap  MISS")
    if big in results and small in results and big != small:
        per_big = results[big]["total"] / big
        per_small = results[small]["total"] / small
        growth = per_big / per_small
        out(f"  linear? cost per row {per_small * 1e6:.0f} us at {small:,}, "
            f"{per_big * 1e6:.0f} us at {big:,}: {growth:.2f}x  "
            f"{verdict(growth <= GOAL_LINEAR)}")
    else:
        out("  linear? needs two sizes with figures  n/a")


if __name__ == "__main__":
    main()
