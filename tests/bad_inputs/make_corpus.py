"""Generate the bad-input corpus ``tests/bad_inputs/cases/`` from the valid ``base/`` dataset.

Each case is a folder holding ONE file that replaces (or, for another extension of the same
table, stands in for) the file of the same name in ``base/``. The output is committed; run
``python tests/bad_inputs/make_corpus.py`` again after changing ``base/``. Deterministic.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
BASE = HERE / "base"
CASES = HERE / "cases"


def base_text(name: str) -> str:
    return (BASE / name).read_text(encoding="utf-8")


def replaced(name: str, old: str, new: str, count: int = 1) -> str:
    text = base_text(name)
    assert old in text, (name, old)
    return text.replace(old, new, count)


def csv_rows(name: str) -> list[list[str]]:
    return [line.split(";") for line in base_text(name).splitlines()]


def workbook(sheets: dict[str, list[list]], merged: dict[str, list[str]] | None = None):
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        for rng in (merged or {}).get(title, []):
            ws.merge_cells(rng)
    return wb


def text_cases() -> dict[str, tuple[str, bytes]]:
    """case name -> (file path relative to the data directory, content)."""
    rng = random.Random(20240501)
    prog_lines = base_text("programmation.csv").splitlines(keepends=True)
    mixed_encoding = "".join(prog_lines[:-1]).encode("utf-8") + prog_lines[-1].encode("cp1252")
    comma_row = prog_lines[2].replace(";", ",")
    qpv_comma = base_text("qpv.csv").replace(";", ",").replace(
        "Quartier du Canal (test)", "Quartier du Canal, centre")
    answers = "questionnaires/associations_reponses.csv"
    return {
        "encodage_utf16": ("communes.csv", base_text("communes.csv").encode("utf-16")),
        "encodage_dos_cp850": ("entretiens.csv", base_text("entretiens.csv").encode("cp850")),
        "encodage_melange": ("programmation.csv", mixed_encoding),
        "encodage_octet_inconnu": ("communes.csv", base_text("communes.csv").encode("utf-8")
                                   .replace("Bourg-en-Bresse".encode(), b"Bourg-en-\x90resse")),
        "separateur_melange": ("programmation.csv",
                               "".join(prog_lines[:2] + [comma_row] + prog_lines[3:]).encode()),
        "separateur_barre": ("communes.csv", base_text("communes.csv").replace(";", "|").encode()),
        "separateur_virgule_dans_valeur": ("qpv.csv", qpv_comma.encode()),
        "guillemet_non_ferme": ("entretiens.csv", replaced(
            "entretiens.csv", "Les réunions", '"Les réunions').encode()),
        "colonne_absente": ("programmation.csv", "".join(
            ";".join(r[:10] + r[11:]) + "\n" for r in csv_rows("programmation.csv")).encode()),
        "colonne_renommee": ("communes.csv", replaced("communes.csv", "code_insee",
                                                      "Code INSEE").encode()),
        "colonne_dupliquee": ("qpv.csv", replaced("qpv.csv", "illustratif", "population")
                              .encode()),
        "titre_avant_entete": ("programmation.csv", (
            "Export plateforme des subventions du 12/01/2023\n"
            + base_text("programmation.csv")).encode()),
        "entete_seul": ("perr.csv", base_text("perr.csv").splitlines(keepends=True)[0].encode()),
        "fichier_vide": ("actions_sante.csv", b""),
        "binaire_en_csv": ("indicateurs.csv", bytes(rng.randrange(256) for _ in range(512))
                           + b"\x00"),
        "classeur_renomme_csv": ("communes.csv", b"PK\x03\x04" + bytes(60)),
        "ancien_xls": ("communes.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(56)),
        "montant_texte": ("programmation.csv", replaced(
            "programmation.csv", "Santé;État;5 000", "Santé;État;5 000 € (estimé)").encode()),
        "montant_negatif": ("programmation.csv", replaced(
            "programmation.csv", "4 000,00", "-4 000,00").encode()),
        "montant_milliers_anglais": ("programmation.csv", replaced(
            "programmation.csv", "12 500,50", "12,500.50").encode()),
        "commune_inconnue": ("programmation.csv", replaced(
            "programmation.csv", "Soutien scolaire;01053", "Soutien scolaire;62498").encode()),
        "qpv_autre_epci": ("programmation.csv", replaced(
            "programmation.csv", "01004;QP001001", "01004;QP062042").encode()),
        "qpv_commune_autre_epci": ("qpv.csv", replaced("qpv.csv", "01053|01283",
                                                       "01053|62510").encode()),
        "zero_initial_perdu": ("communes.csv", replaced("communes.csv", "\n01004;", "\n1004;")
                               .encode("cp1252")),
        "secret_insee_population": ("qpv.csv", replaced("qpv.csv", ";2100;", ";s;").encode()),
        "indicateur_valeur_texte": ("indicateurs.csv", replaced(
            "indicateurs.csv", ";s;%", ";n.c.;%").encode()),
        "booleen_invalide": ("communes.csv", replaced("communes.csv", "22427;non",
                                                      "22427;peut-être").encode()),
        "code_insee_double": ("communes.csv", replaced("communes.csv", "01283;Oyonnax",
                                                       "01053;Oyonnax").encode()),
        "dossier_double": ("programmation.csv", (base_text("programmation.csv")
                                                 + base_text("programmation.csv")
                                                 .splitlines(keepends=True)[3]).encode()),
        "duree_invalide": ("actions_sante.csv", replaced("actions_sante.csv", "ponctuelle",
                                                         "trimestrielle").encode()),
        "statut_invalide": ("perr.csv", replaced("perr.csv", "en cours", "abandonné").encode()),
        "config_seuil_texte": ("config.yaml", replaced("config.yaml", "seuil_defaut: 5",
                                                       "seuil_defaut: cinq").encode()),
        "ami_plafond_inferieur": ("ami_regles.yaml", replaced("ami_regles.yaml", "plafond: 0.80",
                                                              "plafond: 0.40").encode()),
        "reponses_identifiant_double": (answers, replaced(
            answers, "\n3;01283", "\n2;01283").encode()),
        "reponses_choix_inconnu": (answers, replaced(answers, ";A2;", ";A9;").encode()),
        "reponses_echelle_hors_bornes": (answers, replaced(answers, ";A2;3;", ";A2;5;").encode()),
        "reponses_libelle_avec_separateur": (answers, replaced(
            answers, '"Emploi;Logement"', '"Emploi; formation;Logement"').encode()),
    }


def excel_cases() -> dict[str, tuple[str, Workbook]]:
    prog = [list(r) for r in csv_rows("programmation.csv")]
    header, data = prog[0], prog[1:]
    merged_header = [["Dossier"] + [None] * 8 + ["Montants", None, None], header] + data
    formulas = [header] + [row[:] for row in data]
    formulas[2][10] = "=J3*0.8"
    communes = [list(r) for r in csv_rows("communes.csv")]
    numeric = [communes[0]] + [[int(r[0]), r[1], int(r[2]), r[3], int(r[4])]
                               for r in communes[1:]]
    return {
        "xlsx_entete_fusionne": ("programmation.xlsx", workbook(
            {"programmation": merged_header}, {"programmation": ["A1:I1", "J1:L1"]})),
        "xlsx_formule_sans_valeur": ("programmation.xlsx", workbook(
            {"programmation": formulas})),
        "xlsx_plusieurs_feuilles": ("programmation.xlsx", workbook(
            {"Notes": [["Export du 12/01/2023"], ["Montants en euros"]], "Export": prog})),
        "xlsx_codes_numeriques": ("communes.xlsx", workbook({"communes": numeric})),
    }


def main() -> None:
    if CASES.exists():
        shutil.rmtree(CASES)
    for case, (rel, content) in text_cases().items():
        target = CASES / case / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    for case, (rel, wb) in excel_cases().items():
        target = CASES / case / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        wb.save(target)
        _freeze_zip_times(target)
    print(f"{len(list(CASES.iterdir()))} cas écrits dans {CASES}")


def _freeze_zip_times(path: Path) -> None:
    """Rewrite a workbook with fixed entry dates and document properties so that the output
    is byte-for-byte reproducible."""
    import io
    import re
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2024-05-01T00:00:00Z", data)
            entry = zipfile.ZipInfo(info.filename, date_time=(2024, 5, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, data)
    path.write_bytes(buffer.getvalue())


if __name__ == "__main__":
    main()
