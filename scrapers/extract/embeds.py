"""Embedded social posts (tweets, Instagram, TikTok ...): found and dropped before extraction."""

from __future__ import annotations

from lxml import etree
from lxml import html as lxml_html

from scrapers.extract.nodes import attribute_owners

_EMBED_QUOTES = ("twitter-tweet", "instagram-media", "tiktok-embed", "reddit-embed",
                 "wp-embedded-content", "bluesky-embed", "threads-post", "fb-xfbml")
_EMBED_ATTRIBUTES = etree.XPath(
    "//blockquote/@class[" + " or ".join(f"contains(.,'{m}')" for m in _EMBED_QUOTES) + "]"
    " | //@class[contains(.,'fb-post')]"
)


def embeds(tree: lxml_html.HtmlElement) -> list[lxml_html.HtmlElement]:
    """Embedded social posts (tweets, Instagram, TikTok ...): quoted, not written, here."""
    found = []
    for el in attribute_owners(_EMBED_ATTRIBUTES(tree)):
        classes = el.get("class") or ""
        if (el.tag == "blockquote" and any(m in classes for m in _EMBED_QUOTES)) or (
            "fb-post" in classes.split()
        ):
            found.append(el)
    return found


def drop_embeds(tree: lxml_html.HtmlElement) -> None:
    """Remove embedded social posts from ``tree``."""
    for el in embeds(tree):
        if el.getparent() is not None:
            el.drop_tree()
