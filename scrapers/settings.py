"""Scrapy settings for newsflow, alphabetical.  Per-source politeness is applied by the spider."""

import os

from scrapy.settings import default_settings as _defaults

# Identify the crawler honestly; override the contact URL with NEWSFLOW_USER_AGENT.
_DEFAULT_UA = "newsflow/0.1 (+https://github.com/newsflow/newsflow; news archive crawler)"

# Slow down when the server slows down; the spider turns it off for loopback demo sources.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
BOT_NAME = "newsflow"
# Items are staged by one synchronous pipeline: parallel item processing gains nothing, and
# Scrapy starts CONCURRENT_ITEMS asyncio tasks for every callback's output (100 by default, for
# one item per article page).
CONCURRENT_ITEMS = 1
# Politeness defaults (1 request at a time, 1 s); the spider overrides from the registry.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 1
COOKIES_ENABLED = False
DOWNLOAD_DELAY = 1.0
# Only http(s) is ever fetched: Scrapy's file, data, ftp and s3 handlers are switched off (the
# AddressGuardMiddleware refuses those schemes too, and counts them).
DOWNLOAD_HANDLERS = {"data": None, "file": None, "ftp": None, "s3": None}
# Bound download sizes: pages over 10 MB are refused and counted.
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
# Sitemaps have their own bound: the sitemap protocol allows 50 MB (uncompressed) per file.
NEWSFLOW_SITEMAP_MAXSIZE = 50 * 1024 * 1024
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
# Retry-After is honoured (up to RETRY_AFTER_MAX s); redirect loops/offsite hops and truncated
# gzip bodies are refused and counted instead of being dropped silently or parsed half.
DOWNLOADER_MIDDLEWARES = {
    "scrapers.middlewares.AddressGuardMiddleware": 50,
    "scrapers.middlewares.CrawlDelayMiddleware": 60,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "scrapers.middlewares.RetryAfterMiddleware": 550,
    "scrapers.middlewares.GzipIntegrityMiddleware": 595,
    "scrapers.middlewares.RedirectGuardMiddleware": 650,
}
EXTENSIONS = {
    "scrapers.extensions.StatsFileExtension": 500,
}
# Components that are off in this project are dropped from Scrapy's base lists, so a crawl does
# not even import them (Scrapy imports every listed class, None or not): the remote-control
# server (aiohttp), the telnet console (twisted.conch) and the cookies middleware (tldextract)
# cost ~0.6 s of CPU in every crawl process.  Setting TELNETCONSOLE_ENABLED etc. cannot bring
# them back.  Everything else in the base lists is kept as Scrapy ships it.  (Lower case: not a
# Scrapy setting.)
_never_loaded = frozenset(
    {
        "scrapy.downloadermiddlewares.cookies.CookiesMiddleware",  # COOKIES_ENABLED = False
        "scrapy.extensions.remote_control.RemoteControl",  # REMOTE_CONTROL_ENABLED = False
        "scrapy.extensions.telnet.TelnetConsole",  # TELNETCONSOLE_ENABLED = False
    }
)
DOWNLOADER_MIDDLEWARES_BASE = {
    k: v for k, v in _defaults.DOWNLOADER_MIDDLEWARES_BASE.items() if k not in _never_loaded
}
EXTENSIONS_BASE = {k: v for k, v in _defaults.EXTENSIONS_BASE.items() if k not in _never_loaded}
FEED_EXPORT_ENCODING = "utf-8"
ITEM_PIPELINES = {
    "scrapers.pipelines.StagePipeline": 300,
}
LOG_LEVEL = os.environ.get("NEWSFLOW_LOG_LEVEL", "INFO")
NEWSPIDER_MODULE = "scrapers.spiders"
# Where the spider stages items and writes its stats (the crawl runner sets both per run).
NEWSFLOW_STAGING_FILE = None
NEWSFLOW_STATS_FILE = None
# Scrapy 2.19 starts a remote-control HTTP server by default: keep it off.
REMOTE_CONTROL_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
RETRY_AFTER_MAX = 60.0
RETRY_ENABLED = True
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
RETRY_TIMES = 2
ROBOTSTXT_OBEY = True
SPIDER_MODULES = ["scrapers.spiders"]
# The telnet console is a remote shell: keep it off.
TELNETCONSOLE_ENABLED = False
USER_AGENT = os.environ.get("NEWSFLOW_USER_AGENT", _DEFAULT_UA)
# A development aid that costs every response an inspect.getsource + ast.parse of its callback
# (Scrapy's cache is keyed by the bound method, new for each request).
WARN_ON_GENERATOR_RETURN_VALUE = False
