"""Example parser: an Urdu daily that prints times with a day-part word instead of AM/PM.

The page shows ``۱۲ مارچ ۲۰۲۴، ۰۳:۱۵ شام`` ("3:15 in the evening"); a selector can find the text
but cannot turn the day-part word into a 24-hour time, so this class does.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from lxml import html as lxml_html

from scrapers.extract.dates import normalize_digits, parse_date
from scrapers.parsers import Parser

if TYPE_CHECKING:
    from scrapers.extract.extracted import Extracted

# Day-part words and the hours they add to a 12-hour clock reading.
_DAY_PARTS = {"صبح": 0, "دوپہر": 12, "سہ پہر": 12, "شام": 12, "رات": 12}


class UrduDailyParser(Parser):
    """Reads the printed time in ``.news-time`` and applies the day-part word."""

    def published_at(self, tree: lxml_html.HtmlElement, extracted: Extracted) -> datetime | None:
        """Publication time from the printed Urdu date line."""
        nodes = tree.cssselect(".news-time")
        if not nodes:
            return None
        text = normalize_digits(" ".join(nodes[0].text_content().split()))
        parsed = parse_date(text.replace("،", ","), self.source.tz if self.source else None)
        if parsed is None or not parsed.has_time:
            return None
        hour = parsed.value.hour
        for word, shift in _DAY_PARTS.items():
            if re.search(word, text):
                if shift and hour < 12 and not (word == "رات" and hour < 4):
                    return parsed.value + timedelta(hours=shift)
                break
        return parsed.value
