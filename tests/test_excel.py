"""The Excel workbook: sheets, French headers, number formats, formula neutralisation,
atomic write."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from cdv_lib import excel
from cdv_lib.excel import NUMBER_FORMATS, export_workbook, sheet_name
from cdv_lib.report_tables import EURO, INTEGER, PERCENT, ReportTable

HOSTILE = '=HYPERLINK("http://x","clic")'


def funding_table() -> ReportTable:
    data = pd.DataFrame({"Année": [2016, 2022], "Montant accordé": [3_900_000.0, 5_760_000.0],
                         "Actions": [120, 150]})
    return ReportTable(key="finances.par_annee", titre="Financements par année", data=data,
                       formats={"Montant accordé": EURO, "Actions": INTEGER},
                       source="Plateforme de subventions", theme="finances",
                       secret_rule="public")


def answers_table() -> ReportTable:
    data = pd.DataFrame({"Réponse": ["Oui", HOSTILE, "-1 pour tous", "@moi"],
                         "Effectif": [8, 6, np.nan, 5],
                         "Part": [8 / 19, 6 / 19, np.nan, 5 / 19],
                         "Base (n)": [19, 19, np.nan, 19]})
    mask = pd.DataFrame(False, index=data.index, columns=data.columns)
    mask.loc[2, ["Effectif", "Part", "Base (n)"]] = True
    return ReportTable(key="gouvernance.moyens_humains_suffisants_pour_la_pv",
                       titre="Moyens humains jugés suffisants", data=data,
                       formats={"Effectif": INTEGER, "Part": PERCENT, "Base (n)": INTEGER},
                       source="Questionnaire aux communes", base="19 communes répondantes",
                       mask=mask, theme="gouvernance", secret_rule="perimetre")


def header_row(ws) -> int:
    for row in ws.iter_rows(min_col=1, max_col=1):
        if row[0].value in ("Année", "Réponse"):
            return row[0].row
    raise AssertionError("en-tête introuvable")


def test_workbook_sheets_summary_headers_and_formats(tmp_path):
    path = tmp_path / "tableaux.xlsx"
    out = export_workbook({"Agglomération": [funding_table(), answers_table()],
                           "Lens (62498)": [funding_table()]}, path)
    assert out == path
    wb = load_workbook(path)
    names = wb.sheetnames
    assert names[0] == "Sommaire"
    assert len(names) == 4 and len(set(n.lower() for n in names)) == 4
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)

    summary = wb["Sommaire"]
    listed = [summary.cell(r, 1).value for r in range(5, 8)]
    assert listed == names[1:]
    assert [summary.cell(4, j).value for j in range(1, 5)] == [
        "Feuille", "Périmètre", "Thème", "Titre"]
    assert summary.cell(5, 4).value == "Financements par année"
    assert summary.cell(5, 5).value == "Plateforme de subventions"
    assert summary.cell(5, 1).hyperlink.location == f"'{names[1]}'!A1"

    ws = wb[names[1]]
    assert ws["A1"].value == "Financements par année"
    h = header_row(ws)
    assert [c.value for c in ws[h]] == ["Année", "Montant accordé", "Actions"]
    amount = ws.cell(h + 2, 2)
    assert amount.value == 5_760_000 and amount.data_type == "n"
    assert amount.number_format == NUMBER_FORMATS[EURO] == '#,##0 "€"'
    assert ws.cell(h + 2, 3).number_format == "#,##0"

    ws = wb[names[2]]
    h = header_row(ws)
    assert [c.value for c in ws[h]] == ["Réponse", "Effectif", "Part", "Base (n)"]
    share = ws.cell(h + 1, 3)
    assert share.value == pytest.approx(8 / 19) and share.number_format == "0.0 %"
    assert ws.cell(h + 1, 4).value == 19  # the base next to the percentage
    # masked row: « s », never the number
    assert [ws.cell(h + 3, j).value for j in (2, 3, 4)] == ["s", "s", "s"]
    notes = [ws.cell(r, 1).value for r in range(2, h)]
    assert "Base : 19 communes répondantes" in notes
    assert any("masquées" in (n or "") for n in notes)
    assert "Périmètre : Agglomération" in notes
    assert wb[names[3]]["A2"].value == "Périmètre : Lens (62498)"


def test_formula_like_text_is_stored_as_text(tmp_path):
    path = export_workbook({"Agglomération": [answers_table()]}, tmp_path / "t.xlsx")
    ws = load_workbook(path).worksheets[1]
    h = header_row(ws)
    for row, text in [(h + 2, HOSTILE), (h + 3, "-1 pour tous"), (h + 4, "@moi")]:
        cell = ws.cell(row, 1)
        assert cell.value == text
        assert cell.data_type == "s"
        assert cell.quotePrefix
    assert ws.cell(h + 1, 1).data_type == "s" and not ws.cell(h + 1, 1).quotePrefix
    # nothing anywhere in the file is a formula
    wb = load_workbook(path)
    assert not [c.coordinate for s in wb.worksheets for r in s.iter_rows() for c in r
                if c.data_type == "f"]


def test_hostile_sheet_title_and_scope(tmp_path):
    table = ReportTable(key="=cmd|' /C calc'!A0", titre=HOSTILE,
                        data=pd.DataFrame({"Commune": ["+33 Lens"]}), source="@source",
                        theme="-thème", secret_rule="public")
    path = export_workbook({"=Agglo": [table]}, tmp_path / "t.xlsx")
    wb = load_workbook(path)
    ws = wb.worksheets[1]
    assert ws["A1"].value == HOSTILE and ws["A1"].data_type == "s"
    assert not set(ws.title) & set("[]:*?/\\")
    summary = wb["Sommaire"]
    assert all(summary.cell(5, j).data_type == "s" for j in range(1, 6))
    assert summary.cell(5, 1).hyperlink.location == "'" + ws.title.replace("'", "''") + "'!A1"


def test_sheet_names_are_valid_and_unique():
    taken = {"Sommaire"}
    long = "gouvernance.une_question_au_libelle_vraiment_tres_long"
    first = sheet_name(long, taken)
    second = sheet_name(long, taken)
    assert len(first) == 31 and len(second) == 31 and first != second
    assert second.endswith("~2")
    assert sheet_name("a/b:c*d?[e]\\f", taken) == "a_b_c_d__e__f"
    assert sheet_name("SOMMAIRE", taken) == "SOMMAIRE~2"
    assert sheet_name("'", taken) == "Feuille"


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


def test_workbook_of_the_embedded_data_passes_the_secrecy_audit(tmp_path):
    from cdv_lib.audit import scan_xlsx
    from cdv_lib.dataset import load_dataset
    from cdv_lib.report_tables import all_tables, commune_name

    dataset = load_dataset()
    scopes = {commune_name(dataset, c): all_tables(dataset, c) for c in (None, "62498")}
    path = export_workbook(scopes, tmp_path / "tableaux.xlsx")
    wb = load_workbook(path, read_only=True)
    assert len(wb.sheetnames) == 1 + sum(len(t) for t in scopes.values())
    wb.close()
    assert scan_xlsx(path, threshold=5, deny=[]) == []
