"""A crawl process starts light: no pandas, no extraction stack until an article arrives.

Every crawl is its own ``scrapy crawl`` process, so what it imports before its first request is
paid per source per run; on an unchanged site it is most of the run (bench/incremental.py).
``transforms.lake`` imports ``pyarrow.dataset`` (which pulls in pandas) only where a function
needs it, so the crawl's incremental-state read costs no pandas import.  The one deliberate
exception comes later: the spider, once constructed, starts loading the language model
(py3langid) in a thread, so that it overlaps the crawl's start (``preload_identifier``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# What `scrapy crawl news` loads before its first response: the command line, the project's
# settings and every component they name, the spider, and the incremental state read.
STARTUP = """
import json, sys
from datetime import date
from scrapy.crawler import Crawler
from scrapy.utils.misc import load_object
from scrapy.utils.project import get_project_settings
import scrapy.cmdline
import scrapers.spiders.news
settings = get_project_settings()
for name in ("DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "EXTENSIONS", "ITEM_PIPELINES"):
    for path in settings.getwithbase(name):
        load_object(path)
from scrapers.state import known_articles
from datetime import datetime, timezone
known_articles(sys.argv[1], "dawn", datetime(2026, 11, 20, tzinfo=timezone.utc),
               datetime(2026, 11, 21, tzinfo=timezone.utc))
print(json.dumps(sorted(m for m in sys.modules
                        if m.split(".")[0] in ("pandas", "trafilatura", "aiohttp", "tldextract",
                                               "py3langid", "extruct", "htmldate")
                        or m == "pyarrow.dataset")))
"""


def test_crawl_start_up_imports_no_pandas_no_extraction_stack(tmp_path: Path) -> None:
    from tests.test_lake import batch
    from transforms.lake import merge_articles

    merge_articles(batch(range(3)), tmp_path)  # known_articles reads real partitions
    done = subprocess.run(
        [sys.executable, "-c", STARTUP, str(tmp_path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={
            "PYTHONPATH": str(PROJECT_ROOT),
            "SCRAPY_SETTINGS_MODULE": "scrapers.settings",
            "PATH": "/usr/bin:/bin",
        },
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_remote_shell_components_are_not_even_listed() -> None:
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("scrapers.settings", priority="project")
    extensions = settings.getwithbase("EXTENSIONS")
    assert "scrapy.extensions.telnet.TelnetConsole" not in extensions
    assert "scrapy.extensions.remote_control.RemoteControl" not in extensions
    assert "scrapy.extensions.corestats.CoreStats" in extensions  # the rest is Scrapy's own
    middlewares = settings.getwithbase("DOWNLOADER_MIDDLEWARES")
    assert "scrapy.downloadermiddlewares.cookies.CookiesMiddleware" not in middlewares
    assert "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware" in middlewares


def test_read_article_rows_matches_read_arrow(tmp_path: Path) -> None:
    from tests.test_lake import batch
    from transforms.lake import ARTICLES, merge_articles, read_arrow, read_article_rows

    merge_articles(batch(range(4)), tmp_path)
    merge_articles(
        batch(
            range(10, 12),
            published_at="2026-11-22T01:00:00+05:00",
            modified_at="2026-11-22T02:00:00+05:00",
        ),
        tmp_path,
    )
    merge_articles(batch(range(20, 22), source="other"), tmp_path)
    columns = ["url", "canonical_url", "modified_at", "crawled_at"]
    days = [date(2026, 11, d) for d in range(18, 25)]
    table, _ = read_arrow(ARTICLES, tmp_path, dates=days, sources=["dawn"], columns=columns)
    expected = sorted(table.to_pylist(), key=lambda r: r["url"])
    got = sorted(
        read_article_rows(tmp_path, days, "dawn", columns), key=lambda r: r["url"]
    )
    assert len(got) == 6
    assert got == expected  # aware datetimes compare by instant, whatever their tzinfo
    assert all(r["crawled_at"].tzinfo is not None for r in got)
    assert read_article_rows(tmp_path, days, "absent", columns) == []
