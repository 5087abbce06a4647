"""Main text: trafilatura finds the article block, then we drop the chrome it lets through."""

from __future__ import annotations

import re

import trafilatura
from lxml import etree

from scrapers.extract.authors import fold
from scrapers.extract.dates import normalize_digits, parse_date

_CHROME_EXACT = {
    "advertisement", "adsense advertisement", "advertisements", "sponsored", "ad", "ads",
    "dark mode", "light mode", "toggle dark mode", "switch to dark mode", "logo", "site logo",
    "menu", "search", "home", "close", "skip to content", "skip to main content", "subscribe",
    "sign in", "log in", "login", "register", "share", "share this", "share this article",
    "share this story", "share on", "tweet", "print", "email", "e-mail", "whatsapp", "facebook",
    "twitter", "linkedin", "telegram", "copy link", "link copied", "follow us", "comment",
    "comments", "reply", "reply from", "leave a reply", "leave a comment", "post a comment",
    "add comment", "cancel reply", "load comments", "show comments", "view comments", "report",
    "related", "related articles", "related news", "related stories", "more stories", "trending",
    "most read", "most popular", "latest news", "you may also like", "recommended",
    "scroll to continue with content", "story continues below advertisement",
    "continue reading below", "article continues below", "read more", "also read", "see also",
    "listen to this article", "file photo", "photo", "image", "video", "audio", "loading",
    "loading...", "click here", "next", "previous", "back to top", "go to top", "top",
    "विज्ञापन", "اشتہار", "বিজ্ঞাপন", "यह भी पढ़ें", "ये भी पढ़ें", "इसे भी पढ़ें",
    "यो पनि पढ्नुहोस्", "আরও পড়ুন", "আরো পড়ুন", "مزید پڑھیں", "یہ بھی پڑھیں",
}
_READ_MORE = re.compile(
    r"^\s*(?:read\s+more|also\s+read|read\s+also|must\s+read|related|recommended|see\s+also"
    r"|watch|listen|more\s+on\s+this|click\s+here|यह भी पढ़ें|ये भी पढ़ें|इसे भी पढ़ें|"
    r"यो पनि पढ्नुहोस्|আরও পড়ুন|আরো পড়ুন|مزید پڑھیں|یہ بھی پڑھیں)\s*[:|>»\-–—]",
    re.I,
)
_COMMENT_FORM = re.compile(
    r"^(?:leave\s+a\s+(?:reply|comment)|reply\s+from|post\s+a\s+comment|add\s+(?:a\s+)?comment"
    r"|your\s+email\s+address\s+will\s+not\s+be\s+published|required\s+fields\s+are\s+marked"
    r"|save\s+my\s+name,\s+email|comments?\s*\(\d+\)|\d+\s+comments?|name\s*\*|email\s*\*"
    r"|you\s+must\s+be\s+logged\s+in\s+to\s+post|join\s+(?:our|the)\s+(?:commenting|conversation)"
    r"|.{0,80}\bbefore\s+commenting\b)",
    re.I,
)
_NEWSLETTER = re.compile(
    r"\b(?:newsletters?|sign\s+up\s+(?:for|to)|subscribe\s+(?:to|now|for)|delivered\s+to\s+your\s+inbox"
    r"|by\s+signing\s+up|by\s+submitting\s+your|unsubscribe\s+at\s+any\s+time|in\s+your\s+inbox"
    r"|privacy\s+policy\s+and\s+terms)\b",
    re.I,
)
_CREDIT = re.compile(
    r"^[(\[]?\s*(?:file\s+)?(?:photo|photograph|picture|image|pic|credit|courtesy|illustration)s?"
    r"(?:\s+(?:credit|courtesy|by))?\s*[:|/\-–—]\s*\S.*$|^[(\[]?\s*file\s+photo\s*[)\]]?\.?$",
    re.I,
)
_SOCIAL_ONLY = re.compile(
    r"^(?:(?:share(?:\s+on)?|facebook|twitter|x|whatsapp|linkedin|telegram|email|e-mail|print"
    r"|copy\s+link|pinterest|reddit|messenger|sms)\W*\s*)+$",
    re.I,
)


_CAPTION_CREDIT = re.compile(
    r"(?:\b(?:photo|photograph|image|picture|credit|illustration)s?\s*(?:by|credit)?\s*:"
    r"\s*[^.:]{2,90}|\((?:photo|image|file)[^)]{0,80}\))\s*$",
    re.I,
)
_CODE = re.compile(r"[{};]\s*$|^\s*(?:var|let|const|function|window\.|document\.)\b|\}\);|\(\{")
TEASER_LINK_SHARE = 0.8


def _element_text(el: etree._Element) -> str:
    return " ".join("".join(el.itertext()).replace("\xa0", " ").split())


def _link_share(el: etree._Element, text: str) -> float:
    linked = sum(len(_element_text(ref)) for ref in el.iter("ref"))
    return linked / len(text) if text else 0.0


def tree_paragraphs(body: etree._Element) -> list[str]:
    """Paragraph texts from trafilatura's XML body; short all-link teasers are dropped."""
    out: list[str] = []
    for child in body:
        if child.tag == "list":
            items = child.findall(".//item") or [child]
            blocks = [(i, _element_text(i)) for i in items]
        elif child.tag == "table":
            blocks = [(row, " ".join(_element_text(c) for c in row)) for row in child.iter("row")]
        else:
            blocks = [(child, _element_text(child))]
        for el, text in blocks:
            if text and not (len(text) < 250 and _link_share(el, text) >= TEASER_LINK_SHARE):
                out.append(text)
    return out


def is_chrome(paragraph: str) -> bool:
    """True for a line that is site furniture, not article text."""
    text = paragraph.strip()
    if not text or not any(ch.isalnum() for ch in text):
        return True
    short = len(text) < 160
    key = fold(text)
    if key in _CHROME_EXACT or text.casefold().strip(" .:") in _CHROME_EXACT:
        return True
    if short and (_READ_MORE.match(text) or _CREDIT.match(text) or _SOCIAL_ONLY.match(text)):
        return True
    if len(text) < 400 and (_CAPTION_CREDIT.search(text) or _CODE.search(text)):
        return True
    return bool(short and _NEWSLETTER.search(text) and len(text.split()) < 30)


def _cut_comment_form(paragraphs: list[str]) -> list[str]:
    for index, para in enumerate(paragraphs):
        if index >= max(1, len(paragraphs) // 3) and _COMMENT_FORM.match(para.strip()):
            return paragraphs[:index]
    return [p for p in paragraphs if not _COMMENT_FORM.match(p.strip())]


def is_meta_line(paragraph: str) -> bool:
    """True for a short date or byline line that sits above the text ("By A B", "12 March 2024")."""
    text = paragraph.strip()
    if len(text) > 80 or len(text.split()) > 8:
        return False
    if re.match(r"(?:by|written by|reported by)\s+\S", text, re.I):
        return True
    return any(ch.isdigit() for ch in normalize_digits(text)) and parse_date(text) is not None


def _is_author_bio(paragraph: str, authors: list[str]) -> bool:
    for name in authors:
        if paragraph.startswith(name) and re.match(
            r"\s+(?:is|was|has been|covers|writes|reports)\b", paragraph[len(name):]
        ):
            return True
    return False


def clean_paragraphs(paragraphs: list[str], title: str | None = None,
                     authors: list[str] | None = None, headings: tuple[str, ...] = ()
                     ) -> list[str]:
    """Drop chrome, a comment form, a closing author bio, a repeated title and meta lines on top."""
    kept = [p for p in _cut_comment_form(paragraphs) if not is_chrome(p)]
    while kept and authors and _is_author_bio(kept[-1], authors):
        kept.pop()
    title_keys = {fold(t) for t in (title, *headings) if t}
    while kept and (is_meta_line(kept[0]) or fold(kept[0]) in title_keys):
        kept.pop(0)
    deduped: list[str] = []
    for para in kept:
        if deduped and deduped[-1] == para:
            continue
        deduped.append(para)
    return deduped


def run_trafilatura(html: str, url: str | None) -> list[str]:
    """Paragraphs of the main text as trafilatura sees it (empty list if it finds none)."""
    try:
        doc = trafilatura.bare_extraction(
            html, url=url, include_comments=False, with_metadata=False, include_tables=True,
            include_links=True,
        )
    except Exception:  # trafilatura raises assorted errors on hostile markup
        return []
    if doc is None or getattr(doc, "body", None) is None:
        return []
    return tree_paragraphs(doc.body)


def join_paragraphs(paragraphs: list[str]) -> str:
    """Paragraphs separated by one blank line."""
    return "\n\n".join(paragraphs)
