"""The built-in rule-based named-entity recogniser (no spaCy needed).

Pure Python and offline: gazetteers from ``store/entities/data`` (see
:mod:`margin.store.entities.gazetteers`) plus regular expressions, following the
OntoNotes conventions spaCy uses (``tests/data/entities/CONVENTIONS.md``).

How a document is read:

1. Numbers and dates: one regular expression finds MONEY, PERCENT and DATE
   spans (and the "(R-Mich.)" party/state tags); names never overlap them.
2. Names: another finds runs of capitalised words, allowing connectors such as
   "of", "and", "de", "bin" between them. Each run is cut into segments, left
   to right: a title ("Foreign Minister", kept outside the name), an
   organisation ending in a keyword ("Central Bank of Russia"), the longest
   gazetteer entry, or an unknown stretch of capitalised words, classified by
   its cues (a title or role word before it, a given name in it, "said" after
   it, a known surname).
3. Sentence starts and title-case headlines are treated with suspicion: a
   capitalised common word there is not a name unless some table or other
   mention in the document says it is.
4. Full names found anywhere in the document lend their surnames to later
   (and earlier) lone mentions: "Vladimir Putin" makes "Putin" a PERSON.

Speed (a few hundred thousand words a second) comes from scanning the text
only with expressions that start with a character class, which ``re`` skips
through in C: the start of every capitalised word, digits and currency signs,
a few date words. The costlier expressions and the Python logic run only from
those positions.

Offsets are Python string indices into the text given; every span's text is
``text[start:end]``, spans are sorted and never overlap.
"""

from __future__ import annotations

import bisect
import heapq
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache

from margin.store.entities import EntitySpan
from margin.store.entities.gazetteers import Gazetteers, load

RULES_VERSION = 1

# --------------------------------------------------------------------------
# Character classes and the scanning expressions


@cache
def _upper_class() -> str:
    """A regex character class body for every uppercase/titlecase letter of the BMP.

    ``re`` has no \\p{Lu}; listing the ranges once at first use keeps
    "Ångström", "Łódź" and "Ōita" capitalised like "London".
    """
    ranges: list[tuple[int, int]] = []
    for code in range(0x10000):
        ch = chr(code)
        if ch.isupper() or ch.istitle():
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    parts = []
    for low, high in ranges:
        lo = re.escape(chr(low))
        parts.append(lo if low == high else f"{lo}-{re.escape(chr(high))}")
    return "".join(parts)


# Abbreviations that keep their full stop inside a name run ("Gen. Mark
# Milley", "Mich.", "Inc."): a full stop after anything else ends the run.
_ABBREVIATIONS = (
    "Mr|Mrs|Ms|Dr|Prof|Gen|Lt|Col|Maj|Capt|Sgt|Adm|Cpl|Pvt|Brig|Cmdr|Sen|Rep|Gov|Pres|"
    "Rev|Fr|Hon|St|Mt|Ft|Jr|Sr|Inc|Corp|Ltd|Co|Bros|Calif|Fla|Mich|Penn|Pa|Mass|Wash|"
    "Ariz|Ga|Tex|Wis|Minn|Ill|Ind|Ky|La|Md|Mo|Nev|Okla|Ore|Tenn|Va|Conn|Colo|Ala|Ark"
)
_ABBREVIATION = re.compile(rf"(?:{_ABBREVIATIONS}|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)")
# Lower-case words allowed between capitalised words of one run. Whether they
# stay inside an entity is decided later ("Bank of England" vs "Putin of Russia").
_CONNECTORS = (
    "of|the|and|for|on|de|da|di|du|del|della|der|den|van|von|la|le|dos|das|bin|ibn|al|el|y|am"
)
# Particles that belong inside a person's name when a capitalised word follows.
_NAME_PARTICLES = frozenset(
    ["de", "da", "di", "du", "del", "della", "der", "den", "van", "von", "la", "le", "dos", "das", "bin", "ibn", "al", "el", "y"]
)
_ARABIC_PREFIX = "al|el|ad|as|ash|at|an|ar|az|bin|ibn|abu|ben|bint"
_ARABIC_NAME = re.compile(rf"(?:{_ARABIC_PREFIX})-[^\W\d_]")


@cache
def _name_regex() -> re.Pattern[str]:
    upper = _upper_class()
    word = rf"[{upper}][\w]*(?:[-'’&][\w]+)*"
    token = (
        rf"(?:(?:[{upper}]\.){{2,}}"  # U.S., U.N., D.C.
        rf"|(?:{_ABBREVIATIONS})\.(?=[ \u00a0]+[{upper}]|[)\s,;:]|$)"  # Gen. / (R-Mich.)
        rf"|[{upper}]\.(?=[ \u00a0]+[{upper}])"  # an initial: "John F. Kennedy"
        rf"|(?:{_ARABIC_PREFIX})-[{upper}][\w]*(?:[-'’][\w]+)*"  # al-Assad, el-Sisi
        rf"|(?<=S&P )500|(?<=FTSE )(?:100|250)|(?<=Nikkei )225|(?<=Stoxx )600|(?<=CAC )40"
        rf"|{word})"
    )
    gap = rf"(?:[ \u00a0]+(?:(?:{_CONNECTORS})[ \u00a0]+)*|[ \u00a0]*&[ \u00a0]*)"
    return re.compile(rf"(?<![\w'’@#/.]){token}(?:{gap}{token})*")


# Tokens inside a name run: words, dotted abbreviations, "&".
@cache
def _token_regex() -> re.Pattern[str]:
    return re.compile(r"[^\s\u00a0]+")


_MONTHS_FULL = "January|February|March|April|June|July|August|September|October|November|December"
_MONTH_ABBR = r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
_MONTH = rf"(?:{_MONTHS_FULL}|May|{_MONTH_ABBR})"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_DAY = r"(?:[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?:1[6-9]\d\d|20\d\d)"
_NUMBER_WORD = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundred)(?:-(?:one|two|three|four|five|six|seven|eight|nine))?"
)
_UNIT = r"(?:day|week|month|year|decade|century|fortnight)"
_SEASON = r"(?:spring|summer|autumn|fall|winter)"
_ANCHOR = r"(?:[Tt]his|[Ll]ast|[Nn]ext|[Pp]ast|[Cc]oming|[Pp]revious|[Ff]ollowing)"
_EDGE = r"(?:[Ee]arly|[Mm]id|[Ll]ate)"
_AMOUNT = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MAGNITUDE = r"(?:million|billion|trillion|thousand|crore|lakh|bn|mn|tn|m|b|k)"
_CURRENCY_SYMBOL = (
    r"(?:(?:US|U\.S\.|A|AU|C|CA|NZ|HK|S)?[$€£¥₹₽₴]|(?:USD|EUR|GBP|CAD|AUD|CHF|JPY|CNY)[ \u00a0]?)"
)
_CURRENCY_CODE = r"(?:USD|CAD|AUD|EUR|GBP|CHF|JPY|CNY|RMB|INR|RUB|UAH)"
_CURRENCY_WORD = (
    r"(?:(?:US |U\.S\. |Canadian |Australian |Hong Kong |Singapore |New Zealand )?dollars|"
    r"euros?|pounds(?: sterling)?|sterling|yen|yuan|renminbi|roubles|rubles|hryvnias?|"
    r"rupees|francs|pesos|won|lira|liras|riyals|dirhams|shekels|rand|reais|kronor|kroner|"
    r"krona|zlotys?|cents|pence)"
)


@cache
def _number_regex() -> re.Pattern[str]:
    """MONEY, PERCENT and DATE in one pass; alternatives ordered longest first."""
    money = (
        rf"{_CURRENCY_SYMBOL}[ \u00a0]?(?:{_AMOUNT})(?:[ \u00a0-]?{_MAGNITUDE}\b)?"
        rf"(?:[ \u00a0]{_CURRENCY_CODE}\b)?"
        rf"|(?:{_AMOUNT})(?:[ \u00a0]{_MAGNITUDE})?[ \u00a0]{_CURRENCY_WORD}\b"
        rf"|(?:{_AMOUNT})[ \u00a0]?(?:million|billion|trillion|bn|m)?[ \u00a0]?{_CURRENCY_CODE}\b"
    )
    percent = (
        rf"(?:{_AMOUNT}|{_NUMBER_WORD})[ \u00a0]?(?:%|per[ \u00a0]?cent\b|percent\b"
        rf"|percentage[ \u00a0]points?\b)"
    )
    date = "|".join(
        [
            # Tuesday, December 2, 2025 / Dec. 2 / December 2
            rf"(?:{_WEEKDAY},?[ \u00a0])?{_MONTH}[ \u00a0]{_DAY}(?![\d,]\d|%)"
            rf"(?:,?[ \u00a0]{_YEAR})?\b",
            # Tuesday, 2 December 2025 / 2 December
            rf"(?:{_WEEKDAY},?[ \u00a0])?{_DAY}[ \u00a0](?:of[ \u00a0])?{_MONTH}"
            rf"(?:,?[ \u00a0]{_YEAR})?\b",
            # early February 2022 / December 2025
            rf"(?:{_EDGE}[- \u00a0])?{_MONTH},?[ \u00a0]{_YEAR}\b",
            # 2025-2027, 2024-25
            rf"{_YEAR}[ \u00a0]?[-–][ \u00a0]?(?:{_YEAR}|\d\d)(?!\d)",
            # the 1970s / early 2000s / the '90s
            rf"(?:{_EDGE}[- \u00a0])?(?:(?:1[6-9]|20)\d0s|['’]\d0s)\b",
            # earlier this month / later this year
            rf"(?:[Ee]arlier|[Ll]ater)[ \u00a0](?:this|last|next)[ \u00a0](?i:{_UNIT}|weekend)\b",
            # Later in the week / earlier in the year
            rf"(?:[Ee]arlier|[Ll]ater)[ \u00a0]in[ \u00a0]the[ \u00a0](?:{_UNIT}|weekend)\b",
            # this week / the past several months / next year / This Week
            rf"{_ANCHOR}[ \u00a0](?:(?:few|several|couple[ \u00a0]of|{_NUMBER_WORD}|\d+)[ \u00a0])?"
            rf"(?i:{_UNIT}s?|weekend|{_SEASON}|quarter)\b",
            # three years / 30 years ago / a week / the 3–5-year (time frame)
            rf"(?:\d+(?:[–-]\d+)?|{_NUMBER_WORD}|a[ \u00a0]few|several|a[ \u00a0]couple[ \u00a0]of)"
            rf"[ \u00a0-]{_UNIT}s?\b(?:[ \u00a0](?:ago|earlier|later|old)\b)?",
            rf"\b(?:a|an)[ \u00a0](?:{_UNIT})\b(?:[ \u00a0](?:ago|earlier|later)\b)?",
            # the 21st century
            r"\d{1,2}(?:st|nd|rd|th)[ \u00a0]century\b",
            # last August / next Tuesday / this season
            rf"{_ANCHOR}[ \u00a0](?:{_MONTHS_FULL}|{_WEEKDAY}|season)\b",
            # the third quarter / the first half (of 2025)
            rf"(?<=the )(?:first|second|third|fourth|final|last)[ \u00a0](?:quarter|half)"
            rf"(?:[ \u00a0]of[ \u00a0](?:{_YEAR}|the[ \u00a0]year))?\b",
            # early 2022 / mid-2025 / 2022
            rf"(?:{_EDGE}[- \u00a0])?{_YEAR}(?![\d,.%]\d|%)(?![ \u00a0]?(?:{_MAGNITUDE})\b)",
            # early December / December (May only with a cue, see _plausible_date)
            rf"(?:{_EDGE}[- \u00a0])?(?:{_MONTHS_FULL}|May)\b",
            rf"{_WEEKDAY}s?\b",
            rf"(?:{_EDGE}[- \u00a0])?(?:summer|winter|autumn)"
            rf"(?:[ \u00a0](?:of[ \u00a0])?{_YEAR})?\b",
            rf"(?:spring|fall)[ \u00a0](?:of[ \u00a0])?{_YEAR}\b",
            r"(?<=the )(?:weekend|quarter|century)\b",
            r"(?:today|yesterday|tomorrow|Christmas(?: Day| Eve)?|Easter|Thanksgiving|Ramadan|"
            r"Hanukkah|Passover|Diwali|Eid(?: al-Fitr| al-Adha)?|New Year's (?:Day|Eve)|"
            r"(?:Election|Independence|Victory|Memorial|Labor|Labour|Veterans|Inauguration|"
            r"Valentine's|Boxing|Christmas|Armistice|Remembrance) Day|Lunar New Year)\b",
        ]
    )
    party = (
        r"(?<![\w-])\(?(?P<party>[RDI])-(?P<state>(?:[A-Z]\.){2}|[A-Z][a-z]{1,4}\.?|[A-Z]{2})"
        r"(?=[),])"
    )
    return re.compile(
        rf"(?<![\w.])(?:(?P<MONEY>{money})|(?P<PERCENT>{percent})|(?P<DATE>{date}))"
        rf"|{party}"
    )


def _alternation(words: Iterable[str]) -> str:
    """A regex matching any of ``words``, factored by first letters so that ``re``
    decides with one character test per position instead of one per word."""
    groups: dict[str, list[str]] = {}
    ends = False
    for word in words:
        if word:
            groups.setdefault(word[0], []).append(word[1:])
        else:
            ends = True
    branches = [re.escape(ch) + _alternation(rest) for ch, rest in sorted(groups.items())]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if ends else body


# Capitalised words that may start a DATE or MONEY (checked at capital starts).
_CAPITAL_TRIGGER_WORDS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "This", "Last", "Next", "Past", "Coming", "Previous", "Following", "Early", "Mid", "Late", "Earlier", "Later", "Christmas", "Easter", "Thanksgiving", "Ramadan", "Hanukkah", "Passover", "Diwali", "Eid", "New", "Election", "Independence", "Victory", "Memorial", "Labor", "Labour", "Veterans", "Inauguration", "Valentine's", "Boxing", "Armistice", "Remembrance", "Lunar", "USD", "EUR", "GBP", "CAD", "AUD", "CHF", "JPY", "CNY", "US", "AU", "CA", "NZ", "HK"]
# Lower-case words that may start a DATE.
_TRIGGER_WORDS = ["this", "last", "next", "past", "coming", "previous", "following", "early", "mid", "late", "earlier", "later", "spring", "summer", "autumn", "fall", "winter", "today", "yesterday", "tomorrow", "weekend", "quarter", "century"]


# Words that start a DATE or PERCENT only before a unit: "a week", "three years",
# "five percent", "the first quarter". Triggering on them only there keeps the
# frequent "a" and "one" from costing a full match attempt each.
_COUNT_WORDS = ["a", "an", "several", "first", "second", "third", "fourth", "final", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred"]
_UNIT_AHEAD = (
    r"(?=(?:-[a-z]+)?[ \u00a0-](?:(?:few|couple[ \u00a0]of|several)[ \u00a0])?"
    r"(?:day|week|month|year|decade|centur|fortnight|per[ \u00a0]?cent|percent|quarter|half))"
)


@cache
def _capital_start_regex() -> re.Pattern[str]:
    """The first letter of every capitalised word (not inside a word, an e-mail, a path)."""
    return re.compile(rf"[{_upper_class()}](?<![\w'’@#/.].)")


@cache
def _capital_trigger_regex() -> re.Pattern[str]:
    """At a capital start: may a DATE, MONEY or party tag begin here?"""
    return re.compile(rf"{_alternation(_CAPITAL_TRIGGER_WORDS)}\b|[RDI]-[A-Z]")


@cache
def _trigger_regex() -> re.Pattern[str]:
    """Where a MONEY/PERCENT/DATE match may start, capitalised words aside."""
    return re.compile(
        r"\d[\d,.]*|[$€£¥₹₽₴(]|['’]\d0s"
        rf"|(?<![\w.]){_alternation(_COUNT_WORDS)}\b{_UNIT_AHEAD}"
        rf"|(?<![\w.]){_alternation(_TRIGGER_WORDS)}\b"
    )


# Verbs that, right after a capitalised word, make it a person ("Lavrov said").
_SPEECH_AFTER = re.compile(
    r"[ \u00a0]+(?:said|says|told|added|wrote|argued|noted|insisted|stated|explained|"
    r"claimed|tweeted|posted|warned|announced|replied|asked|agreed|believes|thinks|"
    r"has said|had said|, who\b)"
)
_PLACE_BEFORE = frozenset({"in", "near", "outside", "across", "toward", "towards", "from"})
# After an unknown name: ", a/the … company" makes it an ORG, ", a … city" a GPE.
_APPOSITIVE = re.compile(
    r",[ \u00a0]+(?:a|an|the)[ \u00a0]+(?:[\w-]+[ \u00a0]+){0,3}?"
    r"(?P<org>company|firm|group|startup|start-up|maker|chipmaker|carmaker|automaker|retailer|"
    r"lender|bank|insurer|carrier|airline|broadcaster|newspaper|publisher|agency|charity|"
    r"organisation|organization|party|club|team|institute|university|think tank|union|"
    r"conglomerate|manufacturer|developer|operator|platform|network|fund|regulator)"
    r"|,[ \u00a0]+(?:a|an|the)[ \u00a0]+(?:[\w-]+[ \u00a0]+){0,3}?"
    r"(?P<gpe>city|town|village|province|region|district|municipality|port|capital)\b"
)
# Lower-case nouns right before an unknown name that make it an organisation
# ("startup Northvolt", "tech giant Nvidia", "broadcaster ZDF").
_ORG_CUE_BEFORE = frozenset(
    ["company", "firm", "startup", "start-up", "carmaker", "automaker", "chipmaker", "retailer", "airline", "carrier", "lender", "insurer", "broadcaster", "newspaper", "publisher", "conglomerate", "manufacturer", "brand", "label", "giant", "outlet", "regulator", "watchdog", "agency", "ministry", "club", "band", "militia", "group", "insurgents", "developer", "operator", "supplier", "maker", "producer", "exchange", "bank"]
)
# "a construction firm, Midwest Paving," / "the town of Aurora": cues further back.
_ORG_BEFORE = re.compile(
    r"\b(?:company|firm|startup|group|organisation|organization|charity|agency|"
    r"consultancy|bank|fund|nonprofit|non-profit|outlet)(?: called| named)?,?[ \u00a0]+$"
)
_GPE_BEFORE = re.compile(
    r"\b(?:city|town|village|port|province|district|municipality|suburb|county) of[ \u00a0]+$"
)
# Units after which "a year"/"a day" is a rate ("$2 billion a year"), not a DATE.
_RATE_BEFORE = frozenset(
    {"million", "billion", "trillion", "thousand", "once", "twice", "times", "percent", "cent"}
)
_COMPASS = frozenset(
    {"North", "South", "East", "West", "Northern", "Southern", "Eastern", "Western", "Central"}
)
_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-z][a-z]+")
# A lower-case word that is not a function word: its presence shows ordinary prose.
_CONTENT_WORD = re.compile(
    r"(?<![\w'’-])(?!(?:a|an|the|and|or|nor|but|of|in|on|at|to|for|from|with|by|as|vs|via|into|"
    r"onto|over|after|amid|about|up|its|his|her|their|our|your|is|are|be|than|versus)\b)"
    r"[^\W\d_A-Z]"
)
_CAPITAL_WORD = re.compile(r"(?<![\w'’-])[^\W\d_a-z]")
_BOUNDARY = re.compile(r"[!?…\n]|[.:](?=[\s\"”’')\]]|$)")
_SENTENCE_END = ".!?:;…\n"
_SKIP_BEFORE = " \t\u00a0\"“‘'(«[*•–—-"
_DETERMINERS = frozenset({"The", "A", "An"})
# Words that open the name of a natural feature: "Mount Everest", "Lake Chad".
_LOC_PREFIX = frozenset({"Mount", "Mt.", "Lake", "Cape"})
_SKIP_PREFIX = frozenset({"Project", "Operation", "Hurricane", "Typhoon", "Cyclone", "Storm"})
# Surname prefixes written with an inner capital: "McDonald", "DeSantis", "LaGuardia".
_NAME_PREFIXES = frozenset(["Mc", "Mac", "De", "Di", "Da", "La", "Le", "Du", "Van", "Von", "Fitz", "St"])
# Second halves of hyphenated adjectives built on a name ("NATO-style", "Kyiv-based").
_COMPOUND_SUFFIXES = frozenset(
    ["style", "like", "led", "era", "run", "made", "held", "born", "wide", "owned", "era", "centric", "friendly", "bound", "type", "class", "level", "linked", "allied", "aligned", "backed", "based", "brokered", "funded", "controlled", "occupied", "speaking", "leaning", "inspired", "sponsored", "dominated", "focused", "registered", "flagged", "affiliated", "american", "european", "sceptic", "skeptic", "phile", "phobe", "phobia", "phobic", "mania", "ism", "ist", "ists"]
)
# Prefixes of hyphenated adjectives that are one word, not two names ("Inter-American").
_HYPHEN_PREFIXES = frozenset(
    ["Inter", "Pan", "Trans", "Anti", "Pro", "Non", "Post", "Pre", "Neo", "Ex", "Sub", "Afro", "Anglo", "Franco", "Sino", "Indo", "Euro", "Russo", "Judeo", "Greco", "Austro", "Mid", "Ultra", "Super", "Semi", "Multi"]
)


# --------------------------------------------------------------------------
# Tables derived from the gazetteers


@dataclass(frozen=True, slots=True)
class _Tables:
    gaz: Gazetteers
    #: First word of every multi-word gazetteer/title key, for a quick "could match" test.
    label_first: frozenset[str]
    title_first: frozenset[str]
    max_title_words: int
    #: Every organisation/location/facility/law keyword, and the location prefixes.
    any_keyword: frozenset[str]
    version: str


@cache
def _tables() -> _Tables:
    gaz = load()
    label_first = frozenset(key.removeprefix("the ").split(" ", 1)[0] for key in gaz.labels)
    title_first = frozenset(key.split(" ", 1)[0] for key in gaz.titles)
    max_title = max((t.count(" ") + 1 for t in gaz.titles), default=1)
    return _Tables(
        gaz=gaz,
        label_first=label_first,
        title_first=title_first,
        max_title_words=max_title,
        any_keyword=gaz.org_keywords
        | gaz.loc_keywords
        | gaz.fac_keywords
        | gaz.law_keywords
        | gaz.event_keywords
        | _LOC_PREFIX,
        version=f"rules-{RULES_VERSION}-{gaz.digest}",
    )


# --------------------------------------------------------------------------
# One name run, cut into tokens


@dataclass(slots=True)
class _Token:
    start: int
    end: int
    text: str  # apostrophes unified, possessive removed
    cap: bool  # a capitalised word (False for connectors)
    brk: bool = False  # a possessive or hyphen suffix ends the entity here
    person_hint: bool = False  # hyphened to a known person: "Witkoff-Dimitriev"


class _Run(list):  # list[_Token]
    """The tokens of one capitalised run, with indexes over them built on first use.

    Several rules look from a word towards the end of its stretch of
    capitalised words: is there a keyword further on, where does this string of
    title modifiers end, how far do "of …" groups extend. Asked afresh at every
    word, that is quadratic in the length of the run, and a run has no bound
    short of the document ("Aa of Bb Aa of Bb …", a line of capitals, a list of
    names). Each index is a table over the whole run, filled once in linear
    time, that answers such a question for any starting word in constant time.
    """

    __slots__ = (
        "cap_end",
        "extended",
        "keyword_before",
        "last_keyword",
        "modifier_end",
        "modifier_group_end",
        "stretch_end",
    )

    def __init__(self) -> None:
        super().__init__()
        #: Index of the last word of the run that is any keyword (-1 if none).
        self.last_keyword: int | None = None
        #: [k]: end of the capitalised words from k, a possessive/hyphen break included.
        self.cap_end: list[int] | None = None
        #: [k]: end of the title modifiers from k, stopping before a break.
        self.modifier_end: list[int] | None = None
        #: [k]: end of the title modifiers from k, a break included.
        self.modifier_group_end: list[int] | None = None
        #: [i]: end of the capitalised phrase from i that may end in a keyword.
        self.stretch_end: list[int] | None = None
        #: label -> [k]: last index before k holding one of that label's keywords.
        self.keyword_before: dict[str, list[int]] | None = None
        #: end -> end extended over "of …" groups (see RuleRecogniser._extend_of).
        self.extended: dict[tuple[int, bool], int] | None = None


def _split_possessive(text: str) -> tuple[str, bool]:
    """ "Zelensky’s" -> ("Zelensky", True); "Americans'" -> ("Americans", True)."""
    if len(text) > 2 and text[-2] in "'’" and text[-1] in "sS":
        return text[:-2], True
    if len(text) > 2 and text[-1] in "'’" and text[-2] in "sS":
        return text[:-1], True
    return text, False


@dataclass(slots=True)
class _Doc:
    """Per-document state: the text, found spans and evidence gathered so far."""

    text: str
    tables: _Tables
    fixed: list[tuple[int, int]] = field(default_factory=list)  # number/date spans, sorted
    spans: list[EntitySpan] = field(default_factory=list)
    people: set[str] = field(default_factory=set)  # surnames and full names seen as PERSON
    guessed: set[str] = field(default_factory=set)  # the same, from a guess with no cue
    pending: list[tuple[list[_Token], bool]] = field(default_factory=list)  # (run, strict)
    headline_cache: dict[int, bool] = field(default_factory=dict)
    _lower: set[str] | None = None
    _bounds: list[int] | None = None

    def boundaries(self) -> list[int]:
        """Offsets of sentence-ending characters, found once when first needed."""
        if self._bounds is None:
            text = self.text
            self._bounds = [
                m.start()
                for m in _BOUNDARY.finditer(text)
                if text[m.start()] != "." or not _abbreviation_before(text, m.start())
            ]
        return self._bounds

    def lower_words(self) -> set[str]:
        """Lower-case words of the document, read once when first needed."""
        if self._lower is None:
            self._lower = set(_LOWER_WORD.findall(self.text))
        return self._lower

    def used_as_word(self, word: str) -> bool:
        """Does ``word`` (or its singular) occur in lower case in this document?

        "Challenges" next to "challenge", "Diplomacy" next to "diplomacy": a
        capitalised word the text also uses as an ordinary word is not a name.
        """
        lower = word.lower()
        words = self.lower_words()
        if lower in words:
            return True
        return lower.endswith("s") and (lower[:-1] in words or lower[:-2] in words)

    def add(self, start: int, end: int, label: str) -> None:
        self.spans.append(EntitySpan(start, end, label, self.text[start:end]))


# --------------------------------------------------------------------------
# The recogniser


class RuleRecogniser:
    """Gazetteers and rules; see the module docstring."""

    name = "rules"

    def __init__(self) -> None:
        self._tables = _tables()
        _name_regex()
        _number_regex()
        _trigger_regex()
        _capital_start_regex()
        _capital_trigger_regex()
        self.version = self._tables.version

    def recognise(self, text: str) -> list[EntitySpan]:
        doc = _Doc(text, self._tables)
        # Every capitalised word start, found in one fast pass (the expression
        # begins with a character class, which ``re`` scans for in C); the
        # fuller expressions then run only from these positions.
        capitals = [m.start() for m in _capital_start_regex().finditer(text)]
        self._numbers(doc, capitals)
        name = _name_regex()
        last_end = 0
        for position in capitals:
            if position < last_end:
                continue  # inside the previous run
            match = name.match(text, position)
            if match is not None:
                last_end = match.end()
                self._name_run(doc, position, last_end)
        self._resolve_pending(doc)
        return _without_overlaps(doc.spans)

    def recognise_many(
        self, texts: Iterable[str], cancelled: Callable[[], bool] | None = None
    ) -> Iterator[list[EntitySpan]]:
        for text in texts:
            if cancelled is not None and cancelled():
                return
            yield self.recognise(text)

    # -- numbers and dates -------------------------------------------------

    def _numbers(self, doc: _Doc, capitals: list[int]) -> None:
        """MONEY, PERCENT, DATE and party tags.

        The full expression is tried only where a cheap trigger (a digit, a
        currency sign, a month, "last", "early", …) says one may start: trying
        every position of the text would cost more than everything else.
        """
        text = doc.text
        full = _number_regex()
        capital_trigger = _capital_trigger_regex()
        triggers = heapq.merge(
            (m.start() for m in _trigger_regex().finditer(text)),
            (p for p in capitals if capital_trigger.match(text, p)),
        )
        last_end = 0
        for position in triggers:
            if position < last_end:
                continue
            match = None
            if text[position] in "$€£¥₹₽₴":
                # "US$5 billion", "A$3.5 million": try the currency prefix first.
                back = position
                while back > last_end and position - back < 4 and text[back - 1] in "USACNZHK.":
                    back -= 1
                if back < position:
                    match = full.match(text, back)
            if match is None:
                match = full.match(text, position)
            if match is None:
                continue
            last_end = match.end()
            label = match.lastgroup
            if label in ("party", "state"):
                doc.add(match.start("party"), match.end("party"), "NORP")
                doc.add(match.start("state"), match.end("state"), "GPE")
                doc.fixed.append((match.start(), match.end()))
                continue
            start, end = match.span()
            if label == "DATE" and not _plausible_date(text, start, end):
                continue
            doc.add(start, end, label)
            doc.fixed.append((start, end))

    # -- names --------------------------------------------------------------

    def _name_run(self, doc: _Doc, start: int, end: int) -> None:
        """Split a capitalised run around number/date spans, then segment each piece."""
        fixed = doc.fixed
        k = bisect.bisect_right(fixed, (start, start)) - 1
        k = max(k, 0)
        if (
            not fixed
            or (fixed[k][1] <= start and (k + 1 >= len(fixed) or fixed[k + 1][0] >= end))
            or fixed[k][0] >= end
        ):
            tokens = self._tokens(doc.text, start, end)  # the usual case: no date inside
            if tokens:
                self._segment(doc, tokens, start)
            return
        pieces: list[tuple[int, int]] = []
        cursor = start
        while k < len(fixed) and fixed[k][0] < end:
            f_start, f_end = fixed[k]
            if f_end > cursor:
                if f_start > cursor:
                    pieces.append((cursor, f_start))
                cursor = max(cursor, f_end)
            k += 1
        if cursor < end:
            pieces.append((cursor, end))
        for piece_start, piece_end in pieces:
            tokens = self._tokens(doc.text, piece_start, piece_end)
            if tokens:
                self._segment(doc, tokens, piece_start)

    def _tokens(self, text: str, start: int, end: int) -> _Run:
        """Words of a run; possessives and hyphenated compounds split off."""
        gaz = self._tables.gaz
        tokens = _Run()
        chunk = text[start:end]
        if " " not in chunk and "\u00a0" not in chunk:
            pieces: Iterable[tuple[int, str]] = ((start, chunk),)
        else:
            pieces = ((m.start(), m.group()) for m in _token_regex().finditer(text, start, end))
        for t_start, raw in pieces:
            word, possessive = _split_possessive(raw.replace("’", "'"))
            if word == "&" or (word[:1].islower() and not _ARABIC_NAME.match(word)):
                tokens.append(_Token(t_start, t_start + len(word), word, False))
            elif "-" in word[1:] and not (
                word in gaz.labels or word in gaz.titles or word in gaz.known_people
            ):
                tokens.extend(self._hyphenated(word, t_start, possessive))
            else:
                tokens.append(_Token(t_start, t_start + len(word), word, True, possessive))
        return tokens

    def _hyphenated(self, word: str, start: int, possessive: bool) -> list[_Token]:
        """ "Russia-Ukraine" -> two names; "US-brokered" -> "US"; "Frank-Walter" stays whole."""
        gaz = self._tables.gaz
        parts = word.split("-")
        first = parts[0]
        if first.lower() in _ARABIC_PREFIX.split("|"):  # al-Assad
            return [_Token(start, start + len(word), word, True, possessive)]
        if first in _HYPHEN_PREFIXES:
            return [_Token(start, start + len(word), word, True, possessive)]
        if all(p[:1].isupper() for p in parts if p):
            known = [p in gaz.labels or p in gaz.known_people for p in parts]
            if any(known) and all(parts):
                # Two names joined: "Russia-Ukraine", "Trump-Putin". An unknown
                # partner of a known person is a person too ("Witkoff-Dimitriev").
                pair_of_people = any(p in gaz.known_people for p in parts)
                out, offset = [], start
                for part in parts:
                    token = _Token(offset, offset + len(part), part, True, True)
                    token.person_hint = pair_of_people and part not in gaz.labels
                    out.append(token)
                    offset += len(part) + 1
                return out
            return [_Token(start, start + len(word), word, True, possessive)]
        # "Jae-myung", "Jong-un": a lower-case part that is no English compound
        # suffix belongs to the name, which stays whole.
        tail = parts[-1].lower()
        if parts[1:] and not (tail in _COMPOUND_SUFFIXES or tail.endswith(("ed", "ing"))):
            return [_Token(start, start + len(word), word, True, possessive)]
        # A capitalised head with lower-case suffixes: keep the leading capitalised parts.
        keep = []
        for part in parts:
            if not part[:1].isupper():
                break
            keep.append(part)
        head = "-".join(keep)
        if not head:
            return []
        return [_Token(start, start + len(head), head, True, True)]

    # -- segmentation ------------------------------------------------------------

    def _segment(self, doc: _Doc, tokens: _Run, run_start: int) -> None:
        gaz = self._tables.gaz
        n = len(tokens)
        # Whether the run sits in a title-case headline is worked out only when
        # it matters (a keyword phrase, an unknown name, a sentence start).
        strict: bool | None = None
        i = 0
        before = _word_before(doc.text, tokens[0].start)
        # A lower-case role noun right before the run ("spokesman Dmitry Peskov").
        after_title = before in gaz.role_words
        strict_first = False  # the run's first word is suspect (headline, sentence start)
        if _sentence_initial(doc.text, tokens[0].start):
            strict = strict_first = self._is_headline(doc, run_start)
            if not strict:
                i, role = self._skip_initial(doc, tokens)
                after_title = after_title or role
                strict_first = i == 0 and not self._has_evidence(tokens, 0)
        while i < n:
            token = tokens[i]
            if not token.cap:
                i += 1
                after_title = False
                continue
            end = self._title_end(tokens, i)
            if end is not None:
                i = end
                after_title = True
                continue
            if token.text in _DETERMINERS and self._gazetteer(tokens, i, False) is None:
                i += 1  # "The Russian Defence Ministry": the article stays outside
                continue
            if token.text in _SKIP_PREFIX and i + 1 < n and tokens[i + 1].cap:
                # "Project Vault", "Operation Spiderweb": named programmes and
                # operations are not among the labels; their words are no names.
                i = self._unknown_end(tokens, i + 1)
                after_title = False
                continue
            found = self._keyword_phrase(tokens, i)
            if found is not None:
                if strict is None:
                    strict = self._is_headline(doc, run_start)
                if not strict:  # in a headline every word is capitalised
                    end, label = found
                    self._emit(doc, tokens, i, end, label)
                    i = end
                    after_title = False
                    continue
            the_before = tokens[i - 1].text == "the" if i else before == "the"
            match = self._gazetteer(tokens, i, the_before)
            compass = self._compass_place(tokens, i, match)
            if compass is not None:
                match = compass
            if match is not None and not self._given_name_first(tokens, i, match[0]):
                end, label = match
                if label == "PERSON":
                    self._remember_person(doc, tokens[i:end])
                self._emit(doc, tokens, i, end, label)
                i = end
                after_title = False
                continue
            if token.text in _DETERMINERS:
                i += 1
                continue
            end = self._unknown_end(tokens, i)
            if strict is None:
                strict = self._is_headline(doc, run_start)
            self._classify(doc, tokens[i:end], after_title, strict, strict_first and i == 0)
            after_title = False
            i = end

    def _skip_initial(self, doc: _Doc, tokens: _Run) -> tuple[int, bool]:
        """Leading common words of a sentence-initial run, and whether one was a role noun.

        "However Putin" -> skip "However"; "Analyst Patrick Moorhead" -> skip
        "Analyst" and take what follows as a person.
        """
        gaz = self._tables.gaz
        i = 0
        role = False
        while i < len(tokens) and tokens[i].cap:
            word = tokens[i].text
            if word in gaz.common_words:
                # "New York" is a name even at a sentence start; "New rules" is not.
                if self._gazetteer(tokens, i, False) is not None or (
                    self._keyword_phrase(tokens, i) is not None
                ):
                    return i, role
                i += 1
                continue
            if self._has_evidence(tokens, i):
                return i, role
            lower = word.lower()
            if lower in gaz.role_words and not tokens[i].brk:
                i += 1
                role = True
                continue
            if doc.used_as_word(word) and not (
                word in gaz.given_names and i + 1 < len(tokens) and tokens[i + 1].cap
            ):
                # "Cook added …" after "Tim Cook": the word is also a common noun,
                # so it is a PERSON only if the document names such a person.
                if _looks_like_name(word):
                    doc.pending.append((tokens[i : i + 1], True))
                i += 1
                continue
            return i, role
        return i, role

    def _has_evidence(self, tokens: _Run, i: int) -> bool:
        """Does a table say the run at ``i`` is a name (not just a capitalised word)?"""
        gaz = self._tables.gaz
        word = tokens[i].text
        if word in gaz.known_people:
            return True
        if self._title_end(tokens, i) is not None or self._keyword_phrase(tokens, i) is not None:
            return True
        if self._gazetteer(tokens, i, False) is not None:
            return True
        return word in gaz.given_names and i + 1 < len(tokens) and tokens[i + 1].cap

    def _given_name_first(self, tokens: list[_Token], i: int, end: int) -> bool:
        """A one-word place that is also a first name, before an unknown surname.

        "Austin Powers", "Georgia Meloni": the name wins over the place.
        """
        gaz = self._tables.gaz
        if end != i + 1 or tokens[i].text not in gaz.given_names or tokens[i].brk:
            return False
        nxt = i + 1
        return (
            nxt < len(tokens)
            and tokens[nxt].cap
            and self._gazetteer(tokens, nxt, False) is None
            and tokens[nxt].text not in gaz.org_keywords
        )

    def _surname_place(self, tokens: list[_Token], i: int, j: int, match: tuple[int, str]) -> bool:
        """ "Tom Lancaster", "Charlotte Church": a one-word place right after a given
        name, ending the run, is that person's surname."""
        return (
            j == i + 1
            and match[0] == j + 1
            and match[1] in ("GPE", "LOC")
            and tokens[i].text in self._tables.gaz.given_names
            and (j + 1 == len(tokens) or not tokens[j + 1].cap or tokens[j].brk)
        )

    def _compass_place(
        self, tokens: list[_Token], i: int, match: tuple[int, str] | None
    ) -> tuple[int, str] | None:
        """ "West Texas", "Southern California": a compass word before a known GPE."""
        if tokens[i].text not in _COMPASS or tokens[i].brk or i + 1 >= len(tokens):
            return None
        if match is not None and match[0] > i + 1:
            return None  # the gazetteer knows the whole name ("North Korea")
        nxt = self._gazetteer(tokens, i + 1, False)
        if nxt is not None and nxt[1] == "GPE":
            return nxt[0], "GPE"
        return None

    def _title_end(self, tokens: _Run, i: int) -> int | None:
        """End of a title starting at ``i`` ("Foreign Minister", "Minister of Foreign Affairs")."""
        tables = self._tables
        gaz = tables.gaz
        first = tokens[i].text
        if first not in tables.title_first and first not in gaz.title_modifiers:
            return None
        n = len(tokens)
        best = None
        # Fixed titles, longest first.
        if first in tables.title_first:
            for j in range(min(n, i + tables.max_title_words), i, -1):
                if tokens[j - 1].cap and _key(tokens, i, j) in gaz.titles:
                    best = j
                    break
        # Composed: modifiers then a head word.
        modifier_end, modifier_group_end = self._modifier_ends(tokens)
        j = modifier_end[i]
        if j < n and tokens[j].cap and tokens[j].text in gaz.titles and j + 1 > (best or 0):
            best = j + 1
        if best is None:
            return None
        # "of" + modifiers: "Minister of Foreign Affairs", "Secretary of the Navy".
        if best < n and not tokens[best - 1].brk and tokens[best].text == "of":
            k = best + 1
            if k < n and tokens[k].text == "the":
                k += 1
            m = modifier_group_end[k]
            if m > k:
                best = m
        # A title word before an organisation keyword is part of a name
        # ("General Motors", "Major League"), not a title.
        if best < n and tokens[best].cap and tokens[best].text in gaz.org_keywords:
            return None
        # A lone title that is also a common word ("Chief", "Head") needs a name after it.
        if best == i + 1 and first in gaz.common_words and not (best < n and tokens[best].cap):
            return None
        return best

    def _modifier_ends(self, tokens: _Run) -> tuple[list[int], list[int]]:
        """The run's two title-modifier indexes (see :class:`_Run`), built on first use."""
        if tokens.modifier_end is None or tokens.modifier_group_end is None:
            modifiers = self._tables.gaz.title_modifiers
            n = len(tokens)
            stop = [n] * (n + 1)  # modifiers from k, stopping before a break
            group = [n] * (n + 1)  # modifiers from k, a break included
            for k in range(n - 1, -1, -1):
                token = tokens[k]
                if token.cap and token.text in modifiers:
                    stop[k] = k if token.brk else stop[k + 1]
                    group[k] = k + 1 if token.brk else group[k + 1]
                else:
                    stop[k] = group[k] = k
            tokens.modifier_end, tokens.modifier_group_end = stop, group
        return tokens.modifier_end, tokens.modifier_group_end

    @staticmethod
    def _cap_end(tokens: _Run) -> list[int]:
        """[k]: end of the capitalised words from k, the first one with a break included."""
        if tokens.cap_end is None:
            n = len(tokens)
            ends = [n] * (n + 1)
            for k in range(n - 1, -1, -1):
                token = tokens[k]
                if not token.cap:
                    ends[k] = k
                else:
                    ends[k] = k + 1 if token.brk else ends[k + 1]
            tokens.cap_end = ends
        return tokens.cap_end

    def _keyword_phrase(self, tokens: _Run, i: int) -> tuple[int, str] | None:
        """An organisation, location or facility named by its keyword, as (end, label).

        "European Commission", "Bank of England" (ORG); "Bristol Bay", "Gulf of
        Mexico", "Mount Everest" (LOC); "Emirates Stadium" (FAC, not scored).
        """
        gaz = self._tables.gaz
        if tokens.last_keyword is None:
            any_keyword = self._tables.any_keyword
            last = -1
            for k, token in enumerate(tokens):
                if token.text in any_keyword:
                    last = k
            tokens.last_keyword = last
        if i > tokens.last_keyword:
            return None  # no keyword from here to the end of the run
        for keywords, label in (
            (gaz.org_keywords, "ORG"),
            (gaz.loc_keywords, "LOC"),
            (gaz.fac_keywords, "FAC"),
            (gaz.law_keywords, "LAW"),
            (gaz.event_keywords, "EVENT"),
        ):
            end = self._keyword_end(tokens, i, keywords, label)
            if end is None:
                continue
            # "Black Sea Fleet", "Sea Baby": a place or building keyword must end
            # the name; only organisations have words after theirs.
            if label != "ORG" and end < len(tokens) and tokens[end].cap and not tokens[end - 1].brk:
                continue
            return end, label
        if (tokens[i].text in _LOC_PREFIX and i + 1 < len(tokens) and tokens[i + 1].cap
                and not tokens[i].brk and self._gazetteer(tokens, i, False) is None):
            end = i + 2 if tokens[i + 1].brk else self._cap_end(tokens)[i + 2]
            return end, "LOC"
        return None

    def _keyword_end(
        self, tokens: _Run, i: int, keywords: frozenset[str], label: str
    ) -> int | None:
        """End of a capitalised phrase from ``i`` ending in a keyword, or headed by one + "of".

        The phrase runs over capitalised words up to a title (after its first
        word) or through a possessive or hyphen break; its last keyword ends it.
        """
        stretch_end = tokens.stretch_end
        if stretch_end is None:
            stretch_end = tokens.stretch_end = self._stretch_ends(tokens)
        if tokens.keyword_before is None:
            tokens.keyword_before = {}
        before = tokens.keyword_before.get(label)
        if before is None:
            before = [-1] * (len(tokens) + 1)
            for k, token in enumerate(tokens):
                before[k + 1] = k if token.text in keywords else before[k]
            tokens.keyword_before[label] = before
        last_kw = before[stretch_end[i]]
        if last_kw < i:
            return None
        end = last_kw + 1
        extended = self._extend_of(tokens, end)
        if last_kw == i and extended == end:
            return None  # a keyword alone ("Congress", "Parliament") is a gazetteer matter
        match = self._gazetteer(tokens, i, False)
        if match is not None and match[1] != "ORG" and match[0] > last_kw:
            return None  # "West Bank", "Ivory Coast", "Rhode Island": the gazetteer knows
        return extended

    def _stretch_ends(self, tokens: _Run) -> list[int]:
        """[i]: end of the capitalised words from ``i`` that :meth:`_keyword_end` reads.

        They stop before a title that is not the first word, or after a word
        with a possessive or hyphen break.
        """
        n = len(tokens)
        ends = [n] * (n + 1)
        barrier = n  # first index after i: not capitalised, or a title
        breaking = n  # first index from i with a break (n: none)
        for k in range(n - 1, -1, -1):
            token = tokens[k]
            if token.brk:
                breaking = k
            if not token.cap:
                ends[k] = k
                barrier = k
                continue
            ends[k] = min(barrier, breaking + 1)
            if self._title_end(tokens, k) is not None:
                barrier = k
        return ends

    def _extend_of(self, tokens: _Run, end: int, grouped: bool = False) -> int:
        """Extend a name over "of/for/on (the) Capitalised …" groups, then "and …".

        "Institute for the Study of War", "Centers for Disease Control and
        Prevention"; "and" joins only after such a group, and never a known
        place, nationality or person ("Ministry of Defence and Ukraine").

        ``grouped``: a group was already taken (so "and" may join). Answers are
        kept in the run, so that a chain of groups is followed only once.
        """
        memo = tokens.extended
        if memo is None:
            memo = tokens.extended = {}
        chain: list[tuple[int, bool]] = []
        while True:
            known = memo.get((end, grouped))
            if known is not None:
                end = known
                break
            chain.append((end, grouped))
            nxt = self._of_group_end(tokens, end, grouped)
            if nxt is None:
                break
            end, grouped = nxt, True
        for key in chain:
            memo[key] = end
        return end

    def _of_group_end(self, tokens: _Run, end: int, grouped: bool) -> int | None:
        """End of the "of/for/on (the) Capitalised …" group at ``end``, if any."""
        n = len(tokens)
        if end >= n or tokens[end - 1].brk:
            return None
        word = tokens[end].text
        if not (word in ("of", "for", "on") or (grouped and word == "and")):
            return None
        k = end + 1
        if k < n and tokens[k].text == "the":
            k += 1
        if (
            word == "and"
            and k < n
            and (
                tokens[k].text in self._tables.gaz.known_people
                or self._gazetteer(tokens, k, False) is not None
            )
        ):
            return None
        m = self._cap_end(tokens)[k]
        return None if m == k else m

    def _gazetteer(self, tokens: list[_Token], i: int, the_before: bool) -> tuple[int, str] | None:
        """Longest gazetteer entry starting at ``i``: (end, label).

        After "the", an entry stored with its article wins: "the Amazon" is
        the river (LOC), "Amazon" the company (ORG).
        """
        tables = self._tables
        labels = tables.gaz.labels
        if tokens[i].text not in tables.label_first:
            # "BERLIN —", "REUTERS": capitals do not decide, so a word written in
            # capitals is looked up as a capitalised name too.
            word = tokens[i].text
            if len(word) >= 4 and word.isupper() and word.isalpha():
                label = labels.get(word.title())
                if label is not None:
                    return i + 1, label
            return None
        # An entry never runs past a possessive or hyphen break.
        limit = min(len(tokens), i + tables.gaz.max_words)
        for j in range(i, limit):
            if tokens[j].brk:
                limit = j + 1
                break
        for j in range(limit, i, -1):
            if not tokens[j - 1].cap:
                continue
            key = _key(tokens, i, j) if j > i + 1 else tokens[i].text
            label = labels.get("the " + key) if the_before else None
            if label is None:
                label = labels.get(key)
            if label is not None:
                return j, label
        return None

    def _unknown_end(self, tokens: _Run, i: int) -> int:
        """End of a stretch of capitalised words that no table knows."""
        n = len(tokens)
        j = i + 1
        if tokens[i].brk:
            return j
        while j < n:
            token = tokens[j]
            if not token.cap:
                # Particles inside names: "Ursula von der Leyen", "Mohammed bin Salman".
                k = j
                while k < n and not tokens[k].cap and tokens[k].text in _NAME_PARTICLES:
                    k += 1
                if k == j or k >= n or not tokens[k].cap:
                    break
                j = k
                continue
            if self._title_end(tokens, j) is not None:
                break
            match = self._gazetteer(tokens, j, False)
            if (
                match is not None
                and match[1] != "PERSON"
                and not self._given_name_first(tokens, j, match[0])
                and not self._surname_place(tokens, i, j, match)
            ):
                break
            j += 1
            if token.brk:
                break
        return j

    # -- classification ----------------------------------------------------------

    def _classify(
        self, doc: _Doc, run: list[_Token], cue: bool, strict: bool, initial: bool
    ) -> None:
        """Label an unknown capitalised stretch, or leave it for after the whole document.

        ``strict``: in a title-case headline, where capitals prove nothing.
        ``initial``: first in a sentence, where a lone capitalised word proves nothing.
        """
        gaz = self._tables.gaz
        first, last = run[0].text, run[-1].text
        if len(run) == 1 and first in gaz.common_words:
            return  # "I", "AI", "However": never a name alone
        if (
            cue
            or (len(run) > 1 and (first in gaz.given_names or _capitals_given_name(run, gaz)))
            or run[0].person_hint
        ):
            self._person(doc, run)
            return
        if last in gaz.known_people or _key(run, 0, len(run)) in gaz.known_people:
            self._person(doc, run)
            return
        if not strict:
            org = self._org_before(doc.text, run[0].start)
            if org is None and len(run) == 1 and _camel_case(first):
                org = "ORG"  # "NetBlocks", "SoftBank": brand names, not people
            if org is not None:
                self._emit(doc, run, 0, len(run), org)
                return
        if _SPEECH_AFTER.match(doc.text, run[-1].end):
            self._person(doc, run)
            return
        if (
            not strict
            and len(run) == 1
            and _is_acronym(first)
            and not (initial and (len(first) > 4 or doc.used_as_word(first)))
        ):
            self._emit(doc, run, 0, 1, "ORG")
            return
        if not strict:
            apposition = _APPOSITIVE.match(doc.text, run[-1].end)
            if apposition is not None:
                self._emit(doc, run, 0, len(run), "ORG" if apposition.group("org") else "GPE")
                return
        # Two or three capitalised words no table knows, none of them used as an
        # ordinary word elsewhere in the document: most often a person's name.
        if (
            not strict
            and 2 <= len(run) <= 3
            and all(_looks_like_name(t.text) and t.text not in gaz.common_words for t in run)
            and not any(doc.used_as_word(t.text) for t in run)
        ):
            self._person(doc, run, guessed=True)
            return
        doc.pending.append((run, strict or initial))

    @staticmethod
    def _org_before(text: str, start: int) -> str | None:
        """ORG or GPE from the words before an unknown name, else None."""
        if _word_before(text, start) in _ORG_CUE_BEFORE:
            return "ORG"
        before = text[max(0, start - 40) : start]
        if _ORG_BEFORE.search(before):
            return "ORG"
        if _GPE_BEFORE.search(before):
            return "GPE"
        return None

    def _resolve_pending(self, doc: _Doc) -> None:
        """Lone capitalised words: a PERSON if the document named them in full elsewhere."""
        gaz = self._tables.gaz
        text = doc.text
        for run, strict in doc.pending:
            words = [t.text for t in run]
            # A name guessed without any cue lends its surname only outside
            # headlines and sentence starts, where capitals mean something.
            if (
                words[-1] in doc.people
                or " ".join(words) in doc.people
                or (not strict and (words[-1] in doc.guessed or " ".join(words) in doc.guessed))
            ):
                self._emit(doc, run, 0, len(run), "PERSON")
                continue
            if strict or len(run) != 1 or words[0] in gaz.common_words:
                continue
            if words[0] in gaz.given_names:
                self._emit(doc, run, 0, 1, "PERSON")
                continue
            before = _word_before(text, run[0].start)
            if (
                before in _PLACE_BEFORE
                and _looks_like_name(words[0])
                and not doc.used_as_word(words[0])
            ):
                self._emit(doc, run, 0, 1, "GPE")

    def _person(self, doc: _Doc, run: list[_Token], guessed: bool = False) -> None:
        self._remember_person(doc, run, guessed)
        self._emit(doc, run, 0, len(run), "PERSON")

    def _remember_person(self, doc: _Doc, run: list[_Token], guessed: bool = False) -> None:
        """Teach the document a person's full name and surname, for lone mentions."""
        words = [t.text for t in run if t.cap]
        if words:
            known = doc.guessed if guessed else doc.people
            known.add(" ".join(words))
            known.add(words[-1])
            if len(words) > 1 and words[0] in self._tables.gaz.surname_first:
                known.add(words[0])  # "Lee Jae-myung" … "Lee said"

    def _emit(self, doc: _Doc, tokens: list[_Token], i: int, j: int, label: str) -> None:
        doc.add(tokens[i].start, tokens[j - 1].end, label)

    def _is_headline(self, doc: _Doc, position: int) -> bool:
        """Is the sentence at ``position`` a title-case headline?

        A headline capitalises every content word ("The Unyielding Barrier:
        Territorial Sovereignty"), so there its capitals say nothing about
        names; an ordinary sentence always has some lower-case content word.
        """
        bounds = doc.boundaries()
        k = bisect.bisect_right(bounds, position - 1)
        start = bounds[k - 1] + 1 if k else 0
        cached = doc.headline_cache.get(start)
        if cached is not None:
            return cached
        end = bounds[k] if k < len(bounds) else len(doc.text)
        headline = _CONTENT_WORD.search(doc.text, start, end) is None and (
            len(_CAPITAL_WORD.findall(doc.text, start, end)) >= 2
        )
        doc.headline_cache[start] = headline
        return headline


# --------------------------------------------------------------------------
# Small helpers


def _key(tokens: list[_Token], i: int, j: int) -> str:
    return " ".join(t.text for t in tokens[i:j])


def _capitals_given_name(run: list[_Token], gaz: Gazetteers) -> bool:
    """ "JOHN SMITH:" (a transcript's speaker label): a given name in capitals."""
    first = run[0].text
    return (
        first.isupper() and first.title() in gaz.given_names and all(t.text.isupper() for t in run)
    )


def _camel_case(word: str) -> bool:
    """ "NetBlocks", "SoftBank", "TikTok" (not "McDonald", "DeSantis", "LeBron")."""
    if not word[:1].isupper() or not word.isalpha():
        return False
    for k in range(2, len(word)):
        if word[k].isupper() and word[k - 1].islower():
            return word[:k] not in _NAME_PREFIXES
    return False


def _is_acronym(word: str) -> bool:
    letters = word.replace(".", "").replace("&", "")
    return 2 <= len(letters) <= 6 and letters.isalpha() and letters.isupper()


def _looks_like_name(word: str) -> bool:
    """ "Braze", "O'Neill", "Al-Sisi": a capital then lower-case letters."""
    plain = word.replace("-", "").replace("'", "")
    return len(plain) >= 2 and plain.isalpha() and word[0].isupper() and not plain.isupper()


def _sentence_initial(text: str, start: int) -> bool:
    """Does the word at ``start`` open a sentence, a line or a quotation?"""
    i = start - 1
    while i >= 0 and text[i] in _SKIP_BEFORE:
        i -= 1
    if i < 0:
        return True
    ch = text[i]
    if ch not in _SENTENCE_END:
        return False
    return not (ch == "." and _abbreviation_before(text, i))


def _abbreviation_before(text: str, dot: int) -> bool:
    """Is the full stop at ``dot`` that of an abbreviation or initial, not a sentence end?

    "Gen. Milley", "U.S. Army", "Dec. 2", "John F. Kennedy", "Co. said".
    """
    chunk = text[max(0, dot - 8) : dot]
    parts = chunk.split()
    if not parts or chunk[-1].isspace():
        return False
    word = parts[-1].lstrip("(\"“‘'")
    return (len(word) == 1 and word.isupper()) or "." in word or bool(_ABBREVIATION.fullmatch(word))


def _word_before(text: str, start: int) -> str:
    """The word just before ``start`` and the spaces after it (lower-cased), or ""."""
    chunk = text[max(0, start - 24) : start]
    if not chunk or chunk[-1] not in " \u00a0":
        return ""
    parts = chunk.split()
    return parts[-1].lower() if parts else ""


def _plausible_date(text: str, start: int, end: int) -> bool:
    """Reject DATE matches that are words in other senses ("May" the verb)."""
    surface = text[start:end]
    if surface.startswith(("a ", "an ", "a\u00a0")) and not surface.endswith(
        ("ago", "earlier", "later")
    ):
        before = text[max(0, start - 12) : start].split()
        if before and (before[-1].lower() in _RATE_BEFORE or before[-1][-1:].isdigit()):
            return False
    if surface == "May":
        word = _word_before(text, start)
        return word in {"in", "since", "until", "by", "of", "last", "next", "early", "late", "mid"}
    if surface in ("March", "August") and _word_before(text, start) not in {
        "in",
        "since",
        "until",
        "by",
        "of",
        "last",
        "next",
        "early",
        "late",
        "this",
        "mid",
        "",
    }:
        # "a March on Washington" is rare; "August" as an adjective is lower-case.
        return surface == "August" or _word_before(text, start) != "a"
    return True


def _without_overlaps(spans: list[EntitySpan]) -> list[EntitySpan]:
    """Sorted by start; of two overlapping spans the earlier (then longer) one stays."""
    spans.sort(key=lambda s: (s.start, -s.end))
    out: list[EntitySpan] = []
    last_end = -1
    for span in spans:
        if span.start >= last_end and span.end > span.start:
            out.append(span)
            last_end = span.end
    return out
