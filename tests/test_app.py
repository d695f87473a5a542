"""The Voilà app, in process (no server): key figures, commune change, tabs built from the
report tables (same secrecy), AMI simulator, French errors instead of tracebacks."""

from __future__ import annotations

import html
import re
import shutil
import time

import ipywidgets as widgets
import nbformat
import pytest

from cdv_lib import paths
from cdv_lib import report as report_tables
from cdv_lib.app import App, Unavailable
from cdv_lib.app.dashboard import AGGLOMERATION_LABEL, ERROR_MESSAGE, TABS
from cdv_lib.app.html import fully_masked, table_html
from cdv_lib.dataset import load_dataset
from cdv_lib.formatting import fmt_euro, fmt_evolution, fmt_int, fmt_percent
from cdv_lib.themes import ami

LENS = "62498"


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(paths.DATA_DIR)


@pytest.fixture()
def app(dataset):
    return App(dataset)


def _card(app: App, key: str) -> str:
    match = re.search(rf'<div class="cdv-kpi" data-kpi="{key}">(.*?)</div></div>',
                      app.cards.value + "</div>", re.S)
    assert match, f"no card {key} in {app.cards.value[:300]}"
    return html.unescape(match.group(1))


def test_notebook_is_two_lines():
    nb = nbformat.read(paths.APPS_DIR / "tableau_de_bord.ipynb", as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert code == ["from cdv_lib.app import App\n\nApp.from_data().show()"]
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_commune_selector_lists_signatories_by_name(app, dataset):
    options = app.commune.options
    assert options[0] == (AGGLOMERATION_LABEL, "")
    signatories = dataset.communes[dataset.communes["signataire"].astype(bool)]
    assert sorted(v for _, v in options[1:]) == sorted(signatories["code_insee"].astype(str))
    names = [label for label, _ in options[1:]]
    assert names.index("Éleu-dit-Leauwette") < names.index("Fouquières-lès-Lens")
    assert ("Lens", LENS) in options


def test_agglomeration_key_figures(app, dataset):
    population = int(dataset.communes["population"].sum())
    assert fmt_int(population) in _card(app, "population")
    pop_qpv = int(dataset.qpv["population"].sum())
    assert fmt_int(pop_qpv) in _card(app, "population_qpv")
    assert fmt_percent(pop_qpv / population) in _card(app, "part_qpv")
    assert f"n\u00a0=\u00a0{fmt_int(population)}" in _card(app, "part_qpv")
    prog = dataset.programmation
    year = dataset.config["annee"]
    granted = prog.loc[prog["annee"] == year, "montant_accorde"].astype(float).sum()
    assert fmt_euro(granted) in _card(app, "subventions")
    first = prog.loc[prog["annee"] == 2016, "montant_accorde"].astype(float).sum()
    assert fmt_evolution(granted / first - 1) in _card(app, "evolution")
    rates = _card(app, "taux_reponse")
    assert f"{fmt_percent(1)} (19 / 19)" in rates
    assert 'data-scope=""' in app.cards.value


def test_commune_change_redraws_cards_and_open_tab(app, dataset):
    lens = dataset.communes.loc[dataset.communes["code_insee"] == LENS, "population"].iloc[0]
    app.commune.value = LENS
    assert f'data-scope="{LENS}"' in app.cards.value
    assert fmt_int(int(lens)) in _card(app, "population")
    assert "Lens (62498)" in app.rendered["territoire"]
    assert "ensemble de l'agglomération" in _card(app, "taux_reponse")
    # back and forth: cached, well under the 300 ms budget
    app.commune.value = ""
    start = time.perf_counter()
    app.commune.value = LENS
    assert time.perf_counter() - start < 0.3
    assert fmt_int(int(lens)) in _card(app, "population")


_TABLE = re.compile(r'<table class="cdv-table">(.*?)</table>', re.DOTALL)
_NUM_CELL = re.compile(r'<td class="num">(.*?)</td>')


def _fully_masked_tables(shown: str) -> list[str]:
    """The tables of *shown* whose every figure cell is « s » (secrecy)."""
    out = []
    for match in _TABLE.finditer(shown):
        cells = _NUM_CELL.findall(match.group(1))
        if cells and all(html.unescape(c).strip() in ("s", "–") for c in cells) \
                and any(html.unescape(c).strip() == "s" for c in cells):
            out.append(match.group(1)[:200])
    return out


@pytest.mark.slow
@pytest.mark.parametrize("commune", [None, LENS])
def test_every_tab_shows_the_report_tables(dataset, commune):
    from cdv_lib.messages import key_messages

    app = App(dataset)
    if commune:
        app.commune.value = commune
    for index, (theme, title) in enumerate(TABS):
        app.tabs.selected_index = index
        shown = app.rendered[theme]
        assert shown.startswith(f"<h2>{title} — ")
        assert "Traceback" not in shown and "Error" not in shown
        assert html.escape(ERROR_MESSAGE) not in shown
        expected = report_tables.theme_tables(dataset, theme, commune)
        agglomeration_tables = commune and theme == "perr"
        if agglomeration_tables:
            expected = report_tables.theme_tables(dataset, theme, None)
        for table in expected:
            # the same tables as the reports, with the same statistical secrecy
            assert table_html(table) in shown, table.key
        if theme != "ami":
            assert expected, f"no table for {theme}"
        # the key messages open the tab, right under its heading
        messages = key_messages(dataset, theme, None if agglomeration_tables else commune,
                                tables=expected)
        if theme in ("territoire", "finances", "sante") or not commune:
            assert messages, f"no key message for {theme}"
        if messages:
            head = shown[shown.index("</h2>") + 5:]
            assert head.startswith('<section class="cdv-messages"'), head[:200]
            for message in messages:
                assert html.escape(message.texte) in head[:head.index("</section>")]
        # never a table made only of masked cells (a commune sees the agglomeration's)
        assert _fully_masked_tables(shown) == [], theme
        assert not [t.key for t in expected if fully_masked(t)]


@pytest.mark.parametrize("commune", [None, LENS])
def test_territory_tab_opens_on_its_maps(dataset, commune):
    from cdv_lib.maps import report_maps

    app = App(dataset)
    if commune:
        app.commune.value = commune
    shown = app.rendered["territoire"]
    maps = report_maps(dataset, commune, annee=dataset.config["annee"])
    keys = {None: ["carte.territoire", "carte.part_qpv"], LENS: ["carte.commune"]}[commune]
    positions = []
    for view in (v for v in maps if v.key in keys):
        start = shown.index(f'<section class="cdv-map" id="{view.key}">')
        positions.append(start)
        section = shown[start:shown.index("</section>", start)]
        assert f"<h3>{html.escape(view.titre)}</h3>" in section
        # the text alternative, as the image's alt and written out under it
        assert f'alt="{html.escape(view.alt)}"' in section
        assert f'<figcaption class="cdv-map-alt">{html.escape(view.alt)}</figcaption>' in section
        assert "data:image/png;base64," in section
    assert len(positions) == len(keys)
    # maps come before the tables
    assert max(positions) < shown.index('<section class="cdv-report-table"')
    # what could not be drawn is said in words under the maps (the embedded QPV have no
    # contour of the national 2024 reference)
    missing = [m for v in maps if v.key in keys for m in v.missing]
    assert missing
    for item in missing:
        assert html.escape(item) in shown
    assert shown.count('class="cdv-map"') == len(keys)


def test_finance_and_health_tabs_carry_their_maps(app):
    finances = app.tab_html("finances", None)
    assert '<section class="cdv-map" id="carte.subventions">' in finances
    assert '<section class="cdv-map" id="carte.actions_sante">' not in finances
    sante = app.tab_html("sante", None)
    assert '<section class="cdv-map" id="carte.actions_sante">' in sante
    # a commune's finance tab has no map of the whole territory
    assert 'class="cdv-map"' not in app.tab_html("finances", LENS)


def test_a_failing_map_leaves_the_tab(dataset, monkeypatch):
    import cdv_lib.maps
    from cdv_lib.app.dashboard import MAP_ERROR_MESSAGE

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(cdv_lib.maps, "report_maps", broken)
    app = App(dataset)
    shown = app.rendered["territoire"]
    assert html.escape(MAP_ERROR_MESSAGE) in shown
    assert "boom" not in shown
    assert '<section class="cdv-report-table"' in shown  # the tables are still there


def test_a_theme_without_its_data_says_so(tmp_path):
    data = tmp_path / "donnees"
    shutil.copytree(paths.DATA_DIR, data,
                    ignore=shutil.ignore_patterns("reference", "perr.csv"))
    app = App(load_dataset(data))
    shown = app.tab_html("perr", None)
    assert "Données non fournies (perr.csv)." in shown
    assert "Aucun" not in shown and html.escape(ERROR_MESSAGE) not in shown
    assert "Données non fournies" not in app.tab_html("finances", None)


def test_a_new_territory_without_its_tables_says_what_is_missing(tmp_path):
    """A folder of ``cdv init`` (communes and QPV only): the territory tab has its map,
    every other theme one sentence naming the missing files, no empty map or table."""
    from cdv_lib.scaffold import no_data_message

    data = tmp_path / "donnees"
    data.mkdir()
    for name in ("communes.csv", "qpv.csv", "config.yaml"):
        shutil.copy(paths.DATA_DIR / name, data / name)
    dataset = load_dataset(data)
    app = App(dataset)
    assert '<section class="cdv-map" id="carte.territoire">' in app.rendered["territoire"]
    for theme, _title in TABS:
        shown = app.tab_html(theme, None)
        assert html.escape(ERROR_MESSAGE) not in shown
        message = no_data_message(dataset, theme)
        if theme == "territoire":
            assert message is None
            continue
        assert html.escape(message) in shown, theme
        assert 'class="cdv-map"' not in shown and "<table" not in shown, theme


def test_charts_are_drawn_unless_everything_is_masked(dataset):
    app = App(dataset)
    shown = app.tab_html("finances", None)
    assert shown.count('class="cdv-chart"') >= 3
    assert "data:image/png;base64," in shown
    own = report_tables.survey_tables(dataset, "communes", theme="gouvernance", commune=LENS,
                                      question_theme="gouvernance", reference=False)
    masked = [t for t in own if fully_masked(t)]
    assert masked, "a commune's own questionnaire tables are expected to be masked"
    for table in masked:
        figures = [c for c in table.data.columns if table.kind(c) != "text"]
        assert (table.formatted()[figures] == "s").all().all()
    from cdv_lib.app import html as views

    assert "data-chart=" not in views.tables_html(masked)
    # the commune's tab shows the agglomeration's results instead, with their charts
    lens = report_tables.theme_tables(dataset, "gouvernance", LENS)
    assert not [t for t in lens if fully_masked(t)]
    shown = app.tab_html("gouvernance", LENS)
    assert html.escape("agglomération (référence)") in shown
    assert 'class="cdv-chart"' in shown
    # one sentence at the head of the tab says why
    from cdv_lib.app.dashboard import reference_message

    references = [t for t in lens if t.reference]
    assert references
    sentence = html.escape(reference_message(len(references), len(lens)))
    assert sentence in shown
    assert shown.index(sentence) < shown.index('<section class="cdv-report-table"')
    assert html.escape("en référence : les réponses") not in app.tab_html("gouvernance", None)


def test_charts_are_sized_to_their_content(dataset):
    from cdv_lib.app.html import CHART_HEIGHT, chart_size

    tables = report_tables.theme_tables(dataset, "gouvernance", None)
    small = min(tables, key=lambda t: len(t.data))
    large = max(tables, key=lambda t: len(t.data))
    assert len(small.data) < len(large.data)
    assert chart_size(small)[1] < chart_size(large)[1]
    assert CHART_HEIGHT[0] <= chart_size(small)[1] and chart_size(large)[1] <= CHART_HEIGHT[1]


def test_ami_simulator_uses_the_rules(app, dataset):
    rules = ami.load_rules(dataset.ami_rules)
    sim = app.simulator
    assert list(sim.criteria) == rules.criterion_ids
    sim.cost.value = 20_000
    sim.requested.value = 15_000
    for cid in rules.criterion_ids[:2]:
        sim.criteria[cid].value = True
    expected = ami.simulate_application(rules, 20_000, 15_000,
                                        {c: c in rules.criterion_ids[:2]
                                         for c in rules.criterion_ids})
    assert sim.last == expected
    assert f'data-montant="{expected["montant"]}"' in sim.result.value
    assert fmt_euro(expected["montant"]) in sim.result.value
    assert fmt_percent(expected["taux"]) in sim.result.value
    for cid in rules.criterion_ids:
        sim.criteria[cid].value = True
    assert sim.last["taux"] == pytest.approx(min(
        rules.taux_base + sum(c.bonus for c in rules.criteres), rules.plafond))


def test_a_failing_tab_shows_a_french_message(app, monkeypatch, capsys):
    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    import cdv_lib.report

    monkeypatch.setattr(cdv_lib.report, "theme_tables", broken)
    app.tabs.selected_index = [t for t, _ in TABS].index("sante")
    assert html.escape(ERROR_MESSAGE) in app.rendered["sante"]  # a French message...
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err and "boom" not in out.out + out.err
    monkeypatch.undo()
    app.tabs.selected_index = 0
    app.tabs.selected_index = [t for t, _ in TABS].index("sante")
    assert "Santé — " in app.rendered["sante"]  # ... and the tab recovers


def test_failing_key_figures_show_a_french_message(dataset, monkeypatch):
    import cdv_lib.app.dashboard as dashboard

    app = App(dataset)
    monkeypatch.setattr(dashboard, "key_figures", lambda *a, **k: 1 / 0)
    app.commune.value = LENS
    assert html.escape(ERROR_MESSAGE) in app.cards.value
    assert "ZeroDivision" not in app.cards.value


def test_unloadable_data_gives_a_french_page(tmp_path):
    (tmp_path / "communes.csv").write_text("code_insee;nom;population;signataire\n"
                                           "1004;Nulle;abc;oui\n", encoding="utf-8")
    page = App.from_data(tmp_path)
    assert isinstance(page, Unavailable)
    assert "ne peuvent pas être chargées" in page.container.value
    assert "communes.csv" in page.container.value
    assert "Traceback" not in page.container.value


def test_from_data_reads_the_data_dir_given_by_the_server(tmp_path, monkeypatch):
    data = tmp_path / "donnees"
    shutil.copytree(paths.DATA_DIR, data, ignore=shutil.ignore_patterns("reference"))
    communes = data / "communes.csv"
    communes.write_text(communes.read_text(encoding="utf-8").replace(
        "62498;Lens;32920;", "62498;Lens;33333;"), encoding="utf-8")
    monkeypatch.setenv("CDV_DATA_DIR", str(data))
    monkeypatch.chdir(tmp_path)
    app = App.from_data()
    assert isinstance(app, App)
    app.commune.value = LENS
    assert fmt_int(33333) in _card(app, "population")


def _widget_count(widget) -> int:
    """The widget and every widget reachable from its state (children, layout, style)."""
    seen, stack = set(), [widget]
    while stack:
        w = stack.pop()
        if w.model_id in seen:
            continue
        seen.add(w.model_id)
        for name in w.keys:
            value = getattr(w, name, None)
            for v in value if isinstance(value, (list, tuple)) else [value]:
                if isinstance(v, widgets.Widget):
                    stack.append(v)
    return len(seen)


def test_ami_simulator_is_built_when_its_tab_opens(dataset):
    app = App(dataset)
    ami_index = [t for t, _ in TABS].index("ami")
    before = _widget_count(app.container)
    assert app._simulator is None
    assert list(app.ami_box.children) == [app.outputs["ami"]]
    app.tabs.selected_index = ami_index
    assert app._simulator is not None
    assert app.ami_box.children[0] is app.simulator.container
    assert app.ami_box.children[1] is app.outputs["ami"]
    assert "Simulateur" in app.simulator.intro.value
    # fewer widgets for the browser to fetch and draw when the page opens
    assert _widget_count(app.container) - before >= 2 * len(app.simulator.criteria)
    app.tabs.selected_index = 0
    app.tabs.selected_index = ami_index
    assert app.ami_box.children[0] is app.simulator.container  # built once


def test_show_displays_the_first_view_then_the_widgets(app, dataset, monkeypatch):
    import cdv_lib.app.dashboard as dashboard

    shown = []
    monkeypatch.setattr(dashboard, "display", lambda obj, **kw: shown.append((obj, kw)))
    app.show()
    (first, first_kw), (live, live_kw) = shown
    assert first_kw == {"metadata": {"cdv": "first-view"}}
    assert live is app.container and live_kw == {}
    assert "cdv-live" in app.container._dom_classes
    page = first.data
    assert page.startswith('<div class="cdv-app cdv-first-view">')
    # the same title and the same agglomeration cards as the widgets, even once a commune
    # is selected (the first view is what any new visitor sees)
    assert app.cards.value in page and app.header.value in page
    app.commune.value = LENS
    assert app.cards.value not in app.first_view_html()
    assert 'data-scope=""' in app.first_view_html()
    assert "Chargement" in page


def test_unavailable_page_shows_only_its_message(tmp_path, monkeypatch):
    import cdv_lib.app.dashboard as dashboard

    (tmp_path / "communes.csv").write_text("code_insee;nom\n", encoding="utf-8")
    page = App.from_data(tmp_path)
    shown = []
    monkeypatch.setattr(dashboard, "display", lambda obj, **kw: shown.append((obj, kw)))
    page.show()
    assert shown == [(page.container, {})]
