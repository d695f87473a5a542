"""The evaluation report as a document (``cdv rapport``).

A :class:`~cdv_lib.document.model.Document` is built once from the data
(:func:`~cdv_lib.document.build.build_document`): chapters, sections, numbered tables and
figures with caption, source and base, key messages and the analyst's narrative blocks
(:mod:`cdv_lib.document.narrative`). One renderer per format then writes it:
:mod:`~cdv_lib.document.html` (standalone HTML), :mod:`~cdv_lib.document.pdf` (that HTML
printed by headless Chromium, sommaire page numbers checked) and
:mod:`~cdv_lib.document.docx` (Word).
"""

from cdv_lib.document.build import build_document
from cdv_lib.document.model import Document

__all__ = ["Document", "build_document"]
