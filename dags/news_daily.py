"""news_daily: crawl every registry source for one UTC day and merge it into the Parquet lake.

plan -> crawl (mapped per source, each a `scrapy crawl` subprocess, queue `crawl`) -> write
(pool of 1, queue `lake`) -> gate and report side by side. gate is one task: every source's
data-quality checks on what was written, each source's on its own lines of the log; it fails
naming every failing source (their rows stay in the lake), and when every crawl and every source
passed it emits an event on the `news_articles` Asset whose extra carries the day's row counts
per source. A failed crawl or gate so holds the event back and ends the run failed. report (HTML
+ run_reports table, per-source gate results) always runs.
Heavy imports (scrapy, pandas, pyarrow) happen inside the tasks, never at parse time.

Which UTC day a run crawls (plan's log names it on its first line): the `day` param when set
(a manual run of a chosen day); else the run's data interval: a scheduled or backfill run for
day D has logical date D and is labelled Run After D+1 in the UI; a manual run with logical date
X (any time of that day) gets the last whole interval before X: the UTC day before X's day; a
run triggered without a logical date crawls the previous UTC day. Every task after plan takes
the day from plan's jobs.

Settings (environment, read at parse time; docs/scale-out.md): NEWSFLOW_CRAWL_QUEUE (crawl),
NEWSFLOW_LAKE_QUEUE (lake: plan, write, gate, report), NEWSFLOW_CRAWL_POOL
(default_pool; `newsflow_crawl` once `python -m scrapers.pools` made it), NEWSFLOW_MAX_ACTIVE_TASKS
(64 task instances of the DAG at once), NEWSFLOW_CRAWLS_PER_RUN (32 crawls of one run at once),
NEWSFLOW_TASK_RETRIES (2) and NEWSFLOW_RETRY_DELAY_S (300 s between tries).
The LocalExecutor ignores queues.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG, Asset, CronDataIntervalTimetable, Param, get_current_context, task

from scrapers.dagsettings import (
    CRAWL_POOL,
    CRAWL_QUEUE,
    CRAWLS_PER_RUN,
    LAKE_QUEUE,
    LAKE_WRITER_POOL,
    MAX_ACTIVE_TASKS,
    NEWS_ARTICLES_ASSET,
    RETRIES,
    RETRY_DELAY_S,
)

NEWS_ARTICLES = Asset(NEWS_ARTICLES_ASSET)

with DAG(
    dag_id="news_daily",
    description="Daily crawl of regional news outlets into date-partitioned Parquet",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=3,
    max_active_tasks=MAX_ACTIVE_TASKS,
    # weight_rule upstream: a free slot goes to the task nearest the end of its run, so runs of
    # a backfill finish (and the next ones start) instead of every run crawling at once.
    default_args={"retries": RETRIES, "retry_delay": timedelta(seconds=RETRY_DELAY_S),
                  "weight_rule": "upstream"},
    # Every param may be left empty (a type that admits null is what the trigger form reads as
    # "not required"): a scheduled run uses none of them.
    params={
        "day": Param(None, type=["null", "string"], format="date", title="UTC day",
                     description="The UTC day to crawl (a manual run of a chosen day). Empty: "
                                 "the run's data interval, or the previous UTC day when the run "
                                 "has no logical date."),
        "sources": Param([], type=["array", "null"], items={"type": "string"},
                         description="Source ids to crawl; empty means every source."),
        "registry": Param(None, type=["null", "string"],
                          description="Registry YAML path; default NEWSFLOW_REGISTRY."),
    },
    tags=["newsflow"],
    doc_md=__doc__,
) as dag:

    @task(queue=LAKE_QUEUE)
    def plan() -> list[dict]:
        """Resolve the UTC day and validate the registry before any crawl starts.

        Every later task takes the day from these jobs, never from the run's context: a run
        triggered without a logical date has no data interval.
        """
        from scrapers.tasks.daily import plan_run

        ctx = get_current_context()
        return plan_run(ctx["params"], ctx.get("data_interval_start"),
                        ctx.get("data_interval_end"), ctx["run_id"])

    @task(map_index_template="{{ source_id }}", queue=CRAWL_QUEUE, pool=CRAWL_POOL,
          max_active_tis_per_dagrun=CRAWLS_PER_RUN)
    def crawl(job: dict) -> dict:
        """Crawl one source in a subprocess; fail this mapped task only if its stats say so."""
        from scrapers.tasks.daily import crawl_source

        get_current_context()["source_id"] = job["source"]
        return crawl_source(job)

    # Runs when every crawl is done and at least the plan succeeded: the sources that crawled
    # are written even if others failed; nothing runs after a failed plan.
    @task(pool=LAKE_WRITER_POOL, queue=LAKE_QUEUE, trigger_rule="all_done_min_one_success")
    def write(jobs: list[dict]) -> dict:
        """Normalise, validate, dedupe and merge every successful crawl into the lake."""
        from scrapers.tasks.daily import write_staged

        return write_staged(jobs, run_id=get_current_context()["run_id"])

    # One task for every source's checks (a mapped gate per source cost a task instance each
    # and bought nothing): its log has each source's checks, its failure names each failing
    # source, and the report shows the per-source results. It also emits the Asset event, so
    # the event comes only when every crawl and every source's gate passed.
    @task(queue=LAKE_QUEUE, retries=0, outlets=[NEWS_ARTICLES])
    def gate(jobs: list[dict], summary: dict) -> dict:
        """Check every source's written rows; when all pass, emit the news_articles event."""
        from scrapers.tasks.daily import failed_crawl_tasks, gate_run, publish_extra

        ctx = get_current_context()
        run_id = ctx["run_id"]
        states = ctx["ti"].get_task_states(dag_id=ctx["dag"].dag_id, task_ids=["crawl"],
                                           run_ids=[run_id]).get(run_id, {})
        gate_run(jobs, summary, failed_crawls=failed_crawl_tasks(states, jobs))
        extra = publish_extra(jobs, summary, run_id=run_id)
        ctx["outlet_events"][NEWS_ARTICLES].extra = extra
        print(f"news_articles event extra: {extra}")
        return extra

    # Runs beside gate (it judges the same rows itself), and whatever gate decides.
    @task(queue=LAKE_QUEUE, trigger_rule="all_done_min_one_success")
    def report(jobs: list[dict], summary: dict) -> str:
        """Write the run report (HTML + run_reports rows) and print its file:// link."""
        from scrapers.tasks.daily import report_run

        return report_run(jobs, summary, run_id=get_current_context()["run_id"])

    jobs = plan()
    crawls = crawl.expand(job=jobs)
    summary = write(jobs)
    crawls >> summary
    # A failed crawl (or gate) fails gate, which holds back the Asset event and marks the whole
    # run failed: what the UI's "re-run failed" backfills look for.
    gate(jobs, summary)
    report(jobs, summary)
