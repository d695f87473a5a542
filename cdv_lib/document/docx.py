"""The Word document (python-docx): real Heading 1/2/3 styles, a table-of-contents field,
tables as Word tables, charts as images with their alternative text, French language.

The analyst completes it in Word; the sommaire is a TOC field that Word fills in when the
document is opened (``updateFields``), pre-filled with the headings so that a reader that
does not update fields still sees them.
"""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document as new_docx
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from cdv_lib.document.html import TO_WRITE
from cdv_lib.document.model import (
    HEAD_MESSAGES_TITLE,
    Document,
    FigureBlock,
    Messages,
    Narrative,
    Paragraph,
    SubHeading,
    TableBlock,
)
from cdv_lib.document.narrative import markdown_to_html
from cdv_lib.messages import french_spacing
from cdv_lib.report.table import MISSING_MARK, TEXT

ACCENT = RGBColor(0x0B, 0x4F, 0x8A)
_SETTINGS_AFTER_UPDATE_FIELDS = (
    "w:hdrShapeDefaults", "w:footnotePr", "w:endnotePr", "w:compat", "w:docVars", "w:rsids",
    "m:mathPr", "w:attachedSchema", "w:themeFontLang", "w:clrSchemeMapping",
    "w:doNotIncludeSubdocsInStats", "w:doNotAutoCompressPictures", "w:forceUpgrade",
    "w:captions", "w:readModeInkLockDown", "w:smartTagType", "w:shapeDefaults",
    "w:doNotEmbedSmartTags", "w:decimalSymbol", "w:listSeparator")
LANGUAGE = "fr-FR"


def render_docx(doc: Document, path: Path | None = None, *, draft: bool = True) -> bytes:
    """The document as DOCX bytes (written to *path* too when given)."""
    word = new_docx()
    _setup(word, doc)
    _title_page(word, doc, draft=draft)
    _toc(word, doc)
    if doc.head_messages is not None:
        word.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        word.add_heading(HEAD_MESSAGES_TITLE, level=1)
        _messages(word, doc.head_messages, heading=False)
    for chapter in doc.chapters:
        word.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        word.add_heading(chapter.heading, level=1)
        if chapter.subtitle:
            p = word.add_paragraph(chapter.subtitle)
            p.runs[0].italic = True
        for block in chapter.blocks:
            _block(word, block)
        for section in chapter.sections:
            word.add_heading(section.title, level=2)
            for block in section.blocks:
                _block(word, block)
    buffer = io.BytesIO()
    word.save(buffer)
    data = buffer.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data


def _setup(word, doc: Document) -> None:
    section = word.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(1.8)
    section.top_margin, section.bottom_margin = Cm(2.2), Cm(2)
    header = section.header.paragraphs[0]
    header.text = f"{doc.title} — {doc.scope}"
    header.runs[0].font.size = Pt(8)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _field(footer, "PAGE", "1")
    section.different_first_page_header_footer = True
    styles = word.styles
    normal = styles["Normal"]
    normal.font.name = "Liberation Sans"
    normal.font.size = Pt(10)
    for name in ("Heading 1", "Heading 2", "Heading 3", "Title"):
        styles[name].font.color.rgb = ACCENT
    # document language: French (spelling, hyphenation, number reading)
    rpr = styles.element.find(qn("w:docDefaults"))
    if rpr is not None:
        run_defaults = rpr.find(qn("w:rPrDefault"))
        if run_defaults is not None:
            props = run_defaults.find(qn("w:rPr"))
            if props is not None:
                lang = props.find(qn("w:lang"))
                if lang is None:
                    lang = OxmlElement("w:lang")
                    props.append(lang)
                lang.set(qn("w:val"), LANGUAGE)
                lang.set(qn("w:eastAsia"), LANGUAGE)
    word.core_properties.title = f"{doc.title} — {doc.scope}"
    word.core_properties.language = LANGUAGE
    # Word refreshes the TOC and page fields on opening
    settings = word.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    # the schema fixes the order of the settings: updateFields comes before these
    after = {qn(t) for t in _SETTINGS_AFTER_UPDATE_FIELDS}
    successor = next((child for child in settings if child.tag in after), None)
    if successor is None:
        settings.append(update)
    else:
        successor.addprevious(update)
    for tag, value in (("w:decimalSymbol", ","), ("w:listSeparator", ";")):
        element = settings.find(qn(tag))
        if element is not None:
            element.set(qn("w:val"), value)


def _field(paragraph, instruction: str, shown: str) -> None:
    """A complex field (PAGE, TOC...) with *shown* as its current result."""
    def char(kind: str):
        run = paragraph.add_run()
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        run._r.append(element)
        return run

    char("begin")
    run = paragraph.add_run()
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    run._r.append(text)
    char("separate")
    paragraph.add_run(shown)
    char("end")


def _title_page(word, doc: Document, *, draft: bool) -> None:
    if doc.year:
        p = word.add_paragraph()
        run = p.add_run(str(doc.year))
        run.bold, run.font.size, run.font.color.rgb = True, Pt(36), ACCENT
    word.add_paragraph(doc.title, style="Title")
    p = word.add_paragraph()
    p.add_run(doc.scope).font.size = Pt(16)
    if doc.commune is not None:
        word.add_paragraph(doc.territory)
    word.add_paragraph(f"Document établi le {doc.date}")
    if draft and doc.missing_narratives:
        p = word.add_paragraph()
        run = p.add_run("Document de travail : textes d'analyse à rédiger")
        run.bold, run.font.color.rgb = True, RGBColor(0xAA, 0x33, 0x33)


def _toc(word, doc: Document) -> None:
    word.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    p = word.add_paragraph()
    run = p.add_run("Sommaire")
    run.bold, run.font.size, run.font.color.rgb = True, Pt(18), ACCENT
    entries = doc.toc()
    first = word.add_paragraph()
    # one field spanning the pre-filled entries: begin … separate, entries, end
    def char(paragraph, kind):
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        paragraph.add_run()._r.append(element)

    char(first, "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = ' TOC \\o "1-2" \\h \\z \\u '
    first.add_run()._r.append(instr)
    char(first, "separate")
    paragraph = first
    for i, (level, text, _anchor) in enumerate(entries):
        if i:
            paragraph = word.add_paragraph()
        paragraph.style = word.styles[f"toc {level}"] if f"toc {level}" in word.styles else \
            paragraph.style
        paragraph.add_run(text)
        if level == 2:
            paragraph.paragraph_format.left_indent = Cm(0.8)
    char(paragraph, "end")


def _messages(word, block: Messages, *, heading: bool = True) -> None:
    if heading:
        word.add_heading(block.title, level=3)
    for message in block.messages:
        p = word.add_paragraph(style="List Bullet")
        value = p.add_run(f"{message.valeur} ")
        value.bold, value.font.color.rgb = True, ACCENT
        p.add_run(f"({message.libelle}) — {message.texte}")


def _block(word, block) -> None:
    if isinstance(block, Messages):
        _messages(word, block)
    elif isinstance(block, TableBlock):
        _table(word, block)
    elif isinstance(block, FigureBlock):
        _figure(word, block)
    elif isinstance(block, Narrative):
        _narrative(word, block)
    elif isinstance(block, SubHeading):
        word.add_heading(block.text, level=3)
    elif isinstance(block, Paragraph):
        p = word.add_paragraph(french_spacing(block.text))
        if block.kind == "note":
            p.runs[0].italic = True
    else:
        raise TypeError(f"bloc inconnu : {type(block).__name__}")


def _caption(word, text: str) -> None:
    p = word.add_paragraph(style="Caption") if "Caption" in word.styles else \
        word.add_paragraph()
    run = p.add_run(text)
    run.bold = True
    p.paragraph_format.keep_with_next = True


def _small(word, text: str) -> None:
    p = word.add_paragraph()
    run = p.add_run(text)
    run.font.size = Pt(8)
    p.paragraph_format.space_after = Pt(0)


def _table(word, block: TableBlock) -> None:
    table = block.table
    shown = table.formatted()
    columns = list(table.data.columns)
    numeric = [table.kind(c) != TEXT for c in columns]
    _caption(word, block.caption)
    grid = word.add_table(rows=1, cols=len(columns))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for j, column in enumerate(columns):
        cell = grid.rows[0].cells[j]
        cell.text = str(column)
        cell.paragraphs[0].runs[0].bold = True
        if numeric[j]:
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    # the header row repeats on each page
    tr_pr = grid.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)
    for i in range(len(shown)):
        cells = grid.add_row().cells
        for j in range(len(columns)):
            value = shown.iat[i, j]
            cells[j].text = MISSING_MARK if value is None or value != value else str(value)
            if numeric[j]:
                cells[j].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for row in grid.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(8.5)
    for line in table.caption_lines():
        _small(word, line)
    word.add_paragraph()


def _figure(word, block: FigureBlock) -> None:
    word.add_picture(io.BytesIO(block.png), width=Cm(min(block.width_cm, 17)))
    picture = word.paragraphs[-1]
    picture.paragraph_format.keep_with_next = True
    # alternative text of the image: wp:docPr/@descr
    for doc_pr in picture._p.iter(qn("wp:docPr")):
        doc_pr.set("descr", block.alt)
        doc_pr.set("title", block.title)
    _caption(word, block.caption)
    if block.base:
        _small(word, f"Base : {block.base}")
    if block.source:
        _small(word, f"Source : {block.source}")
    if block.table_number is not None:
        _small(word, f"Valeurs : tableau {block.table_number}")
    else:  # a map: its text alternative is written out too (long description)
        _small(word, block.alt)


def _narrative(word, block: Narrative) -> None:
    if block.markdown is None:
        p = word.add_paragraph()
        run = p.add_run(french_spacing(f"{TO_WRITE} : {block.label} (texte attendu dans "
                                       f"« {block.path} »)."))
        run.bold, run.font.color.rgb = True, RGBColor(0xAA, 0x33, 0x33)
        return
    _html_to_docx(word, markdown_to_html(block.markdown))


def _html_to_docx(word, fragment: str) -> None:
    """Paragraphs, headings, lists, quotes, bold and italic of the Markdown's HTML."""
    from bs4 import BeautifulSoup, NavigableString, Tag

    soup = BeautifulSoup(fragment, "html.parser")

    def runs(paragraph, node, bold=False, italic=False):
        for child in node.children:
            if isinstance(child, NavigableString):
                text = str(child).replace("\n", " ")
                if text:
                    run = paragraph.add_run(text)
                    run.bold, run.italic = bold or None, italic or None
            elif isinstance(child, Tag):
                if child.name == "br":
                    paragraph.add_run().add_break()
                else:
                    runs(paragraph, child, bold or child.name in ("strong", "b"),
                         italic or child.name in ("em", "i"))

    def blocks(node, quote=False):
        for child in node.children:
            if isinstance(child, NavigableString):
                if str(child).strip():
                    word.add_paragraph(str(child).strip())
                continue
            if not isinstance(child, Tag):
                continue
            name = child.name
            if name in ("h1", "h2", "h3", "h4", "h5", "h6"):
                word.add_heading(child.get_text(" ", strip=True), level=3)
            elif name in ("ul", "ol"):
                style = "List Bullet" if name == "ul" else "List Number"
                for item in child.find_all("li", recursive=False):
                    runs(word.add_paragraph(style=style), item)
            elif name == "blockquote":
                blocks(child, quote=True)
            elif name == "hr":
                word.add_paragraph()
            else:
                p = word.add_paragraph(style="Quote" if quote and "Quote" in word.styles
                                       else None)
                runs(p, child)

    blocks(soup)
