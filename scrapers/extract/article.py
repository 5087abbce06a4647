"""Orchestration: one page in, one ``Extracted`` out; never raises."""

from __future__ import annotations

import copy
import re
import unicodedata
from datetime import UTC, date, datetime, time, tzinfo
from typing import TYPE_CHECKING

from lxml import etree
from lxml import html as lxml_html

from scrapers.extract.authors import clean_authors, fold
from scrapers.extract.body import clean_paragraphs, join_paragraphs
from scrapers.extract.cascade import run_trafilatura
from scrapers.extract.classify import classify
from scrapers.extract.dateline import split_dateline
from scrapers.extract.dates import ParsedDate, format_offset, parse_date
from scrapers.extract.embeds import drop_embeds, embeds
from scrapers.extract.encoding import decode_html, looks_binary
from scrapers.extract.extracted import Extracted
from scrapers.extract.fields import (
    PICKERS,
    detect_paywall,
    first_h1,
    lang_hint,
    pick_byline_sources,
    pick_lead,
    site_names,
    text_of,
)
from scrapers.extract.language import detect_language, page_language
from scrapers.extract.liveblog import fill_live_blog, live_entries
from scrapers.extract.main_block import fill_from_container, main_blocks
from scrapers.extract.metadata import PageMeta, jsonld_text, read_metadata
from scrapers.extract.selectors import select_paragraphs, select_texts, select_values
from scrapers.extract.timestamps import (
    choose,
    gather,
    htmldate_candidate,
    printed_dates,
    time_elements,
    url_candidate,
)
from transforms.schema import ARTICLE_COLUMNS

if TYPE_CHECKING:
    from scrapers.sources import Source

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)


def unusable(url: str, reason: str) -> Extracted:
    """The result for a page we cannot read at all."""
    return Extracted(url=url, is_article=False, provenance={"is_article": f"text:{reason}"})


def _html_parser() -> lxml_html.HTMLParser:
    """lxml.html's parser with a C-level element class lookup.

    lxml.html's own lookup is a Python method called for every element proxy (about a million
    calls per 200 pages, 8% of extraction). Only its form-control classes differ, and nothing
    here or in trafilatura uses them.
    """
    parser = lxml_html.HTMLParser()
    parser.set_element_class_lookup(etree.ElementDefaultClassLookup(
        element=lxml_html.HtmlElement, comment=lxml_html.HtmlComment,
        pi=lxml_html.HtmlProcessingInstruction, entity=lxml_html.HtmlEntity))
    return parser


_PARSER = _html_parser()


def parse_tree(text: str) -> lxml_html.HtmlElement | None:
    """Parse HTML leniently; None when there is no document to speak of."""
    text = _XML_DECL.sub("", text, count=1)
    if not text.strip():
        return None
    try:
        tree = lxml_html.document_fromstring(text, parser=_PARSER)
    except (etree.ParserError, ValueError):
        return None
    return tree if tree.find("body") is not None else None


def extract_article(html: str | bytes, url: str, source: Source | None = None) -> Extracted:
    """Turn one page into an ``Extracted``; unusable pages get is_article=False and a reason."""
    if html is None or len(html) == 0:
        return unusable(url, "empty page")
    if looks_binary(html):
        return unusable(url, "binary content")
    try:
        tree = parse_tree(decode_html(html))
        if tree is None:
            return unusable(url, "no body")
        return _extract(tree, url, source)
    except Exception as exc:  # a malformed page must never stop a crawl
        return unusable(url, f"extraction failed: {type(exc).__name__}")


def _set(result: Extracted, name: str, value: object, provenance: str | None) -> None:
    if value is None or value == [] or value == "":
        return
    setattr(result, name, value)
    if provenance:
        result.provenance[name] = provenance


def _extract(tree: lxml_html.HtmlElement, url: str, source: Source | None) -> Extracted:
    overrides = dict(source.extraction) if source else {}
    source_tz = source.tz if source else None
    meta = read_metadata(tree)
    result = Extracted(url=url)
    sites = site_names(meta, url, source.name if source else None)

    for name, pick in PICKERS.items():
        _set(result, name, *pick(meta, tree, url, sites))
    lead, lead_prov, standfirst = pick_lead(meta, tree)
    _set(result, "lead", lead, lead_prov)
    _fill_dates(result, meta, tree, url, source_tz, source)
    _fill_authors(result, meta, tree, sites)
    _apply_selectors(result, tree, overrides, source_tz)

    _fill_body(result, meta, tree, url, overrides, standfirst)
    paywalled, paywall_prov = detect_paywall(meta, tree)
    _set(result, "paywalled", paywalled, paywall_prov)
    hint = page_language(lang_hint(meta, tree))
    result.language = detect_language(result.body or result.title, hint)
    if result.language:
        result.provenance["language"] = "text" if result.body else "meta"
    if result.published_at is None and result.provenance.get("published_at") is None:
        _fill_fallback_date(result, tree, url, source_tz, source)
    has_date = result.published_at is not None or "published_date" in result.provenance
    listing_urls = (source.homepage, *(item.url for item in source.listings)) if source else ()
    result.is_article, result.provenance["is_article"] = classify(
        meta, tree, url, result.body, has_date, listing_urls
    )
    if source and source.parser:
        from scrapers.extract.parser_hook import apply_parser, load_parser

        generic_published = result.published_at
        apply_parser(load_parser(source.parser, source), tree, result)
        if result.published_at is not generic_published:
            _store_parser_published(result, result.published_at, source_tz)
    return result


def _store_parser_published(result: Extracted, value: datetime | date,
                            source_tz: tzinfo | None) -> None:
    """Keep a parser's publication date with the precision it carries: a date, or a datetime
    without a zone where the source has none, is a printed day; an aware time is to the
    minute, or to the second when it has seconds."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0))
        has_time = False
    else:
        has_time = True
    printed_offset = value.tzinfo is not None
    if not printed_offset and source_tz is not None and has_time:
        value = value.replace(tzinfo=source_tz)
    parsed = ParsedDate(value=value, has_time=has_time, printed_offset=printed_offset,
                        has_seconds=bool(value.second or value.microsecond))
    _store_published(result, parsed, "selector")


def _fill_dates(result: Extracted, meta: PageMeta, tree: lxml_html.HtmlElement, url: str,
                source_tz: tzinfo | None, source: Source | None) -> None:
    earliest = source.founded if source else None
    printed, times = printed_dates(tree), time_elements(tree)
    published = choose(gather(meta, tree, source_tz, printed=printed, times=times), earliest)
    if published is not None:
        _store_published(result, published.parsed, published.provenance)
    modified = choose(gather(meta, tree, source_tz, modified=True, printed=printed,
                             times=times), earliest)
    if modified is not None and modified.parsed.value.tzinfo is not None:
        result.modified_at = modified.parsed.value
        result.provenance["modified_at"] = modified.provenance


def _fill_fallback_date(result: Extracted, tree: lxml_html.HtmlElement, url: str,
                        source_tz: tzinfo | None, source: Source | None) -> None:
    from scrapers.extract.dates import is_plausible

    earliest = source.founded if source else None
    for candidate in (url_candidate(url, source_tz),
                      htmldate_candidate(copy.deepcopy(tree), url, source_tz)):
        if candidate is not None and is_plausible(candidate.parsed, earliest):
            _store_published(result, candidate.parsed, candidate.provenance)
            return


def _store_published(result: Extracted, parsed: ParsedDate, provenance: str) -> None:
    """Keep a publication date as printed: an instant when a time and zone are known, else the
    printed calendar day (``published_at`` at its 00:00 UTC, precision ``day``, no offset)."""
    value = parsed.value
    result.published_date = value.date()
    result.provenance["published_date"] = provenance
    if parsed.has_time and value.tzinfo is not None:
        result.published_at = value
        result.published_offset = format_offset(value)
        result.published_precision = parsed.precision
    else:  # no time (or no zone for it): the day the outlet printed, with no invented time
        result.published_at = datetime.combine(value.date(), time(0), tzinfo=UTC)
        result.published_offset = None
        result.published_precision = "day"
    result.provenance["published_at"] = provenance


def _script(text: str) -> str:
    """The writing system of the first letter in ``text`` (LATIN, ARABIC, BENGALI, ...)."""
    for ch in text:
        if ch.isalpha():
            return unicodedata.name(ch, "UNKNOWN").split()[0]
    return ""


def _outlet_in_other_script(names: list[str], outlet: str) -> bool:
    """True for one byline that renders the outlet's name in another script, word for word.

    Only used once structured data has said the outlet wrote the page: a visible byline in
    another script with as many words as the outlet's name is that name transliterated.
    """
    if len(names) != 1:
        return False
    name = names[0]
    return _script(name) != _script(outlet) and len(name.split()) == len(outlet.split())


def _fill_authors(result: Extracted, meta: PageMeta, tree: lxml_html.HtmlElement,
                  sites: list[str]) -> None:
    outlet: tuple[str, str] | None = None
    for bylines, provenance in pick_byline_sources(meta, tree):
        names, outlet_name = clean_authors(bylines, sites)
        if names and outlet and provenance == "text" and _outlet_in_other_script(
            names, outlet[0]
        ):
            continue
        if names:
            result.authors = names
            result.provenance["authors"] = provenance
            return
        if outlet_name and outlet is None:
            outlet = (outlet_name, provenance)
    if outlet:
        result.byline_is_outlet = True
        result.byline_outlet = outlet[0]
        result.provenance["authors"] = outlet[1]


_SELECTOR_READS = {c.name: c.selector for c in ARTICLE_COLUMNS if c.selector}
"""How a registry selector reads each field it may set (declared in ``transforms/schema.py``)."""
_SELECTOR_ALIASES = {"published": "published_at", "modified": "modified_at"}


def _apply_selectors(result: Extracted, tree: lxml_html.HtmlElement, overrides: dict[str, str],
                     source_tz: tzinfo | None) -> None:
    """Let the source's registry selectors set the fields they name (the body is read later)."""
    for key, selector in overrides.items():
        name = _SELECTOR_ALIASES.get(key, key)
        read = _SELECTOR_READS.get(name)
        if read == "text":
            texts = select_texts(tree, selector)
            _set(result, name, texts[0] if texts else None, "selector")
        elif read == "texts":
            texts = select_texts(tree, selector)
            _set(result, name, clean_authors(texts, [])[0] if name == "authors" else texts,
                 "selector")
        elif read == "url":
            values = select_values(tree, selector)
            _set(result, name, values[0] if values else None, "selector")
        elif read == "date":
            _select_date(result, name, select_values(tree, selector), source_tz)


def _select_date(result: Extracted, name: str, values: list[str],
                 source_tz: tzinfo | None) -> None:
    """The first selected value that parses as a date: the publication date as printed, or an
    aware instant for another date field."""
    for value in values:
        parsed = parse_date(value, source_tz)
        if parsed is None:
            continue
        if name == "published_at":
            _store_published(result, parsed, "selector")
        elif parsed.value.tzinfo is not None:
            _set(result, name, parsed.value, "selector")
        break


def _place_standfirst(paragraphs: list[str], standfirst: lxml_html.HtmlElement | None) -> int:
    """Put a printed standfirst at the start (once); the index where the article text begins.

    When the first paragraph is the standfirst cut shorter or longer (a label such as "WARNING:"
    or a dateline in front), the longer form replaces it instead of repeating it.
    """
    if standfirst is None or not paragraphs:
        return 0
    lead = text_of(standfirst)
    key, head = fold(lead), fold(paragraphs[0])
    if key and head and (key in head or head in key):
        if len(lead) > len(paragraphs[0]):
            paragraphs[0] = lead
        return 0
    if key in fold(" ".join(paragraphs[:3])):
        return 0
    paragraphs.insert(0, lead)
    return 1


def _without_embeds(tree: lxml_html.HtmlElement) -> lxml_html.HtmlElement:
    """``tree``, or a copy without its embedded social posts (trafilatura copies what it gets)."""
    if not embeds(tree):
        return tree
    work_tree = copy.deepcopy(tree)
    drop_embeds(work_tree)
    return work_tree


def _fill_body(result: Extracted, meta: PageMeta, tree: lxml_html.HtmlElement, url: str,
               overrides: dict[str, str], standfirst: lxml_html.HtmlElement | None) -> None:
    if "body" in overrides:
        paragraphs, provenance = select_paragraphs(tree, overrides["body"]), "selector"
    else:
        main = main_blocks(tree)
        paragraphs, provenance = run_trafilatura(_without_embeds(tree), url, main), "trafilatura"
        paragraphs = fill_from_container(paragraphs, main)
        paragraphs = fill_live_blog(paragraphs, tree, live_entries(meta.jsonld))
    article_body = jsonld_text(meta.article.get("articleBody")) if meta.article else None
    if article_body and len(article_body) > 1.5 * sum(len(p) for p in paragraphs) + 200:
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n|\n", article_body) if p.strip()]
        provenance = "jsonld"
    h1 = first_h1(tree)
    paragraphs = clean_paragraphs(paragraphs, result.title, result.authors, (h1,) if h1 else ())
    first = _place_standfirst(paragraphs, standfirst)
    if first < len(paragraphs) and "dateline" not in result.provenance:
        place, rest = split_dateline(paragraphs[first])
        if place:
            result.dateline = place
            result.provenance["dateline"] = "text"
            paragraphs[first] = rest
    if paragraphs:
        result.body = join_paragraphs(paragraphs)
        result.provenance["body"] = provenance
