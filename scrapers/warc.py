"""Raw page archive: one gzipped WARC per (run day, source) under ``<lake>/raw``, and its readers.

Layout: ``<lake>/raw/date=YYYY-MM-DD/source=<id>/<run-key>.warc.gz`` with the run key
``<source>-<day>``, so each (day, source) has exactly one file and a re-run touches only its own.

A re-run never breaks an existing ``raw_ref``: the new file starts with a byte copy of the previous
one (gzip members are independent, so every old offset stays valid), an exchange whose URL, status
and payload digest are already archived is not written again (its existing ``raw_ref`` is
returned, so unchanged pages keep unchanged rows), and new or changed pages are appended.  The file
is built in ``<lake>/_staging/`` under a per-file lock and ``os.replace``d into place on close.
On an object-store lake (``NEWSFLOW_LAKE=s3://...``) the file is built the same way in a local
scratch directory (the previous object downloaded first) and uploaded to its final key in one
request on close; readers fetch a ``raw_ref`` with ranged GETs (``transforms.storage``).

``raw_ref`` = ``raw/date=YYYY-MM-DD/source=<id>/<file>.warc.gz#<offset of the response record>``,
relative to the lake root.  ``NEWSFLOW_RAW_ARCHIVE=0`` turns archiving off.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pyarrow as pa
from filelock import FileLock
from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date, iso_date_to_datetime
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from scrapers import stats as counters

# Not transforms.lake: its pyarrow.dataset import pulls in pandas (~1.5 s per crawl process).
from transforms.lake import LOCK_TIMEOUT_S, check_date, check_source, lake_location, lake_root
from transforms.source_ids import PARTITION_SOURCE_BODY
from transforms.storage import LakeLocation

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

RAW_DIR = "raw"
ARCHIVE_ENV = "NEWSFLOW_RAW_ARCHIVE"
RUN_DAY_SETTING = "NEWSFLOW_RUN_DAY"
ROLE_HEADER = "WARC-Newsflow-Role"
VIA_HEADER = "WARC-Newsflow-Via"
WARC_VERSION = "1.1"
RAW_REF = re.compile(
    r"^raw/date=(\d{4}-\d{2}-\d{2})/source=(" + PARTITION_SOURCE_BODY + r")/"
    r"([A-Za-z0-9][A-Za-z0-9_.-]*\.warc\.gz)#(\d+)$"
)
_DECODED_AWAY = frozenset({"content-encoding", "transfer-encoding", "content-length"})
# zlib level of each record's gzip member (warcio always uses 9), chosen by measurement (issue
# 15.2, bench/results.md).  CPU per record and compressed size of a record, level 1 / 3 / 6:
#   crawl bench's synthetic 100 KB pages: 1.5 / 2.0 / 4.4 ms, 26.2 / 24.7 / 22.7 KB;
#   the 148 real dev pages (378 KB average): 5.5 / 6.7 / 13.0 ms, 85.5 / 80.1 / 71.1 KB.
# Level 3 keeps most of level 1's saving (about half of level 6's CPU) for 9-13% more bytes.
GZIP_LEVEL = 3
_OFF = frozenset({"0", "false", "no", "off", ""})

Headers = list[tuple[str, str]]


@dataclass(frozen=True)
class RawRecord:
    """One archived response: what extraction needs, plus where it lives."""

    url: str
    status: int
    headers: Headers
    body: bytes
    fetched_at: datetime
    raw_ref: str = ""
    role: str | None = None
    via: str | None = None

    def header(self, name: str) -> str | None:
        """The first value of an HTTP response header (case-insensitive), or None."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


def is_archive_enabled(value: Any = None) -> bool:
    """Archiving switch: ``value`` if given, else ``$NEWSFLOW_RAW_ARCHIVE``; on by default."""
    if value is None:
        value = os.environ.get(ARCHIVE_ENV, "1")
    return str(value).strip().lower() not in _OFF


def make_run_key(day: date, source: str) -> str:
    """The deterministic run key of one (day, source): ``<source>-<YYYY-MM-DD>``."""
    return f"{check_source(source)}-{check_date(day)}"


def raw_relpath(day: date, source: str, run_key: str) -> str:
    """``raw/date=<day>/source=<id>/<run-key>.warc.gz`` relative to the lake root."""
    rel = f"{RAW_DIR}/date={check_date(day)}/source={check_source(source)}/{run_key}.warc.gz"
    if not RAW_REF.match(f"{rel}#0"):
        raise ValueError(f"unsafe run key {run_key!r}")
    return rel


def resolve_raw_ref(raw_ref: str, root: str | Path | LakeLocation | None = None
                    ) -> tuple[Path | str, int]:
    """The WARC file (a Path; on object stores a key) and offset a ``raw_ref`` names.

    Raise ValueError if the ref is malformed or unsafe.
    """
    match = RAW_REF.match(raw_ref or "")
    if not match:
        raise ValueError(f"malformed raw_ref {raw_ref!r}")
    loc = lake_location(root)
    if not loc.local:
        return loc.join(raw_ref.rsplit("#", 1)[0]), int(match.group(4))
    base = loc.local_root or Path(lake_root())
    path = base / raw_ref.rsplit("#", 1)[0]
    if not path.resolve().is_relative_to((base / RAW_DIR).resolve()):
        raise ValueError(f"raw_ref {raw_ref!r} escapes {base / RAW_DIR}")
    return path, int(match.group(4))


def payload_digest(body: bytes) -> str:
    """WARC payload digest of a body, in warcio's ``sha1:<base32>`` form."""
    digester = Digester("sha1")
    digester.update(body)
    return str(digester)


def stored_response_headers(headers: Headers, body: bytes) -> Headers:
    """Response headers as stored: no Content-/Transfer-Encoding, Content-Length of ``body``."""
    kept = [(k, v) for k, v in headers if k.lower() not in _DECODED_AWAY]
    return [*kept, ("Content-Length", str(len(body)))]


def warc_date(moment: datetime) -> str:
    """A WARC-Date with microseconds, in UTC."""
    utc = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    return datetime_to_iso_date(utc.replace(tzinfo=None), use_micros=True)


def status_line(status: int) -> str:
    """``200 OK`` style HTTP status line (without the protocol)."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def _decode(value: bytes | str) -> str:
    """Header bytes as text (UTF-8, else Latin-1)."""
    if isinstance(value, str):
        return value
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def scrapy_headers(headers: Any) -> Headers:
    """Scrapy ``Headers`` flattened to (name, value) pairs, repeated headers kept."""
    if headers is None:
        return []
    return [(_decode(k), _decode(v)) for k, values in headers.items() for v in values]


class _GzipMember:
    """A sink that gzips what one record writes into its own member, at ``GZIP_LEVEL``."""

    def __init__(self, out: IO[bytes], level: int) -> None:
        self.compressor = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        self.out = out

    def write(self, data: bytes) -> None:
        self.out.write(self.compressor.compress(data))

    def flush(self) -> None:
        self.out.write(self.compressor.flush())
        self.out.flush()


class _LeveledWARCWriter(WARCWriter):
    """warcio's writer, one gzip member per record at a chosen level (warcio's is always 9)."""

    def __init__(self, filebuf: IO[bytes], level: int = GZIP_LEVEL) -> None:
        super().__init__(filebuf, gzip=False, warc_version=WARC_VERSION)
        self.level = level

    def _write_warc_record(self, out: Any, record: ArcWarcRecord) -> None:
        super()._write_warc_record(_GzipMember(out, self.level), record)


class WarcArchive:
    """Writes one crawl's exchanges to ``<lake>/raw/date=<day>/source=<id>/<run-key>.warc.gz``.

    Nothing is opened until the first exchange is written: a crawl that archives nothing (an
    unchanged site) neither takes the writer lock nor copies and indexes the previous file.
    """

    def __init__(self, root: str | Path | LakeLocation, source: str, day: date,
                 run_key: str | None = None, *, stats: Any = None,
                 lock_timeout: float = LOCK_TIMEOUT_S) -> None:
        self.location = lake_location(root)
        self.root: Path | str = self.location.local_root or self.location.uri
        self.source = check_source(source)
        self.day = day
        self.run_key = run_key or make_run_key(day, source)
        self.relpath = raw_relpath(day, source, self.run_key)
        self.key = self.location.join(self.relpath)
        self.target: Path | str = (self.location.local_path(self.key) if self.location.local
                                   else self.key)
        self.stats = stats
        self.written = 0
        self.closed = False
        self.info_written = False
        self.prefix = f"raw-{check_date(day)}-{self.source}-{self.run_key}-"
        self.staging = self.location.scratch_dir()
        self.temp = self.staging / f"{self.prefix}{uuid.uuid4().hex}.warc.gz.tmp"
        self.lock_timeout = lock_timeout
        self.lock: FileLock | None = None
        self.handle: IO[bytes] | None = None
        self.index: dict[tuple[str, int, str], str] = {}
        self.writer: WARCWriter | None = None

    def _open(self) -> WARCWriter:
        """Take the writer lock, start the temp file as a copy of the published one; the writer."""
        if self.writer is not None:
            return self.writer
        self.lock = self._acquire_lock(self.lock_timeout)
        try:
            self.staging.mkdir(parents=True, exist_ok=True)
            self._remove_stale_temps(self.staging)
            self.handle = self.temp.open("wb")
            self.index = self._copy_previous()
        except BaseException:
            if self.handle is not None:
                self.handle.close()
                self.handle = None
            self.temp.unlink(missing_ok=True)
            self.lock.release()
            self.lock = None
            raise
        self.writer = _LeveledWARCWriter(self.handle)
        return self.writer

    def _acquire_lock(self, timeout: float) -> FileLock:
        """Hold the file's writer lock for the archive's lifetime (one writer per target)."""
        lock = self.location.lock(f"raw-{check_date(self.day)}-{self.source}", timeout)
        lock.acquire()
        return lock

    def _published(self) -> bool:
        """True if the WARC exists in the lake."""
        return self.location.exists(self.key)

    def _remove_stale_temps(self, staging: Path) -> None:
        """Remove temp files left by a crashed writer of this same target (we hold its lock)."""
        for stale in staging.glob(f"{self.prefix}*.tmp"):
            stale.unlink(missing_ok=True)

    def _copy_previous(self) -> dict[tuple[str, int, str], str]:
        """Copy the existing file verbatim into the temp; index its responses by content."""
        assert self.handle is not None
        try:
            previous = self.location.open_stream(self.key)
        except FileNotFoundError:
            return {}
        with previous:
            shutil.copyfileobj(previous, self.handle)
        self.handle.flush()
        return index_warc_file(self.temp, self.relpath)

    def __enter__(self) -> WarcArchive:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def count(self, key: str, value: int = 1) -> None:
        """Add to a crawl stat when the archive has a stats collector."""
        if self.stats is not None:
            self.stats.inc_value(counters.under(counters.RAW, key), value)

    def _write_warcinfo(self, writer: WARCWriter) -> None:
        """One warcinfo record per writing session, before its first exchange."""
        info = {"software": "newsflow scrapers.warc (warcio)", "format": "WARC File Format 1.1",
                "newsflow-source": self.source, "newsflow-run-day": check_date(self.day),
                "newsflow-run-key": self.run_key}
        name = self.relpath.rsplit("/", 1)[-1]
        writer.write_record(writer.create_warcinfo_record(name, info))
        self.info_written = True

    def write_exchange(self, url: str, request_headers: Headers, status: int,
                       response_headers: Headers, body: bytes, fetched_at: datetime, *,
                       method: str = "GET", role: str | None = "article",
                       via: str | None = None) -> str:
        """Archive a request/response pair; return the response record's ``raw_ref``."""
        if self.closed:
            raise ValueError(f"archive {self.relpath} is closed")
        writer = self._open()
        assert self.handle is not None
        digest = payload_digest(body)
        key = (url, int(status), digest)
        if key in self.index:
            self.count("deduplicated")
            return self.index[key]
        if not self.info_written:
            self._write_warcinfo(writer)
        offset = self.handle.tell()
        response = self._response_record(writer, url, status, response_headers, body,
                                         fetched_at, role, via, digest)
        request = self._request_record(writer, url, method, request_headers)
        try:
            writer.write_request_response_pair(request, response)
        except BaseException:  # no half-written record stays between whole ones
            self.handle.seek(offset)
            self.handle.truncate()
            raise
        raw_ref = f"{self.relpath}#{offset}"
        self.index[key] = raw_ref
        self.written += 1
        self.count("records")
        self.count("bytes", len(body))
        return raw_ref

    @staticmethod
    def _response_record(writer: WARCWriter, url: str, status: int, headers: Headers,
                         body: bytes, fetched_at: datetime, role: str | None, via: str | None,
                         digest: str) -> ArcWarcRecord:
        """A WARC response record with the stored HTTP headers and the decoded body.

        ``digest`` is the body's payload digest, already computed for the dedupe key; given as
        the record's ``WARC-Payload-Digest`` it spares warcio a second SHA-1 pass.
        """
        warc_headers = {"WARC-Date": warc_date(fetched_at), "WARC-Payload-Digest": digest}
        if role:
            warc_headers[ROLE_HEADER] = role
        if via:
            warc_headers[VIA_HEADER] = via
        http = StatusAndHeaders(status_line(status), stored_response_headers(headers, body),
                                protocol="HTTP/1.1")
        return writer.create_warc_record(url, "response", payload=BytesIO(body),
                                         length=len(body), http_headers=http,
                                         warc_headers_dict=warc_headers)

    @staticmethod
    def _request_record(writer: WARCWriter, url: str, method: str, headers: Headers
                        ) -> ArcWarcRecord:
        """A WARC request record (request line and headers, no body)."""
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        pairs = list(headers)
        if not any(k.lower() == "host" for k, _ in pairs):
            pairs.insert(0, ("Host", parts.netloc))
        http = StatusAndHeaders(f"{method} {target} HTTP/1.1", pairs, is_http_request=True)
        return writer.create_warc_record(url, "request", http_headers=http)

    def from_scrapy(self, response: Response, *, role: str | None = None,
                    via: str | None = None, fetched_at: datetime | None = None) -> str:
        """Archive a Scrapy response (and its request); return its ``raw_ref``."""
        request = getattr(response, "request", None)
        meta = request.meta if request is not None else {}
        if role is None:
            role = meta.get("kind") if meta.get("role") == "document" else meta.get("role")
        return self.write_exchange(
            response.url,
            scrapy_headers(request.headers if request is not None else None),
            response.status,
            scrapy_headers(response.headers),
            response.body,
            fetched_at or datetime.now(UTC),
            method=request.method if request is not None else "GET",
            role=role or "article",
            via=via or meta.get("via"),
        )

    def close(self) -> Path | str | None:
        """Move the finished WARC into place atomically; return it (None if nothing new)."""
        if self.closed:
            return self.target if self._published() else None
        if self.written == 0:
            self.abort()
            return self.target if self._published() else None
        assert self.handle is not None and self.lock is not None
        try:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()
            self.location.publish(self.temp, self.key)  # os.replace, or one upload
            self.temp.unlink(missing_ok=True)
        except BaseException:
            self.abort()
            raise
        self.closed = True
        self.lock.release()
        return self.target

    def abort(self) -> None:
        """Drop this session's temp file; the published WARC (if any) stays as it was."""
        if self.closed:
            return
        self.closed = True
        if self.lock is None:  # never opened: nothing was written, no lock was taken
            return
        try:
            if self.handle is not None:
                self.handle.close()
            self.temp.unlink(missing_ok=True)
        finally:
            self.lock.release()

    def on_spider_closed(self, spider: Any = None, reason: str | None = None) -> None:
        """Scrapy ``spider_closed`` handler: publish the WARC."""
        self.close()


def open_archive_for_crawler(crawler: Crawler, source_id: str, day: date | None = None
                             ) -> WarcArchive | None:
    """A WarcArchive for this crawl closed at ``spider_closed``, or None when archiving is off."""
    from scrapy import signals

    settings = crawler.settings
    if not is_archive_enabled(settings.get(ARCHIVE_ENV)):
        return None
    root = settings.get("NEWSFLOW_LAKE") or lake_root()
    run_day = settings.get(RUN_DAY_SETTING)
    day = date.fromisoformat(str(run_day)) if run_day else day or datetime.now(UTC).date()
    archive = WarcArchive(root, source_id, day)

    def attach_stats(spider: Any = None) -> None:
        """Crawler stats exist only once the crawl starts."""
        archive.stats = crawler.stats

    crawler.signals.connect(attach_stats, signal=signals.spider_opened, weak=False)
    crawler.signals.connect(archive.on_spider_closed, signal=signals.spider_closed, weak=False)
    return archive


def archive_response(archive: WarcArchive | None, response: Response, *,
                     fetched_at: datetime | None = None) -> str | None:
    """``archive.from_scrapy(response)``; None when archiving is off or the write failed."""
    if archive is None:
        return None
    try:
        return archive.from_scrapy(response, fetched_at=fetched_at)
    except OSError:  # a full disk must not lose the article: it is staged without raw_ref
        archive.count("failed")
        return None


def record_of(record: ArcWarcRecord, raw_ref: str) -> RawRecord:
    """A RawRecord from a warcio response record (reads its body)."""
    http = record.http_headers
    body = record.content_stream().read()
    rec = record.rec_headers
    return RawRecord(
        url=rec.get_header("WARC-Target-URI"),
        status=int(http.get_statuscode()) if http else 0,
        headers=list(http.headers) if http else [],
        body=body,
        fetched_at=iso_date_to_datetime(rec.get_header("WARC-Date"), tz_aware=True),
        raw_ref=raw_ref,
        role=rec.get_header(ROLE_HEADER),
        via=rec.get_header(VIA_HEADER),
    )


def read_raw(raw_ref: str, root: str | Path | LakeLocation | None = None) -> RawRecord:
    """Read exactly the response record a ``raw_ref`` points to."""
    loc = lake_location(root)
    path, offset = resolve_raw_ref(raw_ref, loc)
    with _open_at(loc, path, offset) as handle:
        record = next(iter(ArchiveIterator(handle)), None)
        if record is None or record.rec_type != "response":
            kind = record.rec_type if record is not None else "nothing"
            raise ValueError(f"raw_ref {raw_ref!r} points to {kind}, not a response")
        return record_of(record, raw_ref)


def _open_at(loc: LakeLocation | None, path: Path | str, offset: int) -> Any:
    """A readable handle of a lake file positioned at ``offset`` (buffered ranged GETs on S3)."""
    if isinstance(path, Path) or loc is None:
        handle: Any = Path(path).open("rb")  # noqa: SIM115 - returned to the caller's with
        handle.seek(offset)
        return handle
    if offset == 0:  # whole file: one streaming GET
        return loc.open_stream(path)
    raw = loc.open_input(path)
    raw.seek(offset)
    return pa.BufferedInputStream(raw, 1 << 20)


def index_warc_file(path: Path, relpath: str) -> dict[tuple[str, int, str], str]:
    """(url, status, payload digest) -> ``raw_ref`` of each response record of a local WARC.

    The digest is the record's own ``WARC-Payload-Digest`` (our writer always sets it, as
    :func:`payload_digest` of the body); only a record without one has its body read and hashed.
    """
    index: dict[tuple[str, int, str], str] = {}
    with path.open("rb") as handle:
        records = ArchiveIterator(handle)
        for record in records:
            offset = records.offset  # start of this record; read before consuming it
            if record.rec_type != "response":
                continue
            url = record.rec_headers.get_header("WARC-Target-URI")
            http = record.http_headers
            status = int(http.get_statuscode()) if http else 0
            digest = record.rec_headers.get_header("WARC-Payload-Digest")
            if not digest:
                digest = payload_digest(record.content_stream().read())
            index[(url, status, digest)] = f"{relpath}#{offset}"
    return index


def iter_warc_file(path: Path | str, relpath: str, location: LakeLocation | None = None
                   ) -> Iterator[RawRecord]:
    """Response records of one WARC file (a local Path, or a key in ``location``)."""
    local = location is None or location.local
    with _open_at(location, Path(path) if local else str(path), 0) as handle:
        records = ArchiveIterator(handle)
        for record in records:
            offset = records.offset  # start of this record; read before consuming it
            if record.rec_type == "response":
                yield record_of(record, f"{relpath}#{offset}")


def iter_raw(root: str | Path | LakeLocation | None, start_day: date, end_day: date,
             sources: list[str] | None = None) -> Iterator[RawRecord]:
    """Response records archived on run days ``start_day``..``end_day`` (inclusive)."""
    loc = lake_location(root)
    wanted = {check_source(s) for s in sources} if sources else None
    day = start_day
    while day <= end_day:
        day_dir = loc.join(RAW_DIR, f"date={check_date(day)}")
        found = []
        for path in loc.list_files(day_dir, "source=*/*.warc.gz"):
            source_dir, name = loc.relative(path).split("/")[-2:]
            found.append((source_dir[len("source="):], name, path))
        for source, _, path in sorted(found):
            if wanted is not None and source not in wanted:
                continue
            local = loc.local_path(path) if loc.local else path
            yield from iter_warc_file(local, loc.relative(path), loc)
        day += timedelta(days=1)
