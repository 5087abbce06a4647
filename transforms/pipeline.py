"""Staged JSONL -> normalize -> validate -> dedupe (in the batch, then against the lake's
look-back window) -> merge into the lake; per-source counts."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from transforms.dedupe import dedupe_articles, fold_into_stored
from transforms.lake import MergeResult, merge_articles, merge_quarantine
from transforms.normalize import RECORD_COLUMN, normalize_articles, parse_timestamp, record_json
from transforms.source_ids import INVALID_SOURCE, SOURCE_ID
from transforms.stages import StageTimer
from transforms.stories import add_story_ids
from transforms.validate import quarantine_frame, quarantine_row, split_valid

_COUNTERS = ("staged", "valid", "duplicates", "duplicates_of_stored", "quarantined", "inserted",
             "updated", "unchanged", "removed", "written", "files_written",
             "quarantine_inserted")


@dataclass
class SourceCounts:
    """What one run did for one source."""

    staged: int = 0
    valid: int = 0
    duplicates: int = 0  # rows dropped as the same article or body as another row of the batch
    duplicates_of_stored: int = 0  # rows whose body was stored under another URL: folded into it
    quarantined: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    written: int = 0
    files_written: int = 0
    quarantine_inserted: int = 0


@dataclass
class RunSummary:
    """Per-source counts of one ``process_staged`` run; ``to_dict``/``to_json`` serialise it."""

    run_id: str
    sources: dict[str, SourceCounts] = field(default_factory=dict)
    articles: dict[str, Any] = field(default_factory=dict)
    quarantine: dict[str, Any] = field(default_factory=dict)

    def totals(self) -> dict[str, int]:
        """Counters summed over sources."""
        return {name: sum(getattr(c, name) for c in self.sources.values()) for name in _COUNTERS}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (per-source counts, totals and per-partition merge results)."""
        return {"run_id": self.run_id,
                "sources": {s: asdict(c) for s, c in sorted(self.sources.items())},
                "totals": self.totals(), "articles": self.articles, "quarantine": self.quarantine}

    def to_json(self) -> str:
        """The summary as a JSON string."""
        return json.dumps(self.to_dict(), sort_keys=True)


def _file_source(records: list[dict[str, Any]]) -> str:
    """The most common valid source id among a file's records (for unparseable lines)."""
    counts = Counter(r.get("source") for r in records
                     if isinstance(r.get("source"), str) and SOURCE_ID.match(r["source"]))
    return counts.most_common(1)[0][0] if counts else INVALID_SOURCE


def read_staged(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Records of one staged JSONL file and stand-in rows for lines that are not JSON objects."""
    records: list[dict[str, Any]] = []
    broken: list[dict[str, Any]] = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError:
                value = None
            if isinstance(value, dict):
                value[RECORD_COLUMN] = record_json(value)
                records.append(value)
            else:
                broken.append({"line": number, "text": line.rstrip("\n")[:10_000],
                               "file": str(path)})
    source = _file_source(records)
    crawled = max((r["crawled_at"] for r in records if isinstance(r.get("crawled_at"), str)),
                  default=None)
    for item in broken:
        item["source"] = source
        item["crawled_at"] = crawled
    return records, broken


def _broken_quarantine(broken: list[dict[str, Any]], run_id: str, now: pd.Timestamp
                       ) -> pd.DataFrame:
    """Quarantine rows for lines that were not JSON objects."""
    rows = []
    for item in broken:
        stub = {"source": item["source"], "url": None, "crawled_at": _timestamp(item["crawled_at"]),
                RECORD_COLUMN: json.dumps(item, ensure_ascii=False, sort_keys=True)}
        rows.append(quarantine_row(stub, ["invalid JSON"], "extract", run_id, now))
    return quarantine_frame(rows)


def _timestamp(value: Any) -> pd.Timestamp | None:
    """A UTC timestamp from an ISO string, or None."""
    try:
        return parse_timestamp(value)[0]
    except (ValueError, TypeError, OverflowError):
        return None


def _count(counts: dict[str, SourceCounts], series: pd.Series, name: str) -> None:
    """Add value counts of a source column to one counter."""
    for source, n in series.value_counts().items():
        counter = counts.setdefault(str(source), SourceCounts())
        setattr(counter, name, getattr(counter, name) + int(n))


def _record_source(record: dict[str, Any]) -> str:
    """The source a staged record is counted under."""
    source = record.get("source")
    return source if isinstance(source, str) and SOURCE_ID.match(source) else INVALID_SOURCE


def process_staged(paths: list[Path], run_id: str, root: str | Path | None = None,
                   timer: StageTimer | None = None) -> RunSummary:
    """Process staged JSONL files into the lake and return per-source counts.

    ``timer`` (optional) is told each stage as it runs, so a benchmark can time this very code.
    """
    timer = timer or StageTimer()
    now = pd.Timestamp(datetime.now(UTC)).as_unit("us")
    records: list[dict[str, Any]] = []
    broken: list[dict[str, Any]] = []
    with timer.stage("read"):
        for path in paths:
            good, bad = read_staged(Path(path))
            records.extend(good)
            broken.extend(bad)
    total = len(records) + len(broken)
    counts: dict[str, SourceCounts] = {}
    with timer.stage("frame", total):
        staged_sources = [_record_source(r) for r in records] + [b["source"] for b in broken]
        _count(counts, pd.Series(staged_sources, dtype=object), "staged")
        staged = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    with timer.stage("normalize", len(staged)):
        normalized = normalize_articles(staged, run_id)
    with timer.stage("validate", len(normalized)):
        valid, quarantine = split_valid(normalized, now=now, run_id=run_id)
        quarantine = pd.concat([quarantine, _broken_quarantine(broken, run_id, now)],
                               ignore_index=True)
    with timer.stage("dedupe", len(valid)):
        kept, _ = dedupe_articles(valid)
        _count(counts, valid["source"], "valid")
        _count(counts, quarantine["source"], "quarantined")
        for source, n in valid["source"].value_counts().items():
            counts[str(source)].duplicates = int(n) - int((kept["source"] == source).sum())
        kept, folded = fold_into_stored(kept, root)
        for source, n in folded.items():
            counts.setdefault(source, SourceCounts()).duplicates_of_stored = n
    with timer.stage("stories", len(kept)):
        kept = add_story_ids(kept, root)
    with timer.stage("merge", len(kept)):
        articles = merge_articles(kept, root)
    with timer.stage("quarantine", len(quarantine)):
        quarantined = merge_quarantine(quarantine, root)
    _apply_merge(counts, articles, quarantined)
    return RunSummary(run_id, counts, articles.to_dict(), quarantined.to_dict())


def _apply_merge(counts: dict[str, SourceCounts], articles: MergeResult,
                 quarantined: MergeResult) -> None:
    """Copy merge counters into the per-source counts."""
    for source, merged in articles.by_source().items():
        counter = counts.setdefault(source, SourceCounts())
        for name in ("inserted", "updated", "unchanged", "removed", "files_written"):
            setattr(counter, name, merged[name])
        counter.written = merged["inserted"] + merged["updated"]
    for source, merged in quarantined.by_source().items():
        counts.setdefault(source, SourceCounts()).quarantine_inserted = merged["inserted"]
