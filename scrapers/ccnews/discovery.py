"""Which CC-NEWS WARC files hold a day's pages: from the months' ``warc.paths.gz`` listings.

Each month's listing ``crawl-data/CC-NEWS/<YYYY>/<MM>/warc.paths.gz`` names its WARC files,
``CC-NEWS-<capture start, UTC>-<serial>.warc.gz``.  A file holds the captures from its start to
the next file's start (the last listed file: from its start on).  Pages are captured after they
are published, so a day's articles are in the files covering the day and a look-ahead after it
(``NEWSFLOW_CCNEWS_LOOKAHEAD_DAYS``, default 2): the files whose coverage meets
``[day 00:00 UTC, day + 1 + look-ahead)``.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from scrapers.ccnews.archive import WARC_PATH, ArchiveStore

LOOKAHEAD_ENV = "NEWSFLOW_CCNEWS_LOOKAHEAD_DAYS"
DEFAULT_LOOKAHEAD_DAYS = 2
MAX_LOOKAHEAD_DAYS = 31


@dataclass(frozen=True)
class WarcFile:
    """One CC-NEWS WARC file of a listing."""

    path: str  # relative to the archive root
    captured_from: datetime  # the capture start its name gives (UTC)
    serial: int

    @property
    def name(self) -> str:
        """The file name, e.g. ``CC-NEWS-20261120093000-00042.warc.gz``."""
        return self.path.rsplit("/", 1)[-1]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["captured_from"] = self.captured_from.isoformat()
        data["name"] = self.name
        return data


def listing_path(year: int, month: int) -> str:
    """``crawl-data/CC-NEWS/<YYYY>/<MM>/warc.paths.gz``."""
    return f"crawl-data/CC-NEWS/{year:04d}/{month:02d}/warc.paths.gz"


def lookahead_days(value: Any = None) -> int:
    """The look-ahead in days: ``value`` if given, else ``$NEWSFLOW_CCNEWS_LOOKAHEAD_DAYS`` (2)."""
    raw = str(value if value is not None else os.environ.get(LOOKAHEAD_ENV, "")).strip()
    if not raw:
        return DEFAULT_LOOKAHEAD_DAYS
    if not raw.isdigit() or int(raw) > MAX_LOOKAHEAD_DAYS:
        raise ValueError(f"CC-NEWS look-ahead {raw!r} must be a whole number of days, "
                         f"0 to {MAX_LOOKAHEAD_DAYS}")
    return int(raw)


def parse_listing(data: bytes, origin: str) -> list[WarcFile]:
    """The WARC files of one gzipped listing; a line that is no CC-NEWS WARC path is an error."""
    try:
        text = gzip.decompress(data).decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise ValueError(f"{origin}: not a gzipped text listing ({exc})") from None
    files = []
    for number, line in enumerate(text.splitlines(), start=1):
        path = line.strip()
        if not path:
            continue
        match = WARC_PATH.match(path)
        if not match:
            raise ValueError(f"{origin} line {number}: {path[:200]!r} is not a CC-NEWS WARC path")
        try:
            start = datetime.strptime(match.group(3), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        except ValueError:
            raise ValueError(f"{origin} line {number}: {path!r} has no valid capture time"
                             ) from None
        files.append(WarcFile(path, start, int(match.group(4))))
    return files


def months_between(first: date, last: date) -> list[tuple[int, int]]:
    """(year, month) of every month from ``first``'s to ``last``'s, in order."""
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def read_listings(store: ArchiveStore, day: date, until: datetime) -> list[WarcFile]:
    """The files of every listing that may cover ``day`` .. ``until``, sorted by capture start.

    The month before is read too (its last file may reach into ``day``), and the months the
    look-ahead reaches; only the day's own month must exist (later ones may not be out yet).
    """
    files: list[WarcFile] = []
    for year, month in months_between(day - timedelta(days=1), until.date()):
        path = listing_path(year, month)
        try:
            data = store.read_bytes(path)
        except FileNotFoundError:
            if (year, month) == (day.year, day.month):
                raise FileNotFoundError(f"no CC-NEWS listing {store.uri}/{path}: the archive "
                                        f"has no month {year:04d}-{month:02d}") from None
            continue
        files.extend(parse_listing(data, f"{store.uri}/{path}"))
    return sorted(set(files), key=lambda f: (f.captured_from, f.serial, f.path))


def select_files(files: list[WarcFile], start: datetime, end: datetime) -> list[WarcFile]:
    """The files (sorted by capture start) whose coverage meets ``[start, end)``."""
    chosen = []
    for index, warc in enumerate(files):
        following = files[index + 1].captured_from if index + 1 < len(files) else None
        if warc.captured_from < end and (following is None or following > start):
            chosen.append(warc)
    return chosen


def day_window(day: date, lookahead: int) -> tuple[datetime, datetime]:
    """The capture window of a day: ``[day 00:00 UTC, day + 1 + lookahead 00:00 UTC)``."""
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1 + lookahead)


def discover(store: ArchiveStore, day: date, lookahead: int = DEFAULT_LOOKAHEAD_DAYS
             ) -> list[WarcFile]:
    """The WARC files holding the captures of ``day`` and its look-ahead; an error if none."""
    start, end = day_window(day, lookahead)
    files = select_files(read_listings(store, day, end - timedelta(microseconds=1)), start, end)
    if not files:
        raise LookupError(f"the CC-NEWS listings of {store.uri} name no WARC file captured "
                          f"between {start.isoformat()} and {end.isoformat()}")
    return files
