"""Tests for near-duplicate story groups (transforms/stories.py) and their wiring into the lake."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from transforms.lake import merge_articles, read_articles
from transforms.normalize import normalize_articles
from transforms.pipeline import process_staged
from transforms.stories import (
    LOOKBACK_ENV,
    add_story_ids,
    assign_story_ids,
    group_bodies,
    lookback_dates,
    lookback_days,
    shingle_bodies,
    tokenize,
)
from transforms.validate import split_valid

WIRE = [
    "ISLAMABAD: The federal cabinet on Tuesday approved a plan to repair the main canal "
    "network in southern Punjab before the next sowing season.",
    "The decision was taken at a meeting chaired by the prime minister, officials said.",
    "Under the plan, the irrigation department will rebuild 42 damaged regulators and line "
    "300 kilometres of distributaries with concrete.",
    "Farmers in Bahawalpur and Rahim Yar Khan have complained for years that water does not "
    "reach the tail ends of the canals.",
    "The finance ministry has been asked to release the first tranche of funds within two "
    "weeks, according to a statement issued after the meeting.",
    "Work is expected to start in January and finish before the monsoon, the statement said.",
    "Opposition lawmakers welcomed the move but questioned whether the money would be spent "
    "transparently.",
    "A provincial minister said independent engineers would audit every contract awarded "
    "under the scheme.",
    "The World Bank had earlier offered technical support for the canal lining programme.",
    "Officials said the repairs would save enough water to irrigate an additional 80,000 "
    "acres.",
]

SIMILAR = [
    "LAHORE: Farmers in southern Punjab staged a protest on Thursday over water shortages at "
    "the tail ends of canals.",
    "Farmers in Bahawalpur and Rahim Yar Khan have complained for years that water does not "
    "reach the tail ends of the canals.",
    "The protesters blocked a highway for three hours and demanded that officials act against "
    "influential landowners who steal water upstream.",
    "Police negotiated with the protest leaders, who agreed to disperse after the deputy "
    "commissioner promised an inquiry.",
    "Under the plan, the irrigation department will rebuild 42 damaged regulators and line "
    "300 kilometres of distributaries with concrete.",
    "But growers said repairs alone would not help if water theft continued.",
    "A farmers' union leader said wheat sowing had already been delayed in several villages.",
    "The irrigation secretary did not respond to requests for comment.",
    "Local traders joined the protest and kept their shops closed in solidarity.",
    "The union said it would march to the provincial assembly next week if nothing changed.",
]


def body(sentences: list[str]) -> str:
    """Body text: sentences, two per paragraph."""
    return "\n\n".join(" ".join(sentences[i:i + 2]) for i in range(0, len(sentences), 2))


def edited(sentences: list[str], swaps: dict[str, str], drop: int | None = None,
           add: str | None = None) -> list[str]:
    """A lightly edited copy: word replacements, one sentence dropped, one added at the end."""
    out = [s for n, s in enumerate(sentences) if n != drop]
    for old, new in swaps.items():
        out = [s.replace(old, new) for s in out]
    return [*out, add] if add else out


DAWN = body(WIRE)
TRIBUNE = body(edited(WIRE, {"Tuesday": "Tuesday evening", "officials said": "sources said"},
                      drop=8, add="The canal system is one of the largest in the world."))
NATION = body(edited(WIRE, {"ISLAMABAD: ": "", "federal cabinet": "cabinet",
                            "80,000": "eighty thousand"}, drop=5))
FOLLOW_UP = body(SIMILAR)


def record(source: str, n: int, text: str, title: str, published: str = "2026-11-20T09:00:00Z",
           **extra: Any) -> dict[str, Any]:
    """A staged record."""
    return {"url": f"https://{source}.com.pk/news/{n}", "title": title, "body": text,
            "authors": [], "published_at": published, "extractor_version": "1",
            "source": source, "country": "PK", "crawled_at": "2026-11-21T00:00:00Z", **extra}


def rows(*records: dict[str, Any]) -> pd.DataFrame:
    """Valid article rows for staged records."""
    valid, quarantine = split_valid(normalize_articles(pd.DataFrame(list(records)), "run-1"))
    assert quarantine.empty, quarantine["reason"].tolist()
    return valid


def wire_rows(published: str = "2026-11-20T09:00:00Z") -> pd.DataFrame:
    """The wire story in three outlets with different headlines, plus a follow-up story."""
    return rows(record("dawn", 1, DAWN, "Cabinet approves canal repairs", published),
                record("tribune", 2, TRIBUNE, "Rs plan to fix Punjab canals gets nod", published),
                record("nation", 3, NATION, "Govt to line 300km of distributaries", published),
                record("dawn", 4, FOLLOW_UP, "Farmers protest water theft", published))


def ids_by_source(df: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(source, url tail) -> story_id."""
    return {(s, u.rsplit("/", 1)[-1]): i
            for s, u, i in zip(df["source"], df["url"], df["story_id"], strict=True)}


def test_wire_versions_share_a_story_and_similar_article_does_not(tmp_path: Path) -> None:
    """Three edited versions of one wire story group; a follow-up sharing sentences does not."""
    df = add_story_ids(wire_rows(), tmp_path)
    ids = ids_by_source(df)
    assert ids[("dawn", "1")] == ids[("tribune", "2")] == ids[("nation", "3")]
    assert ids[("dawn", "4")] != ids[("dawn", "1")]
    wire = df[~df["url"].str.endswith("/4")]
    assert ids[("dawn", "1")] == wire["article_id"].min()  # same time: smallest article_id
    assert ids[("dawn", "4")] == df.loc[df["url"].str.endswith("/4"), "article_id"].item()


def test_story_id_is_earliest_member(tmp_path: Path) -> None:
    """The new story's id is the article_id of its earliest-published member."""
    df = rows(record("dawn", 1, DAWN, "A", "2026-11-20T10:00:00Z"),
              record("tribune", 2, TRIBUNE, "B", "2026-11-20T08:00:00Z"))
    out = add_story_ids(df, tmp_path)
    first = out.loc[out["source"] == "tribune", "article_id"].item()
    assert set(out["story_id"]) == {first}


def test_cross_day_grouping_uses_the_lake(tmp_path: Path) -> None:
    """A copy published the next day takes the story_id already stored in the lake."""
    day1 = add_story_ids(rows(record("dawn", 1, DAWN, "Cabinet approves canal repairs")),
                         tmp_path)
    merge_articles(day1, tmp_path)
    stored = day1["story_id"].item()
    day2 = rows(record("nation", 3, NATION, "Canal lining plan", "2026-11-21T05:00:00Z"),
                record("dawn", 4, FOLLOW_UP, "Protest", "2026-11-21T05:00:00Z"))
    out = add_story_ids(day2, tmp_path)
    ids = ids_by_source(out)
    assert ids[("nation", "3")] == stored
    assert ids[("dawn", "4")] != stored


def test_lookback_is_respected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows older than the look-back are not matched; a longer look-back (env) reaches them."""
    day1 = add_story_ids(rows(record("dawn", 1, DAWN, "Cabinet approves canal repairs",
                                     "2026-11-10T09:00:00Z")), tmp_path)
    merge_articles(day1, tmp_path)
    late = rows(record("nation", 3, NATION, "Canal lining plan", "2026-11-20T05:00:00Z"))
    monkeypatch.delenv(LOOKBACK_ENV, raising=False)
    assert lookback_days() == 7
    assert add_story_ids(late, tmp_path)["story_id"].item() == late["article_id"].item()
    monkeypatch.setenv(LOOKBACK_ENV, "10")
    assert add_story_ids(late, tmp_path)["story_id"].item() == day1["story_id"].item()
    assert add_story_ids(late, tmp_path, lookback=9)["story_id"].item() != day1["story_id"].item()
    monkeypatch.setenv(LOOKBACK_ENV, "-1")
    with pytest.raises(ValueError):
        lookback_days()


def test_lookback_dates_cover_both_sides() -> None:
    """The window reaches ``lookback`` days before and after every batch date."""
    days = lookback_dates(["2026-11-20", "2026-11-22"], 1)
    assert days == ["2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23"]
    with pytest.raises(ValueError):
        lookback_dates(["../x"], 1)


def test_stored_story_ids_are_kept_and_rerun_is_identical(tmp_path: Path) -> None:
    """Re-running a batch gives the same story_ids and byte-identical files."""
    staged = tmp_path / "staged.jsonl"
    records = [record("dawn", 1, DAWN, "A"), record("tribune", 2, TRIBUNE, "B"),
               record("nation", 3, NATION, "C"), record("dawn", 4, FOLLOW_UP, "D")]
    staged.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    root = tmp_path / "lake"
    process_staged([staged], "run-1", root=root)
    files = sorted(root.rglob("*.parquet"))
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    first = read_articles(root).set_index("article_id")["story_id"]
    assert first.nunique() == 2 and first.notna().all()
    summary = process_staged([staged], "run-2", root=root)
    assert summary.totals()["unchanged"] == 4 and summary.totals()["written"] == 0
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in files} == before
    pd.testing.assert_series_equal(read_articles(root).set_index("article_id")["story_id"],
                                   first)


def test_lake_keeps_stored_story_id_and_fills_nulls(tmp_path: Path) -> None:
    """A different story_id alone does not rewrite a row; a null stored value is filled."""
    df = rows(record("dawn", 1, DAWN, "A"))
    merge_articles(df.assign(story_id=None), tmp_path)
    filled = merge_articles(df.assign(story_id="s1", raw_ref="raw/x.warc.gz#0"), tmp_path)
    assert filled.updated == 1
    again = merge_articles(df.assign(story_id="s2", raw_ref=None), tmp_path)
    assert again.updated == 0 and again.files_written == 0
    stored = read_articles(tmp_path)
    assert stored["story_id"].tolist() == ["s1"]
    assert stored["raw_ref"].tolist() == ["raw/x.warc.gz#0"]
    changed = merge_articles(df.assign(title="A (updated)", story_id="s2"), tmp_path)
    assert changed.updated == 1
    assert read_articles(tmp_path)[["title", "story_id"]].values.tolist() == [["A (updated)", "s1"]]


def test_v1_rows_without_story_id_join_new_stories(tmp_path: Path) -> None:
    """Lake rows with a null story_id still match; the story is named after the earliest."""
    old = rows(record("dawn", 1, DAWN, "A", "2026-11-19T09:00:00Z"))
    merge_articles(old, tmp_path)
    new = add_story_ids(rows(record("tribune", 2, TRIBUNE, "B")), tmp_path)
    assert new["story_id"].item() == old["article_id"].item()


def test_grouping_primitives() -> None:
    """Tokens drop punctuation; short bodies are one shingle; groups are components."""
    assert tokenize("Hello, World! It's 5%.") == ["hello", "world", "it", "s", "5"]
    shingles = shingle_bodies(["one two", "a b c d e f", ""], k=4)
    assert shingles.sizes().tolist() == [1, 3, 0]
    labels = group_bodies([DAWN, FOLLOW_UP, NATION, TRIBUNE, ""])
    assert labels[0] == labels[2] == labels[3] and labels[1] != labels[0]
    assert labels[4] == 4
    assert assign_story_ids(rows(record("dawn", 1, DAWN, "A")).iloc[0:0],
                            read_articles(Path("/nonexistent"))).empty
    assert isinstance(labels, np.ndarray)
