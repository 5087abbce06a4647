"""Another writer, as a real process: holds a lake lease until told to let go, or tries once.

    python -m tests.lease_holder LAKE NAME --owner O --ttl S --marker FILE   (hold)
    python -m tests.lease_holder LAKE NAME --try                               (exit 75 if held)

Holding: prints one JSON line (pid, token) once the lease is held, waits for a line (or EOF) on
stdin, creates ``FILE`` and only then releases, so a waiter can tell it came after the release.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from transforms.lease import LeaseHeld
from transforms.storage import LakeLocation

REFUSED = 75


def main(argv: list[str] | None = None) -> int:
    """Hold or try the lease ``NAME`` of the lake ``LAKE``."""
    parser = argparse.ArgumentParser()
    parser.add_argument("lake")
    parser.add_argument("name")
    parser.add_argument("--owner", default=None)
    parser.add_argument("--ttl", type=float, default=None)
    parser.add_argument("--marker", type=Path, default=None)
    parser.add_argument("--try", dest="once", action="store_true")
    args = parser.parse_args(argv)
    loc = LakeLocation.parse(args.lake)
    lease = loc.lock(args.name, 0, owner=args.owner, ttl=args.ttl)
    try:
        lease.acquire()
    except LeaseHeld as exc:
        print(exc, flush=True)
        return REFUSED
    if args.once:
        lease.release()
        return 0
    assert lease.holder is not None
    print(json.dumps({"pid": lease.holder.pid, "token": lease.holder.token}), flush=True)
    sys.stdin.readline()
    if args.marker is not None:
        args.marker.write_text("released")
    lease.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
