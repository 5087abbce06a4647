"""Datelines ("ISLAMABAD - ", "NEW DELHI:", "Dhaka, Nov 20 (SAW) –") split off paragraph one.

Rule: ``dateline`` is the place only (no day, no agency code), upper-cased so that "Kathmandu, Nov
21 (SAW):" and "KATHMANDU (SAW) -" give the same "KATHMANDU"; scripts without case are kept as
printed.  The rest of the paragraph starts at its first word (no leftover dash or colon).
"""

from __future__ import annotations

import re

_SEP = r"\s*(?:[:\-–—]{1,2})\s*"
_AGENCY = r"(?:\s*\((?:[A-Z][A-Za-z.]{1,9})(?:/[A-Z][A-Za-z.]{1,9})?\))?"
_DAY = r"(?:,?\s*(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2}|\d{1,2}\s+[A-Z][a-z]{2,8}\.?)(?:,\s*\d{4})?)"
_CAPS_PLACE = r"[A-Z][A-Z.'\-]+(?:\s+[A-Z][A-Z.'\-]+){0,3}(?:,\s*[A-Z][A-Za-z.]+){0,1}"
_MIXED_PLACE = r"[A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2}"
_PATTERNS = (
    re.compile(rf"^(?P<place>{_CAPS_PLACE}){_DAY}?{_AGENCY}{_SEP}(?=\S)"),
    re.compile(rf"^(?P<place>{_MIXED_PLACE}){_DAY}{_AGENCY}{_SEP}(?=\S)"),
    re.compile(rf"^(?P<place>{_MIXED_PLACE})\s*\([A-Z][A-Za-z.]{{1,9}}\){_SEP}(?=\S)"),
    # Non-Latin scripts: one or two words then a colon ("नई दिल्ली:", "ঢাকা:", "اسلام آباد:").
    re.compile(r"^(?P<place>[^\sA-Za-z0-9:।,.!?;()\"'\-]+(?:\s[^\sA-Za-z0-9:।,.!?;()\"'\-]+)?)\s*[:।]\s+(?=\S)"),
)


def split_dateline(paragraph: str) -> tuple[str | None, str]:
    """(place, rest) when the paragraph opens with a dateline, else (None, paragraph)."""
    for pattern in _PATTERNS:
        match = pattern.match(paragraph)
        if not match:
            continue
        place = match.group("place").strip(" ,")
        rest = paragraph[match.end():].lstrip(" :-–—")
        if len(rest.split()) < 4 or len(place) < 3:
            continue
        if place.isupper() or pattern is not _PATTERNS[0]:
            return place.upper(), rest
    return None, paragraph
