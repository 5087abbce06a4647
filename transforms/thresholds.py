"""The quality gate's thresholds model: what a source's ``quality`` registry entry may say.

It lives here, beside the gate that applies it, so the registry (``scrapers.sources``) imports
it from ``transforms`` and ``transforms`` never needs ``scrapers``.  It depends on pydantic only.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Quality(BaseModel):
    """Data-quality gate thresholds (shares are 0..1)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_complete_share: float = Field(
        0.8, ge=0, le=1,
        description="share of the day's rows with title, published_at and a long enough body",
    )
    min_body_words: int = Field(50, ge=0, description="a complete row's body has more words")
    min_rows_vs_median: float = Field(
        0.3, ge=0, description="the day's rows divided by the trailing median must reach this"
    )
    history_days: int = Field(7, ge=1, le=90, description="days before the run in the median")
    min_history_days: int = Field(
        3, ge=1, description="fewer days of history than this skip the row-count check"
    )
    max_quarantine_share: float = Field(0.2, ge=0, le=1)
    max_robots_refused_share: float = Field(0.5, ge=0, le=1)
    max_not_article_share: float = Field(
        0.3, ge=0, le=1,
        description="share of fetched article-URL pages that gave no article (empty bodies)",
    )
