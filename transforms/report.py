"""The per-run report: a ``run_reports`` table row per source and one self-contained HTML file.

``<lake>/reports/date=YYYY-MM-DD/report.html`` has no external CSS, JS, fonts or images: the
chart of articles per day is inline SVG built from the lake's partition footers.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

from transforms.lake import (
    LOCK_TIMEOUT_S,
    LakeLocation,
    check_date,
    lake_location,
    merge_run_reports,
    read_articles,
    read_run_reports,
)
from transforms.quality import GateResult, partition_rows, source_counts
from transforms.schema import ARTICLE_COLUMNS, RUN_REPORT_COLUMNS

REPORTS_DIR = "reports"
REPORT_FILE = "report.html"
CHART_DAYS = 30
PALETTE = ("#1b6ca8", "#e07b39", "#3a9d5d", "#b8405e", "#7d5ba6", "#8c6d31", "#2a9d8f",
           "#6c757d")


def report_key(loc: LakeLocation, day: date) -> str:
    """Filesystem path of ``<lake>/reports/date=YYYY-MM-DD/report.html`` in the lake."""
    return loc.join(REPORTS_DIR, f"date={check_date(day)}", REPORT_FILE)


def report_uri(day: date, root: str | Path | LakeLocation | None = None) -> str:
    """Where a day's report is: a ``file://`` URI on a local lake, else the store's URI."""
    loc = lake_location(root)
    key = report_key(loc, day)
    if loc.local:
        return "file://" + quote(str(loc.local_path(key).resolve()), safe="/=")
    return f"{loc.uri}/{loc.relative(key)}"


def status_for(source: str, summary: dict[str, Any], gate: GateResult | None) -> str:
    """``failed`` when the crawl failed, ``partial`` when the gate failed, else ``ok``."""
    if source in summary.get("crawl_failed", {}):
        return "failed"
    return "partial" if gate is not None and not gate.passed else "ok"


def report_frame(sources: list[str], day: date, run_id: str, summary: dict[str, Any],
                 gates: dict[str, GateResult], now: datetime | None = None) -> pd.DataFrame:
    """One RUN_REPORT_COLUMNS row per source of the run."""
    created = pd.Timestamp(now or datetime.now(UTC)).as_unit("us")
    rows = []
    for source in sources:
        crawl, written = source_counts(summary, source)
        gate = gates.get(source)
        rows.append({
            "run_id": run_id, "date": day, "source": source,
            "found": int(crawl.get("candidates", 0)),
            "fetched": int(crawl.get("fetched", 0)),
            "staged": int(crawl.get("staged", 0)),
            "written": int(written.get("inserted", 0)) + int(written.get("updated", 0)),
            "duplicates": int(written.get("duplicates", 0)),
            "quarantined": int(written.get("quarantined", 0)),
            "robots_refused": int(crawl.get("robots_refused", 0)),
            "errors": int(crawl.get("article_errors", 0)) + int(crawl.get("documents_failed", 0)),
            "complete_share": gate.complete_share if gate is not None else None,
            "status": status_for(source, summary, gate),
            "created_at": created,
        })
    frame = pd.DataFrame(rows, columns=[c.name for c in RUN_REPORT_COLUMNS])
    frame["complete_share"] = frame["complete_share"].astype("float64")
    return frame


def is_filled(value: Any) -> bool:
    """Not null, not a blank string, not an empty list or map."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return False
    if isinstance(value, str):
        return value.strip() != ""
    if hasattr(value, "__len__"):
        return len(value) > 0
    return True


def field_completeness(articles: pd.DataFrame, sources: list[str]) -> pd.DataFrame:
    """Share of filled values per article column (rows) for each source and ``all`` (columns)."""
    names = [c.name for c in ARTICLE_COLUMNS]
    groups = {s: articles[articles["source"] == s] for s in sources}
    groups["all"] = articles[articles["source"].isin(sources)]
    data = {}
    for label, part in groups.items():
        data[label] = [
            float(part[name].map(is_filled).mean()) if len(part) else float("nan")
            for name in names
        ]
    return pd.DataFrame(data, index=names)


def daily_counts(sources: list[str], day: date, days: int = CHART_DAYS,
                 root: str | Path | LakeLocation | None = None) -> pd.DataFrame:
    """Lake rows per day (index, oldest first) and source (columns) for ``days`` days to ``day``."""
    window = [day - timedelta(days=n) for n in range(days - 1, -1, -1)]
    counts = partition_rows(sources, window, root)
    data = {s: [counts.get((d, s), 0) for d in window] for s in sources}
    return pd.DataFrame(data, index=window, columns=sources, dtype="int64")


def nice_ceiling(value: int) -> int:
    """A round axis maximum at or above ``value`` (at least 1)."""
    if value <= 5:
        return max(value, 1)
    step = 10 ** (len(str(value)) - 1)
    for factor in (1, 2, 5, 10):
        if value <= factor * step:
            return factor * step
    return 10 * step


def render_chart(counts: pd.DataFrame, day: date) -> str:
    """Stacked bars of articles per day and source as an inline SVG element."""
    width, height, left, bottom, top = 760, 180, 40, 28, 12
    plot_w, plot_h = width - left - 10, height - bottom - top
    totals = counts.sum(axis=1) if len(counts.columns) else pd.Series(0, index=counts.index)
    ymax = nice_ceiling(int(totals.max()) if len(totals) else 0)
    slot = plot_w / max(len(counts.index), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="Articles per day, last {len(counts.index)} days">']
    for tick in (0, ymax / 2, ymax):
        y = top + plot_h - plot_h * tick / ymax
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" '
                     'stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" '
                     f'font-size="11" fill="#555">{tick:g}</text>')
    for i, when in enumerate(counts.index):
        x = left + i * slot + slot * 0.15
        base = top + plot_h
        for j, source in enumerate(counts.columns):
            n = int(counts.loc[when, source])
            if n == 0:
                continue
            h = plot_h * n / ymax
            base -= h
            label = html.escape(f"{when.isoformat()} {source}: {n}")
            parts.append(f'<rect x="{x:.1f}" y="{base:.1f}" width="{slot * 0.7:.1f}" '
                         f'height="{h:.1f}" fill="{PALETTE[j % len(PALETTE)]}">'
                         f"<title>{label}</title></rect>")
        if i % 5 == 0 or when == day:
            weight = ' font-weight="bold"' if when == day else ""
            parts.append(f'<text x="{x + slot * 0.35:.1f}" y="{height - 10}" font-size="10" '
                         f'text-anchor="middle" fill="#555"{weight}>{when:%m-%d}</text>')
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" '
                 'stroke="#888"/>')
    parts.append("</svg>")
    return "".join(parts)


def render_legend(sources: Iterable[str]) -> str:
    """Colour keys for the chart's sources."""
    keys = [f'<span class="key"><span class="swatch" style="background:'
            f'{PALETTE[j % len(PALETTE)]}"></span>{html.escape(s)}</span>'
            for j, s in enumerate(sources)]
    return f'<p class="legend">{" ".join(keys)}</p>'


def format_share(value: Any) -> str:
    """A 0-1 share as a percentage, or an en dash when unknown."""
    return "–" if value is None or pd.isna(value) else f"{100 * float(value):.0f}%"


def render_runs_table(frame: pd.DataFrame, rows_today: dict[str, int]) -> str:
    """The per-source counts as an HTML table."""
    head = ["source", "status", "found", "fetched", "staged", "written", "rows for the day",
            "duplicates", "quarantined", "robots-refused", "errors", "complete rows", "run"]
    out = ["<table class='runs'><thead><tr>"]
    out += [f"<th>{html.escape(h)}</th>" for h in head]
    out.append("</tr></thead><tbody>")
    for row in frame.itertuples(index=False):
        cells = [html.escape(row.source),
                 f"<span class='status {html.escape(row.status)}'>{html.escape(row.status)}</span>"]
        cells += [str(int(getattr(row, n))) for n in ("found", "fetched", "staged", "written")]
        cells.append(str(rows_today.get(row.source, 0)))
        cells += [str(int(getattr(row, n))) for n in
                  ("duplicates", "quarantined", "robots_refused", "errors")]
        cells.append(format_share(row.complete_share))
        cells.append(f"<code>{html.escape(row.run_id)}</code>")
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def render_gates(gates: dict[str, GateResult], summary: dict[str, Any]) -> str:
    """A row per source: passed or failed, then its checks (failed ones first, in red)."""
    rows = []
    for source, gate in gates.items():
        badge = "ok" if gate.passed else "failed"
        checks = "".join(
            f"<li class='{'pass' if c.passed else 'fail'}'>{html.escape(c.detail)}</li>"
            for c in sorted(gate.checks, key=lambda c: c.passed)
        )
        rows.append(f"<tr><td>{html.escape(source)}</td><td><span class='status {badge}'>"
                    f"{'passed' if gate.passed else 'failed'}</span></td>"
                    f"<td><ul class='checks'>{checks}</ul></td></tr>")
    for source, reason in summary.get("crawl_failed", {}).items():
        if source not in gates:
            rows.append(f"<tr><td>{html.escape(source)}</td><td><span class='status failed'>"
                        f"failed</span></td><td><ul class='checks'><li class='fail'>crawl "
                        f"failed: {html.escape(str(reason))}</li></ul></td></tr>")
    if not rows:
        return "<p>No checks ran.</p>"
    return ("<table class='gates'><thead><tr><th>source</th><th>gate</th><th>checks</th></tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table>")


def crawl_errors(summary: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each source's grouped crawl errors (``count``, ``kind``, first ``url`` and ``message``).

    The write task's summary carries them (``scrapers.tasks.crawl.error_digest``): the first
    few kinds of error of each crawl of the run, most frequent first.
    """
    return {source: list(groups) for source, groups in
            (summary.get("crawl_errors") or {}).items() if groups}


def render_errors(summary: dict[str, Any]) -> str:
    """The crawl errors of the run's sources: per source, each kind with its count and example."""
    errors = crawl_errors(summary)
    if not errors:
        return "<p>No crawl of this run recorded an error.</p>"
    rows = []
    for source, groups in errors.items():
        items = "".join(
            f"<li><b>{int(g['count'])} × {html.escape(str(g['kind']))}</b>, first: "
            f"<code>{html.escape(str(g.get('url') or ''))}</code> "
            f"{html.escape(str(g.get('message') or ''))}</li>" for g in groups)
        rows.append(f"<tr><td>{html.escape(source)}</td><td><ul class='checks'>{items}</ul>"
                    "</td></tr>")
    return ("<table class='errors'><thead><tr><th>source</th><th>errors (first kinds, with "
            f"counts)</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def format_errors(summary: dict[str, Any]) -> str:
    """The crawl errors as plain-text lines for the task log ('' when there are none)."""
    return "\n".join(
        f"ERRORS {source}: {int(g['count'])} x {g['kind']}, first: {g.get('url')}: "
        f"{g.get('message')}"
        for source, groups in crawl_errors(summary).items() for g in groups)


def render_completeness(table: pd.DataFrame) -> str:
    """The field-completeness table (share of filled values per column and source)."""
    out = ["<table class='fields'><thead><tr><th>column</th>"]
    out += [f"<th>{html.escape(str(c))}</th>" for c in table.columns]
    out.append("</tr></thead><tbody>")
    for name, row in table.iterrows():
        cells = "".join(f"<td>{format_share(v)}</td>" for v in row)
        out.append(f"<tr><td>{html.escape(str(name))}</td>{cells}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#222}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.meta{color:#666;margin:0 0 12px}
table{border-collapse:collapse;margin:4px 0}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right;vertical-align:top}
th{background:#f3f4f6}td:first-child,th:first-child{text-align:left;white-space:nowrap}
.status{padding:1px 6px;border-radius:3px;color:#fff;white-space:nowrap}
.ok{background:#3a9d5d}.partial{background:#e0a030}.failed{background:#c0392b}
table.gates td,table.gates th,table.errors td,table.errors th{text-align:left}
.runs td:nth-child(2),.runs th:nth-child(2){text-align:left}
ul.checks{margin:0;padding-left:16px;font-size:12px}
ul.checks li.pass{color:#666}ul.checks li.fail{color:#b02a1e;font-weight:600}
.legend .key{margin-right:14px}
.swatch{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
table.fields td{min-width:70px}
"""


def render_html(frame: pd.DataFrame, day: date, run_id: str, summary: dict[str, Any],
                gates: dict[str, GateResult], completeness: pd.DataFrame, counts: pd.DataFrame,
                rows_today: dict[str, int]) -> str:
    """The whole self-contained report page."""
    title = f"newsflow run report {day.isoformat()}"
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join([
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='meta'>run <code>{html.escape(run_id)}</code> · generated {generated}</p>",
        "<h2>Sources</h2>", render_runs_table(frame, rows_today),
        f"<h2>Articles per day, last {len(counts.index)} days</h2>",
        render_chart(counts, day), render_legend(counts.columns),
        "<h2>Quality gate</h2>", render_gates(gates, summary),
        "<h2>Crawl errors of this run</h2>", render_errors(summary),
        "<h2>Field completeness for the day</h2>",
        "<p class='meta'>Share of the day's rows whose value is filled "
        "(not null, not blank, not an empty list).</p>",
        render_completeness(completeness),
        "</body></html>",
    ])


def write_report(text: str, day: date, root: str | Path | LakeLocation | None = None) -> str:
    """Write the report all-or-nothing and return its URI.

    On a local lake: a fsynced temp file in ``<lake>/_staging`` (outside the reports directory),
    then ``os.replace``; on an object store: one upload of the final object.
    """
    loc = lake_location(root)
    with loc.lock(REPORTS_DIR, LOCK_TIMEOUT_S):
        loc.clean_scratch(f"{REPORTS_DIR}-")
        loc.write_bytes(report_key(loc, day), text.encode("utf-8"), REPORTS_DIR)
    return report_uri(day, loc)


def format_table(frame: pd.DataFrame, rows_today: dict[str, int]) -> str:
    """The per-source counts as a plain-text table for the task log."""
    header = ["source", "status", "found", "fetched", "staged", "written", "day rows", "dupes",
              "quar.", "robots", "errors", "complete"]
    lines = [header]
    for row in frame.itertuples(index=False):
        lines.append([row.source, row.status, *(str(int(getattr(row, n))) for n in
                      ("found", "fetched", "staged", "written")),
                      str(rows_today.get(row.source, 0)),
                      *(str(int(getattr(row, n))) for n in
                        ("duplicates", "quarantined", "robots_refused", "errors")),
                      format_share(row.complete_share)])
    widths = [max(len(r[i]) for r in lines) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in lines)


def day_frame(day: date, run_frame: pd.DataFrame,
              root: str | Path | LakeLocation | None = None) -> pd.DataFrame:
    """Every source's latest run_reports row for ``day``: this run's rows, then earlier runs'.

    A manual run of one source replaces only that source's row, so the day's report still shows
    the sources the run did not crawl, as their own last run left them.
    """
    stored = read_run_reports(root, dates=[day])
    others = stored[~stored["source"].isin(run_frame["source"])]
    if others.empty:
        return run_frame
    columns = [c.name for c in RUN_REPORT_COLUMNS]
    merged = pd.concat([run_frame[columns], others[columns]], ignore_index=True)
    return merged.sort_values("source", kind="stable").reset_index(drop=True)


def build_report(sources: list[str], day: date, run_id: str, summary: dict[str, Any],
                 gates: dict[str, GateResult], root: str | Path | LakeLocation | None = None
                 ) -> tuple[str, pd.DataFrame, str]:
    """Merge the run's run_reports rows and write the day's HTML; return (URI, rows, text table).

    The page and the text table cover every source with a row for the day (see ``day_frame``);
    the returned rows are this run's only.
    """
    frame = report_frame(sources, day, run_id, summary, gates)
    merge_run_reports(frame, root)
    shown = day_frame(day, frame, root)
    everyone = list(shown["source"])
    articles = read_articles(root, dates=[day], sources=everyone)
    rows_today = articles["source"].value_counts().to_dict()
    counts = daily_counts(everyone, day, CHART_DAYS, root)
    page = render_html(shown, day, run_id, summary, gates,
                       field_completeness(articles, everyone), counts, rows_today)
    return write_report(page, day, root), frame, format_table(shown, rows_today)
