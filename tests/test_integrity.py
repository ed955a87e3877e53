"""Integrity an outsider cannot break silently: deletes from other tools,
`margin check`, a newer margin's database, a read-only place, the views and
metadata for other tools, shell completion, `margin info`."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from margin.store.catalogue import datasette_metadata
from margin.store.codes import create_code
from margin.store.codings import apply_coding, set_coding_memo, set_memo
from margin.store.db import MIGRATION_NAMES, open_database
from margin.store.errors import NewerDatabase, StoreError
from margin.store.integrity import check_database, repair_database


def margin(*args: str, env_extra: dict | None = None, user: int | None = None):
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "margin.tui.cli", *args],
        capture_output=True, env=env, timeout=60,
        user=user,
    )


def coded_project(path: Path) -> Path:
    """Two short documents, a parent and a child code, a coding on each
    document, a document memo; closed again."""
    db = open_database(path)
    from margin.store.documents import import_text
    from margin.store.sources.textio import DecodedText

    first = import_text(db, DecodedText("Talks in Geneva went on.\n\nNATO met.", "utf-8", False),
                        source="a.txt", clean=False).document_id
    second = import_text(db, DecodedText("Another text about sanctions.", "utf-8", False),
                         source="b.txt", clean=False).document_id
    parent = create_code(db, "Diplomacy")
    child = create_code(db, "Talks", parent_id=parent)
    apply_coding(db, first, child, 0, 5, "ana")
    apply_coding(db, second, parent, 8, 12, "ben")
    set_memo(db, "A memo on the first text", "ana", document_id=first)
    db.close()
    return path


def counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in ("documents", "codings", "memos")}
    finally:
        conn.close()


def test_deleting_a_document_from_another_tool_takes_its_codings_and_memos(tmp_path):
    path = coded_project(tmp_path / "p.db")
    # sqlite-utils and the sqlite3 shell leave foreign keys off: a cascade
    # declared on the keys would not act here; the trigger does.
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 0
    conn.execute("DELETE FROM documents WHERE id = 1")
    conn.commit()
    conn.close()
    assert counts(path) == {"documents": 1, "codings": 1, "memos": 0}

    codes = [json.loads(line) for line in
             margin("--db", str(path), "codes", "--json").stdout.decode().splitlines()]
    assert {code["path"]: code["codings"] for code in codes} == {"Diplomacy": 1,
                                                                 "Diplomacy > Talks": 0}
    checked = margin("--db", str(path), "check")
    assert checked.returncode == 0, checked.stdout.decode()


def test_check_finds_orphans_and_repair_removes_them(tmp_path):
    path = coded_project(tmp_path / "p.db")
    conn = sqlite3.connect(path)  # an old outside delete, before the trigger existed
    conn.execute("DROP TRIGGER documents_delete_cascades")
    conn.execute("DELETE FROM documents WHERE id = 1")
    conn.commit()
    conn.close()

    found = margin("--db", str(path), "check")
    assert found.returncode == 1
    out = found.stdout.decode()
    assert "PROBLEM     references: 2 rows point at nothing" in out
    assert "1 row of codings point at a document that is gone" in out
    assert "margin check --repair" in out

    repaired = margin("--db", str(path), "check", "--repair")
    assert repaired.returncode == 0, repaired.stdout.decode()
    assert "repaired    deleted 1 row of codings whose document is gone" in repaired.stdout.decode()
    assert counts(path) == {"documents": 1, "codings": 1, "memos": 0}


def test_a_quote_that_no_longer_matches_is_reported_and_never_repaired(tmp_path):
    path = coded_project(tmp_path / "p.db")
    conn = sqlite3.connect(path)
    conn.execute("UPDATE codings SET quote = 'Tolks' WHERE id = 1")
    conn.commit()
    conn.close()
    db = open_database(path)
    report = repair_database(db)
    quotes = next(finding for finding in report.findings if finding.name == "quotes")
    assert not report.ok and not quotes.ok and not quotes.repairable
    assert "coding 1 in #1" in quotes.details[0]
    assert db.execute("SELECT quote FROM codings WHERE id = 1").fetchone()[0] == "Tolks"
    db.close()


def test_a_full_text_index_out_of_step_is_found_and_rebuilt(tmp_path):
    path = coded_project(tmp_path / "p.db")
    conn = sqlite3.connect(path)
    # A tool that deleted the index's rows behind its back.
    conn.execute("DELETE FROM documents_fts_docsize")
    conn.execute("DELETE FROM documents_fts_idx")
    conn.commit()
    conn.close()
    db = open_database(path)
    before = {finding.name: finding.ok for finding in check_database(db).findings}
    assert before["full text"] is False
    after = repair_database(db)
    assert after.ok and "rebuilt the full-text index of the documents" in after.repaired
    assert db.execute(
        "SELECT rowid FROM documents_fts WHERE documents_fts MATCH 'sanctions'").fetchall() == [(2,)]
    db.close()


def test_one_document_missing_from_a_full_text_index_or_one_too_many_is_found_and_rebuilt(
        tmp_path):
    path = coded_project(tmp_path / "p.db")
    conn = sqlite3.connect(path)
    # One document taken out of the index behind its back; a row of a
    # document that is not there put into the passages' index.
    conn.execute("INSERT INTO documents_fts (documents_fts, rowid, title, text) "
                 "SELECT 'delete', id, title, text FROM documents WHERE id = 2")
    conn.execute("INSERT INTO codings_fts (rowid, quote, memo) VALUES (99, 'ghost', '')")
    conn.commit()
    conn.close()
    db = open_database(path)
    (finding,) = [f for f in check_database(db).findings if f.name == "full text"]
    assert not finding.ok and finding.details == [
        "documents_fts (the documents)", "codings_fts (the coded passages)"]
    after = repair_database(db)
    assert after.ok and after.repaired == ["rebuilt the full-text index of the documents",
                                           "rebuilt the full-text index of the coded passages"]
    assert db.execute(
        "SELECT rowid FROM documents_fts WHERE documents_fts MATCH 'sanctions'").fetchone() == (2,)
    assert db.execute(
        "SELECT rowid FROM codings_fts WHERE codings_fts MATCH 'ghost'").fetchall() == []
    db.close()


def test_a_memo_changed_while_its_trigger_was_missing_is_indexed_when_repair_makes_it_again(
        tmp_path):
    path = coded_project(tmp_path / "p.db")
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER memos_au")
    conn.execute("UPDATE memos SET text = 'A note on reparations' WHERE id = 1")
    conn.commit()
    conn.close()
    status, lines = check_lines(path, "--repair")
    assert status == 0, lines
    assert lines[:2] == ["repaired    made trigger memos_au again",
                         "repaired    rebuilt the full-text index of the memos"]
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT rowid FROM memos_fts WHERE memos_fts MATCH 'reparations'"
                        ).fetchall() == [(1,)]
    conn.close()


def test_a_damaged_page_is_reported_with_what_to_do(tmp_path):
    path = coded_project(tmp_path / "p.db")
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'codings'").fetchone()[0]
    conn.close()
    data = bytearray(path.read_bytes())
    start = (root - 1) * page_size
    data[start:start + 64] = b"\xff" * 64  # the codings table's page header
    path.write_bytes(bytes(data))
    result = margin("--db", str(path), "check")
    out = result.stdout.decode() + result.stderr.decode()
    assert result.returncode != 0
    assert "Traceback" not in out
    assert "damaged" in out or "malformed" in out


def newer_database(path: Path, how: str) -> Path:
    coded_project(path)
    conn = sqlite3.connect(path)
    if how == "migration":
        conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                     "VALUES ('margin', '0099_from_the_future', '2030-01-01')")
    else:
        conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    return path


def test_a_database_with_a_migration_of_another_line_names_it_not_a_smaller_schema(tmp_path):
    # Made by a margin that numbered one of its own migrations differently:
    # as many migrations as ours, one unknown. "Schema 10 is newer than 10"
    # would make no sense; the line names the migration it does not know.
    path = tmp_path / "other.db"
    coded_project(path)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE _sqlite_migrations SET name = '0010_another_index' "
                 "WHERE name = (SELECT name FROM _sqlite_migrations ORDER BY rowid DESC LIMIT 1)")
    conn.commit()
    conn.close()
    with pytest.raises(NewerDatabase) as refused:
        open_database(path)
    assert "migrations this margin does not know: 0010_another_index" in str(refused.value)
    assert "(schema " not in str(refused.value).split("upgrade margin")[0]


@pytest.mark.parametrize("how", ["migration", "user_version"])
def test_a_newer_margins_database_is_refused_for_writes_and_read_where_safe(tmp_path, how):
    path = newer_database(tmp_path / "newer.db", how)
    before = path.read_bytes()
    with pytest.raises(NewerDatabase, match=r"made by a newer margin \(schema \d+\); upgrade margin"):
        open_database(path)

    listed = margin("--db", str(path), "documents")
    assert listed.returncode == 0, listed.stderr.decode()
    assert "Another text about sanctions" in listed.stdout.decode()
    exported = margin("--db", str(path), "export", "--format", "jsonl")
    assert exported.returncode == 0 and b"Talks" in exported.stdout

    source = tmp_path / "new.txt"
    source.write_text("Something new.")
    refused = margin("--db", str(path), "import", str(source))
    assert refused.returncode == 1
    assert "made by a newer margin" in refused.stderr.decode()
    assert "Traceback" not in refused.stderr.decode()
    opened = margin("--db", str(path))  # the app: refused before any screen
    assert opened.returncode == 1 and "upgrade margin" in opened.stderr.decode()
    assert path.read_bytes() == before  # nothing was written


def test_read_only_commands_refuse_a_database_that_does_not_exist(tmp_path):
    typo = tmp_path / "typo.db"
    for command in (["documents"], ["codes"], ["export", "--format", "csv"], ["search", "x"],
                    ["info"], ["check"]):
        result = margin("--db", str(typo), *command)
        assert result.returncode == 1, command
        assert result.stderr.decode().strip() == (
            f"Error: no database at {typo} (margin import PATH... creates one)")
        assert not typo.exists()


def _readable_by_anyone(path: Path) -> None:
    for part in (path, *path.parents):
        if part == Path("/"):
            break
        part.chmod(part.stat().st_mode | 0o555)


def test_a_database_in_a_read_only_folder_opens_for_reading(tmp_path):
    folder = Path(tempfile.mkdtemp(prefix="margin-ro-"))
    try:
        path = coded_project(folder / "p.db")
        open_database(path).close()  # a checkpoint: the WAL files are gone
        for file in folder.iterdir():
            file.chmod(0o444)
        folder.chmod(0o555)
        # As root every write is allowed: check as an ordinary user then.
        user = 65534 if os.geteuid() == 0 else None
        if user is not None:
            _readable_by_anyone(Path(sys.executable).resolve())
            _readable_by_anyone(Path(sys.prefix))
        env = {"XDG_CONFIG_HOME": str(folder / "config"), "XDG_DATA_HOME": str(folder / "data")}
        listed = margin("--db", str(path), "documents", user=user, env_extra=env)
        assert listed.returncode == 0, listed.stderr.decode()
        assert "Talks in Geneva" in listed.stdout.decode()
        info = json.loads(margin("--db", str(path), "info", "--json", user=user,
                                 env_extra=env).stdout)
        assert info["read_only"] is True and info["codings"] == 2
        source = folder / "new.txt"
        refused = margin("--db", str(path), "import", "-", user=user, env_extra=env)
        assert refused.returncode == 1
        assert "is read-only" in refused.stderr.decode() and str(source) not in refused.stderr.decode()
    finally:
        folder.chmod(0o755)
        for file in folder.iterdir():
            file.chmod(0o644)


def test_views_for_other_tools(tmp_path):
    path = coded_project(tmp_path / "p.db")
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    passages = [dict(row) for row in conn.execute(
        "SELECT document_title, code_path, quote, coder FROM coded_passages ORDER BY coding_id")]
    assert passages == [
        {"document_title": "Talks in Geneva went on.", "code_path": "Diplomacy > Talks",
         "quote": "Talks", "coder": "ana"},
        {"document_title": "Another text about sanctions.", "code_path": "Diplomacy",
         "quote": "text", "coder": "ben"},
    ]
    paths = [tuple(row) for row in conn.execute("SELECT path, depth FROM code_paths ORDER BY path")]
    assert paths == [("Diplomacy", 0), ("Diplomacy > Talks", 1)]
    columns = [row[1] for row in conn.execute("PRAGMA table_info(document_list)")]
    assert "original" not in columns and "text" not in columns and "title" in columns
    conn.close()


def test_code_paths_of_a_deep_codebook(tmp_path):
    db = open_database(tmp_path / "deep.db")
    with db.atomic():
        for depth in range(1000):
            db.execute("INSERT INTO codes (id, uuid, parent_id, name, colour, created) "
                       "VALUES (?, ?, ?, ?, '#888888', '2026')",
                       [depth + 1, f"u{depth}", depth or None, f"c{depth}"])
    deepest = db.execute("SELECT path, depth FROM code_paths ORDER BY depth DESC LIMIT 1").fetchone()
    assert deepest[1] == 999 and deepest[0].endswith("c998 > c999")
    db.close()


def test_datasette_metadata_names_only_what_a_margin_database_has(tmp_path):
    db = open_database(tmp_path / "m.db")
    names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    db.close()
    printed = json.loads(margin("datasette-metadata").stdout)
    assert printed == datasette_metadata()
    tables = printed["databases"]["*"]["tables"]
    assert set(tables) <= names
    assert tables["history"] == {"hidden": True}
    assert "coded_passages" in tables["coded_passages"]["description"] or tables["coded_passages"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_shell_completion_script_is_printed_at_once(shell, tmp_path):
    started = time.monotonic()
    result = subprocess.run(
        [Path(sys.executable).parent / "margin"], capture_output=True, timeout=10,
        env={**os.environ, "_MARGIN_COMPLETE": f"{shell}_source"}, stdin=subprocess.DEVNULL,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0
    assert "_MARGIN_COMPLETE" in result.stdout.decode()
    assert elapsed < 1.5  # no app, no database: the script only


def test_completion_offers_the_commands(tmp_path):
    result = subprocess.run(
        [Path(sys.executable).parent / "margin"], capture_output=True, timeout=10,
        env={**os.environ, "_MARGIN_COMPLETE": "bash_complete", "COMP_WORDS": "margin ch",
             "COMP_CWORD": "1"},
    )
    assert "plain,check" in result.stdout.decode().splitlines()


def test_info_says_where_things_live(tmp_path):
    path = coded_project(tmp_path / "p.db")
    info = json.loads(margin("--db", str(path), "info", "--json").stdout)
    assert info["database"] == str(path.resolve())
    assert info["config"].endswith("margin/config.toml")
    assert info["schema"] == len(MIGRATION_NAMES) and info["schema_current"] is True
    assert (info["documents"], info["codes"], info["codings"], info["memos"]) == (2, 2, 2, 1)
    db = open_database(path)
    set_coding_memo(db, 1, "a memo on a coding counts as a memo too")
    db.close()
    info = json.loads(margin("--db", str(path), "info", "--json").stdout)
    assert info["memos"] == 2
    text = margin("--db", str(path), "info").stdout.decode()
    assert f"database   {path.resolve()}" in text
    assert f"schema     {len(MIGRATION_NAMES)} (up to date)" in text


def test_info_counts_the_write_ahead_log_in_the_size(tmp_path):
    # While margin runs, recent work may be in margin.db-wal alone: the size
    # left it out, so a copy of "the database" looked complete without it.
    from margin.store.documents import import_text
    from margin.store.sources.textio import DecodedText
    from margin.store.util import human_size

    path = coded_project(tmp_path / "p.db")
    text = margin("--db", str(path), "info").stdout.decode()
    [size] = [line for line in text.splitlines() if line.startswith("size ")]
    assert size == f"size       {human_size(path.stat().st_size)}"  # no log: nothing more
    running = open_database(path)  # as the app holds it: work not yet checkpointed
    running.execute("PRAGMA wal_autocheckpoint = 0")
    import_text(running, DecodedText("A long field note. " * 5000, "utf-8", False),
                source="c.txt", clean=False)
    wal = tmp_path / "p.db-wal"
    try:
        assert wal.stat().st_size > 100_000
        info = json.loads(margin("--db", str(path), "info", "--json").stdout)
        assert info["wal_bytes"] == wal.stat().st_size
        assert info["database_bytes"] == path.stat().st_size
        text = margin("--db", str(path), "info").stdout.decode()
        [size] = [line for line in text.splitlines() if line.startswith("size ")]
        assert size == (f"size       {human_size(path.stat().st_size)} (+ "
                        f"{human_size(wal.stat().st_size)} not yet checkpointed, in p.db-wal)")
    finally:
        running.close()


def test_sizes_read_as_people_read_them():
    from margin.store.util import human_size

    assert [human_size(n) for n in (0, 1, 999, 1000, 12_345, 999_949, 999_950, 2_100_000,
                                    12_300_000_000)] == [
        "0 bytes", "1 byte", "999 bytes", "1.0 kB", "12.3 kB", "999.9 kB", "1.0 MB", "2.1 MB",
        "12.3 GB"]


def test_opening_a_directory_or_garbage_is_still_one_clear_error(tmp_path):
    with pytest.raises(StoreError, match="is a directory"):
        open_database(tmp_path)


# ------------------------------------------------- old and damaged files


def old_project(path: Path) -> Path:
    """A database of schema 4 (migrations 0001-0004), with codings."""
    import sqlite_utils

    from margin.store.schema import migrations

    old = sqlite_utils.Database(path)
    migrations.apply(old, stop_before="0005_one_coding_per_coder")
    old["coders"].insert({"id": 1, "uuid": "c1", "name": "ada", "created": "2024"})
    old["codes"].insert({"id": 1, "uuid": "k1", "name": "Talks", "colour": "#e6194b",
                         "created": "2024"})
    texts = {number: f"Talks in Geneva, round {number}. " * 10 for number in range(1, 201)}
    with old.conn:  # one transaction
        old["documents"].insert_all(
            {"id": number, "uuid": f"d{number}", "title": f"T{number}", "text": text,
             "original": text, "word_count": 50, "hash": f"h{number}", "imported": "2024"}
            for number, text in texts.items())
        old["codings"].insert_all(
            {"id": number, "uuid": f"u{number}", "document_id": number, "code_id": 1,
             "start": 0, "end": 5, "quote": "Talks", "memo": "", "coder_id": 1,
             "created": "2024"} for number in texts)
    old.conn.close()
    return path


def smash_root_page(path: Path, table: str) -> None:
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", [table]).fetchone()[0]
    conn.close()
    data = bytearray(path.read_bytes())
    data[(root - 1) * page_size:(root - 1) * page_size + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))


def check_lines(path: Path, *args: str) -> tuple[int, list[str]]:
    result = margin("--db", str(path), "check", *args)
    err = result.stderr.decode()
    assert "Traceback" not in err and err == "", err
    return result.returncode, result.stdout.decode().splitlines()


def test_an_old_schema_is_checked_as_it_is_and_upgraded_only_by_repair(tmp_path):
    path = old_project(tmp_path / "old.db")
    before = path.read_bytes()
    status, lines = check_lines(path)
    assert status == 0, lines
    assert lines[0] == (f"ok          schema: schema 4 of {len(MIGRATION_NAMES)}, older: "
                        "upgraded when margin next opens it to write")
    assert "ok          quotes: 200 codings match their text" in lines
    assert path.read_bytes() == before  # a check writes nothing, not even migrations
    status, lines = check_lines(path, "--repair")
    assert status == 0, lines
    assert lines[0] == f"repaired    upgraded the schema from 4 to {len(MIGRATION_NAMES)}"


@pytest.mark.parametrize("table", ["codings", "_sqlite_migrations"])
def test_a_damaged_page_of_an_old_schema_is_reported_and_left_alone(tmp_path, table):
    path = old_project(tmp_path / "old.db")
    smash_root_page(path, table)
    before = path.read_bytes()
    for args in ((), ("--repair",), ("--json",)):
        status, lines = check_lines(path, *args)
        assert status == 1, lines
        if args == ("--json",):
            pages = [json.loads(line) for line in lines if '"pages"' in line]
            assert pages[0]["ok"] is False
            continue
        assert any(line.startswith("PROBLEM     pages: the file is damaged") for line in lines)
        assert ("Nothing was changed (see the problems above)." in lines) == bool(args)
        assert not any("--repair" in line for line in lines)  # nothing it could fix
    assert path.read_bytes() == before


def test_a_missing_table_of_an_old_schema_is_reported_not_upgraded_over(tmp_path):
    path = old_project(tmp_path / "old.db")
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE codings")  # its indexes go with it
    conn.commit()
    conn.close()
    before = path.read_bytes()
    for args in ((), ("--repair",)):
        status, lines = check_lines(path, *args)
        assert status == 1
        assert "PROBLEM     tables: 1 table of schema 4 missing: restore the file from a backup" \
            in lines
        assert "              codings" in lines
        assert "PROBLEM     quotes: could not be checked: no such table: codings" in lines
    assert path.read_bytes() == before


def test_a_dropped_trigger_is_made_again_by_repair(tmp_path):
    path = coded_project(tmp_path / "p.db")
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER codings_ai")  # codings_fts would fall behind in silence
    conn.commit()
    conn.close()
    status, lines = check_lines(path)
    assert status == 1
    assert "PROBLEM     indexes and triggers: 1 index, trigger or view missing" in lines
    assert "              trigger codings_ai" in lines
    status, lines = check_lines(path, "--repair")
    assert status == 0, lines
    assert lines[0] == "repaired    made trigger codings_ai again"
