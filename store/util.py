"""Small helpers shared by the store modules."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone


def now() -> str:
    """The current time as ISO-8601 UTC text, the format of every timestamp."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def new_uuid() -> str:
    return str(uuid.uuid4())
