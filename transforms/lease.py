"""One holder at a time, on any number of machines: a named lease kept in the lake itself.

A lease ``<name>`` is the object ``<lake>/_leases/<name>.json``: its holder's owner (a run id or a
command), host and pid, a random token, the TTL and ``acquired_at`` / ``expires_at`` (UTC, the
holder's clock, for people).  Lake tables take the lease named after the table for every merge;
other writers use other names (crawl politeness: ``domain-<registrable domain>``).

On S3 (``transforms.storage`` gives a boto3 client):

- *take*: ``PutObject`` with ``If-None-Match: *`` creates the lease; S3 refuses it (412) if any
  lease object exists.  A lease whose holder stopped renewing is *expired* and is taken over with
  ``PutObject`` ``If-Match: <its ETag>``; of two writers racing for it one wins, the other gets
  412 and reads again.
- *renew*: a heartbeat thread rewrites the lease every ``ttl / 3`` with ``If-Match`` on the ETag
  of our own last write.  A 412 or 404 means someone took the lease over: the lease is *lost*.
- *release*: ``DeleteObject`` with ``If-Match`` on our ETag, so a lease taken over is never
  deleted by its former holder.
- *expiry* is judged on the object store's clock only: a lease expires when the ``Date`` of the
  store's answer is at least ``Last-Modified + ttl + 1 s`` (both are whole seconds; the second
  covers their rounding).  Writers' wall clocks may disagree by any amount.  The one assumption
  is that clocks *run* at the same rate: the holder measures, on its monotonic clock from the
  moment it sent its last successful renewal, how long its lease is surely still valid.

A holder stops writing once it cannot be sure it still holds the lease: ``Lease.check()``
raises :class:`LeaseLost` when a renewal found the lease taken over, or when no renewal has
succeeded for ``2/3`` of the TTL (the store unreachable; a takeover is then at least ``ttl / 3``
away).  ``LakeLocation`` calls it before every publish (upload, rename, delete) while the
location has leases held, so a writer that lost its lease raises before its next publish.
A single publish must therefore take well under ``ttl / 3`` (60 s by default: 20 s).

On a local lake the lease is an OS lock (``flock``) on ``<lake>/_leases/<name>.lock``: the kernel
frees it the moment its process dies, so it never needs to expire.  The same holder record is
kept beside it in ``<name>.json`` (renewed by the same heartbeat), so a refusal names the holder
in the same words.  A heartbeat that finds the lock file replaced marks the lease lost.

A lease is re-entrant in the thread that holds it: a merge inside
``python -m scrapers.tasks.reprocess`` joins the lease that the command already holds.  Another
thread, process or machine waits.
"""

from __future__ import annotations

import fcntl
import json
import logging
import math
import os
import re
import shlex
import socket
import sys
import threading
import time
import uuid
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Protocol

LEASES_DIR = "_leases"
TTL_ENV = "NEWSFLOW_LEASE_TTL_S"
DEFAULT_TTL_S = 60.0
SAFE_FRACTION = 2 / 3  # a holder publishes only within this share of the TTL after a renewal
CLOCK_RESOLUTION_S = 1.0  # Last-Modified and Date are whole seconds
POLL_S = 1.0
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._=-]{0,150}")  # one file name, never a path
LOST_CODES = {"PreconditionFailed", "NoSuchKey", "ConditionalRequestConflict", "404", "409",
              "412"}

log = logging.getLogger(__name__)


class LeaseError(RuntimeError):
    """A lease could not be taken or was lost."""


class LeaseHeld(LeaseError, TimeoutError):
    """Another writer holds the lease (after waiting ``waited`` seconds, if at all)."""

    def __init__(self, name: str, where: str, seen: Seen, waited: float) -> None:
        self.name, self.where = name, where
        self.holder, self.expires_at = seen.holder, seen.expires_at
        who = (f"{seen.holder.owner} on host {seen.holder.host}, pid {seen.holder.pid}, since "
               f"{seen.holder.acquired_at}" if seen.holder else "an unknown holder")
        until = (f"; its lease expires at {iso(seen.expires_at)} unless renewed"
                 if seen.expires_at else "")
        after = f" (gave up after waiting {waited:g} s)" if waited > 0 else ""
        super().__init__(f"lease {name!r} at {where} is held by {who}{until}{after}")


class LeaseLost(LeaseError):
    """This process held the lease but can no longer be sure it does: stop writing."""


def iso(moment: datetime) -> str:
    """A UTC instant as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_name(name: str) -> str:
    """A lease name that is one safe file name (letters, digits, ``._=-``); else ValueError."""
    if not isinstance(name, str) or not SAFE_NAME.fullmatch(name):
        raise ValueError(f"unsafe or invalid lease name {name!r}")
    return name


def configured_ttl() -> float:
    """``$NEWSFLOW_LEASE_TTL_S`` (seconds, > 0) or 60."""
    text = os.environ.get(TTL_ENV, "").strip()
    if not text:
        return DEFAULT_TTL_S
    try:
        ttl = float(text)
    except ValueError:
        ttl = math.nan
    if not math.isfinite(ttl) or ttl <= 0:
        raise ValueError(f"{TTL_ENV}={text!r}: expected a positive number of seconds")
    return ttl


def default_owner() -> str:
    """Who is writing: the Airflow task (from its ``AIRFLOW_CTX_*`` env) or the command line."""
    env = os.environ
    if env.get("AIRFLOW_CTX_DAG_ID"):
        return (f"airflow {env['AIRFLOW_CTX_DAG_ID']} run {env.get('AIRFLOW_CTX_DAG_RUN_ID', '?')}"
                f" task {env.get('AIRFLOW_CTX_TASK_ID', '?')}"
                f" try {env.get('AIRFLOW_CTX_TRY_NUMBER', '?')}")
    command = shlex.join([Path(sys.executable).name, *sys.argv])
    return command if len(command) <= 200 else command[:197] + "..."


@dataclass(frozen=True)
class Holder:
    """The record of a lease's holder, as stored in ``<name>.json``."""

    name: str
    owner: str
    host: str
    pid: int
    token: str
    ttl_s: float
    acquired_at: str
    expires_at: str

    def to_json(self) -> bytes:
        """The stored form."""
        return json.dumps(asdict(self), sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Holder | None:
        """The record in ``data``, or None if it is not one."""
        try:
            raw = json.loads(data.decode("utf-8"))
            return cls(**{f.name: raw[f.name] for f in fields(cls)})
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            return None

    def renewed(self) -> Holder:
        """The same record, expiring one TTL from now."""
        return replace(self, expires_at=iso(datetime.now(UTC) + timedelta(seconds=self.ttl_s)))


@dataclass(frozen=True)
class Seen:
    """What a writer found holding the lease: the record (if readable) and its expiry."""

    holder: Holder | None
    expires_at: datetime | None


@dataclass(frozen=True)
class Taken:
    """A lease we now hold: the store's version of it, and an expired holder we replaced."""

    version: Any
    replaced: Holder | None


class LeaseStore(Protocol):
    """Where leases live: take, renew and release one atomically."""

    where: str  # for messages
    ident: str  # the same for every path to the same leases (one holder per thread and ident)
    expires: bool

    def take(self, holder: Holder) -> Taken | Seen:
        """Take the lease for ``holder`` if free or expired; else what holds it."""

    def renew(self, holder: Holder, version: Any) -> Any | None:
        """Rewrite our lease; its new version, or None if it is no longer ours."""

    def release(self, name: str, version: Any) -> None:
        """Give the lease up, if it is still ours."""

    def current(self, name: str) -> Holder | None:
        """The recorded holder of lease ``name``, or None if it is free (or unreadable)."""


class LocalLeases:
    """Leases of a local lake: ``flock`` on ``<dir>/<name>.lock``, the record in ``<name>.json``."""

    expires = False

    def __init__(self, directory: Path, where: str) -> None:
        self.directory = directory
        self.where = where
        self.ident = str(directory.resolve())

    def _paths(self, name: str) -> tuple[Path, Path]:
        return self.directory / f"{name}.lock", self.directory / f"{name}.json"

    def take(self, holder: Holder) -> Taken | Seen:
        """Lock the file without blocking; on success write our record."""
        lock_path, record = self._paths(holder.name)
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                stored = _read_record(record)
                expiry = datetime.fromisoformat(stored.expires_at) if stored else None
                return Seen(stored, expiry)
            if _same_file(fd, lock_path):
                break
            os.close(fd)  # the file was replaced between open and lock: lock the new one
        replaced = _read_record(record)  # left behind by a holder that died
        _write_record(record, holder)
        return Taken(fd, replaced)

    def renew(self, holder: Holder, version: Any) -> Any | None:
        """Refresh the record while the locked file is still the one at the path."""
        lock_path, record = self._paths(holder.name)
        if not _same_file(version, lock_path):
            return None
        _write_record(record, holder)
        return version

    def release(self, name: str, version: Any) -> None:
        """Drop the record (if the lock is still ours) and unlock."""
        lock_path, record = self._paths(name)
        try:
            if _same_file(version, lock_path):
                record.unlink(missing_ok=True)
        finally:
            os.close(version)

    def current(self, name: str) -> Holder | None:
        """The holder record, if its process is alive (a query only: it takes no lock)."""
        stored = _read_record(self._paths(name)[1])
        if stored is None or (stored.host == socket.gethostname() and not _alive(stored.pid)):
            return None
        return stored


def _alive(pid: int) -> bool:
    """True if process ``pid`` exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _same_file(fd: int, path: Path) -> bool:
    """True if the open file ``fd`` is the file now at ``path``."""
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


def _read_record(path: Path) -> Holder | None:
    """The holder record at ``path``, or None."""
    try:
        return Holder.from_json(path.read_bytes())
    except FileNotFoundError:
        return None


def _write_record(path: Path, holder: Holder) -> None:
    """Replace the record at ``path`` in one rename."""
    tmp = path.with_name(f".{path.name}.{holder.token}.tmp")
    tmp.write_bytes(holder.to_json())
    os.replace(tmp, path)


class S3Leases:
    """Leases on S3: conditional PutObject / DeleteObject on ``<prefix>/<name>.json``."""

    expires = True

    def __init__(self, client: Any, bucket: str, prefix: str, where: str) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.where = where
        self.ident = f"s3://{bucket}/{self.prefix}"

    def key(self, name: str) -> str:
        """The object key of lease ``name``."""
        return f"{self.prefix}/{name}.json" if self.prefix else f"{name}.json"

    def take(self, holder: Holder) -> Taken | Seen:
        """Create the lease, or take over an expired one; else report who holds it."""
        for _ in range(20):  # each retry means another writer changed the lease meanwhile
            found = self._get(holder.name)
            if found is None:
                etag = self._put(holder, IfNoneMatch="*")
                if etag is not None:
                    return Taken(etag, None)
                continue
            stored, etag, modified, now = found
            expires = _expiry(stored, modified, holder.ttl_s)
            if now < expires:
                return Seen(stored, expires)
            new = self._put(holder, IfMatch=etag)
            if new is not None:
                return Taken(new, stored)
        return Seen(None, None)

    def renew(self, holder: Holder, version: Any) -> Any | None:
        """Rewrite our lease if its ETag is still the one we wrote."""
        return self._put(holder, IfMatch=version)

    def release(self, name: str, version: Any) -> None:
        """Delete the lease if its ETag is still ours (a lease taken over stays)."""
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.key(name), IfMatch=version)
        except Exception as exc:
            if _error_code(exc) not in LOST_CODES:
                raise

    def current(self, name: str) -> Holder | None:
        """The holder record, unless the lease is absent or expired."""
        found = self._get(name)
        if found is None:
            return None
        stored, _, modified, now = found
        return stored if now < _expiry(stored, modified, 0.0) else None

    def _get(self, name: str) -> tuple[Holder | None, str, datetime, datetime] | None:
        """Record, ETag and Last-Modified of the lease, and the store's clock; None if absent."""
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.key(name))
        except Exception as exc:
            if _error_code(exc) in ("NoSuchKey", "404"):
                return None
            raise
        body = answer["Body"].read()
        now = parsedate_to_datetime(answer["ResponseMetadata"]["HTTPHeaders"]["date"])
        return Holder.from_json(body), answer["ETag"], answer["LastModified"], now

    def _put(self, holder: Holder, **condition: str) -> str | None:
        """A conditional PutObject of the record; its ETag, or None if the condition failed."""
        try:
            answer = self.client.put_object(Bucket=self.bucket, Key=self.key(holder.name),
                                            Body=holder.to_json(),
                                            ContentType="application/json", **condition)
        except Exception as exc:
            if _error_code(exc) in LOST_CODES:
                return None
            raise
        return answer["ETag"]


def _expiry(stored: Holder | None, modified: datetime, default_ttl: float) -> datetime:
    """When a lease last written at ``modified`` (store clock) may be taken over."""
    ttl = stored.ttl_s if stored else default_ttl
    return modified + timedelta(seconds=ttl + CLOCK_RESOLUTION_S)


def _error_code(exc: Exception) -> str | None:
    """The S3 error code of a botocore ClientError (None for anything else)."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    code = response.get("Error", {}).get("Code")
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return str(code or status) if (code or status) else None


_HELD: dict[tuple[str, str], Lease] = {}
_HELD_LOCK = threading.Lock()


class Lease:
    """A named lease in a :class:`LeaseStore`; a context manager, re-entrant in its thread.

    ``wait`` bounds how long :meth:`acquire` waits for another holder (0: refuse at once;
    negative: wait for ever).  While held, a heartbeat thread renews it every ``ttl / 3``.
    """

    def __init__(self, store: LeaseStore, name: str, owner: str | None = None,
                 ttl: float | None = None, wait: float = 0.0) -> None:
        self.store = store
        self.name = check_name(name)
        self.owner = owner or default_owner()
        self.ttl = configured_ttl() if ttl is None else float(ttl)
        if not math.isfinite(self.ttl) or self.ttl <= 0:
            raise ValueError(f"lease TTL must be a positive number of seconds, not {ttl!r}")
        self.wait = wait
        self.holder: Holder | None = None
        self.replaced: Holder | None = None  # an expired (dead) holder this lease took over
        self._joined: Lease | None = None
        self._depth = 0
        self._thread = 0
        self._version: Any = None
        self._renewed = 0.0
        self._renewals = 0
        self._lost: str | None = None
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"Lease({self.name!r} at {self.store.where}, held={self.held})"

    @property
    def held(self) -> bool:
        """True while this process holds the lease through this object."""
        return self._depth > 0

    @property
    def lost(self) -> str | None:
        """Why the lease was lost while held (a heartbeat found it taken over), or None."""
        return self._joined.lost if self._joined is not None else self._lost

    @property
    def renewals(self) -> int:
        """How many heartbeat renewals have succeeded so far."""
        return self._joined.renewals if self._joined is not None else self._renewals

    def acquire(self) -> Lease:
        """Take the lease, waiting up to ``wait`` seconds; LeaseHeld if another writer keeps it."""
        if self._depth:
            self._depth += 1
            return self
        key = (self.store.ident, self.name)
        with _HELD_LOCK:
            mine = _HELD.get(key)
            if mine is not None and mine._thread == threading.get_ident():
                mine.check()
                mine._depth += 1
                self._joined, self._depth = mine, 1
                return self
        deadline = math.inf if self.wait < 0 else time.monotonic() + self.wait
        announced = False
        while True:
            holder = self._record()
            sent = time.monotonic()
            outcome = self.store.take(holder)
            if isinstance(outcome, Taken):
                break
            left = deadline - time.monotonic()
            if left <= 0:
                raise LeaseHeld(self.name, self.store.where, outcome, self.wait)
            if not announced:
                log.info("waiting up to %s for lease %r: %s",
                         "ever" if self.wait < 0 else f"{self.wait:g} s", self.name,
                         LeaseHeld(self.name, self.store.where, outcome, 0))
                announced = True
            time.sleep(min(left, POLL_S, max(0.05, self.ttl / 10)))
        self.holder, self.replaced = holder, outcome.replaced
        self._version, self._renewed, self._lost = outcome.version, sent, None
        self._thread, self._depth = threading.get_ident(), 1
        if outcome.replaced is not None:
            log.warning("lease %r taken over from %s on host %s, pid %s (it stopped renewing)",
                        self.name, outcome.replaced.owner, outcome.replaced.host,
                        outcome.replaced.pid)
        with _HELD_LOCK:
            _HELD[key] = self
        self._stop.clear()
        self._beat = threading.Thread(target=self._heartbeat, name=f"lease-{self.name}",
                                      daemon=True)
        self._beat.start()
        return self

    def release(self) -> None:
        """Give the lease up (the outermost release of this thread's holds)."""
        if not self._depth:
            return
        self._depth -= 1
        if self._joined is not None:
            if not self._depth:
                self._joined.release()
                self._joined = None
            return
        if self._depth:
            return
        self._stop.set()
        if self._beat is not None:
            self._beat.join()
            self._beat = None
        with _HELD_LOCK:
            if _HELD.get((self.store.ident, self.name)) is self:
                del _HELD[self.store.ident, self.name]
        try:
            self.store.release(self.name, self._version)
        except Exception as exc:  # it expires on its own: a failed release loses nothing
            log.warning("lease %r: release failed (%s); it expires after %g s", self.name, exc,
                        self.ttl)
        finally:
            self._version = None

    def check(self) -> None:
        """Raise LeaseLost unless this lease is surely still ours (no-op when not held)."""
        if self._joined is not None:
            self._joined.check()
            return
        if not self._depth:
            return
        if self._lost:
            raise LeaseLost(f"lease {self.name!r} at {self.store.where} was lost: {self._lost};"
                            " stopped before writing")
        quiet = time.monotonic() - self._renewed
        if self.store.expires and quiet > self.ttl * SAFE_FRACTION:
            raise LeaseLost(f"lease {self.name!r} at {self.store.where} not renewed for "
                            f"{quiet:.1f} s of its {self.ttl:g} s TTL; stopped before writing")

    def _record(self) -> Holder:
        """Our holder record as of now."""
        now = datetime.now(UTC)
        return Holder(self.name, self.owner, socket.gethostname(), os.getpid(),
                      uuid.uuid4().hex, self.ttl, iso(now),
                      iso(now + timedelta(seconds=self.ttl)))

    def _heartbeat(self) -> None:
        """Renew every ``ttl / 3`` until released; note a lost lease and stop."""
        while not self._stop.wait(self.ttl / 3):
            assert self.holder is not None
            sent = time.monotonic()
            renewed = self.holder.renewed()
            try:
                version = self.store.renew(renewed, self._version)
            except Exception as exc:  # the store is unreachable: check() decides when to stop
                log.warning("lease %r: renewal failed: %s", self.name, exc)
                continue
            if self._stop.is_set() and version is None:
                return
            if version is None:
                self._lost = "another writer took it over or removed it"
                log.error("lease %r at %s lost: %s", self.name, self.store.where, self._lost)
                return
            self.holder, self._version, self._renewed = renewed, version, sent
            self._renewals += 1

    def __enter__(self) -> Lease:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


class LeaseHome(Protocol):
    """Anything that keeps leases, such as a ``LakeLocation``; this module never imports it."""

    def lease_store(self) -> LeaseStore:
        """Where the leases live."""


def holder_of(loc: LeaseHome, name: str) -> Holder | None:
    """Who holds lease ``name`` of the lake ``loc`` now (None if free), without taking it."""
    return loc.lease_store().current(check_name(name))
