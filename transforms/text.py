"""The one canonical form of a line of text in the lake, shared by the extractor and normalize."""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad]")  # keeps ZWJ/ZWNJ: Indic scripts need them
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    """NFC, no control or invisible characters, and all whitespace runs collapsed to one space."""
    text = unicodedata.normalize("NFC", value)
    # isprintable() is False for every control, format (invisible) and non-space whitespace
    # character, so text it passes needs neither substitution (it costs a fraction of one).
    if not text.isprintable():
        text = _CONTROL.sub(" ", _INVISIBLE.sub("", text))
    # str.split() and the re module's \s use the same definition of whitespace.
    return " ".join(text.split())
