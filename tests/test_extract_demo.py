"""Every demo page extracts exactly as the hand-written truth says (shipped files, no server)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from scrapers.extract import Extracted, extract
from scrapers.sources import Source, load_registry
from tests.demo_truth import CONTENT, TruthArticle, load_truth

WWW = CONTENT.parent / "www"
REGISTRY = CONTENT.parent / "sources.yaml"
BASE = "http://127.0.0.1:1"
TRUTH = load_truth()


def _sources() -> dict[str, Source]:
    old = os.environ.get("NEWSFLOW_DEMO_BASE")
    os.environ["NEWSFLOW_DEMO_BASE"] = BASE
    try:
        registry = load_registry(REGISTRY)
    finally:
        if old is None:
            os.environ.pop("NEWSFLOW_DEMO_BASE", None)
        else:
            os.environ["NEWSFLOW_DEMO_BASE"] = old
    return {s.id: s for s in registry.sources}


SOURCES = _sources()


def page_file(path: str) -> Path:
    """The shipped file behind a site path."""
    target = WWW / path.lstrip("/")
    return target / "index.html" if path.endswith("/") else target


def run(path: str, source_id: str) -> Extracted:
    """Extract one shipped page as the crawler would see it."""
    html = page_file(path).read_text(encoding="utf-8").replace("{{BASE}}", BASE)
    return extract(html, BASE + path, SOURCES[source_id])


@pytest.mark.parametrize("art", TRUTH, ids=lambda a: a.path.rsplit("/", 2)[-2] + "/" +
                         a.path.rsplit("/", 2)[-1])
def test_demo_article_extracts_exactly(art: TruthArticle) -> None:
    got = run(art.path, art.source)
    assert got.is_article, got.provenance.get("is_article")
    assert got.title == art.title
    assert got.authors == list(art.authors)
    assert got.published_at == art.published
    assert got.published_offset == art.offset
    assert got.dateline == art.dateline
    assert got.body == art.body
    assert urlsplit(got.canonical_url or "").path == art.path


def _listing_pages() -> list[tuple[str, str]]:
    pages = []
    for source_id in SOURCES:
        root = WWW / source_id
        pages.append((f"/{source_id}/", source_id))
        for sub in ("tag", "latest", "category", "section"):
            for file in sorted((root / sub).rglob("*.html"))[:3]:
                served = "/" + file.relative_to(WWW).as_posix()
                pages.append((served.removesuffix("index.html"), source_id))
    return pages


@pytest.mark.parametrize("path,source_id", _listing_pages(), ids=lambda v: str(v))
def test_demo_listing_pages_are_not_articles(path: str, source_id: str) -> None:
    got = run(path, source_id)
    assert not got.is_article, got.provenance.get("is_article")


def test_amp_copy_points_at_the_canonical_article() -> None:
    amp = sorted((WWW / "ganga-times" / "amp").rglob("*.html"))
    assert amp
    for file in amp:
        path = "/" + file.relative_to(WWW).as_posix()
        got = run(path, "ganga-times")
        canonical = path.replace("/amp/", "/", 1)
        assert urlsplit(got.canonical_url or "").path == canonical
        art = next(a for a in TRUTH if a.path == canonical)
        assert got.title == art.title
        assert got.published_at == art.published
