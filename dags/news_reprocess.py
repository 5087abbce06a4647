"""news_reprocess: re-extract archived raw pages (WARC) with today's extractor into the lake.

Manual only: trigger with params start/end (run days, inclusive) and optional sources.  One task,
in the lake-writer pool; it reads ``<lake>/raw`` and makes no network request.
Heavy imports happen inside the task, never at parse time.  It runs on the queue
NEWSFLOW_LAKE_QUEUE (default `lake`), like news_daily's write.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Param, get_current_context, task

from scrapers.dagsettings import LAKE_QUEUE, LAKE_WRITER_POOL

with DAG(
    dag_id="news_reprocess",
    description="Re-extract archived raw pages into the Parquet lake (no network)",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    params={
        "start": Param(type="string", format="date", description="First run day (YYYY-MM-DD)."),
        "end": Param(type="string", format="date", description="Last run day (YYYY-MM-DD)."),
        "sources": Param([], type="array", items={"type": "string"},
                         description="Source ids to reprocess; empty means every source."),
    },
    tags=["newsflow"],
    doc_md=__doc__,
) as dag:

    @task(pool=LAKE_WRITER_POOL, queue=LAKE_QUEUE)
    def reprocess() -> dict:
        """Re-extract the archived pages of the chosen run days and merge them into the lake."""
        import json
        from datetime import date

        from scrapers.tasks.reprocess import reprocess as run_reprocess

        ctx = get_current_context()
        params = ctx["params"]
        summary = run_reprocess(
            date.fromisoformat(params["start"]),
            date.fromisoformat(params["end"]),
            params.get("sources") or None,
            run_id=ctx["run_id"],
        )
        print(json.dumps(summary, indent=1, default=str))
        return summary

    reprocess()
