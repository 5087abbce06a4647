"""Cost of the cross-run duplicate check (``transforms.dedupe.fold_into_stored``) as history grows.

For each history length (default 30 and 365 days) a fresh local lake is filled with that many
days of ``--sources`` sources x 60 rows, one ``part-0.parquet`` per (day, source), written with
the lake's own atomic writer.  Then one new day's batch per source is checked against the lake:
60 new articles, 3 of them a body stored two days before under a new URL.  Printed: the median
wall time of ``fold_into_stored`` over ``--repeat`` calls, the partition files it reads (the
look-back window of the batch's sources: ``2 * NEWSFLOW_STORY_LOOKBACK_DAYS + 1`` days, plus
the partitions of the matched rows), the compressed bytes of the columns read, and for scale the
time of ``transforms.stories.add_story_ids`` on the same batch (it reads the window's bodies).

Goal: the check with 365 days of history costs at most 1.5x the one with 30 days.

    .venv/bin/python bench/alternates.py [--days 30 365] [--sources 8] [--repeat 3] [--no-save]
"""

from __future__ import annotations

import argparse
import calendar
import hashlib
import random
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Report, median, timed

ROWS_PER_DAY = 60
REPUBLISHED = 3
GOAL_RATIO = 1.5
NEW_DAY = date(2026, 11, 20)


def source_name(number: int) -> str:
    return f"alt-{number:02d}"


VOCABULARY = [f"w{n:04d}" for n in range(5000)]


def body_of(source: str, day: date, n: int) -> str:
    """A body of 120 words drawn for this article (distinct articles share few shingles)."""
    rng = random.Random(f"{source}/{day.isoformat()}/{n}")
    return " ".join(rng.choices(VOCABULARY, k=120))


def article_rows(source: str, day: date, numbers: range) -> Any:
    """Arrow rows (the lake's file schema) of articles ``numbers`` of ``source`` on ``day``."""
    import pyarrow as pa

    from transforms.schema import ARTICLES_SCHEMA

    n = len(numbers)
    urls = [f"https://{source}.example.pk/{day.isoformat()}/story-{i}" for i in numbers]
    bodies = [body_of(source, day, i) for i in numbers]
    base = calendar.timegm(day.timetuple()) * 1_000_000
    stamps = [base + i * 60_000_000 for i in numbers]
    columns: dict[str, Any] = {
        "article_id": [hashlib.sha256(u.encode()).hexdigest()[:32] for u in urls],
        "source": [source] * n, "url": urls, "canonical_url": urls,
        "title": [f"Story {i}" for i in numbers], "lead": [None] * n, "body": bodies,
        "authors": [["Reporter"]] * n, "published_at": stamps,
        "published_offset": ["+05:00"] * n, "published_precision": ["minute"] * n,
        "modified_at": [None] * n, "language": ["en"] * n, "section": ["National"] * n,
        "tags": [["news"]] * n, "dateline": [None] * n, "image_url": [None] * n,
        "word_count": [len(b.split()) for b in bodies],
        "content_hash": [hashlib.sha256(b.encode()).hexdigest() for b in bodies],
        "country": ["PK"] * n, "region": ["South Asia"] * n, "paywalled": [False] * n,
        "extractor_version": ["2"] * n, "provenance": [[("body", "bench")]] * n,
        "crawled_at": stamps, "run_id": [f"bench-{day.isoformat()}"] * n,
        "story_id": [None] * n, "raw_ref": [None] * n, "alternate_urls": [None] * n,
    }
    return pa.table({f.name: pa.array(columns[f.name], f.type) for f in ARTICLES_SCHEMA},
                    schema=ARTICLES_SCHEMA)


def build_history(root: Path, days: int, sources: int) -> int:
    """``days`` days before NEW_DAY written directly with the lake's writer; file count."""
    from transforms.lake import ARTICLES, lake_location, partition_key, write_atomic

    loc = lake_location(root)
    jobs = [(NEW_DAY - timedelta(days=back), source_name(s))
            for back in range(1, days + 1) for s in range(sources)]

    def write(job: tuple[date, str]) -> None:
        day, source = job
        write_atomic(article_rows(source, day, range(ROWS_PER_DAY)),
                     partition_key(loc, ARTICLES.name, day, source), loc, ARTICLES.name)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, jobs))
    return len(jobs)


def new_batch(sources: int) -> Any:
    """The new day's rows as ``dedupe_articles`` returns them (article columns + ``date``)."""
    import pandas as pd

    frames = []
    for s in range(sources):
        source = source_name(s)
        table = article_rows(source, NEW_DAY, range(ROWS_PER_DAY)).to_pandas()
        old = NEW_DAY - timedelta(days=2)
        for i in range(REPUBLISHED):  # a stored body under a new URL
            table.loc[i, "body"] = body_of(source, old, i)
            table.loc[i, "content_hash"] = hashlib.sha256(table.loc[i, "body"].encode()).hexdigest()
        frames.append(table.assign(date=NEW_DAY, source=source))
    return pd.concat(frames, ignore_index=True)


def window_read(root: Path, batch: Any) -> tuple[int, int]:
    """Partition files and compressed bytes of the columns the check reads in its window."""
    import pyarrow.parquet as pq

    from transforms.dedupe import MATCH_COLUMNS
    from transforms.lake import partition_files
    from transforms.stories import lookback_dates, lookback_days

    files = partition_files(root, "articles", lookback_dates({NEW_DAY}, lookback_days()),
                            sorted(set(batch["source"])))
    size = 0
    for path in files:
        meta = pq.read_metadata(path)
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            for c in range(group.num_columns):
                column = group.column(c)
                if column.path_in_schema in MATCH_COLUMNS:
                    size += column.total_compressed_size
    return len(files), size


def measure(days: int, sources: int, repeat: int) -> dict[str, Any]:
    """Build one lake and time the check on it."""
    from transforms.dedupe import fold_into_stored
    from transforms.stories import add_story_ids

    with tempfile.TemporaryDirectory(prefix=f"alternates-{days}-") as tmp:
        root = Path(tmp) / "lake"
        stored = build_history(root, days, sources)
        batch = new_batch(sources)
        times, folded = [], {}
        for _ in range(repeat):
            elapsed, (_rows, folded) = timed(lambda: fold_into_stored(batch, root))
            times.append(elapsed)
        files, size = window_read(root, batch)
        story_s, _ = timed(lambda: add_story_ids(batch, root))
    return {"days": days, "stored": stored, "check_s": median(times), "files": files,
            "bytes": size, "folded": sum(folded.values()), "story_s": story_s}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, nargs="+", default=[30, 365])
    parser.add_argument("--sources", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)
    report = Report()
    report(f"fold_into_stored, {args.sources} sources x {ROWS_PER_DAY} rows/day, "
           f"{REPUBLISHED} republished bodies per source in the new day")
    report("| history days | stored files | check s (median) | window files read | "
           "columns read | folded | add_story_ids s |")
    report("|---|---|---|---|---|---|---|")
    results = [measure(d, args.sources, args.repeat) for d in args.days]
    for r in results:
        report(f"| {r['days']} | {r['stored']} | {r['check_s']:.3f} | {r['files']} | "
               f"{r['bytes'] / 1024:.0f} KB | {r['folded']} | {r['story_s']:.3f} |")
    ratio = results[-1]["check_s"] / results[0]["check_s"]
    verdict = "PASS" if ratio <= GOAL_RATIO else "MISS"
    report(f"{args.days[-1]}d/{args.days[0]}d check time: {ratio:.2f}x (goal <= {GOAL_RATIO}x) "
           f"{verdict}")
    if not args.no_save:
        report.save("Cross-run duplicate check (bench/alternates.py)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
