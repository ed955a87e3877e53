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
   token of within the same document, else the one full name in the corpus
   that ends with it. Whenever more than one name would fit, nothing joins.
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
from collections.abc import Iterable, Iterator
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
    ["mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "lord", "lady", "president", "vice", "prime", "minister", "chancellor", "premier", "secretary", "deputy", "foreign", "home", "defence", "defense", "interior", "finance", "health", "state", "of", "senator", "sen", "rep", "representative", "congressman", "congresswoman", "gov", "governor", "mayor", "judge", "justice", "ambassador", "general", "gen", "colonel", "col", "lieutenant", "lt", "captain", "capt", "sergeant", "sgt", "admiral", "adm", "commander", "marshal", "rev", "reverend", "chairman", "chairwoman", "chair", "ceo", "former", "late", "acting"]
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
    tokens = normalised.split()
    while len(tokens) > 1 and tokens[0] in _PERSON_TITLES:
        del tokens[0]
    while len(tokens) > 1 and tokens[-1] in _PERSON_SUFFIXES:
        del tokens[-1]
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


def _route_people(
    units: dict[str, list[str]], key_documents: dict[str, set[int]]
) -> tuple[dict[str, _Route], dict[str, dict[int, _Route]]]:
    """PERSON routing: ``units`` maps each key to its surfaces, and
    ``key_documents`` each key to the documents it occurs in.

    Returns the route of each surface written as a full name, and for each
    single-token surface its route per document.
    """
    tokens_of = {key: tuple(key.split()) for key in units}
    representative = _token_representatives(t for tokens in tokens_of.values() for t in tokens)
    signature = {
        key: tuple([representative.get(token, token) for token in tokens])
        for key, tokens in tokens_of.items()
    }
    full_names = sorted({name for name in signature.values() if len(name) > 1})
    people = _UnionFind()
    for name in full_names:
        people.find(name)

    # A two-token name joins the one longer name with the same ends
    # ("joseph biden" → "joseph r biden"); with two candidates ("george w
    # bush", "george h w bush") it stays apart.
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
    # An initial joins the one name it abbreviates ("j smith" → "john smith").
    for name in full_names:
        if len(name[0]) == 1:
            candidates = {
                people.find(other)
                for other in by_last[name[-1]]
                if len(other[0]) > 1 and other[0].startswith(name[0])
            }
            if len(candidates) == 1:
                people.union(name, candidates.pop())

    # Last (or first) token → document → the person named in full there,
    # or None when several are; and last token → the same across the
    # corpus. Plain dicts of one value each: this runs once per (name,
    # document) pair, so it avoids building a set for every pair.
    route: dict[str, _Route] = {}
    in_document_last: dict[str, dict[int, _Route | None]] = defaultdict(dict)
    in_document_first: dict[str, dict[int, _Route | None]] = defaultdict(dict)
    corpus_last: dict[str, _Route | None] = {}
    singles: list[str] = []
    for key, surfaces in units.items():
        name = signature[key]
        if len(name) < 2:
            singles.append(key)
            continue
        person = ("PERSON", "full", people.find(name))
        route.update(dict.fromkeys(surfaces, person))
        corpus_last[name[-1]] = person if corpus_last.get(name[-1], person) == person else None
        for seen in (in_document_last[name[-1]], in_document_first[name[0]]):
            for document_id in key_documents[key]:
                seen[document_id] = person if seen.get(document_id, person) == person else None

    route_by_document: dict[str, dict[int, _Route]] = {}
    for key in singles:
        token = signature[key][0] if signature[key] else ""
        alone = ("PERSON", "single", token)
        last = in_document_last.get(token, {})
        first = in_document_first.get(token, {})
        across_corpus = corpus_last.get(token)
        per_document: dict[int, _Route] = {}
        for document_id in key_documents[key]:
            if document_id in last:
                person = last[document_id]
            elif document_id in first:
                person = first[document_id]
            else:
                person = across_corpus
            # No full name, or several ("Smith" with John and Jane Smith):
            # the bare name is an entity of its own.
            per_document[document_id] = person or alone
        route_by_document.update(dict.fromkeys(units[key], per_document))
    return route, route_by_document


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


def group_mentions(mentions: Iterable[Mention]) -> list[EntityGroup]:
    """Mentions grouped into entities.

    Sorted by label (in :data:`margin.store.entities.ALL_LABELS` order, unknown
    labels last), then by mention count, most first, then by name. The result
    does not depend on the order of ``mentions``; input already in
    (document, offset) order, as a database query returns it, is fastest.
    """
    # Work on positions in (document, offset) order: a group's mentions are
    # then its sorted positions, and sorting plain ints is cheap.
    ordered = sorted(mentions, key=_position)
    document_ids = list(map(_DOCUMENT_ID, ordered))
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
        key_documents = {
            key: set(
                map(
                    document_ids.__getitem__,
                    chain.from_iterable(by_surface[(label, text)] for text in texts),
                )
            )
            for key, texts in label_units.items()
        }
        full_names, lone_names = _route_people(label_units, key_documents)
        for text, target in full_names.items():
            runs[target].append((text, by_surface[(label, text)]))
        for text, per_document in lone_names.items():
            targets = set(per_document.values())
            if len(targets) == 1:  # the usual case: every document agrees
                runs[targets.pop()].append((text, by_surface[(label, text)]))
                continue
            split: dict[_Route, list[int]] = defaultdict(list)
            for position in by_surface[(label, text)]:
                split[per_document[document_ids[position]]].append(position)
            for target, positions in split.items():
                runs[target].append((text, positions))

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


def group_for_document(mentions: Iterable[Mention]) -> list[EntityGroup]:
    """:func:`group_mentions` for the mentions of one document alone.

    Without the rest of the corpus a lone surname only joins a full name
    written in the same document; use :func:`restrict_to_document` on the
    corpus grouping to show a document with the corpus's names and keys.
    """
    return group_mentions(mentions)


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
