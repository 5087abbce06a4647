"""Create the Airflow pools the newsflow DAGs use: ``python -m scrapers.pools``.

* ``newsflow_lake_writer``: 1 slot.  ``write`` and ``news_reprocess`` run in it (the lake's
  writer lease is the guarantee on every machine; the pool keeps a second writer from even
  being queued).
* ``newsflow_crawl``: ``NEWSFLOW_CRAWL_POOL_SLOTS`` slots (default 64), the cap on crawls running
  at once over the whole installation.  ``news_daily`` uses it when ``NEWSFLOW_CRAWL_POOL`` is
  set to ``newsflow_crawl`` (its default is Airflow's ``default_pool``).

It writes a pools file and runs ``airflow pools import`` on it with the caller's environment
(``AIRFLOW_HOME`` or ``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN`` say which database).
``--print`` prints the file instead.  Running it again sets the same slots.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from scrapers.dagsettings import CRAWL_POOL_NAME as CRAWL_POOL
from scrapers.dagsettings import LAKE_WRITER_POOL

CRAWL_SLOTS_ENV = "NEWSFLOW_CRAWL_POOL_SLOTS"
DEFAULT_CRAWL_SLOTS = 64


def crawl_slots() -> int:
    """``$NEWSFLOW_CRAWL_POOL_SLOTS`` (a whole number of at least 1) or 64."""
    raw = os.environ.get(CRAWL_SLOTS_ENV) or str(DEFAULT_CRAWL_SLOTS)
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{CRAWL_SLOTS_ENV}={raw!r} must be a whole number of at least 1")
    return int(raw)


def pool_specs(slots: int | None = None) -> dict[str, dict[str, Any]]:
    """The pools, in the format of ``airflow pools import``."""
    crawls = crawl_slots() if slots is None else slots
    if crawls < 1:
        raise ValueError(f"the crawl pool needs at least 1 slot, not {crawls}")
    return {
        LAKE_WRITER_POOL: {"slots": 1, "include_deferred": False,
                           "description": "Lake merges: one writer of articles/quarantine"},
        CRAWL_POOL: {"slots": crawls, "include_deferred": False,
                     "description": "newsflow crawls running at once, over all workers"},
    }


def airflow_command() -> str:
    """The ``airflow`` executable beside this Python (the project's venv), else on PATH."""
    beside = Path(sys.executable).with_name("airflow")
    return str(beside) if beside.exists() else "airflow"


def create_pools(slots: int | None = None, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Import the pools into the Airflow database of ``env``; return what was imported."""
    specs = pool_specs(slots)
    with tempfile.TemporaryDirectory(prefix="newsflow-pools-") as folder:
        path = Path(folder) / "pools.json"
        path.write_text(json.dumps(specs, indent=1), encoding="utf-8")
        proc = subprocess.run([airflow_command(), "pools", "import", str(path)],
                              env={**os.environ, **(env or {})}, capture_output=True,
                              text=True, check=False, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"airflow pools import failed ({proc.returncode}):\n"
                           f"{(proc.stdout + proc.stderr)[-3000:]}")
    return specs


def main(argv: list[str] | None = None) -> int:
    """Command line: create the pools, or print them with ``--print``."""
    parser = argparse.ArgumentParser(prog="python -m scrapers.pools", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--crawl-slots", type=int, default=None,
                        help=f"slots of {CRAWL_POOL} (default ${CRAWL_SLOTS_ENV} or 64)")
    parser.add_argument("--print", action="store_true", help="print the pools file only")
    args = parser.parse_args(argv)
    try:
        if args.print:
            print(json.dumps(pool_specs(args.crawl_slots), indent=1))
            return 0
        specs = create_pools(args.crawl_slots)
    except (ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name, spec in specs.items():
        print(f"pool {name}: {spec['slots']} slot(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
