"""`make demo`: serve the demo sites on loopback, run news_daily in real Airflow, show the lake.

Each demo day is one `airflow dags test news_daily <day+1>` run (its data interval is that day),
so this exercises the same DAG, tasks, subprocess crawls and merge writes as production.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEMO_REGISTRY = PROJECT_ROOT / "data" / "demo_sites" / "sources.yaml"
DEMO_DAYS = [date(2026, 11, 18) + timedelta(days=i) for i in range(7)]


def run_dag_for_day(day: date, env: dict[str, str]) -> int:
    """Run news_daily for one UTC day through the Airflow CLI; return its exit code."""
    logical = (day + timedelta(days=1)).isoformat() + "T00:00:00+00:00"
    cmd = [str(Path(sys.executable).with_name("airflow")), "dags", "test", "news_daily", logical]
    started = time.monotonic()
    proc = subprocess.run(cmd, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
    took = time.monotonic() - started
    status = "ok" if proc.returncode == 0 else f"FAILED (exit {proc.returncode})"
    print(f"  news_daily for {day}: {status} in {took:.0f}s", flush=True)
    if proc.returncode != 0:
        print((proc.stdout + proc.stderr)[-4000:])
    return proc.returncode


def show_lake(lake: Path) -> None:
    """Print where the Parquet is and a few rows of it (read with DuckDB)."""
    import duckdb

    articles = lake / "articles"
    files = sorted(articles.rglob("*.parquet"))
    print(f"\nParquet lake: {articles}  ({len(files)} partition files)")
    for f in files[:4]:
        print(f"  {f.relative_to(lake)}")
    if len(files) > 4:
        print(f"  ... and {len(files) - 4} more")
    glob = f"{articles}/**/*.parquet"
    con = duckdb.connect()
    print("\nRows per date and source:")
    print(con.sql(
        f"select date, source, count(*) as articles from read_parquet('{glob}', "
        "hive_partitioning=true) group by all order by date, source"
    ))
    print("A few rows:")
    print(con.sql(
        f"select date, source, published_at, published_offset as off, authors, "
        f"left(title, 48) as title, word_count as words from read_parquet('{glob}', "
        "hive_partitioning=true) order by published_at limit 8"
    ))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=len(DEMO_DAYS), help="how many demo days")
    args = parser.parse_args(argv)

    from scrapers.demo.server import serve_demo_sites
    from transforms.lake import lake_root

    lake = lake_root()
    with serve_demo_sites() as server:
        print(f"Demo sites served at {server.base_url}")
        env = {
            **os.environ,
            "NEWSFLOW_DEMO_BASE": server.base_url,
            "NEWSFLOW_REGISTRY": str(DEMO_REGISTRY),
            "NEWSFLOW_TASK_RETRIES": "0",
        }
        failures = sum(run_dag_for_day(day, env) != 0 for day in DEMO_DAYS[: args.days])
    show_lake(lake)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
