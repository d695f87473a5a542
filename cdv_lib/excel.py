"""The Excel workbook of the report tables, for analysts.

One workbook per scope (the agglomeration, or one commune). A « Sommaire » sheet lists
every table with an internal link to its title cell; then one sheet per theme holding its
tables one under the other (a table longer than :data:`OWN_SHEET_ROWS` rows gets a sheet of
its own while the workbook stays under :data:`MAX_SHEETS` sheets). Each table is written as
its title row, its caption lines (base, notes, « s » legend, source), its header row and
its rows. Numbers are stored as numbers with Excel format codes (French Excel and
LibreOffice show ``#,##0`` as ``5 760 000`` and ``0.0 %`` as ``42,1 %``); masked values
are the text « s »; a value not available is an empty cell. Sheet names are French, at
most 31 characters, shortened at a word boundary when needed.

The workbook is written to a temporary file next to the target and renamed over it, so a
reader never finds a half-written workbook and a failure leaves nothing behind. Text cells
that a spreadsheet would evaluate (``=``, ``+``, ``-``, ``@``, tab, carriage return at the
start) are stored as explicit text with Excel's quote prefix: the formula is shown, never run.
"""

from __future__ import annotations

import numbers
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from cdv_lib.report.table import DECIMAL, EURO, INTEGER, PERCENT, ReportTable, format_value
from cdv_lib.style import SECRET_MARK

# Excel format codes, invariant syntax (French Excel shows them as « # ##0 € » and « 0,0 % »).
NUMBER_FORMATS = {
    EURO: '#,##0 "€"',
    PERCENT: "0.0 %",
    INTEGER: "#,##0",
    DECIMAL: "#,##0.0",
}
WHOLE_DECIMAL_FORMAT = "#,##0"  # a decimal column's whole values, as the reports show them
SUMMARY_SHEET = "Sommaire"
SHEET_NAME_MAX = 31
MAX_SHEETS = 40
OWN_SHEET_ROWS = 40  # a longer table gets its own sheet
FORBIDDEN_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
LEGEND = ("« s » : valeur masquée par le secret statistique (effectif sous le seuil) ; "
          "cellule vide : valeur non disponible. Chiffres enregistrés comme nombres.")
BACK_LINK = "← Retour au sommaire"

# sheet titles of the themes of cdv_lib.report.registry.THEMES; others get their key, capitalised
THEME_LABELS = {
    "territoire": "Territoire",
    "finances": "Programmation et finances",
    "ami": "AMI cohésion sociale",
    "gouvernance": "Gouvernance",
    "sante": "Santé",
    "participation": "Participation des habitants",
    "perr": "Suivi du PERR",
}
# words a shortened name must not end with
_DANGLING = {"de", "des", "du", "d", "la", "le", "les", "l", "par", "et", "à", "au", "aux",
             "en", "pour", "sur", "dans", "un", "une", "ou", "avec", "-", "–", "—", ","}

# words opening a complement: the words before them still name the table
_COMPLEMENTS = {"par", "selon", "pour", "dans", "en", "sur", "avec", "entre", "depuis"}

_BOLD = Font(bold=True)
_SHEET_TITLE = Font(bold=True, size=14, color="12355B")
_TITLE = Font(bold=True, size=12, color="12355B")
_NOTE = Font(italic=True, color="4A5866")
_LINK = Font(color="0B4F8A", underline="single")
_HEADER_FILL = PatternFill("solid", fgColor="E6EDF4")
_HEADER_BORDER = Border(bottom=Side(style="medium", color="12355B"))
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_RIGHT = Alignment(horizontal="right", vertical="top")
_LEFT_TOP = Alignment(horizontal="left", vertical="top")
MIN_WIDTH, MAX_WIDTH, HEADER_WIDTH = 8, 60, 22


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet would take *text* for a formula."""
    return text.startswith(FORMULA_PREFIXES)


def write_text(cell: Cell, text: object) -> Cell:
    """Store *text* as a string cell that Excel never evaluates."""
    text = str(text)
    cell.value = text
    if is_formula_like(text):
        # openpyxl takes a leading "=" for a formula: force the string type, and set the
        # quote prefix Excel itself uses for a typed apostrophe (the text stays text when
        # the cell is edited).
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def write_value(cell: Cell, value: object, kind: str) -> Cell:
    """A table value: a number with its Excel format, or neutralised text; empty when the
    value is not available."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        cell.value = None
        return cell
    if kind in NUMBER_FORMATS and not isinstance(value, str):
        number = float(value)
        if kind in (EURO, PERCENT):
            cell.value = number
        else:
            cell.value = int(number) if number == int(number) else number
        whole = kind == DECIMAL and number == int(number)
        cell.number_format = WHOLE_DECIMAL_FORMAT if whole else NUMBER_FORMATS[kind]
        return cell
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        # a number in a text column (a year): a number for the spreadsheet, shown as is
        number = float(value)
        cell.value = int(number) if number == int(number) else number
        return cell
    return write_text(cell, value)


def _clean(text: str) -> str:
    name = FORBIDDEN_SHEET_CHARS.sub(" ", str(text))
    name = " ".join(name.split()).strip("'").strip()
    return name


def shorten(text: str, limit: int = SHEET_NAME_MAX) -> str:
    """*text* cut to at most *limit* characters at a word boundary, without a dangling
    article or preposition, ``…`` marking the cut; unchanged when it fits."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    words = text.split(" ")
    # a cut just before a complement (« … par type d'acteur ») leaves a whole noun phrase
    for n in range(len(words) - 1, 0, -1):
        head = " ".join(words[:n])
        if len(head) <= limit and words[n].lower() in _COMPLEMENTS \
                and words[n - 1].lower().strip(",;:") not in _DANGLING:
            return head.rstrip(",;:")
    room = limit - 1  # for « … »
    kept: list[str] = []
    for word in words:
        if len(" ".join([*kept, word])) > room:
            break
        kept.append(word)
    while kept and kept[-1].lower().strip(",;:'’") in _DANGLING:
        kept.pop()
    if not kept:
        return text[:room].rstrip() + "…"
    return " ".join(kept).rstrip(",;:–-—") + "…"


def sheet_name(text: str, taken: set[str]) -> str:
    """A valid, unique sheet name for *text*: forbidden characters replaced by spaces, at
    most 31 characters (shortened at a word boundary), no leading/trailing apostrophe, a
    `` (2)`` suffix when already taken (comparison ignores case, like Excel)."""
    name = shorten(_clean(text)) or "Feuille"
    lowered = {t.lower() for t in taken}
    candidate, i = name, 1
    while candidate.lower() in lowered or candidate.lower() == "history":
        i += 1
        suffix = f" ({i})"
        candidate = shorten(_clean(text), SHEET_NAME_MAX - len(suffix)) + suffix
    taken.add(candidate)
    return candidate


def quote_sheet(name: str) -> str:
    """*name* as written in a cell reference: ``'Santé'``."""
    return "'" + name.replace("'", "''") + "'"


def theme_label(theme: str) -> str:
    return THEME_LABELS.get(theme) or (str(theme).replace("_", " ").capitalize() or "Autres tableaux")


@dataclass
class _Sheet:
    title: str
    theme: str
    tables: list[ReportTable] = field(default_factory=list)
    name: str = ""


def plan_sheets(tables: Sequence[ReportTable], *, max_sheets: int = MAX_SHEETS,
                own_sheet_rows: int = OWN_SHEET_ROWS) -> list[_Sheet]:
    """Group *tables* into sheets: one per theme (in order of first appearance), a long
    table on a sheet of its own after its theme's sheet while the workbook (Sommaire
    included) stays within *max_sheets*."""
    sheets: dict[str, _Sheet] = {}
    for table in tables:
        sheets.setdefault(table.theme, _Sheet(theme_label(table.theme), table.theme))
    room = max_sheets - 1 - len(sheets)
    if room < 0:
        raise ValueError(f"{len(sheets)} thèmes et le sommaire : un classeur en compte au plus "
                         f"{max_sheets} feuilles (un classeur par périmètre)")
    own: dict[str, list[_Sheet]] = {}
    for table in tables:
        if len(table.data) > own_sheet_rows and room > 0:
            own.setdefault(table.theme, []).append(_Sheet(table.titre, table.theme, [table]))
            room -= 1
        else:
            sheets[table.theme].tables.append(table)
    out = []
    for theme, sheet in sheets.items():
        if sheet.tables:
            out.append(sheet)
        out.extend(own.get(theme, []))
    return out


class _Widths:
    def __init__(self) -> None:
        self.widths: dict[int, int] = {}

    def see(self, col: int, length: int, cap: int = MAX_WIDTH) -> None:
        self.widths[col] = max(self.widths.get(col, 0), min(length, cap))

    def apply(self, ws) -> None:
        for col, width in self.widths.items():
            ws.column_dimensions[get_column_letter(col)].width = max(MIN_WIDTH, width + 2)
        _fit_row_heights(ws)


LINE_HEIGHT = 15.0  # points, one line of the default 11 pt font


def _fit_row_heights(ws) -> None:
    """Row heights for wrapped cells: spreadsheets do not always recompute them on opening
    (LibreOffice's conversion does not), and wrapped lines would overlap the next row."""
    import math

    for row in ws.iter_rows():
        lines = 1
        for cell in row:
            if not (cell.alignment is not None and cell.alignment.wrap_text) or cell.value is None:
                continue
            width = ws.column_dimensions[cell.column_letter].width or MIN_WIDTH
            per_line = max(1, int(width * 1.1) - 1)  # characters per line, roughly
            text_lines = sum(max(1, math.ceil(len(part) / per_line))
                             for part in str(cell.value).split("\n"))
            lines = max(lines, text_lines)
        if lines > 1:
            ws.row_dimensions[row[0].row].height = LINE_HEIGHT * lines


def _write_table(ws, row: int, table: ReportTable, scope: str,
                 widths: _Widths) -> tuple[int, int, int]:
    """Write *table* from *row*: title, « Périmètre » and caption lines, header, rows, then
    the link back to the Sommaire. Return (title row, header row, next free row)."""
    title_row = row
    write_text(ws.cell(row, 1), table.titre).font = _TITLE
    row += 1
    for line in [f"Périmètre : {scope}", *table.caption_lines()]:
        write_text(ws.cell(row, 1), line).font = _NOTE
        row += 1
    header_row = row
    columns = [str(c) for c in table.data.columns]
    for j, column in enumerate(columns, start=1):
        cell = write_text(ws.cell(header_row, j), column)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.border = _HEADER_BORDER
        numeric = table.kind(column) in NUMBER_FORMATS
        cell.alignment = Alignment(wrap_text=True, vertical="bottom",
                                   horizontal="right" if numeric else "left")
        widths.see(j, len(column), HEADER_WIDTH)
    for i in range(len(table.data)):
        r = header_row + 1 + i
        for j, column in enumerate(columns, start=1):
            cell = ws.cell(r, j)
            kind = table.kind(column)
            value = table.data.iat[i, j - 1]
            if table.is_masked(i, j - 1):
                write_text(cell, SECRET_MARK)
                cell.alignment = _RIGHT
                shown = 1
            else:
                write_value(cell, value, kind)
                if kind in NUMBER_FORMATS:
                    cell.alignment = _RIGHT
                    shown = len(format_value(value, kind)) if cell.value is not None else 0
                else:
                    text = "" if cell.value is None else str(cell.value)
                    cell.alignment = _WRAP_TOP if len(text) > MAX_WIDTH else _LEFT_TOP
                    shown = len(text)
            widths.see(j, shown)
    end = header_row + 1 + len(table.data)
    _back_link(ws, end)
    return title_row, header_row, end + 1


def _back_link(ws, row: int) -> None:
    cell = write_text(ws.cell(row, 1), BACK_LINK)
    cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"{quote_sheet(SUMMARY_SHEET)}!A1",
                               display=BACK_LINK)
    cell.font = _LINK


def _page_setup(ws) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0


def _write_sheet(ws, sheet: _Sheet, scope: str) -> list[tuple[ReportTable, str]]:
    """Write a theme sheet; return each table with the coordinate of its title cell.

    Each table is a block the secrecy audit reads on its own (:mod:`cdv_lib.audit`): its
    title first, its « Périmètre » and caption lines, its header row, its rows up to an
    empty row, the link back to the Sommaire under it."""
    widths = _Widths()
    row = 1
    anchors = []
    header_rows = []
    for table in sheet.tables:
        title_row, header_row, row = _write_table(ws, row, table, scope, widths)
        anchors.append((table, f"A{title_row}"))
        header_rows.append(header_row)
        row += 2
    if len(sheet.tables) == 1:
        # one table: its header stays in view; several: each has its own header, none frozen
        ws.freeze_panes = ws.cell(header_rows[0] + 1, 1)
    widths.apply(ws)
    _page_setup(ws)
    return anchors


SUMMARY_HEADERS = ["Thème", "Tableau", "Feuille", "Base", "Source", "Secret statistique"]
SUMMARY_HEADER_ROW = 5
# texts wrap beyond; the linked titles are wider (LibreOffice does not wrap a linked cell)
SUMMARY_WIDTHS = {1: 26, 2: 100, 3: 28, 4: 36, 5: 36, 6: 30, 7: 30}


def _write_summary(ws, scope: str, entries: list[tuple[str, _Sheet, ReportTable, str]],
                   subtitle: str = "", *, with_scope: bool = False) -> None:
    write_text(ws.cell(1, 1), f"Tableaux du rapport — {scope}").font = _SHEET_TITLE
    write_text(ws.cell(2, 1), subtitle or "Chaque titre mène à son tableau ; chaque feuille "
               "ramène ici par son lien « Retour au sommaire ».").font = _NOTE
    write_text(ws.cell(3, 1), LEGEND).font = _NOTE
    widths = _Widths()
    headers = SUMMARY_HEADERS + (["Périmètre"] if with_scope else [])
    for j, header in enumerate(headers, start=1):
        cell = write_text(ws.cell(SUMMARY_HEADER_ROW, j), header)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.border = _HEADER_BORDER
        widths.see(j, len(header))
    for i, (table_scope, sheet, table, anchor) in enumerate(entries, start=SUMMARY_HEADER_ROW + 1):
        values = [theme_label(table.theme), table.titre, sheet.name, table.base, table.source,
                  table.masked_note] + ([table_scope] if with_scope else [])
        for j, value in enumerate(values, start=1):
            cell = write_text(ws.cell(i, j), value or "")
            cell.alignment = _WRAP_TOP
            widths.see(j, len(str(value or "")), SUMMARY_WIDTHS.get(j, MAX_WIDTH))
        link = ws.cell(i, 2)
        link.hyperlink = Hyperlink(ref=link.coordinate,
                                   location=f"{quote_sheet(sheet.name)}!{anchor}",
                                   display=table.titre)
        link.font = _LINK
    ws.freeze_panes = ws.cell(SUMMARY_HEADER_ROW + 1, 1)
    if entries:
        ws.auto_filter.ref = (f"A{SUMMARY_HEADER_ROW}:{get_column_letter(len(headers))}"
                              f"{SUMMARY_HEADER_ROW + len(entries)}")
    widths.apply(ws)
    _page_setup(ws)
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE


def build_workbook(tables_by_scope: Mapping[str, Sequence[ReportTable]], *,
                   subtitle: str = "") -> Workbook:
    """The workbook of :func:`export_workbook`, in memory."""
    workbook = Workbook()
    summary = workbook.active
    summary.title = SUMMARY_SHEET
    taken = {SUMMARY_SHEET}
    several = len(tables_by_scope) > 1
    plans: list[tuple[str, _Sheet]] = []
    for scope, tables in tables_by_scope.items():
        for sheet in plan_sheets(list(tables), max_sheets=MAX_SHEETS if not several else
                                 max(1, MAX_SHEETS // len(tables_by_scope))):
            plans.append((scope, sheet))
    if len(plans) + 1 > MAX_SHEETS:
        raise ValueError(f"{len(plans) + 1} feuilles : un classeur en compte au plus {MAX_SHEETS} "
                         "(un classeur par périmètre)")
    entries: list[tuple[str, _Sheet, ReportTable, str]] = []
    for scope, sheet in plans:
        sheet.name = sheet_name(f"{sheet.title} – {scope}" if several else sheet.title, taken)
        for table, anchor in _write_sheet(workbook.create_sheet(sheet.name), sheet, scope):
            entries.append((scope, sheet, table, anchor))
    scope_text = " ; ".join(tables_by_scope) if tables_by_scope else ""
    _write_summary(summary, scope_text, entries, subtitle, with_scope=several)
    return workbook


def export_workbook(tables_by_scope: Mapping[str, Sequence[ReportTable]],
                    path: str | os.PathLike, *, subtitle: str = "") -> Path:
    """Write the tables of a scope to one ``.xlsx`` workbook, atomically.

    Parameters
    ----------
    tables_by_scope : mapping
        Scope label (``Communauté d'Agglomération…``, ``Lens (62498)``) → its tables, in
        display order. One scope per workbook is the intended use; with several, each
        theme sheet is repeated per scope (its name ends with the scope, shortened).
    path : path-like
        Target workbook; replaced whole, or left untouched if anything fails.
    subtitle : str
        Second line of the « Sommaire » sheet (default: how to use the links).

    Returns
    -------
    Path
        The written workbook.

    Raises
    ------
    ValueError
        When the workbook would have more than :data:`MAX_SHEETS` sheets.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = build_workbook(tables_by_scope, subtitle=subtitle)

    # the batch's temporary naming, so that a killed run's leftovers are recognised
    from cdv_lib.atomic import tmp_path

    tmp = tmp_path(path)
    try:
        workbook.save(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def summary_links(path: str | os.PathLike) -> list[tuple[str, str, str]]:
    """``(linked text, sheet, cell)`` of every internal link of the « Sommaire » sheet of a
    written workbook (the test follows them to their table)."""
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    out = []
    for row in workbook[SUMMARY_SHEET].iter_rows():
        for cell in row:
            if cell.hyperlink is not None and cell.hyperlink.location:
                sheet, _, coordinate = cell.hyperlink.location.rpartition("!")
                if sheet.startswith("'") and sheet.endswith("'"):
                    sheet = sheet[1:-1].replace("''", "'")
                out.append((cell.value, sheet, coordinate))
    return out
