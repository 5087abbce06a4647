"""The article contract: every consumer of an article column agrees with ``transforms/schema.py``.

The extractor's record, the parser field list, the registry selectors, normalisation, the
"most complete copy" rule, the lake spec and the docs' version history are derived from the
columns; these tests fail when one of them drifts, and walk one record of every extracted
column from ``Extracted`` to a stored lake row.
"""

from __future__ import annotations

import dataclasses
import typing
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from scrapers.extract.extracted import EXTRACTOR_ONLY, Extracted
from scrapers.parsers import FIELDS, Parser
from transforms.dedupe import completeness_of
from transforms.lake import merge_articles, read_articles
from transforms.normalize import _PLAIN_FIELDS, normalize_articles
from transforms.schema import (
    ARTICLE_COLUMNS,
    ARTICLES,
    SCHEMA_VERSION,
    TABLES,
    VERSION_NOTES,
    Column,
    python_kind,
)
from transforms.validate import split_valid

EXTRACTED = [c for c in ARTICLE_COLUMNS if c.extracted]
SAMPLES: dict[str, Any] = {
    "url": "https://example.pk/news/2026/11/20/budget?utm_source=rss",
    "canonical_url": "https://example.pk/news/2026/11/20/budget",
    "image_url": "https://example.pk/img/1.jpg",
    "body": "The assembly approved the budget on Friday after a long debate in the house.",
    "published_offset": "+05:00",
    "published_precision": "minute",
    "language": "en",
    "published_at": datetime.fromisoformat("2026-11-20T14:15:00+05:00"),
    "modified_at": datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
    "paywalled": True,
}
"""Values a column's rules constrain; every other extracted column gets :func:`sample`."""


def sample(column: Column) -> Any:
    """A filled value of the column's Python kind."""
    if column.name in SAMPLES:
        return SAMPLES[column.name]
    kind = python_kind(column)
    if kind is list:
        return [f"{column.name} one", f"{column.name} two"]
    if kind is dict:
        return {"title": "jsonld"}
    if kind is str:
        return f"Some {column.name}"
    raise AssertionError(f"give {column.name} ({kind.__name__}) a value in SAMPLES")


def kind_of(annotation: Any) -> type:
    """The kind an ``Extracted`` annotation holds: ``str | None`` -> str, list[str] -> list."""
    origin = typing.get_origin(annotation)
    if origin is not None and origin is not list and origin is not dict:
        kinds = [a for a in typing.get_args(annotation) if a is not type(None)]
        assert len(kinds) == 1, annotation
        return kind_of(kinds[0])
    return origin or annotation


def test_extracted_has_one_field_per_extracted_column_of_its_kind() -> None:
    """Each column marked extracted is an ``Extracted`` field holding the column's Python kind,
    and every other field is a declared extractor-only one."""
    fields = {f.name: f for f in dataclasses.fields(Extracted)}
    for column in EXTRACTED:
        assert column.name in fields, f"Extracted lacks the extracted column {column.name}"
        assert kind_of(fields[column.name].type) is python_kind(column), column.name
    columns = {c.name for c in ARTICLE_COLUMNS}
    extra = set(fields) - {c.name for c in EXTRACTED}
    assert extra == set(EXTRACTOR_ONLY), "Extracted fields that are no extracted column"
    assert not extra & columns, "an extractor-only field shadows a lake column"


def test_parser_fields_are_the_selector_columns() -> None:
    """A per-source parser can set exactly the columns the schema gives a selector."""
    selectable = [c.name for c in ARTICLE_COLUMNS if c.selector]
    assert list(FIELDS) == selectable
    assert all(Parser().__getattr__(name)(None, None) is None for name in FIELDS)
    assert all(c.extracted for c in ARTICLE_COLUMNS if c.selector), "selector on a column the " \
                                                                    "extractor does not fill"


@pytest.mark.parametrize("column", [c for c in ARTICLE_COLUMNS if c.selector], ids=str)
def test_selector_reading_suits_the_column_kind(column: Column) -> None:
    """Texts read lists, a text or URL reads a string, a date reads a datetime."""
    wanted = {"text": str, "url": str, "texts": list, "date": datetime, "paragraphs": str}
    assert python_kind(column) is wanted[column.selector]
    assert column.selector != "paragraphs" or column.name == "body"


def test_plain_text_and_completeness_columns_are_derived() -> None:
    """Normalise's plain-text fields are the plain_text columns, all of them strings; every
    completeness column may be empty, else it would count for every row alike."""
    assert list(_PLAIN_FIELDS) == [c.name for c in ARTICLE_COLUMNS if c.plain_text]
    assert all(python_kind(c) is str for c in ARTICLE_COLUMNS if c.plain_text)
    for column in ARTICLE_COLUMNS:
        if column.completeness:
            assert column.nullable or python_kind(column) is list, column.name


def test_versions_are_declared_once() -> None:
    """Every ``since`` is a described version; later columns are nullable and optional in the
    lake spec; the schema version is the newest described one."""
    assert max(VERSION_NOTES) == SCHEMA_VERSION
    assert set(VERSION_NOTES) == set(range(1, SCHEMA_VERSION + 1))
    for spec in TABLES:
        for column in spec.columns:
            assert 1 <= column.since <= SCHEMA_VERSION, column.name
            if column.since > 1:
                assert column.nullable, f"{column.name} is added later, so old files lack it"
    assert ARTICLES.optional == {c.name for c in ARTICLE_COLUMNS if c.since > 1}


def full_extracted() -> Any:
    """An ``Extracted`` with every extracted column filled."""
    values = {c.name: sample(c) for c in EXTRACTED}
    return Extracted(**values, is_article=True, published_date=date(2026, 11, 20))


def test_a_record_of_every_extracted_column_reaches_the_lake(tmp_path: Path) -> None:
    """Each extracted column survives staging, normalisation, validation and the lake merge;
    plain-text columns keep their value as extracted."""
    record = full_extracted().to_record()
    record.update(source="indus-chronicle", country="PK", region="South Asia",
                  crawled_at="2026-11-21T00:10:00+00:00")
    valid, quarantine = split_valid(normalize_articles(pd.DataFrame([record]), "run-1"))
    assert quarantine.empty, quarantine["reason"].tolist()
    merge_articles(valid, tmp_path)
    stored = read_articles(tmp_path).iloc[0]
    for column in EXTRACTED:
        value = stored[column.name]
        assert value is not None and not (isinstance(value, float) and pd.isna(value)), \
            f"{column.name} was extracted but not stored"
        if python_kind(column) is list:
            assert list(value) == sample(column), column.name
        if column.plain_text:
            assert value == sample(column), column.name


def test_completeness_counts_each_completeness_column() -> None:
    """Emptying one completeness column lowers the score by one."""
    record = full_extracted().to_record()
    record.update(source="indus-chronicle", crawled_at="2026-11-21T00:10:00+00:00")
    full = normalize_articles(pd.DataFrame([record]), "run-1")
    top = completeness_of(full).iloc[0]
    assert top == sum(c.completeness for c in ARTICLE_COLUMNS)
    for column in [c for c in ARTICLE_COLUMNS if c.completeness]:
        emptied = full.copy()
        emptied[column.name] = pd.Series([[] if python_kind(column) is list else None],
                                         index=emptied.index, dtype=object)
        assert completeness_of(emptied).iloc[0] == top - 1, column.name
