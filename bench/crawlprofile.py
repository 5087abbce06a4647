"""Profile a ``scrapy crawl`` process and split its CPU into the stages of a crawl.

``profile_command`` runs a command under py-spy (a dev dependency: a sampling profiler in its
own process, which sees only running threads, so idle reactor waits are not counted) or, where
py-spy cannot attach, under pyinstrument.  Every sample's stack is put in one stage by
``classify``: the first of these that the stack passes through, outermost frame first:

- imports: module imports (start-up, and the extraction stack at the first article), and the
  language model load (py3langid's, at the first article): both once per process;
- record + staging: ``scrapers/records.py`` (building the item) and ``scrapers/pipelines.py``;
- WARC write: ``scrapers/warc.py`` (gzip, digests, the file);
- extraction, split into trafilatura (with justext/readability), language id (py3langid's
  classifier), HTML parse (``parse_tree``) and our own fields (the rest of
  ``scrapers/extract``);
- state: ``scrapers/state.py`` (and the lake reads it calls); discovery: ``scrapers/discovery``;
  stats file, our middlewares;
- spider callbacks: the rest of ``scrapers/spiders`` (filtering and queueing candidates);
- Scrapy/Twisted machinery: everything else (download, HTTP parsing, scheduler, engine,
  middlewares, signals, asyncio/Twisted).

``write_profile`` saves the breakdown and the heaviest stacks of each stage as text.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

Frame = tuple[str, str]  # (function, file)
_PYSPY_FRAME = re.compile(r"^(.*) \((.*?)(?::\d+)?\)$")

ONCE = ("imports", "language model load")
STAGES = (
    "imports",
    "language model load",
    "extraction: trafilatura",
    "extraction: our fields",
    "extraction: language id",
    "extraction: HTML parse",
    "WARC write",
    "record + staging",
    "state",
    "discovery",
    "stats file",
    "our middlewares",
    "spider callbacks",
    "Scrapy/Twisted machinery",
)
_PROJECT_STAGES = (
    ("scrapers/records.py", "record + staging"),
    ("scrapers/pipelines.py", "record + staging"),
    ("scrapers/warc.py", "WARC write"),
    ("scrapers/state.py", "state"),
    ("transforms/lake/", "state"),  # read_article_rows, under scrapers/state.py
    ("scrapers/discovery/", "discovery"),
    ("scrapers/extensions.py", "stats file"),
    ("scrapers/middlewares.py", "our middlewares"),
)


def classify(stack: Sequence[Frame]) -> str:
    """The stage of one sampled stack (outermost frame first)."""
    if any(func == "_find_and_load" for func, _ in stack):
        return "imports"
    for _func, path in stack:
        if "scrapers/extract/" in path:
            return _extraction_stage(stack)
        for marker, stage in _PROJECT_STAGES:
            if marker in path:
                return stage
    if any("scrapers/spiders/" in path for _, path in stack):
        return "spider callbacks"
    return "Scrapy/Twisted machinery"


def _extraction_stage(stack: Sequence[Frame]) -> str:
    if any(func == "_load_identifier" and "py3langid" in path for func, path in stack):
        return "language model load"
    for func, path in stack:
        if "py3langid" in path:
            return "extraction: language id"
        if "trafilatura/" in path or "justext/" in path:
            return "extraction: trafilatura"
        if func == "parse_tree":
            return "extraction: HTML parse"
    return "extraction: our fields"


@dataclass
class Profile:
    """Sampled stacks of one profiled process, with their weights in seconds."""

    tool: str
    seconds: float
    stacks: list[tuple[list[Frame], float]] = field(default_factory=list)

    def by_stage(self) -> Counter[str]:
        """Seconds per stage."""
        out: Counter[str] = Counter()
        for frames, weight in self.stacks:
            out[classify(frames)] += weight
        return out

    def top_stacks(self, stage: str, n: int = 8, depth: int = 4) -> list[tuple[str, float]]:
        """The heaviest innermost call chains of one stage."""
        out: Counter[str] = Counter()
        for frames, weight in self.stacks:
            if classify(frames) == stage:
                chain = " < ".join(f"{f}@{short_path(p)}" for f, p in reversed(frames[-depth:]))
                out[chain] += weight
        return out.most_common(n)


_PROJECT = str(Path(__file__).resolve().parents[1]) + "/"


def short_path(path: str) -> str:
    """A sampled frame's file without the site-packages or project-root prefix."""
    return path.split("site-packages/", 1)[-1].split(_PROJECT, 1)[-1]


def _pyspy() -> str | None:
    found = Path(sys.executable).with_name("py-spy")
    return str(found) if found.exists() else shutil.which("py-spy")


def profile_command(
    cmd: Sequence[str], raw_out: Path, *, cwd: Path, env: dict[str, str], rate: int = 200
) -> tuple[Profile, subprocess.CompletedProcess[str]]:
    """Run ``cmd`` (``python ...``) under py-spy, else pyinstrument; its profile and result."""
    spy = _pyspy()
    if spy is not None:
        start = time.perf_counter()
        done = subprocess.run(
            [
                spy,
                "record",
                "--nonblocking",
                "-r",
                str(rate),
                "-f",
                "raw",
                "-o",
                str(raw_out),
                "--",
                *cmd,
            ],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == 0 and raw_out.exists() and raw_out.stat().st_size:
            stacks = list(_read_pyspy(raw_out, rate))
            return Profile("py-spy", time.perf_counter() - start, stacks), done
    python, rest = cmd[0], list(cmd[1:])
    json_out = raw_out.with_suffix(".json")
    start = time.perf_counter()
    done = subprocess.run(
        [python, "-m", "pyinstrument", "-i", "0.005", "-r", "json", "-o", str(json_out), *rest],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    stacks = list(_read_pyinstrument(json_out)) if json_out.exists() else []
    return Profile("pyinstrument", time.perf_counter() - start, stacks), done


def _read_pyspy(path: Path, rate: int) -> Iterable[tuple[list[Frame], float]]:
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = []
        for part in stack.split(";"):
            match = _PYSPY_FRAME.match(part)
            frames.append((match.group(1), match.group(2)) if match else (part, ""))
        yield frames, int(count) / rate


def _read_pyinstrument(path: Path) -> Iterable[tuple[list[Frame], float]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    todo = [(data["root_frame"], [])]
    while todo:
        node, above = todo.pop()
        frames = [*above, (node.get("function") or "", node.get("file_path") or "")]
        children = node.get("children") or []
        own = node["time"] - sum(c["time"] for c in children)
        if own > 0:
            yield frames, own
        todo.extend((child, frames) for child in children)


def breakdown_lines(profile: Profile, pages: int) -> list[str]:
    """One line per stage: seconds, share, ms per page (imports: seconds once)."""
    stages = profile.by_stage()
    total = sum(stages.values()) or 1.0
    extraction = sum(v for k, v in stages.items() if k.startswith("extraction"))
    once = sum(stages.get(k, 0.0) for k in ONCE)
    lines = []
    for stage, seconds in sorted(stages.items(), key=lambda kv: -kv[1]):
        if not pages:
            per = ""
        elif stage in ONCE:
            per = f"{seconds:5.2f} s once"
        else:
            per = f"{seconds / pages * 1000:5.1f} ms/page"
        lines.append(f"    {stage:26s} {seconds:7.2f} s {seconds / total:6.1%}  {per}")
    rest = total - extraction
    if extraction:
        lines.append(
            f"    {'= extraction':26s} {extraction:7.2f} s {extraction / total:6.1%}; "
            f"everything else {rest:.2f} s = {rest / extraction:.0%} on top of extraction "
            f"({(rest - once) / extraction:.0%} without the one-time start-up)"
        )
    return lines


def write_profile(
    path: Path,
    title: str,
    profile: Profile,
    pages: int,
    cmd: Sequence[str],
    notes: Sequence[str] = (),
) -> None:
    """Save the stage breakdown and each stage's heaviest call chains as text."""
    total = sum(w for _, w in profile.stacks)
    lines = [
        title,
        "",
        f"tool: {profile.tool}; {total:.1f} s of samples; {pages} article pages",
        "command: " + " ".join(os.path.basename(c) if i == 0 else c for i, c in enumerate(cmd)),
        *notes,
        "",
        "stage breakdown (each sample's stack goes to the first stage it passes through; "
        "see bench/crawlprofile.py):",
        *breakdown_lines(profile, pages),
        "",
    ]
    for stage, seconds in profile.by_stage().most_common():
        lines.append(f"== {stage}: {seconds:.2f} s, heaviest call chains (innermost first)")
        for chain, weight in profile.top_stacks(stage, n=12):
            lines.append(f"  {weight:7.2f} s  {chain}")
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
