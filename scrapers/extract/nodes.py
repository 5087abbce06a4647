"""Small tree walks shared by the field extractors: attribute owners, ancestors, nodes after."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice

from lxml import etree
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


class MarkedElements:
    """Finds the elements whose attribute contains one of some markers or equals one of some values.

    One XPath selects every value of the attributes named (``//@class | //@itemprop``) and one
    regular expression per attribute tests them: libxml2 evaluates ``contains()`` by converting
    the attribute to a string once per test, so a dozen markers in XPath cost twice as much.
    Owners come once each, in document order, as from ``attribute_owners``.
    """

    def __init__(self, contains: Mapping[str, Iterable[str]],
                 equals: Mapping[str, Iterable[str]] | None = None) -> None:
        equals = equals or {}
        names = sorted({*contains, *equals})
        self._select = etree.XPath(" | ".join(f"//@{name}" for name in names))
        self._contains = {name: re.compile("|".join(map(re.escape, markers)))
                          for name, markers in contains.items()}
        self._equals = {name: frozenset(values) for name, values in equals.items()}

    def __call__(self, tree: lxml_html.HtmlElement) -> list[lxml_html.HtmlElement]:
        """The marked elements of ``tree``."""
        owners: list[lxml_html.HtmlElement] = []
        for value in self._select(tree):
            name = value.attrname
            pattern = self._contains.get(name)
            if (pattern is not None and pattern.search(value)) or value in self._equals.get(
                name, ()
            ):
                owner = value.getparent()
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


def following_elements(start: lxml_html.HtmlElement) -> Iterator[lxml_html.HtmlElement]:
    """The elements after ``start`` and outside it, in document order: XPath's ``following::*``.

    Lazily, so the first few cost what they cost; libxml2 builds the whole axis (most of the
    page after a headline) before a ``[position() <= n]`` predicate cuts it.
    """
    node: lxml_html.HtmlElement | None = start
    while node is not None:
        for sibling in node.itersiblings():
            yield from sibling.iter(etree.Element)
        node = node.getparent()


def nodes_after(start: lxml_html.HtmlElement, limit: int) -> list[lxml_html.HtmlElement]:
    """The first ``limit`` nodes after ``start`` in document order."""
    return list(islice(following_nodes(start), limit))
