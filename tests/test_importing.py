"""The one import flow (store/importing.py): every kind of source, the report
both the command line and the dialog show, cancellation, and recognition in
worker processes giving exactly what one process gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import make_demo_project

from margin.store.codes import codebook, create_code
from margin.store.db import open_database
from margin.store.documents import get_document, list_documents
from margin.store.entities.parallel import RecognitionRunner, _loaded_modules
from margin.store.entities.rules import RuleRecogniser
from margin.store.entities.storage import (
    documents_needing_entities,
    entities_for_document,
    recognise_documents,
)
from margin.store.importing import (
    EntitiesProgress,
    ImportFinished,
    ImportOptions,
    ImportStarted,
    SourceDone,
    import_sources,
    run_import,
)
from margin.store.refi.exporter import export_qdpx

NEWS = ("Talks in Geneva\n\nForeign Minister Sergei Lavrov met Antony Blinken in Geneva on "
        "Tuesday. NATO said the talks would resume in March 2025, and the European Union "
        "pledged $725 million, about 40% more than last year.\n")


def make_folder(tmp_path: Path) -> Path:
    """A folder with two good files (one nested), a binary one, a cp1252 one
    and a hidden one that is skipped."""
    folder = tmp_path / "corpus"
    (folder / "nested").mkdir(parents=True)
    (folder / ".hidden").mkdir()
    (folder / "a-news.txt").write_text(NEWS, encoding="utf-8")
    (folder / "nested" / "b-interview.md").write_text(
        "# Interview with Ada\n\nAda Lovelace talked about London.\n", encoding="utf-8")
    (folder / "c-picture.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (folder / "d-notes.txt").write_bytes(
        ("Le caf\xe9 \xe9tait pr\xe8s de la gare. Nous avons parl\xe9 de la cr\xe8me "
         "br\xfbl\xe9e et du th\xe9\xe2tre fran\xe7ais, \xe0 c\xf4t\xe9 de l'h\xf4tel.\n"
         ).encode("cp1252") * 3)
    (folder / ".hidden" / "secret.txt").write_text("not imported", encoding="utf-8")
    return folder


def conflicting_project(tmp_path: Path, db) -> Path:
    """A REFI-QDA project (the demo project's) whose code "Actors" has the
    GUID of a code ``db`` calls "Players": a conflict, ours kept."""
    demo = open_database(make_demo_project(tmp_path / "demo.db"))
    project = export_qdpx(demo, tmp_path / "demo.qdpx")
    actors = next(code.uuid for code in codebook(demo) if code.name == "Actors")
    demo.close()
    players = create_code(db, "Players")
    db.execute("UPDATE codes SET uuid = ? WHERE id = ?", [actors, players])
    return project


def entity_table(db) -> list[tuple]:
    """Every stored entity, keyed by its document's text (ids may differ)."""
    return sorted(db.execute(
        'SELECT d.hash, e.start, e."end", e.label, e.text FROM entities e '
        "JOIN documents d ON d.id = e.document_id").fetchall())


# ------------------------------------------------------------------ files


def test_a_folder_with_a_binary_and_a_non_utf8_file(db, tmp_path):
    folder = make_folder(tmp_path)
    events = list(import_sources(db, [str(folder)], ImportOptions(backend="rules")))
    assert isinstance(events[0], ImportStarted) and events[0].total == 4
    assert [type(e) for e in events[1:]] == [SourceDone] * 4 + [ImportFinished]
    report = events[-1].report
    by_name = {Path(r.source).name: r for r in report.results}
    assert by_name["c-picture.txt"].status == "refused"
    assert "binary file (PNG image)" in by_name["c-picture.txt"].message
    assert by_name["d-notes.txt"].status == "imported"
    assert "encoding detected as cp1252" in by_name["d-notes.txt"].message
    assert "crème brûlée" in get_document(db, by_name["d-notes.txt"].document_id).text
    assert "secret.txt" not in by_name
    assert report.failed and report.summary() == "3 imported, 0 skipped as duplicates, 1 refused"
    # Every imported document came with its entities, in the same transaction.
    assert documents_needing_entities(db) == []
    news = by_name["a-news.txt"]
    found = {(e.text, e.label) for e in entities_for_document(db, news.document_id)}
    assert {("Geneva", "GPE"), ("NATO", "ORG"), ("$725 million", "MONEY")} <= found
    assert news.entities == len(entities_for_document(db, news.document_id))
    assert sorted(report.recognised) == sorted(r.document_id for r in report.results
                                               if r.status == "imported")
    # The lines: what each event added, in order, are the report's lines.
    assert [line.text for e in events for line in e.lines] == report.lines()
    lines = report.lines()
    assert lines[0] == "Recognising entities (rules)…"
    assert f"imported  {Path(news.source)} as #{news.document_id}: “Talks in Geneva”, " \
           "36 words" in lines
    assert any(line.startswith("refused   ") and "c-picture.txt: binary file" in line
               for line in lines)
    assert lines[-2:] == [report.summary(), f"{report.entities:,} entities in 3 documents (rules)"]

    again = run_import(db, [str(folder / "nested")], ImportOptions(backend="rules"))
    [duplicate] = again.results
    assert duplicate.status == "duplicate" and not again.failed
    assert again.lines()[1].startswith("skipped   ") and "already imported as #" in \
        again.lines()[1]
    # Nothing recognised: no entity line.
    assert again.lines()[-1] == "0 imported, 1 skipped as duplicates, 0 refused"


def test_missing_files_and_empty_folders_are_refused_and_the_rest_imported(db, tmp_path):
    (tmp_path / "empty").mkdir()
    good = tmp_path / "good.txt"
    good.write_text(NEWS, encoding="utf-8")
    report = run_import(db, [str(tmp_path / "nope.txt"), str(tmp_path / "empty"), str(good)],
                        ImportOptions(entities=False))
    assert [r.status for r in report.results] == ["refused", "refused", "imported"]
    assert report.results[0].message == "file not found"
    assert report.results[1].message == "no text or Markdown files in this directory"
    assert report.backend is None and not any("entities" in line for line in report.lines())


def test_the_same_text_twice_in_one_import_is_stored_once(db, tmp_path):
    for name in ("one.txt", "two.txt"):
        (tmp_path / name).write_text(NEWS, encoding="utf-8")
    report = run_import(db, [str(tmp_path / "one.txt"), str(tmp_path / "two.txt")],
                        ImportOptions(backend="rules"))
    assert [r.status for r in report.results] == ["imported", "duplicate"]
    assert len(list_documents(db)) == 1 and report.recognised == [1]


# ------------------------------------------------------ stdin and samples


def test_standard_input_is_what_the_caller_gives(db):
    data = "Field notes\r\n\r\nDay one in Berlin.\r\n".encode("utf-16")
    report = run_import(db, ["-"], ImportOptions(backend="rules"), stdin=lambda: data)
    [result] = report.results
    assert result.status == "imported" and result.source == "<stdin>"
    document = get_document(db, result.document_id)
    assert document.text.startswith("Field notes\n\nDay one in Berlin.")
    assert "\r" not in document.text
    assert ("Berlin", "GPE") in {(e.text, e.label) for e in entities_for_document(db, 1)}
    # Bytes will do too; without any, "-" is refused, not waited for.
    assert run_import(db, ["-"], stdin=b"Other notes").results[0].status == "imported"
    [refused] = run_import(db, ["-"]).results
    assert refused.status == "refused" and refused.message == "no standard input here"


def test_the_sample_articles_come_first_cleaned(db, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(NEWS, encoding="utf-8")
    report = run_import(db, [str(good)], ImportOptions(sample=True, backend="rules"))
    assert [r.kind for r in report.results] == ["sample"] * 5 + ["file"]
    assert all(r.status == "imported" for r in report.results)
    assert report.results[0].source.startswith("sample:")
    assert all(d.word_count > 0 for d in list_documents(db))
    assert "boilerplate lines removed" in report.results[0].message
    assert len(report.recognised) == 6
    again = run_import(db, [], ImportOptions(sample=True, entities=False))
    assert [r.status for r in again.results] == ["duplicate"] * 5


# ------------------------------------------------------------------ REFI


def test_a_refi_project_with_a_conflict_and_its_entities(db, tmp_path):
    project = conflicting_project(tmp_path, db)
    events = list(import_sources(db, [str(project)], ImportOptions(backend="rules")))
    report = events[-1].report
    [result] = report.results
    assert result.kind == "project" and result.status == "imported"
    assert len(result.document_ids) == 5 and len(result.conflicts) == 1
    lines = report.lines()
    assert lines[1] == f"imported  {project}: {result.message}"
    assert lines[1].endswith("1 conflicts (ours kept)")
    assert lines[2].startswith("  conflict: code ") and "ours is named 'Players'" in lines[2]
    # The documents the project added got their entities after it.
    progress = [e for e in events if isinstance(e, EntitiesProgress)]
    assert progress[-1].done == progress[-1].total == 5
    assert documents_needing_entities(db) == []
    assert sorted(report.recognised) == sorted(result.document_ids)
    assert lines[-1] == f"{report.entities:,} entities in 5 documents (rules)"
    assert report.as_json()["results"][0]["conflicts"] == result.conflicts


def test_a_broken_project_is_refused(db, tmp_path):
    broken = tmp_path / "broken.qdpx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    report = run_import(db, [str(broken)])
    [result] = report.results
    assert result.status == "refused" and report.failed
    assert report.lines()[1].startswith(f"refused   {broken}: ")


# ------------------------------------------------------------ cancelling


def test_cancelling_between_files_keeps_what_was_imported(db, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for number in range(6):
        (folder / f"{number}.txt").write_text(f"Note {number}\n\n{NEWS}", encoding="utf-8")


    def cancelled() -> bool:  # as if the dialog were closed once two were stored
        return db.execute("SELECT COUNT(*) FROM documents").fetchone()[0] >= 2

    events = list(import_sources(db, [str(folder)], ImportOptions(backend="rules"),
                                 cancelled=cancelled))
    assert [e.result.source for e in events if isinstance(e, SourceDone)] == [
        str(folder / "0.txt"), str(folder / "1.txt")]
    report = events[-1].report
    assert isinstance(events[-1], ImportFinished) and report.cancelled
    assert len(report.results) == 2 and len(list_documents(db)) == 2
    assert documents_needing_entities(db) == []  # what was imported has its entities
    assert report.lines()[-3:] == [
        "2 imported, 0 skipped as duplicates, 0 refused",
        "cancelled: 4 of 6 sources not imported",
        f"{report.entities:,} entities in 2 documents (rules)",
    ]


def test_cancelling_with_worker_processes_stops_them(db, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for number in range(40):
        (folder / f"{number:02}.txt").write_text(f"Note {number}\n\n{NEWS * 40}", encoding="utf-8")

    def cancelled() -> bool:
        return db.execute("SELECT COUNT(*) FROM documents").fetchone()[0] >= 3

    report = run_import(db, [str(folder)], ImportOptions(backend="rules", workers=2),
                        cancelled=cancelled)
    assert report.cancelled and report.workers == 2
    assert len(report.results) == len(list_documents(db)) == 3
    assert documents_needing_entities(db) == []


# ------------------------------------------------------ worker processes


def test_worker_processes_give_exactly_the_entities_one_process_gives(tmp_path):
    folder = make_folder(tmp_path)
    seeds = sorted((Path(__file__).parent.parent / "seeds").glob("*.txt"))
    for seed in seeds:
        (folder / seed.name).write_bytes(seed.read_bytes())
    serial = open_database(tmp_path / "serial.db")
    parallel = open_database(tmp_path / "parallel.db")
    one = run_import(serial, [str(folder)], ImportOptions(backend="rules", workers=0))
    two = run_import(parallel, [str(folder)], ImportOptions(backend="rules", workers=2))
    assert one.workers == 0 and two.workers == 2
    assert one.lines() == two.lines()
    assert entity_table(serial) == entity_table(parallel) != []
    # Stored documents recognised again in workers: the same once more.
    ids = [d.id for d in list_documents(parallel)]
    summary = recognise_documents(parallel, ids, RuleRecogniser(), workers=2)
    assert summary.documents == len(ids) and entity_table(parallel) == entity_table(serial)
    serial.close()
    parallel.close()


def test_spacy_workers_give_exactly_the_entities_one_process_gives(tmp_path):
    from margin.store.entities.spacy_backend import unavailable_reason

    if unavailable_reason() is not None:
        pytest.skip(unavailable_reason())
    folder = tmp_path / "seeds"
    folder.mkdir()
    for seed in sorted((Path(__file__).parent.parent / "seeds").glob("*.txt")):
        (folder / seed.name).write_bytes(seed.read_bytes())
    serial = open_database(tmp_path / "serial.db")
    parallel = open_database(tmp_path / "parallel.db")
    one = run_import(serial, [str(folder)], ImportOptions(backend="spacy", workers=0))
    two = run_import(parallel, [str(folder)], ImportOptions(backend="spacy", workers=2))
    assert (one.backend, two.backend, two.workers) == ("spacy", "spacy", 2)
    assert one.lines() == two.lines()
    assert entity_table(serial) == entity_table(parallel) != []
    serial.close()
    parallel.close()


def test_big_imports_choose_worker_processes_small_ones_do_not(db, tmp_path, monkeypatch):
    from margin.store.entities import parallel

    monkeypatch.setattr(parallel, "available_cpus", lambda: 2)
    assert parallel.recognition_workers(10_000, "rules") == 0
    assert parallel.recognition_workers(parallel.PARALLEL_MIN_WORDS["rules"], "rules") == 2
    assert parallel.recognition_workers(parallel.PARALLEL_MIN_WORDS["spacy"], "spacy") == 2
    monkeypatch.setattr(parallel, "available_cpus", lambda: 1)
    assert parallel.recognition_workers(10**9, "rules") == 0
    (tmp_path / "a.txt").write_text(NEWS, encoding="utf-8")
    assert run_import(db, [str(tmp_path / "a.txt")]).workers == 0


def test_workers_never_import_textual_even_when_the_app_has():
    code = (
        "import textual, textual.app\n"
        "from margin.store.entities.parallel import RecognitionRunner, _loaded_modules\n"
        "from margin.store.entities.rules import RuleRecogniser\n"
        "runner = RecognitionRunner(RuleRecogniser(), workers=2)\n"
        "with runner:\n"
        "    [(key, found)] = list(runner.map([('k', ['Angela Merkel visited Paris.'])]))\n"
        "    modules = runner._start().submit(_loaded_modules).result()\n"
        "print(sorted({s.label for s in found[0]}))\n"
        "print(any(m == 'textual' or m.startswith('textual.') for m in modules))\n"
        "print(runner.__class__.__module__ in modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == ["['GPE', 'PERSON']", "False", "True"]
    assert result.stderr == ""


def test_a_broken_pool_falls_back_to_this_process(monkeypatch):
    from concurrent.futures.process import BrokenProcessPool

    class Broken:
        def submit(self, *args):
            raise BrokenProcessPool("a worker died")

        def shutdown(self, **keywords):
            pass

    runner = RecognitionRunner(RuleRecogniser(), workers=2)
    monkeypatch.setattr(runner, "_start", lambda: Broken())
    [(_, [spans])] = list(runner.map([("k", ["Angela Merkel visited Paris."])]))
    assert {(s.text, s.label) for s in spans} == {("Angela Merkel", "PERSON"), ("Paris", "GPE")}


def test_loaded_modules_lists_this_process_modules():
    assert "margin.store.entities.parallel" in _loaded_modules()


# --------------------------------------------------------------- JSON


def test_the_json_report_has_one_shape(db, tmp_path):
    project = conflicting_project(tmp_path, db)
    folder = make_folder(tmp_path)
    report = run_import(db, [str(folder), str(project)], ImportOptions(backend="rules"))
    record = json.loads(json.dumps(report.as_json()))
    assert set(record) == {"results", "imported", "duplicates", "refused", "total",
                           "cancelled", "entities", "seconds", "lines"}
    keys = {"source", "kind", "status", "message", "document_id", "title", "entities",
            "document_ids", "unplaced", "conflicts"}
    assert all(set(result) == keys for result in record["results"])
    assert [r["kind"] for r in record["results"]] == ["file"] * 4 + ["project"]
    assert (record["imported"], record["duplicates"], record["refused"]) == (4, 0, 1)
    assert record["entities"]["backend"] == "rules" and record["entities"]["documents"] == 8
    assert record["lines"] == report.lines()


def test_importing_does_not_import_textual():
    code = ("import sys, margin.store.importing, margin.store.entities.parallel; "
            "sys.exit(1 if any(m == 'textual' or m.startswith(('textual.', 'rich', 'click', "
            "'margin.tui')) for m in sys.modules) else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.parametrize("as_json", [False, True])
def test_the_command_line_prints_the_report(tmp_path, as_json):
    folder = make_folder(tmp_path)
    command = [sys.executable, "-m", "margin.tui.cli", "--db", str(tmp_path / "p.db"),
               "import", str(folder), "--backend", "rules"] + (["--json"] if as_json else [])
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1  # the PNG was refused
    if as_json:
        record = json.loads(result.stdout)
        assert (record["imported"], record["refused"]) == (3, 1) and result.stderr == ""
        printed = record["lines"]
    else:
        # Results on stdout, everything else on stderr.
        assert [line[:10] for line in result.stdout.splitlines()] == ["imported  "] * 3
        printed = result.stderr.splitlines()
        assert printed[0] == "Recognising entities (rules)…"
        assert printed[1].startswith("refused   ") and "c-picture.txt" in printed[1]
        printed = printed[:1] + result.stdout.splitlines() + printed[1:]
    assert len(printed) == 7 and printed[-2] == "3 imported, 0 skipped as duplicates, 1 refused"
    assert printed[-1].endswith(" entities in 3 documents (rules)")


def test_a_document_the_store_refuses_is_refused_alone(db, tmp_path, monkeypatch):
    """One document whose entities cannot be stored (a backend's bad span)
    is refused with the reason; the files before and after it in the same
    batch are imported, and the import is not reported as cancelled."""
    from margin.store.entities import storage
    from margin.store.errors import StoreError

    folder = tmp_path / "four"
    folder.mkdir()
    for number in range(4):
        (folder / f"{number}.txt").write_text(f"Note {number}\n\n{NEWS}", encoding="utf-8")
    store_entities = storage.store_entities

    def failing_on_note_2(db, document_id, spans, backend, version, text=None):
        if text is not None and text.startswith("Note 2"):
            raise StoreError("entity 'Geneva' at 3-9 does not match the text")
        return store_entities(db, document_id, spans, backend, version, text=text)

    monkeypatch.setattr(storage, "store_entities", failing_on_note_2)
    report = run_import(db, [str(folder)], ImportOptions(backend="rules"))
    statuses = {Path(r.source).name: r.status for r in report.results}
    assert statuses == {"0.txt": "imported", "1.txt": "imported", "2.txt": "refused",
                        "3.txt": "imported"}
    refused = next(r for r in report.results if r.status == "refused")
    assert "does not match the text" in refused.message
    assert not report.cancelled
    assert sorted(d.title for d in list_documents(db)) == ["Note 0", "Note 1", "Note 3"]
    assert documents_needing_entities(db) == []


def test_without_entities_the_import_writes_as_it_reads():
    """The read-ahead counts every batch: with nothing to recognise, a batch
    is written before the next ones are read (not all read first)."""
    read: list[int] = []

    def batches():
        for number in range(10):
            read.append(number)
            yield number, []

    with RecognitionRunner(None) as runner:
        for key, found in runner.map(batches()):
            assert found == []
            assert len(read) <= key + 2, f"read {len(read)} batches to yield batch {key}"


def test_an_unreadable_subfolder_is_refused_not_skipped_in_silence():
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="margin-unreadable-"))
    try:
        folder.chmod(0o777)  # the ordinary user below writes its database here
        corpus = folder / "corpus"
        (corpus / "locked").mkdir(parents=True)
        (corpus / "a.txt").write_text("A text that can be read.", encoding="utf-8")
        (corpus / "locked" / "b.txt").write_text("A text nobody may list.", encoding="utf-8")
        for part in (corpus, corpus / "a.txt"):
            part.chmod(0o755)
        (corpus / "locked").chmod(0o000)
        # As root every folder can be listed: import as an ordinary user then.
        user = 65534 if os.geteuid() == 0 else None
        result = subprocess.run(
            [sys.executable, "-m", "margin.tui.cli", "--db", str(folder / "p.db"), "import",
             str(corpus)],
            capture_output=True, timeout=60, user=user,
            env={**os.environ, "XDG_CONFIG_HOME": str(folder / "config"),
                 "MARGIN_ENTITY_BACKEND": "rules"})
        out = result.stdout.decode() + result.stderr.decode()
        assert result.returncode == 1, out
        assert f"refused   {corpus / 'locked'}: cannot read this folder (Permission denied)" in out
        assert "1 imported, 0 skipped as duplicates, 1 refused" in out
    finally:
        (folder / "corpus" / "locked").chmod(0o755)
        shutil.rmtree(folder)
