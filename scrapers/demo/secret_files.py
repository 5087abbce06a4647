"""Generated secrets kept in files only their owner can read (mode 0600)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, readable by the owner only (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def read_private(path: Path) -> str | None:
    """The stripped text of ``path`` (tightened to 0600 if others could read it), or None."""
    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8").strip()
    if not text:
        return None
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    return text


def stored_secret(path: Path, nbytes: int) -> tuple[str, bool]:
    """The secret in ``path``, or a new one of ``nbytes`` random bytes (URL-safe text) stored 0600.

    Returns ``(secret, created)``. A stored secret shorter than ``nbytes`` bytes of entropy
    (e.g. written by an older version) is replaced.
    """
    wanted = len(secrets.token_urlsafe(nbytes))
    if (value := read_private(path)) is not None and len(value) >= wanted:
        return value, False
    value = secrets.token_urlsafe(nbytes)
    write_private(path, value + "\n")
    return value, True
