"""The run report's chart draws the lake's counts: bar heights, stacking, colours and days.

A lake with known article counts per day and source is written with the real merge, the real
report is built from it, and the SVG in the written page is read back as XML. Heights are checked
against the counts on the chart's own axis (its tick labels and gridlines), not against the
renderer's constants.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from transforms.lake import merge_articles
from transforms.normalize import normalize_articles
from transforms.report import CHART_DAYS, build_report
from transforms.validate import split_valid

DAY = date(2026, 11, 20)
SOURCES = ["indus-chronicle", "ganga-times", "padma-herald"]
SVG = "{http://www.w3.org/2000/svg}"
TOLERANCE = 0.11  # the SVG prints coordinates to 0.1 px; stacking adds two roundings
BODY = "The assembly approved the budget on Friday after a long debate in the house."


@dataclass(frozen=True)
class Bar:
    """One ``<rect>`` of the chart."""

    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str


@dataclass(frozen=True)
class Chart:
    """What a reader sees: the bars, the y axis (value -> y), the day labels, the legend."""

    bars: list[Bar]
    ticks: dict[float, float]
    labels: dict[str, float]
    legend: dict[str, str]

    @property
    def baseline(self) -> float:
        return self.ticks[0.0]

    @property
    def pixels_per_article(self) -> float:
        top = max(self.ticks)
        return (self.ticks[0.0] - self.ticks[top]) / top


def articles(counts: dict[tuple[date, str], int]) -> pd.DataFrame:
    """Valid article rows: ``n`` distinct articles for each (day, source)."""
    records = [{"url": f"https://{source}.example/news/{day:%Y%m%d}/{i}",
                "title": f"{source} {day} {i}", "body": f"{BODY} {source} {day} {i}",
                "authors": [], "published_at": f"{day.isoformat()}T{i % 24:02d}:00:00Z",
                "extractor_version": "1", "source": source, "crawled_at": "2026-11-21T00:00:00Z"}
               for (day, source), n in counts.items() for i in range(n)]
    valid, quarantine = split_valid(normalize_articles(pd.DataFrame(records), "run-1"))
    assert quarantine.empty and len(valid) == sum(counts.values())
    return valid


def read_chart(page: str) -> Chart:
    """Parse the report page's SVG chart and its legend."""
    svg = ET.fromstring(re.search(r"<svg.*?</svg>", page, re.DOTALL).group(0))
    children = list(svg)
    ticks: dict[float, float] = {}
    labels: dict[str, float] = {}
    bars = []
    for before, node in zip([None, *children], children, strict=False):
        if node.tag == f"{SVG}text" and node.get("text-anchor") == "end":
            assert before is not None and before.tag == f"{SVG}line", "a tick without gridline"
            ticks[float(node.text)] = float(before.get("y1"))
        elif node.tag == f"{SVG}text":
            labels[node.text] = float(node.get("x"))
        elif node.tag == f"{SVG}rect":
            bars.append(Bar(*(float(node.get(a)) for a in ("x", "y", "width", "height")),
                            node.get("fill"), node.find(f"{SVG}title").text))
    legend = dict((name, colour) for colour, name in re.findall(
        r'<span class="swatch" style="background:(#[0-9a-f]{6})"></span>([^<]+)</span>', page))
    return Chart(bars, ticks, labels, legend)


def chart_of(lake: Path, counts: dict[tuple[date, str], int]) -> Chart:
    """Write ``counts`` to the lake, build the day's report, read its chart back."""
    merge_articles(articles(counts), lake)
    build_report(SOURCES, DAY, "run-1", {}, {}, lake)
    page = (lake / "reports" / f"date={DAY}" / "report.html").read_text(encoding="utf-8")
    return read_chart(page)


def check_bars(chart: Chart, counts: dict[tuple[date, str], int]) -> None:
    """Every non-zero count of the window is one bar of the right height, stacked, coloured."""
    first_day = DAY - timedelta(days=CHART_DAYS - 1)
    shown = {k: n for k, n in counts.items() if n and first_day <= k[0] <= DAY}
    scale = chart.pixels_per_article
    by_key = {}
    for bar in chart.bars:
        day, source, n = re.fullmatch(r"(\S+) (\S+): (\d+)", bar.title).groups()
        by_key[(date.fromisoformat(day), source)] = bar
        assert int(n) == counts[(date.fromisoformat(day), source)]
    assert set(by_key) == set(shown), "one bar per non-zero (day, source) of the window"
    assert set(chart.legend) == set(SOURCES)
    for (day, source), n in shown.items():
        bar = by_key[(day, source)]
        assert abs(bar.height - n * scale) <= TOLERANCE, (day, source, n, bar.height, scale)
        assert bar.fill == chart.legend[source], (day, source)
    days = sorted({day for day, _ in shown})
    for day in days:
        column = [by_key[(day, s)] for s in SOURCES if (day, s) in by_key]  # bottom to top
        assert len({(b.x, b.width) for b in column}) == 1, "a day's bars share one slot"
        bottom = chart.baseline
        for bar in column:
            assert abs(bar.y + bar.height - bottom) <= TOLERANCE, (day, bar)
            bottom = bar.y
        total = sum(n for (d, _), n in shown.items() if d == day)
        assert abs(chart.baseline - bottom - total * scale) <= TOLERANCE
        assert bottom >= chart.ticks[max(chart.ticks)] - TOLERANCE, "a bar above the axis"
        label = chart.labels.get(f"{day:%m-%d}")
        if label is not None:
            assert abs(label - (column[0].x + column[0].width / 2)) <= TOLERANCE
    xs = [by_key[next((d, s) for s in SOURCES if (d, s) in by_key)].x for d in days]
    assert xs == sorted(xs) and len(set(xs)) == len(xs), "days run left to right"


def test_bar_heights_follow_the_counts(lake: Path) -> None:
    """Three outlets over the 30-day window; the axis rounds the tallest day (7) up to 10."""
    counts = {
        (DAY, "indus-chronicle"): 3, (DAY, "ganga-times"): 1, (DAY, "padma-herald"): 2,
        (DAY - timedelta(days=1), "ganga-times"): 2,
        (DAY - timedelta(days=1), "padma-herald"): 5,
        (DAY - timedelta(days=6), "indus-chronicle"): 1,
        (DAY - timedelta(days=CHART_DAYS - 1), "padma-herald"): 4,  # the window's first day
        (DAY - timedelta(days=CHART_DAYS), "indus-chronicle"): 40,  # outside the window
    }
    chart = chart_of(lake, counts)
    assert sorted(chart.ticks) == [0.0, 5.0, 10.0]
    assert chart.labels[f"{DAY:%m-%d}"] and chart.labels[f"{DAY - timedelta(days=29):%m-%d}"]
    check_bars(chart, counts)
    assert len(chart.bars) == 7


@pytest.mark.parametrize(("tallest", "axis_max"), [(4, 4), (23, 50)])
def test_axis_top_is_the_tallest_day_rounded_up(lake: Path, tallest: int, axis_max: int
                                                ) -> None:
    """Up to 5 the axis ends at the tallest day; above, at the next 1, 2 or 5 times 10^k."""
    counts = {(DAY - timedelta(days=2), "ganga-times"): tallest - 1,
              (DAY - timedelta(days=2), "indus-chronicle"): 1,
              (DAY, "padma-herald"): 1}
    chart = chart_of(lake, counts)
    assert max(chart.ticks) == axis_max
    check_bars(chart, counts)
    tallest_top = min(b.y for b in chart.bars)
    assert abs(chart.baseline - tallest_top - tallest * chart.pixels_per_article) <= TOLERANCE
