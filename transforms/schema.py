"""THE schema of the lake: one definition shared by the spiders, the transforms and the tests.

Each table is a list of :class:`Column` (name, arrow type, nullability, meaning, example, and
the schema version that added it).  An article column also says who fills it and how it is
treated: the extractor's ``Extracted`` record, the per-source parser and selector fields,
normalisation's plain-text fields, the "most complete copy" rule of deduplication, the lake
spec's optional columns and the docs' version history are all derived from these flags, so a new
field is declared here once.  Partition columns (``date``, ``source``) live in the Hive path, not
inside the files, so every engine reads them the same way.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

import pyarrow as pa

METADATA_KEY = b"newsflow.schema_version"


SelectorRead = Literal["text", "texts", "url", "date", "paragraphs"]
"""How a per-source selector reads a column: first matching text, every matching text, first
attribute value (a URL), a date to parse, or the body's paragraphs."""


@dataclass(frozen=True)
class Column:
    """One column: its arrow type and meaning, and how the pipeline treats it."""

    name: str
    type: pa.DataType
    nullable: bool
    doc: str
    example: str
    since: int = 1
    """Schema version that added the column; files written before lack it (read as null)."""
    extracted: bool = False
    """The extractor fills it: ``Extracted`` has a field of this column's :func:`python_kind`."""
    plain_text: bool = False
    """Normalised as one trimmed line of text (see ``transforms.text.clean_text``)."""
    completeness: bool = False
    """Counts toward the "most complete copy" rule of deduplication when filled."""
    selector: SelectorRead | None = None
    """A per-source parser or registry selector may set it, read this way."""

    def field(self) -> pa.Field:
        """The column as an arrow field."""
        return pa.field(self.name, self.type, nullable=self.nullable)


UTC_US = pa.timestamp("us", tz="UTC")
STRINGS = pa.list_(pa.string())

ARTICLE_COLUMNS: list[Column] = [
    Column("article_id", pa.string(), False,
           "Stable id: first 16 bytes of SHA-256 of canonical_url, hex.",
           "3f1c9a0e5b7d2c4a8e6f0b1d2c3e4f5a"),
    Column("source", pa.string(), False, "Source id from the registry (also the partition).",
           "indus-chronicle", plain_text=True),
    Column("url", pa.string(), False, "URL the article was fetched from.",
           "https://example.pk/news/2026/11/20/budget?utm_source=rss",
           extracted=True, plain_text=True),
    Column("canonical_url", pa.string(), False,
           "Canonical URL: rel=canonical when on-site, else the fetched URL, canonicalised.",
           "https://example.pk/news/2026/11/20/budget", extracted=True, selector="url"),
    Column("title", pa.string(), False, "Headline, once, without site name.", "Budget passes",
           extracted=True, plain_text=True, selector="text"),
    Column("lead", pa.string(), True, "Standfirst / summary if the page prints one.",
           "The assembly approved ...",
           extracted=True, plain_text=True, completeness=True, selector="text"),
    Column("body", pa.string(), False,
           "Article text only, paragraphs separated by a blank line; no chrome, no dateline.",
           "The assembly approved ...\n\nThe opposition ...",
           extracted=True, selector="paragraphs"),
    Column("authors", STRINGS, False, "People who wrote it; empty if only the outlet is named.",
           '["Ayesha Khan"]', extracted=True, completeness=True, selector="texts"),
    Column("published_at", UTC_US, False,
           "Publication instant in UTC (microseconds). When published_precision is 'day' the "
           "page printed a date and no time: the value is that calendar day at 00:00 UTC, its "
           "time means nothing, and the row's date partition is the day the outlet printed.",
           "2026-11-20T04:15:00Z", extracted=True, selector="date"),
    Column("published_offset", pa.string(), True,
           "UTC offset the page printed (or the source's zone gave), as +HH:MM; null when "
           "only a date was printed.", "+05:00", extracted=True, completeness=True),
    Column("published_precision", pa.string(), True,
           "What the page printed of published_at: 'second', 'minute' (a time, with its "
           "offset or the source's zone) or 'day' (a date only; no time is invented). A "
           "date-only article belongs to the daily run and partition of its printed day, so "
           "it never falls between two runs. Null in rows written before schema v3.",
           "minute", since=3, extracted=True),
    Column("modified_at", UTC_US, True, "Last modification instant in UTC, if printed.",
           "2026-11-20T06:00:00Z", extracted=True, completeness=True, selector="date"),
    Column("language", pa.string(), True, "ISO 639-1 language of the body.", "en",
           extracted=True, plain_text=True, completeness=True),
    Column("section", pa.string(), True, "Section or category.", "Business",
           extracted=True, plain_text=True, completeness=True, selector="text"),
    Column("tags", STRINGS, False, "Keywords/tags; empty list if none.", '["budget", "economy"]',
           extracted=True, completeness=True, selector="texts"),
    Column("dateline", pa.string(), True, "Dateline place taken off the body's start.",
           "ISLAMABAD", extracted=True, plain_text=True, completeness=True, selector="text"),
    Column("image_url", pa.string(), True, "Lead image URL.", "https://example.pk/img/1.jpg",
           extracted=True, plain_text=True, completeness=True, selector="url"),
    Column("word_count", pa.int32(), False, "Words in body (whitespace split).", "412"),
    Column("content_hash", pa.string(), False, "SHA-256 hex of the normalised body.",
           "9b74c9897bac770ffc029102a200c5de..."),
    Column("country", pa.string(), True, "ISO 3166-1 alpha-2 of the outlet.", "PK",
           plain_text=True),
    Column("region", pa.string(), True, "Region of the outlet.", "South Asia", plain_text=True),
    Column("paywalled", pa.bool_(), True, "True if the page says it is not free to read.", "false",
           extracted=True, completeness=True),
    Column("extractor_version", pa.string(), False, "Version of the extractor that made the row.",
           "1", extracted=True, plain_text=True),
    Column("provenance", pa.map_(pa.string(), pa.string()), True,
           "Which method produced each field (jsonld, opengraph, meta, ...).",
           '{"title": "jsonld"}', extracted=True, completeness=True),
    Column("crawled_at", UTC_US, False, "When the page was fetched (UTC).", "2026-11-21T00:10:00Z"),
    Column("run_id", pa.string(), False, "Airflow run id (or CLI run id) that wrote the row.",
           "scheduled__2026-11-20T00:00:00+00:00"),
    Column("story_id", pa.string(), True,
           "Id shared by near-duplicate articles (the same wire story in several outlets, a "
           "republished piece under a new headline): rows whose bodies have a 4-word-shingle "
           "Jaccard similarity >= 0.3 are linked, the threshold chosen with bench/dedup.py "
           "(lowest with pairwise precision 1.0 on its hard negatives; recall 0.97). The id "
           "is the article_id of the story's earliest member when it was first seen and never "
           "changes once stored (see 'How story_id is assigned'). Null in rows written before "
           "schema v2.",
           "3f1c9a0e5b7d2c4a8e6f0b1d2c3e4f5a", since=2),
    Column("raw_ref", pa.string(), True,
           "Where the raw HTML is: WARC record of the fetch, relative to the lake root, as "
           "raw/date=YYYY-MM-DD/source=<id>/<file>.warc.gz#<byte offset of the record>. "
           "Null if not archived or written before schema v2.",
           "raw/date=2026-11-21/source=indus-chronicle/crawl-0.warc.gz#48213",
           since=2, plain_text=True),
    Column("alternate_urls", STRINGS, True,
           "Other canonical URLs at which the source published the same body (same "
           "content_hash): one row per body, not one per URL. Found in the same batch or among "
           "the source's stored rows dated within NEWSFLOW_STORY_LOOKBACK_DAYS days (default 7) "
           "of the article; the row kept is the one stored first (within a batch, the most "
           "complete copy). Sorted; a URL once listed stays. Null when no other URL is known "
           "(and in rows written before schema v4).",
           '["https://example.pk/2026/11/20/budget-passes"]', since=4),
]

VERSION_NOTES: dict[int, str] = {
    1: "first release.",
    2: "Files written before v2 lack these columns until their partition is rewritten. To read "
       "a lake holding both, pass the unified schema "
       "(`transforms.schema.ARTICLES_DATASET_SCHEMA`) to pandas/pyarrow, or "
       "`union_by_name=true` to DuckDB; `transforms.lake.read_articles` does this for you.",
    3: "A date-only article's published_at is its printed day at 00:00 UTC.",
    4: "The same body under another URL of the source, in one batch or in a later run within "
       "the look-back window, is one row that lists the other URLs.",
}
"""What each schema version changed, beyond the columns it added (see :func:`added_in`)."""

SCHEMA_VERSION = max(VERSION_NOTES)
"""The current version, stored in each file's metadata; a column's ``since`` is at most this."""

PRECISIONS = ("day", "minute", "second")
"""Values of ``published_precision``: what the page printed of the publication time."""

OFFSET_PATTERN = re.compile(r"[+-](?:0\d|1[0-4]):[0-5]\d")
"""The one form of ``published_offset``: ``+HH:MM`` (full match), as :func:`format_offset` makes."""


def format_offset(offset: timedelta) -> str:
    """A UTC offset as ``+HH:MM``: the form ``published_offset`` is stored in."""
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def added_in(version: int) -> tuple[str, ...]:
    """Names of the article columns schema ``version`` added (files written before lack them)."""
    return tuple(c.name for c in ARTICLE_COLUMNS if c.since == version)


def python_kind(column: Column) -> type:
    """The Python type of a column's values before they are stored (str, list, datetime, ...)."""
    kind = column.type
    for test, python in ((pa.types.is_list, list), (pa.types.is_map, dict),
                         (pa.types.is_timestamp, datetime), (pa.types.is_date, date),
                         (pa.types.is_boolean, bool), (pa.types.is_integer, int),
                         (pa.types.is_floating, float), (pa.types.is_string, str)):
        if test(kind):
            return python
    raise TypeError(f"no Python kind for {column.name}: {kind}")


QUARANTINE_COLUMNS: list[Column] = [
    Column("source", pa.string(), False, "Source id.", "indus-chronicle"),
    Column("url", pa.string(), True, "URL of the bad row, if known.", "https://example.pk/x"),
    Column("reason", pa.string(), False, "Why the row was refused.", "missing title"),
    Column("stage", pa.string(), False, "Where it was refused: extract, normalize, validate.",
           "validate"),
    Column("record", pa.string(), False, "The offending record as JSON.", '{"url": ...}'),
    Column("quarantine_id", pa.string(), False, "Hash of source, url, reason and record.",
           "5d41402abc4b2a76"),
    Column("run_id", pa.string(), False, "Run that refused it.", "manual__2026-11-21"),
    Column("quarantined_at", UTC_US, False, "When it was refused (UTC).", "2026-11-21T00:12:00Z"),
]

RUN_REPORT_COLUMNS: list[Column] = [
    Column("run_id", pa.string(), False, "Airflow run id (or CLI run id) the report is about.",
           "scheduled__2026-11-20T00:00:00+00:00"),
    Column("date", pa.date32(), False, "Day the run crawled (the run's logical date, UTC).",
           "2026-11-20"),
    Column("source", pa.string(), False, "Source id the row counts.", "indus-chronicle"),
    Column("found", pa.int64(), False, "Article URLs discovered (feeds, sitemaps, listings).",
           "57"),
    Column("fetched", pa.int64(), False, "Pages fetched successfully (HTTP 2xx).", "55"),
    Column("staged", pa.int64(), False, "Records written to the staged JSONL.", "54"),
    Column("written", pa.int64(), False, "Article rows inserted or updated in the lake.", "50"),
    Column("duplicates", pa.int64(), False, "Rows dropped as duplicates within the run.", "2"),
    Column("quarantined", pa.int64(), False, "Rows sent to the quarantine table.", "2"),
    Column("robots_refused", pa.int64(), False, "URLs not fetched because robots.txt refused.",
           "1"),
    Column("errors", pa.int64(), False, "Fetch or processing errors (HTTP errors, timeouts).",
           "1"),
    Column("complete_share", pa.float64(), True,
           "Share of the day's rows with title, published_at and a body over 50 words (0-1).",
           "0.86"),
    Column("status", pa.string(), False, "Outcome for the source: ok, partial or failed.", "ok"),
    Column("created_at", UTC_US, False, "When the report row was written (UTC).",
           "2026-11-21T00:20:00Z"),
]

PARTITION_COLUMNS: list[Column] = [
    Column("date", pa.date32(), False,
           "UTC publication date (Hive partition); for a date-only article (published_precision "
           "'day') the calendar day the outlet printed.", "2026-11-20"),
    Column("source", pa.string(), False, "Source id (Hive partition).", "indus-chronicle"),
]


def arrow_schema(columns: list[Column], *, with_metadata: bool = True) -> pa.Schema:
    """Arrow schema of a table's file columns, with the schema version in its metadata."""
    meta = {METADATA_KEY: str(SCHEMA_VERSION).encode()} if with_metadata else None
    return pa.schema([c.field() for c in columns], metadata=meta)


def file_columns(columns: list[Column]) -> list[Column]:
    """Columns stored inside files: everything but the partition columns."""
    partition_names = {c.name for c in PARTITION_COLUMNS}
    return [c for c in columns if c.name not in partition_names]


def dataset_schema(columns: list[Column]) -> pa.Schema:
    """File columns plus the Hive partition columns: pass it to readers of a mixed-version lake."""
    schema = arrow_schema(file_columns(columns))
    for column in PARTITION_COLUMNS:
        schema = schema.append(column.field())
    return schema


ARTICLES_SCHEMA = arrow_schema(file_columns(ARTICLE_COLUMNS))
QUARANTINE_SCHEMA = arrow_schema(file_columns(QUARANTINE_COLUMNS))
ARTICLES_DATASET_SCHEMA = dataset_schema(ARTICLE_COLUMNS)
QUARANTINE_DATASET_SCHEMA = dataset_schema(QUARANTINE_COLUMNS)


@functools.cache
def partitioning() -> Any:
    """The Hive partitioning of every table (``pyarrow.dataset.Partitioning``).

    Built on first use: ``pyarrow.dataset`` imports pandas, which a crawl process never needs.
    """
    import pyarrow.dataset as ds

    return ds.partitioning(pa.schema([c.field() for c in PARTITION_COLUMNS]), flavor="hive")


def __getattr__(name: str) -> Any:
    """``PARTITIONING`` is made on first access (see :func:`partitioning`)."""
    if name == "PARTITIONING":
        return partitioning()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


ARTICLE_FIELD_NAMES = [c.name for c in ARTICLE_COLUMNS]


@dataclass(frozen=True)
class TableSpec:
    """How one lake table is keyed, compared, sorted and merged (its columns are declared above)."""

    name: str
    columns: tuple[Column, ...]
    """Every column, file and partition ones, in the order readers return them."""
    key: str
    ignored_on_compare: frozenset[str]
    sort_keys: tuple[str, ...]
    updates: bool
    moves: bool
    sticky: frozenset[str] = frozenset()
    """Columns whose stored non-null value wins over a new one (a new value only fills a null);
    callers may omit them (they are then null)."""
    optional: frozenset[str] = frozenset()  # callers may omit these columns (stored as null)
    unions: frozenset[str] = frozenset()
    """List columns that only grow: a row's stored values and its new ones, sorted, once each."""
    replaces_partition: bool = False
    """A partition holds one row, of the latest merge: a merge removes the partition's rows of
    other keys (re-running a day replaces its row instead of adding one)."""
    schema: pa.Schema = field(init=False, compare=False)
    """Arrow schema of the file columns, with the schema version in its metadata."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "schema", arrow_schema(file_columns(list(self.columns))))


# raw_ref is bookkeeping: an unchanged article keeps the row (and raw page) it had; a changed one
# brings the raw_ref of the copy it was extracted from.  story_id is sticky: once set it stays;
# alternate_urls only grows, whichever writer (a crawl, a reprocess) brings the row again.  A
# column added after v1 is optional: rows written before it lack it.
ARTICLES = TableSpec("articles", tuple(ARTICLE_COLUMNS), "article_id",
                     frozenset({"crawled_at", "run_id", "raw_ref"}),
                     ("published_at", "article_id"), updates=True, moves=True,
                     sticky=frozenset({"story_id"}),
                     optional=frozenset(c.name for c in ARTICLE_COLUMNS if c.since > 1),
                     unions=frozenset({"alternate_urls"}))
QUARANTINE = TableSpec("quarantine", tuple(QUARANTINE_COLUMNS), "quarantine_id",
                       frozenset({"quarantined_at", "run_id"}), ("quarantine_id",),
                       updates=False, moves=False)
# One row per (date, source) partition, laid out like articles (date and source in the path
# only): the key is run_id, and a merge drops a partition's rows of other runs, so re-running a
# day replaces its row.
RUN_REPORTS = TableSpec("run_reports", tuple(RUN_REPORT_COLUMNS), "run_id",
                        frozenset({"created_at"}), ("run_id",), updates=True, moves=False,
                        replaces_partition=True)
TABLES = (ARTICLES, QUARANTINE, RUN_REPORTS)
TABLE_COLUMNS = {spec.name: list(spec.columns) for spec in TABLES}
"""Every column of each table (file and partition columns), in the order readers return them."""
