"""Chrome lines: the rules that tell site furniture (ads, share bars, credits, sign-up boxes) from
article text, one paragraph at a time."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from scrapers.extract.authors import fold

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
