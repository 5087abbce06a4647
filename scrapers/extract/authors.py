"""Bylines into author names: strip prefixes, split, drop noise, keep agencies, spot the outlet.

This is the one cleaning of author names: ``transforms.normalize`` only checks that staged names
are in the form :func:`clean_authors` gives.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

from transforms.text import clean_text

AGENCIES = {
    "afp", "agence france-presse", "agence france presse", "reuters", "ap", "associated press",
    "the associated press", "pti", "press trust of india", "ians", "app",
    "associated press of pakistan", "unb", "united news of bangladesh", "ani",
    "asian news international",
    "bss", "bangladesh sangbad sangstha", "rss", "rastriya samachar samiti", "xinhua", "dpa",
    "anadolu", "anadolu agency", "bloomberg", "efe", "kyodo", "nni", "ppi", "uni",
}
_DROP_SEGMENT = re.compile(
    r"\b(?:edited|editing|compiled|produced|illustrat(?:ed|ion)s?|photo(?:graph)?s?|graphics?"
    r"|fact[- ]checked|reviewed|translated|designed|video)\s+by\b.*",
    re.I,
)
_PREFIX = re.compile(
    r"^\s*(?:(?:additional\s+)?reporting\s+by|(?:written|reported|posted|published|story)\s+by|"
    r"by(?:line)?|from|author|authors|words"
    # Writer/report labels in Hindi and Nepali, Urdu and Bengali ("लेखक:", "تحریر:", "লেখক:").
    r"|लेखक|लेखिका|रिपोर्ट|तहरीर|تحریر|رپورٹ|لکھاری|লেখক|লিখেছেন|প্রতিবেদন)\s*[:\-–—ः]?\s+",
    re.I,
)
# "By" in other languages before the name: German, Spanish/Portuguese, French, Italian, Dutch,
# Scandinavian, capitalised or not but only before a capitalised given name and a surname (so
# "von der Leyen" and "Di Stefano" stay); Urdu/Dari "از", Dari "writer:"/"reporter:", Pashto
# "writer:", Tamil "written by:". Sinhala "විසින්" (by) follows the name.
_FOREIGN_BY = re.compile(
    r"^\s*(?:(?:[Vv]on|[Pp]or|[Pp]ar|[Dd]i|[Dd]oor|[Aa]v|[Aa]f)\s+(?=[^\W\d_a-z]\S*\s+\S)"
    r"|(?:از|نویسنده|گزارشگر|لیکوال|எழுதியவர்)\s*[:\-–—]?\s+)"
)
_FOREIGN_BY_AFTER = re.compile(r"\s+විසින්\s*$")
# Staff initials after a name: "Jane Roe (jr)", "(JR)", "(jr/dpa)" (a place such as "(Multan)"
# is longer or mixed case).
_STAFF_INITIALS = re.compile(
    r"(?<=\w)\s*\((?:[a-z]{1,4}|[A-Z]{1,3})(?:\s*[/,]\s*[A-Za-z]{1,6})*\)\s*$")
# "X द्वारा" (by X), "X की रिपोर्ट" / "X کی رپورٹ" (X's report) put the name first.
_SUFFIX = re.compile(r"\s+(?:द्वारा|की\s+रिपोर्ट|کی\s+رپورٹ|এর\s+প্রতিবেদন)\s*$")
_NOISE = re.compile(
    r"^(?:(?:our|special|staff|senior|own|city|sports|business|political|diplomatic|chief)\s+)*"
    r"(?:staff\s+reporter|reporter|correspondents?|desk|news\s+desk|web\s+desk|online\s+desk|"
    r"digital\s+desk|bureau|staff|agencies|agency|news\s+agencies|monitoring\s+desk|editor|"
    r"admin|administrator|guest|contributor|news\s+service|wire\s+services?|team)$",
    re.I,
)
_SPLIT = re.compile(
    r"\s*(?:,|;|\||&|\band\b|\bund\b|\bwith\b|\s\+\s|\bऔर\b|\bএবং\b|\bاور\b"
    r"|(?-i:\s(?:y|e|et|og)\s))\s*",  # Spanish, Italian/Portuguese, French, Norwegian "and"
    re.I,
)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_HANDLE = re.compile(r"(?<!\w)@\w+")
_URL = re.compile(r"https?://\S+|www\.\S+")
_DATEISH = re.compile(
    r"\d{1,4}[:/.\-]\d{1,2}|\b(?:19|20)\d{2}\b|\b(?:updated|published|posted|ago|min read)\b", re.I
)
_CREDIT = re.compile(r"^(?:images?|photos?|pictures?|credits?|source|getty|video)\b\s*:?", re.I)
_IN_PLACE = re.compile(r"(?<=\w)\s+in\s+[A-Z][\w'’.\-]*(?:\s+[A-Z][\w'’.\-]*)?$")
_PAREN_CODE = re.compile(r"\s*\(\s*([^()]{1,12}?)\s*\)\s*$")
_MINOR_WORDS = {"of", "the", "and", "for", "de", "des", "du", "la", "le", "news"}
# A byline part ending in one of these names a desk, not a person ("Sports Desk", "X Bureau").
_DESK_LAST = {
    "desk", "desks", "bureau", "bureaus", "staff", "team", "newsroom", "report", "reporter",
    "reporters", "correspondent", "correspondents", "writer", "writers", "editor", "editors",
    "contributor", "contributors", "agencies",
}
# Desk, staff and correspondent words in Hindi, Nepali, Bengali and Urdu, anywhere in the part.
_DESK_WORDS = {
    "डेस्क", "डेस्‍क", "ब्यूरो", "ब्युरो", "संवाददाता", "प्रतिनिधि", "समाचारदाता", "स्टाफ", "रिपोर्टर",
    "टीम", "एजेंसी", "एजेन्सी",
    "ডেস্ক", "ব্যুরো", "প্রতিবেদক", "সংবাদদাতা", "প্রতিনিধি", "রিপোর্টার", "স্টাফ", "টিম",
    "ڈیسک", "بیورو", "نمائندہ", "نمائندے", "نامہ", "نگار", "رپورٹر", "اسٹاف", "سٹاف", "ٹیم",
    "ایجنسی", "ایجنسیاں",
}


def fold(text: str) -> str:
    """Case- and space-insensitive form for comparisons."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def is_agency(name: str) -> bool:
    """True for a news-agency byline (AFP, Reuters, PTI, APP, UNB ...)."""
    return fold(name) in AGENCIES


def split_agency_code(part: str) -> tuple[str, str | None]:
    """('South Asia Wire', 'SAW') for 'South Asia Wire (SAW)': a name followed by its initials."""
    match = _PAREN_CODE.search(part)
    if not match:
        return part, None
    name, code = part[: match.start()].strip(), match.group(1)
    letters = re.sub(r"[^\w]", "", code)
    words = [w for w in re.split(r"[\s\-]+", name) if w]
    initials = "".join(w[0] for w in words if w.casefold() not in _MINOR_WORDS)
    every = "".join(w[0] for w in words)
    if letters.isupper() and len(letters) >= 2 and letters.casefold() in (
        initials.casefold(), every.casefold()
    ):
        return name, letters
    return part, None


def _words(text: str) -> list[str]:
    """Case-folded words with edge punctuation removed (combining marks kept, unlike ``fold``)."""
    text = unicodedata.normalize("NFC", text).casefold()
    return [w for w in (w.strip(".,;:|()[]'\"-–—") for w in text.split()) if w]


def is_desk(part: str) -> bool:
    """True for a desk, bureau or staff byline part ("Sports Desk", "নিজস্ব প্রতিবেদক")."""
    if _NOISE.match(part):
        return True
    words = _words(part)
    return bool(words) and (words[-1] in _DESK_LAST or any(w in _DESK_WORDS for w in words))


_DESK_QUALIFIERS = {"sports", "business", "news", "web", "online", "digital", "city", "special",
                    "staff", "political", "national", "world"}


def _desk_owner(part: str) -> str:
    """The part without its desk words ("Ganga Times Sports Desk" -> "Ganga Times")."""
    words = part.split()
    while words and (_words(words[-1]) or [""])[0] in (_DESK_LAST | _DESK_WORDS | _DESK_QUALIFIERS):
        words.pop()
    return " ".join(words)


def _strip_foreign_by(part: str) -> str:
    return _FOREIGN_BY_AFTER.sub("", _FOREIGN_BY.sub("", part))


def _strip_staff_initials(part: str) -> str:
    return _STAFF_INITIALS.sub("", part) if len(part.split()) >= 2 else part


def _strip_agency_code(part: str) -> str:
    return split_agency_code(part)[0]


def _strip_place(part: str) -> str:
    """"Sana Qureshi in Multan" -> "Sana Qureshi"."""
    return _IN_PLACE.sub("", part)


# Every rewrite of one byline part, by name, in order; bench/lopo.py judges each by scoring
# fields-dev with and without it.
PART_CLEANERS: dict[str, Callable[[str], str]] = {
    "foreign_by": _strip_foreign_by,
    "agency_code": _strip_agency_code,
    "staff_initials": _strip_staff_initials,
    "place": _strip_place,
}


def _split_byline(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text)
    text = _URL.sub(" ", _EMAIL.sub(" ", text))
    text = _HANDLE.sub(" ", text)
    text = re.sub(r"\s+", " ", text).strip(" \t\n-–—|:·•")
    text = _DROP_SEGMENT.sub("", text)
    parts: list[str] = []
    for piece in _SPLIT.split(text):
        piece = _PREFIX.sub("", piece.strip(" -–—|:·•[]\"'")).strip(" -–—|:·•[]\"'.")
        piece = _SUFFIX.sub("", _PREFIX.sub("", piece)).strip()
        for clean in PART_CLEANERS.values():
            piece = clean(piece).strip()
        if piece.count("(") != piece.count(")"):
            piece = piece.strip("()")
        piece = piece.strip(" -–—|:·•()[]\"'.") if piece.startswith("(") else piece.strip()
        if piece:
            parts.append(piece)
    return parts


def _is_credit(part: str) -> bool:
    return bool(_CREDIT.match(part))


def _is_noise(part: str) -> bool:
    return bool(_NOISE.match(part))


def _is_dateish(part: str) -> bool:
    return bool(_DATEISH.search(part))


def _is_not_name_shaped(part: str) -> bool:
    words = part.split()
    return not words or len(words) > 6 or len(part) > 60 or not any(ch.isalpha() for ch in part)


# Interface text caught in a byline box: correction prompts, follow/view/more links, author-box
# headings, in English and (by their key word) in Hindi, Nepali, Bengali and Urdu.
_INTERFACE = re.compile(
    r"\?|^(?:found|spotted|see|noticed?)\s+(?:a|an)\s+(?:mistake|error|typo)"
    r"|^(?:report|suggest|submit)\s+(?:a|an)\s+(?:correction|error|mistake|typo)"
    r"|^(?:follow|subscribe\s+to|contact|email|message|view|see|read|more|all)\s+"
    r"(?:us|me|him|her|them|on|all|more|the\s+author|this\s+author|author|full|posts|articles"
    r"|stories|profile|from|by)\b"
    r"|^about\s+the\s+(?:author|writer|reporter)|^author\s+(?:profile|bio|page)"
    r"|गलती|गल्ती|त्रुटि|फॉलो|फलो|ভুল|ফলো|غلطی|فالو",
    re.I,
)
# Section and tag words a byline box may hold instead of a name ("Politics", "World News"),
# in English and the region's languages; only a whole part counts ("India Knight" is a name).
_SECTION_WORDS = {
    "news", "politics", "business", "sport", "sports", "world", "opinion", "opinions",
    "entertainment", "technology", "tech", "lifestyle", "health", "science", "national",
    "international", "local", "india", "nation", "economy", "culture", "travel", "food",
    "education", "environment", "crime", "cricket", "football", "elections", "latest", "trending",
    "features", "analysis", "editorial", "editorials", "blog", "blogs", "video", "videos",
    "photos", "live", "explainer", "breaking", "top stories", "home", "region", "regional",
    "asia", "south asia", "pakistan", "bangladesh", "nepal", "sri lanka", "afghanistan",
    "maldives", "city", "metro", "markets", "money",
    "देश", "विदेश", "राजनीति", "खेल", "मनोरंजन", "व्यापार", "कारोबार", "राष्ट्रीय",
    "अंतरराष्ट्रीय", "समाचार", "ताजा खबर", "खबर", "खबरें", "दुनिया", "खेलकुद", "अर्थ",
    "प्रदेश", "विचार", "मुख्य समाचार",
    "প্রচ্ছদ", "জাতীয়", "আন্তর্জাতিক", "খেলা", "রাজনীতি", "বিনোদন", "অর্থনীতি", "সারাদেশ",
    "মতামত", "বাণিজ্য", "খবর",
    "سیاست", "کھیل", "دنیا", "کاروبار", "تفریح", "قومی", "بین الاقوامی", "خبریں", "تازہ ترین",
    "پاکستان", "ادارتی", "کالم",
}
_SECTION_WORDS = {unicodedata.normalize("NFC", w) for w in _SECTION_WORDS}


def _is_interface(part: str) -> bool:
    """"Found a mistake?", "Follow us on X", "View all posts", "गलती मिली?": not a name."""
    return bool(_INTERFACE.search(part))


def _is_section_word(part: str) -> bool:
    """"Politics", "World News", "राजनीति": a section or tag word, not a name."""
    words = _words(part)
    if words and words[-1] == "news" and len(words) > 1:
        words = words[:-1]  # "World News", "India News"
    return " ".join(words) in _SECTION_WORDS


# Every test that a byline part names no person, by name (see PART_CLEANERS).
NOT_A_NAME: dict[str, Callable[[str], bool]] = {
    "credit": _is_credit,
    "noise": _is_noise,
    "dateish": _is_dateish,
    "shape": _is_not_name_shaped,
    "interface": _is_interface,
    "section_word": _is_section_word,
}


def _is_name(part: str) -> bool:
    return not any(rule(part) for rule in NOT_A_NAME.values())


def _is_outlet_name(key: str, outlets: set[str]) -> bool:
    """The part, folded, is one of the outlet's names (with or without "the")."""
    return key in outlets or key.removeprefix("the ") in outlets


# Words an outlet adds to its name in a byline ("Valley Ledger Digital", "Ledger News").
_OUTLET_TAILS = {"news", "online", "digital", "tv", "media", "network", "web", "staff", "com",
                 "net", "org", "in", "pk", "bd", "np", "lk", "co", "uk"}


def _squeezed(key: str) -> str:
    """A folded name without "the", trailing outlet words and spaces: "timesofmultan"."""
    words = key.removeprefix("the ").split()
    while len(words) > 1 and words[-1] in _OUTLET_TAILS:
        words.pop()
    return "".join(words)


def _is_outlet_alias(key: str, outlets: set[str]) -> bool:
    """The outlet spelt another way: "Times of Multan" for "timesofmultan", "Ledger News" or
    "Ledger.example" for "Ledger"."""
    words = key.split()
    if not ({"of", "the"} & set(words) or words[-1] in _OUTLET_TAILS or len(words) == 1):
        return False  # "Jane Roe" on janeroe.example is the writer, not an alias of the site
    squeezed = _squeezed(key)
    return len(squeezed) >= 3 and squeezed in {_squeezed(o) for o in outlets}


# Tests that a byline part is the outlet itself, by name (see PART_CLEANERS); an agency
# ("AP" on an "apnews" site) is never taken for the outlet.
OUTLET_RULES: dict[str, Callable[[str, set[str]], bool]] = {
    "same_name": _is_outlet_name,
    "alias": _is_outlet_alias,
}


def clean_authors(
    bylines: Iterable[str], outlet_names: Iterable[str] = ()
) -> tuple[list[str], str | None]:
    """Names from raw bylines, and the outlet's name when the byline is only the outlet itself."""
    outlets = {fold(n) for n in outlet_names if n}
    outlets |= {o.removeprefix("the ") for o in outlets}
    names: list[str] = []
    seen: set[str] = set()
    outlet_hit: str | None = None
    for byline in bylines:
        if not byline or not isinstance(byline, str):
            continue
        after_desk = False
        for index, part in enumerate(_split_byline(byline)):
            key = fold(part)
            if after_desk:  # "Staff Reporter, Rajshahi": the desk's place, not a person
                after_desk = False
                continue
            if not key or key in seen:
                continue
            if not is_agency(part) and any(rule(key, outlets) for rule in OUTLET_RULES.values()):
                outlet_hit = outlet_hit or part
                continue
            if is_desk(part):
                owner = fold(_desk_owner(part))
                if owner and _is_outlet_name(owner, outlets):
                    outlet_hit = outlet_hit or part
                after_desk = index == 0
                continue
            if not is_agency(part) and not _is_name(part):
                continue
            seen.add(key)
            names.append(clean_text(part))  # the lake's text form: normalize only checks it
    return names, (outlet_hit if not names else None)
