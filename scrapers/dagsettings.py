"""The settings every newsflow DAG file reads at parse time, in one place (environment only).

Cheap to import: the standard library and nothing of Scrapy, pandas or pyarrow, so DAG files stay
fast to parse. ``docs/scale-out.md`` describes each setting.
"""

from __future__ import annotations

import os

LAKE_WRITER_POOL = "newsflow_lake_writer"  # one slot: merges of articles/quarantine
CRAWL_POOL_NAME = "newsflow_crawl"  # made by `python -m scrapers.pools`
# Name-based: the lake path differs per deployment (NEWSFLOW_LAKE), so it goes in each event's
# extra ("table") rather than in the Asset's identity. Consumers use Asset("news_articles").
NEWS_ARTICLES_ASSET = "news_articles"


def env_int(name: str, default: int) -> int:
    """A positive whole number from the environment; a clear error names a bad value."""
    raw = os.environ.get(name) or str(default)
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name}={raw!r} must be a whole number of at least 1")
    return int(raw)


def env_count(name: str, default: int) -> int:
    """A whole number of at least 0 from the environment (e.g. retries)."""
    raw = os.environ.get(name) or str(default)
    if not raw.isdigit():
        raise ValueError(f"{name}={raw!r} must be a whole number of at least 0")
    return int(raw)


CRAWL_POOL = os.environ.get("NEWSFLOW_CRAWL_POOL", "default_pool")
CRAWL_QUEUE = os.environ.get("NEWSFLOW_CRAWL_QUEUE", "crawl")
LAKE_QUEUE = os.environ.get("NEWSFLOW_LAKE_QUEUE", "lake")
MAX_ACTIVE_TASKS = env_int("NEWSFLOW_MAX_ACTIVE_TASKS", 64)
CRAWLS_PER_RUN = env_int("NEWSFLOW_CRAWLS_PER_RUN", 32)
RETRIES = env_count("NEWSFLOW_TASK_RETRIES", 2)
RETRY_DELAY_S = env_int("NEWSFLOW_RETRY_DELAY_S", 300)
