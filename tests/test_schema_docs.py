"""docs/schema.md is generated from transforms/schema.py and must not be stale."""

from __future__ import annotations

from pathlib import Path

from transforms.docs import SCHEMA_DOC, is_stale, main, render_schema_doc
from transforms.schema import (
    ARTICLE_COLUMNS,
    QUARANTINE_COLUMNS,
    RUN_REPORT_COLUMNS,
    SCHEMA_VERSION,
)
from transforms.stories import SHINGLE_WORDS, STORY_THRESHOLD


def test_schema_doc_is_fresh() -> None:
    """The committed docs/schema.md equals the generated text (run `python -m transforms.docs`)."""
    assert not is_stale(), "docs/schema.md is stale: run `python -m transforms.docs`"
    assert main(["--check"]) == 0


def test_schema_doc_lists_every_column() -> None:
    """Every column of every table, the version and the partitioning are documented."""
    text = render_schema_doc()
    assert f"Schema version: **{SCHEMA_VERSION}**" in text
    assert "date=YYYY-MM-DD/source=<id>/part-0.parquet" in text
    for section in ("## `articles`", "## `quarantine`", "## `run_reports`"):
        assert section in text
    for column in [*ARTICLE_COLUMNS, *QUARANTINE_COLUMNS, *RUN_REPORT_COLUMNS]:
        assert f"| `{column.name}`" in text and column.doc.split(".")[0] in text


def test_story_id_doc_matches_the_code() -> None:
    """The story_id description states the threshold and shingle size the code uses."""
    doc = next(c.doc for c in ARTICLE_COLUMNS if c.name == "story_id")
    assert f">= {STORY_THRESHOLD}" in doc and f"{SHINGLE_WORDS}-word" in doc


def test_check_fails_when_stale(tmp_path: Path) -> None:
    """A changed file is reported stale."""
    stale = tmp_path / "schema.md"
    stale.write_text(SCHEMA_DOC.read_text() + "\nedited by hand\n")
    assert is_stale(stale)
    assert not is_stale(SCHEMA_DOC)


def test_columns_added_after_v1_are_marked_with_their_version() -> None:
    """Each article column added after v1 says since when it exists; Versions names v3."""
    from transforms.schema import ARTICLE_COLUMNS

    text = render_schema_doc()
    later = [c for c in ARTICLE_COLUMNS if c.since > 1]
    assert {c.name for c in later} >= {"story_id", "raw_ref", "published_precision",
                                       "alternate_urls"}
    for column in later:
        assert f"| `{column.name}` (since v{column.since}) |" in text
    assert "- v3: added `published_precision` (nullable). A date-only article's published_at " \
           "is its printed day at 00:00 UTC." in text
    assert "| `title` |" in text  # a v1 column carries no mark
