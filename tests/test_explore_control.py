"""« Contrôler les données de l'année »: findings, profile, comparison of two folders,
on copies of the small valid folder tests/bad_inputs/base (expected values read from it)."""

import shutil

import pandas as pd

from cdv_lib.explore import control


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_findings_of_a_valid_and_a_broken_folder(base_data, snapshot):
    assert control.findings(base_data).empty
    assert "Aucun problème" in control.findings_html(control.findings(base_data))
    _edit(base_data / "communes.csv", "01004;Ambérieu-en-Bugey;14514", "01004;Ambérieu-en-Bugey;beaucoup")
    before = snapshot(base_data)
    table = control.findings(base_data)
    assert snapshot(base_data) == before  # read only
    row = table[table["fichier"] == "communes.csv"].iloc[0]
    assert (row["ligne"], row["colonne"], row["valeur"]) == (2, "population", "beaucoup")
    assert row["message"].startswith("communes.csv, ligne 2, colonne « population »")
    counts = control.findings_by_file(table)
    assert list(counts.columns) == ["fichier", "problemes"] and counts["problemes"].sum() == len(table)
    assert "<h4>communes.csv" in control.findings_html(table)


def test_profile_of_each_input(base_data):
    profile = control.profile_inputs(base_data).set_index("fichier")
    communes = pd.read_csv(base_data / "communes.csv", sep=";", dtype=str)
    assert profile.loc["communes.csv", "lignes"] == len(communes)
    assert profile.loc["communes.csv", "communes"] == communes["code_insee"].nunique()
    prog = pd.read_csv(base_data / "programmation.csv", sep=";", dtype=str)
    years = sorted(prog["annee"].astype(int).unique())
    expected_years = str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"
    assert profile.loc["programmation.csv", "annees"] == expected_years
    assert profile.loc["programmation.csv", "cellules_vides"] == int(prog.isna().sum().sum())
    assert "questionnaires/associations.yaml" in profile.index
    assert profile.loc["questionnaires/associations.yaml", "remarque"] == "définition (YAML)"
    assert "questionnaires/associations_reponses.csv" in profile.index


def test_profile_names_an_unreadable_file(base_data):
    (base_data / "perr.csv").write_bytes(b"")
    profile = control.profile_inputs(base_data).set_index("fichier")
    assert profile.loc["perr.csv", "remarque"].startswith("illisible")


def test_compare_two_folders(base_data, tmp_path):
    old = tmp_path / "annee_precedente"
    shutil.copytree(base_data, old)
    # this year: one population changed, one commune added, perr removed, reunions added
    _edit(base_data / "communes.csv", "01004;Ambérieu-en-Bugey;14514", "01004;Ambérieu-en-Bugey;14600")
    with open(base_data / "communes.csv", "a", encoding="utf-8") as fh:
        fh.write("01999;Nouvelle-Commune;100;non;200000001\n")
    (base_data / "perr.csv").unlink()
    (base_data / "reunions.csv").write_text("date;dispositif;instance\n2023-01-05;ASV;groupe de travail\n",
                                            encoding="utf-8")
    summary, changes = control.compare_folders(old, base_data)
    s = summary.set_index("fichier")
    n_old = len(pd.read_csv(old / "communes.csv", sep=";", dtype=str))
    assert s.loc["communes.csv", "statut"] == "présent les deux années"
    assert (s.loc["communes.csv", "lignes_avant"], s.loc["communes.csv", "lignes_apres"]) == (n_old, n_old + 1)
    assert s.loc["communes.csv", "cle"] == "code_insee"
    assert (s.loc["communes.csv", "cles_ajoutees"], s.loc["communes.csv", "cles_supprimees"],
            s.loc["communes.csv", "cles_modifiees"]) == (1, 0, 1)
    assert s.loc["perr.csv", "statut"] == "supprimé"
    assert s.loc["reunions.csv", "statut"] == "ajouté" and s.loc["reunions.csv", "lignes_apres"] == 1
    assert s.loc["qpv.csv", "cles_modifiees"] == 0
    assert s.loc["questionnaires/associations.yaml", "statut"] == "identique"
    assert s.loc["questionnaires/associations_reponses.csv", "cle"] != "(ligne entière)"  # its identifiant
    assert changes.to_dict("records") == [{"fichier": "communes.csv", "cle": "01004", "colonne": "population",
                                          "avant": "14514", "apres": "14600"}]
    html = control.comparison_html(old, base_data)
    assert "Valeurs modifiées (1)" in html and "14600" in html
    assert "dossier_annee_precedente" in control.comparison_html(None, base_data)
    assert "Comparaison impossible" in control.comparison_html(tmp_path / "absent", base_data)


def test_table_without_key_is_compared_row_by_row(base_data, tmp_path):
    old = tmp_path / "avant"
    shutil.copytree(base_data, old)
    lines = (base_data / "actions_sante.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (base_data / "actions_sante.csv").write_text("".join(lines[:-1]), encoding="utf-8")  # last row dropped
    s = control.compare_folders(old, base_data)[0].set_index("fichier")
    assert s.loc["actions_sante.csv", "cle"] == "(ligne entière)"
    assert (s.loc["actions_sante.csv", "cles_ajoutees"], s.loc["actions_sante.csv", "cles_supprimees"]) == (0, 1)
