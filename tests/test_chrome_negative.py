"""No chrome rule drops an ordinary news sentence (tests/fixtures/negative_sentences.txt)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scrapers.extract.body import clean_paragraphs
from scrapers.extract.chrome import CHROME_RULES

CORPUS = Path(__file__).parent / "fixtures" / "negative_sentences.txt"


def _sentences() -> list[str]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


SENTENCES = _sentences()


def test_corpus_is_large_and_has_every_language() -> None:
    assert len(SENTENCES) >= 200
    scripts = {"DEVANAGARI": 0, "ARABIC": 0, "BENGALI": 0, "SINHALA": 0, "TAMIL": 0}
    import unicodedata

    for sentence in SENTENCES:
        letter = next(ch for ch in sentence if ch.isalpha())
        script = unicodedata.name(letter).split()[0]
        if script in scripts:
            scripts[script] += 1
    assert all(count >= 10 for count in scripts.values()), scripts


@pytest.mark.parametrize("name", sorted(CHROME_RULES))
def test_no_chrome_rule_drops_a_news_sentence(name: str) -> None:
    rule = CHROME_RULES[name]
    dropped = [s for s in SENTENCES if rule(s)]
    assert dropped == [], f"{name} drops {len(dropped)}: {dropped[:5]}"


def test_cleanup_keeps_the_whole_corpus() -> None:
    """Comment-form and teaser cuts, doubled lines, bios and meta lines keep every sentence."""
    assert clean_paragraphs(SENTENCES, "A headline that no sentence repeats", ["Sana Qureshi"]) == (
        SENTENCES)
