"""The secrecy audit finds planted violations and passes clean outputs."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from cdv_lib.audit import audit_dir, read_deny_list
from cdv_lib.cli import main

CLEAN_HTML = """<!DOCTYPE html><html><body>
<h1>Gouvernance — Lens</h1>
<p>42,1 % des communes (n = 19) jugent les moyens insuffisants.</p>
<table><thead><tr><th></th><th>Réponse</th><th>Part</th><th>Base (n)</th></tr></thead>
<tbody><tr><th>0</th><td>Oui</td><td>50,0 %</td><td>18</td></tr>
<tr><th>1</th><td>Non</td><td>s</td><td>s</td></tr></tbody></table>
<script>var n = 2;</script>
</body></html>"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_clean_outputs_pass(tmp_path):
    write(tmp_path / "agglomeration" / "gouvernance.html", CLEAN_HTML)
    assert audit_dir(tmp_path, threshold=5) == []
    assert main(["audit", str(tmp_path)]) == 0


def test_planted_small_base_in_text_is_found(tmp_path):
    write(tmp_path / "62498" / "sante.html",
          CLEAN_HTML.replace("(n = 19)", "(n = 3)"))
    findings = audit_dir(tmp_path, threshold=5)
    assert [f.kind for f in findings] == ["base"]
    assert findings[0].file == str(Path("62498") / "sante.html")
    assert "n = 3" in findings[0].value


def test_planted_small_base_in_table_column_is_found(tmp_path):
    write(tmp_path / "a.html", CLEAN_HTML.replace("<td>18</td>", "<td>4</td>"))
    findings = audit_dir(tmp_path, threshold=5)
    assert len(findings) == 1
    assert findings[0].location == "tableau 1, ligne 1"
    assert "Base (n)" in findings[0].detail


def test_threshold_is_configurable(tmp_path):
    write(tmp_path / "a.html", CLEAN_HTML)
    # 18 and 19 are fine at 5 but under a fiscal-style threshold of 20
    assert len(audit_dir(tmp_path, threshold=20)) == 2
    assert main(["audit", str(tmp_path), "--seuil", "20"]) == 1


def test_zero_base_is_not_a_leak(tmp_path):
    write(tmp_path / "a.html", CLEAN_HTML.replace("(n = 19)", "(n = 0)"))
    assert audit_dir(tmp_path, threshold=5) == []


def test_deny_list_names_found_accent_and_case_insensitive(tmp_path):
    write(tmp_path / "p.html", CLEAN_HTML.replace("</h1>", "</h1><p>Propos de Mme Hélène DUPONT</p>"))
    names = write(tmp_path.parent / "noms.txt", "# personnes\nhelene dupont\nJean Martin\n")
    findings = audit_dir(tmp_path, threshold=5, deny_list=read_deny_list(names))
    assert [(f.kind, f.value) for f in findings] == [("nom", "helene dupont")]
    assert main(["audit", str(tmp_path), "--liste-noms", str(names)]) == 1
    # part of a longer word is not a match
    assert audit_dir(tmp_path, threshold=5, deny_list=["Dupon"]) == []


def test_excel_small_base_and_name_found(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Gouvernance"
    ws.append(["Gouvernance — Lens"])
    ws.append(["Réponse", "Part", "Base (n)"])
    ws.append(["Oui", 0.5, 18])
    ws.append(["Non", 0.5, 2])
    ws.append(["Verbatim de Jean Martin"])
    wb.save(tmp_path / "tableaux.xlsx")
    findings = audit_dir(tmp_path, threshold=5, deny_list=["jean martin"])
    kinds = sorted((f.kind, f.location) for f in findings)
    assert kinds == [("base", "feuille « Gouvernance », cellule C4"),
                     ("nom", "feuille « Gouvernance », cellule A5")]


def test_missing_dir_exit_2(tmp_path):
    assert main(["audit", str(tmp_path / "absent")]) == 2


def test_audit_writes_nothing(tmp_path):
    write(tmp_path / "a.html", CLEAN_HTML.replace("(n = 19)", "(n = 1)"))
    before = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in tmp_path.rglob("*")}
    assert main(["audit", str(tmp_path)]) == 1
    after = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in tmp_path.rglob("*")}
    assert before == after


@pytest.mark.parametrize("text,expected", [("(n = 1 234)", []), ("n=4", ["base"]),
                                            ("n\u00a0=\u00a02", ["base"])])
def test_base_text_forms(tmp_path, text, expected):
    write(tmp_path / "a.html", f"<html><body><p>{text}</p></body></html>")
    assert [f.kind for f in audit_dir(tmp_path, threshold=5)] == expected
