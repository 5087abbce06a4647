"""URL canonicalisation and the stable article id derived from the canonical URL."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url as w3lib_canonicalize_url
from w3lib.url import url_query_cleaner

TRACKING_PARAMS: frozenset[str] = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "twclid", "igshid", "mc_cid",
    "mc_eid", "ref", "ref_src", "ref_url", "referrer", "cmpid", "cmp", "icid", "ocid", "ncid",
    "sr_share", "share", "s_cid", "spm", "ito", "_ga", "_gl", "__twitter_impression",
    "amp", "outputtype", "usqp", "at_medium", "at_campaign",
    "pk_campaign", "pk_kwd", "pk_source", "pk_medium", "mkt_tok", "vero_id", "wt.mc_id",
})
TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "hsa_", "_hsenc", "_hsmi", "pk_", "mtm_")
_AMP_SUFFIX = re.compile(r"(?:/amp|\.amp)$", re.IGNORECASE)
_AMP_HTML = re.compile(r"\.amp\.html?$", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_param(name: str) -> bool:
    """True if a query parameter name only tracks the visitor (utm_*, fbclid, ...)."""
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


@lru_cache(maxsize=1)
def _extractor() -> Any:
    """A tldextract instance that only uses its bundled public-suffix snapshot (no network)."""
    try:
        import tldextract
    except ImportError:  # pragma: no cover - tldextract ships with trafilatura/courlan
        return None
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@lru_cache(maxsize=4096)
def registered_site(host: str) -> str:
    """The registrable domain of a host (``news.dawn.com`` -> ``dawn.com``); IPs stay as is."""
    host = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    extractor = _extractor()
    if extractor is not None:
        parts = extractor(host)
        # tldextract 5.3 renamed registered_domain; reading the old name warns.
        new_name = hasattr(parts, "top_domain_under_public_suffix")
        site = parts.top_domain_under_public_suffix if new_name else parts.registered_domain
        if site:
            return site
    labels = host.split(".")
    return ".".join(labels[-2:]) if len(labels) >= 2 else host


def same_site(url_a: str, url_b: str) -> bool:
    """True if both URLs are on the same registered site."""
    host_a, host_b = urlsplit(url_a).hostname, urlsplit(url_b).hostname
    return bool(host_a and host_b) and registered_site(host_a) == registered_site(host_b)


def _check_absolute(url: object) -> str:
    """Return the stripped URL if it is an absolute http(s) URL with a host, else raise."""
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"not a URL: {url!r}")
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    return text


def _clean_host(parts_hostname: str, port: int | None, scheme: str) -> str:
    """Lowercase host without ``www.``/``amp.`` and without the scheme's default port."""
    host = parts_hostname.lower().rstrip(".")
    for prefix in ("www.", "amp."):
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix):]
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return host


def _clean_path(path: str) -> str:
    """Path without AMP markers and without a trailing slash (the root stays ``/``)."""
    segments = [s for s in path.split("/") if s.lower() != "amp"]
    path = "/".join(segments)
    path = _AMP_HTML.sub(".html", path)
    path = _AMP_SUFFIX.sub("", path)
    path = re.sub(r"/{2,}", "/", path).rstrip("/")
    return path or "/"


def clean_url(url: str) -> str:
    """Canonicalise one absolute URL: no tracking params, fragment, www, AMP or trailing slash."""
    text = w3lib_canonicalize_url(_check_absolute(url))
    query = urlsplit(text).query
    tracking = sorted({k for k, _ in parse_qsl(query, keep_blank_values=True)
                       if is_tracking_param(k)})
    if tracking:
        text = url_query_cleaner(text, tracking, remove=True, unique=False)
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    host = _clean_host(parts.hostname or "", parts.port, scheme)
    return urlunsplit((scheme, host, _clean_path(parts.path), parts.query, ""))


def canonicalize_url(url: str, canonical: str | None = None) -> str:
    """Canonical form of ``url``, preferring ``canonical`` (rel=canonical) when it is on-site."""
    fetched = _check_absolute(url)
    if isinstance(canonical, str) and canonical.strip():
        try:
            candidate = _check_absolute(urljoin(fetched, canonical.strip()))
        except ValueError:
            candidate = None
        if candidate and same_site(candidate, fetched):
            return clean_url(candidate)
    return clean_url(fetched)


def article_id_for(canonical_url: str) -> str:
    """Stable article id: first 16 bytes of SHA-256 of the canonical URL, as 32 hex chars."""
    return hashlib.sha256(canonical_url.encode("utf-8")).digest()[:16].hex()
