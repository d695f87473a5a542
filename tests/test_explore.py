"""The questionnaire explorer: tables, secrecy, chart, export, widgets (no browser)."""

import io
import textwrap

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402
from openpyxl import load_workbook  # noqa: E402

from cdv_lib import paths  # noqa: E402
from cdv_lib.dataset import load_dataset  # noqa: E402
from cdv_lib.explore import ExplorerApp, crossing_variables, explorable_questions, explore  # noqa: E402
from cdv_lib.explore.export import export_name, export_table, to_csv_bytes  # noqa: E402
from cdv_lib.explore.plot import plot_exploration  # noqa: E402
from cdv_lib.survey import definition_from_dict, normalize_responses  # noqa: E402

NBSP = "\u00a0"
YAML = """
id: assos
titre: Associations
reponses: a.csv
identifiant: id
envoyes: 70
attributs: {type: {colonne: type}}
questions:
  - id: q
    libelle: Satisfait ?
    type: unique
    colonne: q
    choix: [{code: oui, libelle: Oui}, {code: non, libelle: Non}]
  - id: t
    libelle: Remarque
    type: texte
    colonne: t
"""


def make(rows):
    definition = definition_from_dict(yaml.load(textwrap.dedent(YAML), Loader=yaml.BaseLoader))
    csv = "id;type;q;t\n" + "".join(f"r{i};{g};{q};\n" for i, (g, q) in enumerate(rows))
    frame = pd.read_csv(io.StringIO(csv), sep=";", dtype=str)
    frame.index = range(2, len(frame) + 2)
    return normalize_responses(definition, frame, file_label="a.csv")


# 24 respondents: 12 "quartier" (6 oui, 6 non), 10 "inter" (2 oui, 8 non), 2 without answer
ROWS = ([("quartier", "oui")] * 6 + [("quartier", "non")] * 6 + [("inter", "oui")] * 2
        + [("inter", "non")] * 8 + [("inter", "")] * 2)


@pytest.fixture(scope="module")
def survey():
    return make(ROWS)


def test_lists_of_questions_and_variables(survey):
    assert explorable_questions(survey) == [("q — Satisfait ?", "q")]  # texte left out
    assert [v for _, v in crossing_variables(survey, "q")] == ["type"]


def test_flat_table_with_intervals_and_secrecy(survey):
    e = explore(survey, "q", threshold=2)
    # 8 oui / 14 non out of 22 answers, 2 non-responses; nothing under 2: all shown
    shown = e.display_frame()
    assert list(shown.columns) == ["Réponse", "Effectif", "Part [IC 95 %]", "Base"]
    assert list(shown["Effectif"]) == ["8", "14", "2"]
    # Wilson 8/22: p = 0,3636, denom = 1,174612, centre = (0,3636 + 0,087306)/1,174612 = 0,383899,
    # half = 1,959964 · sqrt(0,010518 + 0,001984)/1,174612 = 0,186566 -> [19,7 ; 57,0]
    assert shown["Part [IC 95 %]"].iloc[0].replace(NBSP, " ") == "36,4 % [19,7 ; 57,0]"
    sentences = " ".join(e.sentences()).replace(NBSP, " ")
    assert "Base : 22 répondants ayant répondu ; 2 non-réponses" in sentences
    assert "Wilson" in sentences
    # the whole population, as in the reports (cdv_lib.secrecy.protect_question): its counts
    # are shown, even the 2 non-responses at threshold 5; a base under the threshold is not
    whole = explore(survey, "q", threshold=5).table.set_index("code")
    assert not whole["effectif__secret"].any() and whole.loc["_nr", "effectif"] == 2
    assert explore(survey, "q", threshold=23).table["effectif__secret"].all()  # base 22 < 23
    # a filtered selection is a sub-population: counts under the threshold are masked, with
    # what would give them back. type = inter: 2 oui, 8 non, 2 non-responses (base 10)
    masked = explore(survey, "q", where={"type": "inter"}, threshold=5)
    table = masked.table.set_index("code")
    assert table["effectif__secret"].all()  # 2 < 5, then 8 = 10 - 2
    assert not table["base__secret"].any()
    assert masked.sentences()[1] == ("Base : 10 répondants ayant répondu ; non-réponses : s "
                                     "(exclues de la base).")


def test_crossed_table_masks_small_cells_and_their_intervals(survey):
    # threshold 3: inter/oui (2) masked; then, so that it cannot be recomputed from the group
    # base (10) and the column total (8), inter/non, quartier/oui and quartier/non too
    e = explore(survey, "q", by="type", threshold=3)
    t = e.table
    body = t[t["code"] != "_nr"]
    assert body["effectif__secret"].all() and body["ic_bas__secret"].all()
    assert body["ic_bas"].isna().all() and body["ic_haut"].isna().all()
    assert list(t.loc[t["code"] == "_nr", "base"]) == [10, 12]  # group bases stay shown
    assert e.secret and e.test["valide"]  # 2 × 2, expected counts >= 5 except one: Fisher
    assert "Valeurs exactes non publiées" in " ".join(e.sentences())
    # threshold 2: nothing masked, the exact test is given
    e2 = explore(survey, "q", by="type", threshold=2)
    quartier = e2.table[(e2.table["groupe"] == "quartier") & (e2.table["code"] == "oui")].iloc[0]
    assert quartier["effectif"] == 6 and not quartier["ic_bas__secret"]
    assert "Valeurs exactes non publiées" not in " ".join(e2.sentences())
    shown = e.display_frame(wide=False)
    assert list(shown.columns) == ["Groupe", "Réponse", "Effectif", "Part [IC 95 %]", "Base"]
    assert "s" in set(shown["Effectif"])
    # wide form, the default for a cross table: one column per group with its base
    wide = e2.display_frame()
    assert list(wide.columns) == ["Réponse", f"inter (n{NBSP}={NBSP}10)", f"quartier (n{NBSP}={NBSP}12)"]
    # 6/12 = 50 %: Wilson [25,4 ; 74,6] (centre 0,5, half = 1,959964 · sqrt(0,020833 + 0,006669)/1,320122)
    assert wide.iloc[0, 2].replace(NBSP, " ") == "6 — 50,0 % [25,4 ; 74,6]"
    assert list(wide["Réponse"]) == ["Oui", "Non", "Non-réponse"]
    assert wide.iloc[2, 1] == "2"  # inter: two non-responses


def test_export_files(survey, tmp_path):
    e = explore(survey, "q", by="type", threshold=3)
    stem = export_name(e.survey_id, e.question_id, by=e.by, where={"type": "Quartier é"})
    assert stem == "assos_q_par_type_filtre_type_quartier_e"
    csv_path = export_table(e.export_frame(), stem, "csv", folder=tmp_path)
    text = csv_path.read_bytes().decode("utf-8-sig")
    assert text.splitlines()[0] == "Groupe;Réponse;Effectif;Part (%);IC 95 % bas (%);IC 95 % haut (%);Base"
    assert "quartier;Oui;s;s;s;s;12" in text
    e2 = explore(survey, "q", by="type", threshold=2)
    text = export_table(e2.export_frame(), stem, "csv", folder=tmp_path).read_bytes().decode("utf-8-sig")
    assert "quartier;Oui;6;50,0;" in text  # decimal comma
    xlsx = export_table(e2.export_frame(), stem, "xlsx", folder=tmp_path, notes=e2.export_notes())
    ws = load_workbook(xlsx).active
    values = [[c.value for c in r] for r in ws.iter_rows()]
    assert values[0][0] == "Associations"
    header = next(i for i, r in enumerate(values) if r[0] == "Groupe")
    inter_oui = values[header + 1]  # groups sorted: inter first; 2/10
    assert inter_oui[:4] == ["inter", "Oui", 2, 20.0]  # numbers stay numbers
    assert not list(tmp_path.glob("*.tmp-*"))  # atomic: nothing left behind
    with pytest.raises(ValueError, match="format"):
        export_table(e.export_frame(), stem, "pdf", folder=tmp_path)


def test_csv_neutralises_formulas():
    data = to_csv_bytes(pd.DataFrame({"Réponse": ["=1+1", "Oui"]})).decode("utf-8-sig")
    assert "'=1+1" in data


def test_chart_draws_bars_and_intervals(survey):
    e = explore(survey, "q", by="type", threshold=2)
    fig, ax = plt.subplots()
    plot_exploration(e, ax=ax)
    visible = [p for p in ax.patches if p.get_visible() and p.get_width() > 0]
    # inter 2/10 and 8/10, quartier 6/12 and 6/12
    assert sorted(round(p.get_width(), 3) for p in visible) == [0.2, 0.5, 0.5, 0.8]
    assert sum(isinstance(c, ErrorbarContainer) for c in ax.containers) == 4
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [f"inter (n{NBSP}={NBSP}10)",
                                                                  f"quartier (n{NBSP}={NBSP}12)"]
    plt.close(fig)
    # flat table at threshold 5: the non-response count is not drawn, the two shares are
    fig, ax = plt.subplots()
    plot_exploration(explore(survey, "q", threshold=5), ax=ax)
    assert sorted(round(p.get_width(), 3) for p in ax.patches if p.get_visible()) == [0.364, 0.636]
    plt.close(fig)
    # everything masked: the empty-chart message
    from cdv_lib.style import is_empty_chart

    fig, ax = plt.subplots()
    plot_exploration(explore(survey, "q", by="type", threshold=3), ax=ax)
    assert is_empty_chart(ax)
    plt.close(fig)


def test_app_on_the_embedded_data(tmp_path):
    app = ExplorerApp(load_dataset(paths.DATA_DIR), exports_dir=tmp_path)
    assert app.survey.value == "associations" and app.question.value == "domaine"
    first = app.current.display_frame()
    assert app.current.by is None
    app.by.value = "type"  # one widget change: domaine × type
    assert app.current.by == "type" and app.current.question_id == "domaine"
    assert "Groupe" in app.current.display_frame(wide=False).columns
    assert app.current.display_frame().columns[-1].startswith("Association intercommunale (n")
    assert not app.current.display_frame().equals(first)
    assert any("Bases par groupe" in s for s in app.current.sentences())
    assert len(app.current.test_table()) == 8  # one test sentence per domain
    path = app.export("xlsx")
    assert path.endswith("associations_domaine_par_type.xlsx")
    app.question.value = "grille_cooperation"
    assert app.row.layout.display is None and app.current.row == "État"
    app.filter_by.value = "taille"
    assert app.current.where == {"taille": app.filter_value.value}
    app.survey.value = "communes"
    assert app.current.census and app.current.question_id == app.question.value
    plt.close("all")


def test_small_or_empty_selections_say_so_without_small_counts(survey):
    small = explore(survey, "q", where={"type": "inter"}, threshold=13)  # 12 < 13 selected
    assert small.sentences()[0].startswith("Moins de 13 répondants sélectionnés")
    assert small.sentences()[1].startswith("Base masquée")
    empty = explore(survey, "q", by="type", where={"q": "absent"}, threshold=2)
    assert empty.sentences()[1].startswith("Aucun groupe")
    assert empty.display_frame().empty and empty.export_frame().empty
    fig, ax = plt.subplots()
    from cdv_lib.style import is_empty_chart

    assert is_empty_chart(plot_exploration(empty, ax=ax))
    plt.close(fig)


def test_exports_and_pages_pass_the_secrecy_audit(tmp_path):
    """From outside: the exported workbooks and the explorer's HTML, read by the output
    audit (cdv_lib.audit), show no base under the threshold; the same tables computed
    without secrecy are caught (the audit can fail)."""
    from cdv_lib.audit import audit_dir
    from cdv_lib.explore.app import result_html

    survey = load_dataset(paths.DATA_DIR).questionnaires["associations"]
    cases = [("salaries", "commune"), ("domaine", "type"), ("grille_cooperation", "taille"),
             ("regard_pv", None)]
    for threshold, folder in ((5, tmp_path / "masque"), (1, tmp_path / "sans_secret")):
        for question, by in cases:
            e = explore(survey, question, by=by, threshold=threshold)
            stem = export_name("associations", question, by=by)
            export_table(e.export_frame(), stem, "xlsx", folder=folder, notes=e.export_notes())
            (folder / f"{stem}.html").write_text(f"<html><body>{result_html(e)}</body></html>",
                                                 encoding="utf-8")
    assert audit_dir(tmp_path / "masque", threshold=5) == []
    leaks = audit_dir(tmp_path / "sans_secret", threshold=5)
    assert any(f.file.endswith(".xlsx") for f in leaks) and any(f.file.endswith(".html") for f in leaks)


def test_app_on_a_broken_folder_says_why_in_french(base_data):
    text = (base_data / "communes.csv").read_text(encoding="utf-8")
    (base_data / "communes.csv").write_text(text.replace("14514", "beaucoup", 1), encoding="utf-8")
    app = ExplorerApp.from_data_dir(base_data)
    html = app.container.value
    assert "Les données ne se chargent pas" in html and "communes.csv, ligne 2" in html
    assert "Traceback" not in html


def test_respondents_without_a_group_cannot_be_differenced():
    # A: 5 oui 5 non, B: 5 oui 5 non, and 2 respondents without a type (1 oui, 1 non).
    # Every group cell is >= 5, but the tri à plat (11 oui, 11 non) minus the groups would
    # give the 2 respondents' answers (1 and 1): a cell of each column must be hidden.
    rows = [("A", "oui")] * 5 + [("A", "non")] * 5 + [("B", "oui")] * 5 + [("B", "non")] * 5 \
        + [("", "oui"), ("", "non")]
    s = make(rows)
    e = explore(s, "q", by="type", threshold=5)
    assert e.without_group == 2
    body = e.table[e.table["code"].isin(["oui", "non"])]
    assert set(body["groupe"]) == {"A", "B"}  # the hidden group is never shown
    for code in ("oui", "non"):
        assert body.loc[body["code"] == code, "effectif__secret"].any()
    # without the two, nothing needs hiding
    clean = explore(make(rows[:-2]), "q", by="type", threshold=5)
    assert not clean.table["effectif__secret"].any()


def test_a_filter_is_protected_jointly_with_the_other_values():
    """Filtering on one value gives the block of that value in the cross table masked as
    a whole: what the cross table hides, the filtered table hides too, and its size is
    not given when its base is hidden."""
    survey = load_dataset(paths.DATA_DIR).questionnaires["associations"]
    crossed = explore(survey, "salaries", by="type", threshold=5).table
    for value in dict.fromkeys(crossed["groupe"]):
        alone = explore(survey, "salaries", where={"type": value}, threshold=5)
        mine = crossed[crossed["groupe"] == value].set_index("code")
        flat = alone.table.set_index("code")
        assert list(flat["effectif__secret"]) == list(mine["effectif__secret"])
        assert list(flat["base__secret"]) == list(mine["base__secret"])
        if mine["base__secret"].any():
            assert str(alone.n_selected) not in alone.sentences()[0]
