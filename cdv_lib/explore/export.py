"""Export of the table an analyst sees in the explorer, to CSV or Excel, written whole or
not at all (temporary file renamed, :mod:`cdv_lib.atomic`).

CSV: separator ``;``, decimal comma, UTF-8 with BOM (what a French Excel opens directly).
Excel: a sheet « Tableau » (notes on top, then the table) with numbers as numbers.
Text cells a spreadsheet would evaluate (``=``, ``+``, ``-``, ``@``...) are neutralised.
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from cdv_lib.atomic import write_bytes
from cdv_lib.paths import PROJ_ROOT

EXPORTS_DIR = PROJ_ROOT / "exports"


def default_exports_dir() -> Path:
    """Folder of the exports: ``$CDV_EXPORTS_DIR`` if set, else ``exports/`` at the
    project root."""
    env = os.environ.get("CDV_EXPORTS_DIR")
    return Path(env).expanduser().resolve() if env else EXPORTS_DIR
FORMATS = ("xlsx", "csv")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def slug(text: object) -> str:
    """File-name-safe ASCII version of *text*: ``"Association de quartier"`` →
    ``"association_de_quartier"``."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")[:60] or "x"


def export_name(survey_id: str, question_id: str, *, by: str | None = None, row: str | None = None,
                where: dict | None = None) -> str:
    """Stem of an export file: ``associations_domaine_par_type`` (+ row, + filter)."""
    parts = [slug(survey_id), slug(question_id)]
    if row:
        parts.append(slug(row))
    if by:
        parts += ["par", slug(by)]
    for key, value in (where or {}).items():
        parts += ["filtre", slug(key), slug(value)]
    return "_".join(parts)


def _safe_text(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """The CSV bytes of *frame* (``;``, decimal comma, UTF-8 with BOM)."""
    safe = frame.copy()
    for column in safe.columns:
        safe[column] = [_safe_text(v) for v in safe[column]]
    text = safe.to_csv(sep=";", index=False, decimal=",", lineterminator="\r\n")
    return text.encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame, notes: Sequence[str] = ()) -> bytes:
    """The bytes of a workbook with one sheet « Tableau »: *notes* (one per line), an
    empty line, then *frame* with a bold header; numbers stay numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from cdv_lib.excel import write_text

    wb = Workbook()
    ws = wb.active
    ws.title = "Tableau"
    r = 1
    for line in notes:
        write_text(ws.cell(row=r, column=1), line)
        r += 1
    if notes:
        r += 1
    for j, name in enumerate(frame.columns, start=1):
        cell = write_text(ws.cell(row=r, column=j), name)
        cell.font = Font(bold=True)
    for values in frame.itertuples(index=False):
        r += 1
        for j, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=j)
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                continue
            if isinstance(value, str):
                write_text(cell, value)
            else:
                cell.value = value
    for j, name in enumerate(frame.columns, start=1):
        width = max([len(str(name))] + [len(str(v)) for v in frame.iloc[:, j - 1]])
        ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = min(60, width + 2)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def export_table(frame: pd.DataFrame, stem: str, fmt: str = "xlsx", *,
                 folder: str | Path | None = None, notes: Sequence[str] = ()) -> Path:
    """Write *frame* to ``<folder>/<stem>.<fmt>`` atomically and return the path.

    Parameters
    ----------
    frame : the table (e.g. :meth:`cdv_lib.explore.tables.Exploration.export_frame`).
    fmt : ``"xlsx"`` or ``"csv"``.
    folder : default :func:`default_exports_dir` (created if needed).
    notes : title lines written above the table (Excel only).
    """
    if fmt not in FORMATS:
        raise ValueError(f"format d'export : {' ou '.join(FORMATS)}, reçu « {fmt} »")
    folder = Path(folder) if folder is not None else default_exports_dir()
    path = folder / f"{stem}.{fmt}"
    data = to_xlsx_bytes(frame, notes) if fmt == "xlsx" else to_csv_bytes(frame)
    return write_bytes(path, data)
