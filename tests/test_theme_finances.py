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
