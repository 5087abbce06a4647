"""The data-quality gate: its checks one by one, and in news_daily when a site's layout changes."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from scrapers.sources import Quality
from transforms.lake import merge_articles, merge_run_reports, read_articles, read_run_reports
from transforms.normalize import normalize_articles
from transforms.quality import (
    GateFailed,
    GateInputs,
    check_complete,
    check_volume,
    count_complete,
    evaluate,
    history_rows,
    raise_if_failed,
    run_gate,
)
from transforms.validate import split_valid

DAY = date(2026, 11, 20)
LONG = " ".join(f"word{n}" for n in range(60))
SHORT = " ".join(f"word{n}" for n in range(20))
WWW = Path(__file__).resolve().parent.parent / "data" / "demo_sites" / "www"


def article_rows(source: str, day: date, count: int, body: str = LONG, tag: str = "a"
                 ) -> pd.DataFrame:
    """Valid article rows published on ``day`` (normalised and validated like the pipeline)."""
    records = [{
        "url": f"https://example.com/{source}/{day}/{tag}{n}", "title": f"Story {n}",
        "body": f"{body} {day} {n}", "authors": [], "tags": [], "provenance": {},
        "published_at": f"{day}T06:00:00+00:00", "extractor_version": "1", "source": source,
        "crawled_at": f"{day}T23:00:00Z",
    } for n in range(count)]
    valid, quarantine = split_valid(normalize_articles(pd.DataFrame(records), "run-test"))
    assert quarantine.empty, quarantine["reason"].tolist()
    return valid


def report_row(source: str, day: date, run_id: str = "run-old") -> dict[str, Any]:
    """A minimal run_reports row saying the pipeline covered ``day`` for ``source``."""
    return {"run_id": run_id, "date": day, "source": source, "found": 0, "fetched": 0,
            "staged": 0, "written": 0, "duplicates": 0, "quarantined": 0, "robots_refused": 0,
            "errors": 0, "complete_share": None, "status": "ok",
            "created_at": pd.Timestamp(datetime(2026, 11, 1, tzinfo=UTC)).as_unit("us")}


def summary_for(source: str, **counts: int) -> dict[str, Any]:
    """A write-task summary with crawl and write counts for one source."""
    crawl = {k: counts.get(k, 0) for k in ("urls", "robots_refused", "not_article", "staged")}
    written = {k: counts.get(k, 0) for k in ("staged", "quarantined")}
    return {"sources": {source: written}, "crawl_counts": {source: crawl}, "crawl_failed": {}}


# -- unit: the checks --------------------------------------------------------------------------


def test_count_complete_needs_title_date_and_a_long_body() -> None:
    now = pd.Timestamp("2026-11-20T06:00:00Z")
    frame = pd.DataFrame({
        "title": ["A", "", "C", "D", None],
        "published_at": [now, now, pd.NaT, now, now],
        "body": [LONG, LONG, LONG, SHORT, LONG],
    })
    assert count_complete(frame, 50) == 1
    assert count_complete(frame.iloc[0:0], 50) == 0


def test_complete_message_says_what_fell_and_by_how_much() -> None:
    check = check_complete(3, 0, Quality())
    assert not check.passed
    assert check.detail == ("complete rows 0.00 < 0.80 (0 of 3 rows have title, published_at "
                            "and a body over 50 words)")
    assert check_complete(5, 4, Quality()).passed
    assert check_complete(0, 0, Quality()).passed  # nothing written: other checks speak


def test_volume_against_trailing_median() -> None:
    history = {f"2026-11-{d:02d}": n for d, n in zip(range(13, 20), (10, 12, 9, 11, 10, 0, 10),
                                                      strict=True)}
    low = check_volume(2, history, Quality())
    assert not low.passed
    assert low.detail.startswith("row count 2 is 0.20 of the trailing 7-day median 10 (0.20 < 0.30")
    assert check_volume(3, history, Quality()).passed
    assert check_volume(0, {"2026-11-19": 10}, Quality()).passed  # too little history
    assert check_volume(0, dict.fromkeys(history, 0), Quality()).passed  # median 0


def test_shares_and_thresholds_from_the_registry() -> None:
    inputs = GateInputs("padma-herald", DAY, rows=10, complete=10, staged=10, quarantined=3,
                        urls=20, robots_refused=11, fetched_pages=10, not_article=4)
    result = evaluate(inputs, Quality())
    assert not result.passed
    failed = result.failures()
    assert failed == [
        "padma-herald: quarantined 0.30 > 0.20 (3 of 10 staged rows were quarantined)",
        "padma-herald: robots.txt refused 0.55 > 0.50 (11 of 20 URLs were refused by robots.txt)",
        "padma-herald: pages without an article 0.40 > 0.30 (4 of 10 article-URL pages gave no "
        "article: empty or missing body)",
    ]
    lenient = Quality(max_quarantine_share=0.5, max_robots_refused_share=0.6,
                      max_not_article_share=0.5)
    assert evaluate(inputs, lenient).passed
    with pytest.raises(GateFailed, match=r"quarantined 0.30 > 0.20.*robots.txt refused"):
        raise_if_failed(result)


def test_failed_crawl_fails_the_gate() -> None:
    result = evaluate(GateInputs("x", DAY, crawl_failed="no feed could be fetched"), Quality())
    assert result.failures() == ["x: crawl failed, no data for the day (no feed could be fetched)"]


def test_discovery_that_cut_data_fails_the_gate_and_says_how() -> None:
    """Candidates past the budget, entries past a document's limit or an oversized sitemap mean
    articles of the day were never looked at; a repaired feed is only named."""
    whole = dict(rows=10, complete=10, staged=10)
    repaired = evaluate(GateInputs("a", DAY, **whole, documents_recovered=2), Quality())
    assert repaired.passed
    assert [c.detail for c in repaired.checks if c.name == "discovery"] == [
        "discovery complete; 2 malformed feed/sitemap document(s) repaired"]
    cut = evaluate(GateInputs("a", DAY, **whole, over_budget=120, entries_over_limit=50000,
                              documents_too_large=1), Quality())
    assert cut.failures() == [
        "a: discovery cut data: 120 candidates over the budget, 50000 entries over a document's "
        "limit, 1 documents over the size limit"]


def test_gate_reads_rows_and_history_back_from_the_lake(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    history = [DAY - timedelta(days=n) for n in range(1, 8)]
    merge_articles(pd.concat([article_rows("dawn", d, 10) for d in history]), root)
    merge_run_reports(pd.DataFrame([report_row("dawn", d) for d in history]), root)
    today = pd.concat([article_rows("dawn", DAY, 1),
                       article_rows("dawn", DAY, 2, SHORT, tag="b")])
    merge_articles(today, root)
    assert len(read_articles(root, dates=[DAY])) == 3
    assert history_rows("dawn", DAY, 7, root) == {d.isoformat(): 10 for d in sorted(history)}
    result = run_gate("dawn", DAY, summary_for("dawn", urls=40, staged=3), Quality(), root)
    assert result.failures() == [
        "dawn: complete rows 0.33 < 0.80 (1 of 3 rows have title, published_at and a body over "
        "50 words)",
    ]
    volume = next(c for c in result.checks if c.name == "rows_vs_median")
    assert volume.passed and volume.value == pytest.approx(0.3)
    assert result.complete_share == pytest.approx(1 / 3)
    strict = run_gate("dawn", DAY, summary_for("dawn", staged=3), Quality(min_rows_vs_median=0.5),
                      root)
    assert "dawn: row count 3 is 0.30 of the trailing 7-day median 10 (0.30 < 0.50; expected " \
        "at least 5.0 rows)" in strict.failures()


def test_days_without_rows_count_as_zero_only_when_reported(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    covered = [DAY - timedelta(days=n) for n in (1, 2, 3)]
    merge_articles(article_rows("dawn", DAY - timedelta(days=1), 4), root)
    merge_articles(article_rows("dawn", DAY - timedelta(days=9), 4), root)  # outside the window
    merge_run_reports(pd.DataFrame([report_row("dawn", d) for d in covered]), root)
    assert history_rows("dawn", DAY, 7, root) == {
        "2026-11-17": 0, "2026-11-18": 0, "2026-11-19": 4}


# -- end to end: a layout change in news_daily -------------------------------------------------


def replace_container(page: str, container: str, inner: str) -> str:
    """``page`` with the content of ``<div {container}>`` replaced by ``inner``."""
    pattern = re.compile(rf"(<div {re.escape(container)}>).*?(</div>)", re.S)
    assert pattern.search(page), container
    return pattern.sub(lambda m: f"{m.group(1)}{inner}{m.group(2)}", page, count=1)


def teaser_page(path: str, words: int = 46) -> str:
    """A Padma Herald page after a redesign that shows only the first ``words`` words."""
    page = (WWW / path.lstrip("/")).read_text(encoding="utf-8")
    inner = re.search(r'<div id="news-content">(.*?)</div>', page, re.S).group(1)
    text = " ".join(re.sub(r"<[^>]+>", " ", inner).split()[:words])
    page = re.sub(r'<h2 class="shoulder">.*?</h2>', "", page, flags=re.S)
    return replace_container(page, 'id="news-content"', f"<p>{text} …</p>")


def empty_page(path: str) -> str:
    """A Himalaya Post page whose article paragraphs are gone."""
    page = (WWW / path.lstrip("/")).read_text(encoding="utf-8")
    return replace_container(page, 'class="news-content"', "")


PADMA_DAY = ("/padma-herald/bangladesh/news-604188.html",
             "/padma-herald/bangla/news-604201.html",
             "/padma-herald/bangladesh/news-604219.html")
HIMALAYA_DAY = "/himalaya-post/story/2026-11-20/chitwan-rhino-census-begins.html"


def test_layout_change_fails_only_that_sources_gate(demo_server, demo_registry, lake,
                                                    capfd) -> None:
    """Padma Herald pages cut to teasers and Himalaya Post bodies gone; Ganga Times unchanged."""
    from tests.test_e2e_daily import run_daily

    for path in PADMA_DAY:
        demo_server.set_override(path, body=teaser_page(path))
    demo_server.set_override(HIMALAYA_DAY, body=empty_page(HIMALAYA_DAY))
    try:
        run = run_daily(DAY, {"sources": ["padma-herald", "himalaya-post", "ganga-times"]})
    finally:
        demo_server.clear_overrides()
    output = "".join(capfd.readouterr())
    states = {(ti.task_id, ti.rendered_map_index): str(ti.state)
              for ti in run.get_task_instances()}
    assert states[("write", None)] == "success"
    # one gate for the run: it fails, naming each failing source with its checks, and so holds
    # back the Asset event; ganga-times's checks passed; the report still ran
    assert states[("gate", None)] == "failed"
    assert states[("report", None)] == "success"
    assert {task for task, _ in states} == {"plan", "crawl", "write", "gate", "report"}
    failures = {(head, frozenset(lines))
                for head, *lines in re.findall(r"GateFailed: (.*)\n(.*)\n(.*)", output)}
    assert failures == {(
        "2 of 3 source(s) failed the quality gate (himalaya-post, padma-herald):",
        frozenset({
            "padma-herald: complete rows 0.00 < 0.80 (0 of 3 rows have title, published_at and "
            "a body over 50 words)",
            "himalaya-post: pages without an article 1.00 > 0.30 (1 of 1 article-URL pages gave "
            "no article: empty or missing body)",
        }),
    )}
    assert "news_articles event extra" not in output
    assert "quality gate ganga-times 2026-11-20: passed" in output

    df = read_articles(lake, dates=[DAY])
    assert df["source"].value_counts().to_dict() == {"padma-herald": 3, "ganga-times": 2}
    padma = df[df["source"] == "padma-herald"]
    assert (padma["body"].str.split().str.len() <= 50).all()
    statuses = read_run_reports(lake, dates=[DAY]).set_index("source")["status"].to_dict()
    assert statuses == {"padma-herald": "partial", "himalaya-post": "partial", "ganga-times": "ok"}
