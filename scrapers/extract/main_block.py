"""The main block: the page's own article container, to check trafilatura against and to fill
in the paragraphs it dropped."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import html as lxml_html

from scrapers.extract.authors import fold
from scrapers.extract.chrome import is_chrome

_NOT_MAIN = re.compile(r"comment|footer|sidebar|related|recommend|promo|newsletter|teaser|popular"
                       r"|trending|outbrain|taboola|share|social|nav|menu|caption", re.I)
_BLOCK_TAGS = ("p", "h2", "h3", "h4", "blockquote")


_HIDDEN = ("script", "style", "noscript")


def html_text(el: lxml_html.HtmlElement) -> str:
    if next(el.iter(*_HIDDEN), None) is None:
        parts = el.itertext()  # the same text nodes as the XPath below, without the XPath
    else:
        parts = el.xpath(
            ".//text()[not(ancestor::script or ancestor::style or ancestor::noscript)]")
    return " ".join("".join(parts).replace("\xa0", " ").split())


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = fold(text).split()
    return {tuple(words[i:i + 4]) for i in range(max(1, len(words) - 3))} if words else set()


def main_container(tree: lxml_html.HtmlElement) -> lxml_html.HtmlElement | None:
    """The element whose direct <p> children hold the most text (outside comments and chrome)."""
    totals: dict[lxml_html.HtmlElement, int] = {}
    for para in tree.iter("p"):
        parent = para.getparent()
        if parent is not None:
            totals[parent] = totals.get(parent, 0) + len(html_text(para))
    for parent, _total in sorted(totals.items(), key=lambda item: -item[1])[:3]:
        marks = " ".join(f"{a.get('class', '')} {a.get('id', '')}"
                         for a in (parent, *parent.iterancestors()))
        if parent.tag != "body" and not _NOT_MAIN.search(marks) and not parent.xpath(
            "ancestor-or-self::footer|ancestor-or-self::aside|ancestor-or-self::nav"
        ):
            return parent
    return None


@dataclass
class MainBlocks:
    """The text blocks (p, h2-h4, blockquote) directly inside the page's main container."""

    texts: list[str]
    elements: list[lxml_html.HtmlElement]
    keys: list[str]  # folded texts, for matching against extracted paragraphs
    _matched: tuple[tuple[str, ...], list[int | None]] | None = field(default=None, repr=False)

    def positions(self, paragraphs: list[str]) -> list[int | None]:
        """For each block, the index of the paragraph that contains it (None if none does).

        The last answer is kept: the fast-pass check and fill_from_container ask about the
        same paragraphs.
        """
        key = tuple(paragraphs)
        if self._matched is None or self._matched[0] != key:
            folded = [fold(p) for p in paragraphs]
            self._matched = (key, [next((i for i, k in enumerate(folded) if b and b in k), None)
                                   for b in self.keys])
        return self._matched[1]


def main_blocks(tree: lxml_html.HtmlElement) -> MainBlocks | None:
    """The main container's blocks, or None when the page has no clear main container."""
    container = main_container(tree)
    if container is None:
        return None
    blocks = [(html_text(el), el) for el in container if el.tag in _BLOCK_TAGS]
    blocks = [(text, el) for text, el in blocks if text]
    return MainBlocks([t for t, _ in blocks], [el for _, el in blocks],
                      [fold(t) for t, _ in blocks])


def _mostly_from(paragraphs: list[str], found: list[int | None]) -> bool:
    """True when the paragraphs that hold a block make up at least half of the text."""
    matched = sum(len(paragraphs[i]) for i in {f for f in found if f is not None})
    return matched >= 0.5 * sum(len(p) for p in paragraphs)


def agrees_with(paragraphs: list[str], main: MainBlocks | None) -> bool:
    """True when most of the extracted text comes from the page's main container."""
    return main is not None and bool(paragraphs) and _mostly_from(
        paragraphs, main.positions(paragraphs))


def fill_from_container(paragraphs: list[str], main: MainBlocks | None) -> list[str]:
    """Add paragraphs of the main container that trafilatura dropped, in page order.

    Only when most of trafilatura's text comes from that container (so both saw the same article);
    link-heavy and very short blocks are not added.
    """
    if main is None or not paragraphs:
        return paragraphs
    found = main.positions(paragraphs)
    if not _mostly_from(paragraphs, found):
        return paragraphs
    out = list(paragraphs)
    have = _shingles(" ".join(paragraphs))
    offset = 0
    last = -1
    for text, el, index in zip(main.texts, main.elements, found, strict=True):
        if index is not None:
            last = index
            continue
        mine = _shingles(text)
        if not mine or len(mine & have) > 0.3 * len(mine):
            continue  # already there, perhaps split or worded slightly differently
        linked = sum(len(html_text(a)) for a in el.iter("a"))
        if len(text) < 60 or el.tag != "p" or linked > 0.5 * len(text) or is_chrome(text):
            continue
        out.insert(last + 1 + offset, text)
        offset += 1
    return out
