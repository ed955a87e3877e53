"""Group entity mentions into real-world entities.

The entity panel counts entities per document and the review screen lists
every mention of one entity across the corpus. Both need "Zelensky",
"Zelenskyy" and "Volodymyr Zelensky" to be one person, and "U.S." and
"United States" to be one country, so mentions are grouped in four steps:

1. **Normalisation** (:func:`canonical_key`): Unicode NFKC, case folding,
   accents removed, dots of acronyms dropped ("U.S." → "us"), apostrophes
   unified, hyphens as spaces, a leading "the" and a trailing possessive
   dropped. For people, leading titles ("President", "Mr") and trailing
   suffixes ("Jr") are dropped as well.
2. **Aliases** from the hand-curated ``data/aliases.tsv``: "UK" → "United
   Kingdom", "Kiev" → "Kyiv", "IMF" → "International Monetary Fund". Each row
   applies only to the labels its section names.
3. **People** (PERSON only): spelling variants of a name token join
   ("Zelensky", "Zelenskyy", "Zelenskiy"); a two-token name joins the one
   longer name with the same first and last token ("Joseph Biden" → "Joseph
   R. Biden"); a single token joins the full name it is the last (or first)
   token of within the same document, if no other person of that name is
   there and the titles before them do not conflict ("President Trump" is
   not "First Lady Melania Trump"); never a full name of another document.
   Whenever more than one person would fit, nothing joins. A suffix keeps a
   name apart ("Donald Trump Jr." is not "Donald Trump").
4. **NORP plurals**: "Ukrainians" joins "Ukrainian" when both occur.

Fuzzy matching is used for people only. Place, nationality and organisation
names are short and their near neighbours are usually different real things
(Austria/Australia, Iran/Iraq, Niger/Nigeria, Slovakia/Slovenia, Channel
4/Channel 5, Labor Party/Labour Party), while their real variants (Kiev/Kyiv,
Burma/Myanmar, UN/United Nations) are not near each other in spelling at all;
so those labels rely on the alias list, where a wrong merge is a visible,
fixable line rather than a threshold's side effect.

Even for people, edit distance alone cannot tell Zelensky/Zelenskyy (one
person, two transliterations) from Thomson/Thompson, Maria/Marie or
Christian/Christine (different people), which are equally close. Name tokens
therefore join only when the edits between them are the kind transliteration
and typing produce: i/y swaps ("Zelenskiy"/"Zelenskyy"), an added i or y next
to another ("Dmitriy"/"Dmitri"), a doubled letter ("Mohammed"/"Mohamed"), or
one swap of neighbouring letters in a long token ("Zelenksy"). They must also
start with the same letter and differ in length by at most one.

Different labels never merge: "Washington" as GPE and as PERSON are two
entities. Pure Python; no textual import.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from itertools import chain
from operator import attrgetter
from pathlib import Path

from margin.store.entities import ALL_LABELS

ALIASES_PATH = Path(__file__).resolve().parent / "data" / "aliases.tsv"

_LABEL_ORDER = {label: index for index, label in enumerate(ALL_LABELS)}

# Labels whose names are places, peoples or organisations: a trailing "'s"
# on them is always a possessive, never part of the name. Product and
# organisation names may end in one ("McDonald's"), so for the remaining
# labels the display form keeps it (the grouping key drops it regardless).
_POSSESSIVE_DISPLAY_LABELS = frozenset({"PERSON", "NORP", "GPE", "LOC"})

# Words that precede a name in running text but are not part of it. Only
# leading ones are dropped, and never the last remaining token. Royal and
# papal titles are kept: for monarchs they are how the name is written
# ("King Charles", "Queen Elizabeth II").
_PERSON_TITLES = frozenset(
    ["mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "lord", "lady", "president", "vice", "prime", "minister", "chancellor", "premier", "secretary", "deputy", "foreign", "home", "defence", "defense", "interior", "finance", "health", "state", "of", "senator", "sen", "rep", "representative", "congressman", "congresswoman", "gov", "governor", "mayor", "judge", "justice", "ambassador", "general", "gen", "colonel", "col", "lieutenant", "lt", "captain", "capt", "sergeant", "sgt", "admiral", "adm", "commander", "marshal", "rev", "reverend", "chairman", "chairwoman", "chair", "ceo", "former", "late", "acting", "first", "elect", "madam", "madame", "mme"]
)
_PERSON_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})

# Fuzzy name matching: tokens shorter than this must match exactly (Jon/John,
# Eric/Erik and Ann/Anne are different names, not spellings of one).
_MIN_FUZZY_TOKEN = 4
# One swap of neighbouring letters counts as a typo only in tokens this long;
# in short ones it makes another name (Carol/Carlo).
_MIN_TRANSPOSED_TOKEN = 6

_APOSTROPHES = str.maketrans(dict.fromkeys("\u2019\u2018\u02bc\u02b9`\u00b4\u2032", "'"))
# Letters that NFD does not decompose into a base letter plus an accent.
_FOLD = str.maketrans(
    {"ı": "i", "ø": "o", "đ": "d", "ł": "l", "æ": "ae", "œ": "oe", "þ": "th", "ð": "d"}
)
_DASHES = re.compile(r"[\-\u2010-\u2015\u2212/_]+")
# Everything that is not part of a name's words: quotes, brackets, commas
# (except thousands separators, handled first), and so on.
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_PUNCTUATION = re.compile(r"""[,;:!?"“”„«»‹›()\[\]{}<>*|~^]+""")
# Dotted acronyms: "u.s", "u.s.", "u.s.a.", "d.c." (letters only, so "5.2" stays).
_ACRONYM = re.compile(r"\b[^\W\d_](?:\.[^\W\d_])+\b\.?")
# Dots that are not decimal points.
_DOTS = re.compile(r"(?<!\d)\.|\.(?!\d)")
_POSSESSIVE = re.compile(r"'s$")
_SPACES = re.compile(r"\s+")

_DOCUMENT_ID = attrgetter("document_id")
_SURFACE = attrgetter("label", "text")
_TEXT = attrgetter("text")


@dataclass(frozen=True, slots=True)
class Mention:
    """One entity mention in one document (offsets as in :class:`EntitySpan`)."""

    document_id: int
    start: int
    end: int
    label: str
    text: str


@dataclass(slots=True)
class EntityGroup:
    """All mentions of one real-world entity."""

    #: ``f"{label}:{canonical}"``; unique within one grouping result.
    key: str
    label: str
    #: The display name: the alias list's name, else the fullest form seen.
    canonical: str
    #: Surface form → number of mentions, most frequent first.
    variants: dict[str, int] = field(default_factory=dict)
    #: Sorted by (document_id, start, end).
    mentions: list[Mention] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.mentions)

    @property
    def document_ids(self) -> list[int]:
        """The documents that mention this entity, in order."""
        return sorted({mention.document_id for mention in self.mentions})


def _position(mention: Mention) -> int:
    """Sort key for (document_id, start, end) as one int: comparing ints is
    about twice as fast as comparing tuples, which matters at 100,000
    mentions. Offsets are below 2**32 (a 4 GB document)."""
    return (mention.document_id << 64) | (mention.start << 32) | mention.end


# --------------------------------------------------------------------------
# Normalisation


def _normalise(surface: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a surface."""
    text = unicodedata.normalize("NFKC", surface).translate(_APOSTROPHES).casefold()
    # Accents go so that "Erdoğan" and "Erdogan", "Côte" and "Cote" agree.
    decomposed = unicodedata.normalize("NFD", text)
    text = "".join(char for char in decomposed if not unicodedata.combining(char))
    text = unicodedata.normalize("NFC", text).translate(_FOLD)
    text = _THOUSANDS.sub("", text)
    text = _PUNCTUATION.sub(" ", text)
    text = _DASHES.sub(" ", text)
    text = _ACRONYM.sub(lambda match: match.group().replace(".", ""), text)
    text = _DOTS.sub(" ", text)
    text = _SPACES.sub(" ", text).strip(" '")
    text = _POSSESSIVE.sub("", text).strip(" '")
    if text.startswith("the ") and len(text) > 4:
        text = text[4:]
    return text


def _person_tokens(normalised: str) -> list[str]:
    # A suffix stays: "Donald Trump Jr." is not "Donald Trump".
    tokens = normalised.split()
    while len(tokens) > 1 and tokens[0] in _PERSON_TITLES:
        del tokens[0]
    return tokens


@lru_cache(maxsize=1 << 16)
def canonical_key(label: str, surface: str) -> str:
    """The normalised form under which ``surface`` groups exactly.

    Two mentions with the same label and the same key are always the same
    entity; :func:`group_mentions` joins further keys (spelling variants,
    surnames, plurals). Aliases map to their canonical name's key, so
    ``canonical_key("GPE", "U.S.") == canonical_key("GPE", "United States")``.
    """
    normalised = _normalise(surface)
    if label == "PERSON":
        normalised = " ".join(_person_tokens(normalised))
    return _aliases().get(label, {}).get(normalised, (normalised, ""))[0]


@lru_cache(maxsize=1 << 16)
def _display(label: str, surface: str) -> str:
    """``surface`` as it should appear as a group's name."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", surface)).strip(" ,;:\"'“”‘’")
    if label in _POSSESSIVE_DISPLAY_LABELS:
        text = re.sub(r"(?:['’]s|(?<=s)['’])$", "", text)
    # A lowercase "the" is running text swept into the span; a capital one
    # may belong to the name ("The Hague"), and ranking prefers forms
    # without it anyway.
    if text.startswith("the ") and len(text) > 4:
        text = text[4:]
    if label == "PERSON":
        words = text.split(" ")
        while len(words) > 1 and _DOTS.sub("", words[0]).casefold() in _PERSON_TITLES:
            del words[0]
        text = " ".join(words)
    return text or surface


# --------------------------------------------------------------------------
# Aliases


def _alias_rows() -> Iterator[tuple[tuple[str, ...], list[str]]]:
    """(labels of the current [section], the row's names, canonical first)."""
    labels: tuple[str, ...] = ()
    for raw in ALIASES_PATH.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            labels = tuple(line[1:-1].split())
            continue
        yield labels, [name.strip() for name in raw.split("\t") if name.strip()]


@cache
def _aliases() -> dict[str, dict[str, tuple[str, str]]]:
    """label → normalised alias → (canonical key, canonical display name).

    Read once, on first use. A later row never overrides an earlier one, so
    the first section to claim an alias for a label wins.
    """
    table: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
    for labels, names in _alias_rows():
        canonical = names[0]
        target = (_normalise(canonical), canonical)
        for label in labels:
            for name in names:
                table[label].setdefault(_normalise(name), target)
    return dict(table)


def alias_conflicts() -> list[tuple[str, str, list[str]]]:
    """(label, alias, canonical names) for aliases listed under two names.

    The loader keeps the first; this exists so a test can keep the file clean.
    """
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    for labels, names in _alias_rows():
        for label in labels:
            for name in names:
                seen[(label, _normalise(name))].add(names[0])
    return [
        (label, alias, sorted(canonicals))
        for (label, alias), canonicals in sorted(seen.items())
        if len(canonicals) > 1
    ]


# --------------------------------------------------------------------------
# Spelling variants of name tokens


def _soft_edit(position: int, word: str) -> bool:
    """Whether inserting/deleting ``word[position]`` is a transliteration-style edit."""
    char = word[position]
    neighbours = word[position - 1 : position] + word[position + 1 : position + 2]
    if char in neighbours:  # a doubled letter: Mohammed/Mohamed, Zelenskyy/Zelensky
        return True
    return char in "iy" and any(near in "iy" for near in neighbours)  # Dmitriy/Dmitri


def _is_transposition(a: str, b: str) -> bool:
    if len(a) != len(b):
        return False
    differing = [index for index, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return (
        len(differing) == 2
        and differing[1] == differing[0] + 1
        and a[differing[0]] == b[differing[1]]
        and a[differing[1]] == b[differing[0]]
    )


def spelling_variants(a: str, b: str) -> bool:
    """Whether two normalised name tokens are spellings of one name."""
    if a == b:
        return True
    shorter = min(len(a), len(b))
    if (
        shorter < _MIN_FUZZY_TOKEN
        or a[0] != b[0]
        or abs(len(a) - len(b)) > 1
        or not (a.isalpha() and b.isalpha())
    ):
        return False
    # A swap of neighbours counts as two edits, so it is checked first.
    if shorter >= _MIN_TRANSPOSED_TOKEN and _is_transposition(a, b):
        return True
    from rapidfuzz.distance import Levenshtein  # on first use: the reader imports this module

    limit = 1 if shorter < 8 else 2
    if Levenshtein.distance(a, b, score_cutoff=limit) > limit:
        return False
    for op in Levenshtein.editops(a, b):
        if op.tag == "replace":
            if {a[op.src_pos], b[op.dest_pos]} != {"i", "y"}:
                return False
        elif op.tag == "insert":
            if not _soft_edit(op.dest_pos, b):
                return False
        elif not _soft_edit(op.src_pos, a):
            return False
    return True


class _UnionFind:
    """Disjoint sets whose representative is the smallest member, so results
    do not depend on the order of the input."""

    def __init__(self) -> None:
        self.parent: dict = {}

    def find(self, item):
        parent = self.parent.setdefault(item, item)
        if parent == item:
            return item
        root = self.find(parent)
        self.parent[item] = root
        return root

    def union(self, a, b) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            low, high = sorted((root_a, root_b))
            self.parent[high] = low


def _token_representatives(tokens: Iterable[str]) -> dict[str, str]:
    """token → the representative of its spelling-variant cluster (if it has one)."""
    # Only tokens with the same first letter and lengths at most one apart
    # can be variants, so candidates come from (letter, length) blocks, and
    # rapidfuzz's C loop finds the few within edit distance before the
    # Python-level check of what kind of edits they are.
    blocks: dict[tuple[str, int], list[str]] = defaultdict(list)
    for token in sorted(set(tokens)):
        if len(token) >= _MIN_FUZZY_TOKEN and token.isalpha():
            blocks[(token[0], len(token))].append(token)
    from rapidfuzz import process  # on first use: the reader imports this module
    from rapidfuzz.distance import Levenshtein

    sets = _UnionFind()
    for (letter, length), block in blocks.items():
        longer = blocks.get((letter, length + 1), [])
        limit = 1 if length < 8 else 2
        for index, token in enumerate(block):
            candidates = block[index + 1 :] + longer
            if not candidates:
                continue
            # A transposition is two edits; the cutoff lets it through to
            # spelling_variants, which decides.
            near = process.extract(
                token,
                candidates,
                scorer=Levenshtein.distance,
                score_cutoff=max(limit, 2),
                limit=None,
            )
            for other, _distance, _index in near:
                if spelling_variants(token, other):
                    sets.union(token, other)
    return {token: sets.find(token) for token in sets.parent}


# --------------------------------------------------------------------------
# Grouping
#
# Grouping decides, per distinct surface (and, for a lone name, per
# document), which entity its mentions belong to (its "route"). Mentions are
# handled as positions in the (document, offset) order, so each surface's
# positions are already sorted and a group's mentions only need its runs of
# plain ints merged: no per-group sort on Mention objects.

_Route = tuple  # a hashable entity identifier, always starting with the label


# People are grouped in two steps, so that what the entity panel shows for
# one document is exactly what the corpus grouping holds for it:
#
# 1. Within each document, from that document's mentions alone: full names
#    join their variants; a lone name ("Trump", "Boris") joins the one full
#    name of that document it ends (or starts) with, when no other person
#    with that name is there and the titles do not conflict.
# 2. Across documents, whole document groups join: a full name with the same
#    full name elsewhere; a lone name that no full name of its document
#    explained with the same lone name elsewhere (the entity "Trump", not a
#    guess at which Trump), unless their titles conflict.
#
# Never across documents: a lone name and a full name (a document about
# Melania Trump says nothing of who "Trump" is in another).

# Title words that say who a person is: (gender, office). A person's titles
# conflict when two say different genders or different offices, so
# "President Trump" is not "First Lady Melania Trump", nor "Mrs Clinton"
# "Mr Clinton". Honorifics without either ("Dr") say nothing.
_MALE = frozenset({"mr", "sir", "lord", "king", "prince", "congressman", "chairman"})
_FEMALE = frozenset({"mrs", "ms", "miss", "madam", "madame", "mme", "dame", "lady", "queen",
                     "princess", "congresswoman", "chairwoman"})
_OFFICES = {
    "president": "president", "premier": "prime minister", "chancellor": "chancellor",
    "secretary": "secretary", "senator": "senator", "sen": "senator",
    "governor": "governor", "gov": "governor", "mayor": "mayor", "minister": "minister",
    "ambassador": "ambassador", "judge": "judge", "justice": "judge",
    "rep": "representative", "representative": "representative",
    "congressman": "representative", "congresswoman": "representative",
    "general": "general", "gen": "general", "ceo": "ceo", "chairman": "chair",
    "chairwoman": "chair", "chair": "chair", "king": "monarch", "queen": "monarch",
    "prince": "prince", "princess": "prince", "pope": "pope",
}
# Words read before a mention (and dropped from the front of a name) as its
# title: the titles above, their qualifiers and the words of longer titles.
_TITLE_WORDS = _PERSON_TITLES | _MALE | _FEMALE | frozenset(_OFFICES)
_LOWER_TITLE_WORDS = frozenset({
    "president", "former", "vice", "prime", "minister", "secretary", "senator", "governor",
    "mayor", "ambassador", "chancellor", "deputy", "foreign", "first", "lady", "elect", "of",
    "state", "mr", "mrs", "ms", "dr",
})
# Up to six words right before a mention, separated by spaces only.
_WORDS_BEFORE = re.compile(r"(?:[^\W\d_][\w.'’\-]*[ \u00a0]+){1,6}$")

_Role = tuple  # (gender or None, office or None)
_NO_ROLE: _Role = (None, None)


def _role(words: Iterable[str]) -> _Role:
    """(gender, office) that title words (normalised, in order) give."""
    words = list(words)
    if not words:
        return _NO_ROLE
    gender = office = None
    present = set(words)
    if "first" in present and "lady" in present:
        return ("f", "first lady")
    for word in words:
        if word in _MALE:
            gender = "m"
        elif word in _FEMALE:
            gender = "f"
        if word in _OFFICES:
            office = _OFFICES[word]
    if office == "minister" and "prime" in present:
        office = "prime minister"
    if office is not None and ({"vice", "deputy"} & present):
        office = "deputy " + office
    return (gender, office)


def _conflict(a: _Role, b: _Role) -> bool:
    return ((a[0] is not None and b[0] is not None and a[0] != b[0])
            or (a[1] is not None and b[1] is not None and a[1] != b[1]))


def _roles_conflict(a: Iterable[_Role], b: Iterable[_Role]) -> bool:
    b = list(b)
    return any(_conflict(x, y) for x in a for y in b)


def _joined(roles: Iterable[_Role]) -> _Role:
    """One role from compatible ones ((m, None) and (None, president))."""
    gender = office = None
    for role_gender, role_office in roles:
        gender = gender or role_gender
        office = office or role_office
    return (gender, office)


def _title_words(words: list[str]) -> list[str]:
    """The title words at the end of ``words`` (as written in the text): a
    capitalised title word, or one of the few that are titles in lower case
    too ("former president Joe Biden"; "in general Trump" is no general)."""
    titles: list[str] = []
    for word in reversed(words):
        parts = _DOTS.sub(" ", _DASHES.sub(" ", word.translate(_APOSTROPHES))).split()
        if not parts or not all(
            part.casefold() in (_TITLE_WORDS if part[0].isupper() else _LOWER_TITLE_WORDS)
            for part in parts
        ):
            break
        titles[:0] = [part.casefold() for part in parts]
    return titles


@lru_cache(maxsize=1 << 16)
def _own_titles(surface: str) -> tuple[str, ...]:
    """The title words at the front of a mention ("President Trump")."""
    words = _normalise(surface).split()
    titles = []
    while len(words) > 1 and words[0] in _TITLE_WORDS:
        titles.append(words.pop(0))
    return tuple(titles)


def mention_role(mention: Mention, text: str | None) -> _Role:
    """Who the title before a person's name (or at the front of the mention)
    says they are: "US First Lady Melania Trump" → ("f", "first lady")."""
    words = list(_own_titles(mention.text))
    if text is not None and 0 < mention.start <= len(text) and text[mention.start - 1] in " \u00a0":
        before = _WORDS_BEFORE.search(text, max(0, mention.start - 80), mention.start)
        if before is not None:
            words[:0] = _title_words(before.group().split())
    return _role(words) if words else _NO_ROLE


def _surname_tokens(tokens: tuple[str, ...]) -> tuple[str, str]:
    """(first, last) name tokens of a full name, a suffix ("Jr") skipped."""
    end = len(tokens)
    while end > 1 and tokens[end - 1] in _PERSON_SUFFIXES:
        end -= 1
    return tokens[0], tokens[end - 1]


def _people_of(names: Iterable[tuple[str, ...]]) -> _UnionFind:
    """Full names (token tuples) joined into people: a two-token name joins
    the one longer name with the same ends ("joseph biden" → "joseph r
    biden"; with two such names, "george w bush" and "george h w bush", it
    stays apart), an initial the one name it abbreviates ("j smith" → "john
    smith")."""
    full_names = sorted(set(names))
    people = _UnionFind()
    for name in full_names:
        people.find(name)
    by_ends: dict[tuple[str, str], list[tuple[str, ...]]] = defaultdict(list)
    by_last: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for name in full_names:
        by_last[name[-1]].append(name)
        if len(name) > 2:
            by_ends[(name[0], name[-1])].append(name)
    for name in full_names:
        if len(name) == 2:
            candidates = {people.find(longer) for longer in by_ends.get(name, ())}
            if len(candidates) == 1:
                people.union(name, candidates.pop())
    for name in full_names:
        if len(name[0]) == 1:
            candidates = {
                people.find(other)
                for other in by_last[name[-1]]
                if len(other[0]) > 1 and other[0].startswith(name[0])
            }
            if len(candidates) == 1:
                people.union(name, candidates.pop())
    return people


def _local_representatives(
    tokens: set[str], corpus_representative: dict[str, str]
) -> dict[str, str]:
    """Spelling-variant representatives among one document's tokens alone:
    what grouping that document by itself finds (a chain of variants through
    another document's spelling does not join two of this one's)."""
    clusters: dict[str, list[str]] = defaultdict(list)
    for token in tokens:
        if token in corpus_representative:
            clusters[corpus_representative[token]].append(token)
    local: dict[str, str] = {}
    for members in clusters.values():
        if len(members) < 2:
            continue
        sets = _UnionFind()
        members.sort()
        for index, token in enumerate(members):
            sets.find(token)
            for other in members[index + 1:]:
                if spelling_variants(token, other):
                    sets.union(token, other)
        local.update((token, sets.find(token)) for token in members)
    return local


def _route_people(
    ordered: list[Mention],
    positions: list[int],
    key_of: dict[str, str],
    text_of: Callable[[int], str | None] | None,
) -> list[_Route | None]:
    """The entity (route) of each PERSON mention, by position (None: not a
    PERSON mention)."""
    tokens_of = {key: tuple(key.split()) for key in set(key_of.values())}
    corpus_representative = _token_representatives(
        token for tokens in tokens_of.values() for token in tokens)
    corpus_signature = {
        key: tuple(corpus_representative.get(token, token) for token in tokens)
        for key, tokens in tokens_of.items()
    }
    corpus_people = _people_of(name for name in corpus_signature.values() if len(name) > 1)

    by_document: dict[int, list[int]] = defaultdict(list)
    for position in positions:
        by_document[ordered[position].document_id].append(position)

    # Indexed by position (a list: faster than a dict of 100,000 ints).
    route: list[_Route | None] = [None] * len(ordered)
    # Lone names that no full name of their document explains, which may be
    # the same entity elsewhere: token → [(document, title, positions)].
    loose: dict[str, list[tuple[int, _Role, list[int]]]] = defaultdict(list)
    for document_id, document_positions in by_document.items():
        document = _DocumentPeople(document_id, document_positions, ordered, key_of, tokens_of,
                                   corpus_representative)
        text = text_of(document_id) if text_of is not None else None
        document.route(text, corpus_signature, corpus_people, route, loose)

    for token, groups in loose.items():
        agree = _agree(role for _document, role, _positions in groups)
        for document_id, role, group_positions in groups:
            if agree:
                target = ("PERSON", "alone", token)
            elif role != _NO_ROLE:  # titles that conflict: one entity per title
                target = ("PERSON", "alone", token, role)
            else:  # no title, among others that conflict: which one is unknown
                target = ("PERSON", "in", document_id, token)
            for position in group_positions:
                route[position] = target
    return route


def _agree(roles: Iterable[_Role]) -> bool:
    """Whether no two of ``roles`` conflict."""
    roles = set(roles)
    roles.discard(_NO_ROLE)
    if len(roles) < 2:
        return True
    roles = sorted(roles, key=repr)
    return not any(_conflict(a, b) for index, a in enumerate(roles) for b in roles[index + 1:])


class _DocumentPeople:
    """Step 1 for one document: its people from its own mentions alone."""

    def __init__(self, document_id, positions, ordered, key_of, tokens_of, corpus_representative):
        self.document_id = document_id
        self.positions = positions
        self.ordered = ordered
        self.key_of = key_of
        self.tokens_of = tokens_of
        self.corpus_representative = corpus_representative
        keys = {key_of[ordered[position].text] for position in positions}
        local = _local_representatives(
            {token for key in keys for token in tokens_of[key]}, corpus_representative)
        self.signature = {key: tuple(local.get(token, token) for token in tokens_of[key])
                          for key in keys}

    def route(self, text, corpus_signature, corpus_people, route, loose) -> None:
        """Route the document's full names to their corpus entity and its
        lone names to the one person they name here; set the other lone
        names aside in ``loose`` (or keep them to this document)."""
        ordered, signature, document_id = self.ordered, self.signature, self.document_id
        people = _people_of(name for name in signature.values() if len(name) > 1)
        roles = {position: mention_role(ordered[position], text) for position in self.positions}

        person_keys: dict[tuple, set[str]] = defaultdict(set)
        person_roles: dict[tuple, set[_Role]] = defaultdict(set)
        lone: dict[str, list[int]] = defaultdict(list)
        full: list[tuple[int, tuple]] = []
        for position in self.positions:
            key = self.key_of[ordered[position].text]
            name = signature[key]
            if len(name) > 1:
                person = people.find(name)
                person_keys[person].add(key)
                person_roles[person].add(roles[position])
                full.append((position, person))
            else:
                lone[name[0] if name else ""].append(position)

        targets: dict[tuple, _Route] = {}
        for person, keys in person_keys.items():
            fullest = max(keys, key=lambda key: (len(self.tokens_of[key]), key))
            targets[person] = ("PERSON", "full", corpus_people.find(corpus_signature[fullest]))
        twice = {target for target, n in Counter(targets.values()).items() if n > 1}
        for person, target in targets.items():
            # Two people of this document that would be one in the corpus (a
            # spelling that joins them elsewhere) stay this document's own.
            if target in twice:
                targets[person] = ("PERSON", "in", document_id, person)
        for position, person in full:
            route[position] = targets[person]

        by_last: dict[str, set[tuple]] = defaultdict(set)
        by_first: dict[str, set[tuple]] = defaultdict(set)
        for person, keys in person_keys.items():
            for key in keys:
                first, last = _surname_tokens(signature[key])
                by_last[last].add(person)
                by_first[first].add(person)

        for token, lone_positions in lone.items():
            candidates = sorted(by_last.get(token) or by_first.get(token) or ())
            if not candidates and all(roles[p] == _NO_ROLE for p in lone_positions):
                # The usual lone name: no title, nobody of that name here.
                loose[self.corpus_representative.get(token, token)].append(
                    (document_id, _NO_ROLE, lone_positions))
                continue
            by_role: dict[_Role, list[int]] = defaultdict(list)
            for position in lone_positions:
                by_role[roles[position]].append(position)
            # Titles no person named here can have: someone else of that name.
            others = {role for role in by_role if role != _NO_ROLE
                      and all(_roles_conflict([role], person_roles[c]) for c in candidates)}
            free: list[int] = []  # none of the people named here
            unsure: list[int] = []  # one of them, or someone else: unknown
            for role, role_positions in by_role.items():
                fitting = [c for c in candidates
                           if not _roles_conflict([role], person_roles[c])]
                rivals = any(not _conflict(role, other) for other in others if other != role)
                if len(fitting) == 1 and not rivals:
                    for position in role_positions:
                        route[position] = targets[fitting[0]]
                elif not fitting and (role != _NO_ROLE or not candidates):
                    free += role_positions
                else:
                    unsure += role_positions
            corpus_token = self.corpus_representative.get(token, token)
            if free:
                free_roles = {roles[p] for p in free} - {_NO_ROLE}
                if _agree(free_roles):
                    loose[corpus_token].append((document_id, _joined(free_roles), free))
                else:  # "President Trump" and "First Lady Trump", no full names
                    for role in sorted(free_roles, key=repr):
                        loose[corpus_token].append(
                            (document_id, role, [p for p in free if roles[p] == role]))
                    unsure += [p for p in free if roles[p] == _NO_ROLE]
            # Who they are is unknown; they stay this document's, apart
            # where their titles differ ("Mr Clinton", "Mrs Clinton").
            for position in unsure:
                route[position] = ("PERSON", "in", document_id, token, roles[position])


def _route_plain(label: str, units: dict[str, list[str]]) -> dict[str, _Route]:
    """Routing of a non-PERSON label: by key (aliases are already applied)."""
    route: dict[str, _Route] = {}
    for key, surfaces in units.items():
        target = key
        # "Ukrainians" joins "Ukrainian" when both occur; folding only then
        # keeps words that merely end in "s" intact.
        if (label == "NORP" and key.endswith("s") and not key.endswith("ss")
                and key[:-1] in units):
            target = key[:-1]
        route.update(dict.fromkeys(surfaces, (label, target)))
    return route


def _name_for(label: str, variants: dict[str, int]) -> str:
    aliases = _aliases().get(label)
    if aliases:
        # Any aliased form names the group ("U.S." → "United States"); the
        # variants are sorted, so the choice does not depend on input order.
        for surface in variants:
            alias = aliases.get(canonical_key(label, surface))
            if alias is not None:
                return alias[1]
    counts: Counter[str] = Counter()
    for surface, count in variants.items():
        counts[_display(label, surface)] += count

    def rank(name: str) -> tuple:
        tokens = len(canonical_key(label, name).split())
        return (
            name.startswith("The "),  # prefer "United States" to "The United States"
            -tokens,  # the fullest form: "Volodymyr Zelensky" over "Zelensky"
            -counts[name],  # then the usual spelling
            name.isupper() and len(name) > 1,  # "Zelensky" over a headline's "ZELENSKY"
            -len(name),
            name,
        )

    return min(counts, key=rank)


def _variants(counts: Counter[str]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _build_group(label: str, mentions: list[Mention], counts: Counter[str]) -> EntityGroup:
    variants = _variants(counts)
    canonical = _name_for(label, variants)
    return EntityGroup(f"{label}:{canonical}", label, canonical, variants, mentions)


def _sort_key(group: EntityGroup) -> tuple:
    order = _LABEL_ORDER.get(group.label, len(_LABEL_ORDER))
    return (order, group.label, -group.count, group.canonical.casefold(), group.canonical)


def group_mentions(
    mentions: Iterable[Mention], text_of: Callable[[int], str | None] | None = None
) -> list[EntityGroup]:
    """Mentions grouped into entities: the one grouping of the entity panel
    (one document's mentions) and the review (the corpus's).

    ``text_of(document_id)`` gives a document's text, to read the titles
    written before people's names ("First Lady Melania Trump"); without it
    only titles inside a mention count. A document's people are grouped
    from its own mentions alone, so the corpus's grouping holds, for each
    document, exactly the groups of grouping that document by itself (with
    names and keys that may come from other documents).

    Sorted by label (in :data:`margin.store.entities.ALL_LABELS` order, unknown
    labels last), then by mention count, most first, then by name. The result
    does not depend on the order of ``mentions``; input already in
    (document, offset) order, as a database query returns it, is fastest.
    """
    # Work on positions in (document, offset) order: a group's mentions are
    # then its sorted positions, and sorting plain ints is cheap.
    ordered = sorted(mentions, key=_position)
    by_surface: dict[tuple[str, str], list[int]] = defaultdict(list)
    for position, surface in enumerate(map(_SURFACE, ordered)):
        by_surface[surface].append(position)
    # Normalise each distinct surface once, not each mention.
    units: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for label, text in by_surface:
        units[label][canonical_key(label, text)].append(text)

    # Entity → (surface, its mentions' positions) runs, each run sorted.
    runs: dict[_Route, list[tuple[str, list[int]]]] = defaultdict(list)
    for label, label_units in units.items():
        if label != "PERSON":
            for text, target in _route_plain(label, label_units).items():
                runs[target].append((text, by_surface[(label, text)]))
            continue
        positions = list(chain.from_iterable(by_surface[(label, text)]
                                             for texts in label_units.values() for text in texts))
        key_of = {text: key for key, texts in label_units.items() for text in texts}
        person_route = _route_people(ordered, positions, key_of, text_of)
        for texts in label_units.values():
            for text in texts:
                split: dict[_Route, list[int]] = defaultdict(list)
                for position in by_surface[(label, text)]:
                    split[person_route[position]].append(position)
                for target, target_positions in split.items():
                    runs[target].append((text, target_positions))

    groups: list[EntityGroup] = []
    for target, target_runs in runs.items():
        if len(target_runs) == 1:
            positions = target_runs[0][1]
        else:
            positions = sorted(chain.from_iterable(run for _text, run in target_runs))
        counts: Counter[str] = Counter()
        for text, run in target_runs:
            counts[text] += len(run)
        groups.append(_build_group(target[0], list(map(ordered.__getitem__, positions)), counts))
    groups.sort(key=_sort_key)
    # Two groups can end up with the same display name (say an ambiguous
    # "Smith" and a person whose fullest form is "Smith"): keep keys unique.
    seen: Counter[str] = Counter()
    for group in groups:
        seen[group.key] += 1
        if seen[group.key] > 1:
            group.key = f"{group.key}#{seen[group.key]}"
    return groups


def group_for_document(mentions: Iterable[Mention], text: str | None = None) -> list[EntityGroup]:
    """:func:`group_mentions` for the mentions of one document (its ``text``
    gives the titles before names): the groups its part of the corpus's
    grouping has; :func:`restrict_to_document` on the corpus grouping gives
    them the corpus's names and keys."""
    return group_mentions(mentions, None if text is None else (lambda _document: text))


def restrict_to_document(groups: Iterable[EntityGroup], document_id: int) -> list[EntityGroup]:
    """The groups that occur in one document, with only that document's mentions.

    Keys and canonical names stay those of the corpus grouping, so the panel
    and the review screen agree; counts and variants are the document's.
    """
    restricted: list[EntityGroup] = []
    for group in groups:
        mentions = [mention for mention in group.mentions if mention.document_id == document_id]
        if mentions:
            restricted.append(
                EntityGroup(
                    group.key,
                    group.label,
                    group.canonical,
                    _variants(Counter(map(_TEXT, mentions))),
                    mentions,
                )
            )
    restricted.sort(key=_sort_key)
    return restricted


def mention_counts_by_label(groups: Iterable[EntityGroup]) -> dict[str, int]:
    """label → number of mentions, in label order, labels without mentions left out."""
    totals: Counter[str] = Counter()
    for group in groups:
        totals[group.label] += group.count
    order = sorted(totals, key=lambda label: (_LABEL_ORDER.get(label, len(_LABEL_ORDER)), label))
    return {label: totals[label] for label in order}


def entity_counts_by_label(groups: Iterable[EntityGroup]) -> dict[str, int]:
    """label → number of distinct entities, in label order."""
    totals: Counter[str] = Counter(group.label for group in groups)
    order = sorted(totals, key=lambda label: (_LABEL_ORDER.get(label, len(_LABEL_ORDER)), label))
    return {label: totals[label] for label in order}
