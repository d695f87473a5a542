"""Questionnaire definitions: YAML reading and validation."""

import textwrap

import pytest

from cdv_lib.errors import DataError
from cdv_lib.survey import load_definition

GOOD = """
id: associations
titre: Questionnaire aux associations
reponses: reponses.csv
identifiant: id
envoyes: 70
valeurs_manquantes: ["", "NA"]
attributs:
  commune: {colonne: commune}
  taille: {colonne: "Q2"}
questions:
  - id: domaine
    libelle: Domaine d'intervention
    type: multiple
    theme: gouvernance
    axe: Profil
    format: limesurvey
    choix:
      - {code: sante, libelle: Santé, colonne: "Q1[SQ001]"}
      - {code: emploi, libelle: Emploi et insertion, colonne: "Q1[SQ002]"}
  - id: cooperations
    libelle: Coopérations ?
    type: echelle
    colonne: Q7
    filtre: associations financées
    choix:
      - {code: "01", libelle: Jamais}
      - {code: non, libelle: Rarement}
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
  - id: attentes
    libelle: Attentes
    type: multiple
    format: forms
    separateur: ","
    colonne: Q10
    choix:
      - {code: metho, libelle: Appui en méthodologie}
  - id: salaries
    libelle: Nombre de salariés
    type: numerique
    colonne: Q3
"""


def write(tmp_path, text, name="q.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_good_definition(tmp_path):
    d = load_definition(write(tmp_path, GOOD))
    assert d.id == "associations"
    assert d.title == "Questionnaire aux associations"
    assert d.responses_path == (tmp_path / "reponses.csv").resolve()
    assert d.id_column == "id" and d.sent == 70
    assert d.missing_values == ("", "NA")
    assert d.attributes == {"commune": "commune", "taille": "Q2"}
    assert [q.id for q in d.questions] == ["domaine", "cooperations", "grille", "attentes", "salaries"]
    dom = d.question("domaine")
    assert dom.type == "multiple" and dom.theme == "gouvernance" and dom.axis == "Profil"
    assert dom.columns() == ["Q1[SQ001]", "Q1[SQ002]"]
    coop = d.question("cooperations")
    # BaseLoader keeps "01" and "non" as strings
    assert coop.choice_codes == ["01", "non", "3"]
    assert coop.ordered and coop.filter == "associations financées"
    grille = d.question("grille")
    assert [r.code for r in grille.rows] == ["etat", "region"]
    assert grille.columns() == ["Q9[etat]", "Q9[region]"]
    att = d.question("attentes")
    assert att.format == "forms" and att.separator == "," and att.columns() == ["Q10"]
    assert d.question("salaries").choices == ()
    with pytest.raises(KeyError, match="pas de question"):
        d.question("inconnue")


def test_all_problems_reported(tmp_path):
    bad = """
    id: x
    reponses: r.csv
    identifiant: id
    envoyes: beaucoup
    questions:
      - {id: a, libelle: A, type: choix_unique, colonne: A}
      - {id: b, libelle: B, type: unique}
      - {id: c, libelle: C, type: unique, colonne: C}
      - {id: d, libelle: D, type: echelle, colonne: D, choix: [{code: "1", libelle: Un}, {code: "1", libelle: Deux}]}
      - {id: e, libelle: E, type: multiple, choix: [{code: s, libelle: Santé}]}
      - {id: f, libelle: F, type: matrice, choix: [{code: "1", libelle: Un}]}
      - {id: g, libelle: G, type: texte, colonne: G}
      - {id: g, libelle: G2, type: texte, colonne: G2}
      - {id: h, libelle: H, type: multiple, format: sphinx, colonne: H, choix: [{code: a, libelle: A}]}
      - {id: i, libelle: I, type: texte, colone: I}
    """
    with pytest.raises(DataError) as err:
        load_definition(write(tmp_path, bad))
    where = [p.column for p in err.value.problems]
    text = str(err.value)
    assert "envoyes" in where
    assert "questions[1] (a).type" in where                 # unknown type
    assert "questions[2] (b).colonne" in where              # missing column
    assert "questions[2] (b).choix" in where                # missing choices
    assert "questions[3] (c).choix" in where
    assert "questions[4] (d).choix[2].code" in where        # duplicate code
    assert "questions[5] (e).choix[1].colonne" in where     # limesurvey needs a column per choice
    assert "questions[6] (f).lignes" in where               # matrix without rows
    assert "questions[8].id" in where                       # duplicate question id
    assert "questions[9] (h).format" in where
    assert "questions[10] (i).colone" in where              # typo in a key
    assert "questions[10] (i).colonne" in where
    assert all(p.file == "q.yaml" for p in err.value.problems)
    assert "attendu" in text and "un type parmi unique, multiple" in text


def test_missing_top_keys_and_bad_yaml(tmp_path):
    with pytest.raises(DataError) as err:
        load_definition(write(tmp_path, "titre: rien\nquestions: []\n"))
    assert {"id", "reponses", "identifiant", "questions"} <= {p.column for p in err.value.problems}
    with pytest.raises(DataError, match="YAML valide"):
        load_definition(write(tmp_path, "id: [unclosed\n"))
    with pytest.raises(DataError, match="fichier lisible"):
        load_definition(tmp_path / "absent.yaml")
