"""The Excel workbook of every table: one sheet per table and per scope (agglomeration,
communes), a « Sommaire » sheet, French headers, Excel number formats on numeric cells.

The workbook is written to a temporary file next to the target and renamed over it, so a
reader never finds a half-written workbook and a failure leaves nothing behind. Text cells
that a spreadsheet would evaluate (``=``, ``+``, ``-``, ``@``, tab, carriage return at the
start) are stored as explicit text with Excel's quote prefix: the formula is shown, never run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from cdv_lib.report_tables import DECIMAL, EURO, INTEGER, PERCENT, ReportTable
from cdv_lib.style import SECRET_MARK

# Excel format codes (French Excel shows them as « # ##0 € » and « 0,0 % »).
NUMBER_FORMATS = {
    EURO: '#,##0 "€"',
    PERCENT: "0.0 %",
    INTEGER: "#,##0",
    DECIMAL: "#,##0.0",
}
SUMMARY_SHEET = "Sommaire"
SHEET_NAME_MAX = 31
FORBIDDEN_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=13)
_NOTE = Font(italic=True, color="555555")
_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")


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
    """A table value: a number with its Excel format, or neutralised text."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        cell.value = None
        return cell
    if kind in NUMBER_FORMATS and not isinstance(value, str):
        cell.value = float(value) if kind in (EURO, PERCENT, DECIMAL) else _int_or_float(value)
        cell.number_format = NUMBER_FORMATS[kind]
        return cell
    return write_text(cell, value)


def _int_or_float(value) -> int | float:
    v = float(value)
    return int(v) if v == int(v) else v


def sheet_name(text: str, taken: set[str]) -> str:
    """A valid, unique sheet name for *text*: forbidden characters replaced, at most 31
    characters, no leading/trailing apostrophe, a ``~2`` suffix when already taken
    (comparison ignores case, like Excel)."""
    name = FORBIDDEN_SHEET_CHARS.sub("_", str(text)).strip().strip("'").strip() or "Feuille"
    name = name[:SHEET_NAME_MAX]
    lowered = {t.lower() for t in taken}
    candidate, i = name, 1
    while candidate.lower() in lowered or candidate.lower() == "history":
        i += 1
        suffix = f"~{i}"
        candidate = name[:SHEET_NAME_MAX - len(suffix)] + suffix
    taken.add(candidate)
    return candidate


def _fit_widths(ws, widths: dict[int, int]) -> None:
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = max(8, min(60, width + 2))


def _write_table(ws, table: ReportTable, scope: str) -> None:
    widths: dict[int, int] = {}
    write_text(ws.cell(1, 1), table.titre).font = _TITLE
    row = 2
    for line in [f"Périmètre : {scope}", *table.caption_lines()]:
        write_text(ws.cell(row, 1), line).font = _NOTE
        row += 1
    row += 1
    header_row = row
    for j, column in enumerate(table.data.columns, start=1):
        cell = write_text(ws.cell(header_row, j), column)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        widths[j] = len(str(column))
    for i in range(len(table.data)):
        for j, column in enumerate(table.data.columns, start=1):
            cell = ws.cell(header_row + 1 + i, j)
            if table.is_masked(i, j - 1):
                write_text(cell, SECRET_MARK)
                cell.alignment = Alignment(horizontal="right")
            else:
                write_value(cell, table.data.iat[i, j - 1], table.kind(column))
            shown = len(str(cell.value)) if cell.value is not None else 0
            widths[j] = max(widths[j], min(shown, 60))
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    _fit_widths(ws, widths)


def _write_summary(ws, entries: list[tuple[str, str, ReportTable]]) -> None:
    write_text(ws.cell(1, 1), "Sommaire des tableaux").font = _TITLE
    write_text(ws.cell(2, 1), "Chaque feuille contient un tableau ; « s » marque une valeur "
               "masquée par le secret statistique.").font = _NOTE
    headers = ["Feuille", "Périmètre", "Thème", "Titre", "Source", "Base",
               "Secret statistique"]
    for j, header in enumerate(headers, start=1):
        cell = write_text(ws.cell(4, j), header)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
    widths = {j: len(h) for j, h in enumerate(headers, start=1)}
    for i, (name, scope, table) in enumerate(entries, start=5):
        values = [name, scope, table.theme, table.titre, table.source, table.base,
                  table.masked_note]
        for j, value in enumerate(values, start=1):
            cell = write_text(ws.cell(i, j), value or "")
            widths[j] = max(widths[j], len(str(value or "")))
        link = ws.cell(i, 1)
        link.hyperlink = Hyperlink(ref=link.coordinate, location="'" + name.replace("'", "''") + "'!A1")
        link.font = Font(color="0563C1", underline="single")
    ws.freeze_panes = "A5"
    _fit_widths(ws, widths)


def export_workbook(tables_by_scope: Mapping[str, Sequence[ReportTable]],
                    path: str | os.PathLike) -> Path:
    """Write every table of every scope to one ``.xlsx`` workbook, atomically.

    Parameters
    ----------
    tables_by_scope : mapping
        Scope label (``Agglomération``, ``Lens (62498)``) → its tables, in display order.
        With several scopes, sheet names start with the scope label.
    path : path-like
        Target workbook; replaced whole, or left untouched if anything fails.

    Returns
    -------
    Path
        The written workbook.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = Workbook()
    summary = workbook.active
    summary.title = SUMMARY_SHEET
    taken = {SUMMARY_SHEET}
    entries: list[tuple[str, str, ReportTable]] = []
    several = len(tables_by_scope) > 1
    for scope, tables in tables_by_scope.items():
        for table in tables:
            wanted = f"{scope} {table.key}" if several else table.key
            name = sheet_name(wanted, taken)
            _write_table(workbook.create_sheet(name), table, scope)
            entries.append((name, scope, table))
    _write_summary(summary, entries)

    # the batch's temporary naming, so that a killed run's leftovers are recognised
    from cdv_lib.atomic import tmp_path

    tmp = tmp_path(path)
    try:
        workbook.save(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
