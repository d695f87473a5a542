"""Accessibility of the Voilà app (RGAA, issue 12): the real `cdv serve` server, the real
headless Debian Chromium, axe-core (installed by ``bash scripts/test.sh`` into ``.axe/``).

The app is opened for the agglomeration, then for Lens; once its live key figures are
drawn, every tab is opened in turn and the whole page is checked: no violation of impact
« serious » or « critical » (WCAG 2.x A/AA and axe's best practices, :mod:`a11y`).

Screenshots of the app for Lens (territory tab with its map, governance tab) and of the
agglomeration's territory tab are written
to ``$CDV_SCREENSHOT_DIR`` (default: pytest's temporary folder) to be looked at.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
from a11y import assert_accessible, require_axe
from browser import chromium_page, require_chromium, running_voila

from cdv_lib.app.dashboard import AGGLOMERATION_LABEL, TABS
from cdv_lib.serve import ServeConfig

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

LENS = "62498"
LENS_LABEL = "Lens"
LONG = 120_000  # ms: first page load, kernel start on a busy machine
SHORT = 90_000  # ms: a tab drawn for the first time (a commune's questionnaire tables)
LIVE_KPIS = ".cdv-live .cdv-kpis"

SCREENSHOTS = {(LENS, "territoire"): "app-lens-territoire.png",
               (LENS, "gouvernance"): "app-lens-gouvernance.png",
               (None, "territoire"): "app-agglomeration-territoire.png"}

# (commune, theme, tab title): the agglomeration's tabs, then Lens's
CASES = [(commune, theme, title) for commune in (None, LENS) for theme, title in TABS]


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    folder = os.environ.get("CDV_SCREENSHOT_DIR")
    path = Path(folder) if folder else tmp_path_factory.mktemp("captures")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def page():
    require_chromium()
    require_axe()
    with running_voila(ServeConfig(log_level="INFO")) as server, \
            chromium_page(timeout_ms=SHORT) as page:
        page.goto(server.url, wait_until="commit", timeout=LONG)
        try:
            page.wait_for_selector(f"{LIVE_KPIS} .cdv-kpi .cdv-kpi-value", timeout=LONG)
        except Exception as exc:  # noqa: BLE001 - any failure: say what the page shows
            raise AssertionError(
                f"les chiffres clés ne s'affichent pas ({exc.__class__.__name__}) ;\n"
                f"page : {page.inner_text('body')[:1500]}\n"
                f"journal Voilà :\n{server.log_tail()}") from None
        yield page


def _select(page, commune: str | None) -> None:
    scope = commune or ""
    if page.get_attribute(LIVE_KPIS, "data-scope") == scope:
        return
    page.select_option(".cdv-commune select",
                       label=LENS_LABEL if commune == LENS else AGGLOMERATION_LABEL)
    page.wait_for_selector(f"{LIVE_KPIS}[data-scope='{scope}']", timeout=SHORT)


def _open_tab(page, commune: str | None, theme: str, title: str) -> None:
    page.locator(".cdv-tabs .lm-TabBar-tab", has_text=title).first.click()
    scope = f"{LENS_LABEL} ({LENS})" if commune == LENS else AGGLOMERATION_LABEL
    page.wait_for_selector(f".cdv-tab-{theme} h2:has-text(\"{title} — {scope}\")",
                           timeout=SHORT)
    # images decoded, so that axe sees the page as a reader does
    page.wait_for_function(
        f"() => [...document.querySelectorAll('.cdv-tab-{theme} img')]"
        ".every(img => img.complete)", timeout=SHORT)


def _screenshot(page, path: Path, *, max_height: int = 9000) -> None:
    """The whole app: Voilà scrolls inside ``#rendered_cells``, so the viewport is made as
    tall as its content for the capture (at most *max_height* pixels), then restored."""
    size = page.viewport_size
    height = page.evaluate("() => Math.max(document.body.scrollHeight, "
                           "(document.getElementById('rendered_cells') || {}).scrollHeight || 0)")
    page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, max_height)})
    try:
        page.screenshot(path=str(path))
    finally:
        page.set_viewport_size(size)


@pytest.mark.parametrize("commune,theme,title", CASES,
                         ids=[f"{c or 'agglomeration'}-{t}" for c, t, _ in CASES])
def test_tab_is_accessible(page, screenshots, commune, theme, title):
    _select(page, commune)
    _open_tab(page, commune, theme, title)
    assert page.locator(f".cdv-tab-{theme} .cdv-message-error").count() == 0
    if (commune, theme) in SCREENSHOTS:
        _screenshot(page, screenshots / SCREENSHOTS[commune, theme])
    assert_accessible(page)
    # the checked page is the live app, not Voilà's spinner
    assert page.locator(LIVE_KPIS).count() == 1


def test_page_language_and_headings(page):
    """``lang="fr"``, one ``h1``, and every tab's headings in order (h2 then h3)."""
    assert page.get_attribute("html", "lang") == "fr"
    assert page.locator("h1").count() == 1
    levels = page.eval_on_selector_all(
        ".cdv-live h1, .cdv-live h2, .cdv-live h3, .cdv-live h4",
        "els => els.map(e => Number(e.tagName[1]))")
    assert levels[0] == 1
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, levels
