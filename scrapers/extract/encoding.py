"""Turn fetched bytes into text in the WHATWG order: BOM, HTTP charset, meta charset, detection.

Two deliberate departures from a browser, both for labels that lie:

* a legacy label (``iso-8859-1``, ``windows-1256``, ...) on bytes that are valid UTF-8 with
  non-ASCII text is ignored: mislabelled UTF-8 is common, while legacy text that happens to be
  valid UTF-8 is all but impossible;
* a UTF-8 label on bytes that are mostly not UTF-8 is ignored and the next step decides.

Detection is UTF-8 when the bytes are (mostly) UTF-8, else Windows-1252 (WHATWG's fallback).
``DecodedPage.replaced`` counts the characters that could not be decoded (now U+FFFD).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Labels the WHATWG encoding standard decodes as a superset of what they name.
_WHATWG_SUPERSETS = {
    **dict.fromkeys(("iso-8859-1", "latin1", "latin-1", "us-ascii", "ascii", "iso8859-1", "l1"),
                    "cp1252"),
    **dict.fromkeys(("iso-8859-9", "iso8859-9", "latin5", "l5"), "cp1254"),
    **dict.fromkeys(("tis-620", "iso-8859-11", "iso8859-11"), "cp874"),
    **dict.fromkeys(("gb2312", "gbk", "x-gbk"), "gb18030"),
    **dict.fromkeys(("euc-kr", "ks_c_5601-1987", "ks_c_5601-1989"), "cp949"),
    **dict.fromkeys(("shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji"), "cp932"),
}
FALLBACK = "cp1252"


@dataclass(frozen=True)
class DecodedPage:
    """A page's text, the codec that made it, which step chose it and what could not decode."""

    text: str
    encoding: str
    chosen_by: str  # bom | header | meta | detected
    replaced: int = 0  # characters that became U+FFFD


def charset_label(label: str | bytes | None) -> str | None:
    """The Python codec for a charset label (WHATWG supersets applied), or None if unknown."""
    if not label:
        return None
    text = label.decode("ascii", "ignore") if isinstance(label, bytes) else label
    text = text.strip().strip("\"'").lower()
    if text in _WHATWG_SUPERSETS:
        return _WHATWG_SUPERSETS[text]
    try:
        name = codecs.lookup(text).name
    except LookupError:
        return None
    return "utf-8" if name.startswith("utf-16") or name.startswith("utf-32") else name


def header_charset(content_type: str | bytes | None) -> str | None:
    """The codec named by an HTTP ``Content-Type`` header's charset parameter, or None."""
    if not content_type:
        return None
    text = content_type.decode("latin-1") if isinstance(content_type, bytes) else content_type
    match = _HEADER_CHARSET.search(text)
    return charset_label(match.group(1)) if match else None


def declared_charset(data: bytes) -> str | None:
    """The charset named by a meta tag in the first 4 KiB, if Python knows it."""
    match = _META_CHARSET.search(data[:4096])
    return charset_label(match.group(1)) if match else None


def _decode_counting(data: bytes, encoding: str) -> tuple[str, int]:
    """``data`` decoded (undecodable bytes as U+FFFD) and how many replacements were made."""
    try:
        return data.decode(encoding), 0
    except UnicodeDecodeError:
        text = data.decode(encoding, errors="replace")
        kept = data.decode(encoding, errors="ignore")
        return text, text.count("\ufffd") - kept.count("\ufffd")


def _utf8_verdict(data: bytes) -> tuple[str, int] | None:
    """The UTF-8 text of ``data`` if it is UTF-8 (more good non-ASCII characters than bad)."""
    text, replaced = _decode_counting(data, "utf-8")
    if not replaced:
        return text, 0
    good = sum(1 for ch in text if ch > "\x7f") - text.count("\ufffd")
    return (text, replaced) if good > replaced else None


def _declared(data: bytes, encoding: str, chosen_by: str) -> DecodedPage | None:
    """Decode by a declared charset, or None when the bytes show the declaration is wrong."""
    utf8 = _utf8_verdict(data)
    if encoding == "utf-8":
        return DecodedPage(utf8[0], "utf-8", chosen_by, utf8[1]) if utf8 else None
    if utf8 is not None and utf8[1] == 0 and not data.isascii():
        return DecodedPage(utf8[0], "utf-8", "detected")  # mislabelled UTF-8
    text, replaced = _decode_counting(data, encoding)
    return DecodedPage(text, encoding, chosen_by, replaced)


def decode_page(data: bytes | str, content_type: str | bytes | None = None) -> DecodedPage:
    """Decode page bytes: BOM, then the HTTP ``Content-Type`` charset, then meta, then detection.

    Strings pass through (a leading BOM removed).  Never raises.
    """
    if isinstance(data, str):
        return DecodedPage(data.lstrip("\ufeff"), "str", "str")
    for bom, name in _BOMS:
        if data.startswith(bom):
            text, replaced = _decode_counting(data[len(bom):], name)
            return DecodedPage(text, name, "bom", replaced)
    for encoding, chosen_by in ((header_charset(content_type), "header"),
                                (declared_charset(data), "meta")):
        if encoding:
            page = _declared(data, encoding, chosen_by)
            if page is not None:
                return page
    utf8 = _utf8_verdict(data)
    if utf8 is not None:
        return DecodedPage(utf8[0], "utf-8", "detected", utf8[1])
    text, replaced = _decode_counting(data, FALLBACK)
    return DecodedPage(text, FALLBACK, "detected", replaced)


def decode_html(data: bytes | str, content_type: str | bytes | None = None) -> str:
    """The text of :func:`decode_page`."""
    return decode_page(data, content_type).text


# Control characters other than tab, line feed, form feed and carriage return.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


def looks_binary(data: bytes | str) -> bool:
    """True for content that is plainly not HTML text (NUL bytes, mostly control chars)."""
    sample = data[:2048]
    if isinstance(sample, bytes):
        if b"\x00" in sample:
            return True
        sample = sample.decode("latin-1")
    if not sample:
        return False
    if "\x00" in sample:
        return True
    return len(_CONTROLS.findall(sample)) / len(sample) > 0.1
