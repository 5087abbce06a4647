"""Smaller fields from metadata and markup: title, lead, bylines, section, tags, image, URLs."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml import html as lxml_html

from scrapers.extract.authors import fold
from scrapers.extract.chrome import is_chrome
from scrapers.extract.metadata import PageMeta, jsonld_names, jsonld_text
from scrapers.extract.nodes import (
    OUTSIDE_TEXT,
    MarkedElements,
    following_elements,
    inside,
    nodes_after,
)
from scrapers.extract.title import site_names_from_host, strip_by_separator_match, strip_site_suffix

# Class-marker scans select attribute nodes; see nodes.MarkedElements.
_STANDFIRST_MARKED = MarkedElements(
    contains={"class": ("standfirst", "summary", "excerpt", "dek", "subheadline", "sub-headline",
                        "subtitle", "strapline", "intro", "lede", "article-lead", "story-lead")},
    equals={"itemprop": ("description", "abstract")},
)
_STANDFIRST_TAGS = frozenset({"p", "h2", "div", "span"})
_BYLINE_MARKED = MarkedElements(
    contains={"class": ("byline", "author-name", "author_name", "authorName", "article-author",
                        "story-author")},
    equals={"rel": ("author",)},
)
_BYLINE_WORDS = ("author", "byline", "writer", "reporter")
_NOT_BYLINE_WORDS = ("bio", "box", "avatar", "image", "img", "photo", "pic", "desc", "about",
                     "more", "list", "social", "follow", "card", "profile", "info", "wrap")
_CLASS_VALUES = etree.XPath("//@class", smart_strings=False)
_ID_VALUES = etree.XPath("//@id", smart_strings=False)
_PAYWALL_CLASSES = ("paywall", "premium-lock", "subscriber-only", "meteredContent")


def text_of(el: lxml_html.HtmlElement) -> str:
    """Whitespace-folded visible text of an element."""
    return " ".join(el.text_content().replace("\xa0", " ").split())


def site_names(meta: PageMeta, url: str, source_name: str | None) -> list[str]:
    """Names the site goes by: og:site_name, JSON-LD publisher, registry name, host."""
    names = [meta.og.get("site_name") or "", source_name or ""]
    names += meta.all_meta("application-name", "apple-mobile-web-app-title", "twitter:site")
    for obj in ([meta.article] if meta.article else []) + meta.jsonld:
        publisher = obj.get("publisher") if isinstance(obj, dict) else None
        names += jsonld_names(publisher) if publisher else []
        if "organization" in str(obj.get("@type", "")).lower() or "newsmediaorganization" in str(
            obj.get("@type", "")
        ).lower():
            names += jsonld_names(obj)
    names = [n.lstrip("@") for n in names if n]
    return names + site_names_from_host(urlsplit(url).hostname or "")


def first_h1(tree: lxml_html.HtmlElement) -> str | None:
    """Text of the most plausible h1 (inside article/main first)."""
    for path in ("//article//h1", "//main//h1", "//h1"):
        for el in tree.xpath(path)[:3]:
            text = text_of(el)
            if 3 <= len(text) <= 400:
                return text
    return None


def pick_title(meta: PageMeta, tree: lxml_html.HtmlElement, sites: list[str]
               ) -> tuple[str | None, str | None]:
    """(title, provenance): JSON-LD headline, og:title, twitter:title, h1, <title>, cleaned."""
    h1 = first_h1(tree)
    candidates: list[tuple[str | None, str]] = [
        (jsonld_text(meta.article.get("headline")) if meta.article else None, "jsonld"),
        (meta.og.get("title"), "opengraph"),
        (meta.first_meta("twitter:title"), "meta"),
        (next(iter(meta.microdata.get("headline", [])), None), "microdata"),
        (h1, "text"),
        (tree.findtext(".//title"), "meta"),
    ]
    for value, provenance in candidates:
        if value and value.strip():
            cleaned = strip_site_suffix(html_lib.unescape(value), sites)
            cleaned = strip_by_separator_match(cleaned, h1)
            return cleaned, provenance
    return None, None


def pick_byline_sources(meta: PageMeta, tree: lxml_html.HtmlElement
                        ) -> Iterator[tuple[list[str], str]]:
    """Raw byline strings per source, best first; the markup is searched only when asked for."""
    if meta.article and meta.article.get("author"):
        yield jsonld_names(meta.article.get("author")), "jsonld"
    if meta.article and meta.article.get("creator"):
        yield jsonld_names(meta.article.get("creator")), "jsonld"
    names = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator",
             "dcterms.creator", "byl", "citation_author")
    metas = [v for v in (meta.first_meta(n) for n in names)
             if v and not v.startswith(("http://", "https://", "/"))]
    yield metas, "meta"
    yield meta.microdata.get("author", []) + meta.microdata.get("creator", []), "microdata"
    marked = [el for el in _BYLINE_MARKED(tree) if not inside(el, OUTSIDE_TEXT)]
    bylines = [text_of(el) for el in marked[:4]]
    yield [b for b in bylines if 2 < len(b) < 120], "text"
    yield headline_bylines(tree), "text"


def _byline_ish(el: lxml_html.HtmlElement) -> bool:
    """True for an element whose class, itemprop or rel says it holds the byline."""
    if (el.get("rel") or "").lower() == "author":
        return True
    if (el.get("itemprop") or "").lower() in ("author", "creator"):
        return True
    for token in (el.get("class") or "").lower().split():
        pieces = re.split(r"[-_]+|(?<=[a-z])(?=[A-Z])", token)
        if any(w in token for w in _BYLINE_WORDS) and not any(
            p in _NOT_BYLINE_WORDS for p in pieces
        ):
            return True
    return False


def headline_bylines(tree: lxml_html.HtmlElement, limit: int = 60) -> list[str]:
    """Texts of byline-ish elements among the first ``limit`` elements after the headline."""
    h1 = next(iter(tree.xpath("//article//h1|//main//h1") or tree.xpath("//h1")), None)
    if h1 is None:
        return []
    found: list[lxml_html.HtmlElement] = []
    for el in islice(following_elements(h1), limit):
        if el.tag == "h1" or (el.tag == "p" and len(text_of(el)) > 200):
            break  # another headline, or the article text has begun
        if inside(el, OUTSIDE_TEXT):
            continue
        if _byline_ish(el) and not any(a in found for a in el.iterancestors()):
            found.append(el)
    texts = []
    for el in found:
        inner = [d for d in el.iterdescendants() if isinstance(d.tag, str) and _byline_ish(d)]
        for node in inner or [el]:
            text = text_of(node)
            if 2 < len(text) < 120 and text not in texts:
                texts.append(text)
    return texts[:4]


def _near_headline(el: lxml_html.HtmlElement, h1: lxml_html.HtmlElement | None,
                   levels: int = 3) -> bool:
    """True when ``el`` shares a close ancestor (``levels`` up, default three) with the headline."""
    if h1 is None:
        return False
    ancestors = [a for _, a in zip(range(levels), h1.iterancestors(), strict=False)]
    return any(a in ancestors for _, a in zip(range(levels), el.iterancestors(), strict=False))


def _overlaps(text: str, other: str | None) -> bool:
    """True when most words of the shorter text occur in the longer one."""
    if not other:
        return False
    a, b = set(fold(text).split()), set(fold(other).split())
    return bool(a and b) and len(a & b) >= 0.6 * min(len(a), len(b))


def pick_lead(meta: PageMeta, tree: lxml_html.HtmlElement
              ) -> tuple[str | None, str | None, lxml_html.HtmlElement | None]:
    """(lead, provenance, standfirst element if printed on the page)."""
    h1 = next(iter(tree.xpath("//article//h1|//main//h1") or tree.xpath("//h1")), None)
    meta_description = meta.og.get("description") or meta.first_meta("description")
    below: set[lxml_html.HtmlElement] | None = None
    marked = [el for el in _STANDFIRST_MARKED(tree) if el.tag in _STANDFIRST_TAGS]
    for el in marked[:8]:
        if inside(el, _NOT_STANDFIRST):
            continue
        if h1 is not None:
            below = set(nodes_after(h1, 399)) if below is None else below
            if el not in below:
                continue  # a standfirst sits just below the headline
        text = text_of(el)
        if 40 <= len(text) <= 600 and len(el.xpath(".//p")) <= 1 and not is_chrome(text) and (
            _near_headline(el, h1) or _overlaps(text, meta_description)
        ):
            return text, "text", el
    description = (jsonld_text(meta.article.get("description")) if meta.article else None)
    printed = _printed_description(tree, h1, (description, meta_description))
    if printed is not None:
        return text_of(printed), "text", printed
    if description:
        return " ".join(description.split()), "jsonld", None
    if meta.og.get("description"):
        return " ".join(meta.og["description"].split()), "opengraph", None
    value = meta.first_meta("description")
    return (" ".join(value.split()), "meta", None) if value else (None, None, None)


_NOT_STANDFIRST = OUTSIDE_TEXT | {"a", "form"}


def _same_as_description(text: str, descriptions: tuple[str | None, ...]) -> bool:
    """True when ``text`` is one of the descriptions (which may be cut short with an ellipsis)."""
    key = fold(text)
    for value in descriptions:
        if not value:
            continue
        cut = value.strip().endswith(("…", "..."))
        desc = fold(value.strip().rstrip("….").strip())
        if desc and (key == desc or (cut and len(desc) >= 30 and key.startswith(desc))):
            return True
        label = re.match(r"\s*[(\[][^)\]]{1,40}[)\]]\s*", text)
        if label and len(desc) >= 60 and fold(text[label.end():]) == desc:
            return True  # a bracketed label printed in front: "(Label) Description ..."
    return False


_DESCRIPTION_TAGS = frozenset({"p", "h2", "h3", "div", "span", "li", "figcaption"})


def _printed_description(tree: lxml_html.HtmlElement, h1: lxml_html.HtmlElement | None,
                         descriptions: tuple[str | None, ...]
                         ) -> lxml_html.HtmlElement | None:
    """The first text block below the headline when it prints the page's description."""
    if h1 is None or not any(descriptions):
        return None
    blocks = (el for el in following_elements(h1) if el.tag in _DESCRIPTION_TAGS)
    for el in islice(blocks, 40):
        if el.xpath(".//p|.//div|.//h2|.//h3|.//li|.//ul"):
            continue
        text = text_of(el)
        if len(text) < 40:
            continue  # bylines, dates, labels
        if el.tag == "figcaption" or el.xpath("ancestor::figure|ancestor::aside"):
            continue
        # The description printed word for word as the first text under the headline is strong
        # evidence: the nesting may be looser than for a class-named standfirst.
        if len(text) <= 600 and _near_headline(el, h1, levels=8) and _same_as_description(
            text, descriptions
        ):
            return el
        return None  # the first block of text is something else
    return None


def pick_section(meta: PageMeta) -> tuple[str | None, str | None]:
    """Section from JSON-LD articleSection or article:section."""
    if meta.article and meta.article.get("articleSection"):
        return jsonld_text(meta.article["articleSection"]), "jsonld"
    value = meta.first_meta("article:section")
    if value:
        return value, "opengraph"
    value = meta.first_meta("section", "category", "parsely-section")
    if value:
        return value, "meta"
    section = meta.microdata.get("articlesection")
    return (section[0], "microdata") if section else (None, None)


def pick_tags(meta: PageMeta) -> tuple[list[str], str | None]:
    """Tags from article:tag, JSON-LD keywords, or news_keywords/keywords meta."""
    tags = meta.all_meta("article:tag")
    provenance = "opengraph"
    if not tags and meta.article and meta.article.get("keywords"):
        raw = meta.article["keywords"]
        tags = raw if isinstance(raw, list) else str(raw).split(",")
        provenance = "jsonld"
    if not tags:
        tags = [t for v in meta.all_meta("news_keywords", "keywords") for t in v.split(",")]
        provenance = "meta"
    seen: dict[str, str] = {}
    for tag in tags:
        if isinstance(tag, str) and tag.strip():
            seen.setdefault(fold(tag), " ".join(tag.split()))
    return list(seen.values()), (provenance if seen else None)


def pick_image(meta: PageMeta, url: str) -> tuple[str | None, str | None]:
    """Lead image URL from og:image, JSON-LD image, twitter:image."""
    if meta.og.get("image"):
        return urljoin(url, meta.og["image"]), "opengraph"
    if meta.article and meta.article.get("image"):
        value = jsonld_text(meta.article["image"])
        if value:
            return urljoin(url, value), "jsonld"
    value = meta.first_meta("twitter:image", "twitter:image:src")
    return (urljoin(url, value), "meta") if value else (None, None)


def pick_canonical(meta: PageMeta, tree: lxml_html.HtmlElement, url: str
                   ) -> tuple[str | None, str | None]:
    """rel=canonical, else og:url, made absolute."""
    for link in tree.xpath("//link[@href]"):
        if "canonical" in (link.get("rel") or "").lower().split():
            return urljoin(url, link.get("href").strip()), "meta"
    if meta.og.get("url"):
        return urljoin(url, meta.og["url"]), "opengraph"
    return None, None


def _false(value: object) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def detect_paywall(meta: PageMeta, tree: lxml_html.HtmlElement) -> tuple[bool, str]:
    """(paywalled, provenance): isAccessibleForFree false, content tier, or paywall markup."""
    for obj in ([meta.article] if meta.article else []) + meta.jsonld:
        parts = obj.get("hasPart")
        parts = parts if isinstance(parts, list) else [parts] if isinstance(parts, dict) else []
        if _false(obj.get("isAccessibleForFree")) or any(
            isinstance(p, dict) and _false(p.get("isAccessibleForFree")) for p in parts
        ):
            return True, "jsonld"
    tier = (meta.first_meta("article:content_tier") or "").lower()
    if tier in ("locked", "metered"):
        return True, "opengraph"
    if any(marker in value for value in _CLASS_VALUES(tree) for marker in _PAYWALL_CLASSES) or any(
        "paywall" in value for value in _ID_VALUES(tree)
    ):
        return True, "text"
    return False, "text"


def lang_hint(meta: PageMeta, tree: lxml_html.HtmlElement) -> str | None:
    """The page's declared language: html lang, content-language, og:locale."""
    value = tree.get("lang") or tree.get("xml:lang") or meta.first_meta("content-language")
    value = value or meta.og.get("locale")
    return re.sub(r"_", "-", value) if value else None


Picker = Callable[[PageMeta, lxml_html.HtmlElement, str, list[str]], tuple[Any, str | None]]
"""Reads one field off a page: (metadata, tree, URL, the site's names) -> (value, provenance)."""

PICKERS: dict[str, Picker] = {
    "canonical_url": lambda meta, tree, url, sites: pick_canonical(meta, tree, url),
    "title": lambda meta, tree, url, sites: pick_title(meta, tree, sites),
    "section": lambda meta, tree, url, sites: pick_section(meta),
    "tags": lambda meta, tree, url, sites: pick_tags(meta),
    "image_url": lambda meta, tree, url, sites: pick_image(meta, url),
}
"""Fields read straight off the page, in order, each by one function: a new field filled this
way is its column in ``transforms/schema.py``, its function here and its entry in this table."""
