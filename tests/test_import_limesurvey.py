"""``cdv import limesurvey``: structure .lss + responses CSV → questionnaire definition and
responses, checked against counts computed by hand."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

import lime_files as L
from cdv_lib.cli import main
from cdv_lib.dataset import load_dataset
from cdv_lib.importers.limesurvey import clean_text, map_questions, parse_lss
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


def _files(tmp_path, *, layout="l10n", languages=("fr",), sep=";", encoding="utf-8-sig", **kw):
    lss = tmp_path / "structure.lss"
    lss.write_bytes(L.lss(layout, languages=languages))
    csv = tmp_path / "reponses.csv"
    csv.write_bytes(L.responses_csv(sep, encoding, **kw))
    return lss, csv


def _import(lss, csv, data, *extra):
    args = ["import", "limesurvey", str(lss)] + ([str(csv)] if csv else []) + [
        "--to", str(data), "--id", "partenaires", "--echelle", "Q6", "--theme", "gouvernance",
        *extra]
    return main(args)


def _freq(survey, qid, **kw):
    table = frequencies(survey, qid, **kw).set_index("code")
    return dict(table["effectif"]), int(table["base"].iloc[0])


@pytest.mark.parametrize("layout, sep, encoding", [
    ("l10n", ";", "utf-8-sig"),     # LimeSurvey 5/6, « ; », UTF-8 with BOM
    ("l10n", ",", "utf-8"),         # comma, UTF-8 without BOM
    ("ancien", ",", "cp1252"),      # LimeSurvey 3, comma, Windows-1252 (older installs)
])
def test_import_gives_the_counts_computed_by_hand(tmp_path, data_copy, layout, sep, encoding, capsys):
    lss, csv = _files(tmp_path, layout=layout, sep=sep, encoding=encoding)
    before_lss, before_csv = lss.read_bytes(), csv.read_bytes()
    assert _import(lss, csv, data_copy) == 0
    out = capsys.readouterr().out
    assert lss.read_bytes() == before_lss and csv.read_bytes() == before_csv  # inputs untouched
    assert "1 réponse(s) incomplète(s) : submitdate vide" in out
    assert "question Q7" in out and "date" in out                       # unmapped, with reason
    assert validate_dir(data_copy) == []                                 # cdv validate passes

    survey = load_survey(data_copy / "questionnaires" / "partenaires.yaml")
    # 7 rows, row 6 incomplete: 6 respondents
    assert list(survey.respondents["respondent_id"]) == ["1", "2", "3", "4", "5", "7"]

    # single choice with « Autre »: A1 = rows 1, 4, 7; A2 = row 2; other = row 3; row 5 empty
    counts, base = _freq(survey, "Q1")
    assert counts == {"A1": 3, "A2": 1, "A3": 0, "-oth-": 1, "_nr": 1} and base == 5
    assert frequencies(survey, "Q1").set_index("code").at["-oth-", "libelle"] == "Autre"
    assert list(text_answers(survey, "Q1_autre")["texte"]) == ["Centre social"]

    # multiple choice: SQ003 never ticked still listed; row 3 ticked nothing = non-response
    counts, base = _freq(survey, "Q2")
    assert counts == {"SQ001": 4, "SQ002": 3, "SQ003": 0, "_nr": 1} and base == 5

    # array: levels in answer order (sortorder), not XML order
    q3 = survey.question("Q3")
    assert q3.choice_codes == ["A1", "A2", "A3", "A4"]
    assert [c.label for c in q3.choices] == ["Relation", "Connexion", "Coopération", "Cohésion"]
    grid = matrix_table(survey, "Q3", value="effectif").set_index("code")
    # ETAT: A1 A1 A2 A3 A4 (rows 1, 7, 2, 4, 3) → base 5, lower median = 3rd = A2
    assert grid.loc["ETAT", ["Relation", "Connexion", "Coopération", "Cohésion"]].tolist() == [2, 1, 1, 1]
    assert (grid.at["ETAT", "base"], grid.at["ETAT", "non_reponses"]) == (5, 1)
    assert grid.at["ETAT", "mediane"] == "A2"
    # REG: A2 A2 A3 A1 → sorted A1 A2 A2 A3 → lower median A2; rows 4, 5 empty
    assert (grid.at["REG", "base"], grid.at["REG", "non_reponses"], grid.at["REG", "mediane"]) == (4, 2, "A2")
    # DEP: A3 A1 A2 A4 → lower median of 4 = 2nd = A2
    assert (grid.at["DEP", "base"], grid.at["DEP", "mediane"]) == (4, "A2")

    # ordered single choice (--echelle): A3 A1 A2 A3 A2 → A1 A2 A2 A3 A3 → median A2
    assert survey.question("Q6").type == "echelle"
    assert median_level(survey, "Q6") == "A2"
    counts, base = _freq(survey, "Q6")
    assert counts == {"A1": 1, "A2": 2, "A3": 2, "_nr": 1} and base == 5

    # numeric: 3, 10, 0, 7.5, 4 (row 3 empty) → median 4, mean 4.9
    summary = numeric_summary(survey, "Q5").iloc[0]
    assert (summary["base"], summary["non_reponses"]) == (5, 1)
    assert summary["mediane"] == 4 and math.isclose(summary["moyenne"], 4.9)

    # free text, quoting kept (separator, doubled quotes, line break inside a cell)
    texts = list(text_answers(survey, "Q4")["texte"])
    assert texts == ["Très utile", "Plus de réunions; moins de papier",
                     'Des "moyens" en plus,\nsur deux lignes']


def test_report_tables_show_the_hand_counts(tmp_path, data_copy):
    """The tables the gouvernance report renders (same call as cdv batch)."""
    from cdv_lib.report.questionnaires import survey_tables

    lss, csv = _files(tmp_path)
    assert _import(lss, csv, data_copy) == 0
    dataset = load_dataset(data_copy)
    tables = {t.key: t for t in survey_tables(dataset, "partenaires", theme="gouvernance")}
    q2 = tables["gouvernance.partenaires.Q2"].data.set_index("Réponse")
    assert q2.at["Culture", "Effectif"] == 0 and q2.at["Non-réponse", "Effectif"] == 1
    assert q2.at["Santé", "Effectif"] == 4 and math.isclose(q2.at["Santé", "Part"], 4 / 5)
    assert set(q2["Base (n)"].dropna()) == {5}
    q3 = tables["gouvernance.partenaires.Q3"].data
    etat = q3[q3["Élément"] == "État"].set_index("Réponse")
    assert etat.at["Relation", "Effectif"] == 2 and etat.at["Non-réponse", "Effectif"] == 1


def test_incomplete_responses_kept_on_request(tmp_path, data_copy, capsys):
    lss, csv = _files(tmp_path)
    assert _import(lss, csv, data_copy, "--incompletes") == 0
    assert "1 réponse(s) incomplète(s) gardée(s)" in capsys.readouterr().out
    survey = load_survey(data_copy / "questionnaires" / "partenaires.yaml")
    counts, base = _freq(survey, "Q1")
    assert counts["A3"] == 1 and base == 6


def test_language_choice_and_old_layout(tmp_path, data_copy):
    lss, csv = _files(tmp_path, layout="ancien", languages=("fr", "en"))
    assert _import(lss, csv, data_copy, "--langue", "en", "--titre", "Partners") == 0
    survey = load_survey(data_copy / "questionnaires" / "partenaires.yaml")
    assert survey.question("Q3").choices[0].label == "Relation"
    assert survey.question("Q2").choices[0].label == "Health"
    assert survey.question("Q1").axis == "Profile"


def test_attribute_with_allowed_values_from_a_choice_question(tmp_path, data_copy):
    lss, csv = _files(tmp_path)
    assert _import(lss, csv, data_copy, "--attribut", "satisfaction=Q6") == 0
    survey = load_survey(data_copy / "questionnaires" / "partenaires.yaml")
    assert survey.definition.attribute_values == {"satisfaction": ("A1", "A2", "A3")}
    assert survey.respondents["satisfaction"].tolist()[:3] == ["A3", "A1", "A2"]


def test_structure_only_writes_the_definition(tmp_path, data_copy, capsys):
    lss, _ = _files(tmp_path)
    assert _import(lss, None, data_copy) == 0
    assert "seule la définition est écrite" in capsys.readouterr().out
    assert (data_copy / "questionnaires" / "partenaires.yaml").exists()
    assert not (data_copy / "questionnaires" / "partenaires_reponses.csv").exists()


def test_dry_run_writes_nothing(tmp_path, data_copy, snapshot, capsys):
    lss, csv = _files(tmp_path)
    before = snapshot(data_copy)
    assert _import(lss, csv, data_copy, "--dry-run") == 0
    assert "rien n'a été écrit" in capsys.readouterr().out
    assert snapshot(data_copy) == before


def _truncated(tmp_path):
    path = tmp_path / "tronque.lss"
    path.write_bytes(L.lss()[:3000])
    return path


BAD = {
    "xml tronqué": (lambda t: (_truncated(t), None), [], "tronque.lss", "XML invalide ou tronqué"),
    "fichier vide": (lambda t: (_write(t, "vide.lss", b""), None), [], "vide.lss", "fichier est vide"),
    "pas une structure": (lambda t: (_write(t, "q.lss", L.lss().replace(
        b"<LimeSurveyDocType>Survey", b"<LimeSurveyDocType>Group")), None), [], "q.lss",
        "type « Group »"),
    "langue absente": (lambda t: _files(t), ["--langue", "de"], "structure.lss", "fr"),
    "échelle sur un tableau": (lambda t: _files(t), ["--echelle", "Q3"], "--echelle",
                               "question à choix unique"),
    "colonne absente": (lambda t: _files(t, header=[h for h in L.HEADER if h != "Q2[SQ002]"],
                                         rows=[r[:8] + r[9:] for r in L.ROWS]),
                        [], "reponses.csv", "Q2 (choix multiple)"),
    "en-têtes texte complet": (lambda t: _files(t, header=["id", "submitdate"] + [
        f"Question {i}" for i in range(len(L.HEADER) - 2)]), [], "reponses.csv",
        "code de question"),
    "réponse inconnue": (lambda t: _files(t, rows=[r[:5] + ["A9"] + r[6:] for r in L.ROWS]), [],
                         "- reponses.csv, ligne 2, colonne « Q1 »", "un choix de la question « Q1 »"),
    "encodage utf-16": (lambda t: _files(t, encoding="utf-16"), [], "reponses.csv", "UTF-16"),
    "sans colonne id": (lambda t: _files(t, header=["ident"] + L.HEADER[1:]), [], "reponses.csv",
                        "colonne « id »"),
}


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", list(BAD))
def test_bad_inputs_exit_2_and_write_nothing(tmp_path, data_copy, snapshot, capsys, case):
    make, extra, file_fragment, fragment = BAD[case]
    lss, csv = make(tmp_path)
    before = snapshot(data_copy)
    assert _import(lss, csv, data_copy, *extra) == 2
    err = capsys.readouterr().err
    assert "rien n'a été écrit" in err
    assert file_fragment in err and fragment in err, err
    assert snapshot(data_copy) == before


def test_existing_files_are_not_replaced_without_option(tmp_path, data_copy, snapshot, capsys):
    lss, csv = _files(tmp_path)
    assert _import(lss, csv, data_copy) == 0
    before = snapshot(data_copy)
    assert _import(lss, csv, data_copy) == 2
    assert "--remplacer" in capsys.readouterr().err
    assert snapshot(data_copy) == before
    assert _import(lss, csv, data_copy, "--remplacer") == 0


def test_parse_lss_reads_both_layouts_alike():
    new, old = parse_lss(L.lss("l10n")), parse_lss(L.lss("ancien"))
    assert (new.layout, old.layout) == ("l10n", "ancien")
    for s in (new, old):
        assert [q.title for q in s.questions] == ["Q1", "Q2", "Q5", "Q3", "Q4", "Q6", "Q7"]
        q3 = next(q for q in s.questions if q.title == "Q3")
        assert [a.code for a in q3.answers] == ["A1", "A2", "A3", "A4"]
        assert [x.code for x in q3.subquestions] == ["ETAT", "REG", "DEP"]
    assert map_questions(new, "fr").questions == map_questions(old, "fr").questions


def test_other_in_multiple_choice_gets_a_ticked_column(tmp_path, data_copy):
    questions = [q if q[3] != "Q2" else q[:4] + ("Y",) + q[5:] for q in L.QUESTIONS]
    lss = _write(tmp_path, "s.lss", L.lss(questions=questions))
    header = L.HEADER[:10] + ["Q2[other]"] + L.HEADER[10:]
    rows = [r[:10] + (["Médiation"] if r[0] == "2" else [""]) + r[10:] for r in L.ROWS]
    csv = _write(tmp_path, "r.csv", L.responses_csv(header=header, rows=rows))
    assert _import(lss, csv, data_copy) == 0
    survey = load_survey(data_copy / "questionnaires" / "partenaires.yaml")
    counts, base = _freq(survey, "Q2")
    assert counts == {"SQ001": 4, "SQ002": 3, "SQ003": 0, "autre": 1, "_nr": 1} and base == 5
    assert list(text_answers(survey, "Q2_autre")["texte"]) == ["Médiation"]


def test_clean_text():
    assert clean_text("<p>Quel est votre <b>type</b>&nbsp;?</p>") == "Quel est votre type ?"
    assert clean_text(None) == ""


ALL_TYPES_QUESTIONS = [
    ("401", "10", "Y", "Y1", "N", 1, {"fr": "Avez-vous un local ?"}),
    ("402", "10", "G", "G1", "N", 2, {"fr": "Genre du répondant"}),
    ("403", "10", "5", "C5", "N", 3, {"fr": "Note sur 5"}),
    ("404", "10", "K", "K1", "N", 4, {"fr": "Effectifs"}),
    ("405", "10", "Q", "QT", "N", 5, {"fr": "Contacts"}),
    ("406", "10", "O", "O1", "N", 6, {"fr": "Avis"}),
    ("407", "10", "P", "P1", "Y", 7, {"fr": "Services utilisés"}),
    ("408", "11", "A", "AR", "N", 1, {"fr": "Notes de 1 à 5"}),
    ("409", "11", "1", "DS", "N", 2, {"fr": "Importance et satisfaction"}),
    ("410", "11", ":", "NU", "N", 3, {"fr": "Heures par semaine"}),
    ("411", "11", "*", "EQ", "N", 4, {"fr": "Calcul"}),
    ("412", "11", "X", "TX", "N", 5, {"fr": "Merci"}),
    ("413", "11", "R", "RK", "N", 6, {"fr": "Classement"}),
]
ALL_TYPES_SUBQUESTIONS = [
    ("501", "404", "BEN", 1, {"fr": "Bénévoles"}), ("502", "404", "SAL", 2, {"fr": "Salariés"}),
    ("503", "405", "NOM1", 1, {"fr": "Premier contact"}),
    ("504", "407", "S1", 1, {"fr": "Accueil"}), ("505", "407", "S2", 2, {"fr": "Conseil"}),
    ("506", "408", "L1", 1, {"fr": "Accueil"}),
    ("507", "409", "L1", 1, {"fr": "Accueil"}),
    ("508", "410", "R1", 1, {"fr": "Lundi"}),
    ("509", "410", "C1", 1, {"fr": "Matin"}, "1"), ("510", "410", "C2", 2, {"fr": "Soir"}, "1"),
]
ALL_TYPES_ANSWERS = [
    ("601", "406", "A1", 1, {"fr": "Bon"}), ("602", "406", "A2", 2, {"fr": "Mauvais"}),
    ("603", "409", "I1", 1, {"fr": "Faible"}), ("604", "409", "I2", 2, {"fr": "Forte"}),
    ("605", "409", "S1", 1, {"fr": "Non"}, "1"), ("606", "409", "S2", 2, {"fr": "Oui"}, "1"),
]
# LimeSurvey 2 headings: Q_SQ instead of Q[SQ]
ALL_TYPES_HEADER = ["id", "submitdate", "Y1", "G1", "C5", "K1_BEN", "K1_SAL", "QT_NOM1", "O1",
                    "O1_comment", "P1_S1", "P1_S1comment", "P1_S2", "P1_S2comment", "P1_other",
                    "P1_othercomment", "AR_L1", "DS_L1#0", "DS_L1#1", "NU_R1_C1", "NU_R1_C2",
                    "EQ", "RK_1"]
ALL_TYPES_ROWS = [
    ["1", "2024-01-01 10:00:00", "Y", "F", "4", "3", "10", "Mme X", "A1", "RAS", "Y", "bien", "",
     "", "Aide juridique", "", "2", "I2", "S1", "4", "5.5", "9", "1"],
    ["2", "2024-01-02 10:00:00", "N", "M", "2", "", "", "", "A2", "", "", "", "Y", "", "", "",
     "5", "I1", "S2", "", "", "3", "2"],
]


def test_every_question_type(tmp_path, data_copy, capsys):
    lss = _write(tmp_path, "s.lss", L.lss("ancien", questions=ALL_TYPES_QUESTIONS,
                                          subquestions=ALL_TYPES_SUBQUESTIONS,
                                          answers=ALL_TYPES_ANSWERS, db_version=184))
    csv = _write(tmp_path, "r.csv", L.responses_csv(",", "cp1252", header=ALL_TYPES_HEADER,
                                                    rows=ALL_TYPES_ROWS))
    assert main(["import", "limesurvey", str(lss), str(csv), "--to", str(data_copy),
                 "--id", "tous_types", "--echelle", "C5"]) == 0
    out = capsys.readouterr().out
    for title, reason in (("EQ", "équation"), ("TX", "texte affiché"), ("RK", "classement")):
        assert f"question {title}" in out and reason in out
    survey = load_survey(data_copy / "questionnaires" / "tous_types.yaml")
    types = {q.id: q.type for q in survey.definition.questions}
    assert types == {
        "Y1": "unique", "G1": "unique", "C5": "echelle", "K1_BEN": "numerique",
        "K1_SAL": "numerique", "QT_NOM1": "texte", "O1": "unique", "O1_commentaire": "texte",
        "P1": "multiple", "P1_autre": "texte", "P1_S1_commentaire": "texte",
        "P1_S2_commentaire": "texte", "P1_autre_commentaire": "texte", "AR": "matrice",
        "DS_1": "matrice", "DS_2": "matrice", "NU_R1_C1": "numerique", "NU_R1_C2": "numerique"}
    assert _freq(survey, "Y1") == ({"Y": 1, "N": 1, "_nr": 0}, 2)
    assert survey.question("G1").choices[0].label == "Femme"
    assert survey.question("C5").choice_codes == ["1", "2", "3", "4", "5"]
    assert median_level(survey, "C5") == "2"
    assert _freq(survey, "P1") == ({"S1": 1, "S2": 1, "autre": 1, "_nr": 0}, 2)
    assert list(text_answers(survey, "P1_S1_commentaire")["texte"]) == ["bien"]
    assert list(text_answers(survey, "O1_commentaire")["texte"]) == ["RAS"]
    assert survey.question("DS_2").choice_codes == ["S1", "S2"]
    assert _freq(survey, "DS_1", row="L1") == ({"I1": 1, "I2": 1, "_nr": 0}, 2)
    assert numeric_summary(survey, "NU_R1_C2").iloc[0]["total"] == 5.5
    assert numeric_summary(survey, "K1_SAL").iloc[0]["base"] == 1
    # the responses written use the definition's spelling Q[SQ]
    header = (data_copy / "questionnaires" / "tous_types_reponses.csv").read_text().split("\n")[0]
    assert "K1[BEN]" in header and "DS[L1#0]" in header and "P1[other]_coche" in header


def test_commune_question_answers_become_insee_codes(tmp_path, data_copy):
    from cdv_lib.survey import selected_ids

    questions = [("100", "10", "L", "Q0", "N", 0, {"fr": "Votre commune", "en": "Town"})] + L.QUESTIONS
    answers = L.ANSWERS + [("290", "100", "A1", 1, {"fr": "Lens", "en": "Lens"}),
                           ("291", "100", "A2", 2, {"fr": "Liévin", "en": "Liévin"}),
                           ("292", "100", "A3", 3, {"fr": "AVION", "en": "Avion"})]
    lss = _write(tmp_path, "s.lss", L.lss(questions=questions, answers=answers))
    towns = ["A1", "A1", "A2", "A3", "A1", "A2", "A1"]
    csv = _write(tmp_path, "r.csv", L.responses_csv(
        header=L.HEADER[:5] + ["Q0"] + L.HEADER[5:],
        rows=[r[:5] + [t] + r[5:] for r, t in zip(L.ROWS, towns)]))
    assert _import(lss, csv, data_copy, "--attribut", "commune=Q0") == 0
    survey = load_survey(data_copy / "questionnaires" / "partenaires.yaml")
    assert survey.definition.attributes["commune"] == "commune (code INSEE)"
    assert survey.definition.attribute_values["commune"] == ("62065", "62498", "62510")
    assert list(survey.respondents["commune"]) == ["62498", "62498", "62510", "62065", "62498", "62498"]
    assert len(selected_ids(survey, {"commune": "62498"})) == 4
    assert validate_dir(data_copy) == []


def test_definition_without_its_responses_is_reported_by_validate(tmp_path, data_copy):
    lss, _ = _files(tmp_path)
    assert _import(lss, None, data_copy) == 0
    problems = validate_dir(data_copy)
    assert [(p.file, p.expected) for p in problems] == [
        ("partenaires_reponses.csv",
         "le fichier de réponses nommé par « reponses » dans la définition (absent)")]
