"""The only package that reads and writes the Parquet lake, in layers from the bottom up.

- ``paths``: the root, partition paths checked to stay inside the lake, listings;
- ``files``: the writer lock, all-or-nothing Parquet writes, deletes, schema conformance;
- ``layout``: one-time migrations of stored files (run under the writer lock);
- ``merge``: merging rows into a table partition by partition (``merge_table``);
- ``read``: typed readers, and light row reads for crawl processes.

Layout: ``<root>/<table>/date=YYYY-MM-DD/source=<id>/part-0.parquet`` for every table (the specs
are in ``transforms.schema``).  Every write is all-or-nothing: on a local lake a temp file in
``<root>/_staging/`` followed by ``os.replace``, on an object store (``NEWSFLOW_LAKE=s3://...``)
one upload of the final object (see ``transforms.storage``).  A rewritten partition is always
written with the current schema (columns an older file lacks become null).  ``story_id`` is
sticky: a stored non-null value is kept, and a new value alone only counts as a change when
the stored one is null.  The names below are what callers import from ``transforms.lake``.
"""

from transforms.lake.files import (
    LOCK_TIMEOUT_S,
    clean_staging,
    conform,
    read_partition,
    remove_partition,
    to_arrow,
    write_atomic,
    writer_lock,
)
from transforms.lake.layout import RUN_REPORTS_LAYOUT, migrate_run_reports
from transforms.lake.merge import (
    MergeResult,
    PartitionResult,
    merge_articles,
    merge_partition,
    merge_quarantine,
    merge_run_reports,
    merge_table,
    rebuild_index,
    union_lists,
)
from transforms.lake.paths import (
    PART_FILE,
    SAFE_DATE,
    check_date,
    check_source,
    index_location,
    lake_location,
    lake_root,
    partition_files,
    partition_key,
    partition_path,
)
from transforms.lake.read import (
    read_arrow,
    read_article_rows,
    read_articles,
    read_quarantine,
    read_run_reports,
    read_table,
)
from transforms.schema import ARTICLES, QUARANTINE, RUN_REPORTS, TableSpec
from transforms.storage import LAKE_ENV, LOCKS_DIR, STAGING_DIR, LakeLocation

__all__ = [
    "ARTICLES",
    "LAKE_ENV",
    "LOCKS_DIR",
    "LOCK_TIMEOUT_S",
    "PART_FILE",
    "QUARANTINE",
    "RUN_REPORTS",
    "RUN_REPORTS_LAYOUT",
    "SAFE_DATE",
    "STAGING_DIR",
    "LakeLocation",
    "MergeResult",
    "PartitionResult",
    "TableSpec",
    "check_date",
    "check_source",
    "clean_staging",
    "conform",
    "index_location",
    "lake_location",
    "lake_root",
    "merge_articles",
    "merge_partition",
    "merge_quarantine",
    "merge_run_reports",
    "merge_table",
    "migrate_run_reports",
    "partition_files",
    "partition_key",
    "partition_path",
    "read_arrow",
    "read_article_rows",
    "read_articles",
    "read_partition",
    "read_quarantine",
    "read_run_reports",
    "read_table",
    "rebuild_index",
    "remove_partition",
    "to_arrow",
    "union_lists",
    "write_atomic",
    "writer_lock",
]
