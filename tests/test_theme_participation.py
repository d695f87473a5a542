"""Participation theme: codes per interview, verbatims, ladder, conseils citoyens."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from cdv_lib.survey import definition_from_dict, normalize_responses
from cdv_lib.themes import participation as P


def entretiens():
    rows = [
        # id, type_acteur, categorie, code, verbatim, anonymise, nom (identifying)
        ("INT-Durand", "habitant", "frein", "manque_info", "On ne sait jamais rien.", True,
         "M. Durand"),
        ("INT-Durand", "habitant", "frein", "manque_info", "Toujours pas d'info.", False,
         "M. Durand"),
        ("INT-Durand", "habitant", "constat", "echelle:Consultation", pd.NA, False,
         "M. Durand"),
        ("INT-Martin", "habitant", "frein", "manque_info", "", True, "Mme Martin"),
        ("INT-Martin", "habitant", "levier", "centre_social", "Le centre nous aide.", True,
         "Mme Martin"),
        ("INT-Martin", "habitant", "constat", "Échelle:concertation", pd.NA, True,
         "Mme Martin"),
        ("INT-Asso", "association", "levier", "centre_social", pd.NA, False, "Asso Y"),
        ("INT-Asso", "association", "constat", "echelle:co decision", pd.NA, False, "Asso Y"),
        ("INT-Asso", "association", "constat", "echelle:concertation", pd.NA, False, "Asso Y"),
    ]
    df = pd.DataFrame(rows, columns=["id_entretien", "type_acteur", "categorie", "code",
                                     "verbatim", "anonymise", "nom"])
    df["verbatim"] = df["verbatim"].astype("string")
    return df


def test_interviews_by_actor_counts_interviews():
    out = P.interviews_by_actor(entretiens()).set_index("type_acteur")
    assert out.loc["habitant", "n"] == 2 and out.loc["habitant", "base_n"] == 3
    assert out.loc["association", "part"] == pytest.approx(1 / 3)


def test_codes_count_interviews_not_rows():
    out = P.codes_by_actor(entretiens()).set_index(["type_acteur", "categorie", "code"])
    info = out.loc[("habitant", "frein", "manque_info")]
    assert info["n"] == 2 and info["n_mentions"] == 3   # Durand twice, Martin once
    assert info["base_n"] == 2 and info["part"] == pytest.approx(1.0)
    overall = P.codes_by_actor(entretiens(), by_actor=False).set_index(["categorie", "code"])
    assert overall.loc[("levier", "centre_social"), "n"] == 2
    assert overall.loc[("levier", "centre_social"), "base_n"] == 3


def test_verbatims_only_cleared_and_pseudonymised():
    out = P.verbatims(entretiens())
    assert list(out.columns) == ["entretien", "type_acteur", "categorie", "code", "verbatim"]
    # Durand's 2nd (not cleared) and Martin's empty verbatim are left out
    assert list(out["verbatim"]) == ["On ne sait jamais rien.", "Le centre nous aide."]
    assert list(out["entretien"]) == ["P01", "P02"]
    flat = " ".join(out.astype(str).to_numpy().ravel())
    assert "Durand" not in flat and "Martin" not in flat and "INT-" not in flat


def test_pseudonyms_follow_first_appearance():
    names = P.pseudonyms(entretiens())
    assert names == {"INT-Durand": "P01", "INT-Martin": "P02", "INT-Asso": "P03"}
    # ids already numbered like the pseudonyms: another prefix, never an original id
    df = entretiens()
    df["id_entretien"] = df["id_entretien"].map(
        {"INT-Durand": "P02", "INT-Martin": "P01", "INT-Asso": "P03"})
    renamed = P.pseudonyms(df)
    assert renamed == {"P02": "PS01", "P01": "PS02", "P03": "PS03"}


def test_ladder_from_codes():
    out = P.participation_ladder(entretiens())
    assert list(out["niveau"].astype(str)) == P.LADDER
    assert out["niveau"].cat.ordered
    assert list(out["n"]) == [0, 1, 2, 0, 1]
    assert list(out["n_mentions"]) == [0, 1, 2, 0, 1]
    assert set(out["base_n"]) == {3}
    assert out["part"].tolist() == pytest.approx([0, 1 / 3, 2 / 3, 0, 1 / 3])
    assert "echelle:" in out["source"].iloc[0]


def test_ladder_from_column_and_unknown_level():
    df = entretiens()
    df["niveau"] = ["information", None, None, "Co-construction", None, None, None, None,
                    "coconstruction"]
    out = P.participation_ladder(df, column="niveau").set_index("niveau")
    assert out.loc["Information", "n"] == 1 and out.loc["Co-construction", "n"] == 2
    df.loc[0, "code"] = "echelle:manipulation"
    with pytest.raises(ValueError, match="manipulation"):
        P.participation_ladder(df)


def test_conseils_citoyens_via_survey_engine():
    definition = definition_from_dict(yaml.load("""
id: conseils_citoyens
titre: Conseils citoyens
reponses: cc.csv
identifiant: id
questions:
  - id: utile
    libelle: Le conseil citoyen est-il utile ?
    type: echelle
    colonne: Q1
    choix: [{code: "1", libelle: Pas du tout}, {code: "2", libelle: Plutôt non},
            {code: "3", libelle: Oui plutôt}]
""", Loader=yaml.BaseLoader))
    frame = pd.DataFrame({"id": ["a", "b", "c", "d", "e", "f", "g"],
                          "Q1": ["1", "3", "1", "3", "1", "3", None]}, dtype=object)
    frame.index = range(2, 9)
    survey = normalize_responses(definition, frame, file_label="cc.csv")
    out = P.conseils_citoyens(survey).set_index("code")
    assert out.loc["3", "n"] == 3 and out.loc["3", "base_n"] == 6
    assert out.loc["3", "part"] == pytest.approx(0.5)
    assert out.loc["_nr", "n"] == 1
