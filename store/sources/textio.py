"""Decoding files for import: bytes in, normalised text out, or a clear refusal.

A document's text is immutable once imported and every offset into it is a
code-point index (see DESIGN.md), so this module decides, once and carefully,
what the text *is*: which encoding, no BOM, ``\\n`` line endings.  Anything
that is not plausibly text is refused with a one-line reason the user can act
on, rather than imported as mojibake that codings would then point into.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where detection runs: it costs ~15 ms at start-up
    import charset_normalizer



class ImportRefused(Exception):
    """A file that cannot be imported as text; ``str()`` is one user-facing line.

    The message names the reason only (not the path), so callers can prefix the
    file name in whatever form suits them: ``f"{name}: {exc}"``.
    """


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str
    # True when charset-normalizer guessed the encoding; False when it was known
    # (valid UTF-8, or a byte-order mark).  A guess is worth telling the user.
    detected: bool


# Byte-order marks, longest first: the UTF-32-LE BOM begins with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32", "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16"),
)

# Signatures of common binary formats people drop on an importer by mistake.
# Naming the format makes the refusal clearer than "contains NUL bytes".
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"%PDF-", "PDF document; export it to text first"),
    (b"PK\x03\x04", "ZIP archive or Office document; export it to text first"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Office document; export it to text first"),
    (b"{\\rtf", "RTF document; export it to text first"),
    (b"\x1f\x8b", "gzip archive"),
    (b"BZh", "bzip2 archive"),
    (b"\xfd7zXZ\x00", "xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "7z archive"),
    (b"\x7fELF", "executable"),
    (b"MZ", "Windows executable"),
    (b"SQLite format 3\x00", "SQLite database"),
)
_WEAK_MAGIC = frozenset({b"MZ", b"BZh"})

# Share of control characters above which data is treated as binary.  Real text
# in any encoding has practically none; random or compressed bytes have ~11 %
# (29 of 256 byte values are C0 controls or DEL).  2 % leaves room for a stray
# escape sequence or DOS end-of-file mark in a real text file.
_MAX_CONTROL_SHARE = 0.02

_REFUSE_UNDECODABLE = "cannot decode text (not UTF-8, UTF-16 or a recognisable encoding)"

# C0 controls except tab, newline, carriage return and form feed, plus DEL.
_BINARY_CONTROL_BYTES = bytes(
    byte for byte in range(256) if (byte < 0x20 and byte not in b"\t\n\r\f") or byte == 0x7F
)
# After decoding, C1 controls (U+0080-U+009F) count too: no real text needs them,
# and they are what binary bytes become when decoded as latin-1.
_BINARY_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def _refuse_if_binary_bytes(data: bytes) -> None:
    """Refuse data without a BOM that is clearly not text.

    This runs before charset-normalizer, which will name *some* encoding for
    almost any bytes (random data comes back as a legacy code page or UTF-16).
    """
    for magic, kind in _MAGIC:
        # "MZ" and "BZh" could begin a real text file; only trust them when the
        # data also contains NUL bytes.
        if data.startswith(magic) and (magic not in _WEAK_MAGIC or b"\x00" in data):
            raise ImportRefused(f"binary file ({kind})")
    if b"\x00" in data:
        raise ImportRefused("binary file (contains NUL bytes)")
    # Counted on the raw bytes, before any encoding is chosen, so a detector
    # cannot explain them away.  (Bytes 0x80-0x9F are letters in some legacy
    # code pages, so only C0 controls and DEL are counted here.)
    controls = len(data) - len(data.translate(None, _BINARY_CONTROL_BYTES))
    if controls / len(data) > _MAX_CONTROL_SHARE:
        raise ImportRefused("binary file (too many control characters)")


def _refuse_if_not_text(text: str) -> None:
    """Checks on the decoded text that apply however it was decoded."""
    if not text:
        raise ImportRefused("empty file")
    if text.isspace():  # not text.strip(), which copies a long text
        raise ImportRefused("file is empty after removing whitespace")
    if len(_BINARY_CONTROL_CHARS.findall(text)) / len(text) > _MAX_CONTROL_SHARE:
        raise ImportRefused("binary file (too many control characters)")


def _decode_with_bom(data: bytes) -> DecodedText | None:
    for bom, codec, reported in _BOMS:
        if data.startswith(bom):
            try:
                # The "utf-16", "utf-32" and "utf-8-sig" codecs consume the BOM.
                return DecodedText(data.decode(codec), reported, detected=False)
            except UnicodeDecodeError:
                if codec == "utf-8-sig":
                    # A UTF-8 BOM followed by legacy bytes (an editor mixing
                    # encodings): fall through to detection below.
                    return None
                raise ImportRefused(
                    f"cannot decode text (starts like {reported} but is not valid {reported})"
                ) from None
    return None


# How much more chaotic than the detector's favourite a windows-1252 reading
# may be and still win (chaos is charset-normalizer's 0..1 "mess" ratio).
_CP1252_CHAOS_MARGIN = 0.05


def _prefer_cp1252(
    matches: charset_normalizer.CharsetMatches, best: charset_normalizer.CharsetMatch
) -> charset_normalizer.CharsetMatch:
    """Break near-ties in favour of windows-1252.

    On short Western-European texts charset-normalizer often ranks a
    neighbouring code page first (cp1257 for French, cp1250 for Portuguese),
    which turns "crème" into "crčme".  windows-1252 is by far the most common
    legacy encoding (HTML5 even reads "latin-1" as it), so it wins when it is
    about as orderly and at least as coherent as the detector's favourite.
    Turkish, Polish, Czech, Cyrillic or Greek text is unaffected: there
    windows-1252 is either not a candidate or clearly less coherent.
    """
    for match in matches:
        if (
            match.encoding == "cp1252"
            and match.chaos <= best.chaos + _CP1252_CHAOS_MARGIN
            and match.coherence >= best.coherence
        ):
            return match
    return best


def _decode_detected(data: bytes) -> DecodedText:
    import charset_normalizer

    matches = charset_normalizer.from_bytes(data)
    best = matches.best()
    # UTF-16/32 without a BOM and without NUL bytes is only ever the detector
    # making sense of noise, so it counts as "nothing found".
    if best is None or best.encoding.startswith(("utf_16", "utf_32")):
        raise ImportRefused(_REFUSE_UNDECODABLE)
    best = _prefer_cp1252(matches, best)
    return DecodedText(str(best), best.encoding, detected=True)


def decode_bytes(data: bytes) -> DecodedText:
    """Decode file contents: known UTF encodings first, then detection.

    The text is returned as decoded (line endings untouched); see
    ``normalise_text`` for what import stores.  Raises ``ImportRefused``.
    """
    if not data:
        raise ImportRefused("empty file")
    decoded = _decode_with_bom(data)
    if decoded is None:
        # A UTF-8 BOM that did not decode as UTF-8: detect the rest, without
        # the BOM turning into "ï»¿" at the start of the text.
        data = data.removeprefix(codecs.BOM_UTF8)
        # Binary checks come before any decoding attempt: with no BOM, NUL
        # bytes or control characters mean "not text", whatever a detector says.
        _refuse_if_binary_bytes(data)
        try:
            decoded = DecodedText(data.decode("utf-8"), "utf-8", detected=False)
        except UnicodeDecodeError:
            decoded = _decode_detected(data)
    _refuse_if_not_text(decoded.text)
    return decoded


def normalise_text(text: str) -> str:
    """Drop a leading BOM, make every line ending ``\\n``, trim the document's end.

    Only trailing whitespace at the very end of the document is stripped (no
    final newline is kept): it is invisible to a reader and a stray trailing
    newline would otherwise differ between two copies of the same article.
    Nothing inside the text changes, so it stays the source's own words.
    """
    text = text.removeprefix("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.rstrip()


def _read_bytes(path: str | os.PathLike[str]) -> bytes:
    try:
        # Refuse FIFOs, devices and sockets: reading a FIFO would block the import.
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise ImportRefused("is a directory, not a file")
        if not stat.S_ISREG(mode):
            raise ImportRefused("not a regular file")
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise ImportRefused("file not found") from None
    except IsADirectoryError:
        raise ImportRefused("is a directory, not a file") from None
    except PermissionError:
        raise ImportRefused("permission denied") from None
    except OSError as error:
        reason = error.strerror or str(error) or "cannot read file"
        raise ImportRefused(reason[:1].lower() + reason[1:]) from None
    except ValueError:
        # open() raises ValueError for a path containing a NUL character.
        raise ImportRefused("invalid file name") from None


def read_file_bytes(path: str | os.PathLike[str]) -> bytes:
    """A regular file's bytes, undecoded (for formats with their own
    extractor, see store/sources/formats.py); ``ImportRefused`` if unreadable."""
    data = _read_bytes(path)
    if not data:
        raise ImportRefused("empty file")
    return data


def read_text_file(path: str | os.PathLike[str]) -> DecodedText:
    """Read and decode a file for import; the text is normalised.

    Raises ``ImportRefused`` with a one-line reason for anything that is not a
    readable text file.
    """
    decoded = decode_bytes(_read_bytes(path))
    return DecodedText(normalise_text(decoded.text), decoded.encoding, decoded.detected)


# A word is a run of word characters, with apostrophes inside it allowed so
# that "don't" and "Ukraine’s" count once.
_WORD = re.compile(r"\w+(?:['’]\w+)*")
_NOT_WORD_OR_SPACE = re.compile(r"[^\w\s]")


# Texts longer than this are counted a piece at a time (cut at whitespace,
# which no word contains): a list of every word of a 100 MB text would take
# more than a gigabyte.
_COUNT_PIECE_CHARS = 1 << 18
_SPACE = re.compile(r"\s")


def count_words(text: str) -> int:
    """Count words as runs of Unicode word characters.

    Combining marks (Devanagari vowel signs, Hebrew points, decomposed
    accents) are not ``\\w`` in Python's ``re``; they are removed first so
    they do not split a word in two.  Scripts written without spaces (Chinese,
    Japanese, Thai) count as few long "words"; that is accepted.
    """
    if len(text) > _COUNT_PIECE_CHARS:
        return sum(_count_piece(piece) for piece in _pieces_at_whitespace(text))
    return _count_piece(text)


def _pieces_at_whitespace(text: str) -> Iterator[str]:
    """``text`` in consecutive pieces of about _COUNT_PIECE_CHARS, each cut
    just after a whitespace character (or at the end)."""
    start = 0
    while start < len(text):
        space = _SPACE.search(text, start + _COUNT_PIECE_CHARS)
        end = space.end() if space else len(text)
        yield text[start:end]
        start = end


def _count_piece(text: str) -> int:
    if not text.isascii():
        # Only non-word, non-space characters can be marks. The distinct ones
        # are few (punctuation, mostly), so they are classified once each and
        # the marks among them deleted in one pass, rather than a Python call
        # for every comma of a long document.
        marks = {
            ord(char): None
            for char in set(_NOT_WORD_OR_SPACE.findall(text))
            if unicodedata.category(char).startswith("M")
        }
        if marks:
            text = text.translate(marks)
    return len(_WORD.findall(text))
