"""Reprocessing archived WARCs into a real Parquet lake, offline; and the news_reprocess DAG."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
import yaml

from scrapers.extract import EXTRACTOR_VERSION
from scrapers.tasks.reprocess import main, reprocess
from scrapers.warc import WarcArchive, read_raw
from transforms.lake import read_articles, read_quarantine

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RANGE = (date(2026, 11, 18), date(2026, 11, 24))

REGISTRY = {
    "version": 1,
    "sources": [
        {"id": "indus-daily", "name": "Indus Daily", "homepage": "https://indus-daily.test/",
         "country": "PK", "languages": ["en", "ur"], "timezone": "Asia/Karachi",
         "allowed_domains": ["indus-daily.test"], "feeds": ["https://indus-daily.test/feed.xml"]},
        {"id": "ganga-news", "name": "Ganga News", "homepage": "https://ganga-news.test/",
         "country": "IN", "languages": ["en"], "timezone": "Asia/Kolkata",
         "allowed_domains": ["ganga-news.test"],
         "sitemaps": ["https://ganga-news.test/sitemap.xml"]},
    ],
}

PARAGRAPHS = (
    "The National Assembly approved the federal budget on Thursday after a debate that lasted "
    "eleven days and saw the opposition walk out of the chamber twice.",
    "The finance minister said the budget would narrow the deficit while protecting development "
    "spending in the poorer districts, and promised relief for small traders.",
    "Opposition members said the new taxes on salaried workers were unfair and vowed to "
    "challenge them when the finance bill returns to the house next month.",
)


def story(topic: str) -> tuple[str, ...]:
    """Three paragraphs unique to one story (identical bodies would be deduplicated)."""
    return (f"Reporting on {topic}: " + PARAGRAPHS[0], *PARAGRAPHS[1:])


def article_page(title: str, url: str, published: str, author: str, section: str,
                 paragraphs: tuple[str, ...] = PARAGRAPHS, jsonld: bool = True) -> bytes:
    """A news article page with site chrome, modelled on the outlets we crawl."""
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
                     "datePublished": published, "author": {"@type": "Person", "name": author},
                     "articleSection": section})
    meta = (f'<script type="application/ld+json">{ld}</script>' if jsonld else
            f'<meta property="og:type" content="article">'
            f'<meta property="article:published_time" content="{published}">')
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{title} | Site</title><link rel="canonical" href="{url}">
<meta property="og:title" content="{title}">{meta}</head>
<body><header><nav><a href="/">Home</a> <a href="/business/">Business</a></nav>
<div class="ad">Advertisement</div></header>
<main><article><h1>{title}</h1><p class="byline">By {author}</p>
<time datetime="{published}">{published[:10]}</time>
{body}</article>
<aside><h3>Most read</h3><ul><li><a href="/x/">Other story</a></li></ul></aside></main>
<footer>© The outlet. All rights reserved.</footer></body></html>""".encode()


TAG_PAGE = b"""<!doctype html><html><head><title>Budget | Indus Daily</title></head><body>
<h1>Tag: budget</h1><ul><li><a href="/news/2026/11/20/budget/">Budget passes</a></li>
<li><a href="/news/2026/11/19/debate/">Debate opens</a></li></ul></body></html>"""

INDUS_A = "https://indus-daily.test/news/2026/11/20/assembly-passes-budget/"
INDUS_B = "https://indus-daily.test/news/2026/11/20/power-tariffs-cut/"
GANGA_A = "https://ganga-news.test/2026/11/21/monsoon-crops-recover.html"
LATE = "https://ganga-news.test/2026/11/26/later-story.html"


def archive_pages(root: Path, day: date, source: str,
                  pages: list[tuple[str, bytes, str]]) -> list[str]:
    """Archive (url, body, role) exchanges for one run day as the spider would."""
    fetched = datetime(day.year, day.month, day.day, 0, 20, tzinfo=UTC)
    with WarcArchive(root, source, day) as archive:
        return [archive.write_exchange(url, [("User-Agent", "newsflow-test")], 200,
                                       [("Content-Type", "text/html; charset=utf-8"),
                                        ("Content-Encoding", "gzip")],
                                       body, fetched, role=role, via="feed")
                for url, body, role in pages]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Any socket connection attempt fails the test."""
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise AssertionError(f"network connection attempted to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


@pytest.fixture
def archived(lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A registry and raw WARCs for two sources over several run days; returns url -> raw_ref."""
    registry = tmp_path / "sources.yaml"
    registry.write_text(yaml.safe_dump(REGISTRY), encoding="utf-8")
    monkeypatch.setenv("NEWSFLOW_REGISTRY", str(registry))
    indus = archive_pages(lake, date(2026, 11, 20), "indus-daily", [
        ("https://indus-daily.test/feed.xml", b"<rss version='2.0'><channel/></rss>", "feed"),
        (INDUS_A, article_page("Assembly passes budget after long debate", INDUS_A,
                               "2026-11-20T09:15:00+05:00", "Ayesha Khan", "Politics",
                               story("the budget")), "article"),
        (INDUS_B, article_page("Power tariffs cut for small consumers", INDUS_B,
                               "2026-11-20T14:40:00+05:00", "Bilal Ahmed", "Business",
                               story("tariffs"), jsonld=False), "article"),
        ("https://indus-daily.test/tag/budget/", TAG_PAGE, "article"),
    ])
    ganga = archive_pages(lake, date(2026, 11, 21), "ganga-news", [
        (GANGA_A, article_page("Monsoon crops recover in the east", GANGA_A,
                               "2026-11-21T10:00:00+05:30", "Priya Sharma", "Agriculture",
                               story("crops")),
         "article"),
    ])
    late = archive_pages(lake, date(2026, 11, 26), "ganga-news", [
        (LATE, article_page("A story after the range", LATE, "2026-11-26T08:00:00+05:30",
                            "Priya Sharma", "National", story("later")), "article"),
    ])
    return {INDUS_A: indus[1], INDUS_B: indus[2], GANGA_A: ganga[0], LATE: late[0]}


def rows(lake: Path) -> pd.DataFrame:
    """Articles of the lake sorted by URL."""
    return read_articles(lake).sort_values("url").reset_index(drop=True)


def test_reprocess_builds_rows_from_raw_pages_only(
        archived: dict[str, str], lake: Path, no_network: list[object]) -> None:
    summary = reprocess(*RANGE, run_id="reprocess__one")
    df = rows(lake)
    assert list(df["url"]) == sorted([INDUS_A, INDUS_B, GANGA_A])
    assert set(df["extractor_version"]) == {EXTRACTOR_VERSION}
    assert set(df["run_id"]) == {"reprocess__one"}
    by_url = df.set_index("url")
    assert by_url.loc[INDUS_A, "title"] == "Assembly passes budget after long debate"
    assert list(by_url.loc[INDUS_A, "authors"]) == ["Ayesha Khan"]
    assert by_url.loc[INDUS_B, "source"] == "indus-daily"
    assert by_url.loc[GANGA_A, "country"] == "IN"
    assert by_url.loc[INDUS_A, "published_at"] == pd.Timestamp("2026-11-20T04:15:00Z")
    assert by_url.loc[INDUS_A, "crawled_at"] == pd.Timestamp("2026-11-20T00:20:00Z")
    assert "Advertisement" not in by_url.loc[INDUS_A, "body"]
    counts = summary["reprocess"]
    assert counts["responses"] == 5  # the out-of-range day is not read
    assert counts["skipped_not_article_response"] == 1  # the feed
    assert counts["not_article"] == 1  # the tag page
    assert counts["staged"] == 3
    assert summary["totals"]["inserted"] == 3
    assert summary["sources"]["indus-daily"]["inserted"] == 2
    assert summary["source_filter"] is None
    assert read_quarantine(lake).empty
    assert no_network == []


def test_staged_records_have_the_spider_keys_and_live_outside_the_lake(
        archived: dict[str, str], lake: Path, no_network: list[object]) -> None:
    summary = reprocess(*RANGE, sources=["indus-daily"], run_id="reprocess__keys")
    [path] = [Path(p) for p in summary["staged_files"]]
    assert not path.resolve().is_relative_to(lake.resolve())
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 2
    spider_keys = {"source", "country", "region", "crawled_at", "http_status", "discovered_via",
                   "raw_ref", "extractor_version", "title", "body", "url", "published_at",
                   "is_article", "provenance"}
    for record in records:
        assert spider_keys <= set(record)
        assert record["http_status"] == 200 and record["discovered_via"] == "feed"
        assert read_raw(record["raw_ref"], lake).url == record["url"]


def test_a_newer_extractor_replaces_rows_and_changes_nothing_else(
        archived: dict[str, str], lake: Path, no_network: list[object],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import scrapers.extract

    reprocess(*RANGE, run_id="reprocess__v1")
    before = rows(lake)
    again = reprocess(*RANGE, run_id="reprocess__v1-again")
    assert again["totals"]["inserted"] == again["totals"]["updated"] == 0
    assert again["totals"]["files_written"] == 0
    monkeypatch.setattr(scrapers.extract, "EXTRACTOR_VERSION", "next")
    summary = reprocess(*RANGE, run_id="reprocess__v2")
    after = rows(lake)
    assert summary["totals"]["updated"] == 3
    assert summary["totals"]["inserted"] == summary["totals"]["removed"] == 0
    assert set(after["extractor_version"]) == {"next"}
    assert set(after["run_id"]) == {"reprocess__v2"}
    bookkeeping = ["extractor_version", "run_id"]
    pd.testing.assert_frame_equal(before.drop(columns=bookkeeping),
                                  after.drop(columns=bookkeeping))
    assert read_quarantine(lake).empty
    assert no_network == []


def test_sources_filter_touches_only_those_sources(
        archived: dict[str, str], lake: Path, no_network: list[object],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import scrapers.extract

    reprocess(*RANGE, run_id="reprocess__v1")
    monkeypatch.setattr(scrapers.extract, "EXTRACTOR_VERSION", "next")
    reprocess(*RANGE, sources=["ganga-news"], run_id="reprocess__ganga")
    versions = rows(lake).set_index("url")["extractor_version"].to_dict()
    assert versions == {INDUS_A: EXTRACTOR_VERSION, INDUS_B: EXTRACTOR_VERSION, GANGA_A: "next"}


def archive_correction(lake: Path) -> str:
    """A re-run of 2026-11-20 that fetched a corrected INDUS_A; returns its raw_ref."""
    fixed = (*story("the budget")[:2], "The correction: the debate lasted twelve days, not eleven.")
    page = article_page("Assembly passes budget after long debate", INDUS_A,
                        "2026-11-20T09:15:00+05:00", "Ayesha Khan", "Politics", fixed)
    with WarcArchive(lake, "indus-daily", date(2026, 11, 20)) as rerun:
        return rerun.write_exchange(INDUS_A, [], 200, [], page,
                                    datetime(2026, 11, 20, 6, 0, tzinfo=UTC))


def test_the_newest_archived_copy_of_a_page_wins(
        archived: dict[str, str], lake: Path, no_network: list[object]) -> None:
    reprocess(*RANGE, run_id="reprocess__v1")
    new_ref = archive_correction(lake)
    summary = reprocess(*RANGE, run_id="reprocess__fixed")
    assert summary["totals"]["updated"] == 1
    row = rows(lake).set_index("url").loc[INDUS_A]
    assert "twelve days" in row["body"]
    assert row["crawled_at"] == pd.Timestamp("2026-11-20T06:00:00Z")
    assert b"eleven days" in read_raw(archived[INDUS_A], lake).body  # the old page is kept
    assert b"twelve days" in read_raw(new_ref, lake).body


def test_rows_point_at_the_raw_page_they_were_made_from(
        archived: dict[str, str], lake: Path, no_network: list[object]) -> None:
    reprocess(*RANGE, run_id="reprocess__v1")
    by_url = rows(lake).set_index("url")
    for url in (INDUS_A, INDUS_B, GANGA_A):
        assert by_url.loc[url, "raw_ref"] == archived[url]
        assert read_raw(by_url.loc[url, "raw_ref"], lake).url == url


def test_a_row_made_from_a_newer_copy_points_at_that_copy(
        archived: dict[str, str], lake: Path, no_network: list[object]) -> None:
    reprocess(*RANGE, run_id="reprocess__v1")
    new_ref = archive_correction(lake)
    reprocess(*RANGE, run_id="reprocess__fixed")
    row = rows(lake).set_index("url").loc[INDUS_A]
    assert "twelve days" in row["body"]
    assert row["raw_ref"] == new_ref  # raw_ref must not be sticky: body and page must agree


def test_cli_reprocesses_a_range(archived: dict[str, str], lake: Path, no_network: list[object],
                                 capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--start", "2026-11-18", "--end", "2026-11-24", "--sources", "ganga-news",
                 "--run-id", "cli__test"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["totals"]["inserted"] == 1
    assert list(rows(lake)["url"]) == [GANGA_A]


def test_an_empty_range_is_refused(lake: Path) -> None:
    with pytest.raises(ValueError, match="empty range"):
        reprocess(date(2026, 11, 24), date(2026, 11, 18))


def test_news_reprocess_dag_imports_cleanly() -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags" / "news_reprocess.py"))
    assert bag.import_errors == {}
    dag = bag.dags["news_reprocess"]
    assert type(dag.timetable).__name__ == "NullTimetable"  # schedule=None: manual runs only
    assert set(dag.params.keys()) == {"start", "end", "sources"}
    [only] = dag.tasks
    assert only.task_id == "reprocess"
    assert only.pool == "newsflow_lake_writer"


def test_news_reprocess_dag_parses_without_heavy_imports() -> None:
    code = (
        "import sys, runpy; runpy.run_path(sys.argv[1]);"
        "heavy = [m for m in ('scrapy', 'pandas', 'pyarrow', 'warcio', 'trafilatura')"
        " if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(PROJECT_ROOT / "dags" / "news_reprocess.py")],
        capture_output=True, text=True, check=True, cwd=PROJECT_ROOT,
    )
    assert out.stdout.strip() == ""
