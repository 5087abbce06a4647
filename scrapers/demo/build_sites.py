"""Render the bundled demo news sites from the hand-written truth in ``data/demo_sites/content``.

Run ``python -m scrapers.demo.build_sites`` to regenerate ``data/demo_sites/www`` (the output is
shipped; ``tests/test_demo_sites.py`` fails when it is stale).  The output is deterministic: no
clocks, no random numbers, sorted iteration, gzip with ``mtime=0``.

Absolute URLs are written with the ``{{BASE}}`` placeholder, which the demo server replaces with
``http://127.0.0.1:PORT`` when serving.  The truth itself (:func:`load_content`,
:func:`expected_articles`) lives in :mod:`scrapers.demo.content`; each outlet's pages in
:mod:`scrapers.demo.outlets`.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from scrapers.demo.content import CONTENT_DIR, REPO_ROOT, WWW_DIR, load_content
from scrapers.demo.outlets import RENDERERS
from scrapers.demo.site import SiteBuilder

__all__ = ["REPO_ROOT", "build", "main", "render_sites"]


def render_sites(content_dir: Path = CONTENT_DIR) -> dict[str, bytes]:
    """Render every demo site into memory: relative file path -> bytes."""
    outlets, articles = load_content(content_dir)
    return SiteBuilder(outlets, articles).build(RENDERERS)


def build(out_dir: Path = WWW_DIR, content_dir: Path = CONTENT_DIR) -> int:
    """Write the rendered sites to ``out_dir`` (replacing it); return the number of files."""
    files = render_sites(content_dir)
    if out_dir.exists():
        if any(out_dir.iterdir()) and not (out_dir / "robots.txt").exists():
            raise SystemExit(f"refusing to replace {out_dir}: it does not look like a demo build")
        shutil.rmtree(out_dir)
    for rel, data in files.items():
        target = out_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return len(files)


def main(argv: list[str] | None = None) -> None:
    """CLI: ``python -m scrapers.demo.build_sites [--out DIR] [--content DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=WWW_DIR)
    parser.add_argument("--content", type=Path, default=CONTENT_DIR)
    args = parser.parse_args(argv)
    count = build(args.out, args.content)
    print(f"wrote {count} files to {args.out}")


if __name__ == "__main__":
    main()
