"""Language of the body text, with the page's own ``lang`` attribute as a hint."""

from __future__ import annotations

import re
import threading

# Characters of the body the identifier reads.  Its cost grows with the text (1.7 ms a page at
# 3000 characters, 0.9 ms at 1000) while its answer settles early: on the 148 bodies of
# bodies-dev and fields-dev, 500, 1000 and 3000 characters give the same language every time.
SAMPLE_CHARS = 1000

# Languages that share a script and that the identifier often confuses with each other.
_SCRIPT_SIBLINGS = ({"hi", "ne", "mr", "sa"}, {"ur", "ar", "fa", "ps"}, {"bn", "as"})


_preloading: threading.Thread | None = None


def preload_identifier() -> None:
    """Start loading the language model in a thread (about 0.5 s of LZMA decompression, which
    runs without the GIL), so a crawl loads it while Scrapy starts and fetches feeds."""
    global _preloading
    if _preloading is None:
        import py3langid

        _preloading = threading.Thread(target=py3langid.classify, args=("preload",),
                                       name="newsflow-langid-preload", daemon=True)
        _preloading.start()


def page_language(lang_attr: str | None) -> str | None:
    """The primary subtag of an html ``lang`` value ('en-GB' -> 'en')."""
    if not lang_attr:
        return None
    match = re.match(r"\s*([A-Za-z]{2,3})\b", lang_attr)
    return match.group(1).lower() if match else None


def detect_language(text: str | None, hint: str | None = None) -> str | None:
    """ISO 639-1 code of ``text``; the hint wins for short texts and same-script confusions."""
    if not text or len(text.strip()) < 40:
        return hint
    import py3langid

    if _preloading is not None:
        _preloading.join()  # one load, not a second one beside the thread's
    detected, _score = py3langid.classify(text[:SAMPLE_CHARS])
    if hint and hint != detected:
        for siblings in _SCRIPT_SIBLINGS:
            if hint in siblings and detected in siblings:
                return hint
    return detected
