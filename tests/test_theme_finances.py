"""Finances theme: totals, actions counted once, evolution, health share, checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdv_lib.themes import finances as F

COLUMNS = ["annee", "numero_dossier", "porteur", "intitule", "commune", "pilier",
           "thematique", "financeur", "montant_demande", "montant_accorde", "total_declare"]


def frame(rows):
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["annee"] = df["annee"].astype("Int64")
    for col in ["montant_demande", "montant_accorde", "total_declare"]:
        df[col] = df[col].astype("float64")
    df["code_qpv"] = pd.array([pd.NA] * len(df), dtype="string")
    return df


def prog():
    nan = np.nan
    return frame([
        (2016, "D1", "Asso A", "Santé ados", "62001", "Cohésion sociale", "Santé", "État",
         1200, 1000, nan),
        (2016, "D1", "Asso A", "Santé ados", "62001", "Cohésion sociale", "Santé", "Commune",
         500, 500, nan),
        (2016, "D2", "Asso B", "Soutien scolaire", "INTERCO", "Cohésion sociale", "Éducation",
         "État", 2000, 2000, nan),
        (2022, "D3", "Asso A", "Prévention", "62001", "Cohésion sociale", " SANTE ", "État",
         3000, 3000, 3000),
        (2022, "D4", "Asso C", "Chantier", "62002", "Emploi", "Emploi", "Région",
         1500, 1500, nan),
        (2022, "D5", "Club", "Foot", "62002", "Cohésion sociale", "Sport", "CALL",
         1000, nan, nan),
    ])


def test_totals_by_year_count_actions_not_rows():
    out = F.totals(prog()).set_index("annee")
    assert out.loc[2016, "montant_accorde"] == 3500   # 1000 + 500 + 2000
    assert out.loc[2016, "montant_demande"] == 3700   # 1200 + 500 + 2000
    assert out.loc[2016, "n_actions"] == 2            # D1 has two funders: one action
    assert out.loc[2016, "n_lignes"] == 3
    assert out.loc[2022, "montant_accorde"] == 4500   # D5 not granted counts 0
    assert out.loc[2022, "n_actions"] == 3


def test_totals_by_funder_and_grand_total():
    out = F.totals(prog(), ["financeur"]).set_index("financeur")
    assert out.loc["État", "montant_accorde"] == 6000
    assert out.loc["État", "n_actions"] == 3
    grand = F.totals(prog(), [])
    assert grand.loc[0, "montant_accorde"] == 8000 and grand.loc[0, "n_actions"] == 5
    with pytest.raises(ValueError, match="porteur"):
        F.totals(prog(), "porteur")


def test_commune_filter_keeps_interco_apart():
    own = F.totals(prog(), commune="62001").set_index("annee")["montant_accorde"]
    assert own.to_dict() == {2016: 1500, 2022: 3000}
    inter = F.totals(prog(), commune="INTERCO")
    assert list(inter["montant_accorde"]) == [2000]


def test_evolution_is_raw_ratio():
    assert F.evolution(prog(), 2016, 2022) == pytest.approx(4500 / 3500 - 1)
    published = frame([
        (2016, "X", "P", "I", "INTERCO", "P", "T", "État", 3_900_000, 3_900_000, np.nan),
        (2022, "Y", "P", "I", "INTERCO", "P", "T", "État", 5_760_000, 5_760_000, np.nan),
    ])
    assert F.evolution(published, 2016, 2022) == pytest.approx(0.476923, abs=1e-6)
    with pytest.raises(ValueError, match="2019"):
        F.evolution(prog(), 2019, 2022)


def test_health_share_accent_and_case_insensitive():
    out = F.health_share(prog()).set_index("annee")
    assert out.loc[2016, "n_actions_sante"] == 1 and out.loc[2016, "n_actions"] == 2
    assert out.loc[2016, "part_actions"] == pytest.approx(0.5)
    assert out.loc[2016, "montant_sante"] == 1500
    assert out.loc[2016, "part_montant"] == pytest.approx(1500 / 3500)
    assert out.loc[2022, "n_actions_sante"] == 1   # " SANTE " is health
    assert out.loc[2022, "part_montant"] == pytest.approx(3000 / 4500)


def checks_frame():
    nan = np.nan
    return frame([
        (2022, "A0", "P0", "Ok", "62001", "P", "T", "État", 100, 100, 100.5),
        (2022, "A1", "P1", "Total faux", "62001", "P", "T", "État", 1000, 1000, 2500),
        (2022, "A1", "P1", "Total faux", "62001", "P", "T", "Région", 1000, 1000, 2500),
        (2022, "A2", "P2", "Trop", "62001", "P", "T", "État", 500, 600, nan),
        (2022, "A3", "P3", "Deux fois", "62001", "P", "T", "État", 100, 100, nan),
        (2022, "A3", "P3", "Deux fois", "62001", "P", "T", "État", 100, 100, nan),
        (2022, "B1", "Asso X", "Atelier", "62001", "P", "T", "État", 700, 700, nan),
        (2022, "B2", "asso x", "Atelier ", "62001", "P", "T", "État", 700, 700, nan),
        (2023, "B3", "Asso X", "Atelier", "62001", "P", "T", "État", 700, 700, nan),
        (2022, "C1", "P4", "Négatif", "62001", "P", "T", "État", -5, 0, nan),
    ])


def test_consistency_checks_flags():
    out = F.consistency_checks(checks_frame())
    assert list(out.columns) == ["controle", "annee", "numero_dossier", "financeur", "message"]
    got = sorted(zip(out["controle"], out["numero_dossier"]))
    assert got == [("accorde_superieur", "A2"), ("doublon_action", "B1"),
                   ("doublon_action", "B2"), ("doublon_financeur", "A3"),
                   ("montant_negatif", "C1"), ("total_declare", "A1")]
    msg = out.loc[out["controle"] == "total_declare", "message"].iloc[0]
    assert "2\u202f000 €" in msg and "2\u202f500 €" in msg


def test_consistency_checks_clean():
    out = F.consistency_checks(prog())
    assert out.empty and list(out.columns)[0] == "controle"


def large_frame(n_files=3000):
    """A clean programmation of *n_files* files with two funders each (total declared)."""
    rows = []
    for i in range(n_files):
        year = 2016 + i % 7
        for funder, share in (("État", 0.6), ("Région", 0.4)):
            rows.append((year, f"F{i:05d}", f"Porteur {i}", f"Action {i}", "62001", "P",
                         "Santé" if i % 3 else "Emploi", funder, 1000.0 * share + i,
                         1000.0 * share + i, 1000.0 + 2 * i))
    return frame(rows)


def test_consistency_checks_on_a_large_frame_finds_exactly_the_planted_flags():
    df = large_frame()
    assert F.consistency_checks(df).empty
    nb = "\u202f"
    at = df.index[df["numero_dossier"] == "F00010"][0]
    df.loc[at, "montant_demande"] = -5.0                       # negative (and granted > -5)
    over = df.index[df["numero_dossier"] == "F00020"][1]
    df.loc[over, "montant_accorde"] = 5000.0                   # granted > requested, total off
    twice = df.index[df["numero_dossier"] == "F00030"]
    df.loc[twice[1], "total_declare"] = 999.0                  # two declared totals
    df = pd.concat([df, df.loc[df["numero_dossier"] == "F00040"].iloc[[0]]],
                   ignore_index=True)                          # same funder twice, total off
    copy = df.loc[df["numero_dossier"] == "F00050"].assign(numero_dossier="Z00050")
    copy["porteur"] = copy["porteur"].str.upper()              # same action, other number
    df = pd.concat([df, copy], ignore_index=True)

    out = F.consistency_checks(df)
    got = list(zip(out["controle"], out["numero_dossier"], out["financeur"].fillna("-")))
    assert got == [
        ("montant_negatif", "F00010", "État"),
        ("accorde_superieur", "F00020", "Région"),
        ("doublon_financeur", "F00040", "État"),
        ("total_declare", "F00030", "-"),
        ("total_declare", "F00040", "-"),
        ("total_declare", "F00020", "-"),
        ("doublon_action", "F00050", "-"),
        ("doublon_action", "Z00050", "-"),
    ]
    assert out["annee"].tolist() == [2019, 2022, 2021, 2018, 2021, 2022, 2017, 2017]
    messages = dict(zip(zip(out["controle"], out["numero_dossier"]), out["message"]))
    assert messages[("montant_negatif", "F00010")] == (
        f"Dossier F00010 (2019), financeur État : montant demandé négatif (-5 €).")
    assert messages[("accorde_superieur", "F00020")] == (
        f"Dossier F00020 (2022), financeur Région : montant accordé (5{nb}000 €) supérieur "
        "au montant demandé (420 €).")
    assert messages[("total_declare", "F00030")] == (
        f"Dossier F00030 (2018) : totaux déclarés différents selon les lignes "
        f"(1{nb}060 €, 999 €).")
    assert messages[("total_declare", "F00040")] == (
        f"Dossier F00040 (2021) : la somme des financeurs (1{nb}720 €) ne correspond pas au "
        f"total déclaré (1{nb}080 €), écart de 640 €.")
    assert messages[("doublon_financeur", "F00040")] == (
        "Dossier F00040 (2021) : le financeur État apparaît 2 fois (dossier saisi deux fois ?).")
    assert messages[("doublon_action", "Z00050")] == (
        f"Dossier Z00050 (2017) : même porteur (Porteur 50), même intitulé (Action 50) et "
        f"même montant (1{nb}100 €) que le dossier F00050.")


def test_is_health_normalises_each_distinct_label_once():
    labels = pd.Series(["Santé", " SANTE ", None, "Emploi", "santé", np.nan] * 1000,
                       dtype="object", index=range(10, 6010))
    out = F.is_health(labels)
    assert out.index.equals(labels.index) and out.dtype == bool
    assert out.iloc[:6].tolist() == [True, True, False, False, True, False]
    assert int(out.sum()) == 3000
