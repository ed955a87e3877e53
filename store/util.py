"""Small helpers shared by the store modules."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

# C0 and C1 control characters: in a name or a title they could move the
# terminal's cursor or clear its screen when drawn.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")


def now() -> str:
    """The current time as ISO-8601 UTC text, the format of every timestamp."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def new_uuid() -> str:
    return str(uuid.uuid4())


def one_line(text: str) -> str:
    """A name or title as one line: control characters (newlines and tabs
    included) become spaces, runs of whitespace one space."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", text).split())


def join_memos(*memos: str | None) -> str:
    """Memos that become one (merged codings, merged codes), in order and
    separated by a blank line, so that none is lost; empty ones and repeats of
    one already there are left out."""
    joined: list[str] = []
    for memo in memos:
        if memo and memo.strip() and memo.strip() not in {kept.strip() for kept in joined}:
            joined.append(memo)
    return "\n\n".join(joined)
