"""The hostname Airflow records for a task instance on a distributed-test worker.

``AIRFLOW__CORE__HOSTNAME_CALLABLE=tests.worker_identity.worker_name`` on each Celery worker of
``tests/distributed_cluster.py``: both workers share this machine's FQDN, so each is told its own
name through ``NEWSFLOW_WORKER_NAME``, as two machines would have two hostnames.
"""

from __future__ import annotations

import os
import socket

WORKER_NAME_ENV = "NEWSFLOW_WORKER_NAME"


def worker_name() -> str:
    """``$NEWSFLOW_WORKER_NAME``, else this machine's FQDN (Airflow's default)."""
    return os.environ.get(WORKER_NAME_ENV) or socket.getfqdn()
