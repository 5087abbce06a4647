"""The one home of the source-id pattern: registry ids, staging names and lake partitions.

It imports nothing of the project, so ``scrapers`` and ``transforms`` may both use it.
"""

from __future__ import annotations

import re

_ID_TAIL = r"[a-z0-9_-]{0,62}"
SOURCE_ID_BODY = rf"[a-z0-9]{_ID_TAIL}"
"""A registry source id, unanchored (for embedding in a longer pattern)."""
SOURCE_ID_PATTERN = rf"^{SOURCE_ID_BODY}$"
SOURCE_ID = re.compile(SOURCE_ID_PATTERN)
INVALID_SOURCE = "_invalid"
"""The partition of rows whose source id is missing or does not match ``SOURCE_ID``."""
PARTITION_SOURCE_BODY = rf"[a-z0-9_]{_ID_TAIL}"
"""A lake partition's source name: a source id, or a reserved name such as ``_invalid``."""
PARTITION_SOURCE = re.compile(rf"^{PARTITION_SOURCE_BODY}$")
