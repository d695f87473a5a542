"""Gouvernance theme: axis tables, cooperation grid, response rates (via the survey engine)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from cdv_lib.survey import definition_from_dict, normalize_responses
from cdv_lib.themes import gouvernance as G

DEFINITION = """
id: communes
titre: Questionnaire aux communes
reponses: communes.csv
identifiant: id
envoyes: 6
questions:
  - id: ingenierie
    libelle: Moyens humains suffisants ?
    type: unique
    axe: Moyens
    colonne: Q1
    choix: [{code: oui, libelle: Oui}, {code: non, libelle: Non}]
  - id: attentes
    libelle: Attentes envers la CALL
    type: multiple
    axe: Moyens
    choix:
      - {code: metho, libelle: Méthodologie, colonne: "Q2[a]"}
      - {code: reseau, libelle: Réseau, colonne: "Q2[b]"}
  - id: copil
    libelle: Satisfaction COPIL
    type: echelle
    axe: Gouvernance
    colonne: Q3
    choix: [{code: "1", libelle: Pas satisfait}, {code: "2", libelle: En partie},
            {code: "3", libelle: Satisfait}]
  - id: grille
    libelle: Niveau de coopération
    type: matrice
    axe: Coopération
    lignes:
      - {code: etat, libelle: État, colonne: "Q4[etat]"}
      - {code: region, libelle: Région, colonne: "Q4[region]"}
    choix:
      - {code: "1", libelle: Relation}
      - {code: "2", libelle: Connexion}
      - {code: "3", libelle: Cohésion}
      - {code: "4", libelle: Connexion dynamique}
      - {code: "5", libelle: Cohésion dynamique}
  - id: remarque
    libelle: Remarques
    type: texte
    axe: Moyens
    colonne: Q5
"""

RESPONSES = [
    # id,  Q1,    Q2[a], Q2[b], Q3,  etat, region, Q5
    ("c1", "oui", "Y", "Y", "3", "2", "1", "Très bien, signé le maire de X"),
    ("c2", "non", "Y", "", "2", "2", "1", ""),
    ("c3", "oui", "", "", "3", "4", "", ""),
    ("c4", "", "", "Y", "2", "5", "3", ""),
    ("c5", "Oui", "Y", "", "", "3", "1", ""),
]


def make_survey(text=DEFINITION, rows=RESPONSES):
    definition = definition_from_dict(yaml.load(text, Loader=yaml.BaseLoader))
    frame = pd.DataFrame(rows, columns=["id", "Q1", "Q2[a]", "Q2[b]", "Q3", "Q4[etat]",
                                        "Q4[region]", "Q5"], dtype=object)
    frame = frame.replace("", None)
    frame.index = range(2, len(frame) + 2)
    return normalize_responses(definition, frame, file_label="communes.csv")


def block(table, question_id, ligne=""):
    sel = table[(table["question_id"] == question_id) & (table["ligne"] == ligne)]
    return sel.set_index("code")


def test_axes_hold_every_choice_question_with_base():
    axes = G.questionnaire_axes(make_survey())
    assert list(axes) == ["Moyens", "Gouvernance", "Coopération"]
    moyens = axes["Moyens"]
    assert list(dict.fromkeys(moyens["question_id"])) == ["ingenierie", "attentes"]
    assert "remarque" not in set(moyens["question_id"])   # free text never stacked
    ing = block(moyens, "ingenierie")
    assert ing.loc["oui", "n"] == 3 and ing.loc["oui", "base_n"] == 4   # "Oui" label = oui
    assert ing.loc["oui", "part"] == pytest.approx(0.75)
    assert ing.loc["_nr", "n"] == 1 and np.isnan(ing.loc["_nr", "part"])
    att = block(moyens, "attentes")
    # multiple choice: shares of the 4 respondents who ticked something
    assert att.loc["metho", "part"] == pytest.approx(0.75)
    assert att.loc["reseau", "part"] == pytest.approx(0.5)
    assert att.loc["_nr", "n"] == 1
    copil = block(axes["Gouvernance"], "copil")
    assert list(copil["n"]) == [0, 2, 2, 1] and copil["base_n"].iloc[0] == 4


def test_axes_matrix_rows_in_coop_axis():
    coop = G.questionnaire_axes(make_survey())["Coopération"]
    region = block(coop, "grille", "region")
    assert region.loc["1", "n"] == 3 and region.loc["1", "base_n"] == 4
    assert region.loc["_nr", "n"] == 1


def test_cooperation_grid_shares_base_median():
    grid = G.cooperation_grid(make_survey()).set_index("code")
    assert list(grid.columns[1:6]) == ["Relation", "Connexion", "Cohésion",
                                       "Connexion dynamique", "Cohésion dynamique"]
    # État: 2, 2, 4, 5, 3 → Connexion 2/5; lower median of [2,2,3,4,5] is 3 (Cohésion)
    assert grid.loc["etat", "Connexion"] == pytest.approx(0.4)
    assert grid.loc["etat", "base_n"] == 5
    assert grid.loc["etat", "mediane_libelle"] == "Cohésion"
    # Région: 1, 1, 3, 1 (one non-response) → Relation 3/4, median Relation
    assert grid.loc["region", "Relation"] == pytest.approx(0.75)
    assert grid.loc["region", "non_reponses"] == 1
    assert grid.loc["region", "mediane"] == "1"

    long = G.cooperation_long(make_survey())
    etat = long[long["code"] == "etat"].set_index("code_niveau")
    assert list(etat["n"]) == [0, 2, 1, 1, 1]
    assert long["niveau"].cat.ordered
    assert list(long["niveau"].cat.categories)[0] == "Relation"


def test_cooperation_grid_needs_a_matrix():
    with pytest.raises(ValueError, match="grille"):
        G.cooperation_grid(make_survey(), "copil")


def test_response_rates():
    assos_def = DEFINITION.replace("id: communes", "id: associations").replace(
        "envoyes: 6", "envoyes: 70")
    out = G.response_rates({"communes": make_survey(),
                            "associations": make_survey(assos_def, RESPONSES[:3])})
    assert list(out["questionnaire"]) == ["communes", "associations"]
    assert list(out["recus"]) == [5, 3] and list(out["envoyes"]) == [6, 70]
    assert out["taux"].tolist() == pytest.approx([5 / 6, 3 / 70])
    assert list(out["base_n"]) == [6, 70]


def test_where_recomputes_bases():
    table = G.question_table(make_survey(), ["ingenierie"], where={"copil": "3"})
    ing = block(table, "ingenierie")
    assert ing.loc["oui", "n"] == 2 and ing.loc["oui", "base_n"] == 2
