"""Decoding imported files: encodings, line endings, and clear refusals."""

from __future__ import annotations

import codecs
import errno
import gzip
import os
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from margin.store.sources import textio
from margin.store.sources.textio import (
    DecodedText,
    ImportRefused,
    count_words,
    decode_bytes,
    normalise_text,
    read_text_file,
)

SAMPLE = "Grüße aus Kyiv – “Slava Ukraini”, said Zelenskyy’s aide.\nSecond line: naïve café."

FRENCH = (
    "Le café était plein. Nous avons mangé une crème brûlée près de la façade, "
    "un naïf résumé de l’été — élan, déjà vu, où êtes-vous ? "
    "Noël à la maison, c’est très agréable.\n"
)
GERMAN = "Die Straße war grün und schön. Müller aß Äpfel, Öl und Käse; überall Grüße aus Köln.\n"


def _refusal(data: bytes) -> str:
    with pytest.raises(ImportRefused) as caught:
        decode_bytes(data)
    return str(caught.value)


def _random_bytes(size: int, seed: int, *, without_nul: bool = False) -> bytes:
    generator = random.Random(seed)
    low = 1 if without_nul else 0
    return bytes(generator.randint(low, 255) for _ in range(size))


# --- encodings that are known, not guessed ----------------------------------


def test_utf8_without_bom_is_known_not_detected() -> None:
    assert decode_bytes(SAMPLE.encode("utf-8")) == DecodedText(SAMPLE, "utf-8", detected=False)


def test_utf8_with_bom_drops_the_bom() -> None:
    decoded = decode_bytes(codecs.BOM_UTF8 + SAMPLE.encode("utf-8"))
    assert decoded == DecodedText(SAMPLE, "utf-8-sig", detected=False)


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")],
)
def test_utf16_with_bom_either_byte_order(bom: bytes, codec: str) -> None:
    decoded = decode_bytes(bom + SAMPLE.encode(codec))
    assert decoded == DecodedText(SAMPLE, "utf-16", detected=False)


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be")],
)
def test_utf32_with_bom(bom: bytes, codec: str) -> None:
    # The UTF-32-LE BOM starts with the UTF-16-LE one; it must not be read as UTF-16.
    decoded = decode_bytes(bom + SAMPLE.encode(codec))
    assert decoded == DecodedText(SAMPLE, "utf-32", detected=False)


# --- legacy encodings, guessed ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "codec"),
    [(FRENCH, "cp1252"), (GERMAN, "latin-1"), ("Un café crème, s’il vous plaît.", "cp1252")],
)
def test_legacy_western_file_is_detected_and_accents_survive(
    tmp_path, text: str, codec: str
) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes(text.encode(codec))
    decoded = read_text_file(path)
    assert decoded.detected is True
    assert decoded.text == normalise_text(text)
    assert "crème" in decoded.text or "Grüße" in decoded.text or "café" in decoded.text


def test_non_western_legacy_encoding_is_not_forced_to_cp1252() -> None:
    # (Shorter Turkish samples are misdetected by charset-normalizer itself.)
    turkish = (
        "Pijamalı hasta yağız şoföre çabucak güvendi. "
        "İstanbul’da hava çok güzel, öğrenciler okula gidiyor.\n"
    )
    decoded = decode_bytes(turkish.encode("cp1254"))
    assert decoded.text == turkish
    assert decoded.detected is True


def test_utf8_bom_before_legacy_bytes_is_detected_without_the_bom() -> None:
    decoded = decode_bytes(codecs.BOM_UTF8 + FRENCH.encode("cp1252"))
    assert decoded.text == FRENCH
    assert decoded.detected is True


# --- normalisation ------------------------------------------------------------


def test_crlf_and_lone_cr_become_lf(tmp_path) -> None:
    path = tmp_path / "windows.txt"
    path.write_bytes(b"first\r\nsecond\rthird\n\r\nfifth")
    assert read_text_file(path).text == "first\nsecond\nthird\n\nfifth"


def test_utf16_file_with_crlf_is_normalised(tmp_path) -> None:
    path = tmp_path / "utf16.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + "one\r\ntwo\r\n".encode("utf-16-le"))
    decoded = read_text_file(path)
    assert decoded.text == "one\ntwo"
    assert decoded.encoding == "utf-16"


def test_normalise_drops_only_a_leading_bom_and_trailing_whitespace() -> None:
    text = "\ufeffTitle  \n\n  indented line\t\nlast line \n\n\n  "
    assert normalise_text(text) == "Title  \n\n  indented line\t\nlast line"


@given(st.text(alphabet="aé \t\n\r\ufeff"))
def test_normalised_text_has_only_lf_line_endings_and_is_stable(text: str) -> None:
    once = normalise_text(text)
    assert "\r" not in once
    assert once.count("\n") <= text.count("\n") + text.count("\r")
    if not once.startswith("\ufeff"):
        # Importing an already normalised text changes nothing.
        assert normalise_text(once) == once


# --- refusals -----------------------------------------------------------------


def test_png_is_refused_as_binary() -> None:
    data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + _random_bytes(4000, seed=1)
    assert _refusal(data) == "binary file (PNG image)"


def test_gzip_blob_is_refused_as_binary() -> None:
    data = gzip.compress(("Some text that was compressed. " * 200).encode())
    assert _refusal(data).startswith("binary file")


def test_elf_executable_is_refused_as_binary() -> None:
    data = b"\x7fELF\x02\x01\x01\x00" + _random_bytes(3000, seed=2)
    assert _refusal(data).startswith("binary file")


@pytest.mark.parametrize("seed", range(5))
def test_random_bytes_without_nul_are_refused_not_detected(seed: int) -> None:
    # charset-normalizer would otherwise name some code page for this noise.
    assert _refusal(_random_bytes(4096, seed, without_nul=True)).startswith("binary file")


def test_nul_bytes_without_a_bom_are_refused() -> None:
    # BOM-less UTF-16 cannot be told from binary data; it is refused too.
    assert _refusal("plain text".encode("utf-16-le")) == "binary file (contains NUL bytes)"


def test_valid_utf8_full_of_control_characters_is_refused() -> None:
    data = ("ok " + "\x01\x02\x03\x04" * 50).encode("utf-8")
    assert _refusal(data) == "binary file (too many control characters)"


def test_text_with_tabs_form_feeds_and_one_escape_is_accepted() -> None:
    text = "col1\tcol2\fpage two\n" * 40 + "\x1b[0m"
    assert decode_bytes(text.encode()).text == text


def test_undecodable_bytes_are_refused() -> None:
    generator = random.Random(3)
    data = bytes(generator.randint(0x80, 0xFF) for _ in range(600))
    assert _refusal(data).startswith("cannot decode text (not UTF-8, UTF-16")


@pytest.mark.parametrize("data", [b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE])
def test_empty_file_is_refused(data: bytes) -> None:
    assert _refusal(data) == "empty file"


@pytest.mark.parametrize(
    "data",
    [b" \n\t\r\n  ", codecs.BOM_UTF8 + b"\n\n", codecs.BOM_UTF16_BE + " \n ".encode("utf-16-be")],
)
def test_whitespace_only_file_is_refused(data: bytes) -> None:
    assert _refusal(data) == "file is empty after removing whitespace"


def _read_refusal(path) -> str:
    with pytest.raises(ImportRefused) as caught:
        read_text_file(path)
    return str(caught.value)


def test_missing_path_is_refused(tmp_path) -> None:
    assert _read_refusal(tmp_path / "nope.txt") == "file not found"


def test_directory_is_refused(tmp_path) -> None:
    assert _read_refusal(tmp_path) == "is a directory, not a file"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need a POSIX system")
def test_named_pipe_is_refused_instead_of_blocking(tmp_path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert _read_refusal(fifo) == "not a regular file"


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read any file"
)
def test_unreadable_file_is_refused(tmp_path) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("hidden")
    path.chmod(0)
    try:
        assert _read_refusal(path) == "permission denied"
    finally:
        path.chmod(0o600)


def test_permission_error_while_opening_is_refused(tmp_path, monkeypatch) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("hidden")

    def deny(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(textio, "open", deny, raising=False)
    assert _read_refusal(path) == "permission denied"


def test_other_os_errors_give_their_reason(tmp_path, monkeypatch) -> None:
    path = tmp_path / "flaky.txt"
    path.write_text("text")

    def fail(*args, **kwargs):
        raise OSError(errno.EIO, "Input/output error", str(path))

    monkeypatch.setattr(textio, "open", fail, raising=False)
    assert _read_refusal(path) == "input/output error"


def test_refusal_messages_are_single_lines(tmp_path) -> None:
    messages = [
        _refusal(b"\x00\x01binary"),
        _refusal(b""),
        _read_refusal(tmp_path / "missing.txt"),
        _read_refusal(tmp_path),
    ]
    for message in messages:
        assert message
        assert "\n" not in message
        assert "Traceback" not in message and "Errno" not in message


# --- words --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", 0),
        ("  \n\t", 0),
        ("Kyiv and Moscow both hinted", 5),
        ("Don’t stop: Ukraine's army — 2 500 troops!", 7),
        ("naïve café", 2),
        ("nai\u0308ve cafe\u0301 au lait", 4),  # decomposed accents do not split words
        ("हिन्दी में लिखा है", 4),  # Devanagari vowel signs are combining marks
    ],
)
def test_count_words(text: str, words: int) -> None:
    assert count_words(text) == words
