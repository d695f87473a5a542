"""``out/tableaux.xlsx``: every table of the successful reports in one Excel workbook.

When :func:`cdv_lib.report_tables.theme_tables` is available, the workbook is built by
:func:`cdv_lib.excel.export_workbook` from the report tables of every rendered scope (raw
values, Excel number formats). Otherwise (or if that fails) the tables are the HTML table outputs (pandas DataFrames, Stylers) of the executed
notebooks: one sheet per report, tables one under the other, each under its caption (or
``Tableau N``), plus a ``Sommaire`` sheet. Values are kept as displayed (French formatting),
plain numbers are written as numbers."""

from __future__ import annotations

import os
import re
from pathlib import Path

from cdv_lib import atomic
from cdv_lib.batch.run import OK

WORKBOOK_NAME = "tableaux.xlsx"
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def notebook_tables(nb) -> list[tuple[str | None, list[list[str]]]]:
    """``(caption, rows)`` of every HTML table output of *nb*, rows as lists of cell texts
    (header rows first)."""
    from bs4 import BeautifulSoup

    tables = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            html_text = (output.get("data") or {}).get("text/html")
            if not html_text:
                continue
            if isinstance(html_text, list):
                html_text = "".join(html_text)
            if "<table" not in html_text:
                continue
            soup = BeautifulSoup(html_text, "html.parser")
            for table in soup.find_all("table"):
                caption = table.find("caption")
                rows = []
                for tr in table.find_all("tr"):
                    cells = [" ".join(td.get_text(" ", strip=True).split())
                             for td in tr.find_all(["th", "td"])]
                    if cells:
                        rows.append(cells)
                if rows:
                    tables.append((caption.get_text(" ", strip=True) if caption else None, rows))
    return tables


def _value(text: str):
    if _NUMBER.match(text):
        return float(text) if "." in text else int(text)
    return text


def _sheet_name(record: dict, used: set[str]) -> str:
    base = _SHEET_BAD.sub("-", f"{record.get('commune') or 'agglo'} {record['theme']}")[:31]
    name, n = base, 2
    while name.lower() in used:
        suffix = f" {n}"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def _append(sheet, values: list) -> None:
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        # a text from data starting with "=" must stay text, never become a formula
        if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")) \
                and not _NUMBER.match(cell.value):
            cell.data_type = "s"


def write_workbook(out_dir: str | os.PathLike, manifest: dict, *,
                   data: str | os.PathLike | None = None, annee: int | None = None) -> Path:
    """Write ``tableaux.xlsx`` in *out_dir* (atomically) for the ``ok`` runs of *manifest*."""
    try:
        return _shared_workbook(Path(out_dir), manifest, data=data, annee=annee)
    except _Unavailable:
        pass
    except Exception as exc:  # the reports are written: keep the workbook best-effort
        import sys

        print(f"Classeur des tableaux du rapport impossible ({type(exc).__name__}: {exc}) ; "
              "classeur construit à partir des notebooks exécutés.", file=sys.stderr)
    return notebook_workbook(out_dir, manifest)


class _Unavailable(Exception):
    pass


def _shared_workbook(out_dir: Path, manifest: dict, *, data, annee) -> Path:
    try:
        from cdv_lib.dataset import load_dataset
        from cdv_lib.excel import export_workbook
        from cdv_lib.report_tables import THEMES as TABLE_THEMES, theme_tables
    except ImportError as exc:
        raise _Unavailable from exc
    dataset = load_dataset(data)
    scopes: dict[object, str] = {}
    for record in manifest.get("runs", {}).values():
        if record.get("status") == OK:
            code = record.get("commune")
            scopes.setdefault(code, "Agglomération" if code is None
                              else f"{record.get('commune_name')} ({code})")
    tables_by_scope = {}
    for code, label in sorted(scopes.items(), key=lambda kv: kv[0] is not None):
        tables = []
        for theme in TABLE_THEMES:
            tables += list(theme_tables(dataset, theme, commune=code, annee=annee))
        tables_by_scope[label] = tables
    return export_workbook(tables_by_scope, out_dir / WORKBOOK_NAME)


def notebook_workbook(out_dir: str | os.PathLike, manifest: dict) -> Path:
    """The workbook of the HTML tables of the executed notebooks of the ``ok`` runs."""
    import nbformat
    from openpyxl import Workbook
    from openpyxl.styles import Font

    out_dir = Path(out_dir)
    wb = Workbook()
    summary = wb.active
    summary.title = "Sommaire"
    summary.append(["Feuille", "Commune", "Code", "Thème", "Tableaux"])
    for c in summary[1]:
        c.font = Font(bold=True)
    used = {"sommaire"}
    for record in manifest.get("runs", {}).values():
        if record.get("status") != OK or not record.get("ipynb"):
            continue
        try:
            nb = nbformat.read(str(out_dir / record["ipynb"]), as_version=4)
        except Exception:
            continue
        tables = notebook_tables(nb)
        name = _sheet_name(record, used)
        _append(summary, [name, record.get("commune_name"), record.get("commune") or "",
                        record.get("theme_label") or record.get("theme"), len(tables)])
        sheet = wb.create_sheet(name)
        for i, (caption, rows) in enumerate(tables, start=1):
            _append(sheet, [caption or f"Tableau {i}"])
            sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
            for row in rows:
                _append(sheet, [_value(v) for v in row])
            sheet.append([])
    path = out_dir / WORKBOOK_NAME
    tmp = atomic.tmp_path(path)
    try:
        wb.save(tmp)
        atomic.commit(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
