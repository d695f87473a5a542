"""``cdv validate``: one clear message per bad directory, exit codes, nothing written."""

from __future__ import annotations

import pytest

from cdv_lib.cli import main
from cdv_lib.validation import validate_dir


def replace_in(path, old, new, encoding="utf-8"):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_bytes(text.replace(old, new).encode(encoding))


def run(capsys, directory):
    code = main(["validate", str(directory)])
    return code, capsys.readouterr().out


def test_valid_directory_exit_0_with_summary(base_data, capsys, snapshot):
    before = snapshot(base_data)
    code, out = run(capsys, base_data)
    assert code == 0
    assert out.startswith("Données valides : ")
    assert "3 communes dont 2 signataires" in out and "2 QPV" in out
    assert "programmation : 4 lignes" in out
    assert snapshot(base_data) == before


def test_validate_dir_returns_no_problem_on_valid_data(base_data):
    assert validate_dir(base_data) == []


CASES = {
    "wrong column": ("programmation.csv", "montant_accorde", "montant_accordé", "utf-8",
                     ["programmation.csv, ligne 1, colonne « montant_accorde »",
                      "colonnes trouvées", "« montant_accordé » à renommer"]),
    "bad code": ("communes.csv", "01283;Oyonnax", "1283;Oyonnax", "utf-8",
                 ["communes.csv, ligne 4, colonne « code_insee » : valeur « 1283 »",
                  "zéro initial perdu"]),
    "negative amount": ("programmation.csv", "18 000", "-18 000", "utf-8",
                        ["programmation.csv, ligne 5, colonne « montant_accorde » : "
                         "valeur « -18 000 »", "positif ou nul"]),
    "wrong encoding": ("entretiens.csv", "réunions", "réunions", "cp850",
                       ["entretiens.csv, ligne 2, colonne « verbatim »",
                        "ni UTF-8 ni Windows-1252"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_directory_one_clear_message_exit_2(base_data, capsys, snapshot, case):
    file, old, new, encoding, fragments = CASES[case]
    replace_in(base_data / file, old, new, encoding)
    before = snapshot(base_data)
    code, out = run(capsys, base_data)
    assert code == 2
    lines = out.strip().splitlines()
    assert lines[0].startswith("Données invalides") and "1 problème" in lines[0]
    assert len(lines) == 2
    for fragment in fragments:
        assert fragment in lines[1]
    assert snapshot(base_data) == before


def test_missing_directory_exit_2(tmp_path, capsys):
    code, out = run(capsys, tmp_path / "absent")
    assert code == 2 and "absent" in out


def test_every_problem_printed_with_count(base_data, capsys):
    replace_in(base_data / "communes.csv", "14514", "-1")
    replace_in(base_data / "perr.csv", "en cours", "bientôt")
    code, out = run(capsys, base_data)
    assert code == 2
    assert "2 problèmes" in out
    assert out.count("\n- ") == 2
