"""Live blogs: the updates of a JSON-LD ``LiveBlogPosting`` put into the text, each under its
headline, where the page prints them."""

from __future__ import annotations

import bisect
import html as html_lib

from lxml import html as lxml_html

from scrapers.extract.authors import fold
from scrapers.extract.main_block import html_text

_ENTRY_BLOCKS = ("p", "li", "blockquote", "h2", "h3", "h4")


def live_entries(objects: list[dict]) -> list[tuple[str, str]]:
    """(headline, text) of every update of a JSON-LD ``LiveBlogPosting``, in document order."""
    entries: list[tuple[str, str]] = []
    for obj in objects:
        updates = obj.get("liveBlogUpdate") if isinstance(obj, dict) else None
        own = fold(str(obj.get("headline") or "")) if updates else ""
        for update in updates if isinstance(updates, list) else [updates] if updates else []:
            if not isinstance(update, dict):
                continue
            headline, text = update.get("headline"), update.get("articleBody")
            headline = html_lib.unescape(headline).strip() if isinstance(headline, str) else ""
            text = html_lib.unescape(text).strip() if isinstance(text, str) else ""
            if fold(headline) == own:
                headline = ""  # an update titled like the whole blog has no headline of its own
            if len(text) >= 40:
                entries.append((" ".join(headline.split()), text))
    return entries


def _page_blocks(tree: lxml_html.HtmlElement) -> list[tuple[str, str]]:
    """Folded texts of the page's innermost text blocks (p, li, quote, subheading), in order."""
    blocks = []
    for el in tree.iter(*_ENTRY_BLOCKS):
        if el.xpath("ancestor::script|ancestor::noscript|ancestor::template") or any(
            True for _ in el.iterdescendants(*_ENTRY_BLOCKS)
        ):
            continue
        text = fold(html_text(el))
        if text:
            blocks.append((text, html_text(el)))
    return blocks


def fill_live_blog(paragraphs: list[str], tree: lxml_html.HtmlElement,
                   entries: list[tuple[str, str]]) -> list[str]:
    """Put every live-blog entry printed on the page into the text, each under its headline.

    ``entries`` come from the page's JSON-LD. An entry counts only where its text is printed on
    the page (the JSON-LD often lists many more updates than the page shows); its paragraphs are
    taken from the page. Entries trafilatura already has get their headline in front when it is
    missing; entries it dropped are added after the entry printed before them, in page order.
    """
    if not entries:
        return paragraphs
    blocks = _page_blocks(tree)
    joined, starts, pos = [], [], 0
    for key, _text in blocks:
        starts.append(pos)
        joined.append(key)
        pos += len(key) + 1
    page_text = "\n".join(joined)
    found: list[tuple[int, str, list[str]]] = []  # (first block, headline, page paragraphs)
    for headline, text in entries:
        body_key = fold(text)
        at = page_text.find(" ".join(body_key.split()[:10]))
        if at < 0:
            continue  # not printed on this page
        first = bisect.bisect_right(starts, at) - 1
        taken, misses, covered = [blocks[first][1]], 0, len(blocks[first][0])
        for key, raw in blocks[first + 1:]:
            if covered >= 0.95 * len(body_key) or misses >= 2:
                break
            if key in body_key:
                taken.append(raw)
                covered += len(key) + 1
                misses = 0
            else:
                misses += 1
        found.append((first, headline, taken))
    found.sort(key=lambda item: item[0])
    out = list(paragraphs)
    keys = [fold(p) for p in out]
    pending: list[str] = []  # dropped entries, waiting for the next entry trafilatura kept
    for _first, headline, taken in found:
        head_key = fold(headline)
        taken_keys = [fold(t) for t in taken]
        hits = [i for i, k in enumerate(keys) if any(t and t in k for t in taken_keys)]
        if not hits:
            pending += ([headline] if head_key else []) + taken
            continue
        pos = top = hits[0]
        if head_key:
            near = [i for i in range(max(0, pos - 2), pos + 1) if keys[i].startswith(head_key)]
            if near:
                top = near[0]
                pos = max(pos, top + 1)
            else:
                out.insert(pos, headline)
                keys.insert(pos, head_key)
                pos += 1
        out[top:top] = pending
        keys[top:top] = [fold(p) for p in pending]
        pos += len(pending)
        pending = []
        for text, key in zip(taken, taken_keys, strict=True):
            here = next((i for i in range(pos, min(len(keys), pos + 3)) if key in keys[i]), None)
            if here is not None:
                pos = here + 1
            elif not any(key in k for k in keys):
                out.insert(pos, text)  # a paragraph of the entry that trafilatura dropped
                keys.insert(pos, key)
                pos += 1
    return out + pending
