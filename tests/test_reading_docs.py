"""The Python examples in docs/reading.md run against a small lake (Spark ones are skipped)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from transforms.lake import merge_articles
from transforms.normalize import normalize_articles
from transforms.validate import split_valid

READING = Path(__file__).resolve().parents[1] / "docs" / "reading.md"
FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<code>.*?)^```", re.MULTILINE | re.DOTALL)
BODY = "The assembly approved the budget on Friday after a long debate in the house."
WARC_PATH = "raw/date=2026-11-20/source=dawn/crawl-0.warc.gz"


def python_blocks() -> list[tuple[str, str]]:
    """(info string, code) of every python block except Spark ones."""
    return [(m["info"], m["code"]) for m in FENCE.finditer(READING.read_text())
            if m["info"].split()[:1] == ["python"] and "spark" not in m["info"]]


def write_warc(path: Path, pages: dict[str, bytes]) -> dict[str, int]:
    """Write response records to a gzipped WARC; return url -> record offset."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        for url, html in pages.items():
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")],
                                       protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response",
                                                          payload=io.BytesIO(html),
                                                          http_headers=headers))
    with open(path, "rb") as stream:
        iterator = ArchiveIterator(stream)
        return {r.rec_headers.get_header("WARC-Target-URI"): iterator.get_record_offset()
                for r in iterator}


def record(n: int, day: str, raw_ref: str | None) -> dict[str, Any]:
    """A staged record (``_raw`` carries the raw_ref the test sets after normalising)."""
    return {"url": f"https://dawn.com/news/{n}", "title": f"Story {n}", "body": f"{BODY} {n}",
            "authors": [], "published_at": f"{day}T0{n}:00:00Z", "extractor_version": "1",
            "source": "dawn", "crawled_at": "2026-11-21T00:00:00Z",
            "_raw": raw_ref}


@pytest.fixture
def small_lake(lake: Path) -> Path:
    """Three articles over two days, two of them one story, with raw HTML in a WARC."""
    pages = {f"https://dawn.com/news/{n}": f"<html><body>Story {n}</body></html>".encode()
             for n in (1, 2)}
    offsets = write_warc(lake / WARC_PATH, pages)
    assert offsets["https://dawn.com/news/2"] > 0
    records = [record(1, "2026-11-20", f"{WARC_PATH}#{offsets['https://dawn.com/news/1']}"),
               record(2, "2026-11-20", f"{WARC_PATH}#{offsets['https://dawn.com/news/2']}"),
               record(3, "2026-11-19", None)]
    valid, quarantine = split_valid(normalize_articles(pd.DataFrame(records), "run-1"))
    assert quarantine.empty
    first = valid.loc[valid["url"].str.endswith("/1"), "article_id"].item()
    valid["story_id"] = [first, first, None]
    valid["raw_ref"] = [r["_raw"] for r in records]
    merge_articles(valid, lake)
    return lake


def test_docs_have_the_examples() -> None:
    """pandas, DuckDB, Polars and WARC examples are there; Spark is shown but not run."""
    text = READING.read_text()
    assert len(python_blocks()) == 4
    assert "```python spark" in text and "ArchiveIterator" in text


@pytest.mark.parametrize("index", range(4))
def test_example_runs(small_lake: Path, index: int, monkeypatch: pytest.MonkeyPatch,
                      capsys: pytest.CaptureFixture[str]) -> None:
    """Each example runs against the small lake and finds what it should."""
    monkeypatch.chdir(READING.parents[1])
    _, code = python_blocks()[index]
    namespace: dict[str, Any] = {"__name__": "reading_example"}
    exec(compile(code, f"{READING}:block{index}", "exec"), namespace)
    if "one_per_story" in namespace:
        assert len(namespace["one_per_story"]) == 2
    if "recent" in namespace:
        assert len(namespace["recent"]) == 2
    if "html" in namespace:
        assert namespace["html"].startswith(b"<html>")
        assert namespace["url"].startswith("https://dawn.com/news/")
    assert capsys.readouterr().out
