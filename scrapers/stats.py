"""Every ``newsflow/...`` crawl stats key, named once.

The spider, the middlewares, the WARC archive and the CC-NEWS stager write these keys into
Scrapy's stats; ``scrapers.tasks.crawl`` and ``scrapers.tasks.daily`` read them back.  A key that
is split further by kind, role or reason (``newsflow/documents/refused/too_large``) is built
with :func:`under` from the constant for its family.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PREFIX = "newsflow"

# discovery documents (feeds, sitemaps, listings, archives)
DOCUMENTS_REQUESTED = "newsflow/documents/requested"  # /<kind>
DOCUMENTS_REPEATED = "newsflow/documents/repeated"
DOCUMENTS_OVER_BUDGET = "newsflow/documents/over_budget"
DOCUMENTS_NOT_MODIFIED = "newsflow/documents/not_modified"
DOCUMENTS_NOT_MODIFIED_UNKNOWN = "newsflow/documents/not_modified_unknown"
DOCUMENTS_OK = "newsflow/documents/ok"  # and /<kind>
DOCUMENTS_REFUSED = "newsflow/documents/refused"  # /<reason>
DOCUMENTS_ERRORS = "newsflow/documents/errors"  # /<reason>
DOCUMENTS_RECOVERED = "newsflow/documents/recovered"  # and /<kind>
DOCUMENTS_SKIPPED = "newsflow/documents/skipped"  # /<reason>
DOCUMENTS_OFFSITE = "newsflow/documents/offsite"
DOCUMENTS_FAILED = "newsflow/documents/failed"  # and /<reason>
LISTINGS_PAGE_CAP_REACHED = "newsflow/listings/page_cap_reached"
LISTINGS_STOPPED_PAST_WINDOW = "newsflow/listings/stopped_past_window"

# article candidates and article pages
CANDIDATES_FOUND = "newsflow/candidates/found"
CANDIDATES_NOT_ARTICLE_URL = "newsflow/candidates/not_article_url"
CANDIDATES_OUTSIDE_WINDOW = "newsflow/candidates/outside_window"
CANDIDATES_BAD_URL = "newsflow/candidates/bad_url"
CANDIDATES_DUPLICATE = "newsflow/candidates/duplicate"
CANDIDATES_OVER_BUDGET = "newsflow/candidates/over_budget"
ARTICLES_KNOWN_SKIPPED = "newsflow/articles/known_skipped"
ARTICLES_KNOWN_OUTSIDE_WINDOW = "newsflow/articles/known_outside_window"
ARTICLES_REQUESTED = "newsflow/articles/requested"
ARTICLES_FETCHED = "newsflow/articles/fetched"
ARTICLES_NOT_ARTICLE = "newsflow/articles/not_article"  # and /<why>
ARTICLES_OUTSIDE_WINDOW = "newsflow/articles/outside_window"
ARTICLES_NO_DATE = "newsflow/articles/no_date"
ARTICLES_STAGED = "newsflow/articles/staged"
ARTICLES_DECODED_WITH_REPLACEMENT = "newsflow/articles/decoded_with_replacement"
ARTICLES_FAILED = "newsflow/articles/failed"  # and /<reason>
EXTRACT_CPU_US = "newsflow/extract/cpu_us"

# requests refused or failed, by the role of the request ("document" or "article")
FAILED = {"document": DOCUMENTS_FAILED, "article": ARTICLES_FAILED}
ROBOTS_REFUSED = "newsflow/robots_refused"  # /<role>
ROBOTS_REFUSED_DOCUMENT = "newsflow/robots_refused/document"
ROBOTS_REFUSED_ARTICLE = "newsflow/robots_refused/article"

# middlewares
REFUSED_SCHEME = "newsflow/refused/scheme"
REFUSED_PRIVATE_ADDRESS = "newsflow/refused/private_address"
RETRY_AFTER_RECEIVED = "newsflow/retry_after/received"
RETRY_AFTER_TOO_LONG = "newsflow/retry_after/too_long"
RETRY_AFTER_WAITED = "newsflow/retry_after/waited"
RETRY_AFTER_MAX_SECONDS = "newsflow/retry_after/max_seconds"
REDIRECTS_LOOP = "newsflow/redirects/loop"
REDIRECTS_SCHEME = "newsflow/redirects/scheme"
REDIRECTS_OFFSITE = "newsflow/redirects/offsite"
RESPONSES_TRUNCATED_GZIP = "newsflow/responses/truncated_gzip"
ROBOTS_CRAWL_DELAY = "newsflow/robots/crawl_delay"

# the raw WARC archive: records, bytes, deduplicated, failed
RAW = "newsflow/raw"  # /<counter>
RAW_RECORDS = "newsflow/raw/records"

# CC-NEWS staging
CCNEWS_FILES = "newsflow/ccnews/files"
CCNEWS_RECORDS_READ = "newsflow/ccnews/records_read"
CCNEWS_BYTES_STREAMED = "newsflow/ccnews/bytes_streamed"
CCNEWS_MATCHED = "newsflow/ccnews/matched"
CCNEWS_KEPT = "newsflow/ccnews/kept"
CCNEWS_NO_DATE = "newsflow/ccnews/no_date"
CCNEWS_NOT_OK_STATUS = "newsflow/ccnews/not_ok_status"
CCNEWS_NOT_HTML = "newsflow/ccnews/not_html"
CCNEWS_AMBIGUOUS = "newsflow/ccnews/ambiguous"
CCNEWS_LIVE_NEWER = "newsflow/ccnews/live_newer"


def under(family: str, part: str) -> str:
    """The key for one kind, role or reason within a family: ``under(DOCUMENTS_OK, "feed")``."""
    return f"{family}/{part}"


def failed(role: str) -> str:
    """The failure counter of a request role (``document`` or ``article``)."""
    return FAILED.get(role) or f"{PREFIX}/{role}s/failed"


def sum_under(stats: Mapping[str, Any], family: str) -> int:
    """The total of every key within ``family`` (``family/<part>``), the family key excluded."""
    prefix = family + "/"
    return sum(int(v or 0) for k, v in stats.items() if k.startswith(prefix))
