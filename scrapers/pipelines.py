"""Item pipelines, one job each: stage items as JSONL outside the lake."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class StagePipeline:
    """Append each item as one JSON line to ``NEWSFLOW_STAGING_FILE``, renamed into place at close.

    The file appears only when the crawl closes, so a crash never leaves a half-written stage
    that the write task could mistake for a complete one.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = path.with_suffix(path.suffix + ".partial")
        self.handle: IO[str] | None = None
        self.count = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StagePipeline:
        path = crawler.settings.get("NEWSFLOW_STAGING_FILE")
        if not path:
            raise NotConfigured("NEWSFLOW_STAGING_FILE not set")
        return cls(Path(path))

    def open_spider(self, spider: Spider | None = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = self.tmp.open("w", encoding="utf-8")

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        assert self.handle is not None
        self.handle.write(json.dumps(dict(item), ensure_ascii=False, sort_keys=True) + "\n")
        self.count += 1
        return item

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.handle is None:
            return
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        os.replace(self.tmp, self.path)
