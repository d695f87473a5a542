"""Santé theme: actions by theme/public/duration, per commune, programmation, grid, context."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from cdv_lib.survey import definition_from_dict, normalize_responses
from cdv_lib.themes import sante as S


def actions():
    rows = [
        (2021, "62001", "Atelier cuisine", "alimentation", "adultes", "ponctuelle", "ASV"),
        (2021, "62001", "Goûters", "Alimentation", "jeunes|enfants", "pérenne", "CLS"),
        (2021, "62001", "Groupe parole", "santé mentale", "adultes", "perenne", "ASV"),
        (2021, "62002", "Marche", "activité physique", "enfants", "ponctuelle", "ASV"),
        (2021, "62002", "Forum", "alimentation", pd.NA, "ponctuelle", "droit commun"),
        (2020, "62002", "Ancien", "alimentation", "seniors", "ponctuelle", "ASV"),
    ]
    df = pd.DataFrame(rows, columns=["annee", "commune", "intitule", "thematique", "public",
                                     "duree", "dispositif"])
    df["annee"] = df["annee"].astype("Int64")
    return df


def test_by_theme_merges_spellings():
    out = S.distribution(actions(), "thematique", annee=2021)
    assert list(out["thematique"]) == ["alimentation", "activité physique", "santé mentale"]
    assert list(out["n"]) == [3, 1, 1] and set(out["base_n"]) == {5}
    assert out["part"].iloc[0] == pytest.approx(0.6)


def test_by_public_shares_of_actions_with_non_response():
    out = S.distribution(actions(), "public", annee=2021).set_index("public")
    # 4 actions with a public; the "jeunes|enfants" action counts for both
    assert out.loc["adultes", "n"] == 2 and out.loc["adultes", "base_n"] == 4
    assert out.loc["adultes", "part"] == pytest.approx(0.5)
    assert out.loc["enfants", "n"] == 2 and out.loc["jeunes", "part"] == pytest.approx(0.25)
    assert out.loc[S.NOT_GIVEN, "n"] == 1 and np.isnan(out.loc[S.NOT_GIVEN, "part"])
    assert list(out.index) == ["adultes", "enfants", "jeunes", S.NOT_GIVEN]


def test_by_duration_and_commune():
    out = S.distribution(actions(), "duree", annee=2021)
    assert list(out["duree"]) == ["ponctuelle", "pérenne"] and list(out["n"]) == [3, 2]
    one = S.distribution(actions(), "thematique", commune="62001")
    assert list(zip(one["thematique"], one["n"], one["base_n"])) == [
        ("alimentation", 2, 3), ("santé mentale", 1, 3)]
    stacked = S.actions_by_commune(actions(), annee=2021)
    assert list(stacked.columns) == ["commune", "nom", "thematique", "n", "base_n", "part"]
    assert stacked.loc[stacked["commune"] == "62002", "base_n"].iloc[0] == 2


def test_actions_by_commune_is_distribution_stacked_commune_by_commune():
    extra = pd.DataFrame({
        "annee": pd.array([2021] * 5, dtype="Int64"),
        "commune": ["62003", "62003", "62003", "62001", pd.NA],
        "intitule": list("abcde"),
        "thematique": ["SANTÉ MENTALE", "santé mentale", " ", "Alimentation", "sport"],
        "public": ["Jeunes|jeunes|adultes", "adultes", pd.NA, "ENFANTS", "jeunes"],
        "duree": ["PERENNE", "autre", pd.NA, "Ponctuelle", "pérenne"],
        "dispositif": ["CLS", "ASV", "CLS", pd.NA, "ASV"],
    })
    data = pd.concat([actions(), extra], ignore_index=True)
    communes = pd.DataFrame({"code_insee": ["62001", "62002", "62003"],
                             "nom": ["Aville", "Bville", "Cville"]})
    for column in ("thematique", "public", "duree", "dispositif"):
        for annee in (None, 2021):
            got = S.actions_by_commune(data, column, annee=annee, communes=communes)
            blocks = []
            for code in ("62001", "62002", "62003"):
                block = S.distribution(data, column, commune=code, annee=annee)
                block.insert(0, "commune", code)
                blocks.append(block)
            expected = pd.concat(blocks, ignore_index=True)
            expected["commune"] = expected["commune"].astype("string")
            expected.insert(1, "nom", expected["commune"].map(
                dict(zip(communes["code_insee"], communes["nom"]))).astype("string"))
            pd.testing.assert_frame_equal(got, expected)
    first = S.actions_by_commune(data, "duree", communes=communes)
    c3 = first[first["commune"] == "62003"]
    assert list(c3["duree"]) == ["pérenne", "autre", S.NOT_GIVEN]
    assert list(c3["base_n"]) == [2, 2, 2]


def test_actions_per_commune_lists_every_commune():
    communes = pd.DataFrame({"code_insee": ["62001", "62002", "62003"],
                             "nom": ["Aville", "Bville", "Cville"]})
    out = S.actions_per_commune(actions(), annee=2021, communes=communes)
    assert list(out["commune"]) == ["62001", "62002", "62003"]
    assert list(out["n"]) == [3, 2, 0]
    assert list(out["n_ponctuelles"]) == [1, 2, 0] and list(out["n_perennes"]) == [2, 0, 0]
    assert out.loc[0, "nom"] == "Aville" and out.loc[0, "part"] == pytest.approx(0.6)


def test_health_programming_uses_finances():
    prog = pd.DataFrame({
        "annee": pd.array([2015, 2015, 2015], dtype="Int64"),
        "numero_dossier": ["A", "A", "B"], "porteur": ["p", "p", "q"],
        "intitule": ["i", "i", "j"], "commune": ["62001", "62001", "INTERCO"],
        "pilier": ["P"] * 3, "thematique": ["Santé", "Santé", "Emploi"],
        "financeur": ["État", "CALL", "État"],
        "montant_demande": [5000.0, 7337.0, 1000.0], "montant_accorde": [5000.0, 7337.0, 1000.0],
    })
    out = S.health_programming(prog)
    assert out.loc[0, "n_actions_sante"] == 1 and out.loc[0, "montant_sante"] == 12337
    assert out.loc[0, "n_actions"] == 2


def test_partnership_grid_via_survey_engine():
    definition = definition_from_dict(yaml.load("""
id: partenaires_sante
titre: Partenaires santé
reponses: p.csv
identifiant: id
questions:
  - id: niveau
    libelle: Niveau de partenariat
    type: matrice
    lignes:
      - {code: asv, libelle: ASV, colonne: asv}
      - {code: cls, libelle: CLS, colonne: cls}
    choix: [{code: "1", libelle: Relation}, {code: "2", libelle: Connexion},
            {code: "3", libelle: Cohésion}]
""", Loader=yaml.BaseLoader))
    frame = pd.DataFrame({"id": ["a", "b", "c"], "asv": ["3", "3", "1"],
                          "cls": ["2", None, "2"]}, dtype=object)
    frame.index = range(2, 5)
    survey = normalize_responses(definition, frame, file_label="p.csv")
    grid = S.partnership_grid(survey).set_index("code")
    assert grid.loc["asv", "Cohésion"] == pytest.approx(2 / 3)
    assert grid.loc["asv", "mediane_libelle"] == "Cohésion"
    assert grid.loc["cls", "base_n"] == 2 and grid.loc["cls", "non_reponses"] == 1
    long = S.partnership_long(survey)
    assert long.loc[(long["code"] == "asv") & (long["code_niveau"] == "3"), "n"].iloc[0] == 2


def test_context_indicators_side_by_side():
    ind = pd.DataFrame({
        "niveau": ["france", "epci", "departement", "region", "departement", "qpv"],
        "code": ["FR", "246200364", "62", "32", "59", "QP062001"],
        "annee": pd.array([2017] * 6, dtype="Int64"),
        "indicateur": ["mg_plus_55"] * 6,
        "valeur": [54.5, 59.8, np.nan, 56.0, 55.0, 60.0],
        "marqueur": pd.array([pd.NA, pd.NA, "nd", pd.NA, pd.NA, pd.NA], dtype="string"),
        "unite": ["%"] * 6, "sommable": [False] * 6, "source": ["RPPS"] * 6,
    })
    out = S.context_indicators(ind, ["mg_plus_55"], territoires={
        "epci": "246200364", "departement": "62", "region": "32", "france": "FR"})
    assert list(out["niveau"].astype(str)) == ["epci", "departement", "region", "france"]
    assert list(out["code"]) == ["246200364", "62", "32", "FR"]
    assert out.loc[1, "marqueur"] == "nd" and np.isnan(out.loc[1, "valeur"])
    default = S.context_indicators(ind)
    assert "qpv" not in set(default["niveau"].astype(str)) and len(default) == 5
    with pytest.raises(ValueError, match="quartier"):
        S.context_indicators(ind, territoires={"quartier": "x"})
