"""`scrapy crawl news -a source=… -a start=… -a end=…` works from the project root on its own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_bare_scrapy_crawl_stages_items_and_stats(demo_server, demo_registry, lake, tmp_path):
    cmd = [
        str(Path(sys.executable).with_name("scrapy")), "crawl", "news",
        "-a", "source=padma-herald",
        "-a", "start=2026-11-20T00:00:00+00:00", "-a", "end=2026-11-21T00:00:00+00:00",
    ]
    proc = subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    staged = tmp_path / "staging" / "date=2026-11-20"
    items = [json.loads(line) for line in (staged / "padma-herald.jsonl").read_text().splitlines()]
    stats = json.loads((staged / "padma-herald.stats.json").read_text())["stats"]
    assert len(items) == stats["newsflow/articles/staged"] > 0
    assert {i["source"] for i in items} == {"padma-herald"}
    assert stats["finish_reason"] == "finished"
