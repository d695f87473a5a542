"""The batch's Excel workbooks, built by :func:`cdv_lib.excel.export_workbook` from the report
tables (:func:`cdv_lib.report.all_tables`), one per scope:

- ``out/tableaux.xlsx``: the agglomeration, written by every batch with the workbook on;
- ``out/<code INSEE>/tableaux.xlsx``: a commune's, on request (``cdv batch
  --classeurs-communes``), for each commune with at least one successful report.

After writing, the index page is rewritten so that it links to the workbooks that exist.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

from cdv_lib.batch.run import OK

WORKBOOK_NAME = "tableaux.xlsx"


def workbook_path(out_dir: str | os.PathLike, commune: str | None = None) -> Path:
    """Where the workbook of a scope goes: ``tableaux.xlsx`` at the top of *out_dir* for the
    agglomeration, in the commune's report folder for a commune."""
    out_dir = Path(out_dir)
    return out_dir / WORKBOOK_NAME if commune is None else out_dir / str(commune) / WORKBOOK_NAME


def _subtitle(dataset, annee: int | None) -> str:
    from datetime import date

    from cdv_lib.page import french_date

    year = annee if annee is not None else dataset.config.get("annee")
    parts = []
    if year is not None:
        parts.append(f"Année évaluée : {year}")
    parts.append(f"classeur produit le {french_date(date.today())}")
    return (" ; ".join(parts) + ". Chaque titre de la colonne « Tableau » mène à son tableau ; "
            "chaque tableau ramène ici par son lien « Retour au sommaire ».")


def scope_workbook(dataset, out_dir: str | os.PathLike, commune: str | None = None, *,
                   annee: int | None = None) -> Path:
    """Write the workbook of one scope (``None``: the agglomeration) and return its path."""
    from cdv_lib.excel import export_workbook
    from cdv_lib.report import all_tables, commune_name

    tables = all_tables(dataset, commune, annee=annee)
    return export_workbook({commune_name(dataset, commune): tables},
                           workbook_path(out_dir, commune), subtitle=_subtitle(dataset, annee))


def ok_communes(manifest: dict) -> list[str]:
    """Communes of *manifest* with at least one successful report, in manifest order."""
    codes: list[str] = []
    for record in manifest.get("runs", {}).values():
        code = record.get("commune")
        if code is not None and record.get("status") == OK and str(code) not in codes:
            codes.append(str(code))
    return codes


def _refresh_index(out_dir: Path, manifest: dict) -> None:
    from cdv_lib.batch.index import write_index

    write_index(out_dir, manifest)


def write_workbook(out_dir: str | os.PathLike, manifest: dict, *,
                   data: str | os.PathLike | None = None, annee: int | None = None) -> Path | None:
    """Write the agglomeration workbook ``tableaux.xlsx`` in *out_dir* (atomically), then
    rewrite the index so that it links to it.

    The reports are already written when this runs: a failure is reported in French on
    stderr and the function returns ``None`` (no half-written workbook is left).
    """
    from cdv_lib.dataset import load_dataset

    out_dir = Path(out_dir)
    path = None
    try:
        path = scope_workbook(load_dataset(data), out_dir, None, annee=annee)
    except Exception as exc:
        print(f"Classeur Excel des tableaux impossible ({type(exc).__name__} : {exc}).",
              file=sys.stderr)
    finally:
        _refresh_index(out_dir, manifest)
    return path


def write_commune_workbooks(out_dir: str | os.PathLike, *, data: str | os.PathLike | None = None,
                            annee: int | None = None,
                            communes: Iterable[str] | None = None) -> list[Path]:
    """Each commune's workbook ``<out_dir>/<code>/tableaux.xlsx`` for the communes with a
    successful report in ``<out_dir>/manifest.json`` (or *communes*), then the index.

    Raises the error of the first workbook that cannot be built (nothing half-written)."""
    from cdv_lib.batch import manifest as mf
    from cdv_lib.dataset import load_dataset

    out_dir = Path(out_dir)
    manifest = mf.load(out_dir)
    codes = ok_communes(manifest) if communes is None else [str(c) for c in communes]
    dataset = load_dataset(data)
    try:
        return [scope_workbook(dataset, out_dir, code, annee=annee) for code in codes]
    finally:
        _refresh_index(out_dir, manifest)
