"""Attributes with declared allowed values (``attributs.<nom>.valeurs``)."""

import textwrap

import pandas as pd
import pytest

from cdv_lib.errors import DataError
from cdv_lib.survey import load_definition, load_survey
from cdv_lib.survey.crosstab import group_of

YAML = """
id: assoc
titre: Associations
reponses: reponses.csv
identifiant: id
attributs:
  type: {colonne: Type, valeurs: [Association, Centre social]}
  commune: {colonne: Commune}
questions:
  - id: q1
    libelle: Satisfait ?
    type: unique
    colonne: Q1
    choix:
      - {code: o, libelle: Oui}
      - {code: n, libelle: Non}
"""


def _write(tmp_path, yaml_text, csv_text):
    (tmp_path / "assoc.yaml").write_text(textwrap.dedent(yaml_text), encoding="utf-8")
    (tmp_path / "reponses.csv").write_text(csv_text, encoding="utf-8")
    return tmp_path / "assoc.yaml"


def test_values_are_read_in_order(tmp_path):
    path = _write(tmp_path, YAML, "id;Type;Commune;Q1\n1;Association;62498;o\n")
    definition = load_definition(path)
    assert definition.attribute_values == {"type": ("Association", "Centre social")}
    assert definition.attributes == {"type": "Type", "commune": "Commune"}


def test_known_values_take_the_declared_spelling(tmp_path):
    path = _write(tmp_path, YAML, "id;Type;Commune;Q1\n1;association ;62498;o\n2;CENTRE SOCIAL;62510;n\n"
                                  "3;;62510;n\n4;Centre social;x;o\n")
    survey = load_survey(path)
    assert list(survey.respondents["type"].fillna("<na>")) == [
        "Association", "Centre social", "<na>", "Centre social"]
    # an attribute without declared values accepts anything
    assert list(survey.respondents["commune"]) == ["62498", "62510", "62510", "x"]
    labels, order = group_of(survey, "type")
    assert order == ["Association", "Centre social"]


def test_unknown_value_is_refused_with_row_column_and_expected(tmp_path):
    path = _write(tmp_path, YAML, "id;Type;Commune;Q1\n1;Association;62498;o\n2;Asociation;62510;n\n")
    with pytest.raises(DataError) as exc:
        load_survey(path)
    (problem,) = exc.value.problems
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "reponses.csv", 3, "Type", "Asociation")
    assert "Association, Centre social" in problem.expected
    assert "attribut « type »" in problem.expected


@pytest.mark.parametrize("values, fragment", [
    ("[]", "liste non vide"),
    ("Association", "liste non vide"),
    ("[Association, association]", "valeur admise unique"),
    ("[Association, '']", "valeur admise non vide"),
])
def test_bad_values_lists_are_refused(tmp_path, values, fragment):
    text = YAML.replace("valeurs: [Association, Centre social]", f"valeurs: {values}")
    path = _write(tmp_path, text, "id;Type;Commune;Q1\n1;Association;62498;o\n")
    with pytest.raises(DataError) as exc:
        load_definition(path)
    assert any(fragment in p.expected and p.column == "attributs.type.valeurs"
               for p in exc.value.problems), exc.value


def test_unknown_attribute_key_is_refused(tmp_path):
    text = YAML.replace("valeurs: [Association, Centre social]", "valeur: [Association]")
    path = _write(tmp_path, text, "id;Type;Commune;Q1\n1;Association;62498;o\n")
    with pytest.raises(DataError) as exc:
        load_definition(path)
    assert any(p.column == "attributs.type.valeur" for p in exc.value.problems)
