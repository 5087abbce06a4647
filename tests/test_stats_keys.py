"""Crawl stats keys are spelled in one module, and the families build the keys readers expect."""

from __future__ import annotations

import re
from pathlib import Path

from scrapers import stats
from scrapers.tasks.crawl import summarize_stats

ROOT = Path(__file__).resolve().parent.parent
# a quoted "newsflow/<word>" in code; the user-agent strings ("newsflow/0.1") are not keys
_KEY_LITERAL = re.compile(r"""["']newsflow/[a-z_{]""")


def test_no_module_spells_out_a_stats_key() -> None:
    offenders = []
    code = [path for top in ("scrapers", "transforms", "dags")
            for path in (ROOT / top).rglob("*.py")]
    for path in sorted(code):
        if path == ROOT / "scrapers" / "stats.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _KEY_LITERAL.search(line) and "``" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "use scrapers.stats:\n" + "\n".join(offenders)


def test_families_build_the_keys_the_summary_reads() -> None:
    raw = {
        stats.under(stats.DOCUMENTS_REFUSED, "too_large"): 2,
        stats.under(stats.failed("document"), "too_large"): 1,
        stats.failed("document"): 1,
        stats.under(stats.DOCUMENTS_SKIPPED, "entries_over_limit"): 4,
        stats.under(stats.DOCUMENTS_SKIPPED, "old"): 3,
        stats.under(stats.ROBOTS_REFUSED, "article"): 5,
        stats.under(stats.ROBOTS_REFUSED, "document"): 1,
        stats.failed("article"): 7,
    }
    counts = summarize_stats(raw)
    assert counts["documents_failed"] == 3
    assert counts["documents_too_large"] == 3
    assert counts["documents_skipped"] == 7
    assert counts["entries_over_limit"] == 4
    assert counts["robots_refused"] == 6
    assert counts["article_errors"] == 7
    assert stats.failed("article") == "newsflow/articles/failed"
    assert stats.sum_under(raw, stats.DOCUMENTS_SKIPPED) == 7
