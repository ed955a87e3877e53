"""REFI-QDA round trip: export_qdpx and import_qdpx on 1,000 documents and 100,000 codings.

Run from the repository root:

    .venv/bin/python bench/refi_bench.py [--runs N] [--documents N] [--codings N]
                                         [--profile export|import|both]

Figures only; nothing is asserted. Targets: export <= 10 s, import <= 10 s.

The project is built straight into a database file with ``executemany`` in one
transaction (no undo history, no per-row sqlite-utils calls):

- documents: the sample articles of seeds/*.txt, each copy with its paragraphs
  rotated and shuffled by a seeded RNG and a numbered heading in front, so every
  text (and its sha256) differs; FTS triggers fire as for a real import;
- 3 coders; ~50 codes in a three-level tree with colours, some descriptions;
- codings spread over the documents and the coders: mostly short passages,
  one in five long, so that they overlap; every quote is the text slice;
- ~2 % of codings carry a memo; memos on a fifth of the documents and on a
  third of the codes.

Each run: ``export_qdpx`` to a fresh file (wall and CPU time, file size), then
``import_qdpx`` into a fresh, empty database (wall and CPU time; opening the
empty database is not counted). The round trip is then checked: the numbers of
documents, codes, codings and memos, and for a random sample of codings (by
UUID, which the export keeps as GUID) document text hash, start, end, quote,
code and memo. Figures are the median of the runs (min and max beside).
``--profile`` runs one more export/import under cProfile and prints the top
functions by own time and by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import itertools
import pstats
import random
import statistics
import tempfile
import time
from pathlib import Path

from margin.store.db import open_database
from margin.store.refi.exporter import export_qdpx
from margin.store.refi.importer import import_qdpx
from margin.store.sources.textio import count_words

ROOT = Path(__file__).resolve().parent.parent


SEEDS = ROOT / "seeds"
TARGET_S = 10.0
CODERS = ["alice", "bashir", "chen"]
# A three-level tree: 8 roots, 5 children each, and 2 grandchildren under the
# first child of each root (8 + 40 + 16 = 64 would be too many: only four roots
# get grandchildren) -> 8 + 40 + 8 = 56 codes.
ROOTS = ["Trust", "Risk", "Labour", "Care", "Conflict", "Technology", "Place", "Memory"]
CHILDREN = ["Personal", "Institutional", "Economic", "Historical", "Emerging"]
GRANDCHILDREN = ["Explicit", "Implied"]
# Lower case, as margin stores colours (normalise_colour).
COLOURS = ["#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4",
           "#46f0f0", "#f032e6", "#bcf60c", "#fabebe", "#008080", "#e6beff"]
WORDS = ["the", "passage", "suggests", "a", "tension", "between", "stated", "policy", "and", "practice", "that", "recurs", "across", "sources", "and", "deserves", "a", "second", "look", "when", "coding", "the", "next", "batch"]


# ---------------------------------------------------------------- the project


def _stamp(rng: random.Random) -> str:
    return (f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
            f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
            f".{rng.randint(0, 999):03d}+00:00")


def _uuid(rng: random.Random) -> str:
    import uuid

    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _memo_text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 40))).capitalize() + "."


def build_project(path: Path, documents: int, codings: int, seed: int = 20240601) -> dict:
    rng = random.Random(seed)
    db = open_database(path)
    conn = db.conn
    articles = []
    for file in sorted(SEEDS.glob("*.txt")):
        text = file.read_text("utf-8").replace("\r\n", "\n").strip("\n")
        # Paragraphs are lines (some seeds separate them by a blank line, some not).
        articles.append([line.strip() for line in text.split("\n") if line.strip()])

    coder_rows = [(index + 1, _uuid(rng), name, _stamp(rng)) for index, name in enumerate(CODERS)]

    code_rows = []
    next_id = 1

    def add_code(name: str, parent: int | None) -> int:
        nonlocal next_id
        code_id = next_id
        next_id += 1
        description = _memo_text(rng) if rng.random() < 0.3 else ""
        stamp = _stamp(rng)
        code_rows.append((code_id, _uuid(rng), parent, name, COLOURS[code_id % len(COLOURS)],
                          description, stamp, stamp))
        return code_id

    for root_index, root in enumerate(ROOTS):
        root_id = add_code(root, None)
        for child_index, child in enumerate(CHILDREN):
            child_id = add_code(child, root_id)
            if child_index == 0 and root_index % 2 == 0:
                for grandchild in GRANDCHILDREN:
                    add_code(grandchild, child_id)
    code_ids = [row[0] for row in code_rows]

    document_rows = []
    texts: list[str] = []
    for number in range(documents):
        paragraphs = list(articles[number % len(articles)])
        shift = rng.randrange(len(paragraphs))
        paragraphs = paragraphs[shift:] + paragraphs[:shift]
        if len(paragraphs) > 3 and rng.random() < 0.5:
            a, b = rng.sample(range(len(paragraphs)), 2)
            paragraphs[a], paragraphs[b] = paragraphs[b], paragraphs[a]
        title = f"Article {number + 1:04d}: {paragraphs[0][:40].rstrip()}"
        text = f"{number + 1}. {title}\n\n" + "\n\n".join(paragraphs)
        texts.append(text)
        stamp = _stamp(rng)
        document_rows.append((
            number + 1, _uuid(rng), title, text, text, f"bench:{number + 1}", "utf-8", 0,
            count_words(text), hashlib.sha256(text.encode("utf-8")).hexdigest(), stamp, stamp))

    # Codings: spread evenly over the documents, each placed at random in it.
    coding_rows = []
    memo_every = 50  # ~2 % of codings have a memo
    per_document, extra = divmod(codings, documents)
    coding_id = 0
    for index, text in enumerate(texts):
        document_id = index + 1
        for _ in range(per_document + (1 if index < extra else 0)):
            length = rng.randint(300, 1500) if rng.random() < 0.2 else rng.randint(15, 200)
            start = rng.randrange(0, max(1, len(text) - 15))
            end = min(len(text), start + length)
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if end <= start:
                start, end = 0, min(len(text), 10)
            coding_id += 1
            stamp = _stamp(rng)
            memo = _memo_text(rng) if rng.randrange(memo_every) == 0 else ""
            coding_rows.append((coding_id, _uuid(rng), document_id, rng.choice(code_ids), start,
                                end, text[start:end], memo, rng.randint(1, len(CODERS)), stamp,
                                stamp))

    memo_rows = []
    memo_id = 0
    for document_id in range(1, documents + 1):
        if rng.random() < 0.2:
            memo_id += 1
            stamp = _stamp(rng)
            memo_rows.append((memo_id, _uuid(rng), document_id, None, _memo_text(rng),
                              rng.randint(1, len(CODERS)), stamp, stamp))
    for code_id in code_ids:
        if rng.random() < 0.33:
            memo_id += 1
            stamp = _stamp(rng)
            memo_rows.append((memo_id, _uuid(rng), None, code_id, _memo_text(rng),
                              rng.randint(1, len(CODERS)), stamp, stamp))

    with db.atomic():
        conn.executemany("INSERT INTO coders (id, uuid, name, created) VALUES (?, ?, ?, ?)",
                         coder_rows)
        conn.executemany(
            "INSERT INTO codes (id, uuid, parent_id, name, colour, description, created, "
            "updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", code_rows)
        conn.executemany(
            "INSERT INTO documents (id, uuid, title, text, original, source_path, encoding, "
            "cleaned, word_count, hash, imported, updated) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", document_rows)
        conn.executemany(
            'INSERT INTO codings (id, uuid, document_id, code_id, start, "end", quote, memo, '
            "coder_id, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", coding_rows)
        conn.executemany(
            "INSERT INTO memos (id, uuid, document_id, code_id, text, coder_id, created, "
            "updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", memo_rows)
    conn.close()

    # Overlap: pairs of consecutive codings (by start, per document) that overlap.
    overlapping = 0
    by_document: dict[int, list[tuple[int, int]]] = {}
    for row in coding_rows:
        by_document.setdefault(row[2], []).append((row[4], row[5]))
    for spans in by_document.values():
        spans.sort()
        overlapping += sum(1 for a, b in itertools.pairwise(spans) if b[0] < a[1])
    chars = sum(len(text) for text in texts)
    return {
        "documents": len(document_rows),
        "chars": chars,
        "bytes": sum(len(text.encode("utf-8")) for text in texts),
        "codes": len(code_rows),
        "depth": 3,
        "codings": len(coding_rows),
        "coding_memos": sum(1 for row in coding_rows if row[7]),
        "document_memos": sum(1 for row in memo_rows if row[2] is not None),
        "code_memos": sum(1 for row in memo_rows if row[3] is not None),
        "overlapping": overlapping,
        "quote_chars": sum(len(row[6]) for row in coding_rows),
    }


# ---------------------------------------------------------------- measuring


def timed(function, *args):
    wall0, cpu0 = time.perf_counter(), time.process_time()
    result = function(*args)
    return result, time.perf_counter() - wall0, time.process_time() - cpu0


def fresh_database(folder: Path, name: str):
    path = folder / name
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return open_database(path)


CODING_SAMPLE_SQL = """
    SELECT c.uuid, d.hash, c.start, c."end", c.quote, k.uuid, c.memo, u.uuid, c.created
    FROM codings c JOIN documents d ON d.id = c.document_id JOIN codes k ON k.id = c.code_id
    LEFT JOIN coders u ON u.id = c.coder_id WHERE c.uuid IN ({})"""


def verify(source_path: Path, target_path: Path, sample: int, seed: int) -> dict:
    """The round trip compared, table by table and on a sample of codings."""
    import sqlite3

    src = sqlite3.connect(source_path)
    dst = sqlite3.connect(target_path)
    counts = {}
    for table in ("coders", "codes", "documents", "codings", "memos"):
        counts[table] = tuple(c.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                              for c in (src, dst))
    coding_memos = tuple(c.execute("SELECT COUNT(*) FROM codings WHERE memo != ''")
                         .fetchone()[0] for c in (src, dst))
    hashes = tuple(
        hashlib.sha256("\n".join(r[0] for r in c.execute(
            "SELECT hash FROM documents ORDER BY hash")).encode()).hexdigest()
        for c in (src, dst))
    uuids = [row[0] for row in src.execute("SELECT uuid FROM codings ORDER BY id")]
    chosen = random.Random(seed).sample(uuids, min(sample, len(uuids)))
    marks = ",".join("?" * len(chosen))
    rows = [{r[0]: r for r in c.execute(CODING_SAMPLE_SQL.format(marks), chosen)}
            for c in (src, dst)]
    equal = sum(1 for u in chosen if u in rows[1] and rows[0][u] == rows[1][u])
    quotes_equal = sum(1 for u in chosen if u in rows[1] and rows[0][u][4] == rows[1][u][4])
    tree = tuple(
        sorted(c.execute("SELECT k.uuid, k.name, k.colour, k.description, p.uuid FROM codes k "
                         "LEFT JOIN codes p ON p.id = k.parent_id"))
        for c in (src, dst))
    src.close()
    dst.close()
    return {"counts": counts, "coding_memos": coding_memos, "texts_equal": hashes[0] == hashes[1],
            "sample": len(chosen), "sample_equal": equal, "quotes_equal": quotes_equal,
            "codebook_equal": tree[0] == tree[1]}


def profile(label: str, function, *args, top: int = 18) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    function(*args)
    profiler.disable()
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(order).print_stats(top)
        lines = out.getvalue().splitlines()
        start = next(i for i, line in enumerate(lines) if "ncalls" in line)
        total = next((line.strip() for line in lines if "function calls" in line), "")
        print(f"\ncProfile {label}, top {top} by {order} ({total}):")
        for line in lines[start:]:
            if line.strip():
                print("  " + line.rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--documents", type=int, default=1_000)
    parser.add_argument("--codings", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=2_000, help="codings compared one by one")
    parser.add_argument("--profile", choices=["export", "import", "both"], default=None)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="margin-refi-bench-") as name:
        folder = Path(name)
        source = folder / "source.db"
        started = time.perf_counter()
        built = build_project(source, options.documents, options.codings)
        build_s = time.perf_counter() - started
        print(f"project: {built['documents']:,} documents ({built['chars'] / 1e6:.1f} M characters, "
              f"{built['bytes'] / 1e6:.1f} MB UTF-8), {built['codes']} codes in a "
              f"{built['depth']}-level tree, {built['codings']:,} codings by {len(CODERS)} coders "
              f"({built['overlapping']:,} overlap the next one; quotes {built['quote_chars'] / 1e6:.1f}"
              f" M characters), memos: {built['coding_memos']:,} on codings, "
              f"{built['document_memos']} on documents, {built['code_memos']} on codes; "
              f"built in {build_s:.1f} s")
        print(f"runs: {options.runs} (figures: median, min, max)")

        db = open_database(source)
        exports, imports, sizes, checks = [], [], [], []
        qdpx = folder / "project.qdpx"
        for run in range(options.runs):
            _, wall, cpu = timed(export_qdpx, db, qdpx)
            exports.append((wall, cpu))
            sizes.append(qdpx.stat().st_size)
            target = fresh_database(folder, "target.db")
            report, wall, cpu = timed(import_qdpx, target, qdpx)
            imports.append((wall, cpu))
            target.conn.close()
            checks.append((report, verify(source, folder / "target.db", options.sample, run)))
        db.conn.close()

        def row(label: str, values: list[float], unit: str = "s") -> None:
            print(f"  {label:<34}{statistics.median(values):9.2f}{min(values):9.2f}"
                  f"{max(values):9.2f} {unit}")

        print()
        print(f"  {'':<34}{'median':>9}{'min':>9}{'max':>9}")
        row("export_qdpx wall", [w for w, _ in exports])
        row("export_qdpx CPU", [c for _, c in exports])
        row("import_qdpx wall (empty database)", [w for w, _ in imports])
        row("import_qdpx CPU", [c for _, c in imports])
        row("QDPX file size", [s / 1e6 for s in sizes], "MB")
        with zipfile_open(qdpx) as archive:
            qde = archive.getinfo("project.qde")
            print(f"  (project.qde {qde.file_size / 1e6:.1f} MB uncompressed, "
                  f"{qde.compress_size / 1e6:.1f} MB compressed; "
                  f"{len(archive.infolist()) - 1:,} source entries)")

        report, check = checks[-1]
        print()
        print(f"import report (last run): {report.summary()}")
        print("round trip (last run), source -> imported:")
        for table, (a, b) in check["counts"].items():
            print(f"  {table:<12}{a:>9,} -> {b:<9,} {'equal' if a == b else 'DIFFERENT'}")
        a, b = check["coding_memos"]
        print(f"  {'coding memos':<12}{a:>9,} -> {b:<9,} {'equal' if a == b else 'DIFFERENT'}")
        print(f"  document texts (sha256 set): {'equal' if check['texts_equal'] else 'DIFFERENT'}; "
              f"codebook (guid, name, colour, description, parent): "
              f"{'equal' if check['codebook_equal'] else 'DIFFERENT'}")
        print(f"  sample of {check['sample']:,} codings by UUID: quotes equal "
              f"{check['quotes_equal']:,}; all fields (document, offsets, quote, code, memo, "
              f"coder, created) equal {check['sample_equal']:,}")
        if any(c["sample_equal"] != c["sample"] for _, c in checks[:-1]):
            print("  (an earlier run's sample differed)")

        print()
        export_wall = statistics.median(w for w, _ in exports)
        import_wall = statistics.median(w for w, _ in imports)
        for label, value in (("export", export_wall), ("import", import_wall)):
            print(f"target {label} <= {TARGET_S:.0f} s (wall, median): {value:6.2f} s  "
                  f"{'met' if value <= TARGET_S else 'MISSED'}")

        if options.profile:
            if options.profile in ("export", "both"):
                db = open_database(source)
                profile("export_qdpx", export_qdpx, db, qdpx)
                db.conn.close()
            if options.profile in ("import", "both"):
                target = fresh_database(folder, "profile.db")
                profile("import_qdpx", import_qdpx, target, qdpx)
                target.conn.close()


def zipfile_open(path: Path):
    import zipfile

    return zipfile.ZipFile(path)


if __name__ == "__main__":
    main()
