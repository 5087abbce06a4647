"""The ``newsflow`` console script, run as ``python -m scrapers.cli`` in a subprocess."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
import yaml

from scrapers.demo.content import expected_articles
from tests.test_reprocess import GANGA_A, INDUS_A, INDUS_B, REGISTRY, archived, rows
from transforms.lake import merge_run_reports, read_articles

__all__ = ["archived"]  # the fixture, used by name below

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def newsflow(*args: str, stderr: int | None = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    """Run the command with the test's environment (its lake, staging and registry)."""
    return subprocess.run([sys.executable, "-m", "scrapers.cli", *args], cwd=PROJECT_ROOT,
                          env=dict(os.environ), stdout=subprocess.PIPE, stderr=stderr,
                          text=True, timeout=300, check=False)


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A two-source registry (no outlet is ever fetched)."""
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump(REGISTRY), encoding="utf-8")
    monkeypatch.setenv("NEWSFLOW_REGISTRY", str(path))
    return path


# --------------------------------------------------------------------------- help and errors


@pytest.mark.parametrize(("command", "expected"), [
    ([], ["crawl", "backfill", "reprocess", "sources", "lake"]),
    (["crawl"], ["--date", "--write", "SOURCE"]),
    (["backfill"], ["--from D1", "--to D2", "--sources"]),
    (["reprocess"], ["--from D1", "--to D2", "--wait", "WARC"]),
    (["sources", "check"], ["--timeout", "--deadline", "robots.txt"]),
    (["lake", "show"], ["--table", "articles,quarantine,run_reports", "--date", "--columns"]),
])
def test_every_subcommand_has_help(command: list[str], expected: list[str]) -> None:
    result = newsflow(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: {' '.join(['newsflow', *command])}")
    for text in expected:
        assert text in result.stdout, text


@pytest.mark.parametrize("command", [
    ["crawl", "ganga-news", "--date", "2026-11-31"],
    ["reprocess", "--from", "20261118", "--to", "2026-11-24"],
    ["lake", "show", "--date", "yesterday"],
])
def test_a_bad_date_is_a_usage_error(command: list[str], lake: Path, registry: Path) -> None:
    result = newsflow(*command)
    assert result.returncode == 2
    assert "is not a UTC day written YYYY-MM-DD" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("command", [
    ["crawl", "no-such-outlet", "--date", "2026-11-20"],
    ["backfill", "--from", "2026-11-20", "--to", "2026-11-21", "--sources", "no-such-outlet"],
    ["reprocess", "--from", "2026-11-20", "--to", "2026-11-21", "--sources", "no-such-outlet"],
])
def test_an_unknown_source_is_a_usage_error(command: list[str], lake: Path,
                                            registry: Path) -> None:
    result = newsflow(*command)
    assert result.returncode == 2
    assert f"newsflow {command[0]}: error: unknown source(s)" in result.stderr
    assert "no-such-outlet" in result.stderr and "ganga-news" in result.stderr
    assert not lake.exists()  # refused before anything ran


def test_a_reversed_range_and_an_unknown_table_are_usage_errors(lake: Path,
                                                                registry: Path) -> None:
    reversed_range = newsflow("backfill", "--from", "2026-11-22", "--to", "2026-11-20")
    assert reversed_range.returncode == 2
    assert "--from 2026-11-22 is after --to 2026-11-20" in reversed_range.stderr
    table = newsflow("lake", "show", "--table", "stories")
    assert table.returncode == 2
    assert "invalid choice: 'stories'" in table.stderr


# --------------------------------------------------------------------------- lake show


def report(source: str, day: date, status: str) -> dict[str, object]:
    """One run_reports row."""
    return {"run_id": f"run-{day}", "date": day, "source": source, "found": 4, "fetched": 3,
            "staged": 3, "written": 2, "duplicates": 1, "quarantined": 0, "robots_refused": 0,
            "errors": 0, "complete_share": 1.0, "status": status,
            "created_at": pd.Timestamp(datetime(2026, 11, 25, tzinfo=UTC)).as_unit("us")}


def test_lake_show_counts_partitions_and_prints_rows(lake: Path) -> None:
    merge_run_reports(pd.DataFrame([report("dawn", date(2026, 11, 20), "ok"),
                                    report("jang", date(2026, 11, 20), "warn"),
                                    report("dawn", date(2026, 11, 21), "failed")]), lake)
    overview = newsflow("lake", "show")
    assert overview.returncode == 0, overview.stderr
    lines = overview.stdout.splitlines()
    assert "articles: no rows" in lines
    assert "run_reports: 3 rows in 3 partitions, days 2026-11-20..2026-11-21" in lines
    assert [line.split() for line in lines if line.startswith("  ")] == [
        ["2026-11-20", "dawn", "1"], ["2026-11-20", "jang", "1"], ["2026-11-21", "dawn", "1"]]

    one_day = newsflow("lake", "show", "--table", "run_reports", "--date", "2026-11-20",
                       "--columns", "source,status,date")
    assert one_day.returncode == 0, one_day.stderr
    table = [line.split() for line in one_day.stdout.splitlines()]
    assert table == [["source", "status", "date"], ["dawn", "ok", "2026-11-20"],
                     ["jang", "warn", "2026-11-20"]]

    limited = newsflow("lake", "show", "--table", "run_reports", "--limit", "1")
    assert limited.stdout.splitlines()[1].split()[0] == "2026-11-21"  # newest day first
    assert limited.stdout.splitlines()[-1] == "... 2 more rows (--limit)"

    elsewhere = newsflow("lake", "show", "--lake", str(lake.parent / "other-lake"))
    assert elsewhere.stdout.splitlines() == [
        "articles: no rows", "quarantine: no rows", "run_reports: no rows"]

    unknown = newsflow("lake", "show", "--table", "run_reports", "--columns", "nope")
    assert unknown.returncode == 2
    assert "unknown columns ['nope']" in unknown.stderr


# --------------------------------------------------------------------------- reprocess


def test_reprocess_over_two_archived_days(archived: dict[str, str], lake: Path) -> None:
    result = newsflow("reprocess", "--from", "2026-11-18", "--to", "2026-11-24",
                      "--run-id", "cli__test")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("reprocess of run days 2026-11-18..2026-11-24 (run id "
                                    "cli__test): 4 archived pages selected, 3 staged")
    assert "3 inserted, 0 updated, 0 unchanged" in result.stdout
    assert "\x1b[" not in result.stderr  # not a terminal: no progress bar
    assert list(rows(lake)["url"]) == sorted([GANGA_A, INDUS_A, INDUS_B])

    again = newsflow("reprocess", "--from", "2026-11-18", "--to", "2026-11-24", "--json")
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["totals"]["inserted"] == 0 and summary["totals"]["unchanged"] == 3

    shown = newsflow("lake", "show", "--table", "articles", "--columns", "url", "--width", "200")
    assert sorted(shown.stdout.split()[1:]) == sorted([GANGA_A, INDUS_A, INDUS_B])


def read_terminal(leader: int, into: list[bytes]) -> None:
    """Read a pseudo-terminal's output until its other side is closed."""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the other side is closed and everything was read
            return
        if not chunk:
            return
        into.append(chunk)


def test_the_progress_bar_goes_to_stderr_when_it_is_a_terminal(
        archived: dict[str, str], lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    leader, follower = pty.openpty()
    seen: list[bytes] = []
    reader = threading.Thread(target=read_terminal, args=(leader, seen), daemon=True)
    reader.start()
    try:
        result = newsflow("reprocess", "--from", "2026-11-18", "--to", "2026-11-24",
                          stderr=follower)
    finally:
        os.close(follower)
        reader.join(timeout=30)
        os.close(leader)
    assert result.returncode == 0
    text = b"".join(seen).decode("utf-8", "replace")
    assert "reprocess 2026-11-18..2026-11-24" in text and "4/4" in text
    assert "reprocess 2026-11-18..2026-11-24" not in result.stdout
    assert "3 inserted" in result.stdout


def test_output_printed_under_the_bar_stays_on_stdout_when_it_is_a_file(tmp_path: Path) -> None:
    script = ("from scrapers.cli import make_progress\n"
              "with make_progress() as bar:\n"
              "    task = bar.add_task('work', total=2)\n"
              "    print('summary line', flush=True)\n"
              "    bar.advance(task, 2)\n")
    leader, follower = pty.openpty()
    seen: list[bytes] = []
    reader = threading.Thread(target=read_terminal, args=(leader, seen), daemon=True)
    reader.start()
    out = tmp_path / "out.txt"
    try:
        with out.open("w") as handle:
            done = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT,
                                  stdout=handle, stderr=follower, timeout=60, check=False)
    finally:
        os.close(follower)
        reader.join(timeout=30)
        os.close(leader)
    assert done.returncode == 0
    assert out.read_text() == "summary line\n"
    terminal = b"".join(seen).decode("utf-8", "replace")
    assert "work" in terminal and "2/2" in terminal and "summary line" not in terminal


# --------------------------------------------------------------------------- crawl


def test_crawl_and_write_one_demo_outlet_day(demo_registry: Path, lake: Path) -> None:
    result = newsflow("crawl", "indus-chronicle", "--date", "2026-11-20", "--write")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "crawl of indus-chronicle: finished" in result.stdout
    assert "write for UTC day 2026-11-20: 1 source(s), 0 crawl(s) failed" in result.stdout
    truth = expected_articles(os.environ["NEWSFLOW_DEMO_BASE"], date(2026, 11, 20))
    wanted = sorted(a["url"] for a in truth if a["source"] == "indus-chronicle")
    assert wanted
    assert sorted(read_articles(lake)["url"]) == wanted


def test_backfill_crawls_and_writes_each_day(demo_registry: Path, lake: Path) -> None:
    result = newsflow("backfill", "--from", "2026-11-22", "--to", "2026-11-23",
                      "--sources", "himalaya-post")
    assert result.returncode == 0, result.stderr + result.stdout
    for one in ("2026-11-22", "2026-11-23"):
        assert f"write for UTC day {one}: 1 source(s), 0 crawl(s) failed" in result.stdout
    stored = read_articles(lake)
    for one in (date(2026, 11, 22), date(2026, 11, 23)):
        truth = expected_articles(os.environ["NEWSFLOW_DEMO_BASE"], one)
        wanted = sorted(a["url"] for a in truth if a["source"] == "himalaya-post")
        assert wanted
        assert sorted(stored.loc[stored["date"] == one, "url"]) == wanted
