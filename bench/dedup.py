"""Benchmark near-duplicate story grouping (transforms/stories.py) on a synthetic set.

Usage::

    .venv/bin/python bench/dedup.py [--n 20000] [--seed 7] [--append bench/results.md]

The set is generated text: words drawn from a Zipf(1.07) vocabulary of 30,000 made-up words,
sentences of 6-28 words, articles of 8-24 sentences (about 300 words).  Stories get 0-4 copies
(55% none, 25% one, 12% two, 5% three, 3% four), each made independently from the original:

* 20% of copies are verbatim (a wire story republished unchanged);
* the others: each word substituted with probability U(0, 6%), each adjacent sentence pair
  swapped with probability 10%, each sentence removed with probability U(0, 20%), with
  probability 25% the end cut off (60-90% of sentences kept), and Poisson(1.5) fresh sentences
  inserted at random places (the outlet's own angle).  Headlines are not in the body.

Hard negatives (10% of articles): a different story on the same topic that reuses 2-4
sentences (a background paragraph or a quote) of an existing article, plus 10-20 new sentences.

It prints pairwise precision/recall/F1 of the grouping at several Jaccard thresholds, the
Jaccard distribution of true copy pairs and hard-negative pairs, the share of true pairs that
LSH did not propose, the exact ``content_hash`` baseline, and seconds per 100k articles.  The
production path (``group_bodies``: bucket cap, no check inside a story) is run as well; it
must give the same labels as the full scoring at the chosen threshold, and its counts
(``StoryStats``) are printed.

``--worst-case`` instead groups bodies that all overlap (each a 300-word window of one
2,000-word text) and prints seconds (wall and CPU), peak RSS, the stories found against the
stories the windows really form, and the counts, including what the bucket cap skipped.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from transforms.stories import (
    NUM_PERM,
    ROWS,
    SHINGLE_WORDS,
    STORY_THRESHOLD,
    StoryStats,
    connected_labels,
    group_bodies,
    jaccard,
    scored_pairs,
    shingle_bodies,
)

THRESHOLDS = (0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
VOCABULARY = 30_000
COPY_COUNTS = (0, 1, 2, 3, 4)
COPY_WEIGHTS = (0.55, 0.25, 0.12, 0.05, 0.03)
VERBATIM_SHARE = 0.2
HARD_NEGATIVE_SHARE = 0.1

Sentence = list[str]


class Generator:
    """Random words, sentences and articles from a Zipf vocabulary."""

    def __init__(self, seed: int) -> None:
        """Build the vocabulary and its word probabilities."""
        self.rng = np.random.default_rng(seed)
        letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
        lengths = self.rng.integers(2, 10, size=VOCABULARY)
        self.words = np.array(["".join(self.rng.choice(letters, size=k)) for k in lengths])
        weights = 1.0 / np.arange(1, VOCABULARY + 1) ** 1.07
        self.probs = weights / weights.sum()
        self._pool = np.zeros(0, dtype=np.int64)

    def _word_ids(self, k: int) -> np.ndarray:
        """``k`` word ids drawn from the Zipf distribution (drawn in bulk)."""
        if len(self._pool) < k:
            fresh = self.rng.choice(VOCABULARY, size=max(k, 2_000_000), p=self.probs)
            self._pool = np.concatenate([self._pool, fresh])
        out, self._pool = self._pool[:k], self._pool[k:]
        return out

    def sentences(self, count: int) -> list[Sentence]:
        """``count`` fresh sentences."""
        lengths = self.rng.integers(6, 29, size=count)
        words = self.words[self._word_ids(int(lengths.sum()))].tolist()
        out, start = [], 0
        for k in lengths.tolist():
            out.append(words[start:start + k])
            start += k
        return out

    def article(self) -> list[Sentence]:
        """A fresh article."""
        return self.sentences(int(self.rng.integers(8, 25)))

    def copy(self, base: list[Sentence]) -> list[Sentence]:
        """An edited copy: substitutions, swaps, cuts, truncation and inserted sentences."""
        rng = self.rng
        if rng.random() < VERBATIM_SHARE:
            return [list(s) for s in base]
        p_sub, p_del = rng.uniform(0, 0.06), rng.uniform(0, 0.2)
        out = []
        for sentence in base:
            if rng.random() < p_del:
                continue
            mask = rng.random(len(sentence)) < p_sub
            new = self.words[self._word_ids(int(mask.sum()))].tolist()
            edited = list(sentence)
            for pos, word in zip(np.flatnonzero(mask).tolist(), new, strict=True):
                edited[pos] = word
            out.append(edited)
        for i in range(len(out) - 1):
            if rng.random() < 0.1:
                out[i], out[i + 1] = out[i + 1], out[i]
        if rng.random() < 0.25:
            out = out[:max(1, int(len(out) * rng.uniform(0.6, 0.9)))]
        for sentence in self.sentences(int(rng.poisson(1.5))):
            out.insert(int(rng.integers(0, len(out) + 1)), sentence)
        return out or [list(base[0])]

    def hard_negative(self, base: list[Sentence]) -> list[Sentence]:
        """Another story on the same topic sharing 2-4 sentences (a paragraph) with ``base``."""
        k = min(len(base), int(self.rng.integers(2, 5)))
        start = int(self.rng.integers(0, len(base) - k + 1))
        fresh = self.sentences(int(self.rng.integers(10, 21)))
        at = int(self.rng.integers(0, len(fresh) + 1))
        return fresh[:at] + [list(s) for s in base[start:start + k]] + fresh[at:]


def render(sentences: list[Sentence]) -> str:
    """Body text: sentences capitalised with full stops, three per paragraph."""
    texts = [" ".join(s).capitalize() + "." for s in sentences]
    return "\n\n".join(" ".join(texts[i:i + 3]) for i in range(0, len(texts), 3))


def build_set(n: int, seed: int) -> tuple[list[str], np.ndarray, list[tuple[int, int]]]:
    """Bodies, their true story labels, and (hard negative, source) index pairs."""
    gen = Generator(seed)
    bodies: list[str] = []
    labels: list[int] = []
    negatives: list[tuple[int, int]] = []
    originals: list[tuple[int, list[Sentence]]] = []
    story = 0
    while len(bodies) < n:
        if originals and gen.rng.random() < HARD_NEGATIVE_SHARE:
            source, base = originals[int(gen.rng.integers(0, len(originals)))]
            negatives.append((len(bodies), source))
            bodies.append(render(gen.hard_negative(base)))
            labels.append(story)
            story += 1
            continue
        base = gen.article()
        originals.append((len(bodies), base))
        bodies.append(render(base))
        labels.append(story)
        copies = int(gen.rng.choice(COPY_COUNTS, p=COPY_WEIGHTS))
        for _ in range(min(copies, n - len(bodies))):
            bodies.append(render(gen.copy(base)))
            labels.append(story)
        story += 1
    return bodies, np.array(labels), negatives


def _pairs_in(labels: np.ndarray) -> int:
    """Number of same-label pairs."""
    sizes = np.bincount(pd.factorize(labels)[0]).astype(np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def pairwise_scores(truth: np.ndarray, predicted: np.ndarray) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1 of a predicted grouping against the truth."""
    joint = pd.factorize(pd.Series(truth).astype(str) + "/" + pd.Series(predicted).astype(str))[0]
    tp, predicted_pairs, true_pairs = _pairs_in(joint), _pairs_in(predicted), _pairs_in(truth)
    precision = tp / predicted_pairs if predicted_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def true_pairs(labels: np.ndarray) -> np.ndarray:
    """All same-label index pairs."""
    frame = pd.DataFrame({"label": labels, "i": np.arange(len(labels))})
    merged = frame.merge(frame, on="label")
    merged = merged[merged["i_x"] < merged["i_y"]]
    return merged[["i_x", "i_y"]].to_numpy()


def environment() -> str:
    """Date, cores, memory and library versions."""
    import pyarrow

    mem = "?"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kb = int(meminfo.read_text().split("\n")[0].split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"- machine: {os.cpu_count()} cores, {mem} RAM, load {load:.1f}, "
            f"Python {platform.python_version()}, numpy {np.__version__}, "
            f"pandas {pd.__version__}, pyarrow {pyarrow.__version__}")


def run(n: int, seed: int) -> str:
    """Run the benchmark and return its report as Markdown."""
    started = time.perf_counter()
    bodies, labels, negatives = build_set(n, seed)
    built = time.perf_counter() - started
    hashes = [hashlib.sha256(b.encode()).hexdigest() for b in bodies]
    start = time.perf_counter()
    pairs, scores = scored_pairs(bodies, hashes)
    scored = time.perf_counter() - start
    start = time.perf_counter()
    full = connected_labels(n, pairs[scores >= STORY_THRESHOLD])
    swept = scored + time.perf_counter() - start
    stats = StoryStats()
    start = time.perf_counter()
    grouped = group_bodies(bodies, STORY_THRESHOLD, hashes, stats)
    elapsed = time.perf_counter() - start
    lines = [f"## Near-duplicate story grouping (bench/dedup.py --n {n} --seed {seed}) — "
             f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC", "", environment(), "",
             f"Set: {len(set(labels.tolist()))} stories, {_pairs_in(labels)} true pairs, "
             f"{len(negatives)} hard negatives; generated in {built:.1f} s. "
             f"Shingles of {SHINGLE_WORDS} words, MinHash {NUM_PERM} hashes in bands of {ROWS}; "
             f"{len(pairs)} candidate pairs verified.", "",
             "| method | threshold | precision | recall | F1 |", "|---|---|---|---|---|"]
    exact = pd.factorize(pd.Series(hashes))[0]
    p, r, f = pairwise_scores(labels, exact)
    lines.append(f"| exact content_hash (baseline) | - | {p:.4f} | {r:.4f} | {f:.4f} |")
    for t in THRESHOLDS:
        p, r, f = pairwise_scores(labels, connected_labels(n, pairs[scores >= t]))
        mark = " (chosen)" if t == STORY_THRESHOLD else ""
        lines.append(f"| MinHash LSH + exact Jaccard | {t}{mark} | {p:.4f} | {r:.4f} | {f:.4f} |")
    p, r, f = pairwise_scores(labels, grouped)
    same = "identical" if np.array_equal(grouped, full) else "DIFFERENT"
    lines.append(f"| group_bodies (production: bucket cap, no check inside a story) | "
                 f"{STORY_THRESHOLD} | {p:.4f} | {r:.4f} | {f:.4f} |")
    lines += ["", f"group_bodies labels vs full scoring at {STORY_THRESHOLD}: {same}; "
              f"{format_stats(stats)}.",
              "", *similarity_report(bodies, labels, negatives, pairs, scores), "",
              f"Grouping time (group_bodies): {elapsed:.1f} s for {n} articles = "
              f"**{elapsed * 100_000 / n:.0f} s per 100k articles** "
              f"(shingling, MinHash, LSH, verification, components; text generation excluded); "
              f"full scoring of every candidate for the threshold sweep: {swept:.1f} s.",
              ""]
    return "\n".join(lines)


def similarity_report(bodies: list[str], labels: np.ndarray, negatives: list[tuple[int, int]],
                      pairs: np.ndarray, scores: np.ndarray) -> list[str]:
    """Jaccard quantiles of true pairs and hard negatives, and LSH misses."""
    shingles = shingle_bodies(bodies)
    truth = true_pairs(labels)
    true_j = jaccard(shingles, truth)
    neg = np.sort(np.array(negatives), axis=1) if negatives else np.zeros((0, 2), dtype=int)
    neg_j = jaccard(shingles, neg)
    n = len(bodies)
    found = set((pairs[:, 0] * n + pairs[:, 1]).tolist())
    codes = truth[:, 0] * n + truth[:, 1]
    missed = np.array([c not in found for c in codes.tolist()], dtype=bool)
    q = (0.01, 0.05, 0.25, 0.5)
    out = ["Exact Jaccard of true pairs: " + ", ".join(
        f"p{int(x * 100)}={np.quantile(true_j, x):.3f}" for x in q) + f", min={true_j.min():.3f}"]
    if len(neg_j):
        out.append("Exact Jaccard of hard negatives: " + ", ".join(
            f"p{int(x * 100)}={np.quantile(neg_j, x):.3f}" for x in (0.5, 0.95, 0.99))
            + f", max={neg_j.max():.3f}")
    for t in (0.2, STORY_THRESHOLD):
        above = true_j >= t
        lost = int((missed & above).sum())
        out.append(f"True pairs with Jaccard >= {t} not proposed by LSH: {lost} of "
                   f"{int(above.sum())}")
    return out


def format_stats(stats: StoryStats) -> str:
    """The counts of one grouping as ``name=value`` pairs."""
    return ", ".join(f"{name}={value:,}" for name, value in asdict(stats).items())


def build_worst_case(n: int, seed: int, text_words: int = 2_000, window: int = 300
                     ) -> tuple[list[str], np.ndarray]:
    """Bodies that all overlap (``window``-word slices of one text) and their start words."""
    gen = Generator(seed)
    words = gen.words[gen._word_ids(text_words)].tolist()
    starts = gen.rng.integers(0, text_words - window + 1, size=n)
    return [" ".join(words[s:s + window]) for s in starts.tolist()], starts


def true_window_stories(bodies: list[str], starts: np.ndarray) -> int:
    """Stories the windows form: neighbours by start join if their exact Jaccard is enough.

    A window is at least as similar to a nearer window as to a farther one, so chaining the
    windows in start order finds every component.
    """
    order = np.argsort(starts, kind="stable")
    chain = np.stack([order[:-1], order[1:]], axis=1)
    linked = jaccard(shingle_bodies(bodies), chain) >= STORY_THRESHOLD
    return int(len(bodies) - linked.sum())


def run_worst_case(n: int, seed: int) -> str:
    """Time and peak RSS of grouping bodies that all overlap (the LSH worst case)."""
    import resource

    bodies, starts = build_worst_case(n, seed)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    stats = StoryStats()
    start, cpu = time.perf_counter(), time.process_time()
    labels = group_bodies(bodies, stats=stats)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    stories = len(set(labels.tolist()))
    expected = true_window_stories(bodies, starts)
    return "\n".join([
        f"## Story grouping worst case (bench/dedup.py --worst-case --n {n} --seed {seed}) — "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC", "", environment(), "",
        f"Every body a 300-word window of one 2,000-word text: {elapsed:.1f} s "
        f"({cpu:.1f} s CPU), peak RSS {peak:.2f} GiB (before grouping {before:.2f} GiB), "
        f"{stories} stories (the windows form {expected}); {format_stats(stats)}.", ""])


def main() -> None:
    """Parse arguments, run, print and optionally append to a results file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20_000, help="articles in the synthetic set")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--append", type=Path, help="append the report to this Markdown file")
    parser.add_argument("--worst-case", action="store_true",
                        help="time grouping of bodies that all overlap instead")
    args = parser.parse_args()
    report = run_worst_case(args.n, args.seed) if args.worst_case else run(args.n, args.seed)
    print(report)
    if args.append:
        new = not args.append.exists()
        with open(args.append, "a", encoding="utf-8") as handle:
            if new:
                handle.write("# Benchmark results\n\n")
            handle.write(report + "\n")


if __name__ == "__main__":
    main()
