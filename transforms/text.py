"""The one canonical form of a line of text in the lake, shared by the extractor and normalize."""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad]")  # keeps ZWJ/ZWNJ: Indic scripts need them
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


def clean_text(value: str) -> str:
    """NFC, no control or invisible characters, and all whitespace runs collapsed to one space."""
    text = unicodedata.normalize("NFC", value)
    text = _CONTROL.sub(" ", _INVISIBLE.sub("", text))
    return _SPACES.sub(" ", text).strip()
