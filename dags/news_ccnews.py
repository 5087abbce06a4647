"""news_ccnews: backfill one UTC day from Common Crawl's CC-NEWS archive, without the outlets.

plan (the day and the sources, as news_daily plans them) -> discover (the month's
warc.paths.gz: the WARC files captured in the day and a look-ahead, default 2 days) -> harvest
(mapped per WARC file, labelled with its name, queue `crawl`: streams the file and keeps the
registry's articles published inside the day) -> stage (per-source staging exactly like a
crawl's) -> news_daily's own write (pool of 1) -> gate and report side by side, as in
news_daily: one gate task checks every source and, when all pass, emits the event on the
`news_articles` Asset (extra `via: cc-news`).  See docs/ccnews.md.

The data interval is a UTC day, as news_daily's: backfill it from the UI (Trigger -> Backfill)
or the REST API like news_daily; the `day` param picks one day by hand.  Where the archive lives
is NEWSFLOW_CCNEWS_ARCHIVE (https://data.commoncrawl.org by default, an s3:// prefix or a local
folder) or the `archive` param.  A page a live crawl already stored keeps its live row unless
the CC-NEWS capture is newer.  Heavy imports happen inside the tasks, never at parse time.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG, Asset, CronDataIntervalTimetable, Param, get_current_context, task

from scrapers.dagsettings import (
    CRAWL_POOL,
    CRAWL_QUEUE,
    LAKE_QUEUE,
    LAKE_WRITER_POOL,
    NEWS_ARTICLES_ASSET,
    RETRIES,
    RETRY_DELAY_S,
)

# The same Asset news_daily updates: name-based, so both DAGs' events reach its consumers.
NEWS_ARTICLES = Asset(NEWS_ARTICLES_ASSET)

with DAG(
    dag_id="news_ccnews",
    description="Backfill a past UTC day from the CC-NEWS archive into the Parquet lake",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2016, 8, 26, tz="UTC"),  # CC-NEWS starts 2016-08-26
    catchup=False,
    max_active_runs=2,
    default_args={"retries": RETRIES, "retry_delay": timedelta(seconds=RETRY_DELAY_S)},
    params={
        "day": Param(None, type=["null", "string"], format="date", title="UTC day",
                     description="The UTC day to backfill. Empty: the run's data interval."),
        "sources": Param([], type=["array", "null"], items={"type": "string"},
                         description="Source ids to keep; empty means every source."),
        "registry": Param(None, type=["null", "string"],
                          description="Registry YAML path; default NEWSFLOW_REGISTRY."),
        "archive": Param(None, type=["null", "string"],
                         description="Archive root (https://, s3:// or a folder); default "
                                     "NEWSFLOW_CCNEWS_ARCHIVE or https://data.commoncrawl.org."),
        "lookahead_days": Param(None, type=["null", "integer"], minimum=0, maximum=31,
                                description="Days of captures after the day to read; default "
                                            "NEWSFLOW_CCNEWS_LOOKAHEAD_DAYS or 2."),
    },
    tags=["newsflow", "backfill"],
    doc_md=__doc__,
) as dag:

    @task(queue=LAKE_QUEUE)
    def plan() -> list[dict]:
        """Resolve the UTC day and validate the registry: one job per source."""
        from scrapers.tasks.ccnews import plan_backfill

        ctx = get_current_context()
        return plan_backfill(ctx["params"], ctx.get("data_interval_start"),
                             ctx.get("data_interval_end"), ctx["run_id"])

    @task(queue=LAKE_QUEUE)
    def discover(jobs: list[dict]) -> list[dict]:
        """Read the month's warc.paths.gz: the WARC files holding the day's captures."""
        from scrapers.tasks.ccnews import discover_warcs

        return discover_warcs(jobs, get_current_context()["params"])

    @task(map_index_template="{{ warc_name }}", queue=CRAWL_QUEUE, pool=CRAWL_POOL)
    def harvest(warc: dict) -> dict:
        """Stream one WARC file; stage the registry's articles of the day per source."""
        from scrapers.tasks.ccnews import harvest_file

        get_current_context()["warc_name"] = warc["name"]
        return harvest_file(warc)

    @task(queue=LAKE_QUEUE)
    def stage(jobs: list[dict], warcs: list[dict]) -> dict:
        """Gather every WARC's parts into per-source staging, exactly like a crawl's."""
        from scrapers.tasks.ccnews import stage_backfill

        return stage_backfill(jobs, warcs)

    @task(pool=LAKE_WRITER_POOL, queue=LAKE_QUEUE)
    def write(jobs: list[dict], totals: dict) -> dict:
        """news_daily's write: normalise, validate, dedupe and merge into the lake."""
        from scrapers.tasks.ccnews import write_backfill

        return write_backfill(jobs, totals, run_id=get_current_context()["run_id"])

    # news_daily's one gate: every source's checks in one task (its log has each source's
    # lines, its failure names each failing source), which also emits the Asset event, so the
    # event comes only when every source passed.
    @task(queue=LAKE_QUEUE, retries=0, outlets=[NEWS_ARTICLES])
    def gate(jobs: list[dict], summary: dict) -> dict:
        """Check every source's written rows; when all pass, emit the news_articles event."""
        from scrapers.tasks.ccnews import publish_backfill
        from scrapers.tasks.daily import gate_run

        ctx = get_current_context()
        gate_run(jobs, summary)
        extra = publish_backfill(jobs, summary, run_id=ctx["run_id"])
        ctx["outlet_events"][NEWS_ARTICLES].extra = extra
        print(f"news_articles event extra: {extra}")
        return extra

    # Runs beside gate (it judges the same rows itself), and whatever gate decides.
    @task(queue=LAKE_QUEUE, trigger_rule="all_done_min_one_success")
    def report(jobs: list[dict], summary: dict) -> str:
        """news_daily's run report, plus the CC-NEWS counts."""
        from scrapers.tasks.ccnews import report_backfill

        return report_backfill(jobs, summary, run_id=get_current_context()["run_id"])

    jobs = plan()
    warcs = discover(jobs)
    harvests = harvest.expand(warc=warcs)
    totals = stage(jobs, warcs)
    harvests >> totals
    summary = write(jobs, totals)
    gate(jobs, summary)
    report(jobs, summary)
