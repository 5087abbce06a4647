"""One-time layout migrations of stored files, run by the writer under the table's lock.

Today one: run_reports files written before ``date`` and ``source`` moved to the path only.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from transforms.lake.files import clean_staging, conform, write_atomic, writer_lock
from transforms.lake.paths import location, partition_files
from transforms.lakeindex import INDEX_DIR
from transforms.schema import PARTITION_COLUMNS, RUN_REPORTS
from transforms.storage import LakeLocation

RUN_REPORTS_LAYOUT = "run_reports.layout.json"
"""Marker in ``_index/``: every run_reports file keeps date and source in its path only."""


def migrate_run_reports(root: str | Path | LakeLocation | None = None) -> int:
    """Rewrite run_reports files that store ``date`` and ``source`` inside (written before
    they moved to the path only), under the table's lock; return how many were rewritten."""
    loc = location(root)
    with writer_lock(loc, RUN_REPORTS.name):
        clean_staging(loc, RUN_REPORTS.name)
        return _migrate_run_reports(loc)


def _migrate_run_reports(loc: LakeLocation) -> int:
    """``migrate_run_reports`` under the held lock; once per lake (a marker in ``_index/``
    records it), so later writes do not open every stored file."""
    marker = loc.join(INDEX_DIR, RUN_REPORTS_LAYOUT)
    if loc.exists(marker):
        return 0
    partition_names = {c.name for c in PARTITION_COLUMNS}
    rewritten = 0
    for path in partition_files(loc, RUN_REPORTS.name):
        with loc.open_input(path) as handle:
            parquet = pq.ParquetFile(handle)
            if not partition_names & set(parquet.schema_arrow.names):
                continue
            table = parquet.read()
        write_atomic(conform(table, RUN_REPORTS.schema), path, loc, RUN_REPORTS.name)
        rewritten += 1
    loc.write_bytes(marker, b'{"partition_columns_in_files": false}\n', RUN_REPORTS.name)
    return rewritten




MIGRATIONS = {RUN_REPORTS.name: _migrate_run_reports}
"""Per table, the migration a writer runs (once per lake) before it merges into the table."""


def migrate_layout(loc: LakeLocation, table: str) -> int:
    """Run ``table``'s layout migration, if it has one (hold its lock); files rewritten."""
    migrate = MIGRATIONS.get(table)
    return migrate(loc) if migrate else 0
