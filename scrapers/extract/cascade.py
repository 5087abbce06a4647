"""The trafilatura cascade: the fast pass, the full cascade when that is thin or strays from the
main container, and the paragraphs of trafilatura's tree without link teasers and policy links."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import trafilatura
from lxml import etree
from lxml import html as lxml_html

from scrapers.extract.main_block import MainBlocks, agrees_with

TEASER_LINK_SHARE = 0.8
LONG_TABLE_ROWS = 15


def _element_text(el: etree._Element) -> str:
    return " ".join("".join(el.itertext()).replace("\xa0", " ").split())


def _link_share(el: etree._Element, text: str) -> float:
    linked = sum(len(_element_text(ref)) for ref in el.iter("ref"))
    return linked / len(text) if text else 0.0


# A link to one of the outlet's own policy pages: about, standards, principles, ethics, terms ...
_POLICY_PATH = re.compile(
    r"(?:^|[/_.\-])(?:about(?:[_\-]us)?|policy|policies|standards|principles|ethics|terms"
    r"|privacy|corrections|code[_\-]of[_\-]\w+|guidelines)(?:[/_.\-]|$)",
    re.I,
)


def _is_link_teaser(el: etree._Element, text: str, base_url: str | None = None) -> bool:
    """A short block that is nearly all link: a teaser for another page."""
    return len(text) < 250 and _link_share(el, text) >= TEASER_LINK_SHARE


def _is_policy_link(el: etree._Element, text: str, base_url: str | None = None) -> bool:
    """"Our Standards: <the principles>", "Read our <ethics code>": a short line that is mostly a
    link to a policy or about page of the site, wherever the site puts it."""
    if len(text) >= 120 or _link_share(el, text) < 0.5:
        return False
    return any(_POLICY_PATH.search(urlsplit(resolve_link(base_url, ref.get("target"))).path)
               for ref in el.iter("ref"))


def resolve_link(base_url: str | None, target: str | None) -> str:
    """A link target of trafilatura's tree resolved as trafilatura would against ``base_url``.

    Trafilatura is run without the page URL, so it leaves targets as written (resolving every
    link of every page cost more than our whole policy-link rule); the few targets a rule looks
    at are resolved here, with trafilatura's own function.
    """
    if not target or not base_url:
        return target or ""
    from trafilatura.utils import safe_relative_url

    return safe_relative_url(base_url, target) or target


# Rules that judge a block of trafilatura's tree by its links, by name (see chrome.CHROME_RULES);
# each gets the block, its text and the page URL that relative link targets are resolved against.
TREE_RULES: dict[str, Callable[[etree._Element, str, str | None], bool]] = {
    "link_teaser": _is_link_teaser,
    "policy_link": _is_policy_link,
}


def tree_paragraphs(body: etree._Element, base_url: str | None = None) -> list[str]:
    """Paragraph texts from trafilatura's XML body; link teasers and policy links are dropped."""
    out: list[str] = []
    for lb in body.iter("lb"):
        lb.text = " "  # a line break inside a paragraph separates words ("Name<br>Town")
    for child in body:
        if child.tag == "list":
            items = child.findall(".//item") or [child]
            blocks = [(i, _element_text(i)) for i in items]
        elif child.tag == "table":
            rows = list(child.iter("row"))
            if len(rows) > LONG_TABLE_ROWS:
                continue  # a data listing (rankings, names, prices), not article prose
            blocks = [(row, " ".join(_element_text(c) for c in row)) for row in rows]
        else:
            blocks = [(child, _element_text(child))]
        for el, text in blocks:
            if text and not any(rule(el, text, base_url) for rule in TREE_RULES.values()):
                out.append(text)
    return out


THIN_PARAGRAPHS = 3
THIN_CHARS = 1000


def run_trafilatura(html: str | lxml_html.HtmlElement, url: str | None,
                    main: MainBlocks | None = None) -> list[str]:
    """Paragraphs of the main text as trafilatura sees it (empty list if it finds none).

    Trafilatura's main extractor runs alone first (``fast=True``). Its full cascade, which also
    runs readability and jusText and compares, runs only when that first result is thin (fewer
    than THIN_PARAGRAPHS paragraphs or THIN_CHARS characters) or, on a page with a clear main
    container ``main``, does not come mostly from it. Most article pages stop after the first
    pass, which costs about half of the full cascade.
    """
    paragraphs = _trafilatura_paragraphs(html, url, fast=True)
    if needs_full_cascade(paragraphs, main):
        paragraphs = _trafilatura_paragraphs(html, url, fast=False)
    return paragraphs


def needs_full_cascade(paragraphs: list[str], main: MainBlocks | None) -> bool:
    """True when a fast-pass result is too thin, or strays from the page's main container."""
    return is_thin(paragraphs) or (main is not None and not agrees_with(paragraphs, main))


def is_thin(paragraphs: list[str]) -> bool:
    """True for an extraction too small to trust without trafilatura's fallbacks."""
    return len(paragraphs) < THIN_PARAGRAPHS or sum(map(len, paragraphs)) < THIN_CHARS


def _trafilatura_paragraphs(html: str | lxml_html.HtmlElement, url: str | None, *, fast: bool
                            ) -> list[str]:
    try:
        # No url: trafilatura would resolve every link target against it (see resolve_link).
        doc = trafilatura.bare_extraction(
            html, url=None, include_comments=False, with_metadata=False, include_tables=True,
            include_links=True, fast=fast,
        )
    except Exception:  # trafilatura raises assorted errors on hostile markup
        return []
    if doc is None or getattr(doc, "body", None) is None:
        return []
    return tree_paragraphs(doc.body, url)
