"""Date rules: offsets, zone fallback, plausibility, native digits and month names."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scrapers.extract import extract
from scrapers.extract.dates import is_plausible, normalize_digits, parse_date
from tests.sources_helpers import make_source
from tests.test_extract_helpers import page

KARACHI = ZoneInfo("Asia/Karachi")
KATHMANDU = ZoneInfo("Asia/Kathmandu")


def test_printed_offset_is_kept() -> None:
    parsed = parse_date("2024-09-04T16:20:35+05:30", KARACHI)
    assert parsed.value.isoformat() == "2024-09-04T16:20:35+05:30"
    assert parsed.printed_offset


def test_zulu_time_is_utc() -> None:
    assert parse_date("2022-10-10T13:21:17.000Z").value.utcoffset() == timedelta(0)


def test_no_offset_takes_karachi_zone() -> None:
    parsed = parse_date("2024-03-12T09:30:00", KARACHI)
    assert parsed.value.isoformat() == "2024-03-12T09:30:00+05:00"


def test_no_offset_takes_kathmandu_quarter_hour_zone() -> None:
    parsed = parse_date("2024-03-12 09:30", KATHMANDU)
    assert parsed.value.isoformat() == "2024-03-12T09:30:00+05:45"
    assert not parsed.printed_offset


def test_no_offset_and_no_zone_stays_naive() -> None:
    assert parse_date("2024-03-12T09:30:00").value.tzinfo is None


@pytest.mark.parametrize(("text", "expected"), [
    ("Wednesday, September 4, 2024 04:20 PM PKT", "2024-09-04T16:20:00+05:00"),
    ("Nov 20, 2023 10:30 a.m. GMT+5:45", "2023-11-20T10:30:00+05:45"),
    ("Updated: 12 Jan 2024, 10:15 PM IST", "2024-01-12T22:15:00+05:30"),
])
def test_printed_english_dates_with_zone(text: str, expected: str) -> None:
    assert parse_date(text).value.isoformat() == expected


def test_bst_means_bangladesh_for_a_dhaka_source() -> None:
    parsed = parse_date("20 November 2023, 10:30 BST", ZoneInfo("Asia/Dhaka"))
    assert parsed.value.utcoffset() == timedelta(hours=6)


def test_native_digits_are_normalised() -> None:
    assert normalize_digits("٠١٢٣ ۴۵۶۷ ৮৯০১ २३४५") == "0123 4567 8901 2345"


@pytest.mark.parametrize(("text", "expected"), [
    ("۱۲ مارچ ۲۰۲۴، ۱۰:۳۰", datetime(2024, 3, 12, 10, 30)),  # Urdu
    ("২০ নভেম্বর ২০২৩, ১০:৩০", datetime(2023, 11, 20, 10, 30)),  # Bengali
    ("१५ अगस्त २०२४ 10:15", datetime(2024, 8, 15, 10, 15)),  # Hindi
    ("१५ सितम्बर २०२४", datetime(2024, 9, 15)),  # Hindi, alternative spelling
    ("२ नोभेम्बर २०२३", datetime(2023, 11, 2)),  # Nepali month name
    ("৫ ফেব্রুয়ারি ২০২৪", datetime(2024, 2, 5)),  # Bengali month name
])
def test_native_month_names_and_digits(text: str, expected: datetime) -> None:
    assert parse_date(text).value == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Aktualisiert am 12. März 2024, 10:30 Uhr", datetime(2024, 3, 12, 10, 30)),
    ("Publié le 3 août 2024 à 08:15", datetime(2024, 8, 3, 8, 15)),
    ("29 de noviembre de 2023", datetime(2023, 11, 29)),
    ("5 dicembre 2023", datetime(2023, 12, 5)),
    ("14 de março de 2024", datetime(2024, 3, 14)),
])
def test_european_month_names(text: str, expected: datetime) -> None:
    assert parse_date(text).value == expected


def test_future_date_is_rejected() -> None:
    soon = datetime.now(UTC) + timedelta(days=3)
    assert not is_plausible(parse_date(soon.isoformat()))


def test_date_before_founding_or_1990_is_rejected() -> None:
    assert not is_plausible(parse_date("1985-05-01T10:00:00+05:00"))
    assert not is_plausible(parse_date("2001-05-01T10:00:00+05:00"), earliest=date(2005, 1, 1))
    assert is_plausible(parse_date("2006-05-01T10:00:00+05:00"), earliest=date(2005, 1, 1))


def test_published_and_modified_told_apart() -> None:
    head = ('<meta property="article:modified_time" content="2024-03-13T08:00:00+05:00">'
            '<meta property="article:published_time" content="2024-03-12T09:00:00+05:00">')
    result = extract(page(head), "https://ledger.example/news/x", make_source("ledger"))
    assert result.published_at.isoformat() == "2024-03-12T09:00:00+05:00"
    assert result.modified_at.isoformat() == "2024-03-13T08:00:00+05:00"


def test_time_element_marked_updated_is_modified() -> None:
    body = ('<time class="updated" datetime="2024-03-13T08:00:00+05:00">Updated</time>'
            '<time class="published" datetime="2024-03-12T09:00:00+05:00">Published</time>')
    result = extract(page(body=body), "https://ledger.example/news/x", make_source("ledger"))
    assert result.published_at.isoformat() == "2024-03-12T09:00:00+05:00"
    assert result.provenance["published_at"] == "text"


def test_future_metadata_date_falls_back_to_next_candidate() -> None:
    head = ('<meta property="article:published_time" content="2099-01-01T00:00:00+05:00">'
            '<meta itemprop="datePublished" content="2024-03-12T09:00:00+05:00">')
    result = extract(page(head), "https://ledger.example/news/x", make_source("ledger"))
    assert result.published_at.isoformat() == "2024-03-12T09:00:00+05:00"


def test_source_founding_date_rejects_older_dates() -> None:
    head = '<meta property="article:published_time" content="1999-03-12T09:00:00+05:00">'
    result = extract(page(head), "https://ledger.example/news/x",
                     make_source("ledger", founded="2010-01-01"))
    assert result.published_at is None


def test_url_date_is_last_resort() -> None:
    result = extract(page(), "https://ledger.example/2024/03/12/canal-story", make_source("ledger"))
    assert result.published_date == date(2024, 3, 12)
    assert result.provenance["published_date"] in ("url", "htmldate")


# Bikram Sambat: Nepali outlets print the official Nepali calendar.  The expected Gregorian days are
# Nepali New Year's Days as published (1 Baisakh 2080/2081/2082 fell on 14 Apr 2023, 13 Apr 2024
# and 14 Apr 2025), not values computed by the library under test.
@pytest.mark.parametrize(("text", "expected"), [
    ("वैशाख १, २०८१", date(2024, 4, 13)),  # month day, year
    ("२०८२ बैशाख १ गते", date(2025, 4, 14)),  # year month day "gate"
    ("१ वैशाख २०८०", date(2023, 4, 14)),  # day month year
    ("Baisakh 1, 2081", date(2024, 4, 13)),  # romanised, as English-language pages print it
])
def test_bikram_sambat_dates_become_gregorian(text: str, expected: date) -> None:
    parsed = parse_date(text, KATHMANDU)
    assert parsed.day == expected
    assert parsed.value.isoformat().endswith("+05:45")


def test_bikram_sambat_date_keeps_its_printed_time() -> None:
    parsed = parse_date("वैशाख १, २०८१ १०:३०", KATHMANDU)
    assert parsed.value.isoformat() == "2024-04-13T10:30:00+05:45"


@pytest.mark.parametrize("text", [
    "जेठ ३५, २०८१",  # no Jestha has 35 days
    "माघ १, २०२४",  # a Nepali month name with a Gregorian year is no Sambat date
    "पुस्तक १ २०८१",  # "book": a month name must not match inside a longer word
])
def test_impossible_or_ambiguous_sambat_text_is_not_a_date(text: str) -> None:
    assert parse_date(text, KATHMANDU) is None


def test_extractor_reads_a_printed_sambat_date_on_a_nepali_page() -> None:
    text = "<p>काठमाडौं उपत्यकामा आज बिहानदेखि वर्षा भइरहेको छ र सडकमा पानी जमेको छ।</p>" * 4
    html = ('<html lang="ne"><head><meta charset="utf-8"></head><body><article>'
            '<h1>उपत्यकामा वर्षा</h1><span class="post-date">वैशाख १, २०८१ ०९:१५</span>'
            f"<div class='content'>{text}</div></article></body></html>")
    source = make_source("ledger", country="NP", languages=["ne"], timezone="Asia/Kathmandu")
    result = extract(html, "https://ledger.example/news/rain", source)
    assert result.published_at.isoformat() == "2024-04-13T09:15:00+05:45"


@pytest.mark.parametrize(("text", "expected"), [
    ("Thu, 20 Nov 2026 16:20:00 +0530 (IST)", "2026-11-20T16:20:00+05:30"),
    ("Thu, 20 Nov 2026 16:20:00 +0530 (India Standard Time)", "2026-11-20T16:20:00+05:30"),
    ("Thu, 20 Nov 2026 16:20:00 GMT+05:30 (IST)", "2026-11-20T16:20:00+05:30"),
    ("Thu, 20 Nov 2026 16:20:00 (IST)", "2026-11-20T16:20:00+05:30"),
    ("2026-11-20T16:20:00+05:30 (IST)", "2026-11-20T16:20:00+05:30"),
    ("Thu, 20 Nov 2026 10:50:00 +0000 (UTC)", "2026-11-20T10:50:00+00:00"),
])
def test_rfc822_zone_comments_keep_the_printed_offset(text: str, expected: str) -> None:
    """The page parser reads the feed forms too (a <meta> often copies the feed's pubDate)."""
    parsed = parse_date(text, KATHMANDU)
    assert parsed.value.isoformat() == expected
    assert parsed.printed_offset


def kathmandu_page(date_text: str, iso: str) -> str:
    """A Nepali outlet's article page that prints ``date_text`` and carries ``iso`` in JSON-LD."""
    return page(
        head=('<script type="application/ld+json">{"@context": "https://schema.org", '
              f'"@type": "NewsArticle", "headline": "Valley roads reopen", '
              f'"datePublished": "{iso}"}}</script>'),
        body=(f'<h1>Valley roads reopen</h1><p class="post-date">{date_text}</p>'
              + "<p>The roads into the valley reopened on Friday after crews cleared the "
                "landslide that had blocked them since Tuesday night, officials said.</p>" * 4),
    )


def test_a_date_only_page_keeps_its_printed_day_without_an_invented_time() -> None:
    """Kathmandu, 20 November: not 2026-11-19T18:15Z (midnight +05:45), but that day itself."""
    source = make_source("ledger", timezone="Asia/Kathmandu")
    result = extract(kathmandu_page("20 November 2026", "2026-11-20"),
                     "https://ledger.example/news/roads", source)
    assert result.published_at == datetime(2026, 11, 20, tzinfo=UTC)
    assert result.published_precision == "day"
    assert result.published_offset is None
    assert result.published_date == date(2026, 11, 20)


@pytest.mark.parametrize(("iso", "precision"), [
    ("2026-11-20T07:45+05:45", "minute"),
    ("2026-11-20T07:45:30+05:45", "second"),
    ("2026-11-20T07:45:00", "second"),  # the source's zone supplies the offset
])
def test_published_precision_says_what_the_page_printed(iso: str, precision: str) -> None:
    source = make_source("ledger", timezone="Asia/Kathmandu")
    result = extract(kathmandu_page("20 November 2026", iso),
                     "https://ledger.example/news/roads", source)
    assert result.published_precision == precision
    assert result.published_at.utcoffset() == timedelta(hours=5, minutes=45)
