"""news_consumer_example: runs whenever news_daily publishes the news_articles Asset.

An example only (paused on creation): it logs the row counts news_daily put in the event's extra.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Asset, get_current_context, task

from scrapers.dagsettings import NEWS_ARTICLES_ASSET

NEWS_ARTICLES = Asset(NEWS_ARTICLES_ASSET)

with DAG(
    dag_id="news_consumer_example",
    description="Example consumer of the news_articles Asset: logs each event's extra",
    schedule=[NEWS_ARTICLES],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    is_paused_upon_creation=True,
    tags=["newsflow", "example"],
    doc_md=__doc__,
) as dag:

    @task
    def log_extra() -> list[dict]:
        """Print the extra of every news_articles event that triggered this run."""
        events = get_current_context()["triggering_asset_events"][NEWS_ARTICLES]
        extras = [dict(event.extra) for event in events]
        for extra in extras:
            print(f"news_articles {extra.get('day')}: {extra.get('total_rows')} rows "
                  f"{extra.get('rows')} (run {extra.get('run_id')}, table {extra.get('table')})")
        return extras

    log_extra()
