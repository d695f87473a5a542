"""Charts: assert on what was drawn (bars, labels, captions), never on images."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cdv_lib import plots  # noqa: E402
from cdv_lib.formatting import fmt_euro, fmt_percent  # noqa: E402
from cdv_lib.style import (  # noqa: E402
    SECRET_MARK,
    add_caption,
    get_caption,
    is_empty_chart,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def bars(ax):
    return [p for p in ax.patches if isinstance(p, matplotlib.patches.Rectangle)]


def annotations(ax):
    return [t.get_text() for t in ax.texts if t.get_gid() != "cdv-caption"]


def test_funding_per_year_stacks_funders_and_prints_totals():
    data = pd.DataFrame({
        "annee": [2016, 2016, 2022, 2022, 2022],
        "financeur": ["État", "Région", "État", "Région", "CALL"],
        "montant": [3_000_000, 900_000, 4_000_000, 1_000_000, 760_000],
    })
    fig, ax = plt.subplots()
    out = plots.plot_funding_per_year(data, source="Plateforme de subventions", ax=ax)
    assert out is ax
    rects = bars(ax)
    assert len(rects) == 2 * 3  # 2 years x 3 funders (zero-height bar for CALL in 2016)
    heights_by_x = {}
    for r in rects:
        x = round(r.get_x() + r.get_width() / 2)
        heights_by_x[x] = heights_by_x.get(x, 0) + r.get_height()
    assert heights_by_x == {0: 3_900_000, 1: 5_760_000}
    assert fmt_euro(5_760_000) in annotations(ax)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2016", "2022"]
    # funders ordered by total, largest at the bottom of the stack
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["État", "Région", "CALL"]
    assert get_caption(ax) == "Source : Plateforme de subventions"


def test_funding_by_pillar_sorted_largest_first():
    data = pd.DataFrame({"pilier": ["Cadre de vie", "Cohésion sociale", "Emploi"],
                         "montant": [100.0, 300.0, 200.0]})
    ax = plots.plot_funding_by(data, category="pilier")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    # largest at the top: y tick labels are listed bottom-up
    assert labels == ["Cadre de vie", "Emploi", "Cohésion sociale"]
    assert sorted(r.get_width() for r in bars(ax)) == [100.0, 200.0, 300.0]
    assert ax.get_title() == "Financements par pilier"


def test_health_programming_labels_amount_and_actions():
    data = pd.DataFrame({"annee": [2022, 2015], "montant": [207_654, 12_337],
                         "actions": [22, 3]})
    ax = plots.plot_health_programming(data)
    assert [r.get_height() for r in bars(ax)] == [12_337, 207_654]
    texts = annotations(ax)
    assert f"{fmt_euro(207_654)}\n22 actions" in texts
    assert f"{fmt_euro(12_337)}\n3 actions" in texts


def survey_frequencies():
    """The shape of cdv_lib.survey.frequencies: choices, then the non-response row."""
    return pd.DataFrame({"code": ["1", "2", "_nr"], "libelle": ["Oui", "Non", "Non-réponse"],
                         "effectif": [8, 11, 1], "part": [8 / 19, 11 / 19, np.nan],
                         "base": [19, 19, 19]})


def test_frequencies_shares_base_and_non_responses():
    ax = plots.plot_frequencies(survey_frequencies(),
                                question="Les moyens humains sont-ils suffisants ?",
                                source="Questionnaire aux communes")
    assert [round(r.get_width(), 4) for r in bars(ax)] == [round(8 / 19, 4), round(11 / 19, 4)]
    assert f"{fmt_percent(8 / 19)} (8)" in annotations(ax)
    caption = get_caption(ax)
    assert "Base : n = 19 répondants, 1 non-réponse exclue" in caption
    assert "Source : Questionnaire aux communes" in caption
    assert ax.get_title() == "Les moyens humains sont-ils suffisants ?"
    # first choice at the top, the non-response row is not a bar
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Non", "Oui"]
    assert "42,1" in fmt_percent(8 / 19)


def test_frequencies_explicit_base_overrides_table():
    ax = plots.plot_frequencies(survey_frequencies(), base=18, non_responses=2)
    assert "n = 18 répondants, 2 non-réponses exclues" in get_caption(ax)


def test_masked_share_draws_no_bar_and_says_why():
    data = pd.DataFrame({"libelle": ["Oui", "Non"], "part": [0.5, np.nan],
                         "effectif": [pd.NA, pd.NA]})
    ax = plots.plot_frequencies(data, base=8)
    assert [r.get_width() for r in bars(ax)] == [0.5, 0.0]
    assert SECRET_MARK in annotations(ax)
    assert "secret statistique" in get_caption(ax)


def test_multiple_choice_sorted_and_caption_says_several_answers():
    data = pd.DataFrame({"libelle": ["Santé", "Emploi", "Culture"],
                         "part": [0.2, 0.6, 0.4], "effectif": [4, 12, 8]})
    ax = plots.plot_multiple_choice(data, base=20)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Santé", "Culture", "Emploi"]
    assert "Plusieurs réponses possibles" in get_caption(ax)
    assert "n = 20" in get_caption(ax)


def test_cooperation_grid_is_100_percent_per_partner_in_level_order():
    levels = plots.COOPERATION_LEVELS
    rows = []
    for partner, shares in {"État": [0.1, 0.2, 0.3, 0.2, 0.2],
                            "CAF": [0.5, 0.5, 0, 0, 0]}.items():
        rows += [{"ligne_libelle": partner, "code": str(i), "libelle": lvl, "part": s,
                  "base": 19} for i, (lvl, s) in enumerate(zip(levels, shares))]
        rows.append({"ligne_libelle": partner, "code": "_nr", "libelle": "Non-réponse",
                     "part": np.nan, "base": 19})
    rows.append({"ligne_libelle": "Région", "code": "0", "libelle": levels[0],
                 "part": np.nan, "base": 3})
    data = pd.DataFrame(rows)
    ax = plots.plot_cooperation_grid(data)
    rects = bars(ax)
    assert len(rects) == 3 * 5
    widths_by_row = {}
    for r in rects:
        y = round(r.get_y() + r.get_height() / 2)
        widths_by_row[y] = widths_by_row.get(y, 0) + r.get_width()
    # drawn bottom-up: Région (masked) at 0, CAF at 1, État at 2
    assert widths_by_row[0] == 0
    assert widths_by_row[1] == pytest.approx(1)
    assert widths_by_row[2] == pytest.approx(1)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == levels
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks[-1] == "État\n(n = 19)"
    assert ticks[0] == "Région"  # masked: its base is not printed either
    assert SECRET_MARK in annotations(ax)
    assert "secret statistique" in get_caption(ax)


def test_health_actions_by_public_and_stacked_by_duration():
    data = pd.DataFrame({"public": ["adultes", "jeunes", "adultes"],
                         "duree": ["ponctuelle", "pérenne", "pérenne"],
                         "n": [3, 2, 4]})
    ax = plots.plot_health_actions(data, by="public", hue="duree")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["jeunes", "adultes"]
    assert sorted(annotations(ax)) == ["2", "7"]
    assert ax.get_title() == "Actions de santé par public"


def test_participation_ladder_bottom_to_top_with_empty_rungs():
    data = pd.DataFrame({"niveau": ["Consultation", "Information", "Co-décision"],
                         "n": [10, 25, 1]})
    ax = plots.plot_participation_ladder(data)
    assert [t.get_text() for t in ax.get_yticklabels()] == plots.PARTICIPATION_LEVELS
    assert [r.get_width() for r in bars(ax)] == [25, 10, 0, 0, 1]


def test_interview_codes_by_actor():
    data = pd.DataFrame({"type_acteur": ["habitant", "habitant", "élu"],
                         "categorie": ["frein", "levier", "levier"],
                         "n": [5, 7, 2]})
    ax = plots.plot_interview_codes(data, base=55)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["frein", "levier"]
    assert sorted(annotations(ax)) == ["12", "2"]
    assert "n = 55 entretiens" in get_caption(ax)


def test_perr_status_order_and_total():
    data = pd.DataFrame({"statut": ["en cours", "réalisé", "non engagé"],
                         "n": [5, 8, 1]})
    ax = plots.plot_perr_status(data)
    assert [t.get_text() for t in ax.get_yticklabels()][::-1] == [
        "Réalisé", "En cours", "Non engagé"]
    assert "14 engagements" in get_caption(ax)


def test_indicator_comparison_percent_labels():
    data = pd.DataFrame({"territoire": ["QPV", "France"], "valeur": [42.5, np.nan]})
    ax = plots.plot_indicator_comparison(data, unit="%")
    assert fmt_percent(0.425) in annotations(ax)
    assert SECRET_MARK in annotations(ax)


@pytest.mark.parametrize("func, kwargs", [
    (plots.plot_funding_per_year, {}),
    (plots.plot_funding_by, {}),
    (plots.plot_health_programming, {}),
    (plots.plot_frequencies, {}),
    (plots.plot_multiple_choice, {}),
    (plots.plot_cooperation_grid, {}),
    (plots.plot_health_actions, {}),
    (plots.plot_indicator_comparison, {}),
    (plots.plot_participation_ladder, {}),
    (plots.plot_interview_codes, {}),
    (plots.plot_perr_status, {}),
])
def test_empty_data_says_no_data_and_returns_current_axes(func, kwargs):
    fig, ax = plt.subplots()
    out = func(pd.DataFrame(), **kwargs)
    assert out is ax
    assert is_empty_chart(ax)
    assert "Aucune donnée" in annotations(ax)
    assert bars(ax) == []


def test_missing_column_is_named():
    with pytest.raises(KeyError, match="montant"):
        plots.plot_funding_per_year(pd.DataFrame({"annee": [2022], "financeur": ["État"]}))


def test_caption_is_replaced_and_drawn_below_the_axis_labels():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    ax.set_xlabel("Année")
    add_caption(ax, source="A")
    add_caption(ax, source="B", base=1234)
    assert get_caption(ax) == "Base : n = 1\u00a0234\nSource : B"
    assert len([t for t in ax.texts if t.get_gid() == "cdv-caption"]) == 1
    fig.canvas.draw()
    caption = next(t for t in ax.texts if t.get_gid() == "cdv-caption")
    renderer = fig.canvas.get_renderer()
    assert caption.get_window_extent(renderer).y1 <= ax.xaxis.label.get_window_extent(
        renderer).y0 + 1


def test_cooperation_grid_reads_the_gouvernance_long_table():
    levels = plots.COOPERATION_LEVELS
    data = pd.DataFrame({
        "code": ["etat"] * 5, "partenaire": ["État"] * 5,
        "niveau": pd.Categorical(levels, categories=levels, ordered=True),
        "n": [2, 4, 6, 4, 3], "part": [2 / 19, 4 / 19, 6 / 19, 4 / 19, 3 / 19],
        "base_n": pd.array([19] * 5, dtype="Int64")})
    ax = plots.plot_cooperation_grid(data)
    assert sum(r.get_width() for r in bars(ax)) == pytest.approx(1)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["État\n(n = 19)"]


def test_frequencies_reads_the_gouvernance_question_table():
    data = pd.DataFrame({"question_id": ["q"] * 3, "code": ["1", "2", "_nr"],
                         "libelle": ["Oui", "Non", "Non-réponse"],
                         "n": pd.array([9, 9, 1], dtype="Int64"),
                         "part": [0.5, 0.5, np.nan],
                         "base_n": pd.array([18, 18, 18], dtype="Int64")})
    ax = plots.plot_frequencies(data)
    assert "n = 18 répondants, 1 non-réponse exclue" in get_caption(ax)
    assert f"{fmt_percent(0.5)} (9)" in annotations(ax)


def test_table_png_cache_reuses_only_an_identical_chart(monkeypatch):
    from cdv_lib.dataset import load_dataset
    from cdv_lib.report import finances

    monkeypatch.setattr(plots, "_PNG_CACHE", type(plots._PNG_CACHE)())
    table = next(t for t in finances.tables(load_dataset()) if t.chart)
    drawn = []
    original = plots.plot_table

    def counting(t, *, ax=None):
        drawn.append(t.key)
        return original(t, ax=ax)

    monkeypatch.setattr(plots, "plot_table", counting)
    first = plots.table_png(table, figsize=(6, 3), dpi=60, cache=True)
    again = plots.table_png(table, figsize=(6, 3), dpi=60, cache=True)
    assert again == first and len(drawn) == 1
    # another size, other data, other settings, or no cache asked: drawn again
    plots.table_png(table, figsize=(6, 4), dpi=60, cache=True)
    changed = type(table)(**{**table.__dict__, "plot_data": table.plot_data.iloc[:1]})
    assert plots.table_png(changed, figsize=(6, 3), dpi=60, cache=True) != first
    assert len(drawn) == 3
    with matplotlib.rc_context({"font.size": 20}):  # settings changed: not taken as equal
        plots.table_png(table, figsize=(6, 3), dpi=60, cache=True)
    assert len(drawn) == 4
    plots.table_png(table, figsize=(6, 3), dpi=60)
    assert len(drawn) == 5
