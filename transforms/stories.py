"""Near-duplicate story groups: rows whose bodies are near-identical share a ``story_id``.

Method (vectorised numpy, deterministic across processes and machines):

1. Tokens: the normalised body, NFKC + casefold, punctuation and symbols turned into spaces,
   split on whitespace.  Shingles: every run of ``SHINGLE_WORDS`` (4) consecutive tokens (a
   body shorter than that is one shingle), hashed to 64 bits with a fixed-key hash.
2. MinHash: ``NUM_PERM`` (128) multiply-shift hash functions with fixed seeds; LSH with
   ``BANDS`` (64) bands of ``ROWS`` (2) proposes candidate pairs: a pair with Jaccard 0.3 is
   proposed with probability 0.998, 0.2 with 0.93, 0.05 with 0.15.  Candidates whose MinHash
   estimate is below ``MIN_ESTIMATE`` (0.15, about 3.5 standard deviations under 0.3) are
   dropped; identical ``content_hash`` values always pair.
3. Every remaining pair is checked with the exact Jaccard of its shingle sets; pairs at or
   above ``STORY_THRESHOLD`` are edges, and connected rows form one story.

Bounded worst case: pairs are made one band at a time, never for all bands at once.  A bucket
of up to ``MAX_BUCKET_ROWS`` (64) rows proposes all its pairs; a larger one (many bodies sharing
text) only pairs each row with the next ``CAPPED_LINKS`` (8) rows of the bucket, so a band
proposes at most 32 pairs per row and the whole grouping at most 2,048.  The pairs and rows the
cap skipped are counted in ``StoryStats``.  A pair whose rows are already in one story (union-
find) is not checked, since it cannot change the stories, and a pair is checked at most once.
On the 20k synthetic set the largest bucket has 10 rows, so the cap never applies there and the
stories are the same as checking every candidate.  Bodies are tokenised 2,000 at a time.

Threshold 0.3, from ``bench/dedup.py`` (20k synthetic articles: wire copies made by word
substitutions, sentence swaps, cuts and additions; hard negatives that reuse 2-4 sentences of
another story; figures in ``bench/results.md``): hard negatives reach Jaccard 0.21 at p99 and
0.26 at most, so 0.3 is the lowest threshold tried whose pairwise precision is 1.0, and it keeps
recall at 0.97 (0.25 gains 0.02 recall but admits false pairs; 0.4 loses 0.1 recall).  4-word
shingles: 3-word shingles scored higher recall on the synthetic set (0.98) but real text shares
more common 3-word phrases than generated text, which the set does not model.

Ids: a row joins the stories of its matches; the story takes the id already stored for its
earliest stored member, else the ``article_id`` of its earliest member (``published_at``, then
``article_id``).  A row that already has a stored ``story_id`` keeps it (the lake treats the
column as sticky), so re-running a batch gives the same ids.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from itertools import chain
from pathlib import Path

import numpy as np
import pandas as pd

from transforms.lake import check_date, read_articles

LOOKBACK_ENV = "NEWSFLOW_STORY_LOOKBACK_DAYS"
DEFAULT_LOOKBACK_DAYS = 7
STORY_THRESHOLD = 0.3
SHINGLE_WORDS = 4
NUM_PERM = 128
ROWS = 2
MIN_ESTIMATE = 0.15
BANDS = NUM_PERM // ROWS
MAX_BUCKET_ROWS = 64
CAPPED_LINKS = 8
CONTEXT_COLUMNS = ["article_id", "source", "body", "content_hash", "story_id", "published_at",
                   "date"]
METHOD_NOTE = (
    f"Bodies are split into {SHINGLE_WORDS}-word shingles (casefolded, punctuation removed); "
    f"MinHash LSH ({NUM_PERM} hashes, {BANDS} bands of {ROWS}) proposes pairs and the exact "
    f"Jaccard similarity of their shingle sets decides: pairs with Jaccard >= {STORY_THRESHOLD} "
    "are the same story, and connected rows share one story_id. How the threshold was chosen: "
    "bench/dedup.py builds 20k synthetic articles with wire copies (20% verbatim, the rest with "
    "up to 6% of words substituted, sentences swapped, up to 20% of sentences cut, the end cut "
    "off and new sentences added) and hard negatives (other stories reusing 2-4 sentences of "
    "an existing one). Hard negatives reached Jaccard 0.21 at the 99th percentile and 0.26 at "
    f"most, so {STORY_THRESHOLD} is the lowest threshold tried whose pairwise precision was "
    "1.0; its recall was 0.97 (exact content_hash grouping: 0.14). Figures per threshold are "
    "in bench/results.md. Matching reaches NEWSFLOW_STORY_LOOKBACK_DAYS days "
    f"(default {DEFAULT_LOOKBACK_DAYS}) before and after the batch's dates in the lake. A row's "
    "story_id is the id already stored for the earliest stored member of its group, else the "
    "article_id of the group's earliest-published member; once stored it does not change."
)

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_SHINGLE_PRIME = np.uint64(0x100000001B3)
_SEED = 20261121


@dataclass
class StoryStats:
    """Counts of one grouping: pairs proposed, pairs and rows the bucket cap skipped, checks.

    ``candidates``: pairs proposed by LSH buckets, summed over bands, plus equal-hash pairs;
    ``candidates_capped``: bucket pairs the cap did not propose, summed over bands;
    ``rows_capped``: rows that were in at least one capped bucket; ``largest_bucket``: rows in
    the largest bucket; ``pairs_same_story``: proposals skipped because both rows were already
    in one story; ``pairs_low_estimate``: dropped by the MinHash estimate; ``pairs_checked``:
    exact Jaccard computations.
    """

    candidates: int = 0
    candidates_capped: int = 0
    rows_capped: int = 0
    largest_bucket: int = 0
    pairs_same_story: int = 0
    pairs_low_estimate: int = 0
    pairs_checked: int = 0


@dataclass(frozen=True)
class Shingles:
    """Shingle hashes of many bodies in body order: ``hashes[offsets[i]:offsets[i + 1]]``."""

    hashes: np.ndarray
    offsets: np.ndarray

    def sizes(self) -> np.ndarray:
        """Number of shingles per body (repeats counted)."""
        return np.diff(self.offsets)

    def of(self, i: int) -> np.ndarray:
        """Distinct shingle hashes of body ``i``, sorted."""
        return np.unique(self.hashes[self.offsets[i]:self.offsets[i + 1]])


@cache
def _punctuation_table() -> dict[int, str]:
    """Translation table mapping punctuation and symbols (BMP) to spaces."""
    return {cp: " " for cp in range(0x10000)
            if unicodedata.category(chr(cp))[0] in ("P", "S")}


def tokenize(body: str) -> list[str]:
    """Casefolded words of a body with punctuation and symbols removed."""
    text = unicodedata.normalize("NFKC", body).casefold()
    return text.translate(_punctuation_table()).split()


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads the bits of uint64 values."""
    with np.errstate(over="ignore"):
        z = values ^ (values >> np.uint64(30))
        z = z * np.uint64(0xBF58476D1CE4E5B9)
        z = z ^ (z >> np.uint64(27))
        z = z * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _word_hashes(tokens: list[str]) -> np.ndarray:
    """Stable 64-bit hashes of tokens (hashing each distinct token once)."""
    if not tokens:
        return np.zeros(0, dtype=np.uint64)
    codes, uniques = pd.factorize(np.asarray(tokens, dtype=object))
    return pd.util.hash_array(np.asarray(uniques, dtype=object))[codes]


def shingle_bodies(bodies: Sequence[str], k: int = SHINGLE_WORDS,
                   chunk: int = 2_000) -> Shingles:
    """Distinct ``k``-word shingle hashes of each body (one shingle if shorter than ``k``).

    Bodies are tokenised ``chunk`` at a time, so only one chunk's words are Python strings.
    """
    parts = [_shingle_chunk(bodies[lo:lo + chunk], k) for lo in range(0, len(bodies), chunk)]
    if not parts:
        return Shingles(np.zeros(0, dtype=np.uint64), np.zeros(1, dtype=np.int64))
    offsets = np.zeros(len(bodies) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(np.concatenate([part.sizes() for part in parts]))
    return Shingles(np.concatenate([part.hashes for part in parts]), offsets)


def _shingle_chunk(bodies: Sequence[str], k: int) -> Shingles:
    """Shingles of a few bodies (see ``shingle_bodies``)."""
    token_lists = [tokenize(b) if isinstance(b, str) else [] for b in bodies]
    lengths = np.fromiter((len(t) for t in token_lists), dtype=np.int64, count=len(token_lists))
    words = _word_hashes(list(chain.from_iterable(token_lists)))
    ends = np.cumsum(lengths)
    starts = ends - lengths
    count = np.where(lengths > 0, np.maximum(lengths - k + 1, 1), 0)
    first = np.repeat(starts, count) + _ranks(count)
    end_of_doc = np.repeat(ends, count)
    padded = np.concatenate([words, np.zeros(k, dtype=np.uint64)])
    hashes = padded[first].copy()
    with np.errstate(over="ignore"):
        for j in range(1, k):
            inside = (first + j) < end_of_doc
            hashes = hashes * _SHINGLE_PRIME + np.where(inside, padded[first + j], np.uint64(0))
    offsets = np.zeros(len(bodies) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(count)
    return Shingles(_mix(hashes), offsets)


def _ranks(count: np.ndarray) -> np.ndarray:
    """0..count[i]-1 for each i, concatenated."""
    total = int(count.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.repeat(np.cumsum(count) - count, count)
    return np.arange(total, dtype=np.int64) - starts


def _hash_params(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """Fixed odd multipliers and offsets of the MinHash functions."""
    rng = np.random.default_rng(_SEED)
    a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    return a, b


def minhash_signatures(shingles: Shingles, num_perm: int = NUM_PERM,
                       chunk: int = 4_000_000) -> np.ndarray:
    """MinHash signature (uint32, ``num_perm`` per body; all-max for an empty body)."""
    n = len(shingles.offsets) - 1
    sig = np.full((n, num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    a, b = _hash_params(num_perm)
    docs = np.flatnonzero(shingles.sizes() > 0)
    ends = shingles.offsets[docs + 1]
    start = 0
    while start < len(docs):
        lo = shingles.offsets[docs[start]]
        stop = max(int(np.searchsorted(ends, lo + chunk, side="right")), start + 1)
        block = docs[start:stop]
        values = shingles.hashes[lo:shingles.offsets[block[-1] + 1]]
        cuts = shingles.offsets[block] - lo
        with np.errstate(over="ignore"):
            for p in range(num_perm):
                hashed = ((values * a[p] + b[p]) >> np.uint64(32)).astype(np.uint32)
                sig[block, p] = np.minimum.reduceat(hashed, cuts)
        start = stop
    return sig


def band_pairs(sig: np.ndarray, rows: int = ROWS, stats: StoryStats | None = None
               ) -> Iterator[np.ndarray]:
    """Each LSH band's candidate pairs (i < j, distinct), one band at a time, bucket cap applied.

    A bucket of up to ``MAX_BUCKET_ROWS`` rows proposes all its pairs; in a larger one each row
    is paired only with the next ``CAPPED_LINKS`` rows (in index order), and the pairs and rows
    that the cap skips are counted in ``stats``.
    """
    n, num_perm = sig.shape
    empty = np.all(sig == np.iinfo(np.uint32).max, axis=1)
    capped_rows = np.zeros(n, dtype=bool)
    for band in range(num_perm // rows):
        cols = sig[:, band * rows:(band + 1) * rows].astype(np.uint64)
        key = np.full(n, np.uint64(band), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for c in range(rows):
                key = _mix(key * _SHINGLE_PRIME + cols[:, c])
        order = np.argsort(key, kind="stable")
        order = order[~empty[order]]
        pairs = _bucket_pairs(order, key[order], capped_rows, stats)
        if len(pairs):
            yield pairs
    if stats is not None:
        stats.rows_capped = int(capped_rows.sum())


def _bucket_pairs(order: np.ndarray, sorted_keys: np.ndarray, capped_rows: np.ndarray,
                  stats: StoryStats | None) -> np.ndarray:
    """Pairs of rows in the same bucket (runs of equal sorted keys), capped per bucket."""
    m = len(order)
    if m < 2:
        return np.zeros((0, 2), dtype=np.int64)
    first = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    sizes = np.diff(np.r_[first, m])
    bucket = np.repeat(np.arange(len(first)), sizes)
    size_at = sizes[bucket]
    capped = size_at > MAX_BUCKET_ROWS
    after = size_at - 1 - (np.arange(m) - first[bucket])
    links = np.where(capped, np.minimum(after, CAPPED_LINKS), after)
    left = np.repeat(np.arange(m), links)
    right = left + 1 + _ranks(links)
    pairs = np.sort(np.stack([order[left], order[right]], axis=1), axis=1)
    if stats is not None:
        big = sizes > MAX_BUCKET_ROWS
        stats.candidates += len(pairs)
        stats.candidates_capped += int((sizes[big] * (sizes[big] - 1) // 2).sum()
                                       - links[capped].sum())
        stats.largest_bucket = max(stats.largest_bucket, int(sizes.max()))
        capped_rows[order[capped]] = True
    return pairs


def candidate_pairs(sig: np.ndarray, rows: int = ROWS, stats: StoryStats | None = None
                    ) -> np.ndarray:
    """Distinct pairs (i < j) that share a whole LSH band of their signatures, as (m, 2)."""
    n = len(sig)
    seen = np.zeros(0, dtype=np.int64)
    for pairs in band_pairs(sig, rows, stats):
        seen = _distinct(np.concatenate([seen, pairs[:, 0] * n + pairs[:, 1]]))
    return np.stack([seen // n, seen % n], axis=1)


def _unique_pairs(parts: list[np.ndarray], n: int) -> np.ndarray:
    """Distinct pairs with the smaller index first."""
    if not parts:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.concatenate(parts).astype(np.int64)
    pairs = np.sort(pairs, axis=1)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    codes = _distinct(pairs[:, 0] * n + pairs[:, 1])
    return np.stack([codes // n, codes % n], axis=1)


def _distinct(codes: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an int64 array (sort-based)."""
    codes = np.sort(codes.astype(np.int64, copy=False))
    return codes[np.r_[True, codes[1:] != codes[:-1]]] if len(codes) else codes


def _contains(sorted_codes: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Whether each of ``codes`` is in the sorted array ``sorted_codes``."""
    if not len(sorted_codes):
        return np.zeros(len(codes), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_codes, codes), len(sorted_codes) - 1)
    return sorted_codes[at] == codes


def estimates(sig: np.ndarray, pairs: np.ndarray, chunk: int = 65_536) -> np.ndarray:
    """MinHash estimate of the Jaccard similarity of each pair (computed in chunks)."""
    out = np.zeros(len(pairs), dtype=np.float64)
    for lo in range(0, len(pairs), chunk):
        part = pairs[lo:lo + chunk]
        out[lo:lo + chunk] = (sig[part[:, 0]] == sig[part[:, 1]]).mean(axis=1)
    return out


def equal_hash_pairs(content_hashes: Sequence[str | None]) -> np.ndarray:
    """Pairs of rows with the same non-null content hash (each row linked to the first)."""
    keys = pd.Series(list(content_hashes), dtype=object)
    index = pd.Series(np.arange(len(keys)), dtype=np.int64)
    first = index.groupby(keys, dropna=True).transform("min")
    linked = first.notna() & (first != index)
    return np.stack([first[linked].to_numpy(np.int64), index[linked].to_numpy()], axis=1)


def jaccard(shingles: Shingles, pairs: np.ndarray) -> np.ndarray:
    """Exact Jaccard similarity of the shingle sets of each pair."""
    sets: dict[int, np.ndarray] = {}
    return np.array([_set_jaccard(_set_of(shingles, sets, i), _set_of(shingles, sets, j))
                     for i, j in pairs.tolist()], dtype=np.float64)


def _set_of(shingles: Shingles, sets: dict[int, np.ndarray], i: int) -> np.ndarray:
    """Distinct shingles of body ``i``, computed once per ``sets`` cache."""
    found = sets.get(i)
    if found is None:
        found = sets[i] = shingles.of(i)
    return found


def _set_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two sorted distinct arrays (0 if either is empty)."""
    if not len(a) or not len(b):
        return 0.0
    common = len(np.intersect1d(a, b, assume_unique=True))
    return common / (len(a) + len(b) - common)


def scored_pairs(bodies: Sequence[str], content_hashes: Sequence[str | None] | None = None,
                 min_estimate: float = MIN_ESTIMATE, k: int = SHINGLE_WORDS
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Likely-similar pairs (LSH plus equal content hashes) and their exact Jaccard similarity.

    LSH candidates whose MinHash estimate is below ``min_estimate`` are dropped unchecked.
    """
    shingles = shingle_bodies(bodies, k)
    sig = minhash_signatures(shingles)
    pairs = candidate_pairs(sig)
    parts = [pairs[estimates(sig, pairs) >= min_estimate]]
    if content_hashes is not None:
        parts.append(equal_hash_pairs(content_hashes))
    pairs = _unique_pairs(parts, max(len(bodies), 1))
    return pairs, jaccard(shingles, pairs)


def connected_labels(n: int, edges: np.ndarray) -> np.ndarray:
    """Component label (smallest member index) of each of ``n`` nodes joined by ``edges``."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in edges.tolist():
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    return np.array([find(x) for x in range(n)], dtype=np.int64)


class _Grouping:
    """Union-find over bodies that checks a proposed pair only if it could join two stories."""

    def __init__(self, shingles: Shingles, sig: np.ndarray, threshold: float,
                 stats: StoryStats) -> None:
        """Every body in a story of its own."""
        self.shingles, self.sig, self.threshold, self.stats = shingles, sig, threshold, stats
        self.parent = list(range(len(sig)))
        self.seen = np.zeros(0, dtype=np.int64)
        self.sets: dict[int, np.ndarray] = {}

    def find(self, x: int) -> int:
        """Root (smallest member) of ``x``'s story, halving the path."""
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def roots(self) -> np.ndarray:
        """Root of every body, fully compressed."""
        roots = np.array(self.parent, dtype=np.int64)
        while True:
            up = roots[roots]
            if np.array_equal(up, roots):
                return roots
            roots = up

    def check(self, pairs: np.ndarray, min_estimate: float | None = MIN_ESTIMATE) -> None:
        """Join the stories of each new pair whose exact Jaccard reaches the threshold."""
        n = len(self.parent)
        codes = _distinct(pairs[:, 0] * n + pairs[:, 1])
        roots = self.roots()
        apart = roots[codes // n] != roots[codes % n]
        self.stats.pairs_same_story += int((~apart).sum())
        codes = codes[apart]
        codes = codes[~_contains(self.seen, codes)]
        self.seen = _distinct(np.concatenate([self.seen, codes]))
        pairs = np.stack([codes // n, codes % n], axis=1)
        if min_estimate is not None and len(pairs):
            likely = estimates(self.sig, pairs) >= min_estimate
            self.stats.pairs_low_estimate += int((~likely).sum())
            pairs = pairs[likely]
        for i, j in pairs.tolist():
            ri, rj = self.find(i), self.find(j)
            if ri == rj:
                self.stats.pairs_same_story += 1
                continue
            self.stats.pairs_checked += 1
            score = _set_jaccard(_set_of(self.shingles, self.sets, i),
                                 _set_of(self.shingles, self.sets, j))
            if score >= self.threshold:
                self.parent[max(ri, rj)] = min(ri, rj)

    def labels(self) -> np.ndarray:
        """Story label (smallest member index) of every body."""
        return self.roots()


def group_bodies(bodies: Sequence[str], threshold: float = STORY_THRESHOLD,
                 content_hashes: Sequence[str | None] | None = None,
                 stats: StoryStats | None = None, k: int = SHINGLE_WORDS) -> np.ndarray:
    """Story label per body: connected components of pairs with Jaccard >= ``threshold``.

    Pairs come band by band (bucket cap applied); a pair already in one story is not checked.
    The counts go to ``stats`` when given.
    """
    stats = StoryStats() if stats is None else stats
    shingles = shingle_bodies(bodies, k)
    sig = minhash_signatures(shingles)
    grouping = _Grouping(shingles, sig, threshold, stats)
    if content_hashes is not None:
        same = equal_hash_pairs(content_hashes)
        stats.candidates += len(same)
        if len(same):
            grouping.check(same, min_estimate=None)
    for pairs in band_pairs(sig, stats=stats):
        grouping.check(pairs)
    return grouping.labels()


def assign_story_ids(batch: pd.DataFrame, context: pd.DataFrame,
                     threshold: float = STORY_THRESHOLD, stats: StoryStats | None = None
                     ) -> pd.Series:
    """A story_id for every batch row (aligned to its index), matched against lake rows."""
    if batch.empty:
        return pd.Series([], index=batch.index, dtype=object)
    stored = _stored_ids(context)
    others = context[~context["article_id"].isin(set(batch["article_id"]))]
    nodes = pd.concat([batch[["article_id", "body", "content_hash", "published_at"]],
                       others[["article_id", "body", "content_hash", "published_at"]]],
                      ignore_index=True)
    carried = pd.concat([batch["article_id"].map(stored), others["story_id"]],
                        ignore_index=True)
    labels = group_bodies(nodes["body"].tolist(), threshold, nodes["content_hash"].tolist(),
                          stats)
    ids = _component_ids(nodes, carried, labels)
    return pd.Series(ids[: len(batch)], index=batch.index, dtype=object)


def _stored_ids(context: pd.DataFrame) -> dict[str, str]:
    """article_id -> stored non-null story_id of the lake rows."""
    known = context.dropna(subset=["story_id"])
    return dict(zip(known["article_id"], known["story_id"], strict=True))


def _component_ids(nodes: pd.DataFrame, carried: pd.Series, labels: np.ndarray) -> list[str]:
    """Per node: its carried id, else its component's earliest carried id, else earliest id."""
    frame = pd.DataFrame({"label": labels, "article_id": nodes["article_id"].to_numpy(),
                          "published_at": pd.to_datetime(nodes["published_at"], utc=True),
                          "carried": carried.astype(object).to_numpy()})
    ordered = frame.sort_values(["published_at", "article_id"], kind="mergesort",
                                na_position="last")
    earliest = dict(ordered.drop_duplicates("label")[["label", "article_id"]].to_numpy())
    with_ids = ordered[ordered["carried"].notna()].drop_duplicates("label")
    earliest_carried = dict(with_ids[["label", "carried"]].to_numpy())
    return [own if isinstance(own, str) else earliest_carried.get(label, earliest[label])
            for own, label in zip(frame["carried"], frame["label"], strict=True)]


def lookback_days() -> int:
    """Look-back in days from ``NEWSFLOW_STORY_LOOKBACK_DAYS`` (default 7)."""
    raw = os.environ.get(LOOKBACK_ENV, "").strip()
    if not raw:
        return DEFAULT_LOOKBACK_DAYS
    days = int(raw)
    if days < 0:
        raise ValueError(f"{LOOKBACK_ENV} must be >= 0, got {raw!r}")
    return days


def lookback_dates(days: Iterable[object], lookback: int) -> list[str]:
    """Every date within ``lookback`` days (before or after) of any of ``days``."""
    wanted: set[date] = set()
    for day in days:
        centre = date.fromisoformat(check_date(day))
        wanted.update(centre + timedelta(days=d) for d in range(-lookback, lookback + 1))
    return sorted(d.isoformat() for d in wanted)


def add_story_ids(df: pd.DataFrame, root: str | Path | None = None,
                  lookback: int | None = None, threshold: float = STORY_THRESHOLD,
                  stats: StoryStats | None = None) -> pd.DataFrame:
    """Rows with ``story_id`` set, matched within the batch and against the lake's look-back.

    The grouping's counts (pairs proposed, capped, checked) go to ``stats`` when given.
    """
    if df.empty:
        return df.assign(story_id=pd.Series([], index=df.index, dtype=object))
    days = lookback_days() if lookback is None else lookback
    batch_days = df["date"] if "date" in df else pd.to_datetime(df["published_at"]).dt.date
    context = read_articles(root, dates=lookback_dates(set(batch_days), days),
                            columns=CONTEXT_COLUMNS)
    return df.assign(story_id=assign_story_ids(df, context, threshold, stats))
