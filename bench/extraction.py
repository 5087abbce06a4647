"""Benchmark the extractor on a ground-truthed dataset and write predictions for the scorer.

Usage::

    .venv/bin/python bench/extraction.py DATASET --out PRED.jsonl [--compare-trafilatura]
    .venv/bin/python /work/shared/tools/score_extraction.py DATASET PRED.jsonl

``DATASET`` holds ``pages/<id>.html.gz`` and ``truth.jsonl`` (for the URLs).  With
``--compare-trafilatura`` trafilatura's ``bare_extraction`` runs alone on the same pages in the
same process and writes ``PRED.trafilatura.jsonl``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scrapers.extract import Extracted, extract


def load_pages(dataset: Path) -> list[tuple[str, str, bytes]]:
    """(id, url, raw bytes) for every page listed in truth.jsonl."""
    pages = []
    for line in (dataset / "truth.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            path = dataset / "pages" / f"{row['id']}.html.gz"
            if path.exists():
                pages.append((row["id"], row.get("url") or "", gzip.decompress(path.read_bytes())))
    return pages


def to_prediction(page_id: str, result: Extracted) -> dict[str, Any]:
    """The scorer's record: published with offset when known, else the printed day."""
    published = None
    if result.published_at is not None:
        published = result.published_at.isoformat()
    elif result.published_date is not None:
        published = result.published_date.isoformat()
    authors = result.authors or ([result.byline_outlet] if result.byline_outlet else [])
    return {"id": page_id, "title": result.title, "authors": authors, "published": published,
            "body": result.body}


def run_ours(pages: list[tuple[str, str, bytes]]) -> tuple[list[dict[str, Any]], float]:
    """Predictions from ``extract()`` and the elapsed seconds."""
    start = time.perf_counter()
    rows = [to_prediction(pid, extract(raw, url, None)) for pid, url, raw in pages]
    return rows, time.perf_counter() - start


def run_trafilatura(pages: list[tuple[str, str, bytes]]) -> tuple[list[dict[str, Any]], float]:
    """Predictions from trafilatura's bare_extraction alone, and the elapsed seconds."""
    import trafilatura

    start = time.perf_counter()
    rows = []
    for pid, url, raw in pages:
        doc = trafilatura.bare_extraction(raw, url=url, with_metadata=True)
        author = getattr(doc, "author", None) if doc else None
        rows.append({
            "id": pid,
            "title": getattr(doc, "title", None) if doc else None,
            "authors": [a.strip() for a in author.split(";")] if author else [],
            "published": getattr(doc, "date", None) if doc else None,
            "body": getattr(doc, "text", None) if doc else None,
        })
    return rows, time.perf_counter() - start


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    """One JSON object a line."""
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print pages/second."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--compare-trafilatura", action="store_true")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes; the fastest counts")
    args = parser.parse_args(argv)
    pages = load_pages(args.dataset)
    if not pages:
        print(f"no pages under {args.dataset}", file=sys.stderr)
        return 1
    extract(pages[0][2], pages[0][1], None)  # warm imports and caches outside the timing
    # The two run in turns, ``--repeats`` passes each, and each keeps its fastest pass: on a
    # shared machine the minimum is the figure least disturbed by other processes.
    rows, seconds = run_ours(pages)
    traf_rows, traf_seconds = run_trafilatura(pages) if args.compare_trafilatura else ([], 0.0)
    for _ in range(args.repeats - 1):
        seconds = min(seconds, run_ours(pages)[1])
        if args.compare_trafilatura:
            traf_seconds = min(traf_seconds, run_trafilatura(pages)[1])
    write_jsonl(args.out, rows)
    passes = f"fastest of {args.repeats} passes" if args.repeats > 1 else "one pass"
    print(f"newsflow     {len(pages)} pages in {seconds:.2f} s = {len(pages) / seconds:.1f} pages/s"
          f" ({passes}) -> {args.out}")
    if args.compare_trafilatura:
        traf_out = args.out.with_suffix(".trafilatura.jsonl")
        write_jsonl(traf_out, traf_rows)
        print(f"trafilatura  {len(pages)} pages in {traf_seconds:.2f} s = "
              f"{len(pages) / traf_seconds:.1f} pages/s ({passes}) -> {traf_out}")
        print(f"speed ratio  {seconds / traf_seconds:.2f}x trafilatura's time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
