"""Import layers: ``transforms`` never imports ``scrapers``, and project modules import in no loop.

Both read the source with ``ast`` (nothing is imported): every ``import`` counts, at module
level, inside functions and under ``TYPE_CHECKING`` alike.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("scrapers", "transforms", "dags")


def module_name(path: Path) -> str:
    """The dotted name of a project file (``pkg/__init__.py`` is ``pkg``)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_files() -> dict[str, Path]:
    """Every Python file of the project's packages, by module name."""
    files = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "__pycache__" not in path.parts:
                files[module_name(path)] = path
    return files


def imported_names(path: Path, module: str) -> list[tuple[int, str]]:
    """(line, dotted name) of everything a file imports; ``from a import b`` gives ``a.b``."""
    is_package = path.name == "__init__.py"
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join(anchor + ([base] if base else []))
            names += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return names


def resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The project module a dotted name lives in (the longest known prefix), or None."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def import_graph(modules: dict[str, Path]) -> dict[str, dict[str, int]]:
    """For each module, the project modules it imports, each with the first line doing so."""
    graph: dict[str, dict[str, int]] = {}
    for module, path in modules.items():
        edges: dict[str, int] = {}
        for line, name in imported_names(path, module):
            target = resolve(name, modules)
            if target and target != module:
                edges.setdefault(target, line)
        graph[module] = edges
    return graph


def import_cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def describe_cycle(group: list[str], graph: dict[str, dict[str, int]],
                   modules: dict[str, Path]) -> str:
    """The imports that tie one group together, as ``file:line imports module`` lines."""
    lines = [f"import cycle among {', '.join(group)}:"]
    for module in group:
        rel = modules[module].relative_to(ROOT)
        for target, line in sorted(graph[module].items()):
            if target in group:
                lines.append(f"  {rel}:{line} imports {target}")
    return "\n".join(lines)


def layer_violations(modules: dict[str, Path], lower: str, upper: str) -> list[str]:
    """``file:line imports name`` for each import of package ``upper`` from package ``lower``."""
    found = []
    for module, path in modules.items():
        if module.split(".")[0] != lower:
            continue
        for line, name in imported_names(path, module):
            if name.split(".")[0] == upper and not name.endswith(".*"):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return sorted(set(found))


def test_cycle_finder_sees_a_loop_and_its_lines() -> None:
    """The walk finds a three-module loop, leaves a chain alone and names each tying import."""
    graph = {"a": {"b": 3}, "b": {"c": 5}, "c": {"a": 7, "d": 9}, "d": {}, "e": {"a": 1}}
    assert import_cycles(graph) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b": 1}, "b": {"c": 1}, "c": {}}) == []
    fake = {name: ROOT / f"{name}.py" for name in graph}
    text = describe_cycle(["a", "b", "c"], graph, fake)
    assert "c.py:7 imports a" in text and "imports d" not in text


def test_imports_are_read_from_the_source(tmp_path: Path) -> None:
    """Relative, lazy and TYPE_CHECKING imports all count, resolved to the module they name."""
    source = ("from typing import TYPE_CHECKING\n"
              "from . import sibling\n"
              "if TYPE_CHECKING:\n    from scrapers.sources import Source\n"
              "def f():\n    import scrapers.extract.dates\n")
    path = tmp_path / "mod.py"
    path.write_text(source, encoding="utf-8")
    names = {name for _, name in imported_names(path, "transforms.mod")}
    assert {"transforms.sibling", "scrapers.sources.Source", "scrapers.extract.dates"} <= names
    modules = {"scrapers.sources": path, "scrapers.extract": path}
    assert resolve("scrapers.sources.Source", modules) == "scrapers.sources"
    assert resolve("scrapers.extract.dates", modules) == "scrapers.extract"
    assert resolve("pandas.DataFrame", modules) is None


def test_the_project_graph_is_read() -> None:
    """The walk sees the project: the DAG imports its task code (so an empty graph fails here)."""
    modules = project_files()
    graph = import_graph(modules)
    assert len(modules) > 50
    assert "transforms.lake" in {t for edges in graph.values() for t in edges}


def test_transforms_never_imports_scrapers() -> None:
    """``scrapers`` may use ``transforms``; the other way round is a layer violation."""
    violations = layer_violations(project_files(), "transforms", "scrapers")
    assert not violations, "transforms/ must not import scrapers:\n" + "\n".join(violations)


@pytest.mark.parametrize("lower,upper", [("scrapers", "dags"), ("transforms", "dags")])
def test_nothing_imports_the_dags(lower: str, upper: str) -> None:
    """The DAG files sit on top: task code never imports them."""
    violations = layer_violations(project_files(), lower, upper)
    assert not violations, f"{lower}/ must not import {upper}:\n" + "\n".join(violations)


def test_no_import_cycles() -> None:
    """No group of project modules imports each other in a loop, lazily or not."""
    modules = project_files()
    graph = import_graph(modules)
    cycles = import_cycles(graph)
    assert not cycles, "\n".join(describe_cycle(group, graph, modules) for group in cycles)
