"""Small tree walks shared by the field extractors: attribute owners, ancestors, nodes after."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

from lxml import html as lxml_html

# Page chrome a byline, date or standfirst inside of which is not the article's own.
OUTSIDE_TEXT = frozenset({"aside", "footer", "nav"})


def attribute_owners(attributes: Iterable) -> list[lxml_html.HtmlElement]:
    """The elements owning XPath attribute results, once each, in document order.

    Selecting attribute nodes (``//@class[contains(., 'x')]``) lets libxml2 test only the
    elements that have the attribute, several times faster than ``//*[contains(@class, 'x')]``.
    """
    owners: list[lxml_html.HtmlElement] = []
    for attribute in attributes:
        owner = attribute.getparent()
        if not owners or owners[-1] is not owner:
            owners.append(owner)
    return owners


def inside(el: lxml_html.HtmlElement, tags: frozenset[str]) -> bool:
    """True when an ancestor of ``el`` has one of ``tags``."""
    return any(a.tag in tags for a in el.iterancestors())


def following_nodes(start: lxml_html.HtmlElement) -> Iterator[lxml_html.HtmlElement]:
    """Every node after ``start`` in document order (its descendants first), as iter() yields."""
    yield from start.iterdescendants()
    node: lxml_html.HtmlElement | None = start
    while node is not None:
        for sibling in node.itersiblings():
            yield sibling
            yield from sibling.iterdescendants()
        node = node.getparent()


def nodes_after(start: lxml_html.HtmlElement, limit: int) -> list[lxml_html.HtmlElement]:
    """The first ``limit`` nodes after ``start`` in document order."""
    return list(islice(following_nodes(start), limit))
