"""End to end: demo sites on loopback -> news_daily in real Airflow (dag.test) -> Parquet lake.

Runs the DAG for two UTC days, reads the table back with pandas, pyarrow and DuckDB, and checks
it against the hand-written truth of the demo sites.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from tests.demo_truth import expected_for_day

DAYS = [date(2026, 11, 20), date(2026, 11, 21)]
CHROME = [
    "Dark Mode", "Advertisement", "AdSense", "Reply From", "Leave a Reply", "Comment",
    "By The Indus Chronicle", "Share on", "Subscribe", "Related stories", "\xa0",
]


def run_daily(day: date, conf: dict | None = None):
    """Run news_daily through Airflow's dag.test for one UTC day; return the DagRun."""
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(Path(__file__).resolve().parent.parent / "dags")).dags["news_daily"]
    logical = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return dag.test(logical_date=logical, run_conf=conf)


def path_of(url: str) -> str:
    """URL path without the trailing slash that canonicalisation drops."""
    return urlsplit(url).path.rstrip("/")


def lake_fingerprint(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((root / "articles").rglob("*.parquet"))
    }


@pytest.fixture(scope="module")
def daily_lake(tmp_path_factory, demo_server):
    """Two daily runs and a re-run of the first, against one lake; yields (root, fingerprints)."""
    mp = pytest.MonkeyPatch()
    tmp = tmp_path_factory.mktemp("e2e")
    root = tmp / "lake"
    mp.setenv("NEWSFLOW_LAKE", str(root))
    mp.setenv("NEWSFLOW_STAGING", str(tmp / "staging"))
    mp.setenv("NEWSFLOW_REGISTRY", str(Path("data/demo_sites/sources.yaml").resolve()))
    try:
        states = [run_daily(day).state for day in DAYS]
        before = lake_fingerprint(root)
        rerun_state = run_daily(DAYS[0]).state
        after = lake_fingerprint(root)
        yield root, states, rerun_state, before, after
    finally:
        mp.undo()


def read_table(root: Path):
    from transforms.lake import read_articles

    return read_articles(root)


def test_runs_succeed(daily_lake) -> None:
    _, states, rerun_state, _, _ = daily_lake
    assert [str(s) for s in states] == ["success", "success"]
    assert str(rerun_state) == "success"


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_exact_articles_per_day(daily_lake, day: date) -> None:
    root = daily_lake[0]
    df = read_table(root)
    got = df[df["date"] == day]
    expected = expected_for_day(day)
    assert expected, "the demo truth has articles on this day"
    got_paths = sorted(path_of(u) for u in got["canonical_url"])
    assert got_paths == sorted(p.rstrip("/") for p in expected)


def test_fields_match_the_truth(daily_lake) -> None:
    df = read_table(daily_lake[0])
    truth = {**expected_for_day(DAYS[0]), **expected_for_day(DAYS[1])}
    truth = {p.rstrip("/"): a for p, a in truth.items()}
    for row in df.itertuples():
        art = truth[path_of(row.canonical_url)]
        assert row.title == art.title, row.url
        assert list(row.authors) == list(art.authors), row.url
        assert row.published_at == art.published.astimezone(UTC), row.url
        assert row.published_offset == art.offset, row.url
        assert row.dateline == art.dateline, row.url
        assert row.body == art.body, row.url


def test_no_chrome_in_any_body(daily_lake) -> None:
    df = read_table(daily_lake[0])
    for row in df.itertuples():
        for marker in CHROME:
            assert marker not in row.body, (row.url, marker)
        assert not row.body.startswith(row.title), row.url
        assert all(p.strip() for p in row.body.split("\n\n")), row.url


def test_duplicates_collapsed_and_tag_page_absent(daily_lake) -> None:
    df = read_table(daily_lake[0])
    assert df["article_id"].is_unique
    assert df["canonical_url"].is_unique
    assert not df["canonical_url"].str.contains(r"utm_|/amp/|/tag/").any()
    assert not df["url"].str.contains("/tag/").any()


def test_rerun_of_the_same_day_changes_nothing(daily_lake) -> None:
    _, _, _, before, after = daily_lake
    assert before and before == after


def test_table_reads_in_pandas_pyarrow_and_duckdb(daily_lake) -> None:
    import duckdb
    import pandas as pd
    import pyarrow as pa
    import pyarrow.dataset as ds

    from transforms.schema import PARTITIONING

    root = daily_lake[0] / "articles"
    pdf = pd.read_parquet(root, partitioning=PARTITIONING)
    assert str(pdf["published_at"].dtype) == "datetime64[us, UTC]"
    table = ds.dataset(root, partitioning=PARTITIONING, format="parquet").to_table()
    assert table.schema.field("published_at").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("date").type == pa.date32()
    assert table.schema.field("authors").type == pa.list_(pa.string())
    rel = duckdb.sql(
        f"select date, published_at, authors from read_parquet('{root}/**/*.parquet', "
        "hive_partitioning=true, union_by_name=true)"
    )
    assert [t for _, t, *_ in rel.description] == ["DATE", "TIMESTAMP WITH TIME ZONE", "VARCHAR[]"]
    assert len(pdf) == table.num_rows == len(rel.fetchall())


def test_one_failing_source_fails_only_its_task(tmp_path, demo_server, monkeypatch,
                                                capfd) -> None:
    """A source whose host is down fails its mapped crawl; the others still write."""
    import socket

    from airflow.utils.state import TaskInstanceState

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    dead_port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    registry = yaml.safe_load(Path("data/demo_sites/sources.yaml").read_text())
    registry["sources"].append({
        "id": "dead-outlet", "name": "Dead Outlet", "homepage": f"http://127.0.0.1:{dead_port}/",
        "country": "PK", "languages": ["en"], "timezone": "Asia/Karachi",
        "allowed_domains": ["127.0.0.1"], "feeds": [f"http://127.0.0.1:{dead_port}/feed.xml"],
        "politeness": {"download_delay": 0, "autothrottle": False},
    })
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump(registry))
    monkeypatch.setenv("NEWSFLOW_LAKE", str(tmp_path / "lake"))
    monkeypatch.setenv("NEWSFLOW_STAGING", str(tmp_path / "staging"))
    monkeypatch.setenv("NEWSFLOW_REGISTRY", str(path))
    run = run_daily(DAYS[0], {"sources": ["padma-herald", "dead-outlet"]})
    states = {(ti.task_id, ti.rendered_map_index): ti.state for ti in run.get_task_instances()}
    assert states[("crawl", "dead-outlet")] == TaskInstanceState.FAILED
    assert states[("crawl", "padma-herald")] == TaskInstanceState.SUCCESS
    assert states[("write", None)] == TaskInstanceState.SUCCESS
    # the one gate names the source whose crawl failed, which holds back the Asset event
    assert states[("gate", None)] == TaskInstanceState.FAILED
    output = "".join(capfd.readouterr())
    assert re.search(r"GateFailed: 1 of 2 source\(s\) failed the quality gate \(dead-outlet\):"
                     r"\ndead-outlet: crawl failed, no data for the day", output), output[-3000:]
    assert "news_articles event extra" not in output
    assert str(run.state) == "failed", "a failed source marks the whole run failed"
    df = read_table(tmp_path / "lake")
    assert set(df["source"]) == {"padma-herald"}
    assert len(df) == sum(1 for a in expected_for_day(DAYS[0]).values()
                          if a.source == "padma-herald")
    # the report says what went wrong, not only how many errors: kind, count, first URL
    page = (tmp_path / "lake" / "reports" / f"date={DAYS[0]}" / "report.html").read_text()
    errors = re.search(r"<table class='errors'>.*?</table>", page, re.S)
    assert errors, "no crawl errors section"
    row = re.search(r"<tr><td>dead-outlet</td>(.*?)</tr>", errors.group(0), re.S)
    assert row and re.search(r"<b>\d+ × \w+</b>, first: <code>http://127\.0\.0\.1:"
                             rf"{dead_port}/feed\.xml</code>", row.group(1)), errors.group(0)
    assert "padma-herald" not in errors.group(0)


@pytest.fixture
def one_source_lake(tmp_path, demo_server, monkeypatch) -> Path:
    """A fresh lake and staging for a single-source run against the demo sites."""
    monkeypatch.setenv("NEWSFLOW_LAKE", str(tmp_path / "lake"))
    monkeypatch.setenv("NEWSFLOW_STAGING", str(tmp_path / "staging"))
    monkeypatch.setenv("NEWSFLOW_REGISTRY", str(Path("data/demo_sites/sources.yaml").resolve()))
    return tmp_path / "lake"


def test_manual_run_crawls_the_day_param(one_source_lake, capfd) -> None:
    """Logical date 11-22 00:00 infers [11-21, 11-22); the `day` param 11-20 is what is crawled."""
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(Path(__file__).resolve().parent.parent / "dags")).dags["news_daily"]
    run = dag.test(logical_date=datetime(2026, 11, 22, tzinfo=UTC),
                   run_conf={"day": "2026-11-20", "sources": ["padma-herald"]})
    out = capfd.readouterr().out
    assert str(run.state) == "success"
    assert ("news_daily crawls UTC day 2026-11-20: [2026-11-20T00:00:00+00:00, "
            "2026-11-21T00:00:00+00:00) chosen by the run's day param") in out
    df = read_table(one_source_lake)
    truth = [a for a in expected_for_day(DAYS[0]).values() if a.source == "padma-herald"]
    assert truth and len(df) == len(truth)
    assert set(df["date"]) == {DAYS[0]} and set(df["source"]) == {"padma-herald"}
    # the crawl task's readable summary, then the write task's row counts and the report link
    summary = re.search(r"^crawl of padma-herald: finished\n(?:  .*\n)+", out, re.M)
    assert summary, out
    text = summary.group(0)
    assert re.search(rf"articles +\d+ requested, \d+ fetched, {len(truth)} staged", text)
    for label in ("documents", "candidates", "in the window", "robots.txt", "errors"):
        assert label in text, label
    assert re.search(r"WARC +\S+/raw/date=2026-11-20/source=padma-herald/"
                     r"padma-herald-2026-11-20\.warc\.gz \(\d+ records this run\)", text)
    assert re.search(r"stats file +\S+/date=2026-11-20/\S*padma-herald\S*", text), text
    assert re.search(rf"padma-herald: {len(truth)} staged, {len(truth)} inserted", out)
    report = one_source_lake / "reports" / "date=2026-11-20" / "report.html"
    assert f"report: file://{report.resolve()}" in out


def test_run_without_logical_date_reports_the_previous_utc_day(one_source_lake, capfd) -> None:
    """`airflow dags trigger` / a REST trigger with logical_date null: no data interval at all.

    plan picks the previous UTC day; gate and report take it from plan's jobs (they used to
    fail with KeyError 'data_interval_start').
    """
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils.state import TaskInstanceState

    dag = DagBag(dag_folder=str(Path(__file__).resolve().parent.parent / "dags")).dags["news_daily"]
    before = datetime.now(UTC).date() - timedelta(days=1)
    run = dag.test(logical_date=None, run_conf={"sources": ["padma-herald"]})
    after = datetime.now(UTC).date() - timedelta(days=1)
    out = "".join(capfd.readouterr())
    assert run.logical_date is None and run.data_interval_start is None
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert "KeyError" not in out
    assert states["plan"] == states["crawl"] == states["write"] == TaskInstanceState.SUCCESS
    assert states["report"] == TaskInstanceState.SUCCESS
    day = next(d for d in (before, after)
               if f"news_daily crawls UTC day {d.isoformat()}" in out)
    assert "chosen by no logical date: the previous UTC day" in out
    assert (one_source_lake / "reports" / f"date={day.isoformat()}" / "report.html").is_file()
    # no demo article is dated then: the gate may fail (and hold the Asset event back), but on
    # its checks, not by crashing
    assert states["gate"] in (TaskInstanceState.SUCCESS, TaskInstanceState.FAILED)
    if states["gate"] == TaskInstanceState.FAILED:
        assert "failed the quality gate (padma-herald):" in out, out[-3000:]
