"""Typing and checks of each table: one test per kind of error, each naming file, row,
column and value."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from cdv_lib.schemas import References, check_table, empty_frame, typed_columns

REFS = References(frozenset({"01004", "01053", "2A004"}),
                  {"QP001001": frozenset({"01004"}), "QP001002": frozenset({"01053"})})

COMMUNES = "code_insee;nom;population;signataire;code_epci\n" \
           "01004;Ambérieu;14514;oui;200000001\n2A004;Ajaccio;70 000;x;\n"
QPV = "code_qpv;nom;communes;population\nQP001001;Les Tilleuls;01004|2A004;2100\n"
INDICATEURS = "niveau;code;annee;indicateur;valeur;unite;sommable;source\n" \
              "qpv;QP001001;2019;taux_pauvrete;41,2;%;non;INSEE\n" \
              "qpv;QP001002;2019;taux_pauvrete;s;%;non;INSEE\n" \
              "Région;32;2019;taux_pauvrete;nd;%;non;INSEE\n"
PROG_HEAD = "annee;numero_dossier;porteur;intitule;commune;code_qpv;pilier;thematique;" \
            "financeur;montant_demande;montant_accorde\n"
PROG = PROG_HEAD + "2022;D-1;Asso;Atelier;01004;QP001001;Cohésion sociale;Santé;État;5 000;\n" \
                   "2022;D-1;Asso;Atelier;interco;;Cohésion sociale;Santé;CAF;1 000,5;800\n"
SANTE = "annee;commune;intitule;thematique;public;duree;dispositif\n" \
        "2022;01004;Cuisine;alimentation;familles;Perenne;ASV\n" \
        "2022;01053;Marche;activité physique;seniors;ponctuel;CLS\n" \
        "2022;01053;Yoga;activité physique;adultes;long terme;CLS\n"
ENTRETIENS = "id_entretien;type_acteur;categorie;code;verbatim;anonymise\n" \
             "E1;habitant;Freins;horaires;;oui\nE1;habitant;levier;lien;Texte;non\n"
PERR = "id;intitule;statut;indicateurs\n1;Guichet;Realise;visites|délai\n2;Former;en cours;\n"
REUNIONS = "date;dispositif;instance;groupe;participant;duree_heures;elus;techniciens\n" \
           "2022-03-01;Évaluation;audition commune;;01004;1,5;2;3\n" \
           "15/09/2021;ASV;groupe de travail;Méthodologie;;2;;\n"


def raw(text: str) -> pd.DataFrame:
    frame = pd.read_csv(io.StringIO(text), sep=";", dtype=str, keep_default_na=False,
                        na_values=[""]).astype(object)
    frame.index = range(2, 2 + len(frame))
    return frame


def check(table, text, refs=REFS):
    return check_table(table, raw(text), file_label=f"{table}.csv", refs=refs)


def only(problems):
    assert len(problems) == 1, [p.message() for p in problems]
    return problems[0]


def assert_names(problem, file, row, column, value):
    message = problem.message()
    assert problem.file == file and problem.row == row and problem.column == column
    assert f"{file}, ligne {row}, colonne « {column} »" in message
    assert f"valeur « {value} »" in message


# ------------------------------------------------------------------ valid typed forms
def test_communes_typed():
    typed, problems = check("communes", COMMUNES)
    assert problems == []
    assert typed["code_insee"].tolist() == ["01004", "2A004"]
    assert typed["population"].dtype == "Int64" and typed["population"].tolist() == [14514, 70000]
    assert typed["signataire"].dtype == bool and typed["signataire"].tolist() == [True, True]
    assert pd.isna(typed.loc[3, "code_epci"])
    assert typed.index.tolist() == [2, 3]


def test_qpv_typed_illustratif_defaults_false():
    typed, problems = check("qpv", QPV)
    assert problems == []
    assert typed["illustratif"].tolist() == [False]
    assert typed["communes"].tolist() == ["01004|2A004"]


def test_indicateurs_markers():
    typed, problems = check("indicateurs", INDICATEURS)
    assert problems == []
    assert typed["valeur"].iloc[0] == pytest.approx(41.2)
    assert np.isnan(typed["valeur"].iloc[1]) and typed["marqueur"].tolist()[1:] == ["s", "nd"]
    assert pd.isna(typed["marqueur"].iloc[0])
    assert typed["niveau"].tolist() == ["qpv", "qpv", "region"]
    assert list(typed.columns) == typed_columns("indicateurs")


def test_programmation_typed():
    typed, problems = check("programmation", PROG)
    assert problems == []
    assert typed["montant_accorde"].tolist() == [0.0, 800.0]
    assert typed["montant_demande"].tolist() == [5000.0, 1000.5]
    assert typed["commune"].tolist() == ["01004", "INTERCO"]
    assert typed["total_declare"].isna().all() and typed["total_declare"].dtype == "float64"
    assert typed["annee"].dtype == "Int64"


def test_sante_duree_normalised():
    typed, problems = check("actions_sante", SANTE)
    assert problems == []
    assert typed["duree"].tolist() == ["pérenne", "ponctuelle", "pérenne"]


def test_entretiens_and_perr_normalised():
    typed, problems = check("entretiens", ENTRETIENS)
    assert problems == [] and typed["categorie"].tolist() == ["frein", "levier"]
    assert typed["anonymise"].tolist() == [True, False]
    typed, problems = check("perr", PERR)
    assert problems == [] and typed["statut"].tolist() == ["réalisé", "en cours"]
    assert typed["id"].dtype == "Int64" and typed["pilier"].isna().all()


def test_reunions_typed():
    typed, problems = check("reunions", REUNIONS)
    assert problems == []
    assert typed["date"].tolist() == [pd.Timestamp("2022-03-01"), pd.Timestamp("2021-09-15")]
    assert typed["date"].dtype == "datetime64[ns]"
    assert typed["duree_heures"].tolist() == [1.5, 2.0]
    assert typed["elus"].dtype == "Int64" and typed["elus"].tolist()[0] == 2
    assert typed["techniciens"].isna().tolist() == [False, True]
    assert typed["groupe"].isna().tolist() == [True, False]


def test_reunions_optional_columns_absent():
    typed, problems = check("reunions", "date;dispositif;instance\n2022-01-05;CLS;restitution\n")
    assert problems == [] and list(typed.columns) == typed_columns("reunions")
    assert typed["duree_heures"].isna().all() and typed["elus"].isna().all()


def test_reunions_bad_date_and_negative_hours():
    text = REUNIONS.replace("15/09/2021", "2021-13-01").replace("1,5", "-1")
    problems = check("reunions", text)[1]
    assert len(problems) == 2, [p.message() for p in problems]
    by_column = {p.column: p for p in problems}
    assert_names(by_column["date"], "reunions.csv", 3, "date", "2021-13-01")
    assert "AAAA-MM-JJ ou JJ/MM/AAAA" in by_column["date"].expected
    assert_names(by_column["duree_heures"], "reunions.csv", 2, "duree_heures", "-1")


def test_reunions_instance_required():
    p = only(check("reunions", REUNIONS.replace(";groupe de travail;", ";;"))[1])
    assert p.column == "instance" and p.row == 3


@pytest.mark.parametrize("table", ["communes", "qpv", "indicateurs", "programmation",
                                   "actions_sante", "entretiens", "perr", "reunions"])
def test_empty_frame_has_typed_columns(table):
    frame = empty_frame(table)
    assert list(frame.columns) == typed_columns(table) and frame.empty


# ------------------------------------------------------------------ one test per error kind
def test_missing_column_names_found_columns_and_suggestion():
    text = COMMUNES.replace("code_insee", "Code INSEE")
    p = only(check("communes", text)[1])
    assert p.column == "code_insee" and p.row == 1
    assert "« Code INSEE »" in p.expected and "renommer" in p.expected
    assert "« population »" in p.expected


def test_bad_insee_code():
    p = only(check("communes", COMMUNES.replace("2A004", "2C004"))[1])
    assert_names(p, "communes.csv", 3, "code_insee", "2C004")
    assert "code INSEE" in p.expected


def test_lost_leading_zero():
    p = only(check("communes", COMMUNES.replace("01004", "1004"))[1])
    assert_names(p, "communes.csv", 2, "code_insee", "1004")
    assert "zéro initial perdu" in p.expected and "01004" in p.expected


def test_duplicate_code():
    problems = check("communes", COMMUNES.replace("2A004", "01004"))[1]
    assert [p.row for p in problems] == [2, 3]
    assert_names(problems[1], "communes.csv", 3, "code_insee", "01004")
    assert "unique" in problems[1].expected and "ligne 2" in problems[1].expected


def test_negative_population():
    p = only(check("communes", COMMUNES.replace("14514", "-3"))[1])
    assert_names(p, "communes.csv", 2, "population", "-3")
    assert "positif" in p.expected


def test_not_an_integer():
    p = only(check("communes", COMMUNES.replace("14514", "14 514,5"))[1])
    assert_names(p, "communes.csv", 2, "population", "14 514,5")
    assert "entier" in p.expected


def test_insee_marker_outside_indicateurs():
    p = only(check("communes", COMMUNES.replace("14514", "s"))[1])
    assert_names(p, "communes.csv", 2, "population", "s")
    assert "indicateurs" in p.expected


def test_bad_boolean():
    p = only(check("communes", COMMUNES.replace(";oui;", ";peut-être;"))[1])
    assert_names(p, "communes.csv", 2, "signataire", "peut-être")
    assert "oui/non" in p.expected


def test_empty_required_cell():
    p = only(check("communes", COMMUNES.replace("Ajaccio", ""))[1])
    assert p.row == 3 and p.column == "nom" and "cellule vide" in p.expected


def test_bad_epci_code():
    p = only(check("communes", COMMUNES.replace("200000001", "2000001"))[1])
    assert_names(p, "communes.csv", 2, "code_epci", "2000001")


def test_bad_qpv_code():
    p = only(check("qpv", QPV.replace("QP001001", "Q001001"))[1])
    assert_names(p, "qpv.csv", 2, "code_qpv", "Q001001")
    assert "QP" in p.expected


def test_qpv_of_unknown_commune():
    p = only(check("qpv", QPV.replace("2A004", "69123"))[1])
    assert_names(p, "qpv.csv", 2, "communes", "01004|69123")
    assert "69123" in p.expected and "autre EPCI" in p.expected
    assert "01004" not in p.expected


def test_indicateur_text_value():
    p = only(check("indicateurs", INDICATEURS.replace("41,2", "n.d."))[1])
    assert_names(p, "indicateurs.csv", 2, "valeur", "n.d.")
    assert "« s »" in p.expected and "« nd »" in p.expected


def test_indicateur_unknown_qpv_and_bad_niveau():
    problems = check("indicateurs", INDICATEURS.replace("QP001002", "QP099999")
                     .replace("Région", "canton"))[1]
    assert len(problems) == 2
    assert_names(problems[0], "indicateurs.csv", 3, "code", "QP099999")
    assert "autre EPCI" in problems[0].expected
    assert_names(problems[1], "indicateurs.csv", 4, "niveau", "canton")


def test_indicateur_year_out_of_range():
    p = only(check("indicateurs", INDICATEURS.replace(";2019;taux_pauvrete;41", ";2109;taux_pauvrete;41"))[1])
    assert_names(p, "indicateurs.csv", 2, "annee", "2109")


def test_indicateur_duplicate_key():
    text = INDICATEURS + "qpv;QP001001;2019;taux_pauvrete;40;%;non;INSEE\n"
    problems = check("indicateurs", text)[1]
    assert [p.row for p in problems] == [2, 5]
    assert "double" in problems[1].expected and "ligne 2" in problems[1].expected


def test_negative_amount():
    p = only(check("programmation", PROG.replace("1 000,5;800", "1 000,5;-800"))[1])
    assert_names(p, "programmation.csv", 3, "montant_accorde", "-800")
    assert "positif" in p.expected


def test_amount_with_text():
    p = only(check("programmation", PROG.replace("5 000;", "5 000 € environ;"))[1])
    assert_names(p, "programmation.csv", 2, "montant_demande", "5 000 € environ")
    assert "nombre" in p.expected


def test_amount_wrong_locale():
    p = only(check("programmation", PROG.replace("5 000;", "5,000,000;"))[1])
    assert_names(p, "programmation.csv", 2, "montant_demande", "5,000,000")


def test_unknown_commune_in_programmation():
    p = only(check("programmation", PROG.replace("01004;QP001001", "62498;"))[1])
    assert_names(p, "programmation.csv", 2, "commune", "62498")
    assert "communes" in p.expected


def test_programmation_lost_zero():
    p = only(check("programmation", PROG.replace("01004;QP001001", "1004;"))[1])
    assert_names(p, "programmation.csv", 2, "commune", "1004")
    assert "zéro initial perdu" in p.expected


def test_qpv_of_another_epci_in_programmation():
    p = only(check("programmation", PROG.replace("QP001001", "QP062042"))[1])
    assert_names(p, "programmation.csv", 2, "code_qpv", "QP062042")
    assert "autre EPCI" in p.expected


def test_qpv_outside_the_commune_of_the_action():
    p = only(check("programmation", PROG.replace("QP001001", "QP001002"))[1])
    assert_names(p, "programmation.csv", 2, "code_qpv", "QP001002")


def test_duplicate_programmation_key():
    problems = check("programmation", PROG.replace(";CAF;", ";État;"))[1]
    assert [p.row for p in problems] == [2, 3]
    assert problems[1].column == "numero_dossier" and "2022 / D-1 / État" in problems[1].message()


def test_year_out_of_range():
    p = only(check("programmation", PROG.replace("2022;D-1;Asso;Atelier;01004", "1922;D-1;Asso;Atelier;01004"))[1])
    assert_names(p, "programmation.csv", 2, "annee", "1922")


def test_bad_duree():
    p = only(check("actions_sante", SANTE.replace("ponctuel", "trimestrielle"))[1])
    assert_names(p, "actions_sante.csv", 3, "duree", "trimestrielle")
    assert "pérenne" in p.expected


def test_unknown_commune_in_sante():
    p = only(check("actions_sante", SANTE.replace("2022;01004", "2022;01999"))[1])
    assert_names(p, "actions_sante.csv", 2, "commune", "01999")


def test_bad_categorie():
    p = only(check("entretiens", ENTRETIENS.replace("levier", "idée"))[1])
    assert_names(p, "entretiens.csv", 3, "categorie", "idée")


def test_perr_duplicate_id_and_statut():
    problems = check("perr", PERR.replace("2;Former;en cours", "1;Former;abandonné"))[1]
    messages = [p.message() for p in problems]
    assert any("ligne 3, colonne « id »" in m and "unique" in m for m in messages)
    assert any("ligne 3, colonne « statut »" in m and "abandonné" in m for m in messages)


def test_many_identical_problems_are_summarised():
    rows = "".join(f"0{1000 + i};C{i};-1;oui;\n" for i in range(80))
    problems = check("communes", "code_insee;nom;population;signataire;code_epci\n" + rows)[1]
    assert len(problems) == 51
    assert "30 autre(s) ligne(s)" in problems[-1].expected
