"""How far a fixed headline order can go on a ground-truthed dataset, against a per-page oracle.

Usage::

    .venv/bin/python bench/title_choice.py DATASET

For every page it reads the headline candidates the extractor knows (JSON-LD headline, og:title,
twitter:title, the first h1, ``<title>``), cleaned the way the extractor cleans them (site suffix
removed, entities unescaped).  It then prints how many truth titles each fixed order of candidates
gets right, a majority vote, and the oracle: pages where at least one candidate is right.  A wide
gap between the best fixed order and the oracle means the truth follows a per-publisher choice that
no page-level rule can make; per-source ``extraction: {title: ...}`` selectors are then the tool.
"""

from __future__ import annotations

import argparse
import collections
import html
import itertools
import json
import sys
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.extraction import load_pages
from scrapers.extract.article import parse_tree
from scrapers.extract.fields import first_h1, site_names
from scrapers.extract.metadata import jsonld_text, read_metadata
from scrapers.extract.title import strip_by_separator_match, strip_site_suffix

QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})


def normalise(text: str | None) -> str:
    """The scorer's title comparison: NFKC, whitespace folded, casefolded."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split()).casefold()


def candidates(raw: bytes, url: str) -> dict[str, str | None]:
    """Cleaned headline candidates of one page, by kind."""
    tree = parse_tree(raw.decode("utf-8", "replace"))
    meta = read_metadata(tree)
    sites, h1 = site_names(meta, url, None), first_h1(tree)
    found = {
        "jsonld": jsonld_text(meta.article.get("headline")) if meta.article else None,
        "og": meta.og.get("title"),
        "twitter": meta.first_meta("twitter:title"),
        "h1": h1,
        "title": tree.findtext(".//title"),
    }
    return {
        kind: strip_by_separator_match(strip_site_suffix(html.unescape(v), sites), h1)
        if v and v.strip() else None
        for kind, v in found.items()
    }


def vote(cands: dict[str, str | None]) -> str | None:
    """The candidate most kinds agree on (quotes folded), ties to the default order."""
    values = [v for v in cands.values() if v]
    if not values:
        return None
    counts = collections.Counter(normalise(v.translate(QUOTES)) for v in values)
    best = max(counts.values())
    return next(v for v in values if counts[normalise(v.translate(QUOTES))] == best)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    args = parser.parse_args(argv)
    truth = {}
    for line in (args.dataset / "truth.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            if row.get("title"):
                truth[row["id"]] = normalise(row["title"])
    rows = [(truth[pid], candidates(raw, url)) for pid, url, raw in load_pages(args.dataset)
            if pid in truth]
    total = len(rows)
    print(f"{total} pages with a truth title in {args.dataset.name}")
    results = []
    for order in itertools.permutations(("jsonld", "og", "h1", "title")):
        right = sum(normalise(next((c[k] for k in order if c[k]), None)) == t for t, c in rows)
        results.append((right, " > ".join(order)))
    for right, order in sorted(results, reverse=True)[:6]:
        print(f"  fixed order {order:<28} {right:>3}/{total} = {right / total:.3f}")
    right = sum(normalise(vote(c)) == t for t, c in rows)
    print(f"  majority vote {'':<27} {right:>3}/{total} = {right / total:.3f}")
    oracle = sum(any(normalise(v) == t for v in c.values() if v) for t, c in rows)
    print(f"  oracle (best candidate per page) {'':<8} {oracle:>3}/{total} = {oracle / total:.3f}")


if __name__ == "__main__":
    main()
