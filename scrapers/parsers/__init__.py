"""Per-source parser classes, for the rare outlet whose pages selectors cannot describe.

A parser is a small class whose methods are named after ``Extracted`` fields.  Each method takes
the parsed page and the generic result, and returns a value (which wins, with provenance
``selector``) or ``None`` (the generic value stays).  Registry entries name one with ``parser``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from lxml import html as lxml_html

if TYPE_CHECKING:
    from scrapers.extract.extracted import Extracted
    from scrapers.sources import Source

FIELDS = ("title", "lead", "body", "authors", "published_at", "modified_at", "section", "tags",
          "dateline", "image_url")


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
        if value is not None and value != [] and value != "":
            setattr(extracted, name, value)
            extracted.provenance[name] = "selector"
