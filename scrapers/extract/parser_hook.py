"""The hook a per-source parser plugs into: its base class, the fields it sets, how it is applied.

A parser is a small class whose methods are named after ``Extracted`` fields (:data:`FIELDS`:
the article columns ``transforms/schema.py`` marks with a ``selector``).  Each method takes the
parsed page and the generic result, and returns a value (which wins, with provenance
``selector``) or ``None`` (the generic value stays).  Names it returns go through the
extractor's author cleaning, as every byline does.  Registry entries name one with ``parser``;
the parser classes themselves live in ``scrapers/parsers/``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from lxml import html as lxml_html

from scrapers.extract.authors import clean_authors
from transforms.schema import ARTICLE_COLUMNS

if TYPE_CHECKING:
    from scrapers.extract.extracted import Extracted
    from scrapers.sources import Source

FIELDS = tuple(c.name for c in ARTICLE_COLUMNS if c.selector)


class Parser:
    """Base class: every field method returns None, so the generic extraction stands."""

    def __init__(self, source: Source | None = None) -> None:
        self.source = source

    def __getattr__(self, name: str) -> Any:
        if name in FIELDS:
            return lambda tree, extracted: None
        raise AttributeError(name)


def load_parser(dotted: str, source: Source | None = None) -> Parser:
    """Instantiate the parser class named by a dotted path ('pkg.module.ClassName')."""
    module_name, _, class_name = dotted.rpartition(".")
    cls = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(cls, type) and issubclass(cls, Parser)):
        raise TypeError(f"{dotted} is not a scrapers.parsers.Parser subclass")
    return cls(source)


def apply_parser(parser: Parser, tree: lxml_html.HtmlElement, extracted: Extracted) -> None:
    """Let the parser overwrite the fields it knows better, recording provenance."""
    for name in FIELDS:
        value = getattr(parser, name)(tree, extracted)
        if name == "authors" and value:
            value = clean_authors(value, [])[0]
        if value is not None and value != [] and value != "":
            setattr(extracted, name, value)
            extracted.provenance[name] = "selector"
