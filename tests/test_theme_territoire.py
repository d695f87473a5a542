"""Territoire theme: key figures, shared QPV, indicator comparison, EPCI communes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdv_lib.themes import NonSummableError
from cdv_lib.themes import territoire as T

EPCI = "246200364"


def communes():
    return pd.DataFrame({
        "code_insee": pd.array(["62001", "62002", "62003"], dtype="string"),
        "nom": ["Aville", "Bville", "Cville"],
        "population": pd.array([1000, 3000, 500], dtype="Int64"),
        "signataire": [True, True, False],
        "code_epci": pd.array([EPCI, EPCI, EPCI], dtype="string"),
    })


def qpv():
    return pd.DataFrame({
        "code_qpv": pd.array(["QP062001", "QP062002", "QP062003"], dtype="string"),
        "nom": ["Q un", "Q deux", "Q trois"],
        "communes": ["62001", "62001|62002", " 62002 "],
        "population": pd.array([400, 600, 900], dtype="Int64"),
        "illustratif": [True, True, True],
    })


def figures(df):
    return dict(zip(df["cle"], df["valeur"]))


def test_explode_qpv_communes():
    out = T.explode_qpv_communes(qpv())
    assert list(out.columns) == ["code_qpv", "code_insee"]
    assert list(map(tuple, out.to_numpy())) == [
        ("QP062001", "62001"), ("QP062002", "62001"), ("QP062002", "62002"),
        ("QP062003", "62002")]


def test_key_figures_agglomeration_counts_shared_qpv_once():
    out = T.key_figures(communes(), qpv())
    f = figures(out)
    assert f["terr.communes"] == 3
    assert f["terr.communes_signataires"] == 2
    assert f["terr.population"] == 4500
    assert f["terr.taille_mediane_commune"] == 1000
    assert f["terr.qpv"] == 3
    assert f["terr.qpv_partages"] == 1
    # 400 + 600 + 900: the shared QPV counted once, not once per commune
    assert f["terr.pop_qpv"] == 1900
    assert f["terr.part_pop_qpv"] == pytest.approx(1900 / 4500)
    assert out.set_index("cle").loc["terr.part_pop_qpv", "base_n"] == 4500


def test_key_figures_commune_brackets_shared_population():
    f = figures(T.key_figures(communes(), qpv(), "62001"))
    assert f["terr.communes"] == 1 and f["terr.communes_signataires"] == 1
    assert f["terr.qpv"] == 2 and f["terr.qpv_partages"] == 1
    assert f["terr.pop_qpv"] == 400            # only the QPV wholly in Aville
    assert f["terr.pop_qpv_partages"] == 600   # the shared QPV, not split
    assert f["terr.part_pop_qpv"] == pytest.approx(0.4)
    assert f["terr.part_pop_qpv_max"] == pytest.approx(1.0)  # min(1000, 400 + 600) / 1000

    g = figures(T.key_figures(communes(), qpv(), "62002"))
    assert g["terr.pop_qpv"] == 900
    assert g["terr.part_pop_qpv"] == pytest.approx(0.3)
    assert g["terr.part_pop_qpv_max"] == pytest.approx(0.5)  # (900 + 600) / 3000

    h = figures(T.key_figures(communes(), qpv(), "62003"))
    assert h["terr.qpv"] == 0 and h["terr.communes_signataires"] == 0
    assert h["terr.part_pop_qpv"] == 0


def test_key_figures_unknown_commune():
    with pytest.raises(ValueError, match="99999"):
        T.key_figures(communes(), qpv(), "99999")


def test_qpv_tables():
    table = T.qpv_communes_table(communes(), qpv(), "62002")
    assert list(table["code_qpv"]) == ["QP062002", "QP062003"]
    assert list(table["multi_communes"]) == [True, False]
    assert list(table["population_qpv"]) == [600, 900]

    per = T.qpv_per_commune(communes(), qpv()).set_index("code_insee")
    assert per.loc["62001", "n_qpv"] == 2 and per.loc["62001", "n_qpv_partages"] == 1
    assert per.loc["62001", "population_qpv"] == 400
    assert per.loc["62002", "population_qpv_partages"] == 600
    assert per.loc["62003", "n_qpv"] == 0 and per.loc["62003", "population_qpv"] == 0


def indicateurs():
    rows = [
        ("qpv", "QP062002", 2019, "taux_pauvrete", 45.0, pd.NA, "%", False),
        ("qpv", "QP062001", 2019, "taux_pauvrete", np.nan, "s", "%", False),
        ("commune", "62001", 2019, "taux_pauvrete", 30.0, pd.NA, "%", False),
        ("commune", "62002", 2019, "taux_pauvrete", 25.0, pd.NA, "%", False),
        ("epci", EPCI, 2019, "taux_pauvrete", 22.0, pd.NA, "%", False),
        ("departement", "62", 2019, "taux_pauvrete", 20.0, pd.NA, "%", False),
        ("region", "32", 2019, "taux_pauvrete", 18.0, pd.NA, "%", False),
        ("france", "FR", 2019, "taux_pauvrete", 14.5, pd.NA, "%", False),
        ("france", "FR", 2018, "taux_pauvrete", 14.8, pd.NA, "%", False),
        ("qpv", "QP062001", 2019, "population", 400.0, pd.NA, "habitants", True),
        ("qpv", "QP062002", 2019, "population", 600.0, pd.NA, "habitants", True),
        ("qpv", "QP062003", 2019, "population", np.nan, "s", "habitants", True),
    ]
    df = pd.DataFrame(rows, columns=["niveau", "code", "annee", "indicateur", "valeur",
                                     "marqueur", "unite", "sommable"])
    df["annee"] = df["annee"].astype("Int64")
    df["marqueur"] = df["marqueur"].astype("string")
    df["source"] = "INSEE Filosofi"
    return df


def test_compare_indicators_shared_qpv_against_every_level():
    out = T.compare_indicators(indicateurs(), qpv(), communes(), code_qpv="QP062002",
                               indicateur="taux_pauvrete")
    got = list(zip(out["niveau"].astype(str), out["code"], out["valeur"]))
    assert got == [("qpv", "QP062002", 45.0), ("commune", "62001", 30.0),
                   ("commune", "62002", 25.0), ("epci", EPCI, 22.0),
                   ("departement", "62", 20.0), ("region", "32", 18.0),
                   ("france", "FR", 14.5)]  # 2018 not mixed in


def test_compare_indicators_keeps_secret_marker():
    out = T.compare_indicators(indicateurs(), qpv(), communes(), code_qpv="QP062001",
                               indicateur="taux_pauvrete")
    first = out.iloc[0]
    assert first["niveau"] == "qpv" and np.isnan(first["valeur"]) and first["marqueur"] == "s"
    assert list(out["niveau"].astype(str)) == ["qpv", "commune", "epci", "departement",
                                               "region", "france"]


def test_aggregate_refuses_non_summable():
    with pytest.raises(NonSummableError, match="taux_pauvrete"):
        T.aggregate_indicator(indicateurs(), "taux_pauvrete", niveau="commune")


def test_aggregate_sums_counts_and_propagates_secret():
    ok = T.aggregate_indicator(indicateurs(), "population", niveau="qpv",
                               codes=["QP062001", "QP062002"])
    assert ok.loc[0, "valeur"] == 1000 and pd.isna(ok.loc[0, "marqueur"])
    secret = T.aggregate_indicator(indicateurs(), "population", niveau="qpv")
    assert np.isnan(secret.loc[0, "valeur"]) and secret.loc[0, "marqueur"] == "s"
    missing = T.aggregate_indicator(indicateurs(), "population", niveau="qpv",
                                    codes=["QP062001", "QP069999"])
    assert np.isnan(missing.loc[0, "valeur"]) and missing.loc[0, "marqueur"] == "nd"
    assert missing.loc[0, "n_manquants"] == 1


def test_communes_of_epci_restores_codes():
    ref = pd.DataFrame({
        "code_insee": [1001, 1002, 62498], "nom": ["A", "B", "Lens"],
        "code_departement": [1, 1, 62], "departement": ["Ain", "Ain", "Pas-de-Calais"],
        "code_region": [84, 84, 32], "code_epci": [200069193, 240100883, 246200364],
        "epci": ["CC Dombes", "CC Plaine", "CA Lens-Liévin"], "population": [860, 270, 31614],
    })
    out = T.communes_of_epci(ref, "200069193")
    assert out.loc[0, "code_insee"] == "01001"
    assert out.loc[0, "code_departement"] == "01"
    assert out.loc[0, "population"] == 860
    assert list(out.columns) == T.REFERENCE_COLUMNS
    with pytest.raises(ValueError, match="123456789"):
        T.communes_of_epci(ref, "123456789")
