"""Hostile or broken pages: no <body>, 0 bytes, binary, 50 MB, 100k-deep nesting, wrong or
missing charsets and broken JSON-LD, fetched by a real ``scrapy crawl`` and merged into a lake.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scrapers.tasks.crawl import CrawlResult
from tests.fault_server import (
    FaultServer,
    PeakRSS,
    Reply,
    article_html,
    check_lake,
    crawl,
    distinct_text,
    failures,
    fault_lake,
    lake_rows,
    ok,
    outlet,
    published,
    rss,
    stored_by_slug,
    stream,
    write_lake,
    write_registry,
)

BIG = 50 * 1024 * 1024
DEPTH = 100_000
MOJIBAKE = ("Ã", "â€", "Ø", "Ù", "\ufffd")
CAFE_TITLE = "Café owners “welcome” the plan – finally"
URDU_TITLE = "کراچی میں پانی کا نیا منصوبہ شروع"
URDU_TEXT = "شہر کے لوگوں کو صاف پانی ملے گا اور حکومت نے نیا منصوبہ شروع کیا ہے۔ " * 20
MAX_RSS = 1536 * 1024 * 1024


@dataclass
class ContentRun:
    site: FaultServer
    result: CrawlResult
    stats: dict[str, Any]
    stored: dict[str, dict[str, Any]]
    quarantined: dict[str, dict[str, Any]]
    before: dict[str, str]
    after: dict[str, str]
    root: Path
    seconds: float
    peak_rss: int


def nested(depth: int) -> bytes:
    """A page whose only text sits ``depth`` elements deep."""
    return b"<html><body>" + b"<div>" * depth + b"deep text" + b"</div>" * depth + b"</body></html>"


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Serve every content fault, crawl it once, merge into a seeded lake."""
    from transforms.lake import read_quarantine

    with fault_lake(tmp_path_factory, "faults-content", 1) as (tmp, root, (site,), before):
        items = []

        def add(name: str, *replies: Reply) -> None:
            items.append((site.route(f"/news/{name}/", *replies), name, published(11)))

        plain = article_html("Water plant opens in the district", published(10))
        add("plain", ok(plain))
        add("no-body", ok(b"<html><head><title>Only a head</title></head></html>"))
        add("empty", ok(b""))
        add("binary", ok(bytes(range(256)) * 400))
        add("huge-streamed", stream(BIG))
        add("huge-declared", stream(BIG, content_length=True))
        add("nested", ok(nested(DEPTH)))
        add("nested-article", ok(plain.replace("<article>", "<article>" + "<div>" * DEPTH)))
        cafe = article_html(CAFE_TITLE, published(10), charset=None,
                            body_text="Café “Dhaba” – " + distinct_text("cafe"))
        add("cp1252-as-utf8", ok(cafe.encode("cp1252"), "text/html; charset=utf-8"))
        urdu = article_html(URDU_TITLE, published(10), lang="ur", charset=None,
                            body_text=URDU_TEXT)
        add("urdu-as-latin1", ok(urdu.encode("utf-8"), "text/html; charset=iso-8859-1"))
        broken = article_html("Broken JSON-LD plant opens in the district", published(10),
                              body_text=distinct_text("broken"),
                              jsonld='{"@context": "https://schema.org", "@type": "NewsArt')
        add("broken-jsonld", ok(broken))
        undated = re.sub(r"<time[^>]*>.*?</time>", "", article_html(
            "An undated story", published(10), body_text=distinct_text("undated"),
            jsonld='{"@context": "https://schema.org", "@type": "NewsArticle"}'))
        add("undated", ok(undated))
        site.route("/feed.xml", ok(rss(items), "application/rss+xml"))
        entry = outlet("content-outlet", site, feeds=[site.url("/feed.xml")])
        registry = write_registry(tmp / "sources.yaml", [entry])
        started = time.monotonic()
        with PeakRSS() as peak:
            result = crawl("content-outlet", registry)
        seconds = time.monotonic() - started
        write_lake([result.items_path], run_id="faults-content")
        stored = stored_by_slug(root)
        quarantined = {str(row["url"]).split("/news/")[-1].strip("/"): row
                       for row in read_quarantine(root).to_dict("records")}
        yield ContentRun(site, result, result.stats, stored, quarantined, before,
                         lake_rows(root), root, seconds, peak.peak)


def test_unusable_pages_are_skipped_with_counted_reasons(content: ContentRun) -> None:
    s = content.stats
    assert s["newsflow/articles/not_article/no_body"] == 1
    assert s["newsflow/articles/not_article/empty_page"] == 1
    assert s["newsflow/articles/not_article/binary_content"] == 1
    for name in ("no-body", "empty", "binary"):
        assert name not in content.stored
        assert len(content.site.hits(f"/news/{name}/")) == 1


def test_a_50_mb_page_is_stopped_by_download_maxsize(content: ContentRun) -> None:
    assert failures(content.stats)["too_large"] == 2
    assert len(content.site.hits("/news/huge-streamed/")) == 1  # not retried
    assert len(content.site.hits("/news/huge-declared/")) == 1
    assert content.stats["downloader/response_bytes"] < 2 * BIG
    print(f"MEASURE content crawl: peak RSS {content.peak_rss / 2**20:.0f} MiB, "
          f"{content.seconds:.1f} s, {content.stats['downloader/response_bytes']} bytes read")
    assert content.peak_rss < MAX_RSS


def test_deep_nesting_neither_crashes_nor_hangs(content: ContentRun) -> None:
    assert content.stats["finish_reason"] == "finished"
    assert content.stats["elapsed_time_seconds"] < 60
    assert "nested" not in content.stored
    assert "nested-article" not in content.stored  # text beyond lxml's depth bound is dropped
    assert content.stats["newsflow/articles/not_article/too_short"] == 2


def test_windows_1252_bytes_served_as_utf8_read_right(content: ContentRun) -> None:
    row = content.stored["cp1252-as-utf8"]
    assert row["title"] == CAFE_TITLE
    assert row["body"].startswith("Café “Dhaba” – ")
    assert not any(m in row["title"] + row["body"] for m in MOJIBAKE)


def test_utf8_urdu_served_as_latin1_reads_right(content: ContentRun) -> None:
    row = content.stored["urdu-as-latin1"]
    assert row["title"] == URDU_TITLE
    assert row["body"].startswith("شہر کے لوگوں کو صاف پانی ملے گا")
    assert row["language"] == "ur"
    assert not any(m in row["title"] + row["body"] for m in MOJIBAKE)


def test_broken_json_ld_falls_back_to_other_metadata(content: ContentRun) -> None:
    row = content.stored["broken-jsonld"]
    assert row["title"] == "Broken JSON-LD plant opens in the district"
    assert row["published_at"].isoformat() == "2026-11-20T05:00:00+00:00"


def test_an_undated_article_goes_to_quarantine_with_its_reason(content: ContentRun) -> None:
    assert content.stats["newsflow/articles/no_date"] == 1
    assert "undated" not in content.stored
    assert "published_at" in content.quarantined["undated"]["reason"]


def test_content_faults_lose_no_row_and_the_lake_reads_everywhere(content: ContentRun) -> None:
    assert sorted(content.stored) == sorted(
        ["plain", "cp1252-as-utf8", "urdu-as-latin1", "broken-jsonld"]
    )
    for key, digest in content.before.items():
        assert content.after[key] == digest
    counts = check_lake(content.root)
    assert counts["articles"] == len(content.before) + len(content.stored)
    assert counts["quarantine"] == len(content.quarantined) == 1
