"""Displayed tables: secrecy at commune level, French formatting, escaping, charts."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cdv_lib import plots  # noqa: E402
from cdv_lib import report as rt  # noqa: E402
from cdv_lib.dataset import load_dataset  # noqa: E402
from cdv_lib.formatting import fmt_euro, fmt_percent  # noqa: E402

HOSTILE = "<script>alert(1)</script>"

QUESTIONNAIRE = """\
id: communes
titre: Questionnaire test
reponses: communes_reponses.csv
identifiant: id
envoyes: 14
attributs:
  commune: {colonne: commune}
questions:
  - id: moyens
    libelle: Les moyens sont-ils suffisants ?
    type: unique
    theme: gouvernance
    colonne: Q1
    choix:
      - {code: "1", libelle: "Oui"}
      - {code: "2", libelle: "%s"}
""" % HOSTILE


def write_dataset(root):
    (root / "questionnaires").mkdir(parents=True)
    (root / "communes.csv").write_text(
        "code_insee;nom;population;signataire\n"
        "62498;Lens;32920;oui\n62510;Liévin;30000;oui\n62001;Petite;500;non\n",
        encoding="utf-8")
    (root / "qpv.csv").write_text(
        "code_qpv;nom;communes;population\nQP062901;Cité test;62498|62510;3000\n",
        encoding="utf-8")
    (root / "programmation.csv").write_text(
        "annee;numero_dossier;porteur;intitule;commune;code_qpv;pilier;thematique;financeur;"
        "montant_demande;montant_accorde\n"
        "2022;D1;Asso;Action 1;62498;;Cohésion sociale;Santé;État;1000;800\n"
        "2022;D1;Asso;Action 1;62498;;Cohésion sociale;Santé;CALL;500;400\n"
        f"2022;D2;Asso;{HOSTILE};INTERCO;;Emploi;Emploi;Région;300;300\n",
        encoding="utf-8")
    (root / "config.yaml").write_text(
        "territoire: Agglo test\nannee: 2022\nsecret:\n  seuil_defaut: 5\n", encoding="utf-8")
    (root / "questionnaires" / "communes.yaml").write_text(QUESTIONNAIRE, encoding="utf-8")
    # Lens: 9 respondents (7 oui, 2 non); Liévin: 3 respondents (all oui)
    rows = ["id;commune;Q1"]
    rows += [f"L{i};62498;1" for i in range(7)] + ["L7;62498;2", "L8;62498;2"]
    rows += [f"V{i};62510;1" for i in range(3)]
    (root / "questionnaires" / "communes_reponses.csv").write_text(
        "\n".join(rows) + "\n", encoding="utf-8")
    return root


@pytest.fixture
def dataset(tmp_path):
    return load_dataset(write_dataset(tmp_path / "data"))


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def moyens(tables):
    return rt.find(tables, "gouvernance.communes.moyens")


def own(dataset, commune):
    """The commune's own (masked) tables, without the agglomeration's reference."""
    return rt.survey_tables(dataset, "communes", theme="gouvernance", commune=commune,
                            question_theme="gouvernance", reference=False)


def test_agglomeration_shows_every_count_with_its_base(dataset):
    table = moyens(rt.theme_tables(dataset, "gouvernance"))
    shown = table.formatted()
    # 12 answers of 14 questionnaires sent: a sample, each share with its interval
    assert list(shown.columns) == ["Réponse", "Effectif", "Part", "Base (n)",
                                   "Intervalle de confiance à 95 %"]
    assert shown["Effectif"].tolist() == ["10", "2", "0"]
    assert shown["Part"].tolist()[:2] == [fmt_percent(10 / 12), fmt_percent(2 / 12)]
    assert shown["Base (n)"].tolist() == ["12", "12", "12"]
    assert table.n_masked == 0
    assert table.base == "12 répondants à la question"


def test_commune_counts_under_threshold_are_masked_with_secondary_masking(dataset):
    table = moyens(own(dataset, "62498"))
    shown = table.formatted()
    # « non » = 2 is under 5; « oui » = 7 would give it back from the base 9: masked too
    assert shown["Effectif"].tolist()[:2] == ["s", "s"]
    assert shown["Part"].tolist()[:2] == ["s", "s"]
    # Lens's base 9 would give Liévin's masked base back from the agglomeration's 12
    # (12 - 9 = 3): the reports of both communes are protected together
    assert shown["Base (n)"].tolist()[0] == "s"
    assert "masquées" in table.masked_note


def test_commune_base_is_shown_when_no_other_commune_can_be_recomputed(tmp_path):
    root = write_dataset(tmp_path / "data")
    rows = (root / "questionnaires" / "communes_reponses.csv").read_text().splitlines()
    # a third commune: Lens's base no longer pins Liévin's (12 + 8 - 9 = 3 + 8)
    rows += [f"P{i};62001;{1 + i % 2}" for i in range(8)]
    (root / "questionnaires" / "communes_reponses.csv").write_text("\n".join(rows) + "\n")
    dataset = load_dataset(root)
    lens = moyens(own(dataset, "62498")).formatted()
    assert lens["Base (n)"].tolist()[0] == "9"
    assert lens["Effectif"].tolist()[:2] == ["s", "s"]
    lievin = moyens(own(dataset, "62510")).formatted()
    assert set(lievin["Effectif"]) == {"s"} and set(lievin["Base (n)"]) == {"s"}


def test_commune_under_threshold_is_masked_whole(dataset):
    table = moyens(own(dataset, "62510"))
    shown = table.formatted()
    assert set(shown["Effectif"]) == {"s"} and set(shown["Base (n)"]) == {"s"}
    assert table.base == "masquée (secret statistique)"
    html = table.to_html()
    assert ">3<" not in html and "n = 3" not in html


def test_commune_report_shows_the_agglomeration_as_reference_where_masked(dataset):
    table = moyens(rt.theme_tables(dataset, "gouvernance", "62510"))
    assert table.n_masked == 0
    assert table.titre.endswith("agglomération (référence)") and table.reference
    assert table.formatted()["Effectif"].tolist() == ["10", "2", "0"]
    assert any("Les réponses de Liévin ne sont pas montrées" in n
               and "moins de 5 répondants" in n for n in table.notes)


def test_commune_sees_its_own_institutional_answers_when_the_agglomeration_allows(tmp_path):
    root = write_dataset(tmp_path / "data")
    config = (root / "config.yaml").read_text()
    (root / "config.yaml").write_text(config + "  reponses_propres: [communes]\n")
    dataset = load_dataset(root)
    table = moyens(rt.theme_tables(dataset, "gouvernance", "62510"))
    assert table.secret_rule == "reponses_propres"
    assert table.formatted()["Effectif"].tolist() == ["3", "0", "0"]
    assert "reference" not in table.titre and "référence" not in table.titre
    # the agglomeration's own report is unchanged
    assert moyens(rt.theme_tables(dataset, "gouvernance")).formatted()["Effectif"].tolist() \
        == ["10", "2", "0"]


def test_masked_values_are_not_drawn(dataset):
    table = moyens(own(dataset, "62510"))
    fig, ax = plt.subplots()
    plots.plot_table(table, ax=ax)
    assert all(p.get_width() == 0 for p in ax.patches)
    assert "3" not in " ".join(t.get_text() for t in ax.texts)


def test_fully_masked_table_gets_no_chart_in_reports(dataset, monkeypatch):
    lens = own(dataset, "62510")
    table = moyens(lens)
    assert table.fully_masked
    agglo = moyens(rt.theme_tables(dataset, "gouvernance"))
    assert not agglo.fully_masked
    drawn = []
    monkeypatch.setattr(plots, "plot_table", lambda t, ax=None: drawn.append(t.key))
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: None)
    rt.show([table, agglo])
    plt.close("all")
    assert drawn == [agglo.key]


def test_finances_commune_lines_only_and_euro_format(dataset):
    agglo = rt.find(rt.theme_tables(dataset, "finances"), "finances.par_annee")
    assert agglo.formatted()["Montant accordé"].tolist() == [fmt_euro(1500)]
    assert agglo.data["Actions"].tolist() == [2]
    lens = rt.find(rt.theme_tables(dataset, "finances", "62498"), "finances.par_annee")
    assert lens.formatted()["Montant accordé"].tolist() == [fmt_euro(1200)]
    funders = rt.find(rt.theme_tables(dataset, "finances"), "finances.par_financeur")
    assert list(funders.data.columns[:4]) == ["Financeur", "Montant accordé", "Part",
                                              "Base (€)"]
    assert funders.data["Part"].tolist() == pytest.approx([800 / 1500, 400 / 1500,
                                                           300 / 1500])


def test_text_from_the_data_is_escaped(dataset):
    table = moyens(rt.theme_tables(dataset, "gouvernance"))
    html = rt.to_html([table])
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_unknown_theme_and_commune_are_refused(dataset):
    with pytest.raises(ValueError, match="Thème inconnu"):
        rt.theme_tables(dataset, "meteo")
    with pytest.raises(ValueError, match="99999"):
        rt.theme_tables(dataset, "finances", "99999")


def test_every_theme_builds_and_charts_draw_on_embedded_data():
    dataset = load_dataset()
    for commune in (None, "62498"):
        tables = rt.all_tables(dataset, commune)
        keys = [t.key for t in tables]
        assert len(keys) == len(set(keys))
        for theme in ("territoire", "finances", "gouvernance", "sante"):
            assert any(k.startswith(theme + ".") for k in keys), theme
        for table in tables:
            assert isinstance(table.data, pd.DataFrame)
            if table.chart:
                fig, ax = plt.subplots()
                assert plots.plot_table(table, ax=ax) is ax
                plt.close(fig)


def test_embedded_report_tables_use_one_kind_of_no_break_space():
    # Every figure goes through cdv_lib.formatting: U+00A0, never babel's U+202F.
    dataset = load_dataset()
    seen_nbsp = False
    for commune in (None, "62498"):
        for theme in rt.THEMES:
            for table in rt.theme_tables(dataset, theme, commune):
                cells = table.formatted().to_numpy().ravel().tolist()
                texts = [str(c) for c in cells] + table.caption_lines()
                for text in texts:
                    assert "\u202f" not in text, (table.key, text)
                    seen_nbsp = seen_nbsp or "\u00a0" in text
    assert seen_nbsp


def test_chart_ticks_use_cdv_lib_formatting():
    from cdv_lib import formatting, style

    assert style.number_formatter(1)(1234567.25, 0) == formatting.fmt_number(1234567.25, 1) \
        == "1\u00a0234\u00a0567,3"
    assert style.number_formatter()(5760000, 0) == "5\u00a0760\u00a0000"
    assert style.percent_formatter(1)(0.421, 0) == "42,1\u00a0%"
    assert style.euro_formatter(compact=False)(5760000, 0) == "5\u00a0760\u00a0000\u00a0€"


def test_ladder_codes_are_in_the_ladder_table_not_among_the_findings():
    ds = load_dataset()
    ladder_rows = ds.entretiens["code"].str.startswith("echelle:")
    assert ladder_rows.any()
    tables = rt.theme_tables(ds, "participation")
    codes = rt.find(tables, "participation.codes").data
    assert not codes["Code"].astype(str).str.startswith("echelle:").any()
    ladder = rt.find(tables, "participation.echelle")
    placed = ds.entretiens.loc[ladder_rows, "id_entretien"].nunique()
    from cdv_lib.themes.participation import participation_ladder

    assert int(participation_ladder(ds.entretiens)["n"].sum()) == placed
    assert set(ladder.data["Base (n)"].astype(int)) == {placed}
    # levels under the threshold are masked, with a second one: the base is a total
    shown = ladder.formatted()["Entretiens"]
    assert (shown == "s").sum() >= 2 or (shown == "s").sum() == 0


def test_a_table_must_declare_its_secrecy_rule():
    frame = pd.DataFrame({"Commune": ["Lens"]})
    with pytest.raises(ValueError, match="règle de secret statistique"):
        rt.ReportTable(key="x", titre="x", data=frame)
    with pytest.raises(ValueError, match="règle de secret statistique « aucune »"):
        rt.ReportTable(key="x", titre="x", data=frame, secret_rule="aucune")


def test_every_table_of_every_scope_declares_a_known_rule():
    from cdv_lib.secrecy import RULES

    ds = load_dataset()
    for commune in (None, "62498"):
        for table in rt.all_tables(ds, commune):
            assert table.secret_rule in RULES, table.key


def test_a_mistyped_table_name_fails_loudly():
    from cdv_lib.report import finances

    with pytest.raises(AttributeError):
        finances.par_anne  # noqa: B018
    with pytest.raises(KeyError, match="introuvable"):
        rt.find(rt.theme_tables(load_dataset(), "finances"), "finances.par_anne")
    with pytest.raises(ValueError, match="Thème inconnu"):
        rt.theme_tables(load_dataset(), "finance")


def test_sample_surveys_show_wilson_intervals_and_censuses_say_exhaustif():
    from cdv_lib.report import gouvernance

    ds = load_dataset()
    domains = rt.find(gouvernance.questions_associations(ds), "gouvernance.associations.domaine")
    shown = domains.formatted().set_index("Réponse")
    # 3 of 21: Wilson 95 %, p = 1/7, z = 1.96: centre (p + z²/42) / (1 + z²/21) = 0.1981,
    # half-width z·sqrt(p(1-p)/21 + z²/1764) / (1 + z²/21) = 0.1483 → [4,98 ; 34,64]
    assert shown.loc["Accès aux droits", "Part"] == "14,3\u00a0%"
    assert shown.loc["Accès aux droits", "Intervalle de confiance à 95 %"] == "[5,0\u00a0; 34,6]"
    assert shown.loc["Non-réponse", "Intervalle de confiance à 95 %"] == "–"
    assert any(n.startswith("Échantillon (21 réponses sur 70") for n in domains.notes)
    census = gouvernance.questions_communes(ds)[0]
    assert "Intervalle de confiance à 95 %" not in census.data.columns
    assert any(n.startswith("Exhaustif") for n in census.notes)


def test_to_html_marks_figures_as_the_report_pages_do():
    """The app writes a table without re-parsing its HTML: cells showing a figure carry
    ``num`` also in a text column (« Lens / Agglomération »), with the same rule as the
    pages' marker (:func:`cdv_lib.page.mark_tables_html`)."""
    from bs4 import BeautifulSoup

    from cdv_lib import page

    frame = pd.DataFrame({"Indicateur": ["Population", "Part QPV", "Rang"],
                          "Lens": ["31\u202f415", "42,1\u00a0%", "s"],
                          "Note": ["12", "texte", "s"],
                          "Actions": [3, 4, None]})
    table = rt.ReportTable(key="x.y", titre="Comparaison", data=frame,
                           formats={"Actions": "integer"}, secret_rule="public")
    direct = BeautifulSoup(table.to_html(), "html.parser")
    marked = BeautifulSoup(page.mark_tables_html(table.to_html()), "html.parser")

    def classes(soup):
        return [["num" in (c.get("class") or []) for c in tr.find_all(["th", "td"])]
                for tr in soup.find_all("tr")]

    assert classes(direct) == classes(marked)
    assert classes(direct) == [[False, True, False, True],
                               [False, True, True, True],
                               [False, True, False, True],
                               [False, True, False, True]]
