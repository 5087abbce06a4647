"""Per-source selector overrides from the registry: CSS, or XPath when prefixed 'xpath:'."""

from __future__ import annotations

from lxml import html as lxml_html
from lxml.cssselect import CSSSelector
from lxml.etree import XPathError

from scrapers.extract.chrome import is_chrome

_ATTRS = ("content", "datetime", "href", "src", "data-src")


def select(tree: lxml_html.HtmlElement, selector: str) -> list[object]:
    """Elements (or strings, for XPath text/attribute results) matched by one selector."""
    try:
        if selector.startswith("xpath:"):
            result = tree.xpath(selector[len("xpath:"):])
            return result if isinstance(result, list) else [result]
        return CSSSelector(selector)(tree)
    except (XPathError, ValueError, SyntaxError, Exception):  # cssselect raises its own errors
        return []


def node_text(node: object) -> str:
    """Whitespace-folded text of an element or string result."""
    if isinstance(node, str):
        return " ".join(node.split())
    if isinstance(node, lxml_html.HtmlElement):
        return " ".join(node.text_content().replace("\xa0", " ").split())
    return ""


def node_value(node: object) -> str:
    """An attribute value (content, datetime, href, src) if the element has one, else its text."""
    if isinstance(node, lxml_html.HtmlElement):
        for attr in _ATTRS:
            value = node.get(attr)
            if value and value.strip():
                return value.strip()
    return node_text(node)


def select_texts(tree: lxml_html.HtmlElement, selector: str) -> list[str]:
    """Non-empty texts of every matched node."""
    return [t for t in (node_text(n) for n in select(tree, selector)) if t]


def select_values(tree: lxml_html.HtmlElement, selector: str) -> list[str]:
    """Non-empty attribute-or-text values of every matched node."""
    return [v for v in (node_value(n) for n in select(tree, selector)) if v]


def select_paragraphs(tree: lxml_html.HtmlElement, selector: str) -> list[str]:
    """Body paragraphs under the matched nodes: their p/h2-h4/li/blockquote, or the node's text."""
    out: list[str] = []
    for node in select(tree, selector):
        if not isinstance(node, lxml_html.HtmlElement):
            text = node_text(node)
            if text:
                out.append(text)
            continue
        blocks = node.xpath(".//p|.//h2|.//h3|.//h4|.//li|.//blockquote[not(.//p)]")
        texts = [node_text(b) for b in blocks] if blocks else [node_text(node)]
        out.extend(t for t in texts if t and not is_chrome(t))
    return out
