"""news_daily: crawl every registry source for one UTC day and merge it into the Parquet lake.

plan -> crawl (mapped per source, each a `scrapy crawl` subprocess) -> write (pool of 1) -> report
Heavy imports (scrapy, pandas, pyarrow) happen inside the tasks, never at parse time.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import DAG, CronDataIntervalTimetable, Param, get_current_context, task

LAKE_WRITER_POOL = "newsflow_lake_writer"
RETRIES = int(os.environ.get("NEWSFLOW_TASK_RETRIES", "2"))

with DAG(
    dag_id="news_daily",
    description="Daily crawl of regional news outlets into date-partitioned Parquet",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=3,
    default_args={"retries": RETRIES, "retry_delay": timedelta(minutes=5)},
    params={
        "sources": Param([], type="array", items={"type": "string"},
                         description="Source ids to crawl; empty means every source."),
        "registry": Param(None, type=["null", "string"],
                          description="Registry YAML path; default NEWSFLOW_REGISTRY."),
    },
    tags=["newsflow"],
    doc_md=__doc__,
) as dag:

    @task
    def plan() -> list[dict]:
        """Resolve the UTC day and validate the registry before any crawl starts."""
        from scrapers.plan import plan_crawls, resolve_registry, resolve_window

        ctx = get_current_context()
        start, end = resolve_window(ctx.get("data_interval_start"), ctx.get("data_interval_end"))
        registry = resolve_registry(ctx["params"].get("registry"))
        jobs = plan_crawls(start, end, registry, ctx["params"].get("sources"))
        print(f"window [{start}, {end}) sources: {[j.source for j in jobs]}")
        return [job.to_dict() for job in jobs]

    @task(map_index_template="{{ source_id }}", max_active_tis_per_dagrun=4)
    def crawl(job: dict) -> dict:
        """Crawl one source in a subprocess; fail this mapped task only if its stats say so."""
        from scrapers.dagtasks import crawl_source

        get_current_context()["source_id"] = job["source"]
        return crawl_source(job)

    @task(pool=LAKE_WRITER_POOL, trigger_rule="all_done")
    def write(jobs: list[dict]) -> dict:
        """Normalise, validate, dedupe and merge every successful crawl into the lake."""
        from scrapers.dagtasks import write_staged

        return write_staged(jobs, run_id=get_current_context()["run_id"])

    @task(trigger_rule="all_done")
    def report(jobs: list[dict], summary: dict) -> None:
        """Print counts per source."""
        from scrapers.dagtasks import report_run

        report_run(jobs, summary, run_id=get_current_context()["run_id"])

    jobs = plan()
    crawls = crawl.expand(job=jobs)
    summary = write(jobs)
    crawls >> summary
    report(jobs, summary)
