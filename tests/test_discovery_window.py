"""The crawl window: date parsing and the before-fetch / after-extraction decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from scrapers.discovery import Candidate
from scrapers.discovery.window import is_candidate_in_window, is_date_in_window, parse_date

START = datetime(2026, 11, 20, tzinfo=UTC)
END = datetime(2026, 11, 21, tzinfo=UTC)
KARACHI = ZoneInfo("Asia/Karachi")
IST = timezone(timedelta(hours=5, minutes=30))


def candidate(date_hint: datetime | None = None, lastmod: datetime | None = None) -> Candidate:
    """A candidate with the given dates."""
    return Candidate("https://www.example.pk/news/x", "sitemap", date_hint, lastmod)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fri, 20 Nov 2026 10:00:00 +0530", datetime(2026, 11, 20, 10, tzinfo=IST)),
        ("Fri, 20 Nov 2026 10:00:00 +05:30", datetime(2026, 11, 20, 10, tzinfo=IST)),
        ("Fri, 20 Nov 2026 10:00:00 IST", datetime(2026, 11, 20, 10, tzinfo=IST)),
        ("Fri, 20 Nov 2026 10:00:00 GMT", datetime(2026, 11, 20, 10, tzinfo=UTC)),
        ("Fri, 20 Nov 2026 10:00:00", datetime(2026, 11, 20, 10, tzinfo=KARACHI)),
        ("2026-11-20T10:00:00+05:00", datetime(2026, 11, 20, 5, tzinfo=UTC)),
        ("2026-11-20T10:00:00Z", datetime(2026, 11, 20, 10, tzinfo=UTC)),
        ("2026-11-20", datetime(2026, 11, 20, tzinfo=KARACHI)),
        ("November 20, 2026 10:30 PM", datetime(2026, 11, 20, 22, 30, tzinfo=KARACHI)),
        ("20th Nov 2026 at 9.15 am PKT", datetime(2026, 11, 20, 4, 15, tzinfo=UTC)),
        ("২০২৬-১১-২০", datetime(2026, 11, 20, tzinfo=KARACHI)),
        ("20/11/2026", datetime(2026, 11, 20, tzinfo=KARACHI)),
        ("3 hours ago", None),
        ("0001-01-01T00:00:00Z", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(text: str | None, expected: datetime | None) -> None:
    parsed = parse_date(text, KARACHI)
    assert parsed == expected
    assert parsed is None or parsed.utcoffset() is not None


def test_unknown_dates_are_kept() -> None:
    assert is_candidate_in_window(candidate(), START, END)


def test_date_hint_within_slack_is_kept_and_far_outside_is_dropped() -> None:
    assert is_candidate_in_window(candidate(START - timedelta(hours=23)), START, END)
    assert is_candidate_in_window(candidate(END + timedelta(hours=23)), START, END)
    assert not is_candidate_in_window(candidate(START - timedelta(days=2)), START, END)
    assert not is_candidate_in_window(candidate(END + timedelta(days=2)), START, END)


def test_lastmod_only_excludes_when_too_old() -> None:
    assert not is_candidate_in_window(candidate(lastmod=START - timedelta(days=3)), START, END)
    assert is_candidate_in_window(candidate(lastmod=END + timedelta(days=30)), START, END)
    published_in_window = candidate(START + timedelta(hours=2), END + timedelta(days=30))
    assert is_candidate_in_window(published_in_window, START, END)


def test_is_date_in_window_is_half_open_and_needs_aware_dates() -> None:
    assert is_date_in_window(START, START, END)
    assert not is_date_in_window(END, START, END)
    assert is_date_in_window(datetime(2026, 11, 21, 4, 59, tzinfo=KARACHI), START, END)
    with pytest.raises(ValueError, match="aware"):
        is_date_in_window(datetime(2026, 11, 20, 12), START, END)


KATHMANDU = ZoneInfo("Asia/Kathmandu")
RFC822_WITH_COMMENTS = [
    ("Thu, 20 Nov 2026 16:20:00 +0530 (IST)", datetime(2026, 11, 20, 16, 20, tzinfo=IST)),
    ("Thu, 20 Nov 2026 16:20:00 +0530 (India Standard Time)",
     datetime(2026, 11, 20, 16, 20, tzinfo=IST)),
    ("Thu, 20 Nov 2026 16:20:00 GMT+05:30", datetime(2026, 11, 20, 16, 20, tzinfo=IST)),
    ("Thu, 20 Nov 2026 16:20:00 GMT+0530 (IST)", datetime(2026, 11, 20, 16, 20, tzinfo=IST)),
    ("Thu, 20 Nov 2026 16:20:00 (IST)", datetime(2026, 11, 20, 16, 20, tzinfo=IST)),
    ("Thu, 20 Nov 2026 10:50:00 +0000 (UTC)", datetime(2026, 11, 20, 10, 50, tzinfo=UTC)),
    ("2026-11-20T16:20:00+05:30 (IST)", datetime(2026, 11, 20, 16, 20, tzinfo=IST)),
    ("20 Nov 2026 4:20 PM (IST)", datetime(2026, 11, 20, 16, 20, tzinfo=IST)),
]


@pytest.mark.parametrize(("text", "expected"), RFC822_WITH_COMMENTS)
def test_a_trailing_zone_comment_keeps_the_printed_offset(text: str, expected: datetime) -> None:
    """Indian feeds print "+0530 (IST)"; for a Kathmandu source the offset must stay +05:30."""
    parsed = parse_date(text, KATHMANDU)
    assert parsed == expected
    assert parsed is not None and parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    ("text", "zone", "offset_hours"),
    [
        ("Fri, 20 Nov 2026 10:30:00 PST", "Asia/Karachi", 5),  # Pakistan Standard Time
        ("Fri, 20 Nov 2026 10:30:00 PST", "Asia/Kolkata", -8),  # US Pacific elsewhere
        ("20 Nov 2026 10:30 BST", "Asia/Dhaka", 6),  # Bangladesh Standard Time
        ("20 Nov 2026 10:30 CET", "Asia/Karachi", 1),
    ],
)
def test_discovery_and_extraction_read_a_zone_alike(text: str, zone: str,
                                                    offset_hours: int) -> None:
    from scrapers.extract.dates import parse_date as parse_page_date

    tz = ZoneInfo(zone)
    found = parse_date(text, tz)
    page = parse_page_date(text, tz)
    assert found is not None and page is not None
    assert found.utcoffset() == timedelta(hours=offset_hours) == page.value.utcoffset()
    assert found == page.value
