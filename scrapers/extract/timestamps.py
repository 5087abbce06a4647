"""Published and modified times: gather candidates from metadata, markup and URL, then choose."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, tzinfo

from lxml import etree
from lxml import html as lxml_html

from scrapers.extract.dates import ParsedDate, date_from_url, is_plausible, parse_date
from scrapers.extract.metadata import PageMeta, jsonld_text
from scrapers.extract.nodes import OUTSIDE_TEXT, attribute_owners, inside

PUBLISHED_META = (
    ("opengraph", ("article:published_time", "og:published_time", "article:published")),
    ("meta", ("pubdate", "publishdate", "publish-date", "publish_date", "datepublished",
              "dc.date.issued", "dcterms.issued", "dcterms.created", "dc.date.created",
              "parsely-pub-date", "sailthru.date", "article.published", "article:published_date",
              "original-publish-date", "date", "dc.date", "citation_publication_date",
              "cxenseparse:recs:publishtime", "publication_date", "release_date")),
)
MODIFIED_META = (
    ("opengraph", ("article:modified_time", "og:updated_time", "article:modified")),
    ("meta", ("dateModified", "datemodified", "last-modified", "dcterms.modified",
              "dc.date.modified", "article.updated", "lastmod", "revised")),
)
_MODIFIED_WORDS = re.compile(r"updat|modif|edited|revised|अपडेट|আপডেট|اپ ڈیٹ", re.I)


@dataclass(frozen=True)
class Candidate:
    """One date found on the page and where it came from."""

    parsed: ParsedDate
    provenance: str


_DATE_ATTRIBUTES = etree.XPath("//time/@datetime | //@data-datetime | //@data-timestamp")


def time_elements(tree: lxml_html.HtmlElement) -> list[tuple[str, bool]]:
    """Machine-readable dates of the first 12 dated elements, as ``(value, is_modified)``.

    Dated elements are ``<time datetime>`` and anything with ``data-datetime`` or
    ``data-timestamp``; those in nav, footer or aside are skipped.
    """
    values: list[tuple[str, bool]] = []
    for el in attribute_owners(_DATE_ATTRIBUTES(tree))[:12]:
        if inside(el, OUTSIDE_TEXT):
            continue
        context = " ".join(filter(None, (el.get("class"), el.get("itemprop"), el.get("id"),
                                          el.getparent().get("class") if el.getparent() is not None
                                          else None, (el.text_content() or "")[:40])))
        is_modified = bool(_MODIFIED_WORDS.search(context)) and "publish" not in context.lower()
        value = el.get("datetime") or el.get("data-datetime") or el.get("data-timestamp") or ""
        values.append((value, is_modified))
    return values


_DATE_HINT = re.compile(r"date|time|publish|posted|byline|meta", re.I)
_DATE_BAR = re.compile(r"today|date-?bar|top-?bar|current-?date|clock|weather", re.I)
_NOT_PRINTED_DATE = OUTSIDE_TEXT | {"form"}


def printed_dates(tree: lxml_html.HtmlElement) -> list[tuple[str, bool]]:
    """Dates printed as text in date-like elements after the headline (never in date bars).

    Each is ``(text, is_modified)``; one walk of the tree serves published and modified dates.
    """
    headline = next(iter(tree.xpath("//h1")), None)
    started = headline is None
    values: list[tuple[str, bool]] = []
    for el in tree.iter():
        if el is headline:
            started = True
            continue
        if not started or not isinstance(el.tag, str) or el.tag in ("script", "style", "time"):
            continue
        names = " ".join(filter(None, (el.get("class"), el.get("id"), el.get("itemprop"))))
        if not names or not _DATE_HINT.search(names) or _DATE_BAR.search(names):
            continue
        text = " ".join(el.text_content().split())
        if not text or len(text) > 120 or inside(el, _NOT_PRINTED_DATE):
            continue
        values.append((text, bool(_MODIFIED_WORDS.search(text + " " + names))))
        if len(values) >= 12:
            break
    return values


def gather(meta: PageMeta, tree: lxml_html.HtmlElement, source_tz: tzinfo | None,
           modified: bool = False, printed: list[tuple[str, bool]] | None = None,
           times: list[tuple[str, bool]] | None = None) -> list[Candidate]:
    """Every parseable date for the published (or modified) time, best source first.

    ``printed`` and ``times`` (from printed_dates and time_elements) may be passed in, so that
    one walk of the tree serves both the published and the modified time.
    """
    raw: list[tuple[str, str]] = []
    key = "dateModified" if modified else "datePublished"
    if meta.article:
        raw.append(("jsonld", jsonld_text(meta.article.get(key)) or ""))
        if not modified:
            raw.append(("jsonld", jsonld_text(meta.article.get("dateCreated")) or ""))
    for provenance, names in MODIFIED_META if modified else PUBLISHED_META:
        raw.extend((provenance, v) for v in meta.all_meta(*(n.lower() for n in names)))
    raw.extend(("microdata", v) for v in meta.microdata.get(key.lower(), []))
    others = (o for o in meta.jsonld if o is not meta.article)
    raw.extend(("jsonld", jsonld_text(o.get(key)) or "") for o in others)
    times = time_elements(tree) if times is None else times
    raw.extend(("text", v) for v, is_modified in times if is_modified == modified)
    printed = printed_dates(tree) if printed is None else printed
    raw.extend(("text", v) for v, is_modified in printed if is_modified == modified)
    out: list[Candidate] = []
    for provenance, value in raw:
        if value and re.fullmatch(r"\d{10}(\d{3})?", value.strip()):
            continue  # epoch stamps are too often cache-busters
        parsed = parse_date(value, source_tz)
        if parsed is not None:
            out.append(Candidate(parsed, provenance))
    return out


def choose(candidates: list[Candidate], earliest: date | None) -> Candidate | None:
    """The first plausible candidate, upgraded to a same-day one that carries a printed offset."""
    plausible = [c for c in candidates if is_plausible(c.parsed, earliest)]
    if not plausible:
        return None
    first = plausible[0]
    if first.parsed.printed_offset and first.parsed.has_time:
        return first
    for other in plausible[1:]:
        if (other.parsed.printed_offset and other.parsed.has_time
                and other.parsed.day == first.parsed.day):
            return other
    if not first.parsed.has_time:
        for other in plausible[1:]:
            if other.parsed.has_time and other.parsed.day == first.parsed.day:
                return other
    return first


def htmldate_candidate(tree: lxml_html.HtmlElement, url: str, source_tz: tzinfo | None
                       ) -> Candidate | None:
    """htmldate's guess at the original publication day (no time)."""
    try:
        from htmldate import find_date

        found = find_date(tree, url=url, original_date=True, extensive_search=False)
    except Exception:  # htmldate is best effort
        return None
    parsed = parse_date(found, source_tz) if found else None
    return Candidate(parsed, "htmldate") if parsed else None


def url_candidate(url: str, source_tz: tzinfo | None) -> Candidate | None:
    """A date printed in the URL path."""
    parsed = date_from_url(url)
    if parsed is None:
        return None
    if source_tz is not None:
        parsed = parse_date(parsed.value.date().isoformat(), source_tz) or parsed
    return Candidate(parsed, "url")
