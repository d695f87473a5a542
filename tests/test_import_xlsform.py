"""``cdv import xlsform``: XLSForm workbook + Kobo CSV export → questionnaire definition and
responses, checked against counts computed by hand (same respondents as the LimeSurvey test)."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

import kobo_files as K
from cdv_lib.cli import main
from cdv_lib.importers.xlsform import map_form, parse_xlsform
from cdv_lib.paths import DATA_DIR
from cdv_lib.survey import (
    frequencies,
    load_survey,
    matrix_table,
    median_level,
    numeric_summary,
    text_answers,
)
from cdv_lib.validation import validate_dir


@pytest.fixture
def data_copy(tmp_path) -> Path:
    target = tmp_path / "donnees"
    shutil.copytree(DATA_DIR, target, ignore=shutil.ignore_patterns("reference"))
    return target


def _files(tmp_path, **kw):
    form = K.xlsform(tmp_path / "formulaire.xlsx")
    csv = tmp_path / "export.csv"
    csv.write_bytes(K.kobo_csv(**kw))
    return form, csv


def _import(form, csv, data, *extra):
    return main(["import", "xlsform", str(form), *([str(csv)] if csv else []), "--to", str(data),
                 "--echelle", "satisfaction", "--theme", "gouvernance", *extra])


def _freq(survey, qid):
    table = frequencies(survey, qid).set_index("code")
    return dict(table["effectif"]), int(table["base"].iloc[0])


@pytest.mark.parametrize("groups, split, sep, encoding", [
    (True, True, ";", "utf-8-sig"),      # Kobo defaults: « ; », BOM, group paths, 0/1 columns
    (False, False, ",", "utf-8"),        # no group paths, no split columns
    (True, False, ";", "cp1252"),
])
def test_import_gives_the_counts_computed_by_hand(tmp_path, data_copy, capsys, groups, split,
                                                   sep, encoding):
    form, csv = _files(tmp_path, groups=groups, split=split, sep=sep, encoding=encoding)
    before = csv.read_bytes()
    assert _import(form, csv, data_copy) == 0
    out = capsys.readouterr().out
    assert csv.read_bytes() == before
    assert "date_entretien (date" in out and "total (calculate" in out   # listed with reason
    assert "start (start)" in out
    assert validate_dir(data_copy) == []

    survey = load_survey(data_copy / "questionnaires" / "partenaires_kobo.yaml")
    assert survey.n_respondents == 6
    assert survey.definition.id_column == "_uuid"

    counts, base = _freq(survey, "type")
    assert counts == {"association": 3, "commune": 1, "bailleur": 0, "other": 1, "_nr": 1}
    assert base == 5
    assert list(text_answers(survey, "type_other")["texte"]) == ["Centre social"]

    counts, base = _freq(survey, "domaines")     # culture never ticked, row 3 nothing ticked
    assert counts == {"sante": 4, "emploi": 3, "culture": 0, "_nr": 1} and base == 5

    grid = matrix_table(survey, "cooperation", value="effectif").set_index("code")
    assert survey.question("cooperation").choice_codes == ["relation", "connexion", "cooperation",
                                                           "cohesion"]
    assert grid.loc["coop_etat", ["Relation", "Connexion", "Coopération", "Cohésion"]].tolist() == [2, 1, 1, 1]
    assert (grid.at["coop_etat", "base"], grid.at["coop_etat", "non_reponses"],
            grid.at["coop_etat", "mediane"]) == (5, 1, "connexion")
    assert (grid.at["coop_region", "base"], grid.at["coop_region", "mediane"]) == (4, "connexion")
    assert (grid.at["coop_dep", "base"], grid.at["coop_dep", "mediane"]) == (4, "connexion")

    assert median_level(survey, "satisfaction") == "moyen"
    summary = numeric_summary(survey, "salaries").iloc[0]
    assert (summary["base"], summary["non_reponses"], summary["mediane"]) == (5, 1, 4)
    assert math.isclose(summary["moyenne"], 4.9)
    assert list(text_answers(survey, "propositions")["texte"])[1] == "Plus de réunions; moins de papier"


def test_label_language_choice(tmp_path, data_copy):
    form, csv = _files(tmp_path)
    assert _import(form, csv, data_copy, "--langue", "en", "--id", "kobo_en") == 0
    survey = load_survey(data_copy / "questionnaires" / "kobo_en.yaml")
    assert survey.question("domaines").choices[0].label == "Health"
    assert survey.question("cooperation").rows[0].label == "State"
    assert survey.question("type").axis == "Profile"


def test_parse_and_map_form(tmp_path):
    form = parse_xlsform(K.xlsform(tmp_path / "f.xlsx"))
    assert form.language == "Français (fr)" and form.languages == ["Français (fr)", "English (en)"]
    mapping = map_form(form)
    types = {q["id"]: q["type"] for q in mapping.questions}
    assert types == {"type": "unique", "type_other": "texte", "domaines": "multiple",
                     "salaries": "numerique", "cooperation": "matrice",
                     "propositions": "texte", "satisfaction": "unique"}
    assert mapping.columns["coop_etat"][0] == "cooperation/coop_etat"


def _survey_with(rows):
    return lambda t: (K.xlsform(t / "formulaire.xlsx", survey=rows), None)


BAD = {
    "liste absente": (_survey_with(K.SURVEY[:3] + [("select_one inconnue", "q", "Q", "Q", "")]
                                   + [("end_group", "", "", "", "")]), [],
                      "ligne 5, colonne « type »", "une liste « inconnue »"),
    "groupe non fermé": (_survey_with(K.SURVEY[:6]), [], "formulaire.xlsx", "end_group"),
    "langue absente": (lambda t: _files(t), ["--langue", "de"], "formulaire.xlsx", "English (en)"),
    "choix inconnu": (lambda t: _files(t, split=False, responses=[
        ("association", "", "sante sport", "3", "", "", "", "", "")]), [],
        "export.csv, ligne 2, colonne « profil/domaines »", "séparés par des espaces"),
    "colonne absente": (lambda t: _files(t, groups=False, responses=None), ["--attribut", "x=zone"],
                        "colonne « zone »", "absente"),
    "pas un classeur": (lambda t: ((t / "f.xlsx").write_bytes(b"PK\x03\x04 tronque") and t / "f.xlsx",
                                   None), [], "f.xlsx", "classeur .xlsx lisible"),
    "export vide": (lambda t: (_files(t)[0], ((t / "vide.csv").write_bytes(b"") or True) and t / "vide.csv"),
                    [], "vide.csv", "fichier vide"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_inputs_exit_2_and_write_nothing(tmp_path, data_copy, snapshot, capsys, case):
    make, extra, where, fragment = BAD[case]
    form, csv = make(tmp_path)
    before = snapshot(data_copy)
    assert _import(form, csv, data_copy, *extra) == 2
    err = capsys.readouterr().err
    assert where in err and fragment in err, err
    assert snapshot(data_copy) == before


def test_commune_choices_become_insee_codes(tmp_path, data_copy):
    import csv
    import io

    from cdv_lib.survey import selected_ids

    survey_rows = K.SURVEY[:3] + [("select_one communes", "commune", "Votre commune", "Town", "")] \
        + K.SURVEY[3:]
    choices = K.CHOICES + [("communes", "lens", "Lens", "Lens"), ("communes", "lievin", "Liévin", "Liévin")]
    form = K.xlsform(tmp_path / "f.xlsx", survey=survey_rows, choices=choices)
    rows = list(csv.reader(io.StringIO(K.kobo_csv(groups=False).decode("utf-8-sig")), delimiter=";"))
    towns = ["lens", "lievin", "Lens", "", "lens", "lievin"]
    rows = [rows[0] + ["commune"]] + [r + [t] for r, t in zip(rows[1:], towns)]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
    export = tmp_path / "e.csv"
    export.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    assert _import(form, export, data_copy, "--attribut", "commune=commune") == 0
    survey = load_survey(data_copy / "questionnaires" / "partenaires_kobo.yaml")
    assert survey.definition.attribute_values["commune"] == ("62498", "62510")
    assert survey.respondents["commune"].fillna("").tolist() == [
        "62498", "62510", "62498", "", "62498", "62510"]
    assert len(selected_ids(survey, {"commune": "62510"})) == 2


def test_questions_inside_a_repeat_are_listed_not_required(tmp_path, data_copy, capsys):
    rows = K.SURVEY + [("begin_repeat", "membres", "Membres", "Members", ""),
                       ("text", "membre_nom", "Nom", "Name", ""),
                       ("integer", "membre_age", "Âge", "Age", ""),
                       ("end_repeat", "", "", "", "")]
    form = K.xlsform(tmp_path / "f.xlsx", survey=rows)
    export = tmp_path / "e.csv"
    export.write_bytes(K.kobo_csv())
    assert _import(form, export, data_copy) == 0
    out = capsys.readouterr().out
    assert "membre_age (integer, ligne 21) : dans la répétition « membres »" in out
    assert "membres (begin_repeat" in out
