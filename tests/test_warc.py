"""The raw WARC archive: exact round trips by raw_ref, atomic publication, re-runs, the switch."""

from __future__ import annotations

import gzip
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from scrapers.warc import (
    WarcArchive,
    is_archive_enabled,
    iter_raw,
    open_archive_for_crawler,
    read_raw,
    resolve_raw_ref,
)

DAY = date(2026, 11, 20)
FETCHED = datetime(2026, 11, 20, 4, 15, 7, 123456, tzinfo=UTC)
BODY = "<html><body><h1>بجٹ منظور</h1><p>Budget passes</p></body></html>".encode()
RESPONSE_HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Content-Encoding", "gzip"),
    ("Content-Length", "17"),
    ("Set-Cookie", "a=1"),
    ("Set-Cookie", "b=2"),
    ("Last-Modified", "Fri, 20 Nov 2026 04:00:00 GMT"),
]
STORED_HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Set-Cookie", "a=1"),
    ("Set-Cookie", "b=2"),
    ("Last-Modified", "Fri, 20 Nov 2026 04:00:00 GMT"),
    ("Content-Length", str(len(BODY))),
]


def write_one(root: Path, url: str, body: bytes, day: date = DAY, source: str = "indus-daily",
              **kwargs: object) -> str:
    """Archive one exchange in its own session and return its raw_ref."""
    with WarcArchive(root, source, day) as archive:
        return archive.write_exchange(url, [("User-Agent", "newsflow-test")], 200,
                                      [("Content-Type", "text/html")], body, FETCHED, **kwargs)


def test_round_trip_by_raw_ref_gives_the_same_bytes_and_headers(tmp_path: Path) -> None:
    binary = bytes(range(256)) * 4
    with WarcArchive(tmp_path, "indus-daily", DAY) as archive:
        ref_a = archive.write_exchange(
            "https://indus-daily.test/news/2026/11/20/budget/?utm_source=rss",
            [("User-Agent", "newsflow-test"), ("Accept", "text/html")], 200, RESPONSE_HEADERS,
            BODY, FETCHED, via="feed")
        ref_b = archive.write_exchange("https://indus-daily.test/img.bin", [], 200,
                                       [("Content-Type", "application/octet-stream")], binary,
                                       FETCHED, role="asset")
    assert ref_a.startswith("raw/date=2026-11-20/source=indus-daily/indus-daily-2026-11-20"
                            ".warc.gz#")
    a = read_raw(ref_a, tmp_path)
    assert a.body == BODY
    assert a.headers == STORED_HEADERS
    assert a.header("content-length") == str(len(BODY))
    assert a.header("Content-Encoding") is None
    assert (a.url, a.status, a.fetched_at) == (
        "https://indus-daily.test/news/2026/11/20/budget/?utm_source=rss", 200, FETCHED)
    assert (a.raw_ref, a.role, a.via) == (ref_a, "article", "feed")
    b = read_raw(ref_b, tmp_path)
    assert b.body == binary and b.role == "asset"


def test_file_is_a_valid_gzipped_warc_with_request_records(tmp_path: Path) -> None:
    ref = write_one(tmp_path, "https://indus-daily.test/a/", BODY)
    path, _ = resolve_raw_ref(ref, tmp_path)
    gzip.decompress(path.read_bytes())  # every member is well-formed gzip
    with path.open("rb") as handle:
        records = [(r.rec_type, r.rec_headers) for r in ArchiveIterator(handle, check_digests=True)]
    types = [t for t, _ in records]
    assert types == ["warcinfo", "response", "request"]
    response_id = records[1][1].get_header("WARC-Record-ID")
    assert records[2][1].get_header("WARC-Concurrent-To") == response_id
    assert records[1][1].get_header("WARC-Payload-Digest").startswith("sha1:")


def test_nothing_appears_in_raw_until_close_and_abort_leaves_nothing(tmp_path: Path) -> None:
    archive = WarcArchive(tmp_path, "indus-daily", DAY)
    archive.write_exchange("https://indus-daily.test/a/", [], 200, [], BODY, FETCHED)
    assert not (tmp_path / "raw").exists() or not list((tmp_path / "raw").rglob("*.warc.gz"))
    assert archive.temp.exists()
    assert not archive.temp.resolve().is_relative_to((tmp_path / "raw").resolve())
    archive.abort()
    assert not archive.temp.exists()
    assert not list(tmp_path.rglob("*.warc.gz"))
    assert not list((tmp_path / "_staging").iterdir())


def test_an_exception_inside_the_context_aborts(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), WarcArchive(tmp_path, "indus-daily", DAY) as archive:
        archive.write_exchange("https://indus-daily.test/a/", [], 200, [], BODY, FETCHED)
        raise RuntimeError("crawl crashed")
    assert not list(tmp_path.rglob("*.warc.gz"))
    assert not list((tmp_path / "_staging").iterdir())


def test_an_abort_after_a_good_run_keeps_the_published_file(tmp_path: Path) -> None:
    ref = write_one(tmp_path, "https://indus-daily.test/a/", BODY)
    archive = WarcArchive(tmp_path, "indus-daily", DAY)
    archive.write_exchange("https://indus-daily.test/b/", [], 200, [], b"other", FETCHED)
    archive.abort()
    assert read_raw(ref, tmp_path).body == BODY
    assert [r.url for r in iter_raw(tmp_path, DAY, DAY)] == ["https://indus-daily.test/a/"]


def test_stale_temp_of_a_crashed_writer_is_removed_on_next_open(tmp_path: Path) -> None:
    crashed = WarcArchive(tmp_path, "indus-daily", DAY)
    crashed.write_exchange("https://indus-daily.test/a/", [], 200, [], BODY, FETCHED)
    crashed.handle.close()
    crashed.lock.release()  # as if the process had died
    write_one(tmp_path, "https://indus-daily.test/b/", b"b")
    assert not crashed.temp.exists()


def test_rerun_keeps_old_refs_dedupes_unchanged_pages_and_appends_changed(tmp_path: Path
                                                                           ) -> None:
    with WarcArchive(tmp_path, "indus-daily", DAY) as first:
        ref_a = first.write_exchange("https://indus-daily.test/a/", [], 200, [], b"A1", FETCHED)
        ref_b = first.write_exchange("https://indus-daily.test/b/", [], 200, [], b"B1", FETCHED)
    with WarcArchive(tmp_path, "indus-daily", DAY) as rerun:  # archives fewer pages
        again_a = rerun.write_exchange("https://indus-daily.test/a/", [], 200, [], b"A1", FETCHED)
        new_a = rerun.write_exchange("https://indus-daily.test/a/", [], 200, [], b"A2", FETCHED)
    assert again_a == ref_a
    assert new_a != ref_a
    assert read_raw(ref_a, tmp_path).body == b"A1"
    assert read_raw(ref_b, tmp_path).body == b"B1"
    assert read_raw(new_a, tmp_path).body == b"A2"
    files = list((tmp_path / "raw").rglob("*.warc.gz"))
    assert len(files) == 1
    assert sorted(r.body for r in iter_raw(tmp_path, DAY, DAY)) == [b"A1", b"A2", b"B1"]


def test_a_rerun_that_archives_nothing_leaves_the_file_untouched(tmp_path: Path) -> None:
    ref = write_one(tmp_path, "https://indus-daily.test/a/", BODY)
    path, _ = resolve_raw_ref(ref, tmp_path)
    before = path.read_bytes()
    with WarcArchive(tmp_path, "indus-daily", DAY):
        pass
    assert path.read_bytes() == before


def test_iter_raw_covers_the_inclusive_range_and_filters_sources(tmp_path: Path) -> None:
    refs = {}
    for day in (date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)):
        for source in ("indus-daily", "ganga-news"):
            url = f"https://{source}.test/{day.isoformat()}/"
            refs[(day, source)] = write_one(tmp_path, url, url.encode(), day, source)
    got = list(iter_raw(tmp_path, date(2026, 11, 20), date(2026, 11, 21)))
    assert sorted(r.raw_ref for r in got) == sorted(
        refs[(d, s)] for d in (date(2026, 11, 20), date(2026, 11, 21))
        for s in ("indus-daily", "ganga-news"))
    for record in got:
        assert read_raw(record.raw_ref, tmp_path) == record
    only = list(iter_raw(tmp_path, date(2026, 11, 19), date(2026, 11, 22), ["ganga-news"]))
    assert {r.url.split("/")[2] for r in only} == {"ganga-news.test"}
    assert len(only) == 4
    assert list(iter_raw(tmp_path, date(2026, 12, 1), date(2026, 12, 3))) == []


def test_iter_raw_yields_document_records_with_their_role(tmp_path: Path) -> None:
    write_one(tmp_path, "https://indus-daily.test/feed.xml", b"<rss/>", role="feed")
    [record] = list(iter_raw(tmp_path, DAY, DAY))
    assert record.role == "feed"


@pytest.mark.parametrize("bad", [
    "raw/date=2026-11-20/source=indus-daily/../../../etc/passwd#0",
    "raw/date=2026-11-20/source=../x/a.warc.gz#0",
    "articles/date=2026-11-20/source=a/a.warc.gz#0",
    "raw/date=2026-11-20/source=a/a.warc.gz",
    "/raw/date=2026-11-20/source=a/a.warc.gz#0",
])
def test_malformed_or_escaping_raw_refs_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError):
        read_raw(bad, tmp_path)


def test_a_raw_ref_to_a_request_record_is_refused(tmp_path: Path) -> None:
    ref = write_one(tmp_path, "https://indus-daily.test/a/", BODY)
    path, _ = resolve_raw_ref(ref, tmp_path)
    with path.open("rb") as handle:
        records = ArchiveIterator(handle)
        offsets = []
        for record in records:
            offsets.append((record.rec_type, records.offset))
    request_offset = dict(offsets)["request"]
    with pytest.raises(ValueError, match="request"):
        read_raw(ref.split("#")[0] + f"#{request_offset}", tmp_path)


def test_switch_is_on_by_default_and_off_with_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSFLOW_RAW_ARCHIVE", raising=False)
    assert is_archive_enabled()
    for off in ("0", "false", "off", "no"):
        monkeypatch.setenv("NEWSFLOW_RAW_ARCHIVE", off)
        assert not is_archive_enabled()
    monkeypatch.setenv("NEWSFLOW_RAW_ARCHIVE", "1")
    assert is_archive_enabled()
    assert not is_archive_enabled("0")


def _crawler(settings: dict[str, object]):
    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    return get_crawler(Spider, settings)


def test_disabled_switch_gives_no_archive_and_writes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSFLOW_LAKE", str(tmp_path))
    monkeypatch.setenv("NEWSFLOW_RAW_ARCHIVE", "0")
    assert open_archive_for_crawler(_crawler({}), "indus-daily", DAY) is None
    monkeypatch.delenv("NEWSFLOW_RAW_ARCHIVE")
    crawler = _crawler({"NEWSFLOW_RAW_ARCHIVE": "0"})
    assert open_archive_for_crawler(crawler, "indus-daily", DAY) is None
    assert not list(tmp_path.rglob("*"))


def test_crawler_archive_uses_run_day_and_closes_on_spider_closed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from scrapy import Request, signals
    from scrapy.http import HtmlResponse

    monkeypatch.setenv("NEWSFLOW_LAKE", str(tmp_path))
    monkeypatch.delenv("NEWSFLOW_RAW_ARCHIVE", raising=False)
    crawler = _crawler({"NEWSFLOW_RUN_DAY": "2026-11-21"})
    archive = open_archive_for_crawler(crawler, "indus-daily", DAY)
    assert archive is not None
    assert archive.target == (tmp_path / "raw/date=2026-11-21/source=indus-daily"
                              / "indus-daily-2026-11-21.warc.gz")
    crawler.signals.send_catch_log(signals.spider_opened, spider=None)
    feed = Request("https://indus-daily.test/feed.xml", headers={"Accept": "application/xml"},
                   meta={"role": "document", "kind": "feed"})
    page = Request("https://indus-daily.test/a/", meta={"role": "article", "via": "feed"})
    feed_ref = archive.from_scrapy(HtmlResponse(feed.url, body=b"<rss/>", request=feed,
                                                headers={"Content-Type": "application/xml"}))
    page_ref = archive.from_scrapy(HtmlResponse(page.url, body=BODY, request=page, status=200,
                                                headers={"Content-Type": "text/html"}))
    assert not archive.target.exists()
    crawler.signals.send_catch_log(signals.spider_closed, spider=None, reason="finished")
    assert archive.target.exists()
    feed_raw, page_raw = read_raw(feed_ref), read_raw(page_ref)
    assert (feed_raw.role, feed_raw.body) == ("feed", b"<rss/>")
    assert (page_raw.role, page_raw.via, page_raw.body) == ("article", "feed", BODY)
    assert crawler.stats.get_value("newsflow/raw/records") == 2


def test_a_failed_write_leaves_no_partial_record_and_the_article_goes_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from scrapy import Request
    from scrapy.http import HtmlResponse

    from scrapers.warc import archive_response

    page = Request("https://indus-daily.test/a/", meta={"role": "article"})
    response = HtmlResponse(page.url, body=BODY, request=page)
    assert archive_response(None, response) is None
    archive = WarcArchive(tmp_path, "indus-daily", DAY)
    good = archive.write_exchange("https://indus-daily.test/ok/", [], 200, [], b"ok", FETCHED)

    def disk_full(request: object, response: object) -> None:
        archive.handle.write(b"\x1f\x8b half a gzip member")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(archive.writer, "write_request_response_pair", disk_full)
    assert archive_response(archive, response) is None
    monkeypatch.undo()
    later = archive.write_exchange("https://indus-daily.test/b/", [], 200, [], b"b", FETCHED)
    archive.close()
    assert [r.raw_ref for r in iter_raw(tmp_path, DAY, DAY)] == [good, later]


def test_an_archive_that_writes_nothing_takes_no_lock_and_makes_no_temp(tmp_path: Path) -> None:
    write_one(tmp_path, "https://indus-daily.test/a/", BODY)
    idle = WarcArchive(tmp_path, "indus-daily", DAY)  # an unchanged site: nothing to archive
    assert idle.lock is None and idle.handle is None and not idle.temp.exists()
    other = WarcArchive(tmp_path, "indus-daily", DAY, lock_timeout=0.1)
    other.write_exchange("https://indus-daily.test/b/", [], 200, [], b"b", FETCHED)  # not blocked
    other.close()
    idle.close()
    assert sorted(r.url for r in iter_raw(tmp_path, DAY, DAY)) == [
        "https://indus-daily.test/a/", "https://indus-daily.test/b/"]


def test_the_rerun_index_read_from_headers_equals_hashing_every_body(tmp_path: Path) -> None:
    from scrapers.warc import index_warc_file, iter_warc_file, payload_digest

    refs = [write_one(tmp_path, f"https://indus-daily.test/{n}/", f"page {n}".encode() * 50)
            for n in range(3)]
    path, _ = resolve_raw_ref(refs[0], tmp_path)
    relpath = refs[0].split("#")[0]
    by_body = {(r.url, r.status, payload_digest(r.body)): r.raw_ref
               for r in iter_warc_file(path, relpath)}
    assert index_warc_file(path, relpath) == by_body
    assert sorted(by_body.values()) == sorted(refs)
