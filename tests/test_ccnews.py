"""news_ccnews: backfill from a CC-NEWS-shaped archive built here with warcio, offline.

The archive (tests/ccnews_archive.py) holds ``crawl-data/CC-NEWS/2026/11/warc.paths.gz`` and
five WARC files of the demo outlets' pages, non-article pages, a 404 and hosts outside the
registry. It is served from a loopback HTTP server and from moto's S3 server; two days are
backfilled through the DAG (``dag.test``) and the lake is checked against the demo truth.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from scrapers.ccnews.archive import ArchiveStore, parse_raw_ref, read_ccnews_record
from scrapers.ccnews.discovery import (
    WarcFile,
    discover,
    listing_path,
    lookahead_days,
    parse_listing,
    select_files,
)
from tests.ccnews_archive import (
    DAYS,
    Archive,
    build_archive,
    check_lake_is_the_truth,
    lake_fingerprint,
    serve_archive,
    warc_path,
)
from tests.demo_truth import expected_for_day
from tests.test_object_storage import BUCKET, S3, s3  # noqa: F401  (the moto fixture)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_REGISTRY = PROJECT_ROOT / "data" / "demo_sites" / "sources.yaml"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, demo_server: Any) -> Archive:
    return build_archive(tmp_path_factory.mktemp("ccnews-archive"), demo_server.base_url)


@pytest.fixture(scope="module")
def http_archive(archive: Archive) -> Iterator[str]:
    with serve_archive(archive, ranges=True) as url:
        yield url


@pytest.fixture(scope="module")
def http_archive_without_ranges(archive: Archive) -> Iterator[str]:
    with serve_archive(archive, ranges=False) as url:
        yield url


@pytest.fixture(scope="module")
def s3_archive(archive: Archive, s3: S3) -> str:  # noqa: F811
    """The archive uploaded to moto's S3 server on loopback (the project's ``s3`` fixture)."""
    for path in sorted(archive.root.rglob("*.gz")):
        s3.client.upload_file(str(path), BUCKET, f"cc/{path.relative_to(archive.root)}")
    return f"s3://{BUCKET}/cc"


def test_discovery_takes_the_files_covering_the_day_and_the_lookahead(archive: Archive) -> None:
    store = ArchiveStore.parse(str(archive.root))
    assert [f.path for f in discover(store, DAYS[0], 2)] == [warc_path(i) for i in (0, 1, 2)]
    assert [f.path for f in discover(store, DAYS[1], 2)] == [warc_path(i) for i in (1, 2, 3)]
    assert [f.path for f in discover(store, DAYS[1], 0)] == [warc_path(i) for i in (1, 2)]
    assert [f.name for f in discover(store, date(2026, 11, 26), 2)] == [
        warc_path(4).rsplit("/", 1)[-1]]  # the last file: open-ended
    with pytest.raises(FileNotFoundError, match="no month 2026-10"):
        discover(store, date(2026, 10, 30), 2)


def test_a_day_crossing_into_next_months_listing_reads_both(tmp_path: Path) -> None:
    """30 Nov + 2 days reads December's listing; a missing later month is no error."""
    store = ArchiveStore.parse(str(tmp_path))
    nov = ["crawl-data/CC-NEWS/2026/11/CC-NEWS-20261130000000-00010.warc.gz"]
    dec = ["crawl-data/CC-NEWS/2026/12/CC-NEWS-20261201060000-00011.warc.gz",
           "crawl-data/CC-NEWS/2026/12/CC-NEWS-20261203000000-00012.warc.gz"]
    for month, paths in ((11, nov), (12, dec)):
        target = tmp_path / listing_path(2026, month)
        target.parent.mkdir(parents=True)
        target.write_bytes(gzip.compress("\n".join(paths).encode()))
    assert [f.path for f in discover(store, date(2026, 11, 30), 2)] == nov + dec[:1]
    assert [f.path for f in discover(store, date(2026, 12, 2), 5)] == dec  # no 2027/01: fine


@pytest.mark.parametrize("line", ["crawl-data/CC-NEWS/2026/11/../../../etc/passwd",
                                  "/crawl-data/CC-NEWS/2026/11/CC-NEWS-20261120000000-00000.warc.gz",
                                  "crawl-data/CC-NEWS/2026/11/CC-NEWS-20261340000000-00000.warc.gz",
                                  "s3://elsewhere/x.warc.gz"])
def test_a_bad_listing_line_is_a_clear_error(line: str) -> None:
    with pytest.raises(ValueError, match="line 2"):
        parse_listing(gzip.compress(
            f"crawl-data/CC-NEWS/2026/11/CC-NEWS-20261120000000-00000.warc.gz\n{line}\n"
            .encode()), "listing")


def test_selection_and_lookahead_bounds() -> None:
    files = [WarcFile(f"crawl-data/CC-NEWS/2026/11/CC-NEWS-202611{d:02d}000000-{i:05d}.warc.gz",
                      datetime(2026, 11, d, tzinfo=UTC), i) for i, d in enumerate((1, 5, 9))]
    start, end = datetime(2026, 11, 5, tzinfo=UTC), datetime(2026, 11, 6, tzinfo=UTC)
    assert select_files(files, start, end) == [files[1]]
    assert select_files(files, start - timedelta(seconds=1), end) == files[:2]
    assert lookahead_days(None) == 2 and lookahead_days("0") == 0
    for bad in ("-1", "two", "32"):
        with pytest.raises(ValueError, match="look-ahead"):
            lookahead_days(bad)


def test_harvest_keeps_registry_articles_of_the_day_and_counts_the_rest(
        archive: Archive, http_archive: str, tmp_path: Path, demo_registry: Path) -> None:
    """One file over HTTP: only the demo outlets' articles published on the day are kept."""
    import json

    from scrapers.ccnews.harvest import harvest_warc
    from scrapers.sources import load_registry

    store = ArchiveStore.parse(http_archive)
    start = datetime(2026, 11, 20, tzinfo=UTC)
    result = harvest_warc(store, warc_path(1), load_registry(demo_registry).sources, start,
                          start + timedelta(days=1), tmp_path)
    size = (archive.root / warc_path(1)).stat().st_size
    assert result.bytes_streamed == size
    in_file = [p for p, (i, _) in archive.captures.items() if i == 1]
    assert result.records == 1 + 2 * sum(1 for _ in iter_urls(archive, 1))
    assert result.skipped["other_host"] >= 1 and result.skipped["not_response/request"] > 0
    kept = {}
    for source, path in result.parts.items():
        for line in path.read_text().splitlines():
            record = json.loads(line)
            kept[urlsplit(record["url"]).path] = record
            assert record["source"] == source
    expected = {p for p in in_file if p in expected_for_day(DAYS[0])}
    assert set(kept) == expected and expected
    for path, record in kept.items():
        file_index, captured = archive.captures[path]
        assert record["crawled_at"] == captured.isoformat()
        assert record["discovered_via"] == "cc-news"
        assert record["provenance"]["archive"] == "CC-NEWS"
        assert record["provenance"]["captured_at"] == captured.isoformat()
        assert parse_raw_ref(record["raw_ref"])[0] == warc_path(file_index)
    dropped = sum(c.get("outside_day", 0) for c in result.sources.values())
    assert dropped == sum(1 for p in in_file if p not in expected)
    assert sum(c.get("not_ok_status", 0) for c in result.sources.values()) == 1


def iter_urls(archive: Archive, index: int) -> Iterator[str]:
    """Target URLs of the response records of one archive file."""
    from warcio.archiveiterator import ArchiveIterator

    with (archive.root / warc_path(index)).open("rb") as handle:
        for record in ArchiveIterator(handle):
            if record.rec_type == "response":
                yield record.rec_headers.get_header("WARC-Target-URI")


@pytest.mark.parametrize("where", ["http", "http-without-ranges", "s3", "folder"])
def test_a_raw_ref_reads_back_the_captured_page(archive: Archive, where: str,
                                                request: pytest.FixtureRequest) -> None:
    """A ranged read at the raw_ref's offset gives the page exactly as the server sent it."""
    from warcio.archiveiterator import ArchiveIterator

    root = {"http": lambda: request.getfixturevalue("http_archive"),
            "http-without-ranges": lambda: request.getfixturevalue("http_archive_without_ranges"),
            "s3": lambda: request.getfixturevalue("s3_archive"),
            "folder": lambda: str(archive.root)}[where]()
    store = ArchiveStore.parse(root)
    with (archive.root / warc_path(2)).open("rb") as handle:
        records = ArchiveIterator(handle)
        refs = []
        for record in records:
            if record.rec_type == "response":
                refs.append((records.offset, record.rec_headers.get_header("WARC-Target-URI"),
                             record.content_stream().read()))
    offset, url, body = refs[-1]
    got = read_ccnews_record(f"cc-news:{warc_path(2)}#{offset}", store)
    assert (got.url, got.body) == (url, body)
    with pytest.raises(ValueError, match="not a response"):
        read_ccnews_record(f"cc-news:{warc_path(2)}#0", store)  # the warcinfo record
    with pytest.raises(ValueError, match="not a CC-NEWS"):
        read_ccnews_record("cc-news:../../etc/passwd#0", store)


# -- the DAG ------------------------------------------------------------------------------------


def run_backfill(day: date, conf: dict | None = None):
    """Run news_ccnews through dag.test for one UTC day, as a backfill run would.

    As news_daily's, the run of day D has the data interval [D, D + 1), logical date D + 1.
    """
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
    assert bag.import_errors == {}
    logical = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return bag.dags["news_ccnews"].test(logical_date=logical, run_conf=conf)


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory: pytest.TempPathFactory, http_archive: str, demo_server: Any
               ) -> Iterator[tuple[Path, list[str], str, dict, dict]]:
    """Two days backfilled from the HTTP archive and the first again, into one local lake."""
    mp = pytest.MonkeyPatch()
    tmp = tmp_path_factory.mktemp("ccnews-lake")
    mp.setenv("NEWSFLOW_LAKE", str(tmp / "lake"))
    mp.setenv("NEWSFLOW_STAGING", str(tmp / "staging"))
    mp.setenv("NEWSFLOW_REGISTRY", str(DEMO_REGISTRY))
    mp.setenv("NEWSFLOW_CCNEWS_ARCHIVE", http_archive)
    try:
        states = [str(run_backfill(day).state) for day in DAYS]
        before = lake_fingerprint(tmp / "lake")
        rerun = str(run_backfill(DAYS[0]).state)
        yield tmp / "lake", states, rerun, before, lake_fingerprint(tmp / "lake")
    finally:
        mp.undo()


def test_backfill_of_two_days_gives_the_demo_truth(backfilled) -> None:
    root, states, rerun, _, _ = backfilled
    assert states == ["success", "success"] and rerun == "success"
    check_lake_is_the_truth(root, DAYS)


def test_rerun_of_a_backfilled_day_changes_nothing(backfilled) -> None:
    _, _, _, before, after = backfilled
    assert before and before == after


def test_staged_stats_count_records_kept_and_bytes(backfilled, archive: Archive) -> None:
    """Each source's staged stats carry the CC-NEWS counts of the run, as a crawl's would."""
    import json

    root = backfilled[0]
    staged = sorted((root.parent / "staging").glob(f"date={DAYS[1]}/run=*/*.stats.json"))
    assert {p.name for p in staged} == {f"{s}.stats.json" for s in (
        "indus-chronicle", "ganga-times", "padma-herald", "himalaya-post")}
    sizes = sum((archive.root / warc_path(i)).stat().st_size for i in (1, 2, 3))
    for path in staged:
        stats = json.loads(path.read_text())["stats"]
        source = path.name.removesuffix(".stats.json")
        kept = sum(1 for a in expected_for_day(DAYS[1]).values() if a.source == source)
        assert stats["newsflow/ccnews/files"] == 3
        assert stats["newsflow/ccnews/bytes_streamed"] == sizes
        assert stats["newsflow/ccnews/records_read"] > stats["newsflow/ccnews/matched"] > 0
        assert stats["newsflow/ccnews/kept"] == stats["newsflow/articles/staged"] == kept
        assert stats["finish_reason"] == "finished"


def test_backfill_from_s3_gives_the_same_rows(s3_archive: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              demo_server: Any) -> None:
    """The archive on S3 (moto on loopback): the same day, the same rows."""
    monkeypatch.setenv("NEWSFLOW_LAKE", str(tmp_path / "lake"))
    monkeypatch.setenv("NEWSFLOW_STAGING", str(tmp_path / "staging"))
    monkeypatch.setenv("NEWSFLOW_REGISTRY", str(DEMO_REGISTRY))
    monkeypatch.delenv("NEWSFLOW_CCNEWS_ARCHIVE", raising=False)
    run = run_backfill(DAYS[0], {"archive": s3_archive})
    assert str(run.state) == "success"
    check_lake_is_the_truth(tmp_path / "lake", DAYS[:1])


def test_a_backfilled_row_re_extracts_from_its_raw_ref(backfilled, http_archive: str,
                                                       demo_registry: Path) -> None:
    """news_reprocess's need: the archive page behind a row gives the row's fields again."""
    from scrapers.ccnews.harvest import reextract
    from scrapers.sources import load_registry
    from transforms.lake import read_articles

    registry = load_registry(demo_registry)
    store = ArchiveStore.parse(http_archive)
    df = read_articles(backfilled[0])
    for row in df.head(4).itertuples():
        record = reextract(row.raw_ref, registry.get(row.source), store)
        assert record is not None, row.url
        assert (record["title"], record["raw_ref"], record["source"]) == (
            row.title, row.raw_ref, row.source)
        assert datetime.fromisoformat(record["crawled_at"]) == row.crawled_at


def test_dag_file_imports_no_heavy_modules() -> None:
    """Parsing news_ccnews must not import scrapy, pandas, pyarrow or warcio (fsspec: Airflow's)."""
    import subprocess
    import sys

    code = ("import sys, runpy; runpy.run_path(sys.argv[1]);"
            "heavy = [m for m in ('scrapy', 'pandas', 'pyarrow', 'warcio', "
            "'trafilatura') if m in sys.modules]; print(','.join(heavy))")
    dag_file = str(PROJECT_ROOT / "dags" / "news_ccnews.py")
    out = subprocess.run([sys.executable, "-c", code, dag_file], capture_output=True, text=True,
                         check=True, cwd=PROJECT_ROOT)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("live_offset, archive_wins", [(timedelta(hours=1), False),
                                                       (timedelta(hours=-1), True)],
                         ids=["live-newer", "archive-newer"])
def test_a_live_row_wins_unless_the_capture_is_newer(
        archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_registry: Path,
        live_offset: timedelta, archive_wins: bool) -> None:
    """The merge rule: a live crawl's row stays unless the CC-NEWS capture is newer than it."""
    import json

    import pandas as pd

    from scrapers.ccnews.stage import stage_run
    from scrapers.tasks.ccnews import harvest_file
    from scrapers.tasks.daily import write_staged
    from scrapers.tasks.plan import plan_crawls
    from transforms.lake import read_articles
    from transforms.pipeline import process_staged

    monkeypatch.setenv("NEWSFLOW_LAKE", str(tmp_path / "lake"))
    monkeypatch.setenv("NEWSFLOW_STAGING", str(tmp_path / "staging"))
    start = datetime(2026, 11, 20, tzinfo=UTC)
    jobs = [j.to_dict() for j in plan_crawls(start, start + timedelta(days=1), demo_registry,
                                            ["ganga-times"], "backfill-run")]
    warcs = [{"path": warc_path(i), "name": warc_path(i).rsplit("/", 1)[-1],
              **{k: jobs[0][k] for k in ("day", "start", "end", "registry", "run")},
              "sources": ["ganga-times"], "archive": str(archive.root)} for i in (0, 1, 2)]
    for warc in warcs:
        harvest_file(warc)
    part = next((tmp_path / "staging").rglob("cc-news/*/ganga-times.jsonl"))
    archived = json.loads(part.read_text().splitlines()[0])
    live = {**archived, "title": "The live crawl's title", "raw_ref": None,
            "discovered_via": "feed", "provenance": {"title": "jsonld"},
            "crawled_at": (datetime.fromisoformat(archived["crawled_at"]) + live_offset
                           ).isoformat()}
    live_file = tmp_path / "live.jsonl"
    live_file.write_text(json.dumps(live) + "\n")
    process_staged([live_file], run_id="news_daily-live")
    totals = stage_run(jobs, warcs)
    assert totals["live_newer"]["ganga-times"] == (0 if archive_wins else 1)
    write_staged(jobs, run_id="backfill-run")
    df = read_articles(tmp_path / "lake")
    row = df[df["url"] == archived["url"]].iloc[0]
    expected = expected_for_day(DAYS[0])
    assert len(df) == sum(1 for a in expected.values() if a.source == "ganga-times")
    if archive_wins:
        assert row["title"] == archived["title"] and row["raw_ref"] == archived["raw_ref"]
    else:
        assert row["title"] == "The live crawl's title" and pd.isna(row["raw_ref"])


def test_reprocess_re_extracts_cc_news_rows_from_the_archive(backfilled, http_archive: str,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    """news_reprocess over backfilled days reads the rows' pages back from the archive; with
    today's extractor unchanged nothing in the lake changes, and an unreachable archive loses
    nothing."""
    from scrapers.tasks.reprocess import reprocess

    root = backfilled[0]
    monkeypatch.setenv("NEWSFLOW_CCNEWS_ARCHIVE", http_archive)
    before = lake_fingerprint(root)
    rows = sum(1 for d in DAYS for a in expected_for_day(d).values())
    summary = reprocess(DAYS[0], DAYS[-1], run_id="reprocess__ccnews", registry=DEMO_REGISTRY,
                        root=root, staging=root.parent / "reprocess-staging")
    assert summary["reprocess"]["ccnews_staged"] == rows
    assert summary["totals"]["updated"] == 0 and summary["totals"]["inserted"] == 0
    assert lake_fingerprint(root) == before
    check_lake_is_the_truth(root, DAYS)

    monkeypatch.setenv("NEWSFLOW_CCNEWS_ARCHIVE", "http://127.0.0.1:9/gone")
    summary = reprocess(DAYS[0], DAYS[-1], run_id="reprocess__ccnews-down",
                        registry=DEMO_REGISTRY, root=root,
                        staging=root.parent / "reprocess-staging-2")
    assert summary["reprocess"]["ccnews_unreadable"] == rows
    assert lake_fingerprint(root) == before
