"""Main text: trafilatura finds the article block, then we drop the chrome it lets through."""

from __future__ import annotations

import bisect
import html as html_lib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import trafilatura
from lxml import etree
from lxml import html as lxml_html

from scrapers.extract.authors import fold
from scrapers.extract.dates import normalize_digits, parse_date
from scrapers.extract.nodes import attribute_owners

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
    "key points", "key takeaways", "latest videos", "related videos", "more videos",
    "कॉपी लिंक", "लिंक कॉपी करें",
    "विज्ञापन", "اشتہار", "বিজ্ঞাপন", "यह भी पढ़ें", "ये भी पढ़ें", "इसे भी पढ़ें",
    "यो पनि पढ्नुहोस्", "আরও পড়ুন", "আরো পড়ুন", "مزید پڑھیں", "یہ بھی پڑھیں",
    "शेयर करें", "शेयर", "सेयर", "सेयर गर्नुहोस्", "শেয়ার করুন", "শেয়ার", "شیئر کریں", "شیئر",
    "हमें फॉलो करें", "আমাদের ফলো করুন", "ہمیں فالو کریں",
}


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


_CHROME_EXACT = {_nfc(word) for word in _CHROME_EXACT}  # Bengali "য়" has two spellings
_READ_MORE = re.compile(
    r"^\s*(?:read\s+more|also\s+read|read\s+also|must\s+read|related|recommended|see\s+also"
    r"|more\s+on\s+this|click\s+here|यह भी पढ़ें|ये भी पढ़ें|इसे भी पढ़ें|"
    r"यो पनि पढ्नुहोस्|আরও পড়ুন|আরো পড়ুন|مزید پڑھیں|یہ بھی پڑھیں)\s*[:|>»\-–—]",
    re.I,
)
_COMMENT_FORM = re.compile(
    r"^(?:leave\s+a\s+(?:reply|comment)|reply\s+from|post\s+a\s+comment|add\s+(?:a\s+)?comment"
    r"|your\s+email\s+address\s+will\s+not\s+be\s+published|required\s+fields\s+are\s+marked"
    r"|save\s+my\s+name,\s+email|comments?\s*\(\d+\)\W*$|\d+\s+comments?\W*$"
    r"|name\s*\*|email\s*\*"
    r"|you\s+must\s+be\s+logged\s+in\s+to\s+post|join\s+(?:our|the)\s+(?:commenting|conversation)"
    r"|.{0,80}\bbefore\s+commenting\b)",
    re.I,
)
# A sign-up box speaks to the reader: it opens with "Sign up"/"Subscribe" (perhaps after a label),
# asks the reader to sign up for "our" list, or names their inbox; a sentence that reports on a
# newsletter or a subscription does neither.
_NEWSLETTER = re.compile(
    r"(?:^|^[^.:]{1,40}:\s*)(?:sign\s+up|subscribe)\b"
    r"|^(?:enjoy|get|try|receive|join|don'?t\s+miss)\s+our\s+(?:[\w'’-]+\s+){0,3}newsletters?\b"
    r"|^our\s+(?:[\w'’-]+\s+){0,3}newsletters?\b"
    r"|\b(?:sign|signing)\s+up\s+(?:for|to)\s+our\b|\bby\s+signing\s+up\b"
    r"|\b(?:delivered\s+to|in|to)\s+your\s+inbox\b|\bunsubscribe\s+at\s+any\s+time\b"
    r"|\bprivacy\s+policy\s+and\s+terms\b",
    re.I,
)
_REPORTED = re.compile(r"\b(?:said|says|told|added)\b")  # a quote, not the page speaking
_CREDIT = re.compile(
    r"^[(\[]?\s*(?:file\s+)?(?:photo|photograph|picture|image|pic|credit|courtesy|illustration)s?"
    r"(?:\s+(?:credit|courtesy|by))?\s*[:|/\-–—]\s*(?P<rest>\S.*)$"
    r"|^[(\[]?\s*file\s+photo\s*[)\]]?\.?$",
    re.I,
)
# "Watch: Flood waters rise in Multan": a label in front of a video or audio teaser's title.
_MEDIA_LABEL = re.compile(r"^\s*(?:watch|listen)\s*[:|>»\-–—]\s*(?P<rest>\S.*)$", re.I)
# Lower-case words that may sit inside a credit or a title of names ("AFP via Getty Images").
_CREDIT_JOINERS = {"via", "for", "and", "of", "the", "de", "da", "van", "von", "und", "et", "y"}
_SOCIAL_ONLY = re.compile(
    r"^(?:(?:share(?:\s+on)?|facebook|twitter|x|whatsapp|linkedin|telegram|email|e-mail|print"
    r"|copy\s+link|pinterest|reddit|messenger|sms)\W*\s*)+$",
    re.I,
)


_CAPTION_CREDIT = re.compile(
    r"(?:\b(?:photo|photograph|image|picture|credit|illustration)s?\s*(?:by|credit)?\s*:"
    r"\s*(?P<rest>[^.:]{2,90})|\((?:photo|image|file)[^)]{0,80}\))\s*$",
    re.I,
)
_BROWSER_NOTICE = re.compile(
    r"\b(?:you\s+are\s+using\s+(?:a|an)\s+(?:outdated\s+)?browser"
    r"|(?:please\s+)?(?:enable|turn\s+on)\s+javascript|javascript\s+is\s+(?:disabled|required)"
    r"|upgrade\s+your\s+browser|(?:un)?supported\s+browser)\b",
    re.I,
)
_PROMO = re.compile(
    r"\b(?:(?:may|might|could)\s+earn\s+(?:us\s+)?(?:an?\s+)?(?:affiliate\s+)?commission"
    r"|log\s+in\s+or\s+(?:create|register)\b|create\s+an?\s+(?:free\s+)?account\s+to\s+continue"
    r"|subscription\s+today|by\s+submitting\s+your\s+(?:information|details|email))",
    re.I,
)
_CALL_OUT = re.compile(
    r"(?:\bget\s+in\s+touch\b|\bemail\s+us\b|\bcontact\s+us\b|\btell\s+us\b).{0,80}\S+@\S+\.\w+"
    r"|^this\s+is\s+an?\s+(?:breaking|developing)\s+(?:news\s+)?story\b"
    r"|^this\s+(?:news\s+)?story\s+is\s+(?:developing|breaking|being\s+updated)\b"
    r"|(?:^|[-–—…:]\s*)more\s+to\s+follow\W*$",  # "..., with more to follow." is a sentence
    re.I,
)
# A relative time stamp, alone or after a name or label ("Sana Qureshi 5 minutes ago", "Updated
# 2 hours ago", "Dylan Jones5 hours ago" when the markup had no space): every word before it is
# capitalised, as in a name or a label and not in a sentence.
_AGO = re.compile(
    r"^(?:(?:[A-Z][\w'’.\-]*?|[|•·\-–—])\s*){0,5}"
    r"\d+\s*(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?)\s+ago\.?$"
)
# Script or style text that leaked into the page: a declaration or call at the start, "});" or
# "({" anywhere, a call "name(...);" at the end, or a line ending in ";" or "}" with at least three
# of {, }, = and ; in it, a brace or "=" among them. A sentence ending in ";" (a list cut short)
# has semicolons only.
_CODE = re.compile(
    r"^\s*(?:(?:var|let|const)\s+[\w$]+\s*=|function\s*[\w$]*\s*\(|(?:window|document)\.\w)"
    r"|\}\);|\(\{|[\w$]\([^()]*\);\s*$"
)
_CODE_MARKS = re.compile(r"[{}=;]")
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


# Rules that judge a block of trafilatura's tree by its links, by name (see CHROME_RULES); each
# gets the block, its text and the page URL that relative link targets are resolved against.
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


def _is_empty(text: str) -> bool:
    return not text or not any(ch.isalnum() for ch in text)


def _is_exact(text: str) -> bool:
    return fold(text) in _CHROME_EXACT or _nfc(text.casefold().strip(" .:")) in _CHROME_EXACT


def _names_only(text: str) -> bool:
    """True for a credit ("Ian West/PA Wire", "AFP via Getty Images"): no word starts lower-case
    except a joiner; an ordinary sentence after "Photo:" or "Credit:" has such words."""
    words = [w for w in re.split(r"[\s/|,&]+", text.strip(" .;)]")) if w]
    return 0 < len(words) <= 12 and all(
        not w[0].isalpha() or w[0].isupper() or w.casefold() in _CREDIT_JOINERS for w in words)


def _is_media_teaser(text: str) -> bool:
    """"Watch: Flood waters rise in Multan": a title, with a capital first word and either no
    closing stop or at most eight words. "Watch: the video shows ..." goes on as a sentence."""
    match = _MEDIA_LABEL.match(text)
    if not match:
        return False
    rest = match.group("rest")
    words = len(rest.split())
    return rest[0].isupper() and (words <= 8 or (
        words <= 14 and not rest.endswith((".", "!", "?"))))


def _is_label_line(text: str) -> bool:
    if len(text) >= 160:
        return False
    credit = _CREDIT.match(text)
    if credit and (credit.group("rest") is None or _names_only(credit.group("rest"))):
        return True
    return bool(_READ_MORE.match(text) or _SOCIAL_ONLY.match(text) or _is_media_teaser(text))


def _is_caption_credit(text: str) -> bool:
    if len(text) >= 400:
        return False
    credit = _CAPTION_CREDIT.search(text)
    return bool(credit) and (credit.group("rest") is None or _names_only(credit.group("rest")))


def _is_code(text: str) -> bool:
    if len(text) >= 400:
        return False
    return bool(_CODE.search(text)) or (
        text.endswith((";", "}")) and len(marks := _CODE_MARKS.findall(text)) >= 3
        and any(mark != ";" for mark in marks))


def _is_browser_notice(text: str) -> bool:
    return len(text) < 400 and bool(_BROWSER_NOTICE.search(text))


def _is_call_out(text: str) -> bool:
    """"Get in touch at desk@...", "This is a breaking story, more to follow"."""
    return len(text) < 200 and bool(_CALL_OUT.search(text))


def _is_promo(text: str) -> bool:
    """Affiliate disclosure, log-in wall, subscription or sign-up box."""
    return len(text) < 300 and bool(_PROMO.search(text))


def _is_relative_time(text: str) -> bool:
    """"Name 2 minutes ago": a byline with a relative time stamp."""
    return len(text) < 80 and bool(_AGO.match(text))


def _is_newsletter(text: str) -> bool:
    return (len(text) < 160 and len(text.split()) < 30 and bool(_NEWSLETTER.search(text))
            and not _REPORTED.search(text))


# Every chrome rule by name. ``is_chrome`` asks each in turn; bench/lopo.py judges each rule by
# scoring the dev sets with and without it, and tests/test_chrome_negative.py runs each against
# ordinary news sentences that none may drop.
CHROME_RULES: dict[str, Callable[[str], bool]] = {
    "empty": _is_empty,
    "exact": _is_exact,
    "label_line": _is_label_line,
    "caption_credit": _is_caption_credit,
    "code": _is_code,
    "browser_notice": _is_browser_notice,
    "call_out": _is_call_out,
    "promo": _is_promo,
    "relative_time": _is_relative_time,
    "newsletter": _is_newsletter,
}


def is_chrome(paragraph: str) -> bool:
    """True for a line that is site furniture, not article text."""
    text = paragraph.strip()
    return any(rule(text) for rule in CHROME_RULES.values())


_TEASER_TAIL = re.compile(
    r"^(?:more\s+from\b|more\s+on\s+this|more\s+stories|more\s+news|read\s+next$|up\s+next$"
    r"|you\s+(?:may|might)\s+also\s+(?:like|be\s+interested)|what\s+to\s+read\s+next)",
    re.I,
)
_TEASER_BOX = re.compile(
    r"^(?:most\s+(?:popular|read|viewed)\b|popular(?:\s+now|\s+stories)?$"
    r"|related(?:\s+(?:stories|articles|news|coverage|content))?$|recommended(?:\s+for\s+you)?$"
    r"|trending(?:\s+now)?$|editor'?s\s+picks?$|top\s+stories$"
    # the same boxes in Hindi, Nepali, Bengali and Urdu: related, more, most read, popular
    r"|(?:संबंधित|सम्बंधित|सम्बन्धित|संबन्धित)\s+(?:खबरें|ख़बरें|खबर|समाचार)$"
    r"|सबसे\s+(?:ज्यादा|ज़्यादा|अधिक)\s+पढ़ी\s+गई|लोकप्रिय$"
    r"|धेरै\s+पढिएको|সম্পর্কিত\s+(?:খবর|সংবাদ)$|আরও\s+খবর$|সর্বাধিক\s+পঠিত|জনপ্রিয়$"
    r"|متعلقہ\s+خبریں$|مزید\s+خبریں$|مقبول\s+ترین|سب\s+سے\s+زیادہ\s+پڑھی)",
    re.I,
)


def _cut_teasers(paragraphs: list[str]) -> list[str]:
    """Drop teaser blocks: a closing "More from ..." list, and "Most read" boxes mid-text."""
    out: list[str] = []
    in_box = False
    for index, para in enumerate(paragraphs):
        text = para.strip(" :.")
        short = len(text.split()) <= 7
        if short and index >= max(2, len(paragraphs) // 2) and _TEASER_TAIL.match(text):
            break
        if short and index >= 1 and _TEASER_BOX.match(text):
            in_box = True
            continue
        if in_box and len(text.split()) <= 20 and not para.rstrip().endswith(
            (".", "!", "?", '"', "”", ":", "।", "॥", "۔", "؟")  # with Devanagari/Urdu stops
        ):
            continue  # a teaser headline in the box
        in_box = False
        out.append(para)
    return out


def _is_doubled(paragraph: str) -> bool:
    """True for a teaser whose headline is printed twice in a row ("Title Title")."""
    words = paragraph.split()
    half = len(words) // 2
    return len(words) >= 6 and len(words) % 2 == 0 and words[:half] == words[half:]


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


_BIO_VERB = r"\s+(?:is|was|has|had|covers|covered|writes|wrote|reports|makes|joined|lives|spent)\b"


def _is_author_bio(paragraph: str, authors: list[str]) -> bool:
    """True for a note about the author: "Name is a reporter ...", "Name makes appearances ...",
    also under the same surname, or "A veteran journalist, First has covered ..." early on."""
    for name in authors:
        words = name.split()
        starts = [name]
        if len(words) >= 2:
            found = re.match(r"(?:[A-Z][\w'.-]*\s+){1,3}" + re.escape(words[-1]) + r"\b", paragraph)
            starts += [found.group(0)] if found else []
        for start in starts:
            if paragraph.startswith(start) and re.match(_BIO_VERB, paragraph[len(start):]):
                return True
        if len(words) >= 2 and re.match(
            r"[^.]{0,120},\s+" + re.escape(words[0]) + r"(?:\s+" + re.escape(words[-1]) + r")?"
            + _BIO_VERB, paragraph
        ):
            return True
    return False


def clean_paragraphs(paragraphs: list[str], title: str | None = None,
                     authors: list[str] | None = None, headings: tuple[str, ...] = ()
                     ) -> list[str]:
    """Drop chrome, a comment form, a closing author bio, a repeated title and meta lines on top."""
    kept = [p for p in _cut_teasers(_cut_comment_form(paragraphs))
            if not is_chrome(p) and not _is_doubled(p)]
    while kept and authors and _is_author_bio(kept[-1], authors):
        kept.pop()
    title_keys = {fold(t) for t in (title, *headings) if t}
    while kept and (is_meta_line(kept[0]) or fold(kept[0]) in title_keys
                    or (authors and _is_author_bio(kept[0], authors))):
        kept.pop(0)
    deduped: list[str] = []
    for para in kept:
        if deduped and deduped[-1] == para:
            continue
        deduped.append(para)
    return deduped


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


_NOT_MAIN = re.compile(r"comment|footer|sidebar|related|recommend|promo|newsletter|teaser|popular"
                       r"|trending|outbrain|taboola|share|social|nav|menu|caption", re.I)
_BLOCK_TAGS = ("p", "h2", "h3", "h4", "blockquote")


_HIDDEN = ("script", "style", "noscript")


def _html_text(el: lxml_html.HtmlElement) -> str:
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
            totals[parent] = totals.get(parent, 0) + len(_html_text(para))
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
    blocks = [(_html_text(el), el) for el in container if el.tag in _BLOCK_TAGS]
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
        linked = sum(len(_html_text(a)) for a in el.iter("a"))
        if len(text) < 60 or el.tag != "p" or linked > 0.5 * len(text) or is_chrome(text):
            continue
        out.insert(last + 1 + offset, text)
        offset += 1
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


def join_paragraphs(paragraphs: list[str]) -> str:
    """Paragraphs separated by one blank line."""
    return "\n\n".join(paragraphs)


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
        text = fold(_html_text(el))
        if text:
            blocks.append((text, _html_text(el)))
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
