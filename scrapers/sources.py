"""The source registry: a pydantic model of every outlet we crawl, and its loader.

A registry is a YAML file::

    version: 1
    allow_private_addresses: false   # true only for demo/test registries served on loopback
    sources:
      - id: dawn
        name: Dawn
        ...

String values may use ``${VAR}`` placeholders, expanded from the environment at load time
(the demo registry uses ``${NEWSFLOW_DEMO_BASE}``).  Every error names the file and the entry.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from transforms.source_ids import SOURCE_ID_PATTERN
from transforms.thresholds import Quality

_ENV_PATTERN = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")
_ALLOWED_SCHEMES = ("http", "https")


class RegistryError(ValueError):
    """A registry file could not be loaded; the message names the file and the entry."""


def check_http_url(value: str) -> str:
    """Return ``value`` if it is an absolute http(s) URL with a host, else raise ValueError."""
    parts = urlsplit(value)
    if parts.scheme not in _ALLOWED_SCHEMES:
        scheme = parts.scheme or "no scheme"
        raise ValueError(f"URL {value!r} must use http or https, not {scheme!r}")
    if not parts.hostname:
        raise ValueError(f"URL {value!r} has no host")
    return value


def normalize_host(host: str) -> str:
    """A host as ``allowed_domains`` spell it: lower case, no trailing dot, IDNA ``xn--`` form.

    Returns "" for a host that has no IDNA form (an empty or over-long label).
    """
    host = host.strip().lower().rstrip(".")
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return ""


def on_domains(url: str, domains: Iterable[str]) -> bool:
    """True if the host of ``url`` is one of ``domains`` or a subdomain of one.

    The port is ignored; case, a trailing dot and Unicode (IDNA) spellings are normalised on
    both sides.  ``www.`` is an ordinary label: ``example.com`` covers ``www.example.com``,
    ``www.example.com`` does not cover ``example.com``.  A URL that does not parse is not on
    any domain.
    """
    try:
        host = normalize_host(urlsplit(url).hostname or "")
    except ValueError:
        return False
    if not host:
        return False
    for domain in domains:
        domain = normalize_host(domain)
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Politeness(_Strict):
    """Per-domain crawl limits; sources on one domain share them."""

    download_delay: float = Field(1.0, ge=0)
    concurrency: int = Field(1, ge=1, le=16)
    autothrottle: bool = True
    obey_robots: bool = True


class Listing(_Strict):
    """A section or listing page, followed through its pagination up to ``max_pages``."""

    url: str
    max_pages: int = Field(5, ge=1, le=100)

    _check = field_validator("url")(check_http_url)


class Archive(_Strict):
    """A date-addressed archive: ``url_template`` is formatted with ``date=<day>``.

    ``kind`` says what the page is: an HTML ``listing`` or an XML ``sitemap``.
    Example: ``https://example.com/archive/{date:%Y-%m-%d}``.
    """

    url_template: str
    kind: Literal["listing", "sitemap"] = "listing"
    max_pages: int = Field(5, ge=1, le=100)

    @field_validator("url_template")
    @classmethod
    def _check_template(cls, value: str) -> str:
        if "{date" not in value:
            raise ValueError(f"archive template {value!r} has no {{date...}} placeholder")
        check_http_url(value.format(date=date(2000, 1, 1)))
        return value

    def url_for(self, day: date) -> str:
        """The archive URL for one day."""
        return self.url_template.format(date=day)


class Source(_Strict):
    """One outlet."""

    id: str = Field(pattern=SOURCE_ID_PATTERN)
    name: str = Field(min_length=1)
    homepage: str
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    region: str = "South Asia"
    languages: list[str] = Field(min_length=1, description="ISO 639-1 codes, main first")
    timezone: str = Field(description="IANA time zone, used for dates printed without offset")
    allowed_domains: list[str] = Field(min_length=1)
    founded: date | None = Field(None, description="dates before this are impossible")
    feeds: list[str] = []
    sitemaps: list[str] = []
    news_sitemaps: list[str] = []
    listings: list[Listing] = []
    archives: list[Archive] = []
    article_url_pattern: str | None = Field(
        None, description="regex a URL must match (re.search) to be treated as an article"
    )
    extraction: dict[str, str] = Field(
        default_factory=dict,
        description="per-field selector overrides: CSS, or XPath when prefixed 'xpath:'",
    )
    parser: str | None = Field(None, description="dotted path of a parser class, if selectors fail")
    politeness: Politeness = Politeness()
    quality: Quality = Quality()
    notes: str | None = None

    _check_urls = field_validator("homepage")(check_http_url)

    @field_validator("feeds", "sitemaps", "news_sitemaps")
    @classmethod
    def _check_url_list(cls, values: list[str]) -> list[str]:
        return [check_http_url(v) for v in values]

    @field_validator("languages")
    @classmethod
    def _check_languages(cls, values: list[str]) -> list[str]:
        for v in values:
            if not re.fullmatch(r"[a-z]{2,3}", v):
                raise ValueError(f"language {v!r} is not an ISO 639 code")
        return values

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @field_validator("allowed_domains")
    @classmethod
    def _check_domains(cls, values: list[str]) -> list[str]:
        for v in values:
            if "/" in v or ":" in v or not re.fullmatch(r"[a-z0-9.-]+", v):
                raise ValueError(f"allowed domain {v!r} must be a bare host name")
        return values

    @field_validator("article_url_pattern")
    @classmethod
    def _check_regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"article_url_pattern is not a valid regex: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _has_discovery(self) -> Source:
        strategies = (self.feeds, self.sitemaps, self.news_sitemaps, self.listings, self.archives)
        if not any(strategies):
            raise ValueError("a source needs at least one of feeds, sitemaps, listings, archives")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def allows(self, url: str) -> bool:
        """True if ``url`` is on one of the source's allowed domains (see ``on_domains``)."""
        return on_domains(url, self.allowed_domains)

    def is_article_url(self, url: str) -> bool:
        """True if the URL matches ``article_url_pattern`` (or no pattern is set)."""
        pattern = self.article_url_pattern
        return pattern is None or re.search(pattern, url) is not None


class Registry(_Strict):
    """A whole registry file."""

    version: Literal[1] = 1
    allow_private_addresses: bool = Field(
        False, description="allow loopback/private hosts; only demo and test registries set it"
    )
    sources: list[Source]

    def get(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        known = ", ".join(s.id for s in self.sources)
        raise KeyError(f"unknown source {source_id!r}; the registry has: {known}")

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self.sources]


def domain_groups(registry: Registry) -> dict[str, str]:
    """Source id -> its domain group, named after the group's first registrable domain.

    Sources whose allowed domains share a registrable domain (``news.x.com`` and ``x.com``),
    directly or through other sources, are in one group: at most one of them crawls at a time.
    Raise ValueError, naming the source, for an allowed domain that is a public suffix.
    """
    from transforms.urls import registered_site

    parent: dict[str, str] = {}

    def root(site: str) -> str:
        while parent[site] != site:
            parent[site] = parent[parent[site]]
            site = parent[site]
        return site

    sites_of: dict[str, list[str]] = {}
    for source in registry.sources:
        sites = sorted({_registrable(domain, source.id, registered_site)
                        for domain in source.allowed_domains})
        sites_of[source.id] = sites
        for site in sites:
            parent.setdefault(site, site)
        for site in sites[1:]:
            first, other = root(sites[0]), root(site)
            parent[max(first, other)] = min(first, other)  # the root stays the smallest name
    return {sid: root(sites[0]) for sid, sites in sites_of.items()}


def _registrable(domain: str, source_id: str, registered_site: Any) -> str:
    """The registrable domain of an allowed domain; a public suffix (``com.pk``) is refused."""
    site = registered_site(domain)
    probe = f"x.{domain}"
    if "." in domain and site == domain and registered_site(probe) == probe:
        raise ValueError(f"source {source_id!r}: allowed domain {domain!r} is a public suffix, "
                         "not a site")
    return site


def _expand_env(value: Any, where: str) -> Any:
    if isinstance(value, str):

        def _sub(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise RegistryError(f"{where}: environment variable ${{{name}}} is not set")
            return os.environ[name]

        return _ENV_PATTERN.sub(_sub, value)
    if isinstance(value, list):
        return [_expand_env(v, where) for v in value]
    if isinstance(value, dict):
        return {k: _expand_env(v, where) for k, v in value.items()}
    return value


def _describe_entry(raw: dict[str, Any], index: int) -> str:
    sid = raw.get("id") if isinstance(raw, dict) else None
    return f"entry #{index + 1}" + (f" (id={sid!r})" if sid else "")


def parse_registry(data: Any, origin: str = "<registry>") -> Registry:
    """Validate already-loaded YAML data; errors name ``origin`` and the entry."""
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise RegistryError(f"{origin}: expected a mapping with a 'sources' list")
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(data["sources"]):
        where = f"{origin}: {_describe_entry(raw, index)}"
        if not isinstance(raw, dict):
            raise RegistryError(f"{where}: expected a mapping, got {type(raw).__name__}")
        try:
            source = Source.model_validate(_expand_env(raw, where))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'entry'}: {err['msg']}"
                for err in exc.errors()
            )
            raise RegistryError(f"{where}: {problems}") from None
        if source.id in seen:
            raise RegistryError(
                f"{where}: duplicate id {source.id!r} (first used by entry #{seen[source.id] + 1})"
            )
        seen[source.id] = index
        sources.append(source)
    top = {k: v for k, v in data.items() if k != "sources"}
    try:
        registry = Registry.model_validate({**top, "sources": sources})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise RegistryError(f"{origin}: {problems}") from None
    try:
        domain_groups(registry)  # the groups plan gives its jobs: refuse what cannot be grouped
    except ValueError as exc:
        raise RegistryError(f"{origin}: {exc}") from None
    return registry


# path -> (the file's text, the environment values it names, the registry they gave)
_LOADED: dict[str, tuple[str, dict[str, str | None], Registry]] = {}


def load_registry(path: str | os.PathLike[str] | None = None) -> Registry:
    """Load and validate a registry YAML file; fail fast with a message naming file and entry.

    ``path`` defaults to ``default_registry_path()``.  The registry is parsed once per process
    for as long as the file's text and the ``${VAR}`` values it uses stay the same, so every
    caller of one task shares one parse; a rewritten file or a changed variable is read anew.
    """
    path = Path(path) if path is not None else default_registry_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read registry: {exc.strerror or exc}") from None
    key = str(path.resolve())
    cached = _LOADED.get(key)
    if cached is not None and cached[0] == text and all(
        os.environ.get(name) == value for name, value in cached[1].items()
    ):
        return cached[2]
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path}: invalid YAML: {exc}") from None
    registry = parse_registry(data, origin=str(path))
    names = {name: os.environ.get(name) for name in _ENV_PATTERN.findall(text)}
    _LOADED[key] = (text, names, registry)
    return registry


def default_registry_path() -> Path:
    """The registry named by ``NEWSFLOW_REGISTRY``, else the real-outlet registry."""
    env = os.environ.get("NEWSFLOW_REGISTRY")
    if env:
        return Path(env)
    return Path(__file__).with_name("sources.yaml")
