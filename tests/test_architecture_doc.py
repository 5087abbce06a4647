"""docs/architecture.md names only paths that exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
_PATH_LIKE = re.compile(r"^[\w.-]+(/[\w.<>*-]*)+$|^[\w-]+\.(py|md|yaml|toml|json|opml)$")


def named_paths(text: str) -> list[str]:
    """Backticked words that are repository paths; a placeholder such as ``<source_id>`` ends
    the part that must exist."""
    paths = []
    for word in re.findall(r"`([^`\s]+)`", text):
        if not _PATH_LIKE.match(word):
            continue
        fixed = word.split("<", 1)[0]
        if "/" in fixed or fixed.endswith((".py", ".md", ".yaml")):
            paths.append(fixed)
    return paths


def test_named_paths_are_found() -> None:
    """The helper sees paths and leaves code names, commands and placeholders alone."""
    text = ("`scrapers/sources.py` `Extracted` `make docs` `tests/fixtures/<source_id>/` "
            "`<lake>/raw` `NEW_IN_V*`")
    assert named_paths(text) == ["scrapers/sources.py", "tests/fixtures/"]


def test_every_backticked_path_exists() -> None:
    """Each path the architecture page names is in the repository."""
    paths = named_paths(DOC.read_text(encoding="utf-8"))
    assert len(paths) > 40
    missing = sorted({p for p in paths if not (ROOT / p).exists()})
    assert not missing, missing
