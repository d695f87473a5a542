"""Accessibility (axe-core in headless Debian Chromium, no violation of impact « serious »
or « critical ») of the pages a reader opens after a real small batch: the index, the
agglomeration's gouvernance, santé, participation and finances reports, and Lens's
fiche commune and gouvernance reports. The helper itself is checked on a page with known
faults, so that a broken harness cannot pass silently."""

from __future__ import annotations

from dataclasses import replace

import pytest

from a11y import assert_accessible, require_axe, run_axe, serious_violations
from browser import chromium_page, require_chromium

LENS = "62498"
AGGLOMERATION_THEMES = ("gouvernance", "sante", "participation", "finances")
COMMUNE_THEMES = ("fiche_commune", "gouvernance")

BAD_PAGE = """<!DOCTYPE html><html><head><title>x</title></head><body>
<p style="color:#bbb;background:#fff">texte pâle</p><img src="data:image/png;base64,iVBORw0KGgo=">
<a href="#"></a></body></html>"""


@pytest.fixture(scope="module")
def batch_out(tmp_path_factory):
    require_chromium()
    require_axe()
    from cdv_lib.batch.orchestrator import run_batch
    from cdv_lib.batch.registry import THEMES

    out = tmp_path_factory.mktemp("a11y") / "out"
    agglomeration_only = {name: replace(THEMES[name], communes=False)
                          for name in AGGLOMERATION_THEMES}
    first = run_batch(out_dir=out, registry=agglomeration_only, jobs=2, quiet=True)
    assert first.failed == 0, first.message()
    second = run_batch(out_dir=out, communes=[LENS], themes=list(COMMUNE_THEMES), jobs=2,
                       quiet=True)
    assert second.failed == 0, second.message()
    return out


@pytest.mark.browser
def test_harness_reports_serious_violations(tmp_path):
    require_chromium()
    require_axe()
    page_path = tmp_path / "mauvaise.html"
    page_path.write_text(BAD_PAGE, encoding="utf-8")
    with chromium_page() as page:
        page.goto(page_path.as_uri())
        found = {v["id"] for v in serious_violations(run_axe(page))}
    assert {"html-has-lang", "image-alt", "color-contrast", "link-name"} <= found
    with pytest.raises(pytest.fail.Exception, match="image-alt"):
        assert_accessible(page_path)


@pytest.mark.notebooks
@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("page", [
    "index.html",
    *(f"agglomeration/{theme}.html" for theme in AGGLOMERATION_THEMES),
    *(f"{LENS}/{theme}.html" for theme in COMMUNE_THEMES),
])
def test_batch_pages_are_accessible(batch_out, page):
    path = batch_out / page
    assert path.is_file(), sorted(p.name for p in batch_out.rglob("*.html"))
    results = assert_accessible(path)
    assert results["url"].endswith(page)
    if page == "index.html":
        text = path.read_text(encoding="utf-8")
        assert 'href="tableaux.xlsx"' in text and f'href="{LENS}/fiche_commune.html"' in text
