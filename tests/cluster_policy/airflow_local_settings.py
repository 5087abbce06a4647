"""Airflow cluster policy of the distributed test (``tests/distributed_cluster.py``).

On ``PYTHONPATH`` of that cluster only. ``news_daily`` waits 5 minutes before a retry; the test
kills a worker and waits for the retry, so every task's ``retry_delay`` becomes
``$NEWSFLOW_RETRY_DELAY_S`` seconds when that is set. A cluster policy is how an operator would
change it without editing the DAG; it is applied where the DAG is parsed (the dag-processor).
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

RETRY_DELAY_ENV = "NEWSFLOW_RETRY_DELAY_S"


def task_policy(task: Any) -> None:
    """Set the task's retry delay from ``$NEWSFLOW_RETRY_DELAY_S`` (seconds), if given."""
    if seconds := os.environ.get(RETRY_DELAY_ENV):
        task.retry_delay = timedelta(seconds=float(seconds))
