"""Reader of the ANCT list of QPV (listeqp2024-cog2024.csv) and its conversion to qpv.csv."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdv_lib.errors import DataError
from cdv_lib.geo.anct import anct_to_qpv, parse_anct_qpv, read_anct_qpv

FIXTURES = Path(__file__).parent / "fixtures" / "anct"
LIST = FIXTURES / "listeqp2024-cog2024.csv"


def test_reads_the_published_layout():
    before = LIST.read_bytes()
    frame = read_anct_qpv(LIST)
    assert LIST.read_bytes() == before
    assert frame["code_qpv"].tolist() == ["QN06225M", "QN06243M", "QN06216M", "QN06208M",
                                          "QN00101M", "QN02A02M"]
    assert frame.index.tolist() == [2, 3, 4, 5, 6, 7]
    rec = frame.set_index("code_qpv")
    assert rec.loc["QN06225M", "communes"] == "62498|62523|62842"
    assert rec.loc["QN06225M", "noms_communes"] == "Lens|Loison-sous-Lens|Vendin-le-Vieil"
    assert rec.loc["QN00101M", "communes"] == "01053"      # leading zero restored
    assert rec.loc["QN02A02M", "communes"] == "2A004"      # Corsica kept as letters
    assert rec.loc["QN02A02M", "code_departement"] == "2A"
    # one EPCI for the QPV: every commune in it; two EPCI for three communes: not per commune
    assert rec.loc["QN06225M", "epci_communes"] == "246200364|246200364|246200364"
    assert rec.loc["QN06243M", "epci_communes"] == ""
    assert rec.loc["QN06243M", "siren_epci"] == "246200299|246200364"
    report = frame.attrs["compte_rendu"]
    assert report[0] == "6 QPV lus dans listeqp2024-cog2024.csv"
    assert any("1 code(s) INSEE à 4 chiffres" in line for line in report)
    assert any("2 colonne(s) sans nom" in line for line in report)


def test_windows_1252_without_bom():
    frame = read_anct_qpv(FIXTURES / "liste_cp1252.csv")
    assert frame["noms_communes"].tolist() == ["Bruay-la-Buissière"]


def test_wrong_separator_names_the_columns_read():
    with pytest.raises(DataError) as info:
        read_anct_qpv(FIXTURES / "liste_virgules.csv")
    [p] = info.value.problems
    assert p.row == 1 and "séparateur attendu : « ; »" in p.expected


def test_bad_rows_are_all_reported():
    with pytest.raises(DataError) as info:
        read_anct_qpv(FIXTURES / "liste_invalide.csv")
    found = {(p.row, p.column, p.value) for p in info.value.problems}
    assert (2, "lib_com", "Lens; Loison-sous-Lens; Vendin-le-Vieil") in found
    assert (3, "code_qp", "Q0622") in found
    assert (4, "insee_com", "62A98") in found
    assert (4, "siren_epci", "24620036") in found
    assert any(r == 5 and c == "code_qp" for r, c, _ in found)   # listed twice
    msg = str(info.value)
    assert "liste_invalide.csv, ligne 5, colonne « code_qp »" in msg and "déjà ligne 2" in msg


def test_empty_and_header_only():
    with pytest.raises(DataError):
        parse_anct_qpv("")
    frame = parse_anct_qpv("code_qp;lib_qp;insee_reg;lib_reg;insee_dep;lib_dep;insee_com;"
                           "lib_com;siren_epci;lib_epci\n")
    assert frame.empty


def test_contract_table_for_one_epci_marks_the_qpv_shared_with_another():
    qpv = anct_to_qpv(read_anct_qpv(LIST), "200072460")
    assert qpv["code_qpv"].tolist() == ["QN06208M", "QN06216M"]
    rec = qpv.set_index("code_qpv")
    # 62464 (Hulluch) is in the CA de Lens-Liévin: the file gives two EPCI for three
    # communes, so each commune's EPCI comes from the national reference
    assert rec.loc["QN06216M", "communes"] == "62276|62401"
    assert rec.loc["QN06216M", "autres_communes"] == "62464"
    assert rec.loc["QN06216M", "partage_avec"] == "CA de Lens - Liévin"
    assert rec.loc["QN06208M", "autres_communes"] == ""
    assert set(qpv["population"]) == {"nd"}
    report = qpv.attrs["compte_rendu"]
    assert report[0] == "2 QPV de l'EPCI 200072460 retenus sur 6 de la liste"
    assert any("QN06216M" in line and "CA de Lens - Liévin" in line for line in report)


def test_contract_table_from_the_territory_communes():
    qpv = anct_to_qpv(read_anct_qpv(LIST), "246200299",
                      communes=["62250", "62587"], epci_of={}, epci_names={})
    rec = qpv.set_index("code_qpv")
    assert rec.loc["QN06243M", "communes"] == "62250|62587"
    assert rec.loc["QN06243M", "autres_communes"] == "62351"
    # no per-commune EPCI in the file and an empty lookup: partner not named, and said so
    assert rec.loc["QN06243M", "partage_avec"] == ""
    assert any("EPCI inconnu pour les communes 62351" in line for line in qpv.attrs["compte_rendu"])


def test_unknown_epci_is_refused():
    with pytest.raises(ValueError, match="Aucun QPV"):
        anct_to_qpv(read_anct_qpv(LIST), "999999999")


def test_output_is_a_valid_qpv_table(tmp_path):
    from cdv_lib.dataset import load_dataset

    qpv = anct_to_qpv(read_anct_qpv(LIST), "200072460")
    qpv.to_csv(tmp_path / "qpv.csv", sep=";", index=False)
    (tmp_path / "communes.csv").write_text(
        "code_insee;nom;population;signataire\n62119;Bruay-la-Buissière;21000;oui\n"
        "62276;Douvrin;5000;oui\n62401;Haisnes;4500;oui\n", encoding="utf-8")
    ds = load_dataset(tmp_path)
    assert ds.qpv.set_index("code_qpv").loc["QN06216M", "partage_avec"] == "CA de Lens - Liévin"
    assert ds.qpv["population"].isna().all()
