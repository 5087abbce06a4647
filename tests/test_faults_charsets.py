"""Legacy charsets through a real crawl and a reprocess of its WARCs: a short windows-1256 Dari
article whose only charset is the HTTP header, and a UTF-8 page with one cut sequence (counted).
The reprocess must decode every page exactly as the crawl did."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fault_server import (
    DAY,
    article_html,
    crawl,
    distinct_text,
    fault_lake,
    ok,
    outlet,
    published,
    rss,
    stored_by_slug,
    write_lake,
    write_registry,
)

DARI_TITLE = "شاروالي کابل سرک‌هاي شهر را پاک کرد"
DARI_TEXT = ("باران تند امروز در کابل چند سرک را بست و شاروالي گفت کار پاک\u200cکاري تا شام "
             "ادامه دارد. مردم شهر از کندي کار شکايت داشتند و گفتند آب در خانه\u200cها رفته است. ")
HINDI_TITLE = "दिल्ली में घने कोहरे से उड़ानें देर से चलीं"


@dataclass
class CharsetRun:
    stats: dict[str, Any]
    stored: dict[str, dict[str, Any]]
    crawled: dict[str, dict[str, Any]]
    reprocessed: dict[str, dict[str, Any]]
    reprocess_counts: dict[str, int]


def by_slug(path: Path | str) -> dict[str, dict[str, Any]]:
    """Staged JSONL records keyed by the slug after ``/news/``."""
    with open(path, encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    return {r["url"].split("/news/")[-1].strip("/"): r for r in records}


@pytest.fixture(scope="module")
def charsets(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Serve both pages, crawl them, merge the lake, then reprocess the day from its WARCs."""
    from scrapers.tasks.reprocess import reprocess

    with fault_lake(tmp_path_factory, "faults-charsets", 1) as (tmp, root, (site,), _before):
        items = []
        dari = article_html(DARI_TITLE, published(9), lang="fa", charset=None,
                            body_text=DARI_TEXT * 6).encode("cp1256")
        items.append((site.route("/news/dari-1256/", ok(dari, "text/html; charset=windows-1256")),
                      "dari", published(9)))
        hindi = article_html(HINDI_TITLE, published(10), lang="hi",
                             body_text=distinct_text("cut")).encode()
        cut = hindi.replace(b"</div>", "<p>कोहरा</p>".encode()[:-6] + b"</p></div>", 1)
        items.append((site.route("/news/cut-utf8/", ok(cut, "text/html; charset=utf-8")),
                      "cut", published(10)))
        site.route("/feed.xml", ok(rss(items), "application/rss+xml"))
        registry = write_registry(tmp / "sources.yaml", [
            outlet("charset-outlet", site, feeds=[site.url("/feed.xml")])])
        result = crawl("charset-outlet", registry)
        write_lake([result.items_path], run_id="faults-charsets")
        summary = reprocess(DAY, DAY, ["charset-outlet"], run_id="reprocess-charsets",
                            registry=registry, root=root, staging=tmp / "reprocess-staging")
        yield CharsetRun(result.stats, stored_by_slug(root), by_slug(result.items_path),
                         by_slug(summary["staged_files"][0]), summary["reprocess"])


def test_a_windows_1256_page_is_decoded_by_its_http_charset(charsets: CharsetRun) -> None:
    row = charsets.stored["dari-1256"]
    assert row["title"] == DARI_TITLE
    assert row["body"].startswith("باران تند امروز در کابل")
    assert "\ufffd" not in row["body"]


def test_pages_decoded_with_replacement_characters_are_counted(charsets: CharsetRun) -> None:
    assert charsets.stats["newsflow/articles/decoded_with_replacement"] == 1
    assert charsets.stored["cut-utf8"]["title"] == HINDI_TITLE
    assert charsets.reprocess_counts["decoded_with_replacement"] == 1


def test_reprocessing_decodes_exactly_as_the_crawl_did(charsets: CharsetRun) -> None:
    assert sorted(charsets.reprocessed) == sorted(charsets.crawled) == ["cut-utf8", "dari-1256"]
    for slug, crawled in charsets.crawled.items():
        again = charsets.reprocessed[slug]
        for name in ("title", "body", "lead", "authors", "language", "published_at"):
            assert again[name] == crawled[name], (slug, name)
