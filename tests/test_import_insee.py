"""``cdv import insee``: wide INSEE QPV file → long ``indicateurs.csv``."""

from __future__ import annotations

import pandas as pd
import pytest

from cdv_lib.cli import main
from cdv_lib.dataset import load_dataset
from cdv_lib.importers.insee import split_variable, territory_level, wide_to_long
from cdv_lib.readers import read_table
from cdv_lib.validation import validate_dir

# published layout: « ; », decimal comma, wide, vintage suffix, markers; here UTF-8 with BOM
# and the base data's QPV/communes/EPCI plus a QPV and a commune of another territory
WIDE = (
    "CODGEO;LIBGEO;DISP_MED21;DISP_TP6021;DISP_D121;DISP_PPSOC21;DISP_S80S2021;DISP_GI21;NB_LOG21\r\n"
    "QP001001;Quartier des Tilleuls;13 560;41,2;7 420;14,3;4,1;0,312;850\r\n"
    "QP001002;Quartier du Canal;s;s;s;s;s;s;1200\r\n"
    "QN06225M;Grande Résidence;12 900;44,8;nd;15,1;ns;0,301;2300\r\n"
    "01053;Bourg-en-Bresse;20 110;21,5;10 300;6,2;3,9;0,295;\r\n"
    "62498;Lens;16 540;31,0;8 900;9,0;4,3;0,300;15000\r\n"
    "200000001;CC de test;21 000;15,2;11 050;5,1;3,5;0,280;40000\r\n"
    "01;Ain;23 450;10,4;12 300;4,2;3,3;0,270;300000\r\n"
)


def _write(tmp_path, text=WIDE, name="filosofi_qpv_2021.csv", encoding="utf-8-sig"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _run(path, data, *extra):
    return main(["import", "insee", str(path), "--to", str(data), *extra])


def test_wide_file_becomes_long_indicators(tmp_path, base_data, capsys):
    path = _write(tmp_path)
    (base_data / "indicateurs.csv").unlink()
    assert _run(path, base_data, "--sommable", "NB_LOG") == 0
    out = capsys.readouterr().out
    assert "1 territoire(s) (qpv)" in out or "territoire(s)" in out
    assert validate_dir(base_data) == []
    raw = read_table(base_data / "indicateurs.csv")
    # another territory's QPV (QN06225M) and commune (62498) are left out
    assert set(raw["code"]) == {"QP001001", "QP001002", "01053", "200000001", "01"}
    row = raw[(raw["code"] == "QP001001") & (raw["indicateur"] == "taux_pauvrete")].iloc[0]
    assert (row["niveau"], row["annee"], row["valeur"], row["unite"], row["sommable"]) == (
        "qpv", "2021", "41,2", "%", "non")
    assert row["libelle"] == "Taux de pauvreté au seuil de 60 %"
    assert row["source"] == "INSEE Filosofi 2021"
    # markers stay markers, never 0 nor blank
    canal = raw[raw["code"] == "QP001002"].set_index("indicateur")["valeur"]
    assert set(canal.drop("NB_LOG")) == {"s"} and canal["NB_LOG"] == "1200"
    # the empty cell of Bourg-en-Bresse gives no row
    assert not ((raw["code"] == "01053") & (raw["indicateur"] == "NB_LOG")).any()
    # unknown variable kept under its code, declared summable
    nb = raw[(raw["indicateur"] == "NB_LOG")].iloc[0]
    assert nb["sommable"] == "oui" and nb["unite"] == "nombre"
    assert set(raw.loc[raw["code"] == "01", "niveau"]) == {"departement"}

    ds = load_dataset(base_data)
    typed = ds.indicateurs.set_index(["code", "indicateur"])
    assert typed.at[("QP001002", "revenu_median"), "marqueur"] == "s"
    assert pd.isna(typed.at[("QP001002", "revenu_median"), "valeur"])
    assert typed.at[("QP001001", "revenu_median"), "valeur"] == 13560.0


def test_ns_marker_is_accepted_by_the_contract(tmp_path, base_data):
    text = WIDE.replace("QP001002;Quartier du Canal;s;s;s", "QP001002;Quartier du Canal;ns;nd;s")
    (base_data / "indicateurs.csv").unlink()
    assert _run(_write(tmp_path, text), base_data) == 0
    typed = load_dataset(base_data).indicateurs.set_index(["code", "indicateur"])
    assert typed.at[("QP001002", "revenu_median"), "marqueur"] == "ns"
    assert typed.at[("QP001002", "taux_pauvrete"), "marqueur"] == "nd"


def test_append_to_existing_indicators(tmp_path, base_data, capsys):
    before = read_table(base_data / "indicateurs.csv")
    assert _run(_write(tmp_path), base_data, "--ajouter") == 0
    assert f"{len(before)} ligne(s) existante(s) gardée(s), 0 remplacée(s)" in capsys.readouterr().out
    after = read_table(base_data / "indicateurs.csv")
    assert len(after) > len(before)
    assert ((after["annee"] == "2019") & (after["code"] == "QP001001")).any()
    assert validate_dir(base_data) == []


def test_existing_indicators_not_replaced_without_option(tmp_path, base_data, snapshot, capsys):
    before = snapshot(base_data)
    assert _run(_write(tmp_path), base_data) == 2
    assert "--remplacer" in capsys.readouterr().err
    assert snapshot(base_data) == before


def test_xlsx_with_title_rows(tmp_path, base_data):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "QP_2024"
    ws.append(["Revenus et pauvreté des ménages en 2021 - quartiers de la politique de la ville"])
    ws.append(["Source : Insee-DGFiP-Cnaf-Cnav-CCMSA, Fichier localisé social et fiscal"])
    ws.append([])
    for line in WIDE.strip().split("\r\n"):
        ws.append(line.split(";"))
    path = tmp_path / "filosofi.xlsx"
    wb.save(path)
    assert _run(path, base_data, "--remplacer") == 0
    raw = read_table(base_data / "indicateurs.csv")
    assert "QP001001" in set(raw["code"])


def test_split_variable_and_levels():
    assert split_variable("DISP_MED21") == ("DISP_MED", 2021)
    assert split_variable("DISP_S80S2021") == ("DISP_S80S20", 2021)
    assert split_variable("CODGEO") is None
    assert territory_level("QN06225M") == "qpv"
    assert territory_level("2A004") == "commune"
    assert territory_level("32", regions={"32"}) == "region"
    assert territory_level("62") == "departement"


def test_pure_function_reports_what_it_dropped():
    frame = pd.DataFrame({"CODGEO": ["QP001001"], "LIBGEO": ["x"], "DEP": ["01"],
                          "DISP_MED21": ["13 560"]}, index=[2])
    long, report = wide_to_long(frame, file_label="f.csv")
    assert list(long["indicateur"]) == ["revenu_median"]
    assert any("DEP" in what for what, _ in report.dropped)


BAD = {
    "valeur non numérique": (WIDE.replace("41,2", "41,2 %*"), "ligne 2, colonne « DISP_TP6021 »",
                             "marqueur « s »"),
    "zéro perdu": (WIDE.replace("\r\n01053;", "\r\n1053;"), "ligne 5, colonne « CODGEO »",
                   "zéro initial perdu"),
    "sans CODGEO": (WIDE.replace("CODGEO", "CODE"), "ligne 1", "colonne CODGEO"),
    "sans indicateur": ("CODGEO;LIBGEO\r\nQP001001;x\r\n", "ligne 1", "millésime"),
    "fichier vide": ("", "filosofi_qpv_2021.csv", "fichier vide"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_inputs_exit_2_and_write_nothing(tmp_path, base_data, snapshot, capsys, case):
    text, where, fragment = BAD[case]
    before = snapshot(base_data)
    assert _run(_write(tmp_path, text), base_data, "--remplacer") == 2
    err = capsys.readouterr().err
    assert where in err and fragment in err, err
    assert snapshot(base_data) == before


def test_cp1252_file(tmp_path, base_data):
    assert _run(_write(tmp_path, encoding="cp1252"), base_data, "--remplacer") == 0
    raw = read_table(base_data / "indicateurs.csv")
    assert "Taux de pauvreté au seuil de 60 %" in set(raw["libelle"])


def test_several_files_and_census_prefix(tmp_path, base_data):
    other = ("CODGEO;LIBGEO;P21_POP;NB_ALLOC22\r\n"
             "QP001001;Quartier des Tilleuls;2 100;640\r\nQP001002;Quartier du Canal;3 200;s\r\n")
    files = [_write(tmp_path), _write(tmp_path, other, name="population_caf.csv")]
    assert main(["import", "insee", *map(str, files), "--to", str(base_data), "--remplacer",
                 "--sommable", "P_POP", "--sommable", "NB_ALLOC"]) == 0
    raw = read_table(base_data / "indicateurs.csv")
    pop = raw[raw["indicateur"] == "P_POP"].set_index("code")
    assert pop.at["QP001001", "valeur"] == "2 100" and pop.at["QP001001", "annee"] == "2021"
    caf = raw[raw["indicateur"] == "NB_ALLOC"].set_index("code")
    assert caf.at["QP001002", "valeur"] == "s" and caf.at["QP001002", "annee"] == "2022"
    assert {"revenu_median", "P_POP", "NB_ALLOC"} <= set(raw["indicateur"])
    assert split_variable("P21_POP") == ("P_POP", 2021)
    assert validate_dir(base_data) == []
