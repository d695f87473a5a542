"""The landing page out/index.html: territory, date, key figures, documents that exist,
reports by theme and by commune, a filter that works with JavaScript and is absent without."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from cdv_lib.batch.index import load_context, render_index, write_index

HOSTILE = '<img src=x onerror=alert(1)>Ville "q"'


def record(commune, name, theme, label, status="ok", error=None):
    folder = commune or "agglomeration"
    return {"commune": commune, "commune_name": name, "theme": theme, "theme_label": label,
            "status": status, "error": error,
            "html": f"{folder}/{theme}.html" if status == "ok" else None}


def manifest() -> dict:
    runs = [record(None, "Agglomération", "gouvernance", "Gouvernance"),
            record(None, "Agglomération", "sante", "Santé", "failed", "ValueError: <b>x</b>"),
            record("62498", "Lens", "gouvernance", "Gouvernance"),
            record("62498", "Lens", "fiche_commune", "Fiche commune"),
            record("62510", "Liévin", "gouvernance", "Gouvernance", "pending"),
            record("62001", HOSTILE, "gouvernance", "Gouvernance")]
    return {"version": 1, "updated": "2026-05-04T10:12:03+02:00", "data_dir": None,
            "runs": {f"{r['commune'] or 'agglomeration'}/{r['theme']}": r for r in runs}}


def test_index_page(tmp_path):
    (tmp_path / "tableaux.xlsx").write_bytes(b"x" * 2048)
    (tmp_path / "rapport").mkdir()
    (tmp_path / "rapport" / "rapport_evaluation.pdf").write_bytes(b"%PDF" + b"x" * 5000)
    (tmp_path / "62498").mkdir()
    (tmp_path / "62498" / "tableaux.xlsx").write_bytes(b"x")
    path = write_index(tmp_path, manifest())
    page = path.read_text(encoding="utf-8")
    soup = BeautifulSoup(page, "html.parser")
    assert soup.html["lang"] == "fr"
    assert soup.h1.get_text() == "Communauté d'Agglomération de Lens-Liévin"
    meta = {dt.get_text(): dd.get_text() for dt, dd in zip(soup.find_all("dt"), soup.find_all("dd"))}
    assert meta["Année évaluée"] == "2022" and meta["Mis à jour le"] == "04/05/2026 à 10:12"
    assert meta["Rapports"] == "4 rapports réussis, 1 en échec"
    assert "cdv-kpi" in page and "@media print" in page  # the shared stylesheet

    cards = {c.find(class_="cdv-kpi-label").get_text(): c.find(class_="cdv-kpi-value").get_text()
             for c in soup.select("li.cdv-kpi")}
    assert cards["Communes signataires du Contrat de Ville"] == "19"
    assert cards["Part de la population en QPV"].endswith("%")

    hrefs = [a["href"] for a in soup.find_all("a")]
    assert "tableaux.xlsx" in hrefs and "rapport/rapport_evaluation.pdf" in hrefs
    assert "rapport/rapport_evaluation.docx" not in hrefs  # absent: not linked
    assert "62498/tableaux.xlsx" in hrefs
    assert "agglomeration/gouvernance.html" in hrefs and "agglomeration/sante.html" not in hrefs
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page

    table = soup.find("table", id="cdv-communes")
    assert [th.get_text() for th in table.thead.find_all("th")] == [
        "Commune", "Gouvernance", "Fiche commune", "Classeur"]
    assert all(th.get("scope") == "col" for th in table.thead.find_all("th"))
    rows = table.tbody.find_all("tr")
    assert [r.th.get("scope") for r in rows] == ["row"] * 3
    assert rows[0].th.get_text(" ", strip=True) == "Lens (62498)"
    assert "en attente" in rows[1].get_text()
    assert "<img src=x" not in page and HOSTILE in rows[2].th.get_text()
    assert not [t for t in soup.find_all(True) if any(a.startswith("on") for a in t.attrs)]
    # without JavaScript the filter is hidden, never a dead input
    assert soup.find(id="cdv-filtre").has_attr("hidden")
    assert len(soup.find_all("script")) == 1


def test_index_without_readable_data_is_still_written(tmp_path):
    m = manifest()
    m["data_dir"] = str(tmp_path / "absent")
    assert load_context(m["data_dir"]) == {}
    soup = BeautifulSoup(render_index(m, out_dir=tmp_path), "html.parser")
    assert soup.h1.get_text() == "Rapports du Contrat de Ville"
    assert not soup.select(".cdv-kpi")
    assert not soup.find(id="documents")  # nothing in the folder
    assert len(soup.find("table", id="cdv-communes").tbody.find_all("tr")) == 3


@pytest.mark.browser
def test_filter_in_chromium(tmp_path):
    from browser import chromium_browser

    path = write_index(tmp_path, manifest())
    with chromium_browser() as browser:
        context = browser.new_context(locale="fr-FR")
        page = context.new_page()
        page.goto(path.as_uri())
        rows = page.locator("#cdv-communes tbody tr")
        assert page.locator("#cdv-filtre").is_visible()
        assert page.locator("#cdv-filtre-compte").inner_text() == "3 communes affichées sur 3"
        page.fill("#cdv-filtre-texte", "lievin")  # accents and case ignored
        assert [rows.nth(i).is_visible() for i in range(3)] == [False, True, False]
        assert page.locator("#cdv-filtre-compte").inner_text() == "1 commune affichée sur 3"
        page.fill("#cdv-filtre-texte", "62498")
        assert [rows.nth(i).is_visible() for i in range(3)] == [True, False, False]
        page.fill("#cdv-filtre-texte", "")
        assert all(rows.nth(i).is_visible() for i in range(3))
        context.close()

        no_js = browser.new_context(locale="fr-FR", java_script_enabled=False)
        page = no_js.new_page()
        page.goto(path.as_uri())
        assert not page.locator("#cdv-filtre").is_visible()
        assert page.locator("#cdv-communes tbody tr").count() == 3
        assert all(page.locator("#cdv-communes tbody tr").nth(i).is_visible() for i in range(3))
        no_js.close()
