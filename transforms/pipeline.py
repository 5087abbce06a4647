"""Staged JSONL -> normalize -> validate -> dedupe (in the batch, then against the lake's
look-back window) -> merge into the lake; per-source counts."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from transforms.dedupe import dedupe_articles, fold_into_stored
from transforms.lake import MergeResult, merge_articles, merge_quarantine
from transforms.normalize import (
    OUTPUT_COLUMNS,
    RECORD_COLUMN,
    empty_frame,
    normalize_record,
    parse_timestamp,
    record_json,
    typed_frame,
)
from transforms.source_ids import INVALID_SOURCE, SOURCE_ID
from transforms.stages import StageTimer
from transforms.stories import StoryStats, add_story_ids
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
    stories: dict[str, int] = field(default_factory=dict)
    """The story grouping's counts (``StoryStats``): pairs proposed, capped, checked."""

    def totals(self) -> dict[str, int]:
        """Counters summed over sources."""
        return {name: sum(getattr(c, name) for c in self.sources.values()) for name in _COUNTERS}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (per-source counts, totals and per-partition merge results)."""
        return {"run_id": self.run_id,
                "sources": {s: asdict(c) for s, c in sorted(self.sources.items())},
                "totals": self.totals(), "articles": self.articles, "quarantine": self.quarantine,
                "stories": self.stories}

    def to_json(self) -> str:
        """The summary as a JSON string."""
        return json.dumps(self.to_dict(), sort_keys=True)


CHUNK_ROWS = 10_000
"""Staged files are normalised and validated in groups of about this many lines (whole files),
so the raw records never exist for the whole day at once."""


def _file_source(records: list[tuple[int, dict[str, Any]]]) -> str:
    """The most common valid source id among a file's records (for unparseable lines)."""
    counts = Counter(r.get("source") for _, r in records
                     if isinstance(r.get("source"), str) and SOURCE_ID.match(r["source"]))
    return counts.most_common(1)[0][0] if counts else INVALID_SOURCE


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Numbered non-blank lines of a staged JSONL file (undecodable bytes replaced)."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line


def _parse(line: str) -> Any:
    """The JSON value of one line, or None when it is not JSON."""
    try:
        return json.loads(line)
    except ValueError:
        return None


def read_staged(path: Path) -> tuple[list[tuple[int, dict[str, Any]]], list[dict[str, Any]]]:
    """Records of one staged JSONL file with their line numbers, and stand-in rows for lines
    that are not JSON objects."""
    records: list[tuple[int, dict[str, Any]]] = []
    broken: list[dict[str, Any]] = []
    for number, line in _lines(path):
        value = _parse(line)
        if isinstance(value, dict):
            records.append((number, value))
        else:
            broken.append({"line": number, "text": line.rstrip("\n")[:10_000],
                           "file": str(path)})
    source = _file_source(records)
    crawled = max((r["crawled_at"] for _, r in records if isinstance(r.get("crawled_at"), str)),
                  default=None)
    for item in broken:
        item["source"] = source
        item["crawled_at"] = crawled
    return records, broken


class RecordText:
    """The quarantine text of a staged record from its ``(file, line)`` reference.

    Rows carry only the reference until validation refuses them; the line is then read again
    (the last file read is kept, as refused rows come in file order) and serialised as
    ``record_json`` would have serialised it when it was first read.
    """

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        self.cached: tuple[int, dict[int, str]] | None = None

    def __call__(self, ref: tuple[int, int]) -> str:
        """``record_json`` of line ``ref[1]`` of file ``ref[0]``."""
        file, line = ref
        if self.cached is None or self.cached[0] != file:
            self.cached = (file, dict(_lines(self.paths[file])))
        return record_json(_parse(self.cached[1][line]))


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


def _check(records: list[tuple[int, int, dict[str, Any]]], run_id: str, now: pd.Timestamp,
           record_text: RecordText, timer: StageTimer) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Normalise and validate a group of staged records: (valid rows, quarantine rows)."""
    with timer.stage("normalize", len(records)):
        rows = []
        for file, line, record in records:
            record[RECORD_COLUMN] = (file, line)  # the text is made only if the row is refused
            rows.append(normalize_record(record, run_id))
        records.clear()
        normalized = typed_frame(pd.DataFrame(rows, columns=OUTPUT_COLUMNS))
        del rows
    with timer.stage("validate", len(normalized)):
        return split_valid(normalized, now=now, run_id=run_id, record_text=record_text)


def check_staged(paths: list[Path], run_id: str, now: pd.Timestamp,
                 counts: dict[str, SourceCounts], timer: StageTimer,
                 chunk_rows: int = CHUNK_ROWS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read, normalise and validate staged files a group at a time: (valid, quarantine rows).

    Counts every staged line under its source.  The rows are those of one ``split_valid`` over
    the whole day, in the same order (refused records, then lines that are not JSON).
    """
    record_text = RecordText([Path(p) for p in paths])
    valid: list[pd.DataFrame] = []
    refused: list[pd.DataFrame] = []
    broken: list[dict[str, Any]] = []
    group: list[tuple[int, int, dict[str, Any]]] = []
    for file, path in enumerate(record_text.paths):
        with timer.stage("read"):
            good, bad = read_staged(path)
        with timer.stage("frame", len(good) + len(bad)):
            sources = [_record_source(r) for _, r in good] + [b["source"] for b in bad]
            _count(counts, pd.Series(sources, dtype=object), "staged")
        group.extend((file, line, record) for line, record in good)
        broken.extend(bad)
        del good, bad
        if len(group) >= chunk_rows or (group and file == len(record_text.paths) - 1):
            ok, refused_rows = _check(group, run_id, now, record_text, timer)
            valid.append(ok)
            refused.append(refused_rows)
    with timer.stage("validate"):
        refused.append(_broken_quarantine(broken, run_id, now))
        if not valid:
            valid.append(split_valid(empty_frame(), now=now, run_id=run_id)[0])
        return _concat(valid), _concat(refused)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Frames one after another with a fresh index (the frame itself when there is one)."""
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def process_staged(paths: list[Path], run_id: str, root: str | Path | None = None,
                   timer: StageTimer | None = None) -> RunSummary:
    """Process staged JSONL files into the lake and return per-source counts.

    Only the valid rows of the whole day are held (and, of refused ones, their quarantine
    rows); intermediate frames are freed as soon as the next stage has what it needs.
    ``timer`` (optional) is told each stage as it runs, so a benchmark can time this very code.
    """
    timer = timer or StageTimer()
    now = pd.Timestamp(datetime.now(UTC)).as_unit("us")
    counts: dict[str, SourceCounts] = {}
    valid, quarantine = check_staged(paths, run_id, now, counts, timer)
    with timer.stage("dedupe", len(valid)):
        kept, _ = dedupe_articles(valid)
        _count(counts, valid["source"], "valid")
        _count(counts, quarantine["source"], "quarantined")
        left = kept["source"].value_counts()
        for source, n in valid["source"].value_counts().items():
            counts[str(source)].duplicates = int(n) - int(left.get(source, 0))
        del valid
        kept, folded = fold_into_stored(kept, root)
        for source, n in folded.items():
            counts.setdefault(source, SourceCounts()).duplicates_of_stored = n
    story_stats = StoryStats()
    with timer.stage("stories", len(kept)):
        kept = add_story_ids(kept, root, stats=story_stats)
    with timer.stage("merge", len(kept)):
        articles = merge_articles(kept, root)
        del kept
    with timer.stage("quarantine", len(quarantine)):
        quarantined = merge_quarantine(quarantine, root)
    _apply_merge(counts, articles, quarantined)
    return RunSummary(run_id, counts, articles.to_dict(), quarantined.to_dict(),
                      asdict(story_stats))


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
