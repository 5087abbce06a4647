"""Scrapy extensions: write the crawl's stats to a JSON file when the spider closes."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


class StatsFileExtension:
    """Dump ``crawler.stats`` (plus the spider's report lists) to ``NEWSFLOW_STATS_FILE``."""

    def __init__(self, crawler: Crawler, path: Path | None) -> None:
        self.crawler = crawler
        self.path = path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StatsFileExtension:
        path = crawler.settings.get("NEWSFLOW_STATS_FILE")
        ext = cls(crawler, Path(path) if path else None)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider: Any, reason: str) -> None:
        stats = dict(self.crawler.stats.get_stats())
        stats["finish_reason"] = reason
        report = getattr(spider, "report_lists", None)
        payload = {"stats": _jsonable(stats), "lists": _jsonable(report or {})}
        if self.path is None:  # a bare `scrapy crawl news ...`: the standard stage path
            from scrapers.tasks.crawl import stage_paths

            self.path = stage_paths(spider.window_start.date(), spider.source.id).stats
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        tmp.write_text(json.dumps(payload, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)
