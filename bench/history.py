"""History benchmark: does one day's lake write get slower as the lake's history grows?

For each history length (default 30, 180 and 365 days) a fresh lake is filled with that many
days of 28 sources (``--sources``) x 60 rows, one ``part-0.parquet`` per (day, source), written
directly with the lake's own atomic writer (``transforms.lake.write_atomic``), not by a merge.
Then new days are merged one at a time with ``transforms.lake.merge_articles``, the function the
DAG's ``write`` task calls (``transforms.pipeline.process_staged``).  Each new day holds, per
source, 60 new articles, 5 of the previous day seen again unchanged and 2 articles of the
OLDEST history day whose date changed (they must leave their old partition).

The first merge of a lake that was built by hand is reported on its own (``first``): it may
have to build whatever the writer keeps beside the partitions.  The next ``--repeat`` merges
are timed (``merge``, their median).  Reads are counted at the ``LakeLocation`` boundary by
wrapping its methods for the run (the production code runs unchanged): ``reads`` is files or
objects opened for reading (``open_input`` + ``open_stream``; on S3 each open is at least one
GET), ``lists`` directory listings, ``heads`` existence checks, ``read KB`` the bytes readers
took through those opens and ``put KB`` the bytes published (uploads, or finished local files),
both the mean over the timed merges.  The key index compacts a source's delta into its base
only every so many merges (``transforms.lakeindex``): one more merge is run with compaction
forced (``compact s`` and its ``put KB``), so the occasional cost is shown too.  After the
merges the lake is read back: every moved article must sit in its new partition only, and no
``article_id`` may be stored twice.

The same runs on moto's S3 server (a ``moto_server`` child on 127.0.0.1), the lake at
``s3://newsflow-bench/history-<days>``, with 4 sources rather than 28 (``--s3-sources``): moto
answers some 50 reads a second, and the cost per object is what the S3 table shows.

Goal: a merge with 365 days of history costs at most 1.5x one with 30 days, local and on S3;
PASS/MISS is printed, the exit status is 0 either way.

    .venv/bin/python bench/history.py [--days 30 180 365] [--repeat 2]
                                         [--no-s3 | --no-local] [--no-save]
"""

from __future__ import annotations

import argparse
import calendar
import contextlib
import hashlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import PROJECT_ROOT, Report

SOURCES = 28
S3_SOURCES = 4
ROWS_PER_DAY = 60
SEEN_AGAIN = 5
MOVED = 2
GOAL_RATIO = 1.5
FIRST_NEW_DAY = date(2026, 1, 1)
BUCKET = "newsflow-bench"
COUNTED = {"open_input": "reads", "open_stream": "reads", "list_files": "lists",
           "exists": "heads"}


def source_name(number: int) -> str:
    """Id of source ``number``."""
    return f"hist-{number:02d}"


def article_id(source: str, day: date, n: int) -> str:
    """Stable id of article ``n`` first published by ``source`` on ``day``."""
    return hashlib.sha256(f"{source}/{day.isoformat()}/{n}".encode()).hexdigest()[:32]


def article_rows(source: str, day: date, numbers: range | list[int],
                 published: date | None = None, version: int = 0) -> Any:
    """Arrow rows (the lake's file schema) of articles ``numbers`` of ``source`` from ``day``.

    ``published`` moves them to another date (their id stays the one of ``day``).
    """
    import pyarrow as pa

    from transforms.schema import ARTICLES_SCHEMA

    when = published or day
    numbers = list(numbers)
    n = len(numbers)
    urls = [f"https://{source}.example.pk/{day.isoformat()}/story-{i}" for i in numbers]
    bodies = [f"Story {i} of {source} on {day.isoformat()}, version {version}. " * 12
              for i in numbers]
    base = calendar.timegm(when.timetuple()) * 1_000_000
    stamps = [base + (i % 1440) * 60_000_000 for i in numbers]
    columns: dict[str, Any] = {
        "article_id": [article_id(source, day, i) for i in numbers],
        "url": urls, "canonical_url": urls,
        "title": [f"Story {i} ({version})" for i in numbers], "lead": [None] * n,
        "body": bodies, "authors": [["Reporter"]] * n, "published_at": stamps,
        "published_offset": ["+05:00"] * n,
        "published_precision": ["minute"] * n, "modified_at": [None] * n, "language": ["en"] * n,
        "section": ["National"] * n, "tags": [["news"]] * n, "dateline": [None] * n,
        "image_url": [None] * n, "word_count": [len(b.split()) for b in bodies],
        "content_hash": [hashlib.sha256(b.encode()).hexdigest() for b in bodies],
        "country": ["PK"] * n, "region": ["South Asia"] * n, "paywalled": [False] * n,
        "extractor_version": ["1"] * n, "provenance": [[("body", "bench")]] * n,
        "crawled_at": stamps, "run_id": [f"bench-{when.isoformat()}"] * n,
        "story_id": [None] * n, "raw_ref": [None] * n,
        "alternate_urls": [None] * n,
    }
    return pa.table({f.name: pa.array(columns[f.name], f.type) for f in ARTICLES_SCHEMA},
                    schema=ARTICLES_SCHEMA)


def build_history(root: Any, days: int, sources: int, workers: int) -> int:
    """Write ``days`` days before FIRST_NEW_DAY directly with the lake's writer; file count."""
    from transforms.lake import ARTICLES, lake_location, partition_key, write_atomic

    loc = lake_location(root)
    jobs = [(FIRST_NEW_DAY - timedelta(days=back), source_name(s))
            for back in range(1, days + 1) for s in range(sources)]

    def write(job: tuple[date, str]) -> None:
        """One partition file."""
        day, source = job
        table = article_rows(source, day, range(ROWS_PER_DAY))
        write_atomic(table, partition_key(loc, ARTICLES.name, day, source), loc, ARTICLES.name)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(write, jobs))
    return len(jobs)


def new_day_batch(step: int, history_days: int, sources: int) -> Any:
    """Merge batch of new day ``step`` (DataFrame: article columns + ``date``)."""
    import pyarrow as pa

    day = FIRST_NEW_DAY + timedelta(days=step)
    oldest = FIRST_NEW_DAY - timedelta(days=history_days)
    pieces = []
    for s in range(sources):
        source = source_name(s)
        moved = range(MOVED * step, MOVED * (step + 1))
        rows = pa.concat_tables([
            article_rows(source, day, range(ROWS_PER_DAY)),
            article_rows(source, day - timedelta(days=1), range(SEEN_AGAIN)),
            article_rows(source, oldest, moved, published=day, version=1)])
        pieces.append(rows.append_column("source", pa.repeat(source, rows.num_rows)))
    frame = pa.concat_tables(pieces).to_pandas()
    frame["date"] = frame["published_at"].dt.date
    return frame


class CountingReader:
    """A file-like view of an Arrow input file that counts the bytes read through it."""

    def __init__(self, inner: Any, counts: Counter[str]) -> None:
        self.inner = inner
        self.counts = counts

    def read(self, size: int | None = -1) -> bytes:
        """Read and count."""
        data = self.inner.read() if size is None or size < 0 else self.inner.read(size)
        self.counts["read bytes"] += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        """Seek the inner file."""
        return self.inner.seek(offset, whence)

    def tell(self) -> int:
        """Position in the inner file."""
        return self.inner.tell()

    def close(self) -> None:
        """Close the inner file."""
        self.inner.close()

    @property
    def closed(self) -> bool:
        """Whether the inner file is closed."""
        return bool(self.inner.closed)

    def readable(self) -> bool:
        """An input file."""
        return True

    def seekable(self) -> bool:
        """Seekable when the inner file is."""
        return bool(self.inner.seekable())

    def writable(self) -> bool:
        """Never."""
        return False

    def __enter__(self) -> CountingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def counting() -> Iterator[Counter[str]]:
    """Count LakeLocation's reads, lists, existence checks and bytes moved while inside.

    ``read bytes`` are the bytes a reader asked for through ``open_input``/``open_stream``
    (on S3 what the GETs fetched), ``written bytes`` the bytes published by ``_put`` (one
    object upload) or ``publish`` (a finished local file).
    """
    import pyarrow as pa

    from transforms.storage import LakeLocation

    counts: Counter[str] = Counter()
    originals = {name: getattr(LakeLocation, name) for name in (*COUNTED, "_put", "publish")}

    def wrap(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        """``original`` with a counter in front."""
        def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
            counts[COUNTED[name]] += 1
            found = original(self, *args, **kwargs)
            if name == "open_input":  # Parquet readers seek: an Arrow file around the counter
                return pa.PythonFile(CountingReader(found, counts), mode="r")
            if name == "open_stream":
                return CountingReader(found, counts)
            return found
        return counted

    def put(self: Any, path: str, data: Any) -> None:
        """``_put`` counting the uploaded bytes."""
        counts["written bytes"] += len(data)
        originals["_put"](self, path, data)

    def publish(self: Any, local_file: Path, path: str) -> None:
        """``publish`` counting the published file's bytes."""
        counts["written bytes"] += os.path.getsize(local_file)
        originals["publish"](self, local_file, path)

    for name in COUNTED:
        setattr(LakeLocation, name, wrap(name, originals[name]))
    LakeLocation._put = put  # type: ignore[method-assign]
    LakeLocation.publish = publish  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        for name, original in originals.items():
            setattr(LakeLocation, name, original)


def merge_day(root: Any, step: int, history_days: int, sources: int) -> dict[str, Any]:
    """Merge new day ``step`` with the DAG's merge function; time and count it."""
    from transforms.lake import merge_articles

    frame = new_day_batch(step, history_days, sources)
    with counting() as counts:
        start = time.perf_counter()
        result = merge_articles(frame, root)
        wall = time.perf_counter() - start
    expected_removed = sources * MOVED
    if result.removed != expected_removed:
        raise SystemExit(f"merge of day {step}: {result.removed} rows left their old partition, "
                         f"expected {expected_removed}")
    return {"wall": wall, **counts, "written": result.files_written}


def check_lake(root: Any, history_days: int, steps: int, sources: int) -> int:
    """Read the lake back: moved articles in their new partition only, no id twice; rows."""
    import pyarrow.compute as pc

    from transforms.lake import ARTICLES, read_arrow

    table, _ = read_arrow(ARTICLES, root, columns=["article_id", "date", "source"])
    ids = table.column("article_id")
    if len(pc.unique(ids)) != table.num_rows:
        raise SystemExit("the lake stores an article_id twice")
    oldest = FIRST_NEW_DAY - timedelta(days=history_days)
    placed = dict(zip(ids.to_pylist(), table.column("date").to_pylist(), strict=True))
    for step in range(steps):
        for s in range(sources):
            for n in range(MOVED * step, MOVED * (step + 1)):
                where = placed.get(article_id(source_name(s), oldest, n))
                if where != FIRST_NEW_DAY + timedelta(days=step):
                    raise SystemExit(f"moved article {s}/{n} of step {step} is at {where}")
    expected = sources * (ROWS_PER_DAY * (history_days + steps))
    if table.num_rows != expected:
        raise SystemExit(f"the lake holds {table.num_rows} rows, expected {expected}")
    return table.num_rows


def run_size(root: Any, days: int, sources: int, repeat: int, workers: int) -> dict[str, Any]:
    """Build one history, merge 1 + ``repeat`` new days, check the lake; the figures."""
    t0 = time.perf_counter()
    files = build_history(root, days, sources, workers)
    build = time.perf_counter() - t0
    first = merge_day(root, 0, days, sources)
    timed = [merge_day(root, step, days, sources) for step in range(1, repeat + 1)]
    with compacting():
        compact = merge_day(root, repeat + 1, days, sources)
    rows = check_lake(root, days, repeat + 2, sources)
    return {"days": days, "files": files, "build": build, "first": first, "timed": timed,
            "compact": compact, "rows": rows,
            "merge": statistics.median(t["wall"] for t in timed)}


@contextlib.contextmanager
def compacting() -> Iterator[None]:
    """Make every merge inside compact the key index of the sources it changes."""
    from transforms import lakeindex

    saved = lakeindex.DELTA_MIN_ROWS, lakeindex.DELTA_FRACTION
    lakeindex.DELTA_MIN_ROWS, lakeindex.DELTA_FRACTION = 0, 0.0
    try:
        yield
    finally:
        lakeindex.DELTA_MIN_ROWS, lakeindex.DELTA_FRACTION = saved


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def moto_server(scratch: Path) -> Iterator[str]:
    """A ``moto_server`` child on 127.0.0.1 with the bench bucket; yields its endpoint."""
    import boto3

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    binary = Path(sys.executable).with_name("moto_server")
    log = open(scratch / "moto.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(binary), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    saved = dict(os.environ)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"moto_server did not start (see {scratch / 'moto.log'})")
            time.sleep(0.1)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "NEWSFLOW_S3_ENDPOINT",
                     "AWS_ENDPOINT_URL_S3", "NEWSFLOW_S3_REGION"):
            os.environ.pop(name, None)
        os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                           "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
                           "AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": endpoint,
                           "NEWSFLOW_SCRATCH": str(scratch / "scratch")})
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(
            Bucket=BUCKET)
        yield endpoint
    finally:
        os.environ.clear()
        os.environ.update(saved)
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def report_table(title: str, results: list[dict[str, Any]], out: Report) -> None:
    """Print one table (one row per history length) and the 365-vs-30 verdict."""
    out(title)
    out(f"{'history':>8} {'files':>6} {'build s':>8} {'first s':>8} {'first reads':>11} "
        f"{'merge s':>8} {'reads':>6} {'lists':>6} {'heads':>6} {'read KB':>8} "
        f"{'put KB':>7} {'written':>7} {'compact s':>9} {'put KB':>7}")
    for r in results:
        t = r["timed"][-1]
        read_kb = statistics.mean(m.get("read bytes", 0) for m in r["timed"]) / 1024
        put_kb = statistics.mean(m.get("written bytes", 0) for m in r["timed"]) / 1024
        out(f"{r['days']:>5} d {r['files']:>6} {r['build']:>8.1f} {r['first']['wall']:>8.2f} "
            f"{r['first'].get('reads', 0):>11} {r['merge']:>8.2f} {t.get('reads', 0):>6} "
            f"{t.get('lists', 0):>6} {t.get('heads', 0):>6} {read_kb:>8.1f} {put_kb:>7.1f} "
            f"{t['written']:>7} {r['compact']['wall']:>9.2f} "
            f"{r['compact'].get('written bytes', 0) / 1024:>7.1f}")
    by_days = {r["days"]: r for r in results}
    low, high = min(by_days), max(by_days)
    if low != high:
        ratio = by_days[high]["merge"] / by_days[low]["merge"]
        verdict = "PASS" if ratio <= GOAL_RATIO else "MISS"
        out(f"{verdict}: merge with {high} days of history costs {ratio:.2f}x the one with "
            f"{low} days (goal <= {GOAL_RATIO}x)")
    out()


def revision() -> str:
    """Short git revision of the project (``+dirty`` when lake.py has local changes)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True,
                              text=True).stdout.strip()
    dirty = git("status", "--porcelain", "--", "transforms")
    return git("rev-parse", "--short", "HEAD") + ("+dirty" if dirty else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, nargs="+", default=[30, 180, 365])
    parser.add_argument("--repeat", type=int, default=2, help="timed merges per history")
    parser.add_argument("--sources", type=int, default=SOURCES, help="sources, local lake")
    parser.add_argument("--s3-sources", type=int, default=S3_SOURCES,
                        help="sources on S3 (moto answers ~50 reads/s: fewer keep it short)")
    parser.add_argument("--no-s3", action="store_true", help="local lake only")
    parser.add_argument("--no-local", action="store_true", help="S3 lake only")
    parser.add_argument("--no-save", action="store_true", help="do not append to results.md")
    args = parser.parse_args()
    out = Report()
    out(f"lake write vs history at {revision()}: {ROWS_PER_DAY} rows/day per source; each new "
        f"day: {ROWS_PER_DAY} new + {SEEN_AGAIN} seen again + {MOVED} moved from the oldest "
        f"day, per source; merge = median of {args.repeat}")
    with tempfile.TemporaryDirectory(prefix="newsflow-history-") as tmp:
        work = Path(tmp)
        if not args.no_local:
            local = [run_size(work / f"lake-{days}", days, args.sources, args.repeat,
                              workers=2) for days in sorted(args.days)]
            report_table(f"local lake, {args.sources} sources", local, out)
        if not args.no_s3:
            with moto_server(work) as endpoint:
                remote = [run_size(f"s3://{BUCKET}/history-{days}", days, args.s3_sources,
                                   args.repeat, workers=8) for days in sorted(args.days)]
            report_table(f"S3 lake (moto_server at {endpoint}), {args.s3_sources} sources",
                         remote, out)
    if not args.no_save:
        out.save("History: one day's merge vs days of history (bench/history.py)")


if __name__ == "__main__":
    main()
