"""Sources: bytes to text. Decoding and line endings (textio), boilerplate
cleaning (cleaning), titles (titles), subtitle transcripts (transcripts) and
the text of HTML, DOCX, PDF and EPUB files (formats). The room is pure
functions of bytes and text: it touches no database and imports nothing of
margin outside this room, so it must never import the core, another room or
margin.tui. Everything else may import it: the core's import flow, the
REFI-QDA importer, the interface.
"""
