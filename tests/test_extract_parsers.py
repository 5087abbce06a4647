"""Parser classes: the registry names one, its fields win; golden file for the example parser."""

from __future__ import annotations

import json

import pytest

from scrapers.extract import extract
from scrapers.parsers import Parser, load_parser
from tests.test_extract_helpers import FIXTURES, make_source

PARSER = "scrapers.parsers.pk.example_urdu_daily.UrduDailyParser"


def urdu_source():
    """The fictional Urdu daily's registry entry."""
    return make_source(id="misal", name="روزنامہ مثال", homepage="https://misal.example/",
                       languages=["ur"], allowed_domains=["misal.example"],
                       feeds=["https://misal.example/feed"], parser=PARSER)


def test_example_parser_golden() -> None:
    expected = json.loads((FIXTURES / "parser_urdu_daily.expected.json").read_text("utf-8"))
    html = (FIXTURES / "parser_urdu_daily.html").read_bytes()
    record = extract(html, "https://misal.example/news/1234", urdu_source()).to_record()
    for key in ("title", "published_at", "published_offset", "language", "is_article"):
        assert record[key] == expected[key], key
    assert record["body"].startswith(expected["body_starts_with"])
    for key, value in expected["provenance"].items():
        assert record["provenance"][key] == value


def test_without_parser_the_day_part_is_lost() -> None:
    html = (FIXTURES / "parser_urdu_daily.html").read_bytes()
    source = urdu_source().model_copy(update={"parser": None})
    result = extract(html, "https://misal.example/news/1234", source)
    assert result.provenance.get("published_at") != "selector"


def test_load_parser_rejects_non_parser_classes() -> None:
    with pytest.raises(TypeError):
        load_parser("scrapers.extract.Extracted")


def test_base_parser_changes_nothing() -> None:
    assert Parser().title(None, None) is None
