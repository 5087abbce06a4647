"""Tests for normalize_articles."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from datetime import date
from typing import Any

import pandas as pd
import pytest

from transforms.normalize import ISSUES_COLUMN, RECORD_COLUMN, normalize_articles

BODY = "The assembly approved the budget on Friday after a long debate."


def make_record(**overrides: Any) -> dict[str, Any]:
    """A staged record as the spider writes it."""
    record: dict[str, Any] = {
        "url": "https://www.dawn.com/news/1/budget?utm_source=rss",
        "canonical_url": "https://www.dawn.com/news/1/budget",
        "title": "Budget passes", "lead": None, "body": BODY, "authors": ["Ayesha Khan"],
        "published_at": "2026-11-21T02:30:00+05:00", "modified_at": None,
        "published_offset": None, "language": "en", "section": "Business", "tags": [],
        "dateline": None, "image_url": None, "paywalled": False, "provenance": {},
        "extractor_version": "1", "byline_is_outlet": False, "is_article": True,
        "source": "dawn", "country": "PK", "region": "South Asia",
        "crawled_at": "2026-11-21T00:10:00+00:00",
    }
    record.update(overrides)
    return record


def normalize_one(**overrides: Any) -> dict[str, Any]:
    """Normalise one record and return its row as a dict."""
    return normalize_articles(pd.DataFrame([make_record(**overrides)]), "run-1").iloc[0].to_dict()


def test_timestamps_utc_and_offset() -> None:
    """Offsets convert to UTC microseconds; the printed offset is kept; date is the UTC date."""
    df = normalize_articles(pd.DataFrame([make_record()]), "run-1")
    assert str(df["published_at"].dtype) == "datetime64[us, UTC]"
    row = df.iloc[0]
    assert row["published_at"] == pd.Timestamp("2026-11-20T21:30:00Z")
    assert row["published_offset"] == "+05:00"
    assert row["date"] == date(2026, 11, 20)
    assert row["crawled_at"] == pd.Timestamp("2026-11-21T00:10:00Z")
    assert row["run_id"] == "run-1"


def test_given_offset_kept_and_applied_to_naive() -> None:
    """A given published_offset is kept and localises a naive timestamp."""
    row = normalize_one(published_at="2026-11-21T10:00:00", published_offset="+05:45")
    assert row["published_offset"] == "+05:45"
    assert row["published_at"] == pd.Timestamp("2026-11-21T04:15:00Z")
    assert row["_issues"] == ""
    assert normalize_one(published_at="2026-11-21T10:00:00Z")["published_offset"] == "+00:00"


@pytest.mark.parametrize("offset", ["+0545", "05:45", "+5:45", "+15:00", "UTC", 345])
def test_offset_in_another_form_is_refused(offset: Any) -> None:
    """The extractor writes offsets as +HH:MM; any other form is an issue, not reformatted."""
    row = normalize_one(published_at="2026-11-21T10:00:00", published_offset=offset)
    assert row["published_offset"] is None
    assert "published_offset is not +HH:MM" in row["_issues"]


def test_offset_that_disagrees_with_the_timestamp_is_refused() -> None:
    """published_offset must be the offset published_at was written with."""
    row = normalize_one(published_at="2026-11-21T10:00:00+05:00", published_offset="+05:45")
    assert "is not published_at's offset +05:00" in row["_issues"]


def test_unparseable_values_become_null_with_issue() -> None:
    """Bad timestamps and wrong types give nulls and notes, never an exception."""
    df = normalize_articles(pd.DataFrame([
        make_record(published_at="yesterday", modified_at=12345),
        make_record(title=["not", "text"], body={"x": 1}, url=None),
        make_record(),
    ]), "run-1")
    assert pd.isna(df.loc[0, "published_at"]) and pd.isna(df.loc[0, "modified_at"])
    assert pd.isna(df.loc[0, "date"])
    assert "unparseable published_at" in df.loc[0, ISSUES_COLUMN]
    assert pd.isna(df.loc[1, "title"]) and pd.isna(df.loc[1, "body"])
    assert pd.isna(df.loc[1, "article_id"]) and df.loc[1, "word_count"] == 0
    assert "title is list" in df.loc[1, ISSUES_COLUMN]
    assert df.loc[2, ISSUES_COLUMN] == ""


def test_text_nfc_and_whitespace() -> None:
    """NFC everywhere; whitespace collapsed; paragraph breaks kept in the body."""
    decomposed = unicodedata.normalize("NFD", "Café résumé")
    body = f"  First   para\u00a0one.\r\n\r\n\n Second\tpara {decomposed}.\u200b \n\nThird."
    row = normalize_one(title=f"  {decomposed}\n news ", body=body)
    assert row["title"] == "Café résumé news"
    assert unicodedata.is_normalized("NFC", row["title"])
    assert row["body"] == "First para one.\n\nSecond para Café résumé.\n\nThird."
    assert row["word_count"] == 8
    assert row["content_hash"] == hashlib.sha256(row["body"].encode()).hexdigest()


def test_indic_joiners_survive() -> None:
    """Zero-width joiners needed by Indic scripts are kept."""
    text = "ক্\u200dষ সিংহল \u0dc1\u200d\u0dbb\u0dd3 লঙ্কা ঢাকা খবর আজ"
    assert "\u200d" in normalize_one(body=text)["body"]


def test_clean_authors_pass_and_outlet_bylines_give_an_empty_list() -> None:
    """Names in the extractor's form are kept as they are; outlet bylines give an empty list."""
    names = ["Ayesha Khan", "Ravi Kumar", "Byron Shah", "AFP"]
    row = normalize_one(authors=names)
    assert row["authors"] == names and row["_issues"] == ""
    assert normalize_one(authors=["Dawn"], byline_is_outlet=True)["authors"] == []
    assert normalize_one(authors=None)["authors"] == []


@pytest.mark.parametrize(("authors", "issue"), [
    (["By Ayesha Khan"], "authors not cleaned by the extractor: 'By Ayesha Khan'"),
    (["ayesha@dawn.com"], "authors not cleaned by the extractor"),
    (["  Ravi Kumar"], "authors not cleaned by the extractor"),
    (["Ravi\u200b Kumar"], "authors not cleaned by the extractor"),
    (["---"], "authors not cleaned by the extractor"),
    (["Ayesha Khan", "ayesha khan"], "authors repeat a name"),
    ("By Ali Raza (ali@x.pk)", "authors is str, not a list"),
])
def test_uncleaned_authors_are_an_issue(authors: Any, issue: str) -> None:
    """Authors are cleaned once, by the extractor: a staged list in another form (an older
    extractor, another producer) is refused with a reason, so validation quarantines the row."""
    row = normalize_one(authors=authors)
    assert row["authors"] == []
    assert issue in row["_issues"]


def test_tags_and_provenance() -> None:
    """Tags become a de-duplicated list; provenance becomes sorted pairs."""
    row = normalize_one(tags="budget, Budget ,economy,", provenance={"title": "jsonld",
                                                                    "body": "trafilatura"})
    assert row["tags"] == ["budget", "economy"]
    assert row["provenance"] == [("body", "trafilatura"), ("title", "jsonld")]


def test_ids_and_record() -> None:
    """canonical_url, article_id and the original record are filled."""
    row = normalize_one()
    assert row["canonical_url"] == "https://dawn.com/news/1/budget"
    assert len(row["article_id"]) == 32
    assert json.loads(row[RECORD_COLUMN])["title"] == "Budget passes"


def test_off_site_canonical_ignored() -> None:
    """An off-site canonical falls back to the fetched URL."""
    row = normalize_one(canonical_url="https://syndicator.example.org/story")
    assert row["canonical_url"] == "https://dawn.com/news/1/budget"


def test_empty_frame() -> None:
    """An empty input gives an empty, typed output."""
    df = normalize_articles(pd.DataFrame(), "run-1")
    assert df.empty and str(df["published_at"].dtype) == "datetime64[us, UTC]"
