"""Small helpers shared by the store modules."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timezone

# C0 and C1 control characters: in a name or a title they could move the
# terminal's cursor or clear its screen when drawn.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")


# Each control character's visible stand-in: the Unicode "control pictures"
# (ESC → "␛", BEL → "␇"), DEL → "␡", C1 → "�". One table for every place that
# shows text from a document (the reader, lists, editors, the command line,
# CSV and Markdown exports), so none of them sends a control sequence.
CONTROL_PICTURES: dict[str, str] = {chr(code): chr(0x2400 + code) for code in range(0x20)}
CONTROL_PICTURES["\x7f"] = "\u2421"
CONTROL_PICTURES.update({chr(code): "\ufffd" for code in range(0x80, 0xA0)})
_CONTROLS_TO_SHOW = {keep: re.compile(
    "[" + "".join(re.escape(c) for c in CONTROL_PICTURES if c not in keep) + "]")
    for keep in ("", "\n", "\t\n")}


def visible_controls(text: str, keep: str = "\t\n") -> str:
    """``text`` with every control character but those in ``keep`` (one of
    ``""``, ``"\\n"``, ``"\\t\\n"``) replaced by its visible picture. Same
    length as ``text``, so offsets still hold."""
    pattern = _CONTROLS_TO_SHOW[keep]
    if pattern.search(text) is None:
        return text
    return pattern.sub(lambda match: CONTROL_PICTURES[match.group()], text)


_RAW_IN_JSON = re.compile("[\x7f-\x9f]")


def json_text(value: object, indent: int | None = None) -> str:
    """``value`` as JSON, non-ASCII text as it is but DEL and the C1 controls
    written ``\\u0080``…, as json already writes ESC, BEL and the other C0
    controls: the same strings, and nothing a terminal would act on."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return _RAW_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``"1 document"``, ``"3 documents"``, ``"2 entities"``: a count and its
    noun, for every message that counts something."""
    if count == 1:
        return f"1 {singular}"
    if plural_form is None:
        plural_form = singular[:-1] + "ies" if singular.endswith("y") and singular[-2:-1] not in "aeiou" else singular + "s"
    return f"{count:,} {plural_form}"


def human_size(size: int) -> str:
    """A size as people read it: "840 bytes", "12.3 MB" (units of 1,000,
    as file managers and `ls --si` give them)."""
    if size < 1000:
        return plural(size, "byte")
    for unit in ("kB", "MB", "GB", "TB"):
        size /= 1000
        if size < 999.95 or unit == "TB":
            return f"{size:,.1f} {unit}"
    raise AssertionError("unreachable")


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


class TemplateError(ValueError):
    """A template that :func:`fill_template` cannot fill."""


def fill_template(template: str, **values: str) -> str:
    """``template`` with each ``{name}`` replaced by ``values[name]``; ``{{``
    and ``}}`` are braces. Only plain names: no attributes, indexes,
    conversions or format specs (a config file's ``{label.x}`` or
    ``{name:>999999999}`` would raise or eat memory in ``str.format``)."""
    import string

    out: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as error:
        raise TemplateError(str(error)) from None
    for literal, field_name, format_spec, conversion in parsed:
        out.append(literal)
        if field_name is None:
            continue
        if field_name not in values or format_spec or conversion:
            shown = "{" + field_name + (f"!{conversion}" if conversion else "") \
                + (f":{format_spec}" if format_spec else "") + "}"
            known = ", ".join("{" + name + "}" for name in values)
            raise TemplateError(f"{shown} is not one of {known}")
        out.append(values[field_name])
    return "".join(out)


def error_reason(error: Exception) -> str:
    """What went wrong, in a few words: an OSError's own words (without the
    path, which the caller shows), else the message, else the error's name."""
    return getattr(error, "strerror", None) or str(error) or type(error).__name__
