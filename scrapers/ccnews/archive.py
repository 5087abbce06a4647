"""Where the CC-NEWS archive lives, and streamed or ranged reads of its files.

``NEWSFLOW_CCNEWS_ARCHIVE`` is the archive root: an HTTPS base URL (default
``https://data.commoncrawl.org``), an ``s3://`` prefix (``s3://commoncrawl``; S3 settings as for
the lake, ``transforms.storage``) or a local folder holding ``crawl-data/CC-NEWS/...``.  Either way
it is a :class:`~transforms.storage.LakeLocation`: local folders and S3 through pyarrow's own
filesystems, HTTP(S) through fsspec's HTTP filesystem wrapped as a pyarrow filesystem, so the
readers below do not depend on which.  Nothing is ever written to the archive.

A row harvested from CC-NEWS has ``raw_ref`` = ``cc-news:<file path in the archive>#<offset of
its response record>``; :func:`read_ccnews_record` reads exactly that record back.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from transforms.storage import LakeLocation, is_uri

ARCHIVE_ENV = "NEWSFLOW_CCNEWS_ARCHIVE"
DEFAULT_ARCHIVE = "https://data.commoncrawl.org"
RAW_REF_PREFIX = "cc-news:"
READ_BUFFER = 1 << 20
# A CC-NEWS WARC: crawl-data/CC-NEWS/<year>/<month>/CC-NEWS-<capture start, UTC>-<serial>.warc.gz
WARC_PATH = re.compile(
    r"^crawl-data/CC-NEWS/(\d{4})/(\d{2})/CC-NEWS-(\d{14})-(\d{5})\.warc\.gz$")
CCNEWS_RAW_REF = re.compile(r"^cc-news:(crawl-data/CC-NEWS/[^#]+)#(\d+)$")


def check_archive_path(path: str) -> str:
    """``path`` if it names a CC-NEWS WARC or listing inside the archive, else ValueError."""
    listing = re.fullmatch(r"crawl-data/CC-NEWS/\d{4}/\d{2}/warc\.paths\.gz", path)
    if not (WARC_PATH.match(path) or listing):
        raise ValueError(f"{path!r} is not a CC-NEWS file path (crawl-data/CC-NEWS/YYYY/MM/"
                         "CC-NEWS-<14 digits>-<5 digits>.warc.gz or .../warc.paths.gz)")
    return path


def configured_archive() -> str:
    """``$NEWSFLOW_CCNEWS_ARCHIVE``, or Common Crawl's HTTPS endpoint."""
    return (os.environ.get(ARCHIVE_ENV) or DEFAULT_ARCHIVE).rstrip("/")


@dataclass
class ArchiveStore:
    """A CC-NEWS archive root: its location, plus fsspec's HTTP client when it is HTTP(S)."""

    location: LakeLocation
    http: Any = None  # fsspec HTTPFileSystem, for ranged reads

    @classmethod
    def parse(cls, root: str | None = None) -> ArchiveStore:
        """The archive at ``root`` (HTTP(S) URL, ``s3://`` prefix or folder; None: the env)."""
        root = (root or configured_archive()).rstrip("/")
        if root.startswith(("http://", "https://")):
            import pyarrow.fs as pafs
            from fsspec.implementations.http import HTTPFileSystem

            http = HTTPFileSystem(block_size=0)  # 0: plain streamed GETs, no block cache
            fs = pafs.PyFileSystem(pafs.FSSpecHandler(http))
            return cls(LakeLocation(fs, root, root), http)
        if is_uri(root) and not root.startswith(("s3://", "s3a://", "file://")):
            raise ValueError(f"{ARCHIVE_ENV}={root!r}: the archive must be an http(s) URL, an "
                             "s3:// prefix or a local folder")
        return cls(LakeLocation.parse(root))

    @property
    def uri(self) -> str:
        return self.location.uri

    def read_bytes(self, path: str) -> bytes:
        """A whole (small) archive file, e.g. a listing; FileNotFoundError if absent."""
        return self.location.read_bytes(self.location.join(check_archive_path(path)))

    def open_stream(self, path: str) -> pa.NativeFile:
        """A sequential, buffered reader of an archive file: one streamed GET, never whole."""
        raw = self.location.open_stream(self.location.join(check_archive_path(path)))
        return pa.BufferedInputStream(raw, READ_BUFFER)

    def open_at(self, path: str, offset: int) -> Any:
        """A reader of an archive file from byte ``offset`` on (a ranged GET on HTTP and S3)."""
        key = self.location.join(check_archive_path(path))
        if self.http is not None:
            handle = self.http.open(key, mode="rb", block_size=0,
                                    headers={"Range": f"bytes={offset}-"})
            if handle.r.status == 200 and offset:  # the server ignored Range: read up to it
                remaining = offset
                while remaining > 0:
                    chunk = handle.read(min(remaining, READ_BUFFER))
                    if not chunk:
                        handle.close()
                        raise ValueError(f"{key} ends before offset {offset}")
                    remaining -= len(chunk)
            return handle
        if self.location.local:
            handle = open(self.location.local_path(key), "rb")  # noqa: SIM115 - caller closes
            handle.seek(offset)
            return handle
        raw = self.location.open_input(key)
        raw.seek(offset)
        return pa.BufferedInputStream(raw, READ_BUFFER)


def make_raw_ref(path: str, offset: int) -> str:
    """The ``raw_ref`` of the response record at ``offset`` of CC-NEWS file ``path``."""
    return f"{RAW_REF_PREFIX}{check_archive_path(path)}#{int(offset)}"


def parse_raw_ref(raw_ref: str) -> tuple[str, int]:
    """(file path in the archive, offset) of a CC-NEWS ``raw_ref``; ValueError if it is none."""
    match = CCNEWS_RAW_REF.match(raw_ref or "")
    if not match:
        raise ValueError(f"{raw_ref!r} is not a CC-NEWS raw_ref (cc-news:<path>#<offset>)")
    return check_archive_path(match.group(1)), int(match.group(2))


def is_ccnews_ref(raw_ref: str | None) -> bool:
    """True for a ``raw_ref`` that points into the CC-NEWS archive."""
    return bool(raw_ref) and str(raw_ref).startswith(RAW_REF_PREFIX)


def read_ccnews_record(raw_ref: str, store: ArchiveStore | None = None) -> Any:
    """The archived response a CC-NEWS ``raw_ref`` points to, as a ``scrapers.warc.RawRecord``."""
    from warcio.archiveiterator import ArchiveIterator

    from scrapers.warc import record_of

    path, offset = parse_raw_ref(raw_ref)
    store = store or ArchiveStore.parse()
    with store.open_at(path, offset) as handle:
        record = next(iter(ArchiveIterator(handle)), None)
        if record is None or record.rec_type != "response":
            kind = record.rec_type if record is not None else "nothing"
            raise ValueError(f"raw_ref {raw_ref!r} points to {kind}, not a response")
        return record_of(record, raw_ref)
