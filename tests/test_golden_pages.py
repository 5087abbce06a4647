"""Golden pages, one folder per outlet: each page extracted as production does, every field checked.

``tests/fixtures/<source_id>/`` holds ``<page>.html`` and ``<page>.expected.json``
(``{"url": ..., "expected": {<every Extracted.to_record() field>}, "known_bugs": {...}?}``).
The page is extracted with ``scrapers.extract.extract`` and that outlet's registry entry: the
folder's ``source.yaml`` if it has one (outlets in no registry, such as the example parser's),
else the entry of the real registry (``scrapers/sources.yaml``), else of the demo registry
(``data/demo_sites/sources.yaml``, served as ``GOLDEN_BASE``).  Demo pages are the demo
generator's output with ``{{BASE}}`` replaced by ``GOLDEN_BASE``; pages of real outlets are
written for the tests, with the outlet's markup and invented words.

To add a page: put ``<page>.html`` and a ``<page>.expected.json`` holding only ``url`` and an
empty ``expected`` in the outlet's folder, then rewrite the expected values with::

    NEWSFLOW_UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/test_golden_pages.py

and read the diff: an expected value must be what the page says.  Where the extractor is wrong,
write the correct value into ``expected`` by hand and name the field in ``known_bugs``
(``{"<field>": "<why>"}``): the page's other fields are still compared, the field itself is a
strict xfail (it fails loudly once the extractor is fixed), and the update keeps its value.
"""

from __future__ import annotations

import difflib
import inspect
import json
import os
import pkgutil
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

import scrapers.parsers
from scrapers.extract import extract
from scrapers.parsers import Parser
from scrapers.sources import Source, default_registry_path, parse_registry

FIXTURES = Path(__file__).parent / "fixtures"
DEMO_REGISTRY = Path(__file__).parents[1] / "data" / "demo_sites" / "sources.yaml"
GOLDEN_BASE = "http://127.0.0.1:8800"
UPDATE = os.environ.get("NEWSFLOW_UPDATE_GOLDEN") == "1"


@cache
def registry_sources() -> dict[str, Source]:
    """Every source of the real and the demo registry, by id (demo URLs on ``GOLDEN_BASE``)."""
    real = parse_registry(yaml.safe_load(default_registry_path().read_text("utf-8")), "real")
    demo_text = DEMO_REGISTRY.read_text("utf-8").replace("${NEWSFLOW_DEMO_BASE}", GOLDEN_BASE)
    demo = parse_registry(yaml.safe_load(demo_text), "demo")
    return {s.id: s for s in [*demo.sources, *real.sources]}


def source_of(folder: Path) -> Source:
    """The registry entry a golden folder's pages are extracted with."""
    own = folder / "source.yaml"
    if own.exists():
        return Source.model_validate(yaml.safe_load(own.read_text("utf-8")))
    return registry_sources()[folder.name]


def golden_folders() -> list[Path]:
    """Fixture folders that hold golden pages."""
    return sorted(p for p in FIXTURES.iterdir() if p.is_dir() and any(p.glob("*.expected.json")))


def golden_pages() -> list[Any]:
    """One pytest param per golden page: (page, expected file)."""
    params = []
    for folder in golden_folders():
        for expected in sorted(folder.glob("*.expected.json")):
            page = expected.with_name(expected.name.removesuffix(".expected.json") + ".html")
            params.append(pytest.param(page, expected, id=f"{folder.name}/{page.stem}"))
    return params


def known_bugs() -> list[Any]:
    """One strict-xfail pytest param per field a golden page records as extracted wrongly."""
    params = []
    for param in golden_pages():
        page, expected = param.values
        for name, reason in json.loads(expected.read_text("utf-8")).get("known_bugs", {}).items():
            params.append(pytest.param(page, expected, name, id=f"{param.id}:{name}",
                                       marks=pytest.mark.xfail(strict=True, reason=reason)))
    return params


def extract_page(page: Path, spec: dict[str, Any]) -> dict[str, Any]:
    """The page's record as production extracts it with its outlet's registry entry."""
    return extract(page.read_bytes(), spec["url"], source_of(page.parent)).to_record()


def describe_diff(expected: dict[str, Any], actual: dict[str, Any]) -> str:
    """A readable per-field diff: one block per field that differs."""
    blocks = []
    for name in sorted(set(expected) | set(actual)):
        want, got = expected.get(name, "<absent>"), actual.get(name, "<absent>")
        if want == got:
            continue
        if isinstance(want, str) and isinstance(got, str) and "\n" in want + got:
            lines = difflib.unified_diff(want.splitlines(), got.splitlines(), "expected",
                                         "extracted", lineterm="", n=1)
            blocks.append(f"{name}:\n  " + "\n  ".join(lines))
        else:
            blocks.append(f"{name}:\n  expected  {want!r}\n  extracted {got!r}")
    return "\n".join(blocks)


@pytest.mark.parametrize(("page", "expected_file"), golden_pages())
def test_golden_page(page: Path, expected_file: Path) -> None:
    """The page yields exactly the expected fields (known bugs aside, see test_known_bug)."""
    spec = json.loads(expected_file.read_text("utf-8"))
    record = extract_page(page, spec)
    bugs = spec.get("known_bugs", {})
    if UPDATE:
        spec["expected"] = {k: spec["expected"][k] if k in bugs else v for k, v in record.items()}
        expected_file.write_text(json.dumps(spec, ensure_ascii=False, indent=2) + "\n", "utf-8")
        return
    want = {k: v for k, v in spec["expected"].items() if k not in bugs}
    diff = describe_diff(want, {k: v for k, v in record.items() if k not in bugs})
    assert not diff, f"{page.relative_to(FIXTURES)} differs from its golden values:\n{diff}"


@pytest.mark.parametrize(("page", "expected_file", "name"), known_bugs())
def test_known_bug(page: Path, expected_file: Path, name: str) -> None:
    """A field the extractor gets wrong on this page: expected to fail until it is fixed."""
    spec = json.loads(expected_file.read_text("utf-8"))
    got = extract_page(page, spec).get(name)
    assert got == spec["expected"][name], describe_diff({name: spec["expected"][name]},
                                                         {name: got})


def parser_classes() -> set[str]:
    """Dotted names of every Parser subclass defined under ``scrapers/parsers``."""
    names = set()
    for info in pkgutil.walk_packages(scrapers.parsers.__path__, "scrapers.parsers."):
        module = __import__(info.name, fromlist=["_"])
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Parser) and cls is not Parser and cls.__module__ == info.name:
                names.add(f"{info.name}.{name}")
    return names


def test_every_parser_and_demo_outlet_has_golden_pages() -> None:
    """Registry sources with a parser or their own selectors, every demo outlet and every parser
    class have a golden page."""
    covered = {folder.name for folder in golden_folders()}
    demo = yaml.safe_load(DEMO_REGISTRY.read_text("utf-8"))["sources"]
    own_rules = {s.id for s in registry_sources().values() if s.parser or s.extraction}
    needed = own_rules | {s["id"] for s in demo}
    assert sorted(needed - covered) == [], "sources without golden pages"
    parsed_by = {source_of(folder).parser for folder in golden_folders()}
    assert sorted(parser_classes() - parsed_by) == [], "parsers without golden pages"


def test_describe_diff_names_the_field_and_both_values() -> None:
    """The failure message shows what was expected and what came out, field by field."""
    text = describe_diff({"title": "A", "body": "one\ntwo", "tags": []},
                         {"title": "B", "body": "one\nthree", "tags": []})
    assert "title:\n  expected  'A'\n  extracted 'B'" in text
    assert "-two" in text and "+three" in text
    assert "tags" not in text
