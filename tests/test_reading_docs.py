"""Every code block of docs/reading.md runs against a small demo-shaped lake.

The lake has three days of one outlet (the oldest partition written by schema v1), a quarantined
row, run reports and raw HTML in a WARC. Blocks run from a directory where it is ``data/lake``,
with ``NEWSFLOW_LAKE`` unset, as a reader at the repository root would run them. Python blocks
are executed, SQL blocks go to DuckDB, shell blocks to bash, the Spark block to a PySpark
process in the Asia/Kolkata zone. A block no runner takes fails the test; a block that cannot
run here is named in ``NOT_RUN_HERE`` with its reason, and that reason is checked.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.test_schema_evolution import write_v1
from transforms.lake import (
    merge_articles,
    merge_quarantine,
    merge_run_reports,
    read_articles,
    read_quarantine,
)
from transforms.normalize import normalize_articles
from transforms.report import report_frame
from transforms.validate import split_valid

PROJECT = Path(__file__).resolve().parents[1]
READING = PROJECT / "docs" / "reading.md"
FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<code>.*?)^```", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^## (?P<title>.+)$", re.MULTILINE)
BODY = "The assembly approved the budget on Friday after a long debate in the house."
WARC_PATH = "raw/date=2026-11-20/source=dawn/crawl-0.warc.gz"
RUNNERS = {"python": "python", "python plain": "plain", "python spark": "spark", "sql": "sql",
           "sh": "shell"}

NOT_RUN_HERE: dict[str, str] = {}


@dataclass(frozen=True)
class Block:
    """One fenced code block of docs/reading.md."""

    heading: str
    info: str
    code: str
    line: int

    @property
    def key(self) -> str:
        return f"{self.heading} [{self.info}]"

    @property
    def runner(self) -> str | None:
        return RUNNERS.get(self.info)


def doc_blocks() -> list[Block]:
    """Every fenced block, with the ``##`` section it is in."""
    text = READING.read_text(encoding="utf-8")
    headings = [(m.start(), m["title"]) for m in HEADING.finditer(text)]
    blocks = []
    for match in FENCE.finditer(text):
        heading = next((t for at, t in reversed(headings) if at < match.start()), "(top)")
        blocks.append(Block(heading, match["info"].strip(), match["code"],
                            text.count("\n", 0, match.start()) + 1))
    return blocks


def blocks_run_by(runner: str) -> list[Block]:
    return [b for b in doc_blocks() if b.runner == runner]


def block(key: str) -> Block:
    found = [b for b in doc_blocks() if b.key == key]
    assert len(found) == 1, f"{key}: {len(found)} blocks"
    return found[0]


# -- the lake ------------------------------------------------------------------------------

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


def record(n: int, day: str, title: str | None = None) -> dict[str, Any]:
    """A staged record of dawn published at ``n`` o'clock UTC on ``day``."""
    return {"url": f"https://dawn.com/news/{n}", "title": f"Story {n}" if title is None else title,
            "body": f"{BODY} {n}", "authors": [], "published_at": f"{day}T0{n}:00:00Z",
            "extractor_version": "1", "source": "dawn", "crawled_at": "2026-11-21T00:00:00Z"}


def build_lake(root: Path, *, legacy: bool, refused: bool) -> Path:
    """Articles 1, 2 (one story, raw HTML archived) on 11-20 and 3 on 11-19; with ``legacy``
    article 7 on 11-18 in a schema v1 file; with ``refused`` a row without a title."""
    pages = {f"https://dawn.com/news/{n}": f"<html><body>Story {n}</body></html>".encode()
             for n in (1, 2)}
    offsets = write_warc(root / WARC_PATH, pages)
    assert offsets["https://dawn.com/news/2"] > 0
    records = [record(1, "2026-11-20"), record(2, "2026-11-20"), record(3, "2026-11-19")]
    if refused:
        records.append(record(4, "2026-11-20", title=""))
    valid, quarantine = split_valid(normalize_articles(pd.DataFrame(records), "run-1"))
    assert len(quarantine) == int(refused)
    first = valid.loc[valid["url"].str.endswith("/1"), "article_id"].item()
    valid["story_id"] = [first, first, None]
    valid["raw_ref"] = [f"{WARC_PATH}#{offsets[u]}" if u in offsets else None
                        for u in valid["url"]]
    merge_articles(valid, root)
    if refused:
        merge_quarantine(quarantine, root)
    merge_run_reports(report_frame(["dawn"], date(2026, 11, 20), "run-1", {}, {}), root)
    if legacy:
        write_v1(root, "2026-11-18", 7)
    return root


@pytest.fixture(scope="module")
def demo_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory holding ``data/lake``: mixed schema versions, one refused row."""
    where = tmp_path_factory.mktemp("reading")
    build_lake(where / "data" / "lake", legacy=True, refused=True)
    return where


@pytest.fixture(scope="module")
def fresh_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory holding ``data/lake``: one schema version, nothing refused."""
    where = tmp_path_factory.mktemp("reading-fresh")
    build_lake(where / "data" / "lake", legacy=False, refused=False)
    return where


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], Path]:
    """Run from ``where`` (its ``data/lake`` is the lake) with ``NEWSFLOW_LAKE`` unset."""
    def enter(where: Path) -> Path:
        monkeypatch.delenv("NEWSFLOW_LAKE", raising=False)
        monkeypatch.chdir(where)
        return where
    return enter


def run_python(item: Block) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "reading_example"}
    exec(compile(item.code, f"{READING}:{item.line}", "exec"), namespace)
    return namespace


def run_sql(item: Block) -> list[tuple[Any, ...]]:
    import duckdb

    with duckdb.connect() as con:
        return con.sql(item.code).fetchall()


def run_shell(item: Block) -> str:
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", item.code], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


# -- what each block must find in the demo lake -----------------------------------------------


def check_pandas(ns: dict[str, Any]) -> None:
    assert len(ns["recent"]) == 2 and set(ns["recent"]["date"]) == {date(2026, 11, 20)}
    assert "published_precision" in ns["recent"]
    everything = ns["everything"]
    assert len(everything) == 4
    assert everything.loc[everything["date"] == date(2026, 11, 18), "story_id"].isna().all()
    assert len(ns["one_per_story"]) == 3  # 1+2 are one story; 3; 7 (v1) by its article_id


def check_duckdb(ns: dict[str, Any]) -> None:
    per_day = ns["per_day"]
    assert [(pd.Timestamp(d).date(), s, n) for d, s, n in per_day.itertuples(index=False)] == [
        (date(2026, 11, 20), "dawn", 2)]
    assert len(ns["one_per_story"]) == 3


def check_polars(ns: dict[str, Any]) -> None:
    assert ns["recent"].height == 2
    assert ns["one_per_story"].height == 3
    assert ns["one_per_story"]["story_id"].null_count() == 2  # article 3 and v1 article 7


def check_raw_html(ns: dict[str, Any]) -> None:
    assert ns["html"].startswith(b"<html>")
    assert ns["url"].startswith("https://dawn.com/news/")


def check_quarantine(ns: dict[str, Any]) -> None:
    refused = ns["refused"]
    assert list(refused["url"]) == ["https://dawn.com/news/4"]
    assert "title" in refused["reason"].item()


PYTHON_CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "pandas [python]": check_pandas,
    "DuckDB [python]": check_duckdb,
    "Polars [python]": check_polars,
    "Raw HTML of a row (WARC via `raw_ref`) [python]": check_raw_html,
    "Quarantined rows [python]": check_quarantine,
}
SQL_ROWS = {
    "DuckDB [sql]": [(date(2026, 11, 19), "dawn", 1, 1), (date(2026, 11, 20), "dawn", 2, 1)],
}


def test_every_block_has_a_runner() -> None:
    """Each block is run by a test below or named, with a reason, as one that cannot run here."""
    blocks = doc_blocks()
    keys = [b.key for b in blocks]
    assert len(keys) == len(set(keys)), "two blocks of one kind in one section"
    assert [b.key for b in blocks if b.runner is None] == []
    assert set(NOT_RUN_HERE) <= set(keys), "allow-list names a block that is gone"
    for key in PYTHON_CHECKS:
        assert block(key).runner == "python"
    assert {b.runner for b in blocks} == {"python", "plain", "spark", "sql", "shell"}


def test_allow_list_reasons_still_hold() -> None:
    """Spark is allow-listed only while pyspark is not a dependency of the project."""
    groups = tomllib.loads((PROJECT / "pyproject.toml").read_text())
    declared = [d for group in groups.get("dependency-groups", {}).values() for d in group
                if isinstance(d, str)] + groups["project"]["dependencies"]
    assert set(NOT_RUN_HERE) <= {"Spark [python spark]"}
    if "Spark [python spark]" in NOT_RUN_HERE:
        assert not any(re.match(r"pyspark\b", d) for d in declared), (
            "pyspark is a dependency now: remove the Spark entry from NOT_RUN_HERE")


@pytest.mark.parametrize("key", [b.key for b in blocks_run_by("python")])
def test_python_example_runs(demo_lake: Path, at: Callable[[Path], Path], key: str,
                             capsys: pytest.CaptureFixture[str]) -> None:
    """Each Python example runs against the demo lake and finds what it should."""
    at(demo_lake)
    namespace = run_python(block(key))
    if key in PYTHON_CHECKS:
        PYTHON_CHECKS[key](namespace)
    assert capsys.readouterr().out


@pytest.mark.parametrize("key", [b.key for b in blocks_run_by("sql")])
def test_sql_example_runs_in_duckdb(demo_lake: Path, at: Callable[[Path], Path], key: str
                                    ) -> None:
    at(demo_lake)
    rows = run_sql(block(key))
    assert rows
    if key in SQL_ROWS:
        assert rows == SQL_ROWS[key]


def test_shell_example_lists_quarantine_only_once_a_row_is_refused(
        demo_lake: Path, fresh_lake: Path, at: Callable[[Path], Path]) -> None:
    """quarantine/ is there after a refusal; a lake that refused nothing has none."""
    [item] = blocks_run_by("shell")
    at(demo_lake)
    assert run_shell(item).split() == [
        "data/lake/quarantine/date=2026-11-20/source=dawn/part-0.parquet"]
    at(fresh_lake)
    assert not (fresh_lake / "data" / "lake" / "quarantine").exists()
    assert run_shell(item).strip() == "no row quarantined yet"
    assert read_quarantine("data/lake").empty
    with pytest.raises(FileNotFoundError):
        pd.read_parquet("data/lake/quarantine")


def test_plain_reads_type_date_as_the_table_says(fresh_lake: Path, at: Callable[[Path], Path]
                                                 ) -> None:
    """Without the project's helpers: pandas category, pyarrow string, DuckDB and Polars date."""
    import polars as pl
    import pyarrow as pa
    import pyarrow.parquet as pq

    at(fresh_lake)
    [item] = blocks_run_by("plain")
    ns = run_python(item)
    assert isinstance(ns["pandas_recent"]["date"].dtype, pd.CategoricalDtype)
    assert set(ns["pandas_recent"]["date"].astype(str)) == {"2026-11-20"}
    assert ns["arrow_recent"].schema.field("date").type == pa.string()
    assert pa.types.is_dictionary(pq.read_table("data/lake/articles").schema.field("date").type)
    assert str(ns["duckdb_recent"]["date"].dtype) == "datetime64[us]"
    assert ns["polars_recent"].schema["date"] == pl.Date
    for name in ("pandas_recent", "duckdb_recent"):
        assert len(ns[name]) == 2, name
    assert ns["arrow_recent"].num_rows == ns["polars_recent"].height == 2
    assert "story_id" in ns["pandas_recent"]  # one schema version: every column is there


def test_plain_read_literals_the_table_warns_about(fresh_lake: Path, at: Callable[[Path], Path]
                                                   ) -> None:
    """The literals the table says fail do fail, and the ones it gives work."""
    import duckdb
    import polars as pl
    import pyarrow as pa
    import pyarrow.dataset as ds

    at(fresh_lake)
    with pytest.raises(pa.ArrowNotImplementedError):
        pd.read_parquet("data/lake/articles", filters=[("date", ">=", date(2026, 11, 20))])
    frame = pd.read_parquet("data/lake/articles")
    assert (frame["date"] == "2026-11-20").sum() == 2
    with pytest.raises(TypeError, match="Unordered Categoricals"):
        frame[frame["date"] >= "2026-11-20"]
    assert (frame["date"].astype(str) >= "2026-11-20").sum() == 2
    dataset = ds.dataset("data/lake/articles", partitioning="hive")
    with pytest.raises(pa.ArrowNotImplementedError):
        dataset.to_table(filter=ds.field("date") >= date(2026, 11, 20))
    assert duckdb.sql("SELECT typeof(date), count(*) FROM "
                      "read_parquet('data/lake/articles/**/*.parquet') WHERE date >= '2026-11-20' "
                      "GROUP BY ALL").fetchall() == [("DATE", 2)]
    lazy = pl.scan_parquet("data/lake/articles")
    with pytest.raises(pl.exceptions.InvalidOperationError):
        lazy.filter(pl.col("date") >= "2026-11-20").collect()
    assert "date" not in pl.scan_parquet("data/lake/articles/**/*.parquet").collect_schema()


def test_plain_reads_of_a_mixed_lake_lose_or_refuse_columns(
        demo_lake: Path, at: Callable[[Path], Path]) -> None:
    """As the doc warns: pandas drops the newer columns silently, Polars refuses the scan."""
    import polars as pl

    at(demo_lake)
    [item] = blocks_run_by("plain")
    namespace: dict[str, Any] = {}
    with pytest.raises(pl.exceptions.SchemaError, match="extra column"):
        exec(compile(item.code, f"{READING}:{item.line}", "exec"), namespace)
    assert len(namespace["pandas_recent"]) == 2
    assert "story_id" not in namespace["pandas_recent"]
    assert "story_id" not in namespace["duckdb_recent"]
    assert read_articles("data/lake", dates=["2026-11-20"])["story_id"].notna().all()


# -- Spark --------------------------------------------------------------------------------

SPARK_RUNNER = """
import json, sys
from pyspark.sql import SparkSession

namespace = {"__name__": "reading_example"}
exec(compile(open(sys.argv[1]).read(), sys.argv[2], "exec"), namespace)
spark = SparkSession.builder.getOrCreate()
out = {"zone": spark.conf.get("spark.sql.session.timeZone"),
       "date_type": dict(namespace["articles"].dtypes)["date"],
       "stories": namespace["one_per_story"].count(),
       "legacy_story_ids": namespace["articles"].where("date = DATE '2026-11-18'")
                           .select("story_id").collect()[0][0],
       "recent": [[r.article_id, r.published_at.isoformat(), r.date.isoformat()]
                  for r in namespace["recent_rows"].itertuples()]}
out["collected"] = sorted(r[0].isoformat() for r in
                         namespace["recent"].select("published_at").collect())
spark.conf.set("spark.sql.session.timeZone", "Asia/Kolkata")
out["kolkata"] = sorted(t.isoformat() for t in
                        namespace["recent"].select("published_at").toPandas()["published_at"])
spark.stop()
print("RESULT " + json.dumps(out))
"""


def test_spark_example(demo_lake: Path, tmp_path: Path) -> None:
    """The Spark block in a Kolkata-zoned process: UTC instants, typed date, v1 rows merged."""
    key = "Spark [python spark]"
    if key in NOT_RUN_HERE and find_spec("pyspark") is None:
        pytest.skip(NOT_RUN_HERE[key])
    item = block(key)
    code = tmp_path / "spark_block.py"
    code.write_text(item.code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "NEWSFLOW_LAKE"}
    env.update(TZ="Asia/Kolkata", SPARK_LOCAL_IP="127.0.0.1",
               PYSPARK_SUBMIT_ARGS="--master local[1] --conf spark.ui.enabled=false "
                                   "--conf spark.driver.host=127.0.0.1 pyspark-shell")
    done = subprocess.run([sys.executable, "-c", SPARK_RUNNER, str(code),
                           f"{READING}:{item.line}"], cwd=demo_lake, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    result = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and result, done.stderr[-3000:]
    out = json.loads(result[0].removeprefix("RESULT "))
    assert out["zone"] == "UTC" and out["date_type"] == "date"
    assert out["stories"] == 3 and out["legacy_story_ids"] is None
    stored = read_articles(demo_lake / "data" / "lake", dates=["2026-11-20"])
    expected = sorted([a, t.tz_convert(None).isoformat(), d.isoformat()] for a, t, d in
                      zip(stored["article_id"], stored["published_at"], stored["date"],
                          strict=True))
    assert sorted(out["recent"]) == expected
    shifted = sorted((pd.Timestamp(t) + pd.Timedelta(hours=5, minutes=30)).isoformat()
                     for _, t, _ in expected)
    assert out["kolkata"] == shifted, "a Kolkata session no longer shifts: revise the doc"
    assert out["collected"] == shifted, "collect() is no longer in local time: revise the doc"
