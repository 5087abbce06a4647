"""What one page yields: the ``Extracted`` record and the extractor version stamped on it.

``Extracted`` is a dataclass made from the article columns marked ``extracted`` in
``transforms/schema.py`` (each a field of the column's Python kind), plus the few fields only the
extractor uses (:data:`EXTRACTOR_ONLY`).  A new extracted column is declared in the schema only.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from transforms.schema import ARTICLE_COLUMNS, Column, python_kind

EXTRACTOR_VERSION = "2"
"""Bump when the same page yields other values (2: date-only pages keep their printed day)."""

EXTRACTOR_ONLY: dict[str, tuple[Any, Any, str]] = {
    "is_article": (bool, False, "url"),
    "byline_is_outlet": (bool, False, "authors"),
    # the outlet's name when the byline names only the outlet
    "byline_outlet": (str | None, None, "byline_is_outlet"),
    # the day as printed; set even when no offset is known
    "published_date": (date | None, None, "published_offset"),
}
"""Fields that are not lake columns: name -> (annotation, default, field it follows)."""

_DEFAULTS: dict[str, Any] = {"extractor_version": EXTRACTOR_VERSION}
"""Defaults other than None / empty list / empty dict; ``url`` has none (it is required)."""


def annotation_of(column: Column) -> Any:
    """The ``Extracted`` annotation of an extracted column: its Python kind, or None."""
    kind = python_kind(column)
    if kind is list:
        return list[str]
    if kind is dict:
        return dict[str, str]
    return kind if column.name == "url" or column.name in _DEFAULTS else kind | None


def _field_spec(column: Column) -> tuple[str, Any, Any]:
    """``make_dataclass`` entry for one extracted column."""
    kind = python_kind(column)
    if column.name == "url":
        return column.name, annotation_of(column), dataclasses.field()
    if kind in (list, dict):
        return column.name, annotation_of(column), dataclasses.field(default_factory=kind)
    return column.name, annotation_of(column), dataclasses.field(
        default=_DEFAULTS.get(column.name))


def _fields() -> list[tuple[str, Any, Any]]:
    """Every field in order: the extracted columns, each extractor-only field after its anchor."""
    specs = [_field_spec(c) for c in ARTICLE_COLUMNS if c.extracted]
    for name, (annotation, default, after) in EXTRACTOR_ONLY.items():
        at = next(i for i, spec in enumerate(specs) if spec[0] == after)
        specs.insert(at + 1, (name, annotation, dataclasses.field(default=default)))
    return specs


def to_record(self: Any) -> dict[str, Any]:
    """A JSON-ready dict (dates and datetimes as ISO 8601, with their offset)."""
    data = asdict(self)
    for key, value in data.items():
        if isinstance(value, date | datetime):
            data[key] = value.isoformat()
    return data


Extracted = dataclasses.make_dataclass(
    "Extracted", _fields(), namespace={
        "to_record": to_record,
        "__doc__": "What one page yields.  Datetimes are timezone-aware; ``published_offset`` is "
                   "'+HH:MM'.",
    })
Extracted.__module__ = __name__
