"""Where lake files live: the root, partition paths checked to stay inside, and listings.

The bottom layer of ``transforms.lake``: nothing here reads or writes a Parquet file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from transforms.lakeindex import DELTA_SUFFIX, INDEX_DIR, KEYS_SUFFIX, STATE_SUFFIX
from transforms.source_ids import PARTITION_SOURCE
from transforms.storage import LakeLocation, configured_root

PART_FILE = "part-0.parquet"
SAFE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def lake_root() -> Path | str:
    """Lake root: ``$NEWSFLOW_LAKE`` (a Path, or an object-store URI string) or ``data/lake``."""
    return configured_root()


def lake_location(root: str | Path | LakeLocation | None = None) -> LakeLocation:
    """The storage location of ``root`` (default: ``lake_root()``)."""
    return LakeLocation.parse(root)


def location(root: str | Path | LakeLocation | None) -> LakeLocation:
    """The given root or the default one, as a location."""
    return LakeLocation.parse(root)


def check_date(value: Any) -> str:
    """A partition date as ``YYYY-MM-DD``; raise ValueError for anything else."""
    if isinstance(value, datetime):  # pd.Timestamp is a datetime too
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value) if isinstance(value, str) else ""
    if not SAFE_DATE.match(text):
        raise ValueError(f"unsafe or invalid partition date {value!r}")
    date.fromisoformat(text)
    return text


def check_source(value: Any) -> str:
    """A partition source id; raise ValueError if it could escape the lake or is not an id."""
    if not isinstance(value, str) or not PARTITION_SOURCE.match(value):
        raise ValueError(f"unsafe or invalid source id {value!r}")
    return value


def partition_path(table_dir: Path, day: Any, source: Any) -> Path:
    """``<table_dir>/date=<day>/source=<source>/part-0.parquet``, checked to stay inside."""
    path = table_dir / f"date={check_date(day)}" / f"source={check_source(source)}" / PART_FILE
    if not path.resolve().is_relative_to(table_dir.resolve()):
        raise ValueError(f"partition path {path} escapes {table_dir}")
    return path


def partition_key(loc: LakeLocation, table: str, day: Any, source: Any) -> str:
    """Filesystem path of one partition file of ``table`` in the lake, checked to stay inside."""
    key = loc.join(table, f"date={check_date(day)}", f"source={check_source(source)}", PART_FILE)
    if loc.local:
        partition_path(loc.local_path(loc.join(table)), day, source)  # resolves symlinks too
    return key


def partition_of(path: str) -> tuple[str, str]:
    """``(date, source)`` of a partition file path."""
    pure = PurePosixPath(path)
    return pure.parent.parent.name[5:], pure.parent.name[7:]


def index_location(loc: LakeLocation, table: str, source: str | None = None,
                   suffix: str = KEYS_SUFFIX) -> str:
    """Path of ``table``'s index state, or of one source's index file, checked to stay inside.

    ``suffix`` names the file of the source: ``KEYS_SUFFIX`` (its base) or ``DELTA_SUFFIX``.
    """
    if source is None:
        return loc.join(INDEX_DIR, f"{table}{STATE_SUFFIX}")
    if suffix not in (KEYS_SUFFIX, DELTA_SUFFIX):
        raise ValueError(f"not an index file suffix: {suffix!r}")
    key = loc.join(INDEX_DIR, f"source={check_source(source)}", f"{table}{suffix}")
    if loc.local and not loc.local_path(key).resolve().is_relative_to(
            loc.local_path(loc.join(INDEX_DIR)).resolve()):
        raise ValueError(f"index path {key} escapes {loc.join(INDEX_DIR)}")
    return key


def partition_files(root: str | Path | LakeLocation, table: str,
                    dates: Iterable[Any] | None = None, sources: Iterable[str] | None = None
                    ) -> list[str]:
    """Partition files of a table, pruned by dates and sources from their paths only.

    With ``dates`` only those ``date=`` prefixes are listed (one LIST each on an object store).
    """
    loc = location(root)
    wanted_days = {check_date(d) for d in dates} if dates is not None else None
    wanted_sources = {check_source(s) for s in sources} if sources is not None else None
    table_dir = loc.join(table)
    if wanted_days is None:
        found = loc.list_files(table_dir, f"date=*/source=*/{PART_FILE}")
    else:
        found = [path for day in sorted(wanted_days)
                 for path in loc.list_files(loc.join(table, f"date={day}"),
                                            f"source=*/{PART_FILE}")]
    files = []
    for path in sorted(found):
        day, source = partition_of(path)
        if not SAFE_DATE.match(day) or not PARTITION_SOURCE.match(source):
            continue
        if wanted_days is not None and day not in wanted_days:
            continue
        if wanted_sources is not None and source not in wanted_sources:
            continue
        files.append(path)
    return files
