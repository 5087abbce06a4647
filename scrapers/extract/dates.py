"""Date parsing: ISO 8601 and printed dates (native digits and month names), with time-zone rules.

The one home of the month-name and zone-abbreviation tables: discovery's date parser
(``scrapers.discovery.window``) reads its English month names and its zones from here too.

A printed offset is kept as printed.  A time without one takes the source's time zone; with no
source it stays naive and callers keep only the calendar day.  ``ParsedDate.precision`` says
what was printed (``day``, ``minute``, ``second``): a date alone gets no invented time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from transforms.schema import PRECISIONS
from transforms.schema import format_offset as format_utc_offset

EARLIEST = date(1990, 1, 1)

# Arabic-Indic, Extended Arabic-Indic (Urdu/Persian), Bengali, Devanagari digits -> ASCII.
_DIGITS = str.maketrans(
    "٠١٢٣٤٥٦٧٨٩" "۰۱۲۳۴۵۶۷۸۹" "০১২৩৪৫৬৭৮৯" "०१२३४५६७८९",
    "0123456789" * 4,
)

_MONTH_WORDS: dict[int, tuple[str, ...]] = {
    1: ("january", "jan", "जनवरी", "জানুয়ারি", "জানুয়ারী", "জানুয়ারি", "جنوری"),
    2: ("february", "feb", "फ़रवरी", "फरवरी", "फेब्रुअरी", "ফেব্রুয়ারি", "ফেব্রুয়ারী", "ফেব্রুয়ারি", "فروری"),
    3: ("march", "mar", "मार्च", "মার্চ", "مارچ"),
    4: ("april", "apr", "अप्रैल", "अप्रिल", "এপ্রিল", "اپریل"),
    5: ("may", "मई", "मे", "মে", "مئی"),
    6: ("june", "jun", "जून", "जुन", "জুন", "جون"),
    7: ("july", "jul", "जुलाई", "জুলাই", "جولائی"),
    8: ("august", "aug", "अगस्त", "अगस्ट", "আগস্ট", "আগষ্ট", "اگست"),
    9: ("september", "sept", "sep", "सितंबर", "सितम्बर", "सेप्टेम्बर", "সেপ্টেম্বর", "ستمبر"),
    10: ("october", "oct", "अक्टूबर", "अक्तूबर", "अक्टोबर", "অক্টোবর", "اکتوبر"),
    11: ("november", "nov", "नवंबर", "नवम्बर", "नोभेम्बर", "নভেম্বর", "نومبر"),
    12: ("december", "dec", "दिसंबर", "दिसम्बर", "डिसेम्बर", "ডিসেম্বর", "دسمبر"),
}
# Bikram Sambat months, as Nepali outlets print them (Devanagari spellings and romanisations).
# They are looked up as 100 + month so that a match can be told apart and converted.
_BS_MONTH_WORDS: dict[int, tuple[str, ...]] = {
    1: ("बैशाख", "वैशाख", "baisakh", "baishakh"),
    2: ("जेठ", "जेष्ठ", "ज्येष्ठ", "jestha", "jeth"),
    3: ("असार", "आषाढ", "असाढ", "asar", "ashadh"),
    4: ("साउन", "श्रावण", "shrawan", "saun"),
    5: ("भदौ", "भाद्र", "bhadra", "bhadau"),
    6: ("असोज", "आश्विन", "asoj", "ashwin"),
    7: ("कात्तिक", "कार्तिक", "kartik"),
    8: ("मंसिर", "मङ्सिर", "मार्ग", "mangsir", "mansir"),
    9: ("पुस", "पौष", "poush", "paush"),
    10: ("माघ", "magh"),
    11: ("फागुन", "फाल्गुन", "falgun", "phagun"),
    12: ("चैत", "चैत्र", "chaitra", "chait"),
}
_BS_OFFSET = 100
# BS years of dates this pipeline can meet (AD 1990 is BS 2046/47); they never overlap AD years.
_BS_YEARS = range(2040, 2101)
# German, French, Spanish, Italian and Portuguese month names, for printed dates elsewhere.
_EUROPEAN_MONTHS = (
    ("januar", "jänner", "janvier", "enero", "gennaio", "janeiro"),
    ("februar", "février", "febrero", "febbraio", "fevereiro"),
    ("märz", "mars", "marzo", "março"),
    ("avril", "abril", "aprile"),
    ("mai", "mayo", "maggio", "maio"),
    ("juni", "juin", "junio", "giugno", "junho"),
    ("juli", "juillet", "julio", "luglio", "julho"),
    ("août", "agosto"),
    ("septembre", "septiembre", "setiembre", "settembre", "setembro"),
    ("oktober", "octobre", "octubre", "ottobre", "outubro"),
    ("novembre", "noviembre", "novembro"),
    ("dezember", "décembre", "diciembre", "dicembre", "dezembro"),
)
ENGLISH_MONTHS = {w: num for num, words in _MONTH_WORDS.items() for w in words if w.isascii()}
"""English month names and abbreviations (``sept`` too) -> month number."""
_MONTH_LOOKUP = {word: num for num, words in _MONTH_WORDS.items() for word in words}
_MONTH_LOOKUP |= {word: num for num, words in enumerate(_EUROPEAN_MONTHS, 1) for word in words}
_MONTH_LOOKUP |= {w: _BS_OFFSET + num for num, words in _BS_MONTH_WORDS.items() for w in words}
# A month word must not run on into a longer word: no letter and no combining vowel sign or
# virama (Devanagari, Bengali, Arabic) may follow it, or "पुस" would match inside "पुस्तक".
_COMBINING = (
    "\u0900-\u0903\u093a-\u094f\u0951-\u0957\u0962\u0963"  # Devanagari
    "\u0981-\u0983\u09bc-\u09d7\u09e2\u09e3"  # Bengali
    "\u064b-\u065f\u0670"  # Arabic script
)
_MONTH_RE = re.compile(
    r"(?<![\w])("
    + "|".join(sorted((re.escape(w) for w in _MONTH_LOOKUP), key=len, reverse=True))
    + rf")\.?(?![^\W\d_]|[{_COMBINING}])",
    re.I,
)

# UTC offsets in minutes of the zone abbreviations dates are printed with: RFC 822's, South
# Asia's and a few international ones.  BST and PST also have a local reading (zone_offset).
ZONE_MINUTES = {
    "ut": 0, "utc": 0, "gmt": 0, "z": 0,
    "ist": 330, "lkt": 330, "slst": 330, "pkt": 300, "mvt": 300, "npt": 345, "bdt": 360,
    "btt": 360, "aft": 270,
    "est": -300, "edt": -240, "cst": -360, "cdt": -300, "mst": -420, "mdt": -360,
    "pst": -480, "pdt": -420,
    "cet": 60, "cest": 120, "bst": 60, "aest": 600, "aedt": 660,
}
# (abbreviation, source time zone) -> what it means there: Bangladesh and Pakistan Standard Time
_LOCAL_READINGS = {("bst", "Asia/Dhaka"): 360, ("pst", "Asia/Karachi"): 300}
_ZONE_RE = re.compile(r"\b(" + "|".join(ZONE_MINUTES) + r")\b", re.I)

_ISO_RE = re.compile(
    r"(\d{4})-?(\d{2})-?(\d{2})"
    r"(?:[T ](\d{1,2}):?(\d{2})(?::?(\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?(?!\d)"
)
_NUMERIC_RE = re.compile(r"(?<!\d)(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?!\d)")
_ORD = r"(?:st|nd|rd|th)?"
_GAP = r"(?:[\s,.\-]|\bde\b|\bdel\b)*"  # "29 de noviembre de 2026"
_DAY_MONTH_YEAR = re.compile(rf"(?<!\d)(\d{{1,2}}){_ORD}{_GAP}\x01(\d+)\x01{_GAP}(\d{{4}})")
_MONTH_DAY_YEAR = re.compile(rf"\x01(\d+)\x01{_GAP}(\d{{1,2}}){_ORD}(?!\d){_GAP}(\d{{4}})")
_YEAR_MONTH_DAY = re.compile(r"(\d{4})[\s,.\-]*\x01(\d+)\x01[\s,.\-]*(\d{1,2})(?!\d)")
_TIME_RE = re.compile(
    r"(?<!\d)(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?\s*(a\.?\s?m\.?|p\.?\s?m\.?|पूर्वाह्न|अपराह्न)?", re.I
)
_OFFSET_RE = re.compile(r"(?:gmt|utc)?\s*([+-])\s?(\d{1,2})(?::?(\d{2}))?(?!\d)", re.I)



@dataclass(frozen=True)
class ParsedDate:
    """A parsed date: ``value`` is aware when an offset was printed or a zone was known."""

    value: datetime
    has_time: bool
    printed_offset: bool
    has_seconds: bool = False

    @property
    def day(self) -> date:
        """The calendar day as printed."""
        return self.value.date()

    @property
    def precision(self) -> str:
        """What the page printed: ``day`` (a date only), ``minute`` or ``second``."""
        day, minute, second = PRECISIONS
        if not self.has_time:
            return day
        return second if self.has_seconds else minute


def normalize_digits(text: str) -> str:
    """Replace Arabic-Indic, Urdu, Bengali and Devanagari digits with ASCII digits."""
    return text.translate(_DIGITS)


def _offset_tz(sign: str, hours: str, minutes: str | None) -> timezone | None:
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if delta > timedelta(hours=14):
        return None
    return timezone(-delta if sign == "-" else delta)


def zone_offset(abbr: str, source_tz: tzinfo | None = None) -> timezone | None:
    """The offset a printed zone abbreviation stands for (None if unknown), read as the
    source's zone reads it: BST in Dhaka is Bangladesh, PST in Karachi Pakistan Standard Time."""
    name = abbr.lower()
    if name not in ZONE_MINUTES:
        return None
    local = source_tz.key if isinstance(source_tz, ZoneInfo) else None
    return timezone(timedelta(minutes=_LOCAL_READINGS.get((name, local), ZONE_MINUTES[name])))


def _zone_from_abbr(text: str, source_tz: tzinfo | None) -> timezone | None:
    match = _ZONE_RE.search(text)
    return zone_offset(match.group(1), source_tz) if match else None


def _parse_iso(text: str) -> ParsedDate | None:
    match = _ISO_RE.search(text)
    if not match:
        return None
    year, month, day, hour, minute, second, off = match.groups()
    try:
        value = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                         int(second or 0))
    except ValueError:
        return None
    tz = None
    if off:
        if off.upper() == "Z":
            tz = UTC
        else:
            digits = off[1:].replace(":", "")
            tz = _offset_tz(off[0], digits[:2], digits[2:4] or None)
    if tz is not None and hour is not None:
        return ParsedDate(value.replace(tzinfo=tz), True, True, second is not None)
    return ParsedDate(value, hour is not None, False, hour is not None and second is not None)


def _calendar_day(year: int, month: int, day: int) -> date | None:
    """The Gregorian day for a printed year, month and day; a Bikram Sambat month is converted."""
    try:
        if month <= 12:
            return date(year, month, day)
        if year not in _BS_YEARS:
            return None
        import nepali_datetime

        return nepali_datetime.date(year, month - _BS_OFFSET, day).to_datetime_date()
    except (ValueError, OverflowError):
        return None


def _find_day(text: str) -> tuple[date, int] | None:
    """The first printed calendar day and where it ends."""
    marked = _MONTH_RE.sub(lambda m: f"\x01{_MONTH_LOOKUP[m.group(1).lower()]}\x01", text)
    for pattern, order in ((_DAY_MONTH_YEAR, "dmy"), (_MONTH_DAY_YEAR, "mdy"),
                           (_YEAR_MONTH_DAY, "ymd")):
        match = pattern.search(marked)
        if match:
            parts = dict(zip(order, (int(g) for g in match.groups()), strict=True))
            found = _calendar_day(parts["y"], parts["m"], parts["d"])
            if found is None:
                continue
            return found, len(marked[: match.end()].replace("\x01", ""))
    match = _NUMERIC_RE.search(text)
    if match:
        first, second, year = (int(g) for g in match.groups())
        day_, month = (first, second) if second <= 12 else (second, first)
        try:
            return date(year, month, day_), match.end()
        except ValueError:
            return None
    return None


def _parse_printed(text: str, source_tz: tzinfo | None) -> ParsedDate | None:
    found = _find_day(text)
    if not found:
        return None
    day, end = found
    rest = text[end:] if _TIME_RE.search(text[end:]) else text
    hour = minute = second = 0
    time_match = _TIME_RE.search(rest)
    has_time = False
    if time_match:
        hour, minute = int(time_match.group(1)), int(time_match.group(2))
        second = int(time_match.group(3) or 0)
        meridiem = (time_match.group(4) or "").lower().replace(".", "").replace(" ", "")
        if meridiem in ("pm", "अपराह्न") and hour < 12:
            hour += 12
        elif meridiem in ("am", "पूर्वाह्न") and hour == 12:
            hour = 0
        has_time = hour < 24 and minute < 60 and second < 60
        if not has_time:
            hour = minute = second = 0
        rest = rest[time_match.end():]
    value = datetime(day.year, day.month, day.day, hour, minute, second)
    if not has_time:
        return ParsedDate(value, False, False)
    seconds = time_match is not None and time_match.group(3) is not None
    tz: tzinfo | None = None
    offset = _OFFSET_RE.match(rest.strip()) or re.search(r"(?:gmt|utc)\s*([+-])(\d{1,2}):?(\d{2})?",
                                                          rest, re.I)
    if offset:
        tz = _offset_tz(offset.group(1), offset.group(2), offset.group(3))
    if tz is None:
        tz = _zone_from_abbr(rest, source_tz)
    if tz is not None:
        return ParsedDate(value.replace(tzinfo=tz), True, True, seconds)
    return ParsedDate(value, True, False, seconds)


def parse_date(text: str | None, source_tz: tzinfo | None = None) -> ParsedDate | None:
    """Parse an ISO 8601 or printed date; no printed offset means ``source_tz`` (if given)."""
    if not text or not isinstance(text, str):
        return None
    text = normalize_digits(" ".join(text.split()))[:200]
    parsed = _parse_iso(text) if re.search(r"\d{4}-?\d{2}-?\d{2}", text) else None
    if parsed is None:
        parsed = _parse_printed(text, source_tz)
    if parsed is None:
        return None
    if parsed.value.tzinfo is None and source_tz is not None:
        localized = parsed.value.replace(tzinfo=source_tz)
        fixed = timezone(localized.utcoffset() or timedelta(0))
        return ParsedDate(parsed.value.replace(tzinfo=fixed), parsed.has_time, False,
                          parsed.has_seconds)
    return parsed


def is_plausible(parsed: ParsedDate, earliest: date | None = None,
                 now: datetime | None = None) -> bool:
    """False for dates in the future (> now + 1 day) or before ``earliest`` (default 1990)."""
    now = now or datetime.now(UTC)
    floor = max(earliest or EARLIEST, EARLIEST)
    if parsed.day < floor:
        return False
    value = parsed.value
    if value.tzinfo is None:
        return value.date() <= (now + timedelta(days=1)).date()
    return value <= now + timedelta(days=1)


def format_offset(value: datetime) -> str | None:
    """'+HH:MM' for an aware datetime (``transforms.schema.format_offset``), None if naive."""
    offset = value.utcoffset()
    return None if offset is None else format_utc_offset(offset)


def date_from_url(url: str) -> ParsedDate | None:
    """A /YYYY/MM/DD/ or YYYY-MM-DD date in the URL path, day only."""
    match = re.search(r"/((?:19|20)\d{2})[/-](\d{1,2})[/-](\d{1,2})(?:/|-|$)", url)
    if not match:
        match = re.search(r"/((?:19|20)\d{2})(\d{2})(\d{2})/", url)
    if not match:
        return None
    try:
        value = datetime(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
    return ParsedDate(value, False, False)
