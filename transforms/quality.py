"""The data-quality gate: per source, is the day's data fit to publish?

Checks, each against the source's ``quality`` thresholds in the registry:

* complete rows: share of the day's lake rows with title, published_at and a body over
  ``min_body_words`` words;
* row count: the day's lake rows against the median of the trailing ``history_days`` days;
* quarantined: share of the run's staged rows sent to quarantine;
* robots.txt: share of the crawl's URLs that robots.txt refused;
* not an article: share of fetched article-URL pages that gave no article at all (a layout
  change that empties bodies makes the extractor drop pages before anything is staged).

The gate runs after the write: it reports, it never removes rows.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from transforms.lake import (
    ARTICLES,
    LakeLocation,
    lake_location,
    partition_files,
    read_articles,
    read_run_reports,
)
from transforms.thresholds import Quality


class GateFailed(RuntimeError):
    """A source's data fell below its quality thresholds; the message says what and by how much."""


@dataclass(frozen=True)
class Check:
    """One gate check: its value, the threshold it was held to and a readable explanation."""

    name: str
    passed: bool
    value: float | None
    threshold: float
    detail: str


@dataclass(frozen=True)
class GateInputs:
    """Everything the gate needs about one source and one day."""

    source: str
    day: date
    rows: int = 0
    complete: int = 0
    staged: int = 0
    quarantined: int = 0
    urls: int = 0
    robots_refused: int = 0
    fetched_pages: int = 0
    not_article: int = 0
    history: dict[str, int] = field(default_factory=dict)
    crawl_failed: str | None = None
    over_budget: int = 0
    entries_over_limit: int = 0
    documents_too_large: int = 0
    documents_recovered: int = 0


@dataclass(frozen=True)
class GateResult:
    """The outcome of every check for one source."""

    source: str
    day: date
    checks: list[Check]

    @property
    def passed(self) -> bool:
        """True when no check failed."""
        return all(c.passed for c in self.checks)

    @property
    def complete_share(self) -> float | None:
        """The complete-rows share, or None when no row was there to judge."""
        return next((c.value for c in self.checks if c.name == "complete"), None)

    def failures(self) -> list[str]:
        """One message per failed check, prefixed with the source id."""
        return [f"{self.source}: {c.detail}" for c in self.checks if not c.passed]

    def describe(self) -> str:
        """Every check on its own line, marked ok or FAIL."""
        lines = [f"quality gate {self.source} {self.day}: {'passed' if self.passed else 'FAILED'}"]
        lines += [f"  {'ok  ' if c.passed else 'FAIL'} {c.detail}" for c in self.checks]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"source": self.source, "day": self.day.isoformat(), "passed": self.passed,
                "checks": [asdict(c) for c in self.checks]}


def share(part: int, whole: int) -> float | None:
    """``part / whole``, or None when there is nothing to divide."""
    return part / whole if whole else None


def count_complete(rows: pd.DataFrame, min_words: int) -> int:
    """Rows with a title, a published_at and a body of more than ``min_words`` words."""
    if rows.empty:
        return 0
    titled = rows["title"].fillna("").astype(str).str.strip() != ""
    dated = rows["published_at"].notna()
    words = rows["body"].fillna("").astype(str).str.split().str.len()
    return int((titled & dated & (words > min_words)).sum())


def check_complete(rows: int, complete: int, quality: Quality) -> Check:
    """Share of the day's rows that are complete, held to ``min_complete_share``."""
    what = f"title, published_at and a body over {quality.min_body_words} words"
    value = share(complete, rows)
    if value is None:
        return Check("complete", True, None, quality.min_complete_share,
                     f"complete rows n/a (no rows for the day; {what})")
    passed = value >= quality.min_complete_share
    sign = ">=" if passed else "<"
    return Check("complete", passed, value, quality.min_complete_share,
                 f"complete rows {value:.2f} {sign} {quality.min_complete_share:.2f} "
                 f"({complete} of {rows} rows have {what})")


def trailing_median(history: dict[str, int]) -> float | None:
    """Median of the daily row counts, or None without history."""
    return float(statistics.median(history.values())) if history else None


def check_volume(rows: int, history: dict[str, int], quality: Quality) -> Check:
    """The day's rows against ``min_rows_vs_median`` x the trailing median of daily rows."""
    days = len(history)
    minimum = quality.min_rows_vs_median
    median = trailing_median(history)
    if days < quality.min_history_days or median is None:
        return Check("rows_vs_median", True, None, minimum,
                     f"row count {rows} not compared ({days} of {quality.min_history_days} "
                     f"days of history needed)")
    if median == 0:
        return Check("rows_vs_median", True, None, minimum,
                     f"row count {rows}; trailing {days}-day median is 0")
    ratio = rows / median
    passed = ratio >= minimum
    sign = ">=" if passed else "<"
    return Check("rows_vs_median", passed, ratio, minimum,
                 f"row count {rows} is {ratio:.2f} of the trailing {days}-day median "
                 f"{median:g} ({ratio:.2f} {sign} {minimum:.2f}; "
                 f"expected at least {minimum * median:.1f} rows)")


def check_share_at_most(name: str, label: str, part: int, whole: int, limit: float,
                        noun: str, verb: str) -> Check:
    """A share that must stay at or below ``limit``: ``part`` of ``whole`` ``noun`` ``verb``."""
    value = share(part, whole)
    if value is None:
        return Check(name, True, None, limit, f"{label} n/a (no {noun})")
    passed = value <= limit
    sign = "<=" if passed else ">"
    return Check(name, passed, value, limit,
                 f"{label} {value:.2f} {sign} {limit:.2f} ({part} of {whole} {noun} {verb})")


def check_crawl(crawl_failed: str | None) -> Check:
    """The crawl itself must have succeeded for anything else to mean much."""
    if crawl_failed is None:
        return Check("crawl", True, None, 0, "crawl finished")
    return Check("crawl", False, None, 0, f"crawl failed, no data for the day ({crawl_failed})")


def check_discovery(inputs: GateInputs) -> Check:
    """Discovery must not have cut data: candidates past the budget, entries past a document's
    limit or documents over the size cap all mean articles of the day were never looked at.

    Repaired (malformed) feeds and sitemaps are named in the detail but do not fail the check.
    """
    cuts = {"candidates over the budget": inputs.over_budget,
            "entries over a document's limit": inputs.entries_over_limit,
            "documents over the size limit": inputs.documents_too_large}
    cut = sum(cuts.values())
    parts = [f"{n} {label}" for label, n in cuts.items() if n]
    repaired = (f"; {inputs.documents_recovered} malformed feed/sitemap document(s) repaired"
                if inputs.documents_recovered else "")
    if cut:
        return Check("discovery", False, float(cut), 0,
                     f"discovery cut data: {', '.join(parts)}{repaired}")
    return Check("discovery", True, 0.0, 0, f"discovery complete{repaired}")


def evaluate(inputs: GateInputs, quality: Quality) -> GateResult:
    """Run every check for one source."""
    checks = [
        check_crawl(inputs.crawl_failed),
        check_complete(inputs.rows, inputs.complete, quality),
        check_volume(inputs.rows, inputs.history, quality),
        check_share_at_most("quarantined", "quarantined", inputs.quarantined, inputs.staged,
                            quality.max_quarantine_share, "staged rows", "were quarantined"),
        check_share_at_most("robots_refused", "robots.txt refused", inputs.robots_refused,
                            inputs.urls, quality.max_robots_refused_share,
                            "URLs", "were refused by robots.txt"),
        check_share_at_most("not_article", "pages without an article", inputs.not_article,
                            inputs.fetched_pages, quality.max_not_article_share,
                            "article-URL pages", "gave no article: empty or missing body"),
        check_discovery(inputs),
    ]
    return GateResult(inputs.source, inputs.day, checks)


def partition_rows(sources: Iterable[str], days: Iterable[date],
                   root: str | Path | LakeLocation | None = None) -> dict[tuple[date, str], int]:
    """Article rows per existing ``(day, source)`` partition, from the Parquet footers only."""
    loc = lake_location(root)
    counts = {}
    for path in partition_files(loc, ARTICLES.name, list(days), list(sources)):
        pure = PurePosixPath(path)
        key = (date.fromisoformat(pure.parent.parent.name[5:]), pure.parent.name[7:])
        with loc.open_input(path) as handle:
            counts[key] = pq.ParquetFile(handle).metadata.num_rows
    return counts


def daily_rows(source: str, days: Iterable[date], root: str | Path | LakeLocation | None = None
               ) -> dict[date, int | None]:
    """Lake rows per day for one source (None for a day without a partition)."""
    days = list(days)
    counts = partition_rows([source], days, root)
    return {d: counts.get((d, source)) for d in days}


def history_rows(source: str, day: date, days: int, root: str | Path | LakeLocation | None = None
                 ) -> dict[str, int]:
    """Daily lake rows of the ``days`` days before ``day`` that the pipeline covered.

    A day counts when the run_reports table has a row for it (a day crawled with nothing
    published counts as 0) or, for days before run reports existed, when it has a partition.
    """
    window = [day - timedelta(days=n) for n in range(days, 0, -1)]
    reported = read_run_reports(root, dates=window, sources=[source])
    covered = {pd.Timestamp(d).date() for d in reported["date"]}
    counts = daily_rows(source, window, root)
    return {d.isoformat(): n or 0 for d, n in counts.items() if n is not None or d in covered}


def source_counts(summary: dict[str, Any], source: str) -> tuple[dict[str, int], dict[str, int]]:
    """(crawl counts, write counts) of one source from the write task's summary."""
    crawl = summary.get("crawl_counts", {}).get(source) or {}
    written = summary.get("sources", {}).get(source) or {}
    return crawl, written


def gather_inputs(source: str, day: date, summary: dict[str, Any], quality: Quality,
                  root: str | Path | LakeLocation | None = None) -> GateInputs:
    """Read the day's rows back from the lake and combine them with the run's counts."""
    rows = read_articles(root, dates=[day], sources=[source],
                         columns=["title", "published_at", "body"])
    crawl, written = source_counts(summary, source)
    not_article = int(crawl.get("not_article", 0))
    return GateInputs(
        source=source,
        day=day,
        rows=len(rows),
        complete=count_complete(rows, quality.min_body_words),
        staged=int(written.get("staged", 0)),
        quarantined=int(written.get("quarantined", 0)),
        urls=int(crawl.get("urls", 0)),
        robots_refused=int(crawl.get("robots_refused", 0)),
        fetched_pages=not_article + int(crawl.get("staged", 0)),
        not_article=not_article,
        history=history_rows(source, day, quality.history_days, root),
        crawl_failed=summary.get("crawl_failed", {}).get(source),
        over_budget=int(crawl.get("over_budget", 0)),
        entries_over_limit=int(crawl.get("entries_over_limit", 0)),
        documents_too_large=int(crawl.get("documents_too_large", 0)),
        documents_recovered=int(crawl.get("documents_recovered", 0)),
    )


def run_gate(source: str, day: date, summary: dict[str, Any], quality: Quality,
             root: str | Path | LakeLocation | None = None) -> GateResult:
    """Evaluate one source's gate for one day."""
    return evaluate(gather_inputs(source, day, summary, quality, root), quality)


def raise_if_failed(result: GateResult) -> None:
    """Raise GateFailed listing every failed check of a source."""
    if not result.passed:
        raise GateFailed("; ".join(result.failures()))
