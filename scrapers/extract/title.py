"""Headline choice and site-name suffix removal."""

from __future__ import annotations

import re
from collections.abc import Iterable

from scrapers.extract.authors import fold

_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|::|»|·|•|/)\s+|\s*\|\s*")


def strip_site_suffix(title: str, site_names: Iterable[str]) -> str:
    """Remove ' | Site', ' - Site' (and the same as a prefix) when it names the site."""
    title = " ".join(title.split())
    sites = {fold(s) for s in site_names if s}
    sites |= {s.removeprefix("the ") for s in sites}
    parts = _SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    while len(parts) > 1 and (fold(parts[-1]) in sites or _looks_like_domain(parts[-1])):
        title = title[: title.rfind(parts[-1])].rstrip(" |-–—:»·•/")
        parts = parts[:-1]
    while len(parts) > 1 and fold(parts[0]) in sites:
        title = title[len(parts[0]):].lstrip(" |-–—:»·•/")
        parts = parts[1:]
    return title.strip()


def _looks_like_domain(text: str) -> bool:
    return bool(re.fullmatch(r"(?:www\.)?[\w-]+(?:\.[a-z]{2,})+", text.strip().lower()))


def site_names_from_host(host: str) -> list[str]:
    """Name guesses from a host: 'www.daily-news.com.pk' -> ['daily-news', 'daily news', ...]."""
    host = host.lower().removeprefix("www.")
    label = host.split(".")[0] if host else ""
    return [host, label, label.replace("-", " ")] if label else []


def strip_by_separator_match(title: str, reference: str | None) -> str:
    """If ``reference`` (e.g. the h1) is one separator-part of ``title``, return that part."""
    if not reference:
        return title
    key = fold(reference)
    if fold(title) == key:
        return title
    for part in _SEPARATORS.split(title):
        if fold(part) == key:
            return part.strip()
    return title
