"""Turn fetched bytes into text: BOM, HTTP-equiv / meta charset, then UTF-8, then Windows-1252."""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Labels that browsers treat as Windows-1252 (WHATWG encoding standard).
_LATIN1_ALIASES = {"iso-8859-1", "latin1", "latin-1", "us-ascii", "ascii", "iso8859-1", "l1"}


def declared_charset(data: bytes) -> str | None:
    """The charset named by a meta tag in the first 4 KiB, if Python knows it."""
    match = _META_CHARSET.search(data[:4096])
    if not match:
        return None
    label = match.group(1).decode("ascii", "ignore").lower()
    if label in _LATIN1_ALIASES:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_html(data: bytes | str) -> str:
    """Decode page bytes without mojibake; strings pass through unchanged."""
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(name, errors="replace")
    declared = declared_charset(data)
    if declared and declared != "utf-8":
        try:
            # A page declaring a legacy charset but actually sent as UTF-8 is common.
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode(declared, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        if declared == "utf-8":
            return data.decode("utf-8", errors="replace")
        return data.decode("cp1252", errors="replace")


def looks_binary(data: bytes | str) -> bool:
    """True for content that is plainly not HTML text (NUL bytes, mostly control chars)."""
    sample = data[:2048]
    if isinstance(sample, bytes):
        if b"\x00" in sample:
            return True
        sample = sample.decode("latin-1")
    if not sample:
        return False
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t\f")
    return controls / len(sample) > 0.1
