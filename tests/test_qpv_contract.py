"""The qpv contract: populations « nd », QPV shared with another EPCI, one geography per
file, perimeters from qpv.geojson."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cdv_lib.dataset import load_dataset
from cdv_lib.errors import DataError
from cdv_lib.themes import territoire as th

COMMUNES = ("code_insee;nom;population;signataire;code_epci\n"
            "62276;Douvrin;5000;oui;200072460\n62401;Haisnes;4500;oui;200072460\n"
            "62119;Béthune;21000;oui;200072460\n")
QPV = ("code_qpv;nom;communes;population;autres_communes\n"
       "QN06216M;Quartier Saint-Elie - Fosse 13;62276|62401;1800;62464\n"
       "QN06208M;Quartier Du Mont Liébaut;62119;nd;\n")


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "communes.csv").write_text(COMMUNES, encoding="utf-8")
    (tmp_path / "qpv.csv").write_text(QPV, encoding="utf-8")
    (tmp_path / "config.yaml").write_text(
        "territoire: CA de Béthune-Bruay\nsigle: CABBALR\ncode_epci: '200072460'\nannee: 2024\n",
        encoding="utf-8")
    return tmp_path


def problems_of(folder):
    with pytest.raises(DataError) as info:
        load_dataset(folder)
    return [p.message() for p in info.value.problems]


def test_population_nd_is_accepted_and_typed_na(folder):
    ds = load_dataset(folder)
    assert ds.qpv["population"].isna().tolist() == [False, True]


def test_empty_population_is_refused_with_the_nd_hint(folder):
    (folder / "qpv.csv").write_text(QPV.replace(";nd;", ";;"), encoding="utf-8")
    [msg] = problems_of(folder)
    assert "qpv.csv, ligne 3, colonne « population »" in msg and "« nd »" in msg


def test_shared_qpv_named_from_the_national_reference(folder):
    ds = load_dataset(folder)
    assert ds.qpv.loc[ds.qpv["code_qpv"] == "QN06216M", "partage_avec"].item() \
        == "CA de Lens - Liévin"
    table = th.qpv_communes_table(ds.communes, ds.qpv, "62276")
    assert table["partage"].tolist() == ["partagé avec la CA de Lens - Liévin"]
    assert table["partage_epci"].tolist() == [True]
    assert table["n_communes_qpv"].tolist() == [3]


def test_given_partner_name_is_kept(folder):
    (folder / "qpv.csv").write_text(
        QPV.replace("autres_communes\n", "autres_communes;partage_avec\n")
        .replace(";62464\n", ";62464;Communauté d'agglomération voisine\n")
        .replace(";nd;\n", ";nd;;\n"), encoding="utf-8")
    ds = load_dataset(folder)
    assert ds.qpv["partage_avec"].tolist()[0] == "Communauté d'agglomération voisine"


def test_commune_of_the_territory_in_autres_communes_is_refused(folder):
    (folder / "qpv.csv").write_text(QPV.replace(";62464", ";62119"), encoding="utf-8")
    [msg] = problems_of(folder)
    assert "autres_communes" in msg and "62119" in msg


def test_mixed_geographies_are_refused(folder):
    (folder / "qpv.csv").write_text(QPV + "QP062001;Ancien quartier;62119;900;\n",
                                    encoding="utf-8")
    [msg] = problems_of(folder)
    assert "ligne 4" in msg and "QP062001" in msg and "ne mêle pas les deux géographies" in msg


def test_key_figures_mark_the_cross_epci_qpv_and_refuse_partial_sums(folder):
    ds = load_dataset(folder)
    fig = th.key_figures(ds.communes, ds.qpv).set_index("cle")
    assert fig.loc["terr.qpv_partages_epci", "valeur"] == 1
    assert "partagé avec la CA de Lens - Liévin" in fig.loc["terr.qpv_partages_epci", "note"]
    # one population is « nd »: no silent partial total
    assert np.isnan(fig.loc["terr.pop_qpv", "valeur"])
    assert "QN06208M" in fig.loc["terr.pop_qpv", "note"]
    (folder / "qpv.csv").write_text(QPV.replace(";nd;", ";2500;"), encoding="utf-8")
    fig = th.key_figures(load_dataset(folder).communes, load_dataset(folder).qpv).set_index("cle")
    assert fig.loc["terr.pop_qpv", "valeur"] == 4300
    assert fig.loc["terr.part_pop_qpv", "valeur"] == pytest.approx(2500 / 30500)
    assert fig.loc["terr.part_pop_qpv_max", "valeur"] == pytest.approx(4300 / 30500)


def test_qpv_per_commune_with_nd_population(folder):
    ds = load_dataset(folder)
    per = th.qpv_per_commune(ds.communes, ds.qpv).set_index("code_insee")
    assert per.loc["62276", "n_qpv_partages"] == 1
    assert per.loc["62276", "population_qpv_partages"] == 1800
    assert pd.isna(per.loc["62119", "population_qpv"])


def _square(x, y, d=0.01):
    return {"type": "Polygon", "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d],
                                                [x, y]]]}


def _geojson(features):
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": geom} for props, geom in features]})


def test_qpv_geojson_is_loaded(folder):
    (folder / "qpv.geojson").write_text(_geojson([
        ({"code_qp": "QN06216M", "lib_qp": "Saint-Elie"}, _square(2.8, 50.5))]),
        encoding="utf-8")
    ds = load_dataset(folder)
    assert ds.qpv_contours["code_qpv"].tolist() == ["QN06216M"]
    assert ds.qpv_contours["geometry"].iloc[0][0][0].shape == (5, 2)


def test_qpv_geojson_of_the_other_geography_is_refused(folder):
    (folder / "qpv.geojson").write_text(_geojson([
        ({"code_qpv": "QP062001"}, _square(2.8, 50.5))]), encoding="utf-8")
    [msg] = problems_of(folder)
    assert "qpv.geojson" in msg and "géographie 2024" in msg


def test_qpv_geojson_problems(folder):
    (folder / "qpv.geojson").write_text(_geojson([
        ({"nom": "sans code"}, _square(2.8, 50.5)),
        ({"code_qpv": "QN06216M"}, _square(700000, 7000000, 100)),
        ({"code_qpv": "QN06208M"}, {"type": "Point", "coordinates": [2.8, 50.5]})]),
        encoding="utf-8")
    msgs = problems_of(folder)
    assert any("objet 1" in m and "code_qpv" in m for m in msgs)
    assert any("objet 2" in m and "Lambert-93" in m for m in msgs)
    assert any("objet 3" in m and "Point" in m for m in msgs)
    (folder / "qpv.geojson").write_text("{pas du json", encoding="utf-8")
    [msg] = problems_of(folder)
    assert "qpv.geojson" in msg and "GeoJSON valide" in msg
