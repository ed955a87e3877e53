"""The codebook: a tree of codes with colours, descriptions and memos.

Every change here is one undoable action (see store/history.py).
"""

from __future__ import annotations

import colorsys
import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from margin.store.coders import coder_condition
from margin.store.db import Database
from margin.store.errors import NotFound, StoreError
from margin.store.history import ChangeLog, action
from margin.store.util import join_memos, new_uuid, now, one_line

PATH_SEPARATOR = " > "

# Colours that stay distinct from each other and readable as a tinted
# background behind light or dark text. New codes take the first unused one.
PALETTE = [
    "#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4",
    "#f032e6", "#bfef45", "#fabed4", "#469990", "#dcbeff", "#9a6324",
    "#ffe119", "#800000", "#aaffc3", "#808000", "#ffd8b1", "#000075",
]


@dataclass
class Code:
    id: int
    uuid: str
    name: str
    colour: str
    description: str
    parent_id: int | None
    path: str = ""
    depth: int = 0
    coding_count: int = 0
    # Codings of this code and of all codes beneath it (codebook() sums them).
    total_count: int = 0
    # Whether its colour was chosen (True), picked by margin (False), or is
    # not known (None: a code from before migration 0013, or a REFI-QDA file's).
    colour_chosen: bool | None = None
    # Not compared nor shown: a dataclass's __eq__ and __repr__ would recurse
    # down the tree, and a deep codebook is deeper than Python's stack.
    children: list[Code] = field(default_factory=list, compare=False, repr=False)


def codebook(db: Database, coders: Sequence[str] = (), *, strict: bool = True) -> list[Code]:
    """All codes in tree order (parents before children, siblings by name),
    each with its codings counted: every coder's, or the ``coders`` named'
    (store/coders.py; ``strict=False``: an unknown name counts nothing).

    Walked with a stack, not recursion: a codebook may be deeper than
    Python's recursion limit (a REFI-QDA file from elsewhere, a script)."""
    by_coder, params = coder_condition(db, coders, strict=strict)
    counts = {
        row["code_id"]: row["n"]
        for row in db.query(f"SELECT code_id, COUNT(*) AS n FROM codings WHERE {by_coder} "
                            "GROUP BY code_id", params)
    }
    codes = {
        row["id"]: Code(
            id=row["id"],
            uuid=row["uuid"],
            name=row["name"],
            colour=row["colour"],
            description=row["description"] or "",
            parent_id=row["parent_id"],
            coding_count=counts.get(row["id"], 0),
            total_count=counts.get(row["id"], 0),
            # (Absent from a colleague's older file: not known.)
            colour_chosen=None if row.get("colour_chosen") is None
            else bool(row["colour_chosen"]),
        )
        for row in db.query("SELECT * FROM codes")
    }
    roots: list[Code] = []
    for code in codes.values():
        parent = codes.get(code.parent_id) if code.parent_id else None
        (parent.children if parent else roots).append(code)
    # Depth first, siblings by name; a loop, not recursion, so a codebook of
    # any depth (an imported one, say) can be listed.
    ordered: list[Code] = []
    # Depth first, siblings by name: the stack holds what is still to visit,
    # the next sibling on top.
    stack: list[tuple[Code, str, int]] = [
        (code, "", 0) for code in reversed(_by_name(roots))]
    while stack:
        code, prefix, depth = stack.pop()
        code.path = prefix + code.name
        code.depth = depth
        ordered.append(code)
        code.children[:] = _by_name(code.children)
        stack.extend((child, code.path + PATH_SEPARATOR, depth + 1)
                     for child in reversed(code.children))
    # Children come after their parent: summing in reverse order adds each
    # code's total to its parent after the code's own total is complete.
    for code in reversed(ordered):
        parent = codes.get(code.parent_id) if code.parent_id else None
        if parent is not None:
            parent.total_count += code.total_count
    return ordered


def _by_name(codes: list[Code]) -> list[Code]:
    return sorted(codes, key=lambda c: c.name.casefold())


def code_paths(db: Database) -> dict[int, str]:
    """Each code's full path ("Parent > Child") by id, without counting
    codings (the ``code_paths`` view): for whoever needs names on a hot path
    (search as you type) or many times (a merge's report)."""
    return dict(db.execute("SELECT code_id, path FROM code_paths").fetchall())


def get_code(db: Database, code_id: int) -> Code:
    for code in codebook(db):
        if code.id == code_id:
            return code
    raise NotFound(f"code {code_id} does not exist")


def find_code(db: Database, name_or_path: str, codes: list[Code] | None = None) -> Code | None:
    """A code by its full path ("Parent > Child"), else by a unique name;
    ``codes``: the :func:`codebook` already read, for many look-ups."""
    wanted = name_or_path.strip().casefold()
    codes = codebook(db) if codes is None else codes
    by_path = [c for c in codes if c.path.casefold() == wanted]
    if by_path:
        return by_path[0]
    by_name = [c for c in codes if c.name.casefold() == wanted]
    if len(by_name) > 1:
        paths = ", ".join(c.path for c in by_name)
        raise StoreError(f"{name_or_path!r} is ambiguous: {paths}; give the full path")
    return by_name[0] if by_name else None


def descendant_ids(db: Database, code_id: int) -> list[int]:
    """The code and every code beneath it."""
    rows = db.query(
        """WITH RECURSIVE tree(id) AS (
               SELECT ? UNION ALL SELECT codes.id FROM codes JOIN tree ON codes.parent_id = tree.id
           ) SELECT id FROM tree""",
        [code_id],
    )
    return [row["id"] for row in rows]


def used_colours(db: Database) -> set[str]:
    """The colours the codes have, in lower case."""
    return {row[0].lower() for row in db.execute("SELECT colour FROM codes")}


def next_colour(db: Database, used: set[str] | None = None) -> str:
    """A colour distinct from those already used, for a new code. A caller
    adding many codes passes ``used`` (from :func:`used_colours`, kept up to
    date) so that each choice costs the same however many codes there are."""
    if used is None:
        used = used_colours(db)
    for colour in PALETTE:
        if colour not in used:
            return colour
    # Past the palette: spread hues by the golden ratio so neighbours differ.
    hue = (len(used) * 0.618033988749895) % 1.0
    red, green, blue = colorsys.hsv_to_rgb(hue, 0.65, 0.9)
    return f"#{int(red * 255):02x}{int(green * 255):02x}{int(blue * 255):02x}"


# Past the palette next_colour() spreads hues at this saturation and value:
# every such colour has 229 as its largest channel and 80 as its smallest.
_AUTOMATIC_HIGH, _AUTOMATIC_LOW = int(0.9 * 255), int(0.9 * (1 - 0.65) * 255)


def could_be_automatic(colour: str) -> bool:
    """Whether ``colour`` may be one margin picked itself for a new code
    (:func:`next_colour`), for a code whose ``colour_chosen`` is not known
    (from before migration 0013, or a REFI-QDA file's): a palette colour
    chosen in the picker looks automatic too; a colour outside the palette
    and the hues past it was chosen."""
    value = colour.strip().lower()
    if value in PALETTE:
        return True
    try:
        channels = [int(value[i:i + 2], 16) for i in (1, 3, 5)]
    except ValueError:
        return False
    return len(value) == 7 and max(channels) == _AUTOMATIC_HIGH \
        and min(channels) == _AUTOMATIC_LOW


def normalise_colour(colour: str) -> str:
    """A colour as the store keeps it (#rrggbb), from any form
    :func:`colour_from_text` reads; anything else is a one-line StoreError."""
    value = colour_from_text(colour)
    if value is None:
        raise StoreError(f"{colour!r} is not a colour; use #rrggbb or a colour name such as orange")
    return value


def colour_from_text(text: str) -> str | None:
    """What a person may type for a code's colour, as #rrggbb: #rrggbb,
    rrggbb, #rgb, a CSS colour name ("orange", "Dark Orange", "dark_orange"),
    rgb(r, g, b), rgba(r, g, b, 1), hsl(h, s%, l%), hsla(h, s%, l%, 1). None
    for anything else (transparent and terminal-palette colours, which are
    no fixed colour, included). The one parser: the app's colour picker and
    `margin codes add|recolour --colour` both read colours with it."""
    value = text.strip().lower()
    hexadecimal = value.removeprefix("#")
    if len(hexadecimal) == 3:  # #abc → #aabbcc
        hexadecimal = "".join(ch * 2 for ch in hexadecimal)
    if len(hexadecimal) == 6 and all(ch in "0123456789abcdef" for ch in hexadecimal):
        return "#" + hexadecimal
    if value.startswith("#"):
        return None
    name = "".join(value.replace("_", " ").split())
    named = _css_colours().get(name)
    if named is not None:
        return "#" + named
    match = _FUNCTION.match(value)
    if match is None:
        return None
    function, values = match.group(1), [part.strip() for part in match.group(2).split(",")]
    try:
        if function in ("rgba", "hsla") and (len(values) != 4 or _finite(values.pop()) != 1):
            return None  # only an opaque colour is a colour to draw with
        if len(values) != 3:
            return None
        if function.startswith("rgb"):
            if any(part.endswith("%") for part in values):
                return None
            red, green, blue = (min(255, max(0, int(_finite(part)))) for part in values)
        else:
            hue = _finite(values[0]) % 360 / 360
            if not (values[1].endswith("%") and values[2].endswith("%")):
                return None
            saturation, lightness = (min(1.0, max(0.0, _finite(part[:-1]) / 100))
                                     for part in values[1:])
            red, green, blue = (int(channel * 255 + 0.5) for channel in
                                colorsys.hls_to_rgb(hue, lightness, saturation))
    except ValueError:
        return None
    return f"#{red:02x}{green:02x}{blue:02x}"


def _finite(part: str) -> float:
    """A number of a colour function; "inf", "nan" and 1e999 are no number
    (``int(inf)`` would raise OverflowError, a NaN hue would give grey)."""
    number = float(part)
    if not math.isfinite(number):
        raise ValueError(part)
    return number


_FUNCTION = re.compile(r"^(rgba?|hsla?)\(\s*([^()]*)\)$")

# The CSS colour names (as Textual, the app's toolkit, knows them), name and
# #rrggbb; read once, when first asked.
_CSS_COLOURS = (
    "black 000000 silver c0c0c0 gray 808080 white ffffff maroon 800000 red ff0000 purple "
    "800080 fuchsia ff00ff green 008000 lime 00ff00 olive 808000 yellow ffff00 navy 000080 "
    "blue 0000ff teal 008080 aqua 00ffff orange ffa500 aliceblue f0f8ff antiquewhite faebd7 "
    "aquamarine 7fffd4 azure f0ffff beige f5f5dc bisque ffe4c4 blanchedalmond ffebcd "
    "blueviolet 8a2be2 brown a52a2a burlywood deb887 cadetblue 5f9ea0 chartreuse 7fff00 "
    "chocolate d2691e coral ff7f50 cornflowerblue 6495ed cornsilk fff8dc crimson dc143c cyan "
    "00ffff darkblue 00008b darkcyan 008b8b darkgoldenrod b8860b darkgray a9a9a9 darkgreen "
    "006400 darkgrey a9a9a9 darkkhaki bdb76b darkmagenta 8b008b darkolivegreen 556b2f "
    "darkorange ff8c00 darkorchid 9932cc darkred 8b0000 darksalmon e9967a darkseagreen 8fbc8f "
    "darkslateblue 483d8b darkslategray 2f4f4f darkslategrey 2f4f4f darkturquoise 00ced1 "
    "darkviolet 9400d3 deeppink ff1493 deepskyblue 00bfff dimgray 696969 dimgrey 696969 "
    "dodgerblue 1e90ff firebrick b22222 floralwhite fffaf0 forestgreen 228b22 gainsboro "
    "dcdcdc ghostwhite f8f8ff gold ffd700 goldenrod daa520 greenyellow adff2f grey 808080 "
    "honeydew f0fff0 hotpink ff69b4 indianred cd5c5c indigo 4b0082 ivory fffff0 khaki f0e68c "
    "lavender e6e6fa lavenderblush fff0f5 lawngreen 7cfc00 lemonchiffon fffacd lightblue "
    "add8e6 lightcoral f08080 lightcyan e0ffff lightgoldenrodyellow fafad2 lightgray d3d3d3 "
    "lightgreen 90ee90 lightgrey d3d3d3 lightpink ffb6c1 lightsalmon ffa07a lightseagreen "
    "20b2aa lightskyblue 87cefa lightslategray 778899 lightslategrey 778899 lightsteelblue "
    "b0c4de lightyellow ffffe0 limegreen 32cd32 linen faf0e6 magenta ff00ff mediumaquamarine "
    "66cdaa mediumblue 0000cd mediumorchid ba55d3 mediumpurple 9370db mediumseagreen 3cb371 "
    "mediumslateblue 7b68ee mediumspringgreen 00fa9a mediumturquoise 48d1cc mediumvioletred "
    "c71585 midnightblue 191970 mintcream f5fffa mistyrose ffe4e1 moccasin ffe4b5 navajowhite "
    "ffdead oldlace fdf5e6 olivedrab 6b8e23 orangered ff4500 orchid da70d6 palegoldenrod "
    "eee8aa palegreen 98fb98 paleturquoise afeeee palevioletred db7093 papayawhip ffefd5 "
    "peachpuff ffdab9 peru cd853f pink ffc0cb plum dda0dd powderblue b0e0e6 rosybrown bc8f8f "
    "royalblue 4169e1 saddlebrown 8b4513 salmon fa8072 sandybrown f4a460 seagreen 2e8b57 "
    "seashell fff5ee sienna a0522d skyblue 87ceeb slateblue 6a5acd slategray 708090 slategrey "
    "708090 snow fffafa springgreen 00ff7f steelblue 4682b4 tan d2b48c thistle d8bfd8 tomato "
    "ff6347 turquoise 40e0d0 violet ee82ee wheat f5deb3 whitesmoke f5f5f5 yellowgreen 9acd32 "
    "rebeccapurple 663399 "
)


@functools.cache
def _css_colours() -> dict[str, str]:
    words = _CSS_COLOURS.split()
    return dict(zip(words[::2], words[1::2], strict=True))


def _clean_name(name: str) -> str:
    name = one_line(name)
    if not name:
        raise StoreError("a code needs a name")
    if ">" in name:
        raise StoreError(f"{name!r}: '>' separates levels of a code path and cannot be in a name")
    return name


def _check_sibling_free(db, name: str, parent_id: int | None, except_id: int | None = None):
    for row in db.query(
        "SELECT id, name FROM codes WHERE parent_id IS ?", [parent_id]
    ):
        if row["name"].casefold() == name.casefold() and row["id"] != except_id:
            raise StoreError(f"a code named {name!r} already exists there")


def create_code(
    db: Database,
    name: str,
    parent_id: int | None = None,
    colour: str | None = None,
    description: str = "",
) -> int:
    name = _clean_name(name)
    if parent_id is not None:
        get_code(db, parent_id)
    _check_sibling_free(db, name, parent_id)
    with action(db, f"Create code {name}") as log:
        return _insert_code(log, name, parent_id, colour, description)


def _insert_code(log: ChangeLog, name, parent_id, colour, description) -> int:
    timestamp = now()
    return log.insert(
        "codes",
        {
            "uuid": new_uuid(),
            "parent_id": parent_id,
            "name": name,
            "colour": normalise_colour(colour) if colour else next_colour(log.db),
            "colour_chosen": 1 if colour else 0,
            "description": description,
            "created": timestamp,
            "updated": timestamp,
        },
    )


def ensure_code_path(db: Database, path: str) -> int:
    """The code at "A > B > C", creating any missing level (one action)."""
    names = [_clean_name(part) for part in path.split(">")]
    with action(db, f"Create code {PATH_SEPARATOR.join(names)}") as log:
        parent_id: int | None = None
        for name in names:
            existing = [
                row["id"]
                for row in db.query("SELECT id, name FROM codes WHERE parent_id IS ?", [parent_id])
                if row["name"].casefold() == name.casefold()
            ]
            parent_id = existing[0] if existing else _insert_code(log, name, parent_id, None, "")
        assert parent_id is not None
        return parent_id


def rename_code(db: Database, code_id: int, name: str) -> None:
    code = get_code(db, code_id)
    name = _clean_name(name)
    _check_sibling_free(db, name, code.parent_id, except_id=code_id)
    with action(db, f"Rename code {code.name} to {name}") as log:
        log.update("codes", code_id, {"name": name, "updated": now()})


def recolour_code(db: Database, code_id: int, colour: str) -> None:
    code = get_code(db, code_id)
    colour = normalise_colour(colour)
    with action(db, f"Recolour code {code.name}") as log:
        log.update("codes", code_id, {"colour": colour, "colour_chosen": 1, "updated": now()})


def describe_code(db: Database, code_id: int, description: str) -> None:
    code = get_code(db, code_id)
    with action(db, f"Describe code {code.name}") as log:
        log.update("codes", code_id, {"description": description.strip(), "updated": now()})


def move_code(db: Database, code_id: int, new_parent_id: int | None) -> None:
    """Put a code (with everything beneath it) under another code, or at the top."""
    code = get_code(db, code_id)
    if new_parent_id is not None:
        parent = get_code(db, new_parent_id)
        if new_parent_id in descendant_ids(db, code_id):
            raise StoreError(f"cannot move {code.path!r} under itself ({parent.path!r})")
    _check_sibling_free(db, code.name, new_parent_id, except_id=code_id)
    with action(db, f"Move code {code.name}") as log:
        log.update("codes", code_id, {"parent_id": new_parent_id, "updated": now()})


@dataclass(frozen=True)
class MergeSummary:
    """What merge_codes did: codings moved to the target, and codings united
    with another coding of the same passage by the same coder (deleted, their
    memos joined to the one kept)."""

    moved: int
    united: int


def _passage_key(row: dict, code_id: int) -> tuple:
    """The coding's :func:`~margin.store.codings.coding_key` under
    ``code_id``, its span taken without the whitespace at its ends (a quote
    that ends with a line break and one that does not are one passage to a
    reader)."""
    from margin.store.codings import coding_key  # codings imports this module

    quote = row["quote"] or ""
    start = row["start"] + len(quote) - len(quote.lstrip())
    end = row["end"] - (len(quote) - len(quote.rstrip()))
    if start >= end:  # all whitespace: only the exact span is the same
        start, end = row["start"], row["end"]
    return coding_key(row["document_id"], code_id, row["coder_id"], start, end)


def merge_codes(db: Database, source_id: int, target_id: int) -> MergeSummary:
    """Fold the source code into the target: its codings and sub-codes move to
    the target and the source is deleted, as one action. Codings of one
    passage by one coder become one coding of the target (the target's own
    if it had one, the memos of all joined); different coders' codings of a
    passage all stay."""
    if source_id == target_id:
        raise StoreError("cannot merge a code into itself")
    source, target = get_code(db, source_id), get_code(db, target_id)
    if target_id in descendant_ids(db, source_id):
        raise StoreError(f"cannot merge {source.path!r} into its own sub-code {target.path!r}")
    target_children = {
        row["name"].casefold() for row in db.query(
            "SELECT name FROM codes WHERE parent_id = ?", [target_id])
    }
    for child in db.query("SELECT name FROM codes WHERE parent_id = ?", [source_id]):
        if child["name"].casefold() in target_children:
            raise StoreError(
                f"both codes have a sub-code named {child['name']!r}: merge or rename it first"
            )
    # Each passage's codings by each coder, the target's first: the first of
    # a group is kept (moved to the target if it is the source's), the others
    # join their memos to it and go.
    passages: dict[tuple, list[dict]] = {}
    for row in db.query(
        "SELECT * FROM codings WHERE code_id IN (?, ?) "
        "ORDER BY code_id = ? DESC, id", [source_id, target_id, target_id]
    ):
        passages.setdefault(_passage_key(row, target_id), []).append(row)
    moved = united = 0
    with action(db, f"Merge code {source.name} into {target.name}") as log:
        for kept, *others in passages.values():
            if not others and kept["code_id"] == target_id:
                continue
            # Delete before moving: the kept coding may take the exact span
            # of one that goes, and the UNIQUE index holds at every step.
            for other in others:
                log.delete("codings", other["id"])
                united += 1
            changes = {}
            if kept["code_id"] != target_id:
                changes["code_id"] = target_id
                moved += 1
            memo = join_memos(kept["memo"], *(other["memo"] for other in others))
            if memo != (kept["memo"] or ""):
                changes["memo"] = memo
            if changes:
                log.update("codings", kept["id"], {**changes, "updated": now()})
        for child in list(db.query("SELECT id FROM codes WHERE parent_id = ?", [source_id])):
            log.update("codes", child["id"], {"parent_id": target_id, "updated": now()})
        _merge_code_memo(log, source_id, target_id)
        log.delete("codes", source_id)
    return MergeSummary(moved, united)


def _merge_code_memo(log: ChangeLog, source_id: int, target_id: int) -> None:
    """The source's memo is appended to the target's, never dropped."""
    source = list(log.db.query("SELECT * FROM memos WHERE code_id = ?", [source_id]))
    if not source:
        return
    target = list(log.db.query("SELECT * FROM memos WHERE code_id = ?", [target_id]))
    log.delete("memos", source[0]["id"])
    if target:
        log.update("memos", target[0]["id"],
                   {"text": join_memos(target[0]["text"], source[0]["text"]), "updated": now()})
    else:
        row = {key: value for key, value in source[0].items() if key != "id"}
        log.insert("memos", {**row, "code_id": target_id, "updated": now()})


def delete_code(db: Database, code_id: int) -> tuple[int, int]:
    """Delete a code, the codes beneath it and all their codings.

    Returns (codes deleted, codings deleted) so the confirmation can say it.
    """
    code = get_code(db, code_id)
    ids = descendant_ids(db, code_id)
    codings_deleted = 0
    with action(db, f"Delete code {code.name}") as log:
        # Children before parents, codings before their code: the foreign
        # keys hold at every step, and undo restores in the reverse order.
        for doomed in reversed(ids):
            for row in list(db.query("SELECT id FROM codings WHERE code_id = ?", [doomed])):
                log.delete("codings", row["id"])
                codings_deleted += 1
            _delete_code_memo(log, doomed)
            log.delete("codes", doomed)
    return len(ids), codings_deleted


def deletion_summary(db: Database, code_id: int) -> tuple[int, int]:
    """What delete_code would remove: (codes, codings), for a confirmation."""
    ids = descendant_ids(db, code_id)
    marks = ",".join("?" * len(ids))
    codings = db.execute(f"SELECT COUNT(*) FROM codings WHERE code_id IN ({marks})", ids)
    return len(ids), codings.fetchone()[0]


def _delete_code_memo(log: ChangeLog, code_id: int) -> None:
    for row in list(log.db.query("SELECT id FROM memos WHERE code_id = ?", [code_id])):
        log.delete("memos", row["id"])


def recently_used_codes(db: Database, limit: int = 9, coders: Sequence[str] = (), *,
                        strict: bool = True, codes: list[Code] | None = None) -> list[Code]:
    """Codes by when they were last applied here (by the ``coders`` named,
    if given), newest first (keys 1–9): by their newest coding, the one
    written last (the highest id). ``codes``: the :func:`codebook` already
    read (the reader's), else it is read.

    One index look-up per code (the codings of a code, on the code_id index,
    walked from the newest back to the first of the coders named), not a
    pass over every coding: it runs on every reload of the reader."""
    by_coder, params = coder_condition(db, coders, "c.coder_id", strict=strict)
    order = [row[0] for row in db.execute(
        f"""SELECT id FROM (
                SELECT codes.id AS id, (SELECT c.id FROM codings c
                                        WHERE c.code_id = codes.id AND {by_coder}
                                        ORDER BY c.id DESC LIMIT 1) AS newest
                FROM codes)
            WHERE newest IS NOT NULL ORDER BY newest DESC LIMIT ?""",
        [*params, limit])]
    by_id = {code.id: code for code in (codebook(db) if codes is None else codes)}
    return [by_id[code_id] for code_id in order if code_id in by_id]
