"""Parser classes: the registry names one and its fields win."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from scrapers.extract import extract
from scrapers.parsers import Parser, load_parser
from tests.sources_helpers import make_source
from tests.test_extract_helpers import page

PARSER = "scrapers.parsers.pk.example_urdu_daily.UrduDailyParser"
# the example parser's golden page (its expected fields: tests/test_golden_pages.py)
PAGE = Path(__file__).parent / "fixtures" / "misal" / "day-part-time.html"


def urdu_source():
    """The fictional Urdu daily's registry entry."""
    return make_source("ledger", id="misal", name="روزنامہ مثال",
                       homepage="https://misal.example/", languages=["ur"],
                       allowed_domains=["misal.example"], feeds=["https://misal.example/feed"],
                       parser=PARSER)


def test_without_parser_the_day_part_is_lost() -> None:
    html = PAGE.read_bytes()
    source = urdu_source().model_copy(update={"parser": None})
    result = extract(html, "https://misal.example/news/1234", source)
    assert result.provenance.get("published_at") != "selector"


def test_load_parser_rejects_non_parser_classes() -> None:
    with pytest.raises(TypeError):
        load_parser("scrapers.extract.Extracted")


def test_base_parser_changes_nothing() -> None:
    assert Parser().title(None, None) is None


def test_example_parser_time_is_to_the_minute() -> None:
    """The parser's time wins over nothing printed in metadata: precision minute, its offset."""
    html = PAGE.read_bytes()
    result = extract(html, "https://misal.example/news/1234", urdu_source())
    assert result.published_precision == "minute"
    assert result.published_offset == "+05:00"
    assert result.published_date.isoformat() == "2024-03-12"


def _day_only_page() -> str:
    """An article whose metadata prints a publication date and no time."""
    return page(head='<meta property="og:type" content="article">'
                     '<meta property="article:published_time" content="2024-03-12">',
                body="<h1>Canal gates reopen</h1>")


def test_generic_extraction_of_the_day_only_page_is_a_day() -> None:
    result = extract(_day_only_page(), "https://ledger.example/news/1", make_source("ledger"))
    assert (result.published_precision, result.published_offset) == ("day", None)


class SecondsParser(Parser):
    """Returns a time with seconds."""

    def published_at(self, tree, extracted):
        return datetime(2024, 3, 12, 15, 15, 42, tzinfo=timezone(timedelta(hours=5)))


class DayParser(Parser):
    """Returns a calendar day only."""

    def published_at(self, tree, extracted):
        return date(2024, 3, 12)


class NaiveParser(Parser):
    """Returns a wall-clock time without a zone."""

    def published_at(self, tree, extracted):
        return datetime(2024, 3, 12, 15, 15)


class KeepParser(Parser):
    """Returns the generic value unchanged."""

    def published_at(self, tree, extracted):
        return extracted.published_at


@pytest.mark.parametrize(("parser", "iso", "precision", "offset"), [
    ("SecondsParser", "2024-03-12T15:15:42+05:00", "second", "+05:00"),
    ("DayParser", "2024-03-12T00:00:00+00:00", "day", None),
    ("NaiveParser", "2024-03-12T15:15:00+05:00", "minute", "+05:00"),  # the source's zone
    ("KeepParser", "2024-03-12T00:00:00+00:00", "day", None),
])
def test_parser_published_at_sets_its_precision(parser: str, iso: str, precision: str,
                                                offset: str | None) -> None:
    """Whatever a parser returns for published_at (here over a printed day), the precision and
    the offset follow from it."""
    source = make_source("ledger", parser=f"{__name__}.{parser}")
    result = extract(_day_only_page(), "https://ledger.example/news/1", source)
    assert result.provenance["published_at"] == "selector"
    assert result.published_at.isoformat() == iso
    assert (result.published_precision, result.published_offset) == (precision, offset)
    assert result.published_date.isoformat() == "2024-03-12"
