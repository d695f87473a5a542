"""The Excel workbook: Sommaire with links that land on their tables, one sheet per theme,
readable sheet names, numbers with Excel formats, « s » and its legend, frozen panes, column
widths, formula neutralisation, atomic write, and LibreOffice opening it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from cdv_lib import excel
from cdv_lib.excel import (LEGEND, MAX_SHEETS, NUMBER_FORMATS, SUMMARY_HEADER_ROW,
                           SUMMARY_SHEET, export_workbook, sheet_name, shorten, summary_links)
from cdv_lib.report.table import EURO, INTEGER, PERCENT, ReportTable

HOSTILE = '=HYPERLINK("http://x","clic")'
FORBIDDEN = set("[]:*?/\\")


def funding_table() -> ReportTable:
    data = pd.DataFrame({"Année": [2016, 2022], "Montant accordé": [3_900_000.0, 5_760_000.0],
                         "Actions": [120, 150]})
    return ReportTable(key="finances.par_annee", titre="Financements par année", data=data,
                       formats={"Montant accordé": EURO, "Actions": INTEGER},
                       source="Plateforme de subventions", theme="finances",
                       secret_rule="public")


def answers_table(key: str = "gouvernance.moyens_humains",
                  titre: str = "Moyens humains jugés suffisants") -> ReportTable:
    data = pd.DataFrame({"Réponse": ["Oui", HOSTILE, "-1 pour tous", "@moi"],
                         "Effectif": [8, 6, np.nan, 5],
                         "Part": [8 / 19, 6 / 19, np.nan, 5 / 19],
                         "Base (n)": [19, 19, np.nan, 19]})
    mask = pd.DataFrame(False, index=data.index, columns=data.columns)
    mask.loc[2, ["Effectif", "Part", "Base (n)"]] = True
    return ReportTable(key=key, titre=titre, data=data,
                       formats={"Effectif": INTEGER, "Part": PERCENT, "Base (n)": INTEGER},
                       source="Questionnaire aux communes", base="19 communes répondantes",
                       mask=mask, theme="gouvernance", secret_rule="perimetre")


def long_table(rows: int = 60) -> ReportTable:
    data = pd.DataFrame({"Entretien": [f"E{i}" for i in range(rows)],
                         "Verbatim": ["Un long verbatim " * 8] * rows})
    return ReportTable(key="participation.verbatims",
                       titre="Verbatims anonymisés des habitants par type d'acteur", data=data,
                       theme="participation", source="Entretiens", secret_rule="verbatims")


def header_row(ws, first: str, start: int = 1) -> int:
    for row in ws.iter_rows(min_row=start, min_col=1, max_col=1):
        if row[0].value == first:
            return row[0].row
    raise AssertionError(f"en-tête « {first} » introuvable")


def assert_links_land(path) -> list[tuple[str, str, str]]:
    wb = load_workbook(path)
    links = summary_links(path)
    for text, sheet, coordinate in links:
        assert wb[sheet][coordinate].value == text, (text, sheet, coordinate)
    return links


def test_workbook_summary_theme_sheets_and_formats(tmp_path):
    path = tmp_path / "tableaux.xlsx"
    tables = [funding_table(), answers_table(),
              answers_table("gouvernance.elu", "Élu délégué à la Politique de la Ville"),
              long_table()]
    out = export_workbook({"Lens (62498)": tables}, path)
    assert out == path
    wb = load_workbook(path)
    # one sheet per theme, the long table on its own sheet, named without a cut word
    assert wb.sheetnames == [SUMMARY_SHEET, "Programmation et finances", "Gouvernance",
                             "Verbatims anonymisés…"]
    assert all(len(n) <= 31 and not set(n) & FORBIDDEN for n in wb.sheetnames)

    summary = wb[SUMMARY_SHEET]
    assert [summary.cell(SUMMARY_HEADER_ROW, j).value for j in range(1, 7)] == [
        "Thème", "Tableau", "Feuille", "Base", "Source", "Secret statistique"]
    first = SUMMARY_HEADER_ROW + 1
    assert [summary.cell(r, 2).value for r in range(first, first + 4)] == [t.titre for t in tables]
    assert summary.cell(first, 1).value == "Programmation et finances"
    assert summary.cell(first + 1, 4).value == "19 communes répondantes"
    assert "masquées" in summary.cell(first + 1, 6).value
    assert LEGEND in [summary.cell(r, 1).value for r in range(1, SUMMARY_HEADER_ROW)]
    assert summary["A1"].value == "Tableaux du rapport — Lens (62498)"
    links = assert_links_land(path)
    assert [(s, c) for _t, s, c in links] == [
        ("Programmation et finances", "A1"), ("Gouvernance", "A1"),
        ("Gouvernance", f"A{1 + 4 + 1 + 4 + 1 + 2 + 1}"), ("Verbatims anonymisés…", "A1")]
    assert summary.freeze_panes == f"A{first}"

    ws = wb["Programmation et finances"]
    assert ws["A1"].value == "Financements par année"
    h = header_row(ws, "Année")
    assert [ws.cell(r, 1).value for r in range(2, h)] == [
        "Périmètre : Lens (62498)", "Source : Plateforme de subventions"]
    assert [c.value for c in ws[h]] == ["Année", "Montant accordé", "Actions"]
    assert ws.cell(h + 1, 1).value == 2016 and ws.cell(h + 1, 1).data_type == "n"
    amount = ws.cell(h + 2, 2)
    assert amount.value == 5_760_000 and amount.data_type == "n"
    assert amount.number_format == NUMBER_FORMATS[EURO] == '#,##0 "€"'
    assert ws.cell(h + 2, 3).number_format == "#,##0"
    back = ws.cell(h + 3, 1)
    assert back.value == excel.BACK_LINK and back.hyperlink.location == "'Sommaire'!A1"
    assert ws.freeze_panes == f"A{h + 1}"  # one table: its header stays in view
    assert ws.column_dimensions["B"].width >= len("5 760 000 €")

    ws = wb["Gouvernance"]
    h = header_row(ws, "Réponse")
    assert [c.value for c in ws[h]] == ["Réponse", "Effectif", "Part", "Base (n)"]
    share = ws.cell(h + 1, 3)
    assert share.value == pytest.approx(8 / 19) and share.number_format == NUMBER_FORMATS[PERCENT]
    assert ws.cell(h + 1, 4).value == 19  # the base next to the percentage
    assert [ws.cell(h + 3, j).value for j in (2, 3, 4)] == ["s", "s", "s"]  # never the number
    assert ws.cell(h + 3, 2).alignment.horizontal == "right"
    notes = [ws.cell(r, 1).value for r in range(2, h)]
    assert notes[:2] == ["Périmètre : Lens (62498)", "Base : 19 communes répondantes"]
    assert any("masquées (s)" in n for n in notes) and notes[-1].startswith("Source : ")
    # a table block ends at an empty row: the secrecy audit reads each block on its own
    assert all(ws.cell(h + 6, j).value is None for j in range(1, 5))
    second = header_row(ws, "Réponse", h + 1)
    assert ws.cell(second - 5, 1).value == "Élu délégué à la Politique de la Ville"
    assert ws.freeze_panes is None  # several tables, each with its own header
    assert ws.column_dimensions["A"].width >= len("-1 pour tous")


def test_formula_like_text_is_stored_as_text(tmp_path):
    path = export_workbook({"Agglomération": [answers_table()]}, tmp_path / "t.xlsx")
    ws = load_workbook(path)["Gouvernance"]
    h = header_row(ws, "Réponse")
    for row, text in [(h + 2, HOSTILE), (h + 3, "-1 pour tous"), (h + 4, "@moi")]:
        cell = ws.cell(row, 1)
        assert cell.value == text
        assert cell.data_type == "s"
        assert cell.quotePrefix
    assert ws.cell(h + 1, 1).data_type == "s" and not ws.cell(h + 1, 1).quotePrefix
    wb = load_workbook(path)
    assert not [c.coordinate for s in wb.worksheets for r in s.iter_rows() for c in r
                if c.data_type == "f"]


def test_hostile_sheet_title_and_scope(tmp_path):
    table = ReportTable(key="=cmd|' /C calc'!A0", titre=HOSTILE,
                        data=pd.DataFrame({"Commune": ["+33 Lens"]}), source="@source",
                        theme="=cmd|' /C calc'!A0", secret_rule="public")
    path = export_workbook({"=Agglo": [table]}, tmp_path / "t.xlsx")
    wb = load_workbook(path)
    ws = wb.worksheets[1]
    assert not set(ws.title) & FORBIDDEN and len(ws.title) <= 31
    assert ws["A1"].value == HOSTILE and ws["A1"].data_type == "s"
    assert ws["A2"].value == "Périmètre : =Agglo" and ws["A2"].data_type == "s"
    summary = wb[SUMMARY_SHEET]
    row = SUMMARY_HEADER_ROW + 1
    assert all(summary.cell(row, j).data_type == "s" for j in (1, 2, 3, 5))
    assert summary.cell(row, 2).hyperlink.location == "'" + ws.title.replace("'", "''") + "'!A1"
    assert_links_land(path)
    assert not [c for s in wb.worksheets for r in s.iter_rows() for c in r if c.data_type == "f"]


def test_sheet_names_are_valid_unique_and_cut_at_words():
    taken = {"Sommaire"}
    long = "Le Contrat de Ville a-t-il permis la mobilisation du droit commun ?"
    first = sheet_name(long, taken)
    second = sheet_name(long, taken)
    assert first == "Le Contrat de Ville a-t-il…" and second == "Le Contrat de Ville a-t-il… (2)"
    assert len(second) <= 31
    assert sheet_name("a/b:c*d?[e]\\f", taken) == "a b c d e f"
    assert sheet_name("SOMMAIRE", taken) == "SOMMAIRE (2)"
    assert sheet_name("'", taken) == "Feuille"
    # a cut before a complement keeps a whole noun phrase, no dangling word
    assert shorten("Freins, leviers et propositions par type d'acteur") == \
        "Freins, leviers et propositions"
    assert shorten("Financements mobilisés de la politique de la ville") == \
        "Financements mobilisés…"
    cut = shorten("Anticonstitutionnellementissimement-long-mot-unique")
    assert len(cut) == 31 and cut.startswith("Anticonstitutionnellement") and cut.endswith("…")


def test_too_many_sheets_is_refused(tmp_path):
    tables = [ReportTable(key=f"t{i}.x", titre=f"T{i}", data=pd.DataFrame({"a": [1]}),
                          theme=f"theme{i}", secret_rule="public") for i in range(MAX_SHEETS)]
    with pytest.raises(ValueError, match="au plus 40"):
        export_workbook({"Agglomération": tables}, tmp_path / "t.xlsx")
    assert not list(tmp_path.iterdir())


def test_failure_leaves_no_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    path = tmp_path / "tableaux.xlsx"
    path.write_bytes(b"ancien")

    def broken(self, filename):
        with open(filename, "wb") as fh:
            fh.write(b"moitie")
        raise OSError("disque plein")

    monkeypatch.setattr(excel.Workbook, "save", broken)
    with pytest.raises(OSError, match="disque plein"):
        export_workbook({"Agglomération": [funding_table()]}, path)
    assert path.read_bytes() == b"ancien"
    assert [p.name for p in tmp_path.iterdir()] == ["tableaux.xlsx"]


def test_percentage_without_base_is_refused():
    with pytest.raises(ValueError, match="suivie de sa base"):
        ReportTable(key="x", titre="x", data=pd.DataFrame({"Part": [0.5], "n": [3]}),
                    formats={"Part": PERCENT}, secret_rule="population")


@pytest.fixture(scope="module")
def embedded_workbooks(tmp_path_factory):
    from cdv_lib.dataset import load_dataset
    from cdv_lib.report import all_tables, commune_name

    dataset = load_dataset()
    folder = tmp_path_factory.mktemp("classeurs")
    out = {}
    for code in (None, "62498"):
        tables = all_tables(dataset, code)
        path = export_workbook({commune_name(dataset, code): tables},
                               folder / f"tableaux_{code or 'agglo'}.xlsx")
        out[code] = (path, tables)
    return out


def test_workbooks_of_the_embedded_data(embedded_workbooks):
    for code, (path, tables) in embedded_workbooks.items():
        wb = load_workbook(path)
        assert len(wb.sheetnames) <= MAX_SHEETS
        assert all(len(n) <= 31 and not n.endswith(("_", ".", "~")) for n in wb.sheetnames)
        links = assert_links_land(path)
        assert sorted(text for text, _s, _c in links) == sorted(t.titre for t in tables)
        numbers = [c for s in wb.worksheets[1:] for r in s.iter_rows() for c in r
                   if c.data_type == "n" and c.value is not None]
        assert numbers and all(c.number_format for c in numbers)
        assert any(c.number_format == NUMBER_FORMATS[PERCENT] for c in numbers)
        assert not [c for s in wb.worksheets for r in s.iter_rows() for c in r if c.data_type == "f"]


def test_workbooks_of_the_embedded_data_pass_the_secrecy_audit(embedded_workbooks, tmp_path):
    try:
        import cdv_lib.audit_read  # noqa: F401  (reads several tables per sheet)
    except ImportError:
        pytest.skip("l'audit qui lit plusieurs tableaux par feuille (cdv_lib.audit_read) "
                    "n'est pas encore intégré")
    from cdv_lib.audit import audit_dir

    for code, (path, _tables) in embedded_workbooks.items():
        folder = tmp_path / (code or "agglomeration")
        folder.mkdir()
        shutil.copy(path, folder / "tableaux.xlsx")
        assert audit_dir(folder, threshold=5) == [], code


@pytest.mark.slow
def test_libreoffice_opens_the_workbook(embedded_workbooks, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice absent : paquet Debian libreoffice-calc-nogui "
                    "(bash scripts/test.sh l'installe)")
    path, tables = embedded_workbooks[None]
    source = tmp_path / "source"
    source.mkdir()
    shutil.copy(path, source / "tableaux.xlsx")
    converted = tmp_path / "converti"
    profile = (tmp_path / "profil").as_uri()
    # a French locale, as the analysts' spreadsheet: the formats are shown the French way
    french = {**os.environ, "LANG": "fr_FR.UTF-8", "LC_ALL": "fr_FR.UTF-8"}
    for target in ("pdf", "xlsx"):
        done = subprocess.run(
            [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
             "--convert-to", target, "--outdir", str(converted), str(source / "tableaux.xlsx")],
            capture_output=True, text=True, timeout=180, env=french)
        assert done.returncode == 0, done.stderr
        assert "Error" not in done.stderr, done.stderr
        assert (converted / f"tableaux.{target}").stat().st_size > 1000
    if shutil.which("pdftotext"):
        shown = subprocess.run(["pdftotext", str(converted / "tableaux.pdf"), "-"],
                               capture_output=True, text=True, timeout=60).stdout
        assert re.search(r"\d,\d %", shown) and re.search(r"\d{1,3} \d{3} €", shown)
    # what LibreOffice read is what was written: same sheets, links kept, numbers typed
    again = load_workbook(converted / "tableaux.xlsx")
    assert again.sheetnames == load_workbook(path).sheetnames
    summary = again[SUMMARY_SHEET]
    titles = [summary.cell(r, 2).value
              for r in range(SUMMARY_HEADER_ROW + 1, SUMMARY_HEADER_ROW + 1 + len(tables))]
    assert sorted(titles) == sorted(t.titre for t in tables)
    linked = [summary.cell(r, 2).hyperlink
              for r in range(SUMMARY_HEADER_ROW + 1, SUMMARY_HEADER_ROW + 1 + len(tables))]
    assert all(link is not None for link in linked)
