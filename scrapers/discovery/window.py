"""Dates for discovery: parse the dates documents print, and decide if they fall in the window.

The crawl window is a half-open UTC interval ``[start, end)`` of aware datetimes.  Dates
printed without an offset are interpreted in the source's time zone.  Month names and zone
abbreviations come from the extractor's tables (``scrapers.extract.dates``).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_tz

from scrapers.discovery import Candidate
from scrapers.extract.dates import ENGLISH_MONTHS, zone_offset

MIN_YEAR = 1900
MAX_YEAR = 2100
DEFAULT_SLACK = timedelta(days=1)

_AMPM = re.compile(r"\d\s*[ap]\.?m\b", re.IGNORECASE)
_OFFSET = re.compile(r"^(?:GMT|UTC|UT)?([+-]\d{2}:?\d{2})$", re.IGNORECASE)
# RFC 822 comments after the zone: "+0530 (IST)", "+0000 (Coordinated Universal Time)".
_COMMENT = re.compile(r"\s*\(([^()]*)\)\s*$")
_MONTH = r"(?P<month>" + "|".join(sorted(ENGLISH_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_PRINTED = [
    re.compile(rf"\b{_DAY}\s+{_MONTH},?\s+{_YEAR}\b", re.IGNORECASE),
    re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.IGNORECASE),
    re.compile(r"\b(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})(?!\d)"),
    re.compile(r"(?<!\d)(?P<day>\d{1,2})[-/.](?P<month>\d{1,2})[-/.](?P<year>\d{4})\b"),
]
_TIME = re.compile(
    r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"\s*(?P<ampm>[ap]\.?\s?m\b\.?)?"
    r"\s*(?:(?:GMT|UTC)?\s*(?P<offset>[+-]\d{2}:?\d{2})|\(?(?P<zone>[A-Z]{2,4})\b)?",
    re.IGNORECASE,
)


def ensure_aware(value: datetime, name: str = "datetime") -> datetime:
    """Return ``value`` if it carries a UTC offset, else raise ValueError."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} {value.isoformat()} must be time-zone aware")
    return value


def _is_plausible(value: datetime) -> bool:
    return MIN_YEAR <= value.year <= MAX_YEAR


def _localize(value: datetime, tz: tzinfo) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


def _parse_offset(text: str) -> timezone:
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def parse_iso_date(text: str, tz: tzinfo) -> datetime | None:
    """Parse an ISO 8601 / W3C datetime (offset optional; naive means ``tz``), or None."""
    candidate = re.sub(r"\s+(?=[+-]\d{2}:?\d{2}$)", "", text.strip())
    try:
        value = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    return _localize(value, tz) if _is_plausible(value) else None


def split_comment(text: str) -> tuple[str, str | None]:
    """Split a trailing RFC 822 comment off a date: ``("... +0530", "IST")``."""
    match = _COMMENT.search(text) if text.endswith(")") else None
    if not match or not text[: match.start()].strip():
        return text, None
    return text[: match.start()], match.group(1).strip()


def _split_zone(text: str, tz: tzinfo) -> tuple[str, timezone | None]:
    """Split a trailing zone (``+0530``, ``+05:30``, ``GMT+0530``, ``PKT``) off an RFC 822 date.

    A zone given only in a trailing comment (``10:00:00 (IST)``) is used when it is a known
    abbreviation; an offset outside the comment always wins.
    """
    text, comment = split_comment(text)
    words = text.strip().split()
    if len(words) < 2:
        return text, None
    last = words[-1].upper()
    offset = _OFFSET.match(last)
    if offset:
        return " ".join(words[:-1]), _parse_offset(offset.group(1))
    zone = zone_offset(last, tz)
    if zone is not None:
        return " ".join(words[:-1]), zone
    return text, zone_offset(comment, tz) if comment else None


def parse_rfc822_date(text: str, tz: tzinfo) -> datetime | None:
    """Parse an RFC 822 date (``pubDate``), knowing IST/PKT/NPT...; no zone means ``tz``."""
    if _AMPM.search(text):  # parsedate_tz would silently ignore "PM"
        return None
    rest, zone = _split_zone(text, tz)
    parts = parsedate_tz(rest)
    if parts is None:
        return None
    try:
        value = datetime(*parts[:6])
    except ValueError:
        return None
    if not _is_plausible(value):
        return None
    return value.replace(tzinfo=zone) if zone is not None else value.replace(tzinfo=tz)


def _month_number(text: str) -> int:
    return int(text) if text.isdigit() else ENGLISH_MONTHS[text.lower().rstrip(".")]


def _apply_time(day: datetime, text: str, tz: tzinfo) -> datetime:
    """Add a printed time (``10:30 AM``, ``14:05 +05:30``, ``9.15 pm PKT``) found in ``text``."""
    match = _TIME.match(re.sub(r"^[\s,|@–—-]*(?:at\s+)?", "", text, flags=re.IGNORECASE))
    if not match:
        return day
    hour, minute = int(match["hour"]), int(match["minute"])
    ampm = (match["ampm"] or "").lower()
    if ampm.startswith("p") and hour < 12:
        hour += 12
    elif ampm.startswith("a") and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return day
    value = day.replace(hour=hour, minute=minute, second=int(match["second"] or 0))
    if match["offset"]:
        return value.replace(tzinfo=_parse_offset(match["offset"]))
    zone = zone_offset(match["zone"], tz) if match["zone"] else None
    return value.replace(tzinfo=zone) if zone is not None else value


def parse_printed_date(text: str, tz: tzinfo) -> datetime | None:
    """Find a human-printed date in ``text`` (``20 Nov 2026``, ``November 20, 2026 10:30 AM``,
    ``2026-11-20``, ``20/11/2026`` day-first); None if there is none."""
    for pattern in _PRINTED:
        match = pattern.search(text)
        if not match:
            continue
        try:
            day, month = int(match["day"]), _month_number(match["month"])
            if month > 12 and day <= 12:  # 11/20/2026: month-first after all
                day, month = month, day
            value = datetime(int(match["year"]), month, day)
        except (ValueError, KeyError):
            continue
        if _is_plausible(value):
            return _localize(_apply_time(value, text[match.end() :], tz), tz)
    return None


def parse_date(text: str | None, tz: tzinfo) -> datetime | None:
    """Parse any date a feed, sitemap or page prints into an aware datetime, or None."""
    if not text or not text.strip():
        return None
    text = " ".join(text.split())[:200]
    bare, _comment = split_comment(text)
    return parse_iso_date(bare, tz) or parse_rfc822_date(text, tz) or parse_printed_date(text, tz)


def to_utc_bounds(start: datetime | date, end: datetime | date) -> tuple[datetime, datetime]:
    """Normalise window bounds: dates become UTC midnights; datetimes must be aware."""

    def _convert(value: datetime | date, name: str) -> datetime:
        if isinstance(value, datetime):
            return ensure_aware(value, name)
        return datetime(value.year, value.month, value.day, tzinfo=UTC)

    return _convert(start, "window start"), _convert(end, "window end")


def is_date_in_window(value: datetime, start: datetime | date, end: datetime | date) -> bool:
    """True if the aware ``value`` is in ``[start, end)``; the final, strict decision."""
    lower, upper = to_utc_bounds(start, end)
    return lower <= ensure_aware(value, "date") < upper


def is_candidate_in_window(
    candidate: Candidate,
    start: datetime | date,
    end: datetime | date,
    slack: timedelta = DEFAULT_SLACK,
) -> bool:
    """False only when the candidate is clearly outside the window; unknown dates are kept.

    ``date_hint`` (a publication date) must lie in ``[start - slack, end + slack)``.
    ``lastmod`` is a modification date: before ``start - slack`` excludes, but after ``end``
    does not (an article published in the window may have been edited later).
    """
    lower, upper = to_utc_bounds(start, end)
    if candidate.date_hint is not None and candidate.date_hint.utcoffset() is not None:
        return lower - slack <= candidate.date_hint < upper + slack
    if candidate.lastmod is not None and candidate.lastmod.utcoffset() is not None:
        return candidate.lastmod >= lower - slack
    return True
