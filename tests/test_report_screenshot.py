"""The HTML run report renders in headless Chromium: a real screenshot, the table and the SVG.

Needs Debian's ``chromium`` (``apt-get install -y chromium``); skipped when it is missing.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from scrapers.sources import Quality
from transforms.lake import merge_articles
from transforms.normalize import normalize_articles
from transforms.quality import GateInputs, evaluate
from transforms.report import build_report
from transforms.validate import split_valid

CHROMIUM = Path("/usr/bin/chromium")
DAY = date(2026, 11, 20)
SOURCES = ["indus-chronicle", "ganga-times", "padma-herald"]
WIDTH, HEIGHT = 1200, 900

pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK),
    reason="headless Chromium not installed: apt-get update && apt-get install -y chromium",
)


def chromium(profile: Path, *args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    """Run headless Chromium with no network side traffic and a throwaway profile."""
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """The ``(type, payload)`` chunks of a PNG file, CRCs checked."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, payload = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + payload) == crc, f"bad CRC in {kind!r}"
        chunks.append((kind, payload))
        pos += 12 + length
    return chunks


def png_summary(data: bytes) -> tuple[int, int, int, int]:
    """(width, height, raw scanline bytes, distinct byte values in the raw image data)."""
    chunks = png_chunks(data)
    header = next(p for k, p in chunks if k == b"IHDR")
    width, height = struct.unpack(">II", header[:8])
    raw = zlib.decompress(b"".join(p for k, p in chunks if k == b"IDAT"))
    return width, height, len(raw), len(set(raw))


def build_sample_report(root: Path) -> Path:
    """A report over three sources with a few weeks of history and one failing gate."""
    records = []
    for back in range(0, 24):
        day = DAY - timedelta(days=back)
        for j, source in enumerate(SOURCES):
            for n in range((back + j) % 4 + 1):
                records.append({
                    "url": f"https://example.com/{source}/{day}/{n}", "title": f"Story {n}",
                    "body": " ".join(["word"] * 70) + f" {source} {day} {n}", "authors": [],
                    "tags": ["x"] if n % 2 else [], "provenance": {},
                    "published_at": f"{day}T06:00:00+00:00", "extractor_version": "1",
                    "source": source, "crawled_at": f"{day}T23:00:00Z",
                })
    valid, _ = split_valid(normalize_articles(pd.DataFrame(records), "run-shot"))
    merge_articles(valid, root)
    summary = {
        "sources": {s: {"staged": 3, "inserted": 3, "duplicates": 1, "quarantined": i}
                    for i, s in enumerate(SOURCES)},
        "crawl_counts": {s: {"candidates": 20, "fetched": 9, "staged": 4, "urls": 30,
                             "robots_refused": 1} for s in SOURCES},
        "crawl_failed": {},
    }
    gates = {s: evaluate(GateInputs(s, DAY, rows=3, complete=3 - i, staged=3, quarantined=i,
                                    urls=30, robots_refused=1, fetched_pages=4), Quality())
             for i, s in enumerate(SOURCES)}
    uri, _, _ = build_report(SOURCES, DAY, "scheduled__2026-11-20T00:00:00+00:00", summary,
                             gates, root)
    assert uri.startswith("file://")
    return root / "reports" / f"date={DAY}" / "report.html"


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Path, Path]:
    """(report file, work directory)."""
    work = tmp_path_factory.mktemp("shot")
    return build_sample_report(work / "lake"), work


def test_screenshot_is_a_real_rendering(report) -> None:
    page, work = report
    shot = work / "report.png"
    result = chromium(work / "profile", f"--screenshot={shot}",
                      f"--window-size={WIDTH},{HEIGHT}", page.as_uri())
    assert shot.is_file(), result.stderr[-2000:]
    data = shot.read_bytes()
    width, height, raw, distinct = png_summary(data)
    assert (width, height) == (WIDTH, HEIGHT)
    assert raw >= height * (1 + width * 3)  # every scanline of an RGB(A) image is there
    assert len(data) > 20_000, "a blank page compresses to a few kB"
    assert distinct > 64, "a single-colour image filters down to a handful of byte values"
    if os.environ.get("NEWSFLOW_KEEP_SCREENSHOT"):
        shutil.copy(shot, os.environ["NEWSFLOW_KEEP_SCREENSHOT"])


def test_dom_has_the_table_and_the_chart(report) -> None:
    page, work = report
    result = chromium(work / "profile-dom", "--dump-dom", page.as_uri())
    dom = result.stdout
    assert "<table class=\"runs\">" in dom, result.stderr[-2000:]
    for source in SOURCES:
        assert f"<td>{source}</td>" in dom
    assert "<svg" in dom and dom.count("<rect") >= 24
    assert "complete rows 0.33 &lt; 0.80" in dom  # padma-herald's failing gate is listed
