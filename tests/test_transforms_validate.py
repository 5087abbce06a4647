"""Tests for split_valid."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from transforms.normalize import normalize_articles
from transforms.schema import QUARANTINE_COLUMNS
from transforms.validate import split_valid

NOW = pd.Timestamp("2026-11-21T12:00:00Z")
BODY = "The assembly approved the budget on Friday after a long debate."


def make_record(**overrides: Any) -> dict[str, Any]:
    """A good staged record, with overrides."""
    record: dict[str, Any] = {
        "url": "https://dawn.com/news/1", "title": "Budget passes", "body": BODY,
        "authors": ["Ayesha Khan"], "published_at": "2026-11-21T02:30:00+05:00",
        "extractor_version": "1", "is_article": True, "source": "dawn",
        "crawled_at": "2026-11-21T03:00:00Z",
    }
    record.update(overrides)
    return record


def split(*records: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Normalise and split records."""
    return split_valid(normalize_articles(pd.DataFrame(list(records)), "run-1"), now=NOW)


def test_good_row_is_valid() -> None:
    """A complete record passes with the article columns plus date."""
    valid, quarantine = split(make_record())
    assert len(valid) == 1 and quarantine.empty
    assert "date" in valid and "_record" not in valid


def test_bad_rows_are_quarantined_with_reasons() -> None:
    """Each kind of bad row is quarantined with a readable reason; none is dropped."""
    records = [
        make_record(url="https://dawn.com/news/2", title=None),
        make_record(url="https://dawn.com/news/3", published_at=None),
        make_record(url="https://dawn.com/news/4", body=""),
        make_record(url="https://dawn.com/news/5", published_at="not a date"),
        make_record(url="https://dawn.com/news/6", body="Too short."),
        make_record(url="https://dawn.com/news/7", published_at="2027-01-01T00:00:00Z"),
        make_record(url="https://dawn.com/news/8", is_article=False),
        make_record(url="https://dawn.com/news/9", source="../etc"),
        make_record(url="https://dawn.com/news/10", title=42),
        make_record(url="https://dawn.com/news/11", crawled_at=None),
        make_record(url="https://dawn.com/news/12", published_at="1970-01-01T00:00:00Z"),
        make_record(url="https://dawn.com/news/13", title=None, body=None),
    ]
    valid, quarantine = split(make_record(), *records)
    assert len(valid) == 1 and len(quarantine) == len(records)
    reasons = dict(zip(quarantine["url"], quarantine["reason"], strict=True))
    expected = {2: "missing title", 3: "missing published_at", 4: "missing body",
                5: "unparseable published_at", 6: "body too short", 7: "in the future",
                8: "not an article", 9: "invalid source id", 10: "title is int",
                11: "missing crawled_at", 12: "before 1990"}
    for number, words in expected.items():
        assert words in reasons[f"https://dawn.com/news/{number}"]
    assert reasons["https://dawn.com/news/13"] == "missing title; missing body"
    assert list(quarantine.columns) == [c.name for c in QUARANTINE_COLUMNS] + ["date"]
    by_url = quarantine.set_index("url")
    assert by_url.loc["https://dawn.com/news/9", "source"] == "_invalid"
    assert by_url.loc["https://dawn.com/news/8", "stage"] == "extract"
    assert by_url.loc["https://dawn.com/news/5", "stage"] == "normalize"
    assert by_url.loc["https://dawn.com/news/2", "stage"] == "validate"
    original = json.loads(by_url.loc["https://dawn.com/news/2", "record"])
    assert original["title"] is None and original["body"] == BODY
    assert quarantine["quarantine_id"].is_unique
    assert (quarantine["run_id"] == "run-1").all()
    assert str(quarantine["quarantined_at"].dtype) == "datetime64[us, UTC]"


def test_quarantine_id_is_deterministic() -> None:
    """The same bad record gives the same quarantine id."""
    first = split(make_record(title=None))[1]
    second = split(make_record(title=None))[1]
    assert first["quarantine_id"].tolist() == second["quarantine_id"].tolist()


def test_empty_input() -> None:
    """Empty in, empty out."""
    valid, quarantine = split_valid(normalize_articles(pd.DataFrame(), "r"), now=NOW)
    assert valid.empty and quarantine.empty


def test_a_date_only_record_is_valid_and_kept_on_its_printed_day() -> None:
    """A page that printed only a date keeps that day: 00:00 UTC, precision day, no offset."""
    valid, quarantine = split(make_record(published_at=None, published_date="2026-11-20",
                                          published_offset="+05:45"))
    assert quarantine.empty
    row = valid.iloc[0]
    assert row["published_at"] == pd.Timestamp("2026-11-20T00:00:00Z")
    assert row["published_precision"] == "day"
    assert row["published_offset"] is None
    assert str(row["date"]) == "2026-11-20"


def test_a_printed_day_ahead_of_utc_is_not_in_the_future() -> None:
    """At 12:00 UTC on 21 November it is already 22 November in Apia or Kiritimati."""
    valid, quarantine = split(make_record(published_at="2026-11-22T00:00:00Z",
                                          published_precision="day"),
                              make_record(url="https://dawn.com/news/late",
                                          published_at="2026-11-23T00:00:00Z",
                                          published_precision="day"))
    assert list(valid["date"].astype(str)) == ["2026-11-22"]
    assert list(quarantine["reason"]) == ["published_at in the future"]


def test_published_precision_is_kept_and_an_unknown_one_quarantined() -> None:
    valid, quarantine = split(make_record(published_precision="minute"),
                              make_record(url="https://dawn.com/news/odd",
                                          published_precision="hourly"))
    assert list(valid["published_precision"]) == ["minute"]
    assert quarantine.loc[0, "reason"] == "unknown published_precision: 'hourly'"
