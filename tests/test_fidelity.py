"""``cdv fidelity``: the rounding comparison, the run on the embedded data, the command."""

from __future__ import annotations

import io
import shutil
from fractions import Fraction

import pandas as pd
import pytest

from cdv_lib.cli import main
from cdv_lib.fidelity import (
    EXPLAINED,
    FAILED,
    REPRODUCED,
    compare,
    fidelity_table,
    load_explanations,
    load_published,
    printed_decimals,
    summary,
)
from cdv_lib.paths import DATA_DIR


# --------------------------------------------------------------------------- compare
@pytest.mark.parametrize("printed, expected", [("42.1", 1), ("80", 0), ("-20", 0),
                                               ("4.8", 1), ("3900000", 0)])
def test_printed_decimals(printed, expected):
    assert printed_decimals(printed) == expected


@pytest.mark.parametrize("printed, computed, expected", [
    ("42.1", Fraction(8, 19), "égal"),        # 42,105…
    ("56.3", Fraction(9, 16), "égal"),        # 56,25 rounded half up
    ("19", Fraction(4, 21), "égal"),          # 19,05 at 0 decimals
    ("0", Fraction(0, 21), "égal"),
    ("43.7", Fraction(7, 16), "arrondi inférieur"),   # 43,75 → 43,8 half up
    ("47", 0.477, "arrondi inférieur"),       # 47,7 → 48; truncation gives 47
    ("47", 0.4704, "égal"),
    ("63.7", Fraction(12, 19), "écart"),      # 63,16
    ("42.1", Fraction(9, 19), "écart"),
])
def test_compare_percentages(printed, computed, expected):
    assert compare(printed, computed, unit="percent") == expected


def test_compare_counts_and_approximations():
    assert compare("36", 36) == "égal"
    assert compare("241934", 242013) == "écart"
    assert compare("3900000", 3_918_264, note="about") == "égal"
    assert compare("3900000", 3_958_000, note="about") == "arrondi inférieur"  # → 4 000 000
    assert compare("3900000", 4_058_000, note="about") == "écart"
    assert compare("4586000", 4_586_213, note="about") == "égal"
    assert compare("4586000", 4_587_213, note="about") == "écart"
    assert compare("56000", 56_040, note="about") == "égal"
    assert compare("56000", 56_040) == "écart"                      # exact when not "about"
    assert compare("1010", 1012.6) == "écart"


def test_compare_lower_bounds():
    assert compare("60", Fraction(13, 21), unit="percent", note="more than 60 %") == "égal"
    assert compare("60", Fraction(12, 21), unit="percent", note="more than 60 %") == "écart"
    assert compare("30", 31.5, note="more than") == "égal"
    assert compare("30", 30.0, note="more than") == "écart"


def test_compare_rejects_unreadable_figure():
    with pytest.raises(ValueError):
        compare("n/a", 1)


# --------------------------------------------------------------------------- embedded data
@pytest.fixture(scope="module")
def table():
    return fidelity_table()


def test_every_published_figure_is_reproduced_or_explained(table):
    published = load_published()
    assert list(table["id"]) == list(published["id"])
    counts = summary(table)
    assert counts["total"] == 146
    assert counts[FAILED] == 0, table[table["statut"] == FAILED][["id", "detail"]]
    assert counts[REPRODUCED] >= 130
    assert counts[REPRODUCED] + counts[EXPLAINED] == 146


def test_explanations_are_needed_and_cover_every_gap(table):
    explanations = load_explanations()
    assert set(explanations) <= set(table["id"])
    explained = table[table["statut"] == EXPLAINED]
    assert set(explained["id"]) == set(explanations), "explication superflue ou manquante"
    assert explained["raison"].str.len().gt(20).all()


def test_key_rows(table):
    rows = table.set_index("id")
    assert rows.loc["gouv.com.ingenierie_insuffisante", "base_n"] == 19
    assert rows.loc["gouv.com.mobilise_autres_services", "base_n"] == 18
    assert rows.loc["gouv.com.copil_satisfait", "base_n"] == 16
    assert rows.loc["gouv.asso.groupe_cls", "base_n"] == 14
    assert rows.loc["gouv.asso.coop_jamais", "base_n"] == 21   # non-response in the base
    assert rows.loc["fin.evolution_2016_2022", "statut"] == REPRODUCED
    assert rows.loc["gouv.asso.repondant_cadre", "comparaison"] == "arrondi inférieur"
    assert rows.loc["terr.pop_lens", "calcule"] == 32920
    assert rows.loc["terr.population", "statut"] == EXPLAINED


# --------------------------------------------------------------------------- failures
@pytest.fixture
def altered_data(tmp_path):
    """A copy of the embedded data where one commune changed its answer on human means."""
    target = tmp_path / "donnees"
    shutil.copytree(DATA_DIR, target)
    path = target / "questionnaires" / "communes_reponses.csv"
    frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
    first = frame.index[frame["Q02"] == "A2"][0]
    frame.loc[first, "Q02"] = "A1"      # 7/19 "insuffisants" instead of 8/19
    frame.to_csv(path, sep=";", index=False, lineterminator="\n")
    return target


def test_changed_answer_fails(altered_data):
    table = fidelity_table(altered_data)
    row = table.set_index("id").loc["gouv.com.ingenierie_insuffisante"]
    assert row["statut"] == FAILED and row["comparaison"] == "écart"
    assert summary(table)[FAILED] == 1


def test_explanation_does_not_hide_a_reproduced_figure(table):
    # an explanation for a figure the data reproduce does not change its status
    again = fidelity_table(explanations={**load_explanations(), "terr.communes": "sans objet"})
    assert again.set_index("id").loc["terr.communes", "statut"] == REPRODUCED


# --------------------------------------------------------------------------- command
def test_command_text_and_exit_code(capsys):
    assert main(["fidelity"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["id", "publié", "calculé", "statut"]
    assert "gouv.com.ingenierie_insuffisante" in out and "42,1" in out
    assert "146 chiffres publiés : " in out and "0 en échec" in out


def test_command_csv(capsys):
    assert main(["fidelity", "--csv"]) == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out), sep=";", dtype=str)
    assert len(frame) == 146
    assert {"id", "publie", "calcule", "statut", "raison"} <= set(frame.columns)


def test_command_exit_1_on_failure(altered_data, capsys):
    assert main(["fidelity", "--data", str(altered_data)]) == 1
    assert "1 en échec" in capsys.readouterr().out


def test_command_exit_2_on_unreadable_data(tmp_path, capsys):
    (tmp_path / "vide").mkdir()
    assert main(["fidelity", "--data", str(tmp_path / "vide")]) == 2
