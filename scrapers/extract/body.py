"""Main text: the paragraph list cleaned of chrome, teaser boxes, a comment form, an author bio and
meta lines, then joined.

The paragraphs come from the trafilatura cascade (``cascade``), filled in from the page's main
block (``main_block``) and live-blog entries (``liveblog``); the line rules are in ``chrome``.
"""

from __future__ import annotations

import re

from scrapers.extract.authors import fold
from scrapers.extract.chrome import is_chrome
from scrapers.extract.dates import normalize_digits, parse_date

_COMMENT_FORM = re.compile(
    r"^(?:leave\s+a\s+(?:reply|comment)|reply\s+from|post\s+a\s+comment|add\s+(?:a\s+)?comment"
    r"|your\s+email\s+address\s+will\s+not\s+be\s+published|required\s+fields\s+are\s+marked"
    r"|save\s+my\s+name,\s+email|comments?\s*\(\d+\)\W*$|\d+\s+comments?\W*$"
    r"|name\s*\*|email\s*\*"
    r"|you\s+must\s+be\s+logged\s+in\s+to\s+post|join\s+(?:our|the)\s+(?:commenting|conversation)"
    r"|.{0,80}\bbefore\s+commenting\b)",
    re.I,
)


_TEASER_TAIL = re.compile(
    r"^(?:more\s+from\b|more\s+on\s+this|more\s+stories|more\s+news|read\s+next$|up\s+next$"
    r"|you\s+(?:may|might)\s+also\s+(?:like|be\s+interested)|what\s+to\s+read\s+next)",
    re.I,
)
_TEASER_BOX = re.compile(
    r"^(?:most\s+(?:popular|read|viewed)\b|popular(?:\s+now|\s+stories)?$"
    r"|related(?:\s+(?:stories|articles|news|coverage|content))?$|recommended(?:\s+for\s+you)?$"
    r"|trending(?:\s+now)?$|editor'?s\s+picks?$|top\s+stories$"
    # the same boxes in Hindi, Nepali, Bengali and Urdu: related, more, most read, popular
    r"|(?:संबंधित|सम्बंधित|सम्बन्धित|संबन्धित)\s+(?:खबरें|ख़बरें|खबर|समाचार)$"
    r"|सबसे\s+(?:ज्यादा|ज़्यादा|अधिक)\s+पढ़ी\s+गई|लोकप्रिय$"
    r"|धेरै\s+पढिएको|সম্পর্কিত\s+(?:খবর|সংবাদ)$|আরও\s+খবর$|সর্বাধিক\s+পঠিত|জনপ্রিয়$"
    r"|متعلقہ\s+خبریں$|مزید\s+خبریں$|مقبول\s+ترین|سب\s+سے\s+زیادہ\s+پڑھی)",
    re.I,
)


def _cut_teasers(paragraphs: list[str]) -> list[str]:
    """Drop teaser blocks: a closing "More from ..." list, and "Most read" boxes mid-text."""
    out: list[str] = []
    in_box = False
    for index, para in enumerate(paragraphs):
        text = para.strip(" :.")
        short = len(text.split()) <= 7
        if short and index >= max(2, len(paragraphs) // 2) and _TEASER_TAIL.match(text):
            break
        if short and index >= 1 and _TEASER_BOX.match(text):
            in_box = True
            continue
        if in_box and len(text.split()) <= 20 and not para.rstrip().endswith(
            (".", "!", "?", '"', "”", ":", "।", "॥", "۔", "؟")  # with Devanagari/Urdu stops
        ):
            continue  # a teaser headline in the box
        in_box = False
        out.append(para)
    return out


def _is_doubled(paragraph: str) -> bool:
    """True for a teaser whose headline is printed twice in a row ("Title Title")."""
    words = paragraph.split()
    half = len(words) // 2
    return len(words) >= 6 and len(words) % 2 == 0 and words[:half] == words[half:]


def _cut_comment_form(paragraphs: list[str]) -> list[str]:
    for index, para in enumerate(paragraphs):
        if index >= max(1, len(paragraphs) // 3) and _COMMENT_FORM.match(para.strip()):
            return paragraphs[:index]
    return [p for p in paragraphs if not _COMMENT_FORM.match(p.strip())]


def is_meta_line(paragraph: str) -> bool:
    """True for a short date or byline line that sits above the text ("By A B", "12 March 2024")."""
    text = paragraph.strip()
    if len(text) > 80 or len(text.split()) > 8:
        return False
    if re.match(r"(?:by|written by|reported by)\s+\S", text, re.I):
        return True
    return any(ch.isdigit() for ch in normalize_digits(text)) and parse_date(text) is not None


_BIO_VERB = r"\s+(?:is|was|has|had|covers|covered|writes|wrote|reports|makes|joined|lives|spent)\b"


def _is_author_bio(paragraph: str, authors: list[str]) -> bool:
    """True for a note about the author: "Name is a reporter ...", "Name makes appearances ...",
    also under the same surname, or "A veteran journalist, First has covered ..." early on."""
    for name in authors:
        words = name.split()
        starts = [name]
        if len(words) >= 2:
            found = re.match(r"(?:[A-Z][\w'.-]*\s+){1,3}" + re.escape(words[-1]) + r"\b", paragraph)
            starts += [found.group(0)] if found else []
        for start in starts:
            if paragraph.startswith(start) and re.match(_BIO_VERB, paragraph[len(start):]):
                return True
        if len(words) >= 2 and re.match(
            r"[^.]{0,120},\s+" + re.escape(words[0]) + r"(?:\s+" + re.escape(words[-1]) + r")?"
            + _BIO_VERB, paragraph
        ):
            return True
    return False


def clean_paragraphs(paragraphs: list[str], title: str | None = None,
                     authors: list[str] | None = None, headings: tuple[str, ...] = ()
                     ) -> list[str]:
    """Drop chrome, a comment form, a closing author bio, a repeated title and meta lines on top."""
    kept = [p for p in _cut_teasers(_cut_comment_form(paragraphs))
            if not is_chrome(p) and not _is_doubled(p)]
    while kept and authors and _is_author_bio(kept[-1], authors):
        kept.pop()
    title_keys = {fold(t) for t in (title, *headings) if t}
    while kept and (is_meta_line(kept[0]) or fold(kept[0]) in title_keys
                    or (authors and _is_author_bio(kept[0], authors))):
        kept.pop(0)
    deduped: list[str] = []
    for para in kept:
        if deduped and deduped[-1] == para:
            continue
        deduped.append(para)
    return deduped


def join_paragraphs(paragraphs: list[str]) -> str:
    """Paragraphs separated by one blank line."""
    return "\n\n".join(paragraphs)
