"""Leave-one-publisher-out: does each extraction rule help publishers it was not written for?

Usage::

    .venv/bin/python bench/lopo.py DATASET [DATASET ...] [--json OUT.json]

A rule is an entry of a registry the extractor itself runs on every page
(``chrome.CHROME_RULES``, ``cascade.TREE_RULES``, ``authors.NOT_A_NAME``, ``authors.PART_CLEANERS``,
``authors.OUTLET_RULES``), one phrase of the exact chrome list, or one cleanup step of the body
(a module function listed in ``STEPS`` below). The bench switches a rule off the way production
would run without it: a registry entry is removed from its dict, a phrase from the set, a step is
replaced by the function that does nothing (for the length of one measurement, then everything
is put back). Nothing in the extractor reads a switch.

1. Every page is extracted once with all rules on, while each rule records the pages where it
   fired (a predicate that answered True, a rewrite that changed its input).
2. Each rule that fired is switched off and only the pages where it fired are extracted again; on
   every other page the output cannot change.
3. For each publisher (URL host without ``www.``; one owner's sister sites together, see
   ``SAME_PUBLISHER``) the gain of a rule is the publisher's body F1 (body rules) or authors F1
   (author rules) with the rule minus without it. A rule **helps others** when its gains summed
   over every publisher except the one it helps most are > 0.
4. LOPO figure: each publisher's pages are extracted with only the rules whose gains on the
   *other* publishers (both sets pooled by host) sum to more than zero; then the whole set is
   scored. That is the figure to expect on publishers the rules never saw.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import importlib.util
import json
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.extraction import to_prediction
from scrapers.extract import article, authors, body, cascade, chrome, extract

# Sites of one owner built on one template count as one publisher: a rule that helps only them
# was still written for one page layout. (Measurement only: no extraction rule reads this.)
SAME_PUBLISHER = {
    "financialpost.com": "postmedia", "nationalpost.com": "postmedia", "o.canada.com": "postmedia",
    "ottawacitizen.com": "postmedia", "theprovince.com": "postmedia",
    "mirror.co.uk": "reach", "express.co.uk": "reach", "dailystar.co.uk": "reach",
    "9news.com.au": "nine", "nine.com.au": "nine",
}
SCORER = Path(__file__).resolve().parents[2] / "shared" / "tools" / "score_extraction.py"
BODY, AUTHORS = "body", "authors"


@dataclass
class Page:
    """One page of a dataset, with its truth and the publisher it belongs to."""

    dataset: str
    id: str
    url: str
    raw: bytes
    truth: dict[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        return (self.dataset, self.id)

    @property
    def publisher(self) -> str:
        host = (urlsplit(self.url).hostname or "").removeprefix("www.")
        return SAME_PUBLISHER.get(host, host)


@dataclass
class Rule:
    """A rule the bench can trace and switch off: ``patch(mode)`` is a context manager."""

    name: str
    metric: str
    patch: Callable[[str, Callable[[], None]], contextlib.AbstractContextManager[None]]
    fired: set[tuple[str, str]] = field(default_factory=set)


@contextlib.contextmanager
def _registry_patch(registry: dict[str, Callable[..., Any]], key: str, mode: str,
                    hit: Callable[[], None], changed: Callable[[Any, Any], bool]
                    ) -> Iterator[None]:
    """Trace (``mode='trace'``) or remove (``mode='off'``) one registry entry, then restore it."""
    saved = dict(registry)
    try:
        if mode == "off":
            del registry[key]
        else:
            original = registry[key]

            def traced(*args: Any) -> Any:
                result = original(*args)
                if changed(args, result):
                    hit()
                return result

            registry[key] = traced
        yield
    finally:
        registry.clear()
        registry.update(saved)


@contextlib.contextmanager
def _attr_patch(module: Any, attr: str, neutral: Callable[..., Any], mode: str,
                hit: Callable[[], None], changed: Callable[[Any, Any], bool]) -> Iterator[None]:
    """Trace or neutralise one module-level function, then restore it."""
    original = getattr(module, attr)
    if mode == "off":
        replacement = neutral
    else:
        def replacement(*args: Any) -> Any:
            result = original(*args)
            if changed(args, result):
                hit()
            return result
    setattr(module, attr, replacement)
    try:
        yield
    finally:
        setattr(module, attr, original)


def _predicate_fired(_args: Any, result: Any) -> bool:
    return bool(result)


def _rewrite_fired(args: Any, result: Any) -> bool:
    return result != args[0]


def _paragraphs_changed(args: Any, result: Any) -> bool:
    return list(result) != list(args[0])


# Body cleanup steps outside the chrome registry: (name, module, function, does-nothing, fired).
# The dateline split is not among them: it moves the place into its own field, it is no cleanup.
STEPS: tuple[tuple[str, Any, str, Callable[..., Any], Callable[[Any, Any], bool]], ...] = (
    ("step:comment_form", body, "_cut_comment_form", lambda ps: ps, _paragraphs_changed),
    ("step:teasers", body, "_cut_teasers", lambda ps: ps, _paragraphs_changed),
    ("step:doubled", body, "_is_doubled", lambda p: False, _predicate_fired),
    ("step:author_bio", body, "_is_author_bio", lambda p, a: False, _predicate_fired),
    ("step:meta_lines", body, "is_meta_line", lambda p: False, _predicate_fired),
    ("step:fill_from_container", article, "fill_from_container", lambda ps, main: ps,
     _paragraphs_changed),
    ("step:live_blog", article, "fill_live_blog", lambda ps, tree, entries: ps,
     _paragraphs_changed),
)


class Tracer:
    """Which page is being extracted, so a rule that fires can note it."""

    def __init__(self) -> None:
        self.page: tuple[str, str] | None = None

    def hit_for(self, rule: Rule) -> Callable[[], None]:
        def hit() -> None:
            if self.page is not None:
                rule.fired.add(self.page)
        return hit


_PHRASE_HITS: dict[str, Callable[[], None]] = {}


@contextlib.contextmanager
def _exact_phrase_patch(phrase: str, mode: str, hit: Callable[[], None]) -> Iterator[None]:
    """Trace (through ``_phrase_tracer``) or remove one phrase of the exact chrome list."""
    saved = chrome._CHROME_EXACT
    if mode == "off":
        chrome._CHROME_EXACT = saved - {phrase}
    else:
        _PHRASE_HITS[phrase] = hit
    try:
        yield
    finally:
        chrome._CHROME_EXACT = saved
        _PHRASE_HITS.pop(phrase, None)


@contextlib.contextmanager
def _phrase_tracer() -> Iterator[None]:
    """One wrapper of the exact rule that tells the phrase rules which phrase matched."""
    original = chrome.CHROME_RULES["exact"]

    def traced(text: str) -> bool:
        for key in (chrome.fold(text), chrome._nfc(text.casefold().strip(" .:"))):
            if key in chrome._CHROME_EXACT and key in _PHRASE_HITS:
                _PHRASE_HITS[key]()
                break
        return original(text)

    chrome.CHROME_RULES["exact"] = traced
    try:
        yield
    finally:
        chrome.CHROME_RULES["exact"] = original


def build_rules() -> list[Rule]:
    """Every rule the bench can judge, in the order the extractor applies them."""
    rules: list[Rule] = []

    def registry_rule(prefix: str, registry: dict[str, Any], key: str, metric: str,
                      changed: Callable[[Any, Any], bool]) -> Rule:
        return Rule(f"{prefix}:{key}", metric,
                    lambda mode, hit: _registry_patch(registry, key, mode, hit, changed))

    rules += [registry_rule("chrome", chrome.CHROME_RULES, key, BODY, _predicate_fired)
              for key in chrome.CHROME_RULES]
    rules += [registry_rule("tree", cascade.TREE_RULES, key, BODY, _predicate_fired)
              for key in cascade.TREE_RULES]
    rules += [Rule(f"exact:{phrase}", BODY,
                   lambda mode, hit, phrase=phrase: _exact_phrase_patch(phrase, mode, hit))
              for phrase in sorted(chrome._CHROME_EXACT)]
    rules += [Rule(name, BODY, lambda mode, hit, m=module, a=attr, n=neutral, c=changed:
                   _attr_patch(m, a, n, mode, hit, c))
              for name, module, attr, neutral, changed in STEPS]
    rules += [registry_rule("author_clean", authors.PART_CLEANERS, key, AUTHORS, _rewrite_fired)
              for key in authors.PART_CLEANERS]
    rules += [registry_rule("author_not_name", authors.NOT_A_NAME, key, AUTHORS,
                            _predicate_fired) for key in authors.NOT_A_NAME]
    rules += [registry_rule("author_outlet", authors.OUTLET_RULES, key, AUTHORS,
                            _predicate_fired) for key in authors.OUTLET_RULES]
    return rules


def load_pages(dataset: Path) -> list[Page]:
    """Every page of ``dataset`` that has a stored HTML file."""
    pages = []
    for line in (dataset / "truth.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        truth = json.loads(line)
        path = dataset / "pages" / f"{truth['id']}.html.gz"
        if path.exists():
            pages.append(Page(dataset.name, truth["id"], truth.get("url") or "",
                              gzip.decompress(path.read_bytes()), truth))
    return pages


def load_scorer(path: Path = SCORER) -> Any:
    """The shared scorer as a module (its metric functions are the definitions we use)."""
    spec = importlib.util.spec_from_file_location("score_extraction", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load the scorer at {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def predict(pages: list[Page], tracer: Tracer | None = None) -> dict[tuple[str, str], dict]:
    """The extractor's prediction for each page."""
    out = {}
    for page in pages:
        if tracer is not None:
            tracer.page = page.key
        out[page.key] = to_prediction(page.id, extract(page.raw, page.url, None))
    if tracer is not None:
        tracer.page = None
    return out


def score(scorer: Any, metric: str, pages: list[Page], preds: dict[tuple[str, str], dict]
          ) -> float | None:
    """Body F1 or authors F1 of ``pages`` as the shared scorer defines them (None: no truth)."""
    if metric == BODY:
        pairs = [(p.truth["body"], preds[p.key].get("body")) for p in pages if p.truth.get("body")]
        return scorer.body_scores(pairs)["body_f1"] if pairs else None
    values = [scorer.authors_f1(p.truth.get("authors"), preds[p.key].get("authors"))
              for p in pages if p.truth.get("authors") is not None and "title" in p.truth]
    return sum(values) / len(values) if values else None


@contextlib.contextmanager
def rules_off(rules: list[Rule]) -> Iterator[None]:
    """All of ``rules`` switched off together."""
    with contextlib.ExitStack() as stack:
        for rule in rules:
            stack.enter_context(rule.patch("off", lambda: None))
        yield


def by_publisher(pages: list[Page]) -> dict[tuple[str, str], list[Page]]:
    """(dataset, publisher) -> pages."""
    groups: dict[tuple[str, str], list[Page]] = defaultdict(list)
    for page in pages:
        groups[(page.dataset, page.publisher)].append(page)
    return groups


def judge(pages: list[Page], scorer: Any) -> dict[str, Any]:
    """Trace, switch each rule off, and compute gains, verdicts and the LOPO figures."""
    rules = build_rules()
    tracer = Tracer()
    with contextlib.ExitStack() as stack:
        for rule in rules:
            stack.enter_context(rule.patch("trace", tracer.hit_for(rule)))
        stack.enter_context(_phrase_tracer())
        base = predict(pages, tracer)
    groups = by_publisher(pages)
    gains: dict[str, dict[tuple[str, str], float]] = {}
    for rule in rules:
        if not rule.fired:
            continue
        with rules_off([rule]):
            changed = predict([p for p in pages if p.key in rule.fired])
        preds = {**base, **changed}
        gains[rule.name] = {}
        for group, members in groups.items():
            if not any(p.key in rule.fired for p in members):
                continue
            with_rule, without = (score(scorer, rule.metric, members, base),
                                  score(scorer, rule.metric, members, preds))
            if with_rule is not None and without is not None:
                gains[rule.name][group] = with_rule - without
    verdicts = {rule.name: _verdict(rule, gains.get(rule.name, {})) for rule in rules}
    lopo = _lopo(pages, rules, gains, base, scorer, groups)
    sets = sorted({p.dataset for p in pages})
    overall = {s: {m: score(scorer, m, [p for p in pages if p.dataset == s], base)
                   for m in (BODY, AUTHORS)} for s in sets}
    return {"overall": overall, "lopo": lopo, "verdicts": verdicts}


def _pooled(gains: dict[tuple[str, str], float]) -> dict[str, float]:
    """Gains per publisher with both sets pooled (a publisher may appear in both)."""
    pooled: dict[str, float] = defaultdict(float)
    for (_dataset, publisher), gain in gains.items():
        pooled[publisher] += gain
    return pooled


def _verdict(rule: Rule, gains: dict[tuple[str, str], float]) -> dict[str, Any]:
    pooled = {k: v for k, v in _pooled(gains).items() if abs(v) > 1e-9}
    helped = sorted((k for k, v in pooled.items() if v > 0), key=lambda k: -pooled[k])
    hurt = sorted((k for k, v in pooled.items() if v < 0), key=lambda k: pooled[k])
    top = helped[0] if helped else None
    others = sum(v for k, v in pooled.items() if k != top)
    if not rule.fired:
        verdict = "never fires"
    elif not pooled:
        verdict = "no effect"
    elif others > 1e-9:
        verdict = "helps others"
    elif top is not None:
        verdict = "one publisher only"
    else:
        verdict = "only hurts"
    return {"metric": rule.metric, "fired_pages": len(rule.fired), "verdict": verdict,
            "helped": {k: round(pooled[k], 4) for k in helped},
            "hurt": {k: round(pooled[k], 4) for k in hurt},
            "gain_elsewhere": round(others, 4)}


def _lopo(pages: list[Page], rules: list[Rule], gains: dict[str, dict[tuple[str, str], float]],
          base: dict[tuple[str, str], dict], scorer: Any,
          groups: dict[tuple[str, str], list[Page]]) -> dict[str, dict[str, float | None]]:
    """Each publisher's pages with only the rules that other publishers justify; then scores."""
    preds = dict(base)
    pooled = {rule.name: _pooled(gains.get(rule.name, {})) for rule in rules}
    for (_dataset, publisher), members in groups.items():
        off = [rule for rule in rules if rule.fired and sum(
            v for k, v in pooled[rule.name].items() if k != publisher) <= 1e-9]
        fired = {key for rule in off for key in rule.fired}
        rerun = [p for p in members if p.key in fired]
        if rerun:
            with rules_off(off):
                preds.update(predict(rerun))
    sets = sorted({p.dataset for p in pages})
    return {s: {m: score(scorer, m, [p for p in pages if p.dataset == s], preds)
                for m in (BODY, AUTHORS)} for s in sets}


def print_report(result: dict[str, Any]) -> None:
    """Overall and LOPO figures, then one line a rule that fired."""
    print(f"{'set':12} {'metric':8} {'overall':>8} {'LOPO':>8}")
    for dataset, figures in result["overall"].items():
        for metric, value in figures.items():
            lopo = result["lopo"][dataset][metric]
            if value is not None:
                print(f"{dataset:12} {metric:8} {value:8.4f} {lopo:8.4f}")
    print()
    print(f"{'rule':40} {'metric':7} {'pages':>5}  verdict             helped / hurt")
    for name, v in result["verdicts"].items():
        if v["verdict"] == "never fires":
            continue
        helped = ", ".join(f"{k} {g:+.4f}" for k, g in v["helped"].items())
        hurt = ", ".join(f"{k} {g:+.4f}" for k, g in v["hurt"].items())
        print(f"{name[:40]:40} {v['metric']:7} {v['fired_pages']:5}  {v['verdict']:19} "
              f"+[{helped}] -[{hurt}]")


def main(argv: list[str] | None = None) -> int:
    """Judge every rule on the given datasets and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", type=Path, nargs="+")
    parser.add_argument("--json", type=Path, help="also write the full result as JSON")
    parser.add_argument("--scorer", type=Path, default=SCORER)
    args = parser.parse_args(argv)
    pages = [page for dataset in args.datasets for page in load_pages(dataset)]
    if not pages:
        print("no pages", file=sys.stderr)
        return 1
    result = judge(pages, load_scorer(args.scorer))
    print_report(result)
    if args.json:
        serial = {**result, "verdicts": result["verdicts"]}
        args.json.write_text(json.dumps(serial, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
