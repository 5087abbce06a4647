"""The lake on S3: moto_server on loopback stands in for the object store.

Unit: merge / re-merge / move / read back through ``transforms.lake`` with
``NEWSFLOW_LAKE=s3://newsflow-test/...``, one upload per written partition (no temp objects),
pyarrow and pandas reading the lake straight from S3, DuckDB if its httpfs extension is installed,
and crawl state and the WARC archive on S3.  End to end: ``news_daily`` through ``dag.test`` for one
demo day with the lake on S3 (staging stays local), checked against the demo truth.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pytest

from tests.demo_truth import expected_for_day
from tests.test_lake import batch, make_record, rows
from transforms.lake import PART_FILE, lake_root, merge_articles, read_articles, read_quarantine
from transforms.lakeindex import DELTA_SUFFIX, INDEX_DIR, KEYS_SUFFIX, STATE_SUFFIX
from transforms.schema import PARTITIONING
from transforms.storage import LakeLocation

BUCKET = "newsflow-test"
DAY = date(2026, 11, 20)


@dataclass
class S3:
    """A running moto server and a boto3 client of it."""

    endpoint: str
    client: Any

    def keys(self, prefix: str) -> list[str]:
        """Every object key under ``prefix``."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def etags(self, prefix: str) -> dict[str, str]:
        """Key -> ETag of every object under ``prefix``."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
        return {o["Key"]: o["ETag"] for page in pages for o in page.get("Contents", [])}

    def fs(self) -> pafs.S3FileSystem:
        """A plain pyarrow S3 filesystem of the server (as any reader would build it)."""
        parts = urlsplit(self.endpoint)
        return pafs.S3FileSystem(endpoint_override=parts.netloc, scheme=parts.scheme,
                                 region="us-east-1")


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3]:
    """moto_server on a free 127.0.0.1 port with one bucket; AWS settings only via the env."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    mp = pytest.MonkeyPatch()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "NEWSFLOW_S3_ENDPOINT",
                     "AWS_ENDPOINT_URL_S3", "NEWSFLOW_S3_REGION"):
            mp.delenv(name, raising=False)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_REGION", "us-east-1")
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        mp.setenv("AWS_ENDPOINT_URL", endpoint)
        mp.setenv("NEWSFLOW_SCRATCH", str(tmp_path_factory.mktemp("scratch")))
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield S3(endpoint, client)
    finally:
        mp.undo()
        server.stop()


@pytest.fixture
def s3_lake(s3: S3, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """``NEWSFLOW_LAKE`` set to a fresh prefix of the test bucket; returns the key prefix."""
    prefix = f"unit/{request.node.name}"
    monkeypatch.setenv("NEWSFLOW_LAKE", f"s3://{BUCKET}/{prefix}")
    return prefix


def test_location_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain paths and file:// URIs stay local Paths; s3:// keeps bucket/prefix and env endpoint."""
    monkeypatch.setenv("NEWSFLOW_LAKE", str(tmp_path))
    assert lake_root() == tmp_path
    assert LakeLocation.parse(None).local_root == tmp_path
    monkeypatch.setenv("NEWSFLOW_LAKE", tmp_path.as_uri())
    assert lake_root() == tmp_path
    monkeypatch.setenv("NEWSFLOW_LAKE", "s3://bucket-x/some/prefix/")
    monkeypatch.setenv("NEWSFLOW_S3_ENDPOINT", "http://127.0.0.1:9")
    assert lake_root() == "s3://bucket-x/some/prefix"
    loc = LakeLocation.parse(None)
    assert not loc.local and loc.base == "bucket-x/some/prefix"
    assert loc.join("articles", "x=1") == "bucket-x/some/prefix/articles/x=1"
    assert isinstance(loc.fs, pafs.S3FileSystem)
    with pytest.raises(ValueError):
        LakeLocation.parse("s3://")


def test_merge_reads_back_and_writes_only_final_objects(
        s3: S3, s3_lake: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A merge PUTs each partition once to its final key; the bytes equal a local lake's.

    The writer's key index (``_index/``: the state, and a base and a delta per source) is
    uploaded to its final keys too; no other object is left behind.
    """
    opened: list[str] = []
    original = LakeLocation._output

    def spy(self: LakeLocation, path: str) -> pa.NativeFile:
        opened.append(path)
        return original(self, path)

    monkeypatch.setattr(LakeLocation, "_output", spy)
    first = pd.concat([batch(range(3)),
                       rows(make_record(9, source="tribune", url="https://tribune.com.pk/9"))],
                      ignore_index=True)
    result = merge_articles(first)
    assert (result.inserted, result.files_written) == (4, 2)
    keys = s3.keys(f"{s3_lake}/articles/")
    assert keys == [f"{s3_lake}/articles/date=2026-11-20/source={s}/{PART_FILE}"
                    for s in ("dawn", "tribune")]
    index = [f"{s3_lake}/{INDEX_DIR}/articles{STATE_SUFFIX}",
             *(f"{s3_lake}/{INDEX_DIR}/source={s}/articles{suffix}" for s in ("dawn", "tribune")
               for suffix in (DELTA_SUFFIX, KEYS_SUFFIX))]
    assert s3.keys(s3_lake) == sorted(index + keys)  # nothing else: no temp object, no lease
    parts = sorted(p for p in opened if f"/{INDEX_DIR}/" not in p)
    assert parts == [f"{BUCKET}/{k}" for k in keys]  # one upload each, no temp object
    assert {p for p in opened if f"/{INDEX_DIR}/" in p} == {f"{BUCKET}/{k}" for k in index}
    assert s3.client.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    df = read_articles()
    assert len(df) == 4 and set(df["source"]) == {"dawn", "tribune"}
    assert str(df["published_at"].dtype) == "datetime64[us, UTC]"
    assert read_articles(sources=["tribune"])["url"].tolist() == ["https://tribune.com.pk/9"]
    merge_articles(first, tmp_path)
    local = (tmp_path / "articles/date=2026-11-20/source=dawn" / PART_FILE).read_bytes()
    body = s3.client.get_object(Bucket=BUCKET, Key=keys[0])["Body"].read()
    assert body == local


def test_remerge_is_idempotent_and_rewrites_nothing(
        s3: S3, s3_lake: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same rows again (new crawl time) change no object; a changed row rewrites one."""
    merge_articles(batch(range(3)))
    before = s3.etags(s3_lake)
    opened: list[str] = []
    original = LakeLocation._output
    monkeypatch.setattr(LakeLocation, "_output",
                        lambda self, path: opened.append(path) or original(self, path))
    again = rows(*(make_record(n, crawled_at="2026-11-22T09:00:00Z") for n in range(3)),
                 run_id="run-2")
    result = merge_articles(again)
    assert (result.unchanged, result.files_written) == (3, 0)
    assert opened == [] and s3.etags(s3_lake) == before
    changed = merge_articles(rows(make_record(1, title="Story 1 (updated)"), run_id="run-3"))
    assert (changed.updated, changed.files_written) == (1, 1)
    assert s3.etags(s3_lake) != before
    assert read_articles().set_index("url").loc["https://dawn.com/news/1", "title"] == (
        "Story 1 (updated)")


def test_partition_move_leaves_no_stray_objects(s3: S3, s3_lake: str) -> None:
    """An article changing date moves partition; the emptied one leaves no object behind."""
    merge_articles(batch([1]))
    result = merge_articles(rows(make_record(1, published_at="2026-11-22T10:00:00Z")))
    assert (result.removed, result.inserted) == (1, 1)
    assert s3.keys(f"{s3_lake}/articles/date=2026-11-20") == []
    df = read_articles()
    assert len(df) == 1 and df["date"].tolist() == [date(2026, 11, 22)]


def test_concurrent_writers_on_one_machine_lose_nothing(s3: S3, s3_lake: str) -> None:
    """Threads merging into the same S3 partitions serialise on the machine-local lock."""
    errors: list[BaseException] = []

    def write(df: pd.DataFrame) -> None:
        try:
            merge_articles(df)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(batch(range(i * 5, i * 5 + 5)),))
               for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(read_articles()) == 20


def test_pyarrow_pandas_and_duckdb_read_the_lake_on_s3(s3: S3, s3_lake: str) -> None:
    """Other engines read the table straight from the bucket with the right types."""
    merge_articles(batch(range(3)))
    table_dir = f"{BUCKET}/{s3_lake}/articles"
    dataset = ds.dataset(table_dir, filesystem=s3.fs(), format="parquet",
                         partitioning=PARTITIONING)
    assert dataset.schema.field("date").type == pa.date32()
    assert dataset.schema.field("published_at").type == pa.timestamp("us", tz="UTC")
    assert dataset.to_table(filter=ds.field("source") == "dawn").num_rows == 3
    pdf = pd.read_parquet(table_dir, filesystem=s3.fs(), partitioning=PARTITIONING)
    assert len(pdf) == 3 and set(pdf["date"]) == {DAY}
    import duckdb

    con = duckdb.connect()
    try:
        con.sql("LOAD httpfs")
    except duckdb.Error as exc:
        pytest.skip(f"DuckDB httpfs extension not installed (no network to INSTALL it): {exc}")
    host = urlsplit(s3.endpoint).netloc
    con.sql(f"SET s3_endpoint='{host}'; SET s3_use_ssl=false; SET s3_url_style='path'; "
            "SET s3_region='us-east-1'; SET s3_access_key_id='testing'; "
            "SET s3_secret_access_key='testing'")
    got = con.sql(f"SELECT count(*) FROM read_parquet('s3://{table_dir}/**/*.parquet', "
                  "hive_partitioning=true)").fetchall()
    assert got == [(3,)]


def test_crawl_state_and_warc_archive_on_s3(s3: S3, s3_lake: str) -> None:
    """Document state and the raw WARC archive round-trip through the bucket."""
    from scrapers.discovery import DocumentLinks
    from scrapers.state import DocumentState
    from scrapers.warc import WarcArchive, iter_raw, read_raw

    state = DocumentState.load(None, "dawn")
    state.remember("https://dawn.com/feed", '"e1"', None, DocumentLinks(articles=[], documents=[]))
    state.save()
    assert s3.keys(f"{s3_lake}/state") == [f"{s3_lake}/state/source=dawn/documents.json"]
    loaded = DocumentState.load(None, "dawn")
    assert loaded.request_headers("https://dawn.com/feed") == {"If-None-Match": '"e1"'}

    fetched = datetime(2026, 11, 20, 4, tzinfo=UTC)
    with WarcArchive(lake_root(), "dawn", DAY) as archive:
        ref_a = archive.write_exchange("https://dawn.com/a", [], 200, [], b"A1", fetched)
    with WarcArchive(lake_root(), "dawn", DAY) as rerun:
        assert rerun.write_exchange("https://dawn.com/a", [], 200, [], b"A1", fetched) == ref_a
        ref_b = rerun.write_exchange("https://dawn.com/b", [], 200, [], b"B1", fetched)
    assert s3.keys(f"{s3_lake}/raw") == [
        f"{s3_lake}/raw/date=2026-11-20/source=dawn/dawn-2026-11-20.warc.gz"]
    assert read_raw(ref_a).body == b"A1" and read_raw(ref_b).body == b"B1"
    assert [r.url for r in iter_raw(None, DAY, DAY)] == ["https://dawn.com/a", "https://dawn.com/b"]
    assert s3.keys(s3_lake) == sorted(s3.keys(f"{s3_lake}/raw") + s3.keys(f"{s3_lake}/state"))


def test_news_daily_writes_the_lake_on_s3(
        s3: S3, demo_server: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """news_daily (dag.test) for one demo day merges into S3; a re-run rewrites nothing."""
    from airflow.utils.state import TaskInstanceState

    from tests.test_e2e_daily import run_daily

    prefix = "lake"
    monkeypatch.setenv("NEWSFLOW_LAKE", f"s3://{BUCKET}/{prefix}")
    monkeypatch.setenv("NEWSFLOW_STAGING", str(tmp_path / "staging"))
    monkeypatch.setenv("NEWSFLOW_REGISTRY",
                       str(Path("data/demo_sites/sources.yaml").resolve()))
    run = run_daily(DAY)
    states = {(ti.task_id, ti.map_index): ti.state for ti in run.get_task_instances()}
    crawls = [s for (task, _), s in states.items() if task == "crawl"]
    assert crawls and all(s == TaskInstanceState.SUCCESS for s in crawls), states
    assert states[("write", -1)] == TaskInstanceState.SUCCESS, states

    df = read_articles()
    # Paths compared without a trailing slash: storage does not touch URLs, and the canonical
    # form of "/dir/" links is the URL normaliser's business (tests/test_e2e_daily.py).
    got = sorted(urlsplit(u).path.rstrip("/") for u in df[df["date"] == DAY]["canonical_url"])
    assert got == sorted(p.rstrip("/") for p in expected_for_day(DAY))
    assert df["article_id"].is_unique
    keys = s3.keys(prefix)
    assert any(k.startswith(f"{prefix}/articles/date={DAY}/") for k in keys)
    assert any(k.startswith(f"{prefix}/raw/") and k.endswith(".warc.gz") for k in keys)
    assert any(k.startswith(f"{prefix}/state/") for k in keys)
    assert not any("/_staging/" in k or "/_locks/" in k or k.endswith(".tmp") for k in keys)
    assert read_quarantine().shape[1] > 0
    raw_refs = df["raw_ref"].dropna()
    assert len(raw_refs) == len(df)
    from scrapers.warc import read_raw

    assert read_raw(raw_refs.iloc[0]).status == 200

    before = s3.etags(f"{prefix}/articles")
    rerun = run_daily(DAY)
    rerun_states = {(ti.task_id, ti.map_index): ti.state for ti in rerun.get_task_instances()}
    assert rerun_states[("write", -1)] == TaskInstanceState.SUCCESS, rerun_states
    assert s3.etags(f"{prefix}/articles") == before
