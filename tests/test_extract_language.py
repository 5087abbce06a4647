"""Language id reads a bounded sample of the body."""

from __future__ import annotations

_ENGLISH = ("The council met on Tuesday evening to discuss the new budget for the city's schools "
            "and roads, and most members agreed that the plan needs more work before a vote. ")
_GERMAN = ("Der Stadtrat hat am Dienstagabend über den neuen Haushalt für die Schulen und Straßen "
           "der Stadt beraten, und die meisten Mitglieder waren sich einig, dass der Plan vor "
           "einer Abstimmung noch überarbeitet werden muss. ")


def test_language_comes_from_the_start_of_the_body() -> None:
    from scrapers.extract.language import SAMPLE_CHARS, detect_language

    english = (_ENGLISH * (SAMPLE_CHARS // len(_ENGLISH) + 1))[:SAMPLE_CHARS]
    german = _GERMAN * 40
    assert detect_language(german) == "de"
    assert detect_language(english + german) == "en"


def test_hint_wins_only_for_short_text() -> None:
    from scrapers.extract.language import detect_language

    assert detect_language("Short text.", "fr") == "fr"
    assert detect_language(_GERMAN * 3, "en") == "de"


def test_preloading_the_model_starts_one_thread_and_gives_the_same_answers() -> None:
    """The spider starts the model loading in a thread; detection waits for that one load."""
    from scrapers.extract import language

    text = "The provincial cabinet approved the flood relief budget on Tuesday after a long debate."
    language.preload_identifier()
    first = language._preloading
    language.preload_identifier()
    assert first is not None and language._preloading is first
    assert language.detect_language(text) == "en"
    assert not first.is_alive()
