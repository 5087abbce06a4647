"""The run report: HTML file and run_reports table after news_daily, the Asset event, re-runs."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.demo_truth import expected_for_day
from transforms.lake import merge_articles, merge_run_reports, read_run_reports
from transforms.normalize import normalize_articles
from transforms.schema import RUN_REPORT_COLUMNS
from transforms.validate import split_valid

DAY = date(2026, 11, 20)
SOURCES = ["indus-chronicle", "himalaya-post"]
REGISTRY = Path(__file__).resolve().parent.parent / "data" / "demo_sites" / "sources.yaml"


def report_file(root: Path, day: date = DAY) -> Path:
    """Where the report of ``day`` must be."""
    return root / "reports" / f"date={day.isoformat()}" / "report.html"


def sha(path: Path) -> str:
    """SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def asset_extras(run_id: str) -> list[dict[str, Any]]:
    """Extras of the news_articles events a run emitted."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        query = (select(AssetEvent.extra)
                 .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
                 .where(AssetModel.name == "news_articles", AssetEvent.source_run_id == run_id))
        return [dict(extra) for extra in session.scalars(query)]


@pytest.fixture(scope="module")
def report_runs(tmp_path_factory, demo_server):
    """news_daily for one day, then again; the lake, the runs and snapshots after each."""
    from tests.test_e2e_daily import run_daily

    tmp = tmp_path_factory.mktemp("report")
    root = tmp / "lake"
    mp = pytest.MonkeyPatch()
    mp.setenv("NEWSFLOW_LAKE", str(root))
    mp.setenv("NEWSFLOW_STAGING", str(tmp / "staging"))
    mp.setenv("NEWSFLOW_REGISTRY", str(REGISTRY))
    try:
        first = run_daily(DAY, {"sources": SOURCES})
        states = [task_states(first)]  # dag.test deletes a run of the same logical date
        after_first = (read_run_reports(root), report_file(root).read_text(encoding="utf-8"),
                       sha(next((root / "run_reports").rglob("*.parquet"))))
        second = run_daily(DAY, {"sources": SOURCES})
        states.append(task_states(second))
        yield {"root": root, "runs": (first, second), "first": after_first, "states": states}
    finally:
        mp.undo()


def task_states(run) -> dict[tuple[str, str | None], str]:
    """``(task_id, rendered map index) -> state`` of a finished run, plus the run's own."""
    states = {(ti.task_id, ti.rendered_map_index): str(ti.state)
              for ti in run.get_task_instances()}
    return {**states, ("run", None): str(run.state)}


def test_runs_succeed_and_publish(report_runs) -> None:
    for states in report_runs["states"]:
        assert states[("run", None)] == "success", states
        assert states.get(("gate", None)) == "success", states


def test_run_reports_rows_after_a_run(report_runs) -> None:
    table, _, _ = report_runs["first"]
    first = report_runs["runs"][0]
    assert list(table.columns) == [c.name for c in RUN_REPORT_COLUMNS]
    rows = table.set_index("source")
    assert sorted(rows.index) == sorted(SOURCES)
    assert set(rows["run_id"]) == {first.run_id}
    assert set(pd.to_datetime(rows["date"]).dt.date) == {DAY}
    for source in SOURCES:
        truth = sum(1 for a in expected_for_day(DAY).values() if a.source == source)
        assert rows.loc[source, "written"] == truth
        assert rows.loc[source, "staged"] == truth
        assert rows.loc[source, "fetched"] >= truth
        assert rows.loc[source, "found"] >= rows.loc[source, "fetched"]
        assert rows.loc[source, "status"] == "ok"
        assert rows.loc[source, "complete_share"] == 1.0
    assert rows.loc["indus-chronicle", "robots_refused"] == 1  # /indus-chronicle/private/
    assert rows.loc["himalaya-post", "errors"] == 0


def test_rerun_replaces_the_days_rows(report_runs) -> None:
    root = report_runs["root"]
    second = report_runs["runs"][1]
    table = read_run_reports(root)
    assert len(table) == len(SOURCES)
    assert set(table["run_id"]) == {second.run_id}
    assert (table["written"] == 0).all()  # the articles were already there, unchanged
    assert len(list((root / "run_reports").rglob("*.parquet"))) == len(SOURCES)


def test_html_report_is_self_contained(report_runs) -> None:
    root = report_runs["root"]
    page = report_file(root).read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<svg" in page and "<rect" in page
    for marker in ("<script", "<link", "<img", "<iframe", "@import", "url(", "src="):
        assert marker not in page, marker
    without_ns = page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert not re.search(r"(?:https?:)?//[\w.-]+", without_ns.replace("file://", ""))
    found = sorted(str(p.relative_to(root / "reports")) for p in (root / "reports").rglob("*"))
    assert found == ["date=2026-11-20", "date=2026-11-20/report.html"]
    assert not list((root / "_staging").glob("reports-*"))


def test_html_report_shows_the_runs_counts(report_runs) -> None:
    root = report_runs["root"]
    page = report_file(root).read_text(encoding="utf-8")
    second = report_runs["runs"][1]
    assert second.run_id in page
    table = read_run_reports(root).set_index("source")
    for source in SOURCES:
        row = re.search(rf"<tr><td>{source}</td>(.*?)</tr>", page).group(1)
        cells = re.findall(r"<td>(.*?)</td>", row)
        numbers = [cells[i] for i in (1, 2, 3, 4, 6, 7, 8, 9)]
        expected = [str(table.loc[source, n]) for n in ("found", "fetched", "staged", "written",
                                                          "duplicates", "quarantined",
                                                          "robots_refused", "errors")]
        assert numbers == expected, source
    for header in ("found", "fetched", "written", "duplicates", "quarantined", "robots-refused",
                   "errors", "Field completeness", "Articles per day, last 30 days"):
        assert header in page
    assert re.search(r"<tr><td>title</td><td>100%</td><td>100%</td><td>100%</td></tr>", page)


def test_publish_attaches_row_counts_to_the_asset_event(report_runs) -> None:
    first, second = report_runs["runs"]
    for run in (first, second):
        extras = asset_extras(run.run_id)
        assert len(extras) == 1
        extra = extras[0]
        assert extra["day"] == DAY.isoformat()
        assert extra["run_id"] == run.run_id
        assert extra["rows"] == {"indus-chronicle": 2, "himalaya-post": 1}
        assert extra["total_rows"] == 3
        assert extra["table"].endswith("/articles")
    assert asset_extras(first.run_id)[0]["total_written"] == 3
    assert asset_extras(second.run_id)[0]["total_written"] == 0


def test_consumer_dag_is_scheduled_on_the_asset() -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(Path(__file__).resolve().parent.parent / "dags"))
    assert bag.import_errors == {}
    dag = bag.dags["news_consumer_example"]
    assert dag.is_paused_upon_creation is True
    assert [a.name for a in dag.timetable.asset_condition.objects] == ["news_articles"]
    producer = bag.dags["news_daily"].get_task("gate")
    assert [o.name for o in producer.outlets] == ["news_articles"]


# -- without Airflow: merge semantics and the task log -----------------------------------------


def report_row(source: str, run_id: str, written: int) -> dict[str, Any]:
    """One run_reports row."""
    return {"run_id": run_id, "date": DAY, "source": source, "found": 5, "fetched": 4,
            "staged": 3, "written": written, "duplicates": 0, "quarantined": 0,
            "robots_refused": 0, "errors": 0, "complete_share": 1.0, "status": "ok",
            "created_at": pd.Timestamp(datetime.now(UTC)).as_unit("us")}


def test_merge_run_reports_is_idempotent_and_replaces_per_day(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    frame = pd.DataFrame([report_row("a", "run-1", 3), report_row("b", "run-1", 2)])
    assert merge_run_reports(frame, root).inserted == 2
    files = sorted((root / "run_reports").rglob("*.parquet"))
    before = [sha(f) for f in files]
    again = merge_run_reports(frame.assign(created_at=frame["created_at"] + pd.Timedelta("1h")),
                              root)
    assert again.unchanged == 2 and again.files_written == 0
    assert [sha(f) for f in files] == before
    rerun = merge_run_reports(pd.DataFrame([report_row("a", "run-2", 0)]), root)
    assert (rerun.inserted, rerun.removed) == (1, 1)
    table = read_run_reports(root).set_index("source")
    assert table["run_id"].to_dict() == {"a": "run-2", "b": "run-1"}


def test_report_task_prints_link_and_table(tmp_path: Path, monkeypatch, capsys) -> None:
    from scrapers.tasks.daily import report_run

    root = tmp_path / "lake"
    monkeypatch.setenv("NEWSFLOW_LAKE", str(root))
    monkeypatch.setenv("NEWSFLOW_DEMO_BASE", "http://127.0.0.1:1")
    records = [{"url": f"https://example.com/a/{n}", "title": f"Story {n}",
                "body": " ".join(["word"] * 60) + f" {n}", "authors": [], "tags": [],
                "provenance": {}, "published_at": f"{DAY}T06:00:00+00:00",
                "extractor_version": "1", "source": "himalaya-post",
                "crawled_at": f"{DAY}T23:00:00Z"} for n in range(2)]
    valid, _ = split_valid(normalize_articles(pd.DataFrame(records), "run-x"))
    merge_articles(valid, root)
    job = {"source": "himalaya-post", "day": DAY.isoformat(), "registry": str(REGISTRY)}
    summary = {"sources": {"himalaya-post": {"staged": 2, "inserted": 2}},
               "crawl_counts": {"himalaya-post": {"candidates": 9, "fetched": 2, "staged": 2,
                                                  "urls": 12}},
               "crawl_failed": {}}
    uri = report_run([job], summary, run_id="run-x")
    out = capsys.readouterr().out
    assert f"report: {uri}" in out
    assert uri == f"file://{report_file(root).resolve()}"
    assert re.search(r"source\s+status\s+found\s+fetched", out)
    assert re.search(r"himalaya-post\s+ok\s+9\s+2\s+2\s+2\s+2", out)
    assert report_file(root).is_file()


def test_one_source_run_keeps_the_other_sources_in_the_days_report(tmp_path: Path) -> None:
    """A manual run of one source replaces that source's row only; the page shows every source."""
    from transforms.report import build_report

    root = tmp_path / "lake"
    summary = {"sources": {}, "crawl_counts": {s: {"candidates": 7, "fetched": 5}
                                                for s in SOURCES}, "crawl_failed": {}}
    build_report(SOURCES, DAY, "scheduled__full", summary, {}, root)
    only = {"sources": {}, "crawl_counts": {"himalaya-post": {"candidates": 9, "fetched": 8}},
            "crawl_failed": {}}
    _, rows, text = build_report(["himalaya-post"], DAY, "manual__one", only, {}, root)

    assert list(rows["source"]) == ["himalaya-post"]  # the run's own rows
    table = read_run_reports(root).set_index("source")
    assert table["run_id"].to_dict() == {"himalaya-post": "manual__one",
                                         "indus-chronicle": "scheduled__full"}
    assert table.loc["himalaya-post", "found"] == 9 and table.loc["indus-chronicle", "found"] == 7
    page = report_file(root).read_text(encoding="utf-8")
    for source, run_id, found in (("himalaya-post", "manual__one", "9"),
                                  ("indus-chronicle", "scheduled__full", "7")):
        row = re.search(rf"<tr><td>{source}</td>(.*?)</tr>", page).group(1)
        cells = re.findall(r"<td>(.*?)</td>", row)
        assert cells[1] == found and cells[-1] == f"<code>{run_id}</code>", (source, cells)
        assert re.search(rf"^{source}\s+ok\s+{found}\s", text, re.M), text


def test_report_lists_each_sources_error_messages(tmp_path: Path, monkeypatch, capsys) -> None:
    """'errors 4' is not enough: the page and the task log name each kind, its count, an example."""
    from scrapers.tasks.crawl import error_digest
    from scrapers.tasks.daily import report_run

    root = tmp_path / "lake"
    monkeypatch.setenv("NEWSFLOW_LAKE", str(root))
    monkeypatch.setenv("NEWSFLOW_DEMO_BASE", "http://127.0.0.1:1")
    lists = {"errors": [
        {"url": "https://a.example/feed.xml", "reason": "HttpError: Ignoring non-200 response"},
        {"url": "https://a.example/2026/11/20/x", "reason": "TimeoutError: took longer than 30s"},
        {"url": "https://a.example/sitemap.xml", "reason": "HttpError: Ignoring 404"},
        {"url": "https://a.example/news/", "reason": "HttpError: Ignoring 500"},
    ]}
    digest = error_digest(lists)
    assert [(g["kind"], g["count"], g["url"]) for g in digest] == [
        ("HttpError", 3, "https://a.example/feed.xml"),
        ("TimeoutError", 1, "https://a.example/2026/11/20/x")]
    assert len(error_digest({"errors": [{"url": f"u{n}", "reason": f"E{n}: x"}
                                        for n in range(9)]}, limit=5)) == 5
    job = {"source": "himalaya-post", "day": DAY.isoformat(), "registry": str(REGISTRY)}
    summary = {"sources": {}, "crawl_failed": {},
               "crawl_counts": {"himalaya-post": {"candidates": 4, "article_errors": 1,
                                                  "documents_failed": 3}},
               "crawl_errors": {"himalaya-post": digest}}
    report_run([job], summary, run_id="run-errors")
    out = capsys.readouterr().out
    assert ("ERRORS himalaya-post: 3 x HttpError, first: https://a.example/feed.xml: "
            "HttpError: Ignoring non-200 response") in out
    assert "ERRORS himalaya-post: 1 x TimeoutError, first: https://a.example/2026/11/20/x" in out
    page = report_file(root).read_text(encoding="utf-8")
    section = re.search(r"<h2>Crawl errors of this run</h2><table class='errors'>(.*?)</table>",
                        page.replace("\n", ""))
    assert section, page
    assert "<b>3 × HttpError</b>, first: <code>https://a.example/feed.xml</code>" in section[1]
    assert "<b>1 × TimeoutError</b>" in section[1]
    row = re.search(r"<tr><td>himalaya-post</td>(.*?)</tr>", page).group(1)
    assert re.findall(r"<td>(.*?)</td>", row)[9] == "4"  # the sources table's errors cell


def test_report_without_errors_says_so(tmp_path: Path) -> None:
    from transforms.report import format_errors, render_errors

    assert render_errors({"crawl_errors": {"a": []}}) == (
        "<p>No crawl of this run recorded an error.</p>")
    assert format_errors({}) == ""
