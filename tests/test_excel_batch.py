"""The batch's workbooks: the agglomeration's out/tableaux.xlsx, each commune's on request,
the index linking them, a failure that leaves the reports and the index in place."""

from __future__ import annotations

from openpyxl import load_workbook

from cdv_lib.batch.excel import (WORKBOOK_NAME, ok_communes, workbook_path,
                                 write_commune_workbooks, write_workbook)
from cdv_lib.batch.manifest import save
from cdv_lib.excel import SUMMARY_SHEET


def manifest() -> dict:
    def rec(commune, theme, status="ok"):
        folder = commune or "agglomeration"
        return {"commune": commune, "commune_name": "Lens" if commune else "Agglomération",
                "theme": theme, "theme_label": theme.capitalize(), "status": status,
                "error": None if status == "ok" else "ValueError: x",
                "html": f"{folder}/{theme}.html" if status == "ok" else None}
    runs = [rec(None, "gouvernance"), rec("62498", "gouvernance"), rec("62498", "sante"),
            rec("62032", "gouvernance", "failed")]
    return {"version": 1, "updated": None, "data_dir": None,
            "runs": {f"{r['commune'] or 'agglomeration'}/{r['theme']}": r for r in runs}}


def test_agglomeration_then_commune_workbooks(tmp_path):
    m = manifest()
    save(tmp_path, m)
    path = write_workbook(tmp_path, m)
    assert path == tmp_path / WORKBOOK_NAME
    wb = load_workbook(path)
    assert wb.sheetnames[0] == SUMMARY_SHEET and len(wb.sheetnames) <= 40
    assert wb[SUMMARY_SHEET]["A1"].value == ("Tableaux du rapport — Communauté "
                                             "d'Agglomération de Lens-Liévin")
    assert "Année évaluée : 2022" in wb[SUMMARY_SHEET]["A2"].value
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'href="tableaux.xlsx"' in index and "62498/tableaux.xlsx" not in index

    assert ok_communes(m) == ["62498"]  # 62032 failed everywhere: no workbook
    written = write_commune_workbooks(tmp_path)
    assert written == [workbook_path(tmp_path, "62498")] == [tmp_path / "62498" / WORKBOOK_NAME]
    assert load_workbook(written[0])[SUMMARY_SHEET]["A1"].value == "Tableaux du rapport — Lens (62498)"
    assert not (tmp_path / "62032").exists()
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'href="62498/tableaux.xlsx"' in index


def test_failure_is_reported_and_leaves_the_index(tmp_path, capsys):
    m = manifest()
    path = write_workbook(tmp_path, m, data=tmp_path / "pas-de-donnees")
    assert path is None
    assert "Classeur Excel des tableaux impossible" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.html"]


def test_cli_offers_commune_workbooks(capsys):
    import pytest

    from cdv_lib.cli import main

    with pytest.raises(SystemExit):
        main(["batch", "--help"])
    assert "--classeurs-communes" in capsys.readouterr().out
