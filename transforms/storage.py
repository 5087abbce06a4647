"""Where the lake lives: a local directory or an object store (S3 and friends), one interface.

``NEWSFLOW_LAKE`` may be a plain path, a ``file://`` URI or an object-store URI such as
``s3://bucket/prefix``.  Everything that reads or writes the lake goes through a
:class:`LakeLocation`, which wraps a :mod:`pyarrow.fs` filesystem and a base path in it.

Local lakes behave exactly as before: a finished file is written to a fsynced temp file in
``<root>/_staging`` and ``os.replace``d into place.

Object stores have no rename, so a write there builds the whole object in memory (or in a local
scratch file) and sends it with ONE request to its final key: a single ``PutObject`` for objects
below the multipart threshold, and otherwise a multipart upload, which S3 also publishes
atomically on completion.  Readers see the old object or the new one, never a part.

Writers serialise with :meth:`LakeLocation.lock`, a lease kept in the lake itself
(``<root>/_leases/<name>.json``, see :mod:`transforms.lease`): an OS lock on a local lake, a
conditional-put lease with expiry on S3, so one writer holds it on any number of machines, and a
writer SIGKILLed while holding it is replaced (at once locally, after its TTL on S3).  While a
location has a lease held, every publish (upload, rename, delete) first checks that the lease is
still surely ours and raises ``LeaseLost`` if not.  Other object stores than S3 have no leases
here: taking one there is an error.

S3 settings come from the environment only: endpoint ``NEWSFLOW_S3_ENDPOINT`` or
``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` (for MinIO, Ceph, moto, ...), region
``NEWSFLOW_S3_REGION`` / ``AWS_REGION`` / ``AWS_DEFAULT_REGION``, and credentials from the
standard AWS chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, profile, instance role).
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
import uuid
import weakref
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

import pyarrow as pa
import pyarrow.fs as pafs

from transforms.lease import LEASES_DIR, Lease, LeaseStore, LocalLeases, S3Leases

LAKE_ENV = "NEWSFLOW_LAKE"
SCRATCH_ENV = "NEWSFLOW_SCRATCH"
ENDPOINT_ENVS = ("NEWSFLOW_S3_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
REGION_ENVS = ("NEWSFLOW_S3_REGION", "AWS_REGION", "AWS_DEFAULT_REGION")
STAGING_DIR = "_staging"
LOCKS_DIR = "_locks"
DEFAULT_LAKE = Path(__file__).resolve().parents[1] / "data" / "lake"

Writer = Callable[[Any], None]


def is_uri(root: str | Path) -> bool:
    """True for ``scheme://...`` strings (``file://`` included), False for plain paths."""
    return isinstance(root, str) and "://" in root and len(root.split("://", 1)[0]) > 1


def configured_root() -> str | Path:
    """``$NEWSFLOW_LAKE`` as given (a URI string or an expanded Path), or ``<repo>/data/lake``."""
    configured = os.environ.get(LAKE_ENV)
    if not configured:
        return DEFAULT_LAKE
    if is_uri(configured) and not configured.startswith("file://"):
        return configured.rstrip("/")
    if configured.startswith("file://"):
        return Path(unquote(urlsplit(configured).path))
    return Path(configured).expanduser()


def _env(names: tuple[str, ...]) -> str | None:
    """The first non-empty environment variable of ``names``."""
    return next((os.environ[n] for n in names if os.environ.get(n)), None)


def s3_filesystem() -> pafs.S3FileSystem:
    """An S3 filesystem configured from the environment (endpoint, region; credentials by AWS)."""
    options: dict[str, Any] = {"allow_delayed_open": True}  # small objects: one PutObject
    endpoint = _env(ENDPOINT_ENVS)
    if endpoint:
        parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        options["endpoint_override"] = parts.netloc
        options["scheme"] = parts.scheme or "https"
    region = _env(REGION_ENVS)
    if region:
        options["region"] = region
    return pafs.S3FileSystem(**options)


def s3_client() -> Any:
    """A boto3 S3 client with the same endpoint and region settings as ``s3_filesystem``."""
    return _s3_client(_env(ENDPOINT_ENVS), _env(REGION_ENVS))


@functools.cache
def _s3_client(endpoint: str | None, region: str | None) -> Any:
    """One client per endpoint and region (boto3 clients are thread-safe)."""
    import boto3
    from botocore.config import Config

    if endpoint and "://" not in endpoint:
        endpoint = f"https://{endpoint}"
    config = Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 3})
    return boto3.client("s3", endpoint_url=endpoint or None, region_name=region, config=config)


class LakeLocation:
    """A lake root: a pyarrow filesystem ``fs`` plus the ``base`` path of the lake inside it."""

    def __init__(self, fs: pafs.FileSystem, base: str, uri: str,
                 local_root: Path | None = None) -> None:
        self.fs = fs
        self.base = base.rstrip("/") or "/"
        self.uri = uri
        self.local_root = local_root
        self._leases: weakref.WeakSet[Lease] = weakref.WeakSet()

    @classmethod
    def parse(cls, root: str | Path | LakeLocation | None = None) -> LakeLocation:
        """The location of ``root`` (a path, ``file://`` or object-store URI; None: the env)."""
        if isinstance(root, LakeLocation):
            return root
        if root is None:
            root = configured_root()
        if isinstance(root, str) and root.startswith("file://"):
            root = Path(unquote(urlsplit(root).path))
        if not is_uri(root):
            path = Path(root).expanduser()
            return cls(pafs.LocalFileSystem(), os.path.abspath(path), str(path), path)
        uri = str(root).rstrip("/")
        scheme, rest = uri.split("://", 1)
        if scheme in ("s3", "s3a"):
            bucket_and_prefix = rest.split("?", 1)[0].strip("/")
            if not bucket_and_prefix:
                raise ValueError(f"lake URI {uri!r} names no bucket")
            return cls(s3_filesystem(), bucket_and_prefix, uri)
        fs, base = pafs.FileSystem.from_uri(uri)
        return cls(fs, base, uri)

    @property
    def local(self) -> bool:
        """True for a lake on the local filesystem."""
        return self.local_root is not None

    def __str__(self) -> str:
        return self.uri

    def __repr__(self) -> str:
        return f"LakeLocation({self.uri!r})"

    def join(self, *parts: str) -> str:
        """The filesystem path of ``parts`` (posix, relative to the lake root) inside the lake."""
        rel = "/".join(p.strip("/") for p in parts if p)
        return f"{self.base}/{rel}" if rel else self.base

    def relative(self, path: str) -> str:
        """``path`` relative to the lake root (posix)."""
        return PurePosixPath(path).relative_to(self.base).as_posix()

    def local_path(self, path: str) -> Path:
        """A local lake's path as a ``Path`` under the root as it was given."""
        if self.local_root is None:
            raise ValueError(f"{self.uri} is not a local lake")
        return self.local_root / self.relative(path)

    def exists(self, path: str) -> bool:
        """True if a file exists at ``path``."""
        return self.fs.get_file_info(path).type == pafs.FileType.File

    def read_bytes(self, path: str) -> bytes:
        """The whole content of a file; FileNotFoundError if absent."""
        with self.open_stream(path) as handle:
            return handle.read()

    def open_stream(self, path: str) -> pa.NativeFile:
        """A sequential reader of a file's raw bytes (one streaming GET; never decompressed)."""
        return self.fs.open_input_stream(path, compression=None)

    def open_input(self, path: str) -> pa.NativeFile:
        """A seekable reader of a file (ranged GETs on object stores)."""
        return self.fs.open_input_file(path)

    def list_files(self, prefix: str, pattern: str | None = None) -> list[str]:
        """Files under ``prefix`` (recursive, sorted); ``pattern`` matches their relative path."""
        selector = pafs.FileSelector(prefix, recursive=True, allow_not_found=True)
        found = []
        wanted = PurePosixPath(pattern) if pattern else None
        for info in self.fs.get_file_info(selector):
            if info.type != pafs.FileType.File:
                continue
            if wanted is not None:
                rel = PurePosixPath(info.path).relative_to(prefix)
                if len(rel.parts) != len(wanted.parts) or not rel.match(pattern):
                    continue
            found.append(info.path)
        return sorted(found)

    def scratch_dir(self) -> Path:
        """Local directory for temp files: ``<root>/_staging``, or a per-lake dir in ``$TMPDIR``."""
        if self.local_root is not None:
            return self.local_root / STAGING_DIR
        base = Path(os.environ.get(SCRATCH_ENV) or Path(tempfile.gettempdir()) / "newsflow")
        return base / hashlib.sha256(self.uri.encode()).hexdigest()[:16] / STAGING_DIR

    def lease_store(self) -> LeaseStore:
        """Where this lake's leases live: ``<root>/_leases`` (local files or S3 objects)."""
        where = f"{self.uri}/{LEASES_DIR}"
        if self.local_root is not None:
            return LocalLeases(self.local_root / LEASES_DIR, where)
        if isinstance(self.fs, pafs.S3FileSystem):
            bucket, _, prefix = self.base.partition("/")
            return S3Leases(s3_client(), bucket, f"{prefix}/{LEASES_DIR}".lstrip("/"), where)
        raise ValueError(f"{self.uri}: writer leases need a local lake or S3 (an object store"
                         " with conditional PutObject); this store has none")

    def lock(self, name: str, timeout: float, owner: str | None = None,
             ttl: float | None = None) -> Lease:
        """The writer lease ``name`` (a context manager), waiting up to ``timeout`` seconds.

        ``owner`` names the writer in refusals (default: the Airflow task or the command line);
        ``ttl`` defaults to ``$NEWSFLOW_LEASE_TTL_S`` or 60 s (see :mod:`transforms.lease`).
        """
        lease = Lease(self.lease_store(), name, owner=owner, ttl=ttl, wait=timeout)
        self._leases.add(lease)
        return lease

    def check_leases(self) -> None:
        """Raise ``LeaseLost`` if a lease held through this location may no longer be ours."""
        for lease in list(self._leases):
            lease.check()

    def clean_scratch(self, prefix: str) -> int:
        """Remove leftover temp files named ``<prefix>*.tmp`` (hold the lock); returns count."""
        removed = 0
        for stale in self.scratch_dir().glob(f"{prefix}*.tmp"):
            stale.unlink(missing_ok=True)
            removed += 1
        return removed

    def write_atomic(self, path: str, write: Writer, name: str) -> None:
        """Publish a file all-or-nothing; ``write(sink)`` fills a local temp path or a buffer."""
        if self.local_root is None:
            sink = pa.BufferOutputStream()
            write(sink)
            self.check_leases()
            self._put(path, sink.getvalue())
            return
        staging = self.scratch_dir()
        staging.mkdir(parents=True, exist_ok=True)
        tmp = staging / f"{name}-{uuid.uuid4().hex}.tmp"
        try:
            write(str(tmp))
            self.publish(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    def write_bytes(self, path: str, data: bytes, name: str) -> None:
        """Publish ``data`` at ``path`` all-or-nothing."""
        self.write_atomic(path, lambda sink: _write_to(sink, data), name)

    def publish(self, local_file: Path, path: str) -> None:
        """Move a finished local file to ``path``: fsync + ``os.replace``, or one upload."""
        self.check_leases()
        if self.local_root is None:
            with open(local_file, "rb") as handle, self._output(path) as out:
                while chunk := handle.read(8 << 20):
                    out.write(chunk)
            return
        with open(local_file, "rb") as handle:
            os.fsync(handle.fileno())
        target = self.local_path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(local_file, target)
        fsync_dir(target.parent)

    def _put(self, path: str, data: pa.Buffer | bytes) -> None:
        """One request (PutObject, or an atomically completed multipart upload) to ``path``."""
        with self._output(path) as out:
            out.write(data)

    def _output(self, path: str) -> pa.NativeFile:
        """A writer of the object ``path`` (bytes as given: no compression by file extension)."""
        return self.fs.open_output_stream(path, compression=None)

    def delete(self, path: str, keep: str | None = None) -> None:
        """Delete a file and the directories it leaves empty, up to (not including) ``keep``."""
        self.check_leases()
        if self.local_root is not None:
            target = self.local_path(path)
            target.unlink(missing_ok=True)
            stop = self.local_path(keep) if keep else self.local_root
            for parent in target.parents:
                if parent == stop or not parent.is_relative_to(stop):
                    break
                if parent.is_dir() and not any(parent.iterdir()):
                    parent.rmdir()
            fsync_dir(stop)
            return
        if self.exists(path):
            self.fs.delete_file(path)
        # S3FileSystem leaves an empty "dir/" marker behind a deleted file: drop empty ones.
        stop = keep or self.base
        parent = PurePosixPath(path).parent
        while str(parent) != stop and PurePosixPath(stop) in parent.parents:
            if self.list_files(str(parent)):
                break
            self.fs.delete_dir(str(parent))
            parent = parent.parent


def _write_to(sink: Any, data: bytes) -> None:
    """Write bytes to a local path or an Arrow output stream."""
    if isinstance(sink, str):
        with open(sink, "wb") as handle:
            handle.write(data)
    else:
        sink.write(data)


def fsync_dir(path: Path) -> None:
    """fsync a directory so a rename in it is durable (no-op where unsupported)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
