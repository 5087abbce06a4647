"""CC-NEWS harvest speed: one generated ~1 GB WARC, harvested against warcio's own floor.

    .venv/bin/python bench/ccnews.py [--size-mb 1024] [--registry-share 0.02] [--no-save]

Generates a CC-NEWS-shaped WARC (request + response per page, one gzip member per record) in a
temp dir: ``--registry-share`` of the responses are the demo outlets' pages (articles of
2026-11-18..24, listings; under the demo registry's host), the rest pages of other hosts, as
in the real archive where a registry's outlets are a small part of each file.  Then, each in
its own process (CPU and peak RSS by ``wait4``):

* floor: warcio's ``ArchiveIterator`` over the file, reading each record's headers only;
* harvest: ``scrapers.ccnews.harvest.harvest_warc`` of day 2026-11-20 over the same file.

Prints MB/s, CPU per record and peak RSS of both; goals: harvest >= 50% of the floor's MB/s,
RSS < 500 MB.  The file is deleted afterwards.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import PROJECT_ROOT, Report, bench_env, fmt_bytes, run_child

DEMO_BASE = "http://127.0.0.1:8089"
DEMO_REGISTRY = PROJECT_ROOT / "data" / "demo_sites" / "sources.yaml"
WARC_NAME = "crawl-data/CC-NEWS/2026/11/CC-NEWS-20261120000000-00000.warc.gz"
DAY = "2026-11-20"
GOAL_SHARE = 0.5
GOAL_RSS = 500 << 20



def vocabulary(rng: random.Random, size: int = 4000) -> list[str]:
    """Made-up words of 2-11 letters: page text that compresses about as real pages do."""
    letters = "etaoinshrdlcumwfgypbvkjxqz"
    weights = [26 - i for i in range(26)]
    return ["".join(rng.choices(letters, weights, k=rng.randint(2, 11))) for _ in range(size)]


def other_page(rng: random.Random, words: list[str], number: int) -> bytes:
    """A news-like page of some other site, 60-150 KB: chrome, scripts, headline and text."""
    text = " ".join(rng.choices(words, k=rng.randint(800, 2000)))
    nav = "".join(f'<li class="menu-item"><a href="/section/{w}/">{w}</a></li>'
                  for w in rng.choices(words, k=150))
    script = "var cfg = {" + ",".join(f'"{w}": {rng.randint(0, 10**6)}'
                                       for w in rng.choices(words, k=900)) + "};"
    return (f"<!doctype html><html><head><title>Story {number}</title>"
            f'<meta property="og:type" content="article"><script>{script}</script></head>'
            f"<body><nav><ul>{nav}</ul></nav><article><h1>Story {number}</h1><p>{text}</p>"
            f"</article><footer>{nav}</footer></body></html>").encode()


def demo_pages() -> list[tuple[str, bytes]]:
    """(URL, body) of the demo outlets' HTML pages, ``{{BASE}}`` filled in."""
    www = PROJECT_ROOT / "data" / "demo_sites" / "www"
    pages = []
    for path in sorted(www.rglob("*.html")):
        rel = "/" + path.relative_to(www).as_posix()
        url = DEMO_BASE + (rel[: -len("index.html")] if rel.endswith("/index.html") else rel)
        pages.append((url, path.read_bytes().replace(b"{{BASE}}", DEMO_BASE.encode())))
    return pages


def generate(target: Path, size: int, share: float, seed: int = 17) -> dict[str, int]:
    """Write a CC-NEWS-shaped WARC of about ``size`` compressed bytes; what it holds."""
    from warcio.statusandheaders import StatusAndHeaders

    from scrapers.warc import _LeveledWARCWriter

    rng = random.Random(seed)
    words = vocabulary(rng)
    others = [other_page(rng, words, n) for n in range(300)]
    demo = demo_pages()
    counts = {"responses": 0, "registry_responses": 0}
    start = datetime(2026, 11, 20, tzinfo=UTC)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as handle:
        writer = _LeveledWARCWriter(handle, level=1)  # fast to make; reading speed is the same
        writer.write_record(writer.create_warcinfo_record(target.name, {"isPartOf": "CC-NEWS"}))
        while handle.tell() < size:
            number = counts["responses"]
            if rng.random() < share:
                url, body = demo[number % len(demo)]
                counts["registry_responses"] += 1
            else:
                url = f"https://site{number % 5000}.example.com/2026/11/20/story-{number}.html"
                body = others[number % len(others)]
            moment = start + timedelta(seconds=number)
            stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                               ("Content-Length", str(len(body)))],
                                    protocol="HTTP/1.1")
            host = url.split("/")[2]
            request = writer.create_warc_record(
                url, "request", warc_headers_dict={"WARC-Date": stamp},
                http_headers=StatusAndHeaders("GET / HTTP/1.1", [("Host", host)],
                                              is_http_request=True))
            response = writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                 length=len(body), http_headers=http,
                                                 warc_headers_dict={"WARC-Date": stamp})
            writer.write_record(request)
            writer.write_record(response)
            counts["responses"] += 1
    counts["bytes"] = target.stat().st_size
    return counts


def measure_floor(root: Path) -> dict[str, int]:
    """warcio iterating the file: every record's headers parsed, bodies skipped (child)."""
    from warcio.archiveiterator import ArchiveIterator

    from scrapers.ccnews.archive import ArchiveStore

    records = 0
    with ArchiveStore.parse(str(root)).open_stream(WARC_NAME) as stream:
        for record in ArchiveIterator(stream):
            records += 1
            record.rec_headers.get_header("WARC-Target-URI")
    return {"records": records}


def measure_harvest(root: Path, out: Path) -> dict[str, int]:
    """``harvest_warc`` of DAY over the file (child)."""
    from scrapers.ccnews.archive import ArchiveStore
    from scrapers.ccnews.harvest import harvest_warc
    from scrapers.sources import load_registry

    start = datetime.fromisoformat(f"{DAY}T00:00:00+00:00")
    result = harvest_warc(ArchiveStore.parse(str(root)), WARC_NAME,
                          load_registry(DEMO_REGISTRY).sources, start, start + timedelta(days=1),
                          out)
    kept = sum(c.get("kept", 0) for c in result.sources.values())
    fetched = sum(c.get("fetched", 0) for c in result.sources.values())
    return {"records": result.records, "bytes_streamed": result.bytes_streamed, "kept": kept,
            "extracted": fetched}


def child(mode: str, root: Path) -> None:
    """Run one measurement and print its counts as JSON."""
    # bench/incremental.py would shadow the `incremental` package Twisted (via scrapy) imports
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]
    if mode == "floor":
        print(json.dumps(measure_floor(root)))
    else:
        with tempfile.TemporaryDirectory() as out:
            print(json.dumps(measure_harvest(root, Path(out))))


def run(mode: str, root: Path) -> tuple[dict[str, int], float, float, int]:
    """(counts, wall, cpu, peak RSS) of one measurement in a child process."""
    env = {**bench_env(), "NEWSFLOW_DEMO_BASE": DEMO_BASE}
    usage = run_child([sys.executable, __file__, "--child", mode, str(root)], env=env,
                      cwd=PROJECT_ROOT, rss_limit=4 << 30, timeout=3600)
    if usage.returncode != 0:
        raise SystemExit(f"{mode} failed ({usage.returncode}): {usage.stderr[-3000:]}")
    return json.loads(usage.stdout.strip().splitlines()[-1]), usage.wall, usage.cpu, usage.max_rss


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=1024, help="WARC size (compressed)")
    parser.add_argument("--registry-share", type=float, default=0.02,
                        help="share of responses that are the registry outlets' pages")
    parser.add_argument("--no-save", action="store_true", help="do not append to results.md")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "ROOT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return 0
    report = Report()
    root = Path(tempfile.mkdtemp(prefix="bench-ccnews-"))
    try:
        began = time.perf_counter()
        made = generate(root / WARC_NAME, args.size_mb << 20, args.registry_share)
        report(f"generated {fmt_bytes(made['bytes'])} WARC: {made['responses']} responses "
               f"({made['registry_responses']} of the demo outlets, share "
               f"{args.registry_share:g}) in {time.perf_counter() - began:.0f} s")
        size = made["bytes"]
        floor, f_wall, f_cpu, f_rss = run("floor", root)
        got, h_wall, h_cpu, h_rss = run("harvest", root)
        if got["bytes_streamed"] != size:
            raise SystemExit(f"harvest streamed {got['bytes_streamed']} of {size} bytes")
        for name, wall, cpu, rss, records in (("floor (warcio)", f_wall, f_cpu, f_rss,
                                               floor["records"]),
                                              ("harvest", h_wall, h_cpu, h_rss, got["records"])):
            report(f"{name:15} {size / 2**20 / wall:7.1f} MB/s  {wall:6.1f} s wall  "
                   f"{cpu / records * 1e6:6.1f} us CPU/record  ({records} records)  "
                   f"peak RSS {rss / 2**20:.0f} MB")
        report(f"harvest: {got['extracted']} pages extracted, {got['kept']} articles of {DAY} "
               f"kept")
        speed = (size / h_wall) / (size / f_wall)
        report(f"harvest speed {speed:.0%} of the floor (goal >= {GOAL_SHARE:.0%}): "
               f"{'PASS' if speed >= GOAL_SHARE else 'FAIL'}; by CPU time "
               f"{f_cpu / h_cpu:.0%} (wall times share the machine with its load)")
        report(f"harvest peak RSS {h_rss / 2**20:.0f} MB (goal < {GOAL_RSS >> 20} MB): "
               f"{'PASS' if h_rss < GOAL_RSS else 'FAIL'}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if not args.no_save:
        report.save("CC-NEWS harvest (bench/ccnews.py)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
