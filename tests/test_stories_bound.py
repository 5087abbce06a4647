"""Tests for the bounded worst case of story grouping: the LSH bucket cap and its counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.test_stories import DAWN, FOLLOW_UP, NATION, TRIBUNE, wire_rows
from transforms import stories
from transforms.stories import (
    BANDS,
    CAPPED_LINKS,
    MAX_BUCKET_ROWS,
    NUM_PERM,
    StoryStats,
    add_story_ids,
    candidate_pairs,
    connected_labels,
    group_bodies,
    scored_pairs,
)


def windows(n: int, seed: int = 3, text_words: int = 2_000, width: int = 300
            ) -> tuple[list[str], np.ndarray]:
    """Bodies that all overlap: ``width``-word windows of one random text, and their starts."""
    rng = np.random.default_rng(seed)
    words = [f"w{k}" for k in rng.integers(0, 50_000, size=text_words).tolist()]
    starts = rng.integers(0, text_words - width + 1, size=n)
    return [" ".join(words[s:s + width]) for s in starts.tolist()], starts


def test_one_big_bucket_is_capped_and_counted() -> None:
    """Equal signatures make one bucket per band; each row keeps only CAPPED_LINKS partners."""
    n = MAX_BUCKET_ROWS + 36
    sig = np.zeros((n, NUM_PERM), dtype=np.uint32)
    stats = StoryStats()
    pairs = candidate_pairs(sig, stats=stats)
    kept = CAPPED_LINKS * (n - CAPPED_LINKS) + CAPPED_LINKS * (CAPPED_LINKS - 1) // 2
    assert len(pairs) == kept
    assert (pairs[:, 1] - pairs[:, 0]).max() == CAPPED_LINKS
    assert stats.candidates == kept * BANDS
    assert stats.candidates_capped == (n * (n - 1) // 2 - kept) * BANDS
    assert stats.rows_capped == n and stats.largest_bucket == n


def test_bucket_at_the_cap_proposes_every_pair() -> None:
    """A bucket of MAX_BUCKET_ROWS rows is not capped: all its pairs are proposed."""
    n = MAX_BUCKET_ROWS
    stats = StoryStats()
    pairs = candidate_pairs(np.zeros((n, NUM_PERM), dtype=np.uint32), stats=stats)
    assert len(pairs) == n * (n - 1) // 2
    assert stats.candidates_capped == 0 and stats.rows_capped == 0


def test_worst_case_is_capped_and_still_one_story() -> None:
    """2000 bodies that all overlap: the cap applies, is counted, and they form one story."""
    bodies, starts = windows(2000)
    assert np.diff(np.sort(starts)).max() < 50  # neighbours by start are near-copies
    stats = StoryStats()
    labels = group_bodies(bodies, stats=stats)
    assert stats.rows_capped > 0 and stats.candidates_capped > 0
    assert stats.largest_bucket > MAX_BUCKET_ROWS
    assert set(labels.tolist()) == {0}
    assert stats.candidates <= len(bodies) * BANDS * (MAX_BUCKET_ROWS - 1) // 2
    assert stats.pairs_checked < len(bodies) * 2  # pairs inside one story are not checked
    assert stats.pairs_same_story > stats.pairs_checked


def test_skipping_pairs_inside_a_story_keeps_the_stories(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    """With a small cap, group_bodies equals the components of every scored candidate."""
    monkeypatch.setattr(stories, "MAX_BUCKET_ROWS", 6)
    monkeypatch.setattr(stories, "CAPPED_LINKS", 2)
    bodies, _ = windows(150, seed=5, text_words=3_000, width=120)
    bodies += [DAWN, NATION, TRIBUNE, FOLLOW_UP]
    stats = StoryStats()
    labels = group_bodies(bodies, stats=stats)
    pairs, scores = scored_pairs(bodies)
    expected = connected_labels(len(bodies), pairs[scores >= stories.STORY_THRESHOLD])
    assert stats.rows_capped > 0
    assert labels.tolist() == expected.tolist()
    assert len(set(labels.tolist())) > 2


def test_normal_data_is_not_capped_and_stats_reach_add_story_ids(tmp_path: Path) -> None:
    """Wire copies: no bucket is capped; add_story_ids fills the stats it is given."""
    stats = StoryStats()
    out = add_story_ids(wire_rows(), tmp_path, stats=stats)
    assert out["story_id"].nunique() == 2
    assert stats.candidates_capped == 0 and stats.rows_capped == 0
    assert stats.pairs_checked >= 1 and stats.candidates >= stats.pairs_checked


def test_shingling_in_chunks_gives_the_same_shingles() -> None:
    """Chunked tokenising (bounded memory) yields the same hashes and offsets as one pass."""
    bodies = [DAWN, "", "two words", None, NATION, *windows(7)[0], TRIBUNE]
    whole = stories.shingle_bodies(bodies, chunk=len(bodies))  # type: ignore[arg-type]
    for chunk in (1, 3, 4):
        part = stories.shingle_bodies(bodies, chunk=chunk)  # type: ignore[arg-type]
        assert part.offsets.tolist() == whole.offsets.tolist()
        assert part.hashes.tolist() == whole.hashes.tolist()
    assert whole.sizes()[1] == 0 and whole.sizes()[2] == 1
