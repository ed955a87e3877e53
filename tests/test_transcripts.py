"""WebVTT and SubRip transcripts: parsing, readable text, import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from margin.store.documents import get_document
from margin.store.importing import import_paths
from margin.store.sources.textio import ImportRefused
from margin.store.sources.transcripts import format_time, parse_srt, parse_vtt, transcript_to_text

VTT = """WEBVTT - Interview with Anna
Kind: captions
Language: en

NOTE recorded on site,
second line of the note

STYLE
::cue { color: yellow }

REGION
id:fred width:40%

intro
00:01.000 --> 00:04.000 align:start position:10%
<v Interviewer>How did it <i>start</i>?</v>

00:05.000 --> 00:07.500
<v.loud Anna>With a letter &amp; a phone call.

00:07.500 --> 00:09.000
<v Anna>It said <c.yellow>&lt;urgent&gt;</c> on<00:00:08.000> <b>top</b>.</v>

00:01:02.000 --> 00:01:04.000
Interviewer: And then?

01:02:03.250 --> 01:02:05.000
Anna: Then&nbsp;we met.
Interviewer: Where?
"""

SRT = """1
00:00:01,000 --> 00:00:03,000
SPEAKER 1: Hello there,
how are you?

2
00:00:03,500 --> 00:00:05,000
and welcome.

3
00:00:06,000 --> 00:00:08,000 X1:10 X2:100 Y1:10 Y2:50
Dr. Jane Smith: <i>Fine</i>, {\\an8}thanks.
"""

BROKEN_VTT = """WEBVTT

00:01.000 -> 00:04.000
Hello

00:aa.000 --> 00:04.000
Still broken
"""


def test_vtt_voice_tags_prefixes_merging_and_markup():
    transcript = parse_vtt(VTT)
    assert transcript.title == "Interview with Anna"
    assert transcript.speakers == ("Interviewer", "Anna")
    assert transcript_to_text(transcript) == (
        "[00:00:01] Interviewer: How did it start?\n\n"
        "[00:00:05] Anna: With a letter & a phone call. It said <urgent> on top.\n\n"
        "[00:01:02] Interviewer: And then?\n\n"
        "[01:02:03] Anna: Then we met.\n\n"
        "[01:02:03] Interviewer: Where?"
    )


def test_vtt_notes_styles_regions_and_identifiers_are_not_text():
    text = transcript_to_text(parse_vtt(VTT))
    for left_out in ("recorded", "second line", "cue", "fred", "intro", "align", "Kind"):
        assert left_out not in text


def test_vtt_crlf_bom_and_no_speakers():
    source = "\ufeffWEBVTT\r\n\r\n00:00.500 --> 00:02.000\r\nFirst line\r\nwraps here\r\n\r\n" \
        "2\r\n00:03.000 --> 00:04.000\r\nSecond cue\r\n"
    transcript = parse_vtt(source)
    assert transcript.title is None
    # Without speakers each cue is its own paragraph.
    assert transcript_to_text(transcript) == (
        "[00:00:00] First line wraps here\n\n[00:00:03] Second cue"
    )


def test_vtt_unnamed_cue_continues_the_current_speaker_and_dash_starts_a_turn():
    source = """WEBVTT

00:01.000 --> 00:02.000
<v Anna>We moved in spring.

00:02.000 --> 00:03.000
It was cold.

00:03.000 --> 00:04.000
- Really?
"""
    assert transcript_to_text(parse_vtt(source)) == (
        "[00:00:01] Anna: We moved in spring. It was cold.\n\n[00:00:03] Really?"
    )


def test_vtt_several_voices_in_one_cue():
    source = "WEBVTT\n\n00:10.000 --> 00:12.000\n<v Bob>Hi!</v> <v Ann>Hello.</v>\n"
    assert transcript_to_text(parse_vtt(source)) == (
        "[00:00:10] Bob: Hi!\n\n[00:00:10] Ann: Hello."
    )


def test_lowercase_clause_with_colon_is_not_a_speaker():
    source = "WEBVTT\n\n00:01.000 --> 00:02.000\nwhat she said: no way\n"
    assert transcript_to_text(parse_vtt(source)) == "[00:00:01] what she said: no way"


def test_srt_indexes_multiline_cues_and_settings():
    transcript = parse_srt(SRT)
    assert transcript.format == "SubRip"
    assert [cue.start for cue in transcript.cues] == [1000, 3500, 6000]
    assert transcript_to_text(transcript) == (
        "[00:00:01] SPEAKER 1: Hello there, how are you? and welcome.\n\n"
        "[00:00:06] Dr. Jane Smith: Fine, thanks."
    )


def test_srt_blank_line_inside_a_cue_continues_it():
    source = "1\n00:00:01,000 --> 00:00:02,000\nFirst part\n\nsecond part\n\n" \
        "2\n00:00:03,000 --> 00:00:04,000\nNext\n"
    assert transcript_to_text(parse_srt(source)) == (
        "[00:00:01] First part second part\n\n[00:00:03] Next"
    )


def test_some_broken_timings_are_skipped_and_counted():
    source = "1\n00:00:01,000 --> 00:00:02,000\nGood\n\n2\n00:00:xx,000 --> 00:00:04,000\nBad\n"
    transcript = parse_srt(source)
    assert transcript.skipped == 1
    assert transcript_to_text(transcript) == "[00:00:01] Good"


@pytest.mark.parametrize(
    ("parse", "source", "message"),
    [
        (parse_vtt, "00:01.000 --> 00:02.000\nHello\n", "not a WebVTT file: the first line"),
        (parse_vtt, "WEBVTTX\n\n00:01.000 --> 00:02.000\nHi\n", "not a WebVTT file"),
        (parse_vtt, BROKEN_VTT, "not a WebVTT file: no valid cue timing"),
        (parse_vtt, "WEBVTT\n\nNOTE only a note\n", "not a WebVTT file: no cues"),
        (parse_vtt, "WEBVTT\n\n00:01.000 --> 00:02.000\n<i></i>\n", "no cues with text"),
        (parse_srt, "Just some prose.\n\nNo cues here.\n", "not a SubRip file: no cues"),
        (parse_srt, "1\n00:00:01 --> 00:00:02\nHi\n", "not a SubRip file: no valid cue timing"),
        (parse_srt, "1\n00:61:01,000 --> 00:00:02,000\nHi\n", "no valid cue timing"),
    ],
)
def test_malformed_files_are_refused_in_one_line(parse, source, message):
    with pytest.raises(ImportRefused) as refusal:
        parse(source)
    assert message in str(refusal.value)
    assert str(refusal.value).startswith("not a ")
    assert "\n" not in str(refusal.value)


def test_format_time():
    assert format_time(0) == "00:00:00"
    assert format_time(3_723_999) == "01:02:03"
    assert format_time(100 * 3_600_000) == "100:00:00"


def test_import_folder_stores_readable_text_and_source(db, tmp_path: Path):
    folder = tmp_path / "interviews"
    folder.mkdir()
    (folder / "anna.vtt").write_text(VTT, encoding="utf-8")
    # CRLF on disk: the stored original is the decoded, normalised source.
    (folder / "bob_2024.srt").write_bytes(SRT.replace("\n", "\r\n").encode("utf-8"))
    (folder / "broken.vtt").write_text(BROKEN_VTT, encoding="utf-8")
    (folder / "video.mp4").write_bytes(b"\x00\x01")  # not picked up from a folder

    results = {Path(r.source).name: r for r in import_paths(db, [str(folder)], clean=True)}
    assert set(results) == {"anna.vtt", "bob_2024.srt", "broken.vtt"}
    assert results["broken.vtt"].status == "refused"
    assert results["broken.vtt"].message.startswith("not a WebVTT file: no valid cue timing")

    anna = results["anna.vtt"]
    assert anna.status == "imported"
    assert anna.title == "Interview with Anna"  # from the WEBVTT header line
    document = get_document(db, anna.document_id)
    assert document.text == transcript_to_text(parse_vtt(VTT))
    assert document.cleaned is False
    original = db.execute(
        "SELECT original FROM documents WHERE id = ?", [anna.document_id]
    ).fetchone()[0]
    assert original == VTT.rstrip()

    bob = results["bob_2024.srt"]
    assert bob.status == "imported"
    assert bob.title == "bob_2024"  # no header: the file name without suffix
    document = get_document(db, bob.document_id)
    assert document.text.startswith("[00:00:01] SPEAKER 1: Hello there, how are you?")
    original = db.execute(
        "SELECT original FROM documents WHERE id = ?", [bob.document_id]
    ).fetchone()[0]
    assert original == SRT.rstrip()

    # The same source again is a duplicate, as for any document.
    again = list(import_paths(db, [str(folder / "anna.vtt")], clean=False))
    assert [r.status for r in again] == ["duplicate"]


def test_named_file_with_some_broken_cues_reports_them(db, tmp_path: Path):
    path = tmp_path / "partly.srt"
    path.write_text(
        "1\n00:00:01,000 --> 00:00:02,000\nGood\n\n2\nbad --> worse\nBad\n", encoding="utf-8"
    )
    [result] = import_paths(db, [str(path)], clean=False)
    assert result.status == "imported"
    assert result.message.endswith("1 cues with broken timing skipped")
    assert get_document(db, result.document_id).text == "[00:00:01] Good"


def test_transcript_text_is_immutable_after_import(db, tmp_path: Path):
    import sqlite3

    path = tmp_path / "talk.vtt"
    path.write_text(VTT, encoding="utf-8")
    [result] = import_paths(db, [str(path)], clean=False)
    for column in ("text", "original"):
        with pytest.raises(sqlite3.DatabaseError, match="immutable"):
            db.execute(
                f"UPDATE documents SET {column} = 'x' WHERE id = ?", [result.document_id]
            )


def test_transcripts_module_does_not_import_textual():
    code = "import sys, margin.store.sources.transcripts; assert 'textual' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
