"""Data side of the maps: communes and QPV joined to their perimeters, per-commune values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdv_lib.geo import reference
from cdv_lib.geo import territory as t
from cdv_lib.schemas import empty_frame

# Douvrin and Haisnes (CA de Béthune-Bruay), and 14666 (Sannerville, COG 2025): a code absent
# from the COG 2018 contours
COMMUNES = pd.DataFrame({
    "code_insee": ["62276", "62401", "14666"], "nom": ["Douvrin", "Haisnes", "Sannerville"],
    "population": pd.array([5000, 4500, 1905], dtype="Int64"),
    "signataire": [True, True, False], "code_epci": ["200072460"] * 3})
QPV = pd.DataFrame({
    "code_qpv": ["QN06216M", "QN06299Z"], "nom": ["Quartier Saint-Elie - Fosse 13", "Inconnu"],
    "communes": ["62276|62401", "62401"], "population": pd.array([1800, 500], dtype="Int64"),
    "illustratif": [False, False], "autres_communes": ["62464", np.nan],
    "partage_avec": ["CA de Lens - Liévin", np.nan]})


def test_reference_tables():
    ref = reference.qpv_reference()
    assert len(ref) == 1584
    row = ref.set_index("code_qpv").loc["QN06216M"]
    assert row["communes"] == "62276|62401|62464"
    assert row["epci"] == "200072460|246200364" and row["n_epci"] == 2
    assert (ref["n_epci"] > 1).sum() >= 10
    assert reference.epci_names()["200072460"].startswith("CA de Béthune-Bruay")
    assert reference.epci_of_communes(["62464", "99999"]) == {"62464": "246200364"}
    assert reference.geography_of("QP062001") == "2015"
    assert reference.geography_of("qn06216m") == "2024"
    assert reference.geography_of("X") is None


def test_communes_geo_lists_a_commune_missing_from_the_contours():
    geo = t.communes_geo(COMMUNES)
    assert geo["code_insee"].tolist() == ["62276", "62401", "14666"]
    assert geo["geometry"].notna().tolist() == [True, True, False]
    assert "COG 2018" in geo.loc[2, "sans_contour"] and geo.loc[0, "sans_contour"] == ""
    ring = geo.loc[0, "geometry"][0][0]
    assert ring.shape[1] == 2 and 2.7 < ring[:, 0].mean() < 2.9 and 50.4 < ring[:, 1].mean() < 50.6
    missing = t.missing_geometries(geo)
    assert missing[["type", "code", "nom"]].values.tolist() == [
        ["commune", "14666", "Sannerville"]]


def test_qpv_geo_national_reference_and_reasons():
    geo = t.qpv_geo(QPV)
    assert geo["geometry"].notna().tolist() == [True, False]
    assert geo["partage_epci"].tolist() == [True, False]
    assert geo.loc[0, "partage"] == "partagé avec la CA de Lens - Liévin"
    assert geo.loc[0, "source_geometrie"] == t.SOURCE_REFERENCE_QPV
    assert geo.loc[1, "sans_contour"] == "absent de la référence nationale 2024"


def test_qpv_geo_prefers_the_territory_file_and_never_uses_2015_from_the_reference():
    square = [[np.array([[2.8, 50.5], [2.81, 50.5], [2.81, 50.51], [2.8, 50.51]])]]
    contours = pd.DataFrame({"code_qpv": ["QN06216M"], "nom": ["x"], "geometry": [square]})
    geo = t.qpv_geo(QPV, contours)
    assert geo.loc[0, "geometry"] is square
    assert geo.loc[0, "source_geometrie"] == t.SOURCE_LOCAL_QPV
    assert geo.loc[1, "sans_contour"] == ("contour absent des données du territoire et de la "
                                          "référence nationale 2024")
    old = QPV.assign(code_qpv=["QP062001", "QP062002"], autres_communes=np.nan)
    geo = t.qpv_geo(old)
    assert geo["geometry"].isna().all()
    assert geo.loc[0, "sans_contour"].startswith("QPV de la géographie 2015")


def test_qpv_geo_refuses_mixed_geographies():
    with pytest.raises(ValueError, match="mêlent"):
        t.qpv_geo(QPV.assign(code_qpv=["QN06216M", "QP062001"]))


def test_qpv_share_by_commune_bounds():
    out = t.qpv_share_by_commune(COMMUNES, QPV).set_index("code_insee")
    # Haisnes: 500 in its own QPV; the shared QPV (1 800) only in the upper bound
    assert out.loc["62401", "valeur"] == pytest.approx(500 / 4500)
    assert out.loc["62401", "valeur_max"] == pytest.approx(2300 / 4500)
    assert out.loc["62276", "valeur"] == 0 and out.loc["62276", "valeur_max"] == pytest.approx(
        1800 / 5000)
    assert out.loc["14666", "valeur"] == 0 and out.loc["14666", "base_n"] == 1905
    nd = QPV.assign(population=pd.array([1800, pd.NA], dtype="Int64"))
    out = t.qpv_share_by_commune(COMMUNES, nd).set_index("code_insee")
    assert np.isnan(out.loc["62401", "valeur"])


def _prog(rows):
    frame = empty_frame("programmation")
    add = pd.DataFrame(rows)
    for col in frame.columns:
        if col not in add:
            add[col] = np.nan
    add["montant_demande"] = add["montant_accorde"]
    return add[frame.columns].astype({"annee": "Int64"})


def test_funding_per_inhabitant():
    prog = _prog([
        {"annee": 2024, "numero_dossier": "A", "commune": "62276", "financeur": "État",
         "montant_accorde": 10000.0},
        {"annee": 2024, "numero_dossier": "A", "commune": "62276", "financeur": "Région",
         "montant_accorde": 5000.0},
        {"annee": 2023, "numero_dossier": "B", "commune": "62401", "financeur": "État",
         "montant_accorde": 9000.0},
        {"annee": 2024, "numero_dossier": "C", "commune": "INTERCO", "financeur": "État",
         "montant_accorde": 99000.0}])
    out = t.funding_per_inhabitant(COMMUNES, prog).set_index("code_insee")
    assert out.loc["62276", "valeur"] == pytest.approx(15000 / 5000)
    assert out.loc["62276", "n_actions"] == 1
    assert out.loc["62401", "valeur"] == pytest.approx(2.0)
    assert out.loc["14666", "valeur"] == 0
    out = t.funding_per_inhabitant(COMMUNES, prog, annee=2024).set_index("code_insee")
    assert out.loc["62401", "valeur"] == 0
    empty = t.funding_per_inhabitant(COMMUNES, empty_frame("programmation"))
    assert empty["valeur"].isna().all()
    # a year without any line is unknown, not zero
    assert t.funding_per_inhabitant(COMMUNES, prog, annee=2019)["valeur"].isna().all()


def test_health_actions_by_commune():
    actions = pd.DataFrame({
        "annee": pd.array([2024, 2024, 2024], dtype="Int64"),
        "commune": ["62276", "62276", "62401"], "intitule": ["a", "b", "c"],
        "thematique": ["alimentation"] * 3, "public": ["adultes"] * 3,
        "duree": ["ponctuelle", "pérenne", "pérenne"], "dispositif": ["ASV"] * 3})
    out = t.health_actions_by_commune(COMMUNES, actions).set_index("code_insee")
    assert out["valeur"].to_dict() == {"62276": 2.0, "62401": 1.0, "14666": 0.0}
    assert out.loc["62276", "n_perennes"] == 1 and out.loc["62276", "base_n"] == 3
    assert t.health_actions_by_commune(COMMUNES, empty_frame("actions_sante"))["valeur"] \
        .isna().all()
