"""Item pipelines, one job each: stage items as JSONL outside the lake."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any

from scrapy import Spider
from scrapy.crawler import Crawler


class StagePipeline:
    """Append each item as one JSON line to ``NEWSFLOW_STAGING_FILE``, renamed into place at close.

    The file appears only when the crawl closes, so a crash never leaves a half-written stage
    that the write task could mistake for a complete one.  Without the setting (a bare
    ``scrapy crawl news ...``) it is the standard stage path of the spider's day and source.
    """

    def __init__(self, crawler: Crawler, path: Path | None) -> None:
        self.crawler = crawler
        self.path = path
        self.handle: IO[str] | None = None
        self.count = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StagePipeline:
        path = crawler.settings.get("NEWSFLOW_STAGING_FILE")
        return cls(crawler, Path(path) if path else None)

    @property
    def tmp(self) -> Path:
        assert self.path is not None
        return self.path.with_suffix(self.path.suffix + ".partial")

    def open_spider(self, spider: Spider | None = None) -> None:
        if self.path is None:
            from scrapers.tasks.crawl import stage_paths

            spider = spider or self.crawler.spider
            self.path = stage_paths(spider.window_start.date(), spider.source.id).items
            spider.logger.info("staging items to %s", self.path)
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
