"""Standalone HTML of the document (images embedded as data URIs), screen and print styles.

:func:`render_html` writes the page; with *page_numbers* (anchor → page) the sommaire prints
them, which is how :mod:`cdv_lib.document.pdf` makes the PDF's sommaire.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping

from cdv_lib.document.model import (
    HEAD_MESSAGES_ANCHOR,
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
from cdv_lib.formatting import NBSP
from cdv_lib.messages import french_spacing, messages_html
from cdv_lib.report.table import MISSING_MARK, TEXT

TO_WRITE = "À rédiger"

CSS = """
:root { --ink: #1a1a1a; --accent: #0b4f8a; --rule: #c9d2de; --soft: #f3f6fa; }
html { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: var(--ink);
  font-size: 11pt; line-height: 1.45; }
body { margin: 0 auto; max-width: 52em; padding: 1em 1.5em 4em; }
h1 { color: var(--accent); font-size: 1.7em; margin: 1.2em 0 .3em; }
h1 .num { display: inline-block; min-width: 1.6em; }
h2 { color: var(--accent); font-size: 1.3em; margin: 1.4em 0 .4em;
  border-bottom: 1px solid var(--rule); padding-bottom: .15em; }
h3 { font-size: 1.1em; margin: 1.2em 0 .3em; }
p.subtitle { font-size: 1.1em; font-style: italic; margin-top: 0; }
a { color: var(--accent); }
.title-page { text-align: left; padding: 4em 0 2em; }
.title-page .year { font-size: 3em; font-weight: 700; color: var(--accent); margin: 0; }
.title-page .doc-title { font-size: 2.2em; font-weight: 700; margin: .2em 0 .6em;
  color: var(--ink); }
.title-page .scope { font-size: 1.4em; margin: .2em 0; }
.title-page .territory { font-size: 1.1em; margin: .2em 0; }
.title-page .date { margin-top: 3em; color: #444; }
.title-page .draft { display: inline-block; margin-top: 1.5em; padding: .3em .8em;
  border: 2px solid #a33; color: #a33; font-weight: 700; }
nav.sommaire ol { list-style: none; padding: 0; margin: 0; }
nav.sommaire li { margin: .15em 0; }
nav.sommaire li.l1 { font-weight: 700; margin-top: .6em; }
nav.sommaire li.l2 { padding-left: 1.6em; }
nav.sommaire a { display: flex; color: var(--ink); text-decoration: none; }
nav.sommaire a .t { flex: 0 1 auto; }
nav.sommaire a .dots { flex: 1 1 auto; border-bottom: 1px dotted #777; margin: 0 .3em .3em; }
nav.sommaire a .p { flex: 0 0 auto; min-width: 2em; text-align: right; }
figure.fig { margin: 1.2em 0 .4em; break-inside: avoid; }
figure.fig img { max-width: 100%; height: auto; display: block; }
figcaption, caption { text-align: left; font-weight: 700; margin: .3em 0; }
figure.fig figcaption .meta, .table-notes p { font-weight: 400; font-size: .85em;
  color: #444; margin: .1em 0; }
.table-wrap { margin: .8em 0 1.2em; }
table.doc-table { border-collapse: collapse; width: 100%; font-size: .88em; }
table.doc-table th { background: var(--soft); text-align: left; vertical-align: bottom;
  border-bottom: 2px solid var(--accent); padding: .25em .5em; }
table.doc-table td { border-bottom: 1px solid var(--rule); padding: .2em .5em;
  vertical-align: top; }
table.doc-table .num { text-align: right; white-space: nowrap; }
table.doc-table thead { display: table-header-group; }
table.doc-table tr { break-inside: avoid; }
.narrative { margin: .6em 0; }
.narrative blockquote { border-left: 3px solid var(--rule); margin: .6em 0; padding-left: 1em;
  color: #333; }
.a-rediger { border: 2px dashed #a33; background: #fff6f6; padding: .8em 1em; margin: .8em 0;
  color: #711; }
p.note { font-size: .9em; color: #333; background: var(--soft); padding: .4em .7em; }
.cdv-messages ul.cdv-kf-list { display: flex; flex-wrap: wrap; gap: .6em; list-style: none;
  padding: 0; margin: .4em 0; }
.cdv-messages li.cdv-kf a { display: block; min-width: 9em; padding: .5em .8em;
  border: 1px solid var(--rule); border-radius: 4px; color: var(--ink);
  text-decoration: none; }
.cdv-messages .cdv-kf-value { display: block; font-size: 1.45em; font-weight: 700;
  color: var(--accent); }
.cdv-messages .cdv-kf-label { display: block; font-size: .82em; }
.cdv-messages ul.cdv-sentences { margin: .4em 0 .8em 1.2em; padding: 0; }
.cdv-messages { break-inside: avoid; }
@media screen {
  nav.sommaire a .dots, nav.sommaire a .p:empty { display: none; }
  section.chapter { border-top: 3px solid var(--accent); margin-top: 2.5em; }
}
@page { size: A4; margin: 22mm 18mm 20mm 18mm;
  @top-left { content: var(--running, ""); font-size: 8pt; color: #555; }
  @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt;
    color: #555; } }
@page :first { @top-left { content: none; } @bottom-right { content: none; } }
@media print {
  html { font-size: 10pt; }
  body { max-width: none; padding: 0; }
  .title-page { height: 230mm; padding: 30mm 0 0; break-after: page; }
  nav.sommaire { break-after: page; }
  section.head-messages { break-after: page; }
  section.chapter { break-before: page; }
  h1, h2, h3, caption, figcaption { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
  .cdv-messages li.cdv-kf a { border-color: #999; }
}
"""


def _e(text) -> str:
    return html.escape(str(text))


def render_html(doc: Document, *, page_numbers: Mapping[str, int | str] | None = None,
                draft: bool = True) -> str:
    """The document as one standalone HTML page.

    Parameters
    ----------
    page_numbers : mapping, optional
        Sommaire anchor → page number (printed in the sommaire; the PDF passes them).
    draft : bool
        Marks the title page « Document de travail » when narrative blocks are missing.
    """
    running = f"{doc.title} — {doc.scope}"
    css = CSS.replace('var(--running, "")', _css_string(running))
    parts = [
        "<!DOCTYPE html>", '<html lang="fr">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(doc.title)} — {_e(doc.scope)}</title>", f"<style>{css}</style>",
        "</head>", "<body>", _title_page(doc, draft=draft),
        _sommaire(doc, page_numbers), "<main>",
    ]
    if doc.head_messages is not None:
        parts.append(f'<section class="head-messages" aria-labelledby="{HEAD_MESSAGES_ANCHOR}">'
                     + _messages(doc.head_messages, title=HEAD_MESSAGES_TITLE,
                                 heading="h1", heading_id=HEAD_MESSAGES_ANCHOR)
                     + "</section>")
    for chapter in doc.chapters:
        parts.append(f'<section class="chapter" id="{_e(chapter.anchor)}">')
        number = f'<span class="num">{_e(chapter.number)}</span> ' if chapter.number else ""
        parts.append(f"<h1>{number}{_e(chapter.title)}</h1>")
        if chapter.subtitle:
            parts.append(f'<p class="subtitle">{_e(chapter.subtitle)}</p>')
        parts.extend(_block(b) for b in chapter.blocks)
        for section in chapter.sections:
            parts.append(f'<section class="section" id="{_e(section.anchor)}">'
                         f"<h2>{_e(section.title)}</h2>")
            parts.extend(_block(b) for b in section.blocks)
            parts.append("</section>")
        parts.append("</section>")
    parts += ["</main>", "</body>", "</html>"]
    return "\n".join(parts)


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _title_page(doc: Document, *, draft: bool) -> str:
    lines = ['<header class="title-page">']
    if doc.year:
        lines.append(f'<p class="year">{_e(doc.year)}</p>')
    lines.append(f'<p class="doc-title">{_e(doc.title)}</p>')
    lines.append(f'<p class="scope">{_e(doc.scope)}</p>')
    if doc.commune is not None:
        lines.append(f'<p class="territory">{_e(doc.territory)}</p>')
    lines.append(f'<p class="date">Document établi le {_e(doc.date)}</p>')
    if draft and doc.missing_narratives:
        lines.append('<p class="draft">Document de travail : textes d\'analyse à rédiger</p>')
    lines.append("</header>")
    return "".join(lines)


def _sommaire(doc: Document, page_numbers) -> str:
    items = []
    for level, text, anchor in doc.toc():
        page = "" if page_numbers is None else _e(page_numbers.get(anchor, ""))
        items.append(f'<li class="l{level}"><a href="#{_e(anchor)}"><span class="t">'
                     f'{_e(text)}</span><span class="dots"></span><span class="p">{page}'
                     "</span></a></li>")
    return ('<nav class="sommaire" aria-labelledby="sommaire-titre">'
            '<h1 id="sommaire-titre">Sommaire</h1><ol>' + "".join(items) + "</ol></nav>")


def _messages(block: Messages, *, title: str | None = None, heading: str = "h2",
              heading_id: str | None = None) -> str:
    out = messages_html(list(block.messages), title=title or block.title, heading=heading)
    if heading_id:
        out = out.replace(f"<{heading}>", f'<{heading} id="{_e(heading_id)}">', 1)
    return out


def _block(block) -> str:
    if isinstance(block, Messages):
        return _messages(block)
    if isinstance(block, TableBlock):
        return table_html(block)
    if isinstance(block, FigureBlock):
        return figure_html(block)
    if isinstance(block, Narrative):
        return narrative_html(block)
    if isinstance(block, SubHeading):
        return f'<h3 id="{_e(block.anchor)}">{_e(block.text)}</h3>'
    if isinstance(block, Paragraph):
        return f'<p class="{_e(block.kind)}">{_e(french_spacing(block.text))}</p>'
    raise TypeError(f"bloc inconnu : {type(block).__name__}")


def table_html(block: TableBlock) -> str:
    """A numbered table: caption, header cells, figures right-aligned, notes below."""
    table = block.table
    shown = table.formatted()
    columns = list(table.data.columns)
    numeric = [table.kind(c) != TEXT for c in columns]
    num_class = ' class="num"'
    head = "".join(f'<th scope="col"{num_class if n else ""}>{_e(c)}</th>'
                   for c, n in zip(columns, numeric))
    rows = []
    for i in range(len(shown)):
        cells = []
        for j, column in enumerate(columns):
            value = shown.iat[i, j]
            text = MISSING_MARK if value is None or value != value else str(value)
            cls = ' class="num"' if numeric[j] else ""
            cells.append(f"<td{cls}>{_e(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    notes = "".join(f"<p>{_e(line)}</p>" for line in table.caption_lines())
    return (f'<div class="table-wrap" id="{_e(block.anchor)}"><table class="doc-table">'
            f"<caption>{_e(block.caption)}</caption><thead><tr>{head}</tr></thead>"
            f'<tbody>{"".join(rows)}</tbody></table>'
            f'<div class="table-notes">{notes}</div></div>')


def figure_html(block: FigureBlock) -> str:
    data = base64.b64encode(block.png).decode("ascii")
    meta = []
    if block.base:
        meta.append(f"Base : {block.base}")
    if block.source:
        meta.append(f"Source : {block.source}")
    if block.table_number is not None:
        meta.append(f"Valeurs : tableau {block.table_number}")
    else:  # a map: its text alternative is written out too (long description)
        meta.append(block.alt)
    meta_html = "".join(f'<span class="meta">{_e(m)}</span><br>' for m in meta)
    return (f'<figure class="fig" id="{_e(block.anchor)}">'
            f'<img src="data:image/png;base64,{data}" alt="{_e(block.alt)}" '
            f'style="width:{block.width_cm:.1f}cm">'
            f"<figcaption>{_e(block.caption)}<br>{meta_html}</figcaption></figure>")


def narrative_html(block: Narrative) -> str:
    if block.markdown is None:
        text = french_spacing(f"{block.label} (texte attendu dans « {block.path} »).")
        return (f'<div class="a-rediger" role="note"><strong>{TO_WRITE}</strong>{NBSP}: '
                f"{_e(text)}</div>")
    return f'<div class="narrative">{markdown_to_html(block.markdown)}</div>'
