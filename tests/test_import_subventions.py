"""``cdv import subventions``: each funder's export → ``programmation.csv``, joined on the
file number."""

from __future__ import annotations

import csv
import io

import pytest

from cdv_lib.cli import main
from cdv_lib.dataset import load_dataset
from cdv_lib.readers import read_table
from cdv_lib.validation import validate_dir

MAPPING = """\
# export de la communauté de communes (ses propres crédits)
colonnes:
  annee: Exercice
  numero_dossier: N° dossier
  porteur: Structure
  intitule: Intitulé
  commune: Commune
  code_qpv: Quartier
  pilier: Pilier
  thematique: Thématique
  montant_demande: Sollicité
  montant_accorde: Voté
valeurs:
  financeur: CCT
"""

# Windows-1252, « ; », French amounts with € and thousands spaces, a commune given by name
OWN = ("Exercice;N° dossier;Structure;Intitulé;Commune;Quartier;Pilier;Thématique;Sollicité;Voté\r\n"
       "2023;PRJ-2023-001;Association Les Tilleuls;Ateliers santé;Ambérieu-en-Bugey;QP001001;"
       "Cohésion sociale;Santé;6 000,00 €;5 500,00 €\r\n"
       "2023;PRJ-2023-002;Centre social du Canal;Accompagnement scolaire;01053;;Cohésion sociale;"
       "Éducation;3 000;2 500\r\n")

SCDL_HEADER = ["nomAttribuant", "idAttribuant", "dateConvention", "referenceDecision",
               "nomBeneficiaire", "idBeneficiaire", "rnaBeneficiaire", "objet", "montant",
               "nature", "conditionsVersement", "datesPeriodeVersement", "idRAE",
               "notificationUE", "pourcentageSubvention", "dispositifAide"]
SCDL_ROWS = [["Région Auvergne-Rhône-Alpes", "20005372300018", "2023-04-12", "PRJ-2023-001",
              "Association Les Tilleuls", "12345678900012", "W011234567", "Ateliers santé",
              "4000.5", "aide en numéraire", "unique", "2023-05-01", "", "non", "0.4",
              "Politique de la ville"]]

ANCT_HEADER = ["Numéro de l'action PRJ", "Libellé de l'action", "Raison sociale longue",
               "Type de tiers", "Code contrat ville", "Libellé contrat ville", "Thème",
               "Sous-thèmes", "Mt engagé", "Région"]
ANCT_ROWS = [["PRJ-2023-002", "Accompagnement scolaire", "Centre social du Canal", "Association",
              "CV001", "Contrat de ville de test", "Éducation", "Réussite éducative", 1200,
              "Auvergne-Rhône-Alpes"]]


def _scdl(tmp_path, rows=SCDL_ROWS):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=",", quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    writer.writerow(SCDL_HEADER)
    writer.writerows(rows)
    path = tmp_path / "subventions_region.csv"
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    return path


def _anct(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Actions"
    ws.append(ANCT_HEADER)
    for row in ANCT_ROWS:
        ws.append(row)
    path = tmp_path / "actions_anct.xlsx"
    wb.save(path)
    return path


def _own(tmp_path, text=OWN):
    (tmp_path / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    path = tmp_path / "programmation_cct.csv"
    path.write_bytes(text.encode("cp1252"))
    return path


def _run(files, fmt, data, *extra):
    return main(["import", "subventions", *map(str, files), "--format", str(fmt),
                 "--to", str(data), *extra])


def test_three_funders_joined_on_the_file_number(tmp_path, base_data, capsys):
    (base_data / "programmation.csv").unlink()
    assert _run([_own(tmp_path)], tmp_path / "mapping.yaml", base_data) == 0
    # the Région's SCDL file has no commune, pillar nor theme: taken from the same file number
    assert _run([_scdl(tmp_path)], "scdl", base_data, "--ajouter") == 0
    out = capsys.readouterr().out
    assert "complété(s) depuis la ligne d'un autre financeur" in out
    assert "sans montant demandé : pris égal au montant accordé" in out
    # ANCT export: no year either, joined too
    assert _run([_anct(tmp_path)], "anct", base_data, "--ajouter") == 0
    assert validate_dir(base_data) == []

    prog = load_dataset(base_data).programmation
    assert len(prog) == 4
    rows = {(r.numero_dossier, r.financeur): r for r in prog.itertuples()}
    own = rows[("PRJ-2023-001", "CCT")]
    assert (own.commune, own.montant_demande, own.montant_accorde) == ("01004", 6000.0, 5500.0)
    region = rows[("PRJ-2023-001", "Région Auvergne-Rhône-Alpes")]
    assert (region.annee, region.commune, region.code_qpv, region.pilier, region.thematique) == (
        2023, "01004", "QP001001", "Cohésion sociale", "Santé")
    assert region.montant_accorde == 4000.5
    state = rows[("PRJ-2023-002", "État")]
    assert (state.annee, state.commune, state.montant_accorde) == (2023, "01053", 1200.0)
    assert prog.groupby("numero_dossier")["montant_accorde"].sum().to_dict() == {
        "PRJ-2023-001": 9500.5, "PRJ-2023-002": 3700.0}


def test_fixed_values_for_what_no_file_gives(tmp_path, base_data):
    assert _run([_scdl(tmp_path)], "scdl", base_data, "--remplacer", "--commune", "INTERCO",
                "--pilier", "Cohésion sociale", "--thematique", "Santé") == 0
    raw = read_table(base_data / "programmation.csv")
    assert list(raw["commune"]) == ["INTERCO"] and list(raw["annee"]) == ["2023"]


BAD = {
    "montant illisible": (lambda t: ([_own(t, OWN.replace("5 500,00 €", "5 500 € env."))],
                                     t / "mapping.yaml"), [],
                          "programmation_cct.csv, ligne 2, colonne « Voté »", "un montant"),
    "colonne absente": (lambda t: ([_own(t, OWN.replace("Thématique", "Theme"))], t / "mapping.yaml"),
                        [], "colonne « Thématique »", "(→ thematique)"),
    "champ manquant": (lambda t: ([_scdl(t)], "scdl"), [], "subventions_region.csv, ligne 2",
                       "une valeur pour commune"),
    "format inconnu": (lambda t: ([_scdl(t)], "galis"), [], "--format", "anct, scdl"),
    "date illisible": (lambda t: ([_scdl(t, [SCDL_ROWS[0][:2] + ["12 avril"] + SCDL_ROWS[0][3:]])],
                                  "scdl"), ["--commune", "INTERCO"], "colonne « dateConvention »",
                       "une année"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_inputs_exit_2_and_write_nothing(tmp_path, base_data, snapshot, capsys, case):
    make, extra, where, fragment = BAD[case]
    files, fmt = make(tmp_path)
    before = snapshot(base_data)
    assert _run(files, fmt, base_data, "--remplacer", *extra) == 2
    err = capsys.readouterr().err
    assert where in err and fragment in err, err
    assert snapshot(base_data) == before


def test_bad_mapping_file(tmp_path, base_data, capsys):
    (tmp_path / "m.yaml").write_text("colonnes:\n  montant: Voté\n", encoding="utf-8")
    assert _run([_scdl(tmp_path)], tmp_path / "m.yaml", base_data, "--remplacer") == 2
    assert "colonnes.montant" in capsys.readouterr().err
