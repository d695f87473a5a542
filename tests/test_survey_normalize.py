"""Normalisation of LimeSurvey- and Forms-style exports into long answers."""

import textwrap

import pandas as pd
import pytest

from cdv_lib.errors import DataError
from cdv_lib.survey import load_survey

LIMESURVEY_YAML = """
id: communes
titre: Questionnaire aux communes
reponses: export_limesurvey.csv
identifiant: id
envoyes: 19
valeurs_manquantes: ["NA", "Sans réponse", "-oth-"]
attributs:
  commune: {colonne: commune}
  taille: {colonne: "Q2"}
questions:
  - id: attentes
    libelle: Attentes envers la CALL
    type: multiple
    format: limesurvey
    choix:
      - {code: metho, libelle: Appui en méthodologie de projets, colonne: "Q5[SQ001]"}
      - {code: reseau, libelle: Animation du réseau des acteurs, colonne: "Q5[SQ002]"}
  - id: moyens
    libelle: Moyens humains
    type: unique
    colonne: Q3
    choix:
      - {code: ins, libelle: Insuffisants}
      - {code: suf, libelle: Suffisants}
  - id: coop
    libelle: Coopérations
    type: echelle
    colonne: Q7
    choix:
      - {code: "1", libelle: Jamais}
      - {code: "2", libelle: Rarement}
      - {code: "3", libelle: Souvent}
  - id: grille
    libelle: Niveau de coopération
    type: matrice
    lignes:
      - {code: etat, libelle: État, colonne: "Q9[etat]"}
      - {code: region, libelle: Région, colonne: "Q9[region]"}
    choix:
      - {code: "1", libelle: Relation}
      - {code: "2", libelle: Connexion}
  - id: etp
    libelle: Personnes affectées
    type: numerique
    colonne: Q4
  - id: propositions
    libelle: Propositions
    type: texte
    colonne: Q11
"""

# rows 2..6 of the spreadsheet; row 4 answers nothing at all (non-response everywhere)
LIMESURVEY_CSV = """\
id;commune;Q2;Q5[SQ001];Q5[SQ002];Q3;Q7;Q9[etat];Q9[region];Q4;Q11
c1;Lens;grande;Y;Y;Insuffisants;3;Relation;2;1,5;Plus de moyens
c2;Liévin;grande;Y;N;suf;Rarement;1;;2;
c3;Avion;petite;;;;;;;;
c4;Harnes;petite;N;Oui;Sans réponse;  souvent ;connexion;1;NA;-oth-
c5;Méricourt;;X;;INSUFFISANTS;1;2;2;3;
"""


def write(tmp_path, yaml_text, name, csv_text, encoding="utf-8"):
    (tmp_path / "q.yaml").write_text(textwrap.dedent(yaml_text), encoding="utf-8")
    (tmp_path / name).write_text(csv_text, encoding=encoding)
    return tmp_path / "q.yaml"


def answers_of(survey, qid):
    a = survey.answers[survey.answers["question_id"] == qid]
    return sorted(zip(a["respondent_id"], a["row"], a["value"]))


def test_limesurvey_export(tmp_path):
    s = load_survey(write(tmp_path, LIMESURVEY_YAML, "export_limesurvey.csv", LIMESURVEY_CSV))
    assert list(s.respondents.columns) == ["respondent_id", "commune", "taille"]
    assert list(s.respondents["respondent_id"]) == ["c1", "c2", "c3", "c4", "c5"]
    assert pd.isna(s.respondents.loc[4, "taille"])
    assert list(s.answers.columns) == ["respondent_id", "question_id", "row", "value"]
    # multiple: one row per ticked choice; c3 ticked nothing -> no row
    assert answers_of(s, "attentes") == [
        ("c1", "", "metho"), ("c1", "", "reseau"), ("c2", "", "metho"),
        ("c4", "", "reseau"), ("c5", "", "metho"),
    ]
    # labels matched case-insensitively; "Sans réponse" is a missing value
    assert answers_of(s, "moyens") == [("c1", "", "ins"), ("c2", "", "suf"), ("c5", "", "ins")]
    assert answers_of(s, "coop") == [("c1", "", "3"), ("c2", "", "2"), ("c4", "", "3"), ("c5", "", "1")]
    assert answers_of(s, "grille") == [
        ("c1", "etat", "1"), ("c1", "region", "2"), ("c2", "etat", "1"),
        ("c4", "etat", "2"), ("c4", "region", "1"), ("c5", "etat", "2"), ("c5", "region", "2"),
    ]
    assert answers_of(s, "etp") == [("c1", "", "1.5"), ("c2", "", "2"), ("c5", "", "3")]
    assert answers_of(s, "propositions") == [("c1", "", "Plus de moyens")]


FORMS_YAML = """
id: assos
titre: Associations
reponses: forms.csv
identifiant: Horodateur
attributs:
  commune: {colonne: "Commune"}
questions:
  - id: domaine
    libelle: Domaine
    type: multiple
    format: forms
    separateur: ";"
    colonne: "Domaines d'intervention"
    choix:
      - {code: emploi, libelle: Emploi}
      - {code: emploi_insertion, libelle: "Emploi; insertion"}
      - {code: sante, libelle: Santé}
      - {code: culture, libelle: Culture}
  - id: cadre
    libelle: Fonction de cadre
    type: unique
    colonne: "Êtes-vous cadre ?"
    choix:
      - {code: oui, libelle: Oui}
      - {code: non, libelle: Non}
"""

FORMS_CSV = """\
Horodateur,Commune,Domaines d'intervention,Êtes-vous cadre ?
2022/04/01 10:00,Lens,"Emploi; insertion;Santé",Oui
2022/04/01 11:00,Lens,"Emploi;sante ; CULTURE",non
2022/04/02 09:30,Avion,,Oui
2022/04/02 09:45,Avion,Emploi,
"""


def test_forms_export_with_separator_inside_label(tmp_path):
    path = write(tmp_path, FORMS_YAML, "forms.csv", "\ufeff" + FORMS_CSV)
    s = load_survey(path)
    assert answers_of(s, "domaine") == [
        ("2022/04/01 10:00", "", "emploi_insertion"), ("2022/04/01 10:00", "", "sante"),
        ("2022/04/01 11:00", "", "culture"), ("2022/04/01 11:00", "", "emploi"),
        ("2022/04/01 11:00", "", "sante"), ("2022/04/02 09:45", "", "emploi"),
    ]
    assert answers_of(s, "cadre") == [
        ("2022/04/01 10:00", "", "oui"), ("2022/04/01 11:00", "", "non"), ("2022/04/02 09:30", "", "oui"),
    ]


BAD_CSV = """\
id;commune;Q5[SQ001];Q5[SQ002];Q3;Q7;Q9[etat];Q9[region];Q4
c1;Lens;Y;peut-être;Insuffisants;4;Relation;2;beaucoup
c1;Liévin;;;Moyens;2;1;;2
;Avion;;;;;;;
"""


def test_every_problem_is_reported(tmp_path):
    with pytest.raises(DataError) as err:
        load_survey(write(tmp_path, LIMESURVEY_YAML, "export_limesurvey.csv", BAD_CSV))
    found = {(p.row, p.column, None if p.value is None else str(p.value)) for p in err.value.problems}
    assert (None, "Q2", None) in found                  # attribute column absent
    assert (None, "Q11", None) in found                 # question column absent
    assert (2, "Q5[SQ002]", "peut-être") in found        # not a tick
    assert (2, "Q7", "4") in found                      # scale level out of range
    assert (2, "Q4", "beaucoup") in found               # not a number
    assert (3, "id", "c1") in found                     # duplicate id
    assert any(p.row == 4 and p.column == "id" for p in err.value.problems)  # empty id
    assert len(err.value.problems) == 7
    text = str(err.value)
    assert "export_limesurvey.csv, ligne 2, colonne « Q7 »" in text
    assert "de « 1 » (Jamais) à « 3 » (Souvent)" in text
    assert "déjà vu ligne 2" in text


def test_unknown_choice_and_forms_unknown_label(tmp_path):
    csv = FORMS_CSV.replace("Emploi;sante ; CULTURE", "Emploi;Sport").replace(",non\n", ",peut-être\n")
    with pytest.raises(DataError) as err:
        load_survey(write(tmp_path, FORMS_YAML, "forms.csv", csv))
    msgs = [p.message() for p in err.value.problems]
    assert len(msgs) == 2
    assert "ligne 3" in msgs[0] and "« sport »" in msgs[0]
    assert "ligne 3" in msgs[1] and "oui (Oui), non (Non)" in msgs[1]


def test_numbers_french_forms_and_ambiguous_ones_refused(tmp_path):
    yaml_text = """
    id: n
    reponses: n.csv
    identifiant: id
    questions:
      - {id: montant, libelle: Montant, type: numerique, colonne: m}
    """
    csv = "id;m\n1;5 760 000\n2;12,5\n3;5.760.000,00\n4;-3\n5;3.5\n"
    s = load_survey(write(tmp_path, yaml_text, "n.csv", csv))
    assert list(s.answers["value"]) == ["5760000", "12.5", "5760000", "-3", "3.5"]
    # one number parser for every input (cdv_lib.text): commas as thousands separators are
    # read two ways by a French reader, so they are refused, never guessed
    with pytest.raises(DataError) as err:
        load_survey(write(tmp_path, yaml_text, "n.csv", "id;m\n1;12\n2;1,234.5\n"))
    assert "ligne 3" in str(err.value) and "1,234.5" in str(err.value)
