"""The app in a real headless Chromium against the real Voilà server (`cdv serve`
configuration, embedded data): key figures, commune change, every tab, one AMI case, French
number format, no traceback. Expected values come from the dataset and the theme
functions, formatted by the house formatters."""

from __future__ import annotations

import re

import pytest

from browser import chromium_page, raw_get, require_chromium, running_voila
from cdv_lib import paths
from cdv_lib.app.dashboard import TABS
from cdv_lib.dataset import load_dataset
from cdv_lib.formatting import fmt_euro, fmt_int, fmt_percent
from cdv_lib.serve import ServeConfig
from cdv_lib.themes import ami

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]

LENS = "62498"
LONG = 120_000  # ms: first page load, kernel start on a busy machine
SHORT = 60_000  # ms: a callback, a tab drawn for the first time
FORBIDDEN = ("Traceback", "Error", "Exception")


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(paths.DATA_DIR)


@pytest.fixture(scope="module")
def server():
    require_chromium()
    with running_voila(ServeConfig(log_level="INFO")) as server:
        yield server


@pytest.fixture(scope="module")
def page(server):
    with chromium_page(timeout_ms=SHORT) as page:
        console: list[str] = []
        page.on("console", lambda msg: console.append(msg.text))
        page.goto(server.url, wait_until="commit", timeout=LONG)
        try:
            page.wait_for_selector(".cdv-live .cdv-kpi[data-kpi=population] .cdv-kpi-value",
                                   timeout=LONG)
        except Exception as exc:
            raise AssertionError(
                f"les chiffres clés ne s'affichent pas ({exc.__class__.__name__}) ;\n"
                f"page : {page.inner_text('body')[:1500]}\n"
                f"console : {[m for m in console if 'Unsatisfied' not in m][-20:]}\n"
                f"journal Voilà :\n{server.log_tail()}") from None
        yield page


def _kpi(page, key: str) -> str:
    return page.inner_text(f".cdv-kpi[data-kpi={key}] .cdv-kpi-value").strip()


def _no_technical_text(page) -> None:
    text = page.inner_text("body")
    for word in FORBIDDEN:
        assert word not in text, f"« {word} » visible in the page"
    # nothing written to stderr (warnings, logs) reaches the page
    assert page.locator('[data-mime-type="application/vnd.jupyter.stderr"]').count() == 0


def test_agglomeration_key_figures(page, dataset):
    population = int(dataset.communes["population"].sum())
    assert _kpi(page, "population") == fmt_int(population)
    pop_qpv = int(dataset.qpv["population"].sum())
    assert _kpi(page, "population_qpv") == fmt_int(pop_qpv)
    assert _kpi(page, "part_qpv") == fmt_percent(pop_qpv / population)
    assert page.get_attribute(".cdv-kpis", "data-scope") == ""
    assert "from cdv_lib" not in page.content()  # sources stripped
    _no_technical_text(page)


def test_french_number_format(page):
    nbsp = "\u00a0"  # the one space of cdv_lib.formatting
    assert re.fullmatch(rf"\d{{1,3}}({nbsp}\d{{3}})+", _kpi(page, "population"))
    assert re.fullmatch(rf"\d{{1,3}}({nbsp}\d{{3}})*{nbsp}€", _kpi(page, "subventions"))
    assert re.fullmatch(rf"\d{{1,3}},\d{nbsp}%", _kpi(page, "part_qpv"))
    assert re.fullmatch(rf"[+-]\d+,\d{nbsp}%", _kpi(page, "evolution"))


def test_commune_change_updates_the_figures(page, dataset):
    communes = dataset.communes.set_index("code_insee")
    before = _kpi(page, "population")
    page.select_option(".cdv-commune select", label=str(communes.loc[LENS, "nom"]))
    page.wait_for_selector(f".cdv-kpis[data-scope='{LENS}']", timeout=SHORT)
    assert _kpi(page, "population") == fmt_int(int(communes.loc[LENS, "population"]))
    assert _kpi(page, "population") != before
    page.wait_for_selector(".cdv-tab-territoire h2:has-text('Lens (62498)')", timeout=SHORT)
    _no_technical_text(page)
    page.select_option(".cdv-commune select", label="Toute l'agglomération")
    page.wait_for_selector(".cdv-kpis[data-scope='']", timeout=SHORT)
    assert _kpi(page, "population") == before


@pytest.mark.parametrize("theme,title", TABS)
def test_each_tab_shows_content(page, theme, title):
    page.locator(".cdv-tabs .lm-TabBar-tab", has_text=title).first.click()
    heading = page.wait_for_selector(f".cdv-tab-{theme} h2", timeout=SHORT)
    assert heading.inner_text().startswith(title)
    page.wait_for_selector(f".cdv-tab-{theme} table.cdv-table", timeout=SHORT)
    assert page.locator(f".cdv-tab-{theme} .cdv-message-error").count() == 0
    if theme in ("finances", "sante", "perr"):
        page.wait_for_selector(f".cdv-tab-{theme} .cdv-chart img", timeout=SHORT)
    _no_technical_text(page)


def test_ami_simulation(page, dataset):
    rules = ami.load_rules(dataset.ami_rules)
    chosen = rules.criterion_ids[:2]
    expected = ami.simulate_application(rules, 20_000, 15_000,
                                        {c: c in chosen for c in rules.criterion_ids})
    page.locator(".cdv-tabs .lm-TabBar-tab", has_text="AMI").first.click()
    page.wait_for_selector(".cdv-ami-cout input", timeout=SHORT)
    for selector, value in ((".cdv-ami-cout input", "20000"), (".cdv-ami-demande input", "15000")):
        field = page.locator(selector)
        field.fill(value)
        field.press("Enter")
    for cid in chosen:
        page.locator(f".cdv-ami-critere-{cid} input[type=checkbox]").check()
    result = page.wait_for_selector(
        f".cdv-ami-result[data-montant='{expected['montant']}']", timeout=SHORT)
    assert page.inner_text(".cdv-ami-taux").strip() == fmt_percent(expected["taux"])
    assert page.inner_text(".cdv-ami-montant").strip() == fmt_euro(expected["montant"])
    reasons = result.inner_text()
    for cid in chosen:
        assert rules.criterion(cid).libelle in reasons
    _no_technical_text(page)


def test_first_view_is_in_the_page_before_any_script(server, dataset):
    """The server writes the title and the key figures into the HTML it sends (template
    ``cdv``): readable before Voilà's scripts and the widgets; sources still stripped."""
    status, body, _ = raw_get(server.url, "/")
    text = body.decode("utf-8")
    assert status == 200
    first = text.index('class="cdv-app cdv-first-view"')
    assert first < text.index("application/vnd.voila.cell-output+json")  # the widgets
    population = fmt_int(int(dataset.communes["population"].sum()))
    assert f'<div class="cdv-kpi-value">{population}</div>' in text[first:]
    assert "from cdv_lib" not in text and "Traceback" not in text


def test_first_view_gives_way_to_the_app(page):
    """Once the widgets are drawn, one set of cards: the app's."""
    page.wait_for_selector(".cdv-live .cdv-commune select", timeout=SHORT)
    assert page.locator(".cdv-first-view").count() == 0
    assert page.locator(".cdv-kpis").count() == 1
    assert page.locator(".cdv-live .cdv-kpis").count() == 1
