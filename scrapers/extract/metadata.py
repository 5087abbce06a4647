"""Structured metadata in the page: JSON-LD (leniently parsed), OpenGraph, meta tags, microdata."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from lxml import html as lxml_html

ARTICLE_TYPES = {
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "backgroundnewsarticle", "reviewnewsarticle", "askpublicnewsarticle", "blogposting",
    "liveblogposting", "socialmediaposting", "report", "scholarlyarticle", "techarticle",
    "satiricalarticle", "advertisercontentarticle",
}
NON_ARTICLE_TYPES = {
    "collectionpage", "itemlist", "searchresultspage", "profilepage", "website", "aboutpage",
    "contactpage",
}
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_COMMENTS = re.compile(r"/\*.*?\*/|^\s*//[^\n]*$", re.S | re.M)


@dataclass
class PageMeta:
    """Everything read from the page's structured metadata."""

    jsonld: list[dict[str, Any]] = field(default_factory=list)
    article: dict[str, Any] | None = None
    page_types: set[str] = field(default_factory=set)
    og: dict[str, str] = field(default_factory=dict)
    meta: dict[str, list[str]] = field(default_factory=dict)
    microdata: dict[str, list[str]] = field(default_factory=dict)
    broken_jsonld: int = 0

    def first_meta(self, *names: str) -> str | None:
        """The first non-empty content among the named meta tags (lower-case names)."""
        for name in names:
            for value in self.meta.get(name, ()):
                if value.strip():
                    return value.strip()
        return None

    def all_meta(self, *names: str) -> list[str]:
        """Every non-empty content of the named meta tags, in order."""
        return [v.strip() for name in names for v in self.meta.get(name, ()) if v.strip()]


def loads_lenient(text: str) -> Any:
    """Parse JSON as sloppy publishers write it: comments, trailing commas, raw newlines."""
    text = text.strip().removeprefix("<![CDATA[").removesuffix("]]>").strip().rstrip(";")
    try:
        return json.loads(text, strict=False)
    except ValueError:
        pass
    fixed = _TRAILING_COMMA.sub(r"\1", _COMMENTS.sub("", text))
    try:
        return json.loads(fixed, strict=False)
    except ValueError:
        pass
    # Several objects back to back, or junk after the first object.
    decoder = json.JSONDecoder(strict=False)
    items, pos = [], 0
    while pos < len(fixed):
        start = min((i for i in (fixed.find("{", pos), fixed.find("[", pos)) if i >= 0), default=-1)
        if start < 0:
            break
        try:
            obj, pos = decoder.raw_decode(fixed, start)
        except ValueError:
            break
        items.append(obj)
    if items:
        return items
    raise ValueError("unparseable JSON-LD")


def _types_of(obj: dict[str, Any]) -> set[str]:
    raw = obj.get("@type") or obj.get("type") or []
    values = raw if isinstance(raw, list) else [raw]
    return {str(v).rsplit("/", 1)[-1].lower() for v in values if isinstance(v, str)}


def flatten_jsonld(data: Any) -> list[dict[str, Any]]:
    """All typed objects at the top of JSON-LD data, unwrapping arrays and ``@graph``."""
    out: list[dict[str, Any]] = []
    stack = [data]
    while stack:
        item = stack.pop(0)
        if isinstance(item, list):
            stack[0:0] = item
        elif isinstance(item, dict):
            if "@graph" in item:
                graph = item["@graph"]
                stack[0:0] = graph if isinstance(graph, list) else [graph]
            if _types_of(item):
                out.append(item)
            main = item.get("mainEntity")
            if isinstance(main, dict) and _types_of(main) & ARTICLE_TYPES:
                out.append(main)
    return out


def _article_score(obj: dict[str, Any]) -> int:
    score = 0
    for key in ("headline", "datePublished", "articleBody", "author"):
        if obj.get(key):
            score += 1
    return score


def pick_article(objects: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The JSON-LD object describing the article itself, if any."""
    candidates = [o for o in objects if _types_of(o) & ARTICLE_TYPES]
    if not candidates:
        # Some pages mark the article as a WebPage with a headline and dates.
        candidates = [o for o in objects if _types_of(o) & {"webpage", "itempage"}
                      and o.get("headline") and o.get("datePublished")]
    if not candidates:
        return None
    return max(candidates, key=_article_score)


def _read_jsonld(tree: lxml_html.HtmlElement, meta: PageMeta) -> None:
    for script in tree.xpath("//script[contains(translate(@type,'JSONLD','jsonld'),'ld+json')]"):
        text = script.text or ""
        if not text.strip():
            continue
        try:
            data = loads_lenient(text)
        except ValueError:
            meta.broken_jsonld += 1
            continue
        meta.jsonld.extend(flatten_jsonld(data))
    for obj in meta.jsonld:
        meta.page_types |= _types_of(obj)
    meta.article = pick_article(meta.jsonld)


def _read_meta_tags(tree: lxml_html.HtmlElement, meta: PageMeta) -> None:
    for tag in tree.iter("meta"):
        content = tag.get("content")
        if content is None:
            continue
        prop = (tag.get("property") or "").strip().lower()
        name = tag.get("name") or tag.get("itemprop") or tag.get("http-equiv") or ""
        name = name.strip().lower()
        if prop.startswith("og:") and prop[3:] not in meta.og:
            meta.og[prop[3:]] = content.strip()
        for key in {prop, name} - {""}:
            meta.meta.setdefault(key, []).append(content)


def _scope_of(el: lxml_html.HtmlElement) -> lxml_html.HtmlElement | None:
    parent = el.getparent()
    while parent is not None and parent.get("itemscope") is None:
        parent = parent.getparent()
    return parent


def _read_microdata(tree: lxml_html.HtmlElement, meta: PageMeta) -> None:
    author_scope: object = False
    for el in tree.xpath("//*[@itemprop][not(self::meta)]"):
        for prop in (el.get("itemprop") or "").split():
            value = el.get("content") or el.get("datetime")
            if prop in ("author", "creator"):
                # Only the first item's authors: later ones belong to teasers and comments.
                scope = _scope_of(el)
                if author_scope is False:
                    author_scope = scope
                elif scope is not author_scope:
                    continue
                if value is None:
                    names = el.xpath(".//*[@itemprop='name']")
                    value = (names[0].get("content") or names[0].text_content()) if names else None
            if value is None and el.tag in ("a", "link") and prop in ("url", "mainEntityOfPage"):
                value = el.get("href")
            if value is None:
                value = el.text_content()
            value = " ".join((value or "").split())
            if value and len(value) < 500:
                meta.microdata.setdefault(prop.lower(), []).append(value)


def read_metadata(tree: lxml_html.HtmlElement) -> PageMeta:
    """Collect JSON-LD, OpenGraph, meta tags and microdata from a parsed page."""
    meta = PageMeta()
    _read_jsonld(tree, meta)
    _read_meta_tags(tree, meta)
    _read_microdata(tree, meta)
    return meta


def jsonld_names(value: Any) -> list[str]:
    """Names from a JSON-LD author/creator value: string, Person, Organization, or a list."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, dict):
            name = item.get("name")
            if isinstance(name, list):
                name = " ".join(str(n) for n in name)
            if not name and (item.get("givenName") or item.get("familyName")):
                name = f"{item.get('givenName', '')} {item.get('familyName', '')}"
            if isinstance(name, str) and name.strip():
                names.append(name)
    return [" ".join(n.split()) for n in names if n and n.strip()]


def jsonld_text(value: Any) -> str | None:
    """A single string from a JSON-LD value that may be a list or an object with a name/url."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("name") or value.get("@id")
    if isinstance(value, str | int | float):
        text = " ".join(str(value).split())
        return text or None
    return None
