"""Maps: assertions on what was drawn (collections, legend labels, captions), as seaborn's
tests do, and on the French text alternatives."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cdv_lib import maps  # noqa: E402
from cdv_lib.geo import territory as t  # noqa: E402
from cdv_lib.style import get_caption, is_empty_chart  # noqa: E402

COMMUNES = pd.DataFrame({
    "code_insee": ["62276", "62401", "62119", "14666"],
    "nom": ["Douvrin", "Haisnes", "Béthune", "Sannerville"],
    "population": pd.array([5000, 4500, 21000, 1905], dtype="Int64"),
    "signataire": [True, False, True, False]})
QPV = pd.DataFrame({
    "code_qpv": ["QN06216M", "QN06208M", "QN06209M"],
    "nom": ["Quartier Saint-Elie - Fosse 13", "Quartier Du Mont Liébaut", "Quartier 3 ilôts"],
    "communes": ["62276|62401", "62119", "62119"],
    "population": pd.array([1800, 2500, 3000], dtype="Int64"),
    "autres_communes": ["62464", np.nan, "62848"],
    "partage_avec": ["CA de Lens - Liévin", np.nan, np.nan]})


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


@pytest.fixture(scope="module")
def geo():
    return t.communes_geo(COMMUNES), t.qpv_geo(QPV)


def collections(ax, gid):
    return [c for c in ax.collections if c.get_gid() == gid]


def flat(text):
    """Caption or description text with no-break spaces and wrapped lines made plain."""
    return text.replace("\u00a0", " ").replace("\n  ", " ")


def legend_labels(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


def test_territory_map_draws_layers_legend_and_lists_the_missing_commune(ax, geo):
    communes, qpv = geo
    out = maps.territory_map(communes, qpv, ax=ax)
    assert out is ax
    [layer] = collections(ax, maps.GID_COMMUNES)
    assert len(layer.get_paths()) == 3          # Sannerville (14666) has no contour
    colours = [tuple(np.round(c, 3)) for c in layer.get_facecolors()]
    assert colours.count(colours[0]) == 2       # two signatories share a colour
    [own] = collections(ax, maps.GID_QPV)
    [shared] = collections(ax, maps.GID_QPV_SHARED)
    assert len(own.get_paths()) == 1 and len(shared.get_paths()) == 2
    assert legend_labels(ax) == ["Commune signataire", "Autre commune",
                                 "Quartier prioritaire (QPV)", "QPV partagé avec un autre EPCI"]
    caption = flat(get_caption(ax))
    assert "Source : IGN Admin Express COG 2018" in caption and "ANCT" in caption
    assert "Sannerville (14666)" in caption and "Sans contour" in caption
    labels = [x.get_text() for x in ax.texts if x.get_gid() == maps.GID_LABEL]
    assert sorted(labels) == ["Béthune", "Douvrin"]
    assert ax.get_aspect() == 1.0


def test_territory_map_signatories_argument_and_no_qpv(ax, geo):
    communes, _ = geo
    maps.territory_map(communes, None, signatories=["62401"], labels=False, ax=ax)
    assert legend_labels(ax) == ["Commune signataire", "Autre commune"]
    assert not collections(ax, maps.GID_QPV)
    assert not [x for x in ax.texts if x.get_gid() == maps.GID_LABEL]


def test_territory_map_without_any_geometry_does_not_fail(ax):
    only_missing = t.communes_geo(COMMUNES[COMMUNES["code_insee"] == "14666"])
    maps.territory_map(only_missing, None, ax=ax)
    assert is_empty_chart(ax) and "Sannerville" in get_caption(ax)


def test_describe_territory_map(geo):
    communes, qpv = geo
    text = maps.describe_territory_map(communes, qpv, territoire="la CA de Béthune-Bruay")
    assert text.startswith("Carte des 4 communes de la CA de Béthune-Bruay, dont 2 signataires")
    assert "3 quartiers prioritaires (géographie 2024)" in text
    assert "Quartier Saint-Elie - Fosse 13 (QN06216M), partagé avec la CA de Lens - Liévin" \
        in text
    assert "Sannerville (14666)" in flat(text)
    only_2015 = t.qpv_geo(QPV.assign(code_qpv=["QP062001", "QP062002", "QP062003"],
                                     autres_communes=np.nan))
    text = maps.describe_territory_map(communes, only_2015, territoire="CA de Béthune-Bruay")
    assert "de la CA de Béthune-Bruay" in text
    assert "3 quartiers prioritaires (géographie 2015), aucun dessiné faute de contour" in text


def test_class_breaks_keep_zero_apart():
    # counts: whole-number classes that do not overlap
    assert maps.class_breaks(pd.Series([0, 0, 1, 2, 3, 4, np.nan]), 3) == [
        (0.0, 0.0), (1.0, 2.0), (3.0, 4.0)]
    assert maps.class_breaks(pd.Series([0.0, 0.5, 1.5, 4.0]), 3) == [
        (0.0, 0.0), (0.5, 1.5), (1.5, 4.0)]
    assert maps.class_breaks(pd.Series([np.nan])) == []
    assert maps.class_breaks(pd.Series([5, 5])) == [(5.0, 5.0)]
    assert maps.class_breaks(pd.Series([1, 9]), bins=[0, 5, 10]) == [(0, 5), (5, 10)]


def test_choropleth_classes_legend_and_missing_value(ax, geo):
    communes, qpv = geo
    values = pd.DataFrame({"code_insee": ["62276", "62401", "62119"],
                           "valeur": [0.0, 0.25, np.nan]})
    maps.choropleth(communes, values, unit="ratio", label="Part de la population en QPV",
                    qpv_geo=qpv, ax=ax)
    classes = collections(ax, maps.GID_CLASSES)
    assert [c.get_label().replace("\u00a0", " ") for c in classes] == [
        "0,0 % (1 commune)", "25,0 % (1 commune)", "Non renseigné (1 commune)"]
    assert ax.get_legend().get_title().get_text() == "Part de la population en QPV"
    assert "QPV partagé avec un autre EPCI" in legend_labels(ax)
    assert collections(ax, maps.GID_QPV)[0].get_facecolors().size == 0  # outlines only
    assert "Sannerville (14666)" in flat(get_caption(ax))


def test_choropleth_without_data_says_so(ax, geo):
    communes, _ = geo
    values = pd.DataFrame({"code_insee": ["62276"], "valeur": [np.nan]})
    maps.choropleth(communes, values, label="Actions de santé", ax=ax)
    assert is_empty_chart(ax)
    assert any("données non fournies" in x.get_text() for x in ax.texts)


def test_describe_choropleth(geo):
    communes, _ = geo
    values = pd.DataFrame({"code_insee": ["62276", "62401", "62119"],
                           "valeur": [12.0, 3.5, 0.0]})
    text = maps.describe_choropleth(communes, values, unit="euro_habitant",
                                    label="les subventions par habitant")
    assert text.startswith("Carte des 4 communes du territoire : les subventions par habitant.")
    assert "Valeur la plus élevée : Douvrin, 12,0\u00a0€" in text
    assert "la plus basse : Béthune, 0,0\u00a0€" in text
    assert "1 commune sans valeur" in text and "Sannerville" in text
    ties = maps.describe_choropleth(communes, values.assign(valeur=[1.0, 0.0, 0.0]),
                                    unit="nombre", label="les actions")
    assert "la plus basse : 0 (2 communes)" in ties
    empty = maps.describe_choropleth(communes, values.assign(valeur=np.nan), label="x")
    assert empty == "Carte par commune, x : données non fournies."


def test_commune_map_zooms_on_the_commune_and_names_its_qpv(ax, geo):
    communes, qpv = geo
    maps.commune_map(communes, qpv, "62119", ax=ax)
    [layer] = collections(ax, maps.GID_COMMUNES)
    assert len(layer.get_paths()) == 3          # 2 neighbours + the commune
    labels = [x.get_text() for x in ax.texts if x.get_gid() == maps.GID_LABEL]
    assert "Quartier Du Mont\nLiébaut" in labels
    assert legend_labels(ax)[0] == "Béthune"
    x0, x1 = ax.get_xlim()
    douvrin = t.communes_geo(COMMUNES.iloc[:1])["geometry"][0][0][0]
    # Douvrin (15 km east) is outside the zoom
    assert douvrin[:, 0].min() * np.cos(np.radians(50.5)) > x1


def test_commune_map_of_a_commune_without_contour(ax, geo):
    communes, qpv = geo
    maps.commune_map(communes, qpv, "14666", ax=ax)
    assert is_empty_chart(ax) and "Sannerville" in get_caption(ax)
    with pytest.raises(ValueError):
        maps.commune_map(communes, qpv, "00000", ax=ax)


def test_describe_commune_map(geo):
    communes, qpv = geo
    text = maps.describe_commune_map(communes, qpv, "62276")
    assert text == ("Carte de Douvrin et de son 1 quartier prioritaire : Quartier Saint-Elie - "
                    "Fosse 13 (QN06216M), s'étend sur 1 autre commune du territoire, partagé "
                    "avec la CA de Lens - Liévin.")
    assert maps.describe_commune_map(communes, qpv, "14666").startswith(
        "Carte de Sannerville : aucun quartier prioritaire.")


@pytest.mark.parametrize("reverse_hole", [False, True])
def test_holes_stay_holes(reverse_hole):
    outer = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], float)
    hole = np.array([[0.3, 0.3], [0.7, 0.3], [0.7, 0.7], [0.3, 0.7]], float)
    if reverse_hole:
        hole = hole[::-1]
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.set_position([0, 0, 1, 1])
    ax.add_collection(maps._collection([maps._path([[outer, hole]], 0.0)], gid="x",
                                       facecolors="black", edgecolors="none"))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_axis_off()
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())
    plt.close(fig)
    h, w = pixels.shape[:2]
    assert pixels[h // 2, w // 2, :3].tolist() == [255, 255, 255]       # the hole is empty
    assert pixels[int(h * 0.9), int(w * 0.1), :3].tolist() == [0, 0, 0]  # the ring is filled


def test_report_maps(tmp_path):
    from cdv_lib.cli import main
    from cdv_lib.dataset import load_dataset

    folder = tmp_path / "d"
    assert main(["init", "--epci", "200072460", str(folder), "--annee", "2025"]) == 0
    ds = load_dataset(folder)
    views = maps.report_maps(ds)
    assert [v.key for v in views] == ["carte.territoire", "carte.part_qpv", "carte.subventions",
                                      "carte.actions_sante"]
    assert "partagé avec la CA de Lens - Liévin" in views[0].alt
    assert views[2].alt.endswith("données non fournies.")
    assert "Même valeur, 0,0\u00a0%, pour les 81 communes renseignées." in views[1].alt
    fig = views[1].figure()
    try:
        ax = fig.axes[0]
        # every QPV population is « nd »: no share is computed, and the legend says why
        labels = [c.get_label() for c in ax.collections if c.get_gid() == maps.GID_CLASSES]
        assert labels[0].replace("\u00a0", " ").startswith("0,0 % (")   # communes without QPV
        assert labels[-1].startswith("Non calculable (QPV partagé ou population « nd »)")
        assert len(labels) == 2
    finally:
        plt.close(fig)
    [one] = maps.report_maps(ds, "62276")
    html = one.to_html()
    assert one.key == "carte.commune" and 'alt="Carte de Douvrin' in html
    assert "data:image/png;base64," in html
    with pytest.raises(ValueError):
        maps.report_maps(ds, "62498")
    [funding] = maps.report_maps(ds, keys=["carte.subventions"])
    assert funding.key == "carte.subventions"
    with pytest.raises(KeyError, match="carte.territoire"):
        maps.report_maps(ds, keys=["carte.inconnue"])


def test_commune_map_shows_the_communes_of_the_other_epci(ax, geo):
    communes, qpv = geo
    outside = t.reference_communes_geo(["62464", "62464", "99999"])
    assert outside[["code_insee", "nom"]].values.tolist() == [["62464", "Hulluch"]]
    maps.commune_map(communes, qpv, "62276", outside=outside, ax=ax)
    [layer] = collections(ax, maps.GID_OUTSIDE)
    assert len(layer.get_paths()) == 1
    assert "Commune d'un autre EPCI" in legend_labels(ax)
    assert "Hulluch" in [x.get_text() for x in ax.texts if x.get_gid() == maps.GID_LABEL]
