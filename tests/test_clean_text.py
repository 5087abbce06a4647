"""``clean_text`` skips rebuilding text whose spaces are already single: it must equal the plain
definition (NFC, invisible characters out, control characters to spaces, whitespace runs to one
space, stripped) on any text."""

from __future__ import annotations

import random
import re
import unicodedata

import pytest

from transforms.text import _CONTROL, _INVISIBLE, clean_text

# Spaces of every kind the web uses, invisible and control characters, combining marks that NFC
# composes, and letters of the scripts the outlets print.
ALPHABET = [" ", "  ", "\t", "\n", "\r", "\x0b", "\x0c", "\xa0", "\u2009", "\u3000", "\u2028",
            "\u200b", "\u2060", "\ufeff", "\u00ad", "\u200c", "\u200d", "\x00", "\x07", "\x1f",
            "\x7f", "e\u0301", "\u0915\u093c", "a", "Z", "7", ".", "\u0628", "\u09a6", "\u0dc1"]


def reference(value: str) -> str:
    """clean_text as it reads without the fast path, over the module's own character sets."""
    text = _CONTROL.sub(" ", _INVISIBLE.sub("", unicodedata.normalize("NFC", value)))
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("seed", range(20))
def test_clean_text_equals_its_definition_on_random_text(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(500):
        value = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 40)))
        assert clean_text(value) == reference(value), repr(value)


@pytest.mark.parametrize("value, expected", [
    ("One line with single spaces.", "One line with single spaces."),
    (" padded ", "padded"),
    ("two  spaces", "two spaces"),
    ("a\u00a0non-breaking\u2009thin", "a non-breaking thin"),
    ("soft\u00adhy\u200bphen", "softhyphen"),
    ("bell\x07inside", "bell inside"),
    ("\u0915\u094d\u200d\u0937", "\u0915\u094d\u200d\u0937"),
])
def test_clean_text_examples(value: str, expected: str) -> None:
    assert clean_text(value) == expected


def test_the_fast_path_rests_on_two_facts_of_unicode() -> None:
    """isprintable() is False for every character the subs change and every whitespace but the
    space, and str.split() splits on exactly the characters that re's \\s matches."""
    every = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    changed = [c for c in every if c != " " and (_INVISIBLE.match(c) or _CONTROL.match(c)
                                                  or re.match(r"\s", c))]
    assert len(changed) > 30
    assert [c for c in changed if c.isprintable()] == []
    assert [c for c in every if bool(re.match(r"\s", c)) != (len(f"a{c}a".split()) == 2)] == []
