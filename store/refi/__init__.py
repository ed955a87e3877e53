"""REFI-QDA: exchanging projects with NVivo, ATLAS.ti, MAXQDA and QualCoder.
``exporter`` writes a project (.qdpx) or a codebook (.qdc) that validates
against the REFI-QDA schemas; ``importer`` reads both back, converting other
tools' offsets and checking every passage against its text, with the
exporter's GUIDs for what margin wrote. The room may import the core and
sources (to decode plain-text sources); the core's building blocks, search
and entities must not import it: the interface (margin.tui) and the core's
import flow do.
"""
