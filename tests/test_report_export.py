"""The report page frame: French page, shared stylesheet, title block, table of contents,
hidden cells dropped, numbers right-aligned, text alternatives on charts."""

from __future__ import annotations

import base64

import nbformat
from bs4 import BeautifulSoup
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from cdv_lib import page
from cdv_lib.batch.run import export_html

# a 1x1 PNG
PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")).decode()

TABLE = ("<section class='cdv-report-table' id='sante.actions'><h3>Actions de santé</h3>"
         "<table class='cdv-table'><thead><tr style='text-align: right;'><th>Thématique</th>"
         "<th>Actions</th><th>Part</th><th>Base (n)</th></tr></thead><tbody>"
         "<tr><td>Nutrition</td><td>12</td><td>42,1\u00a0%</td><td>1\u202f234</td></tr>"
         "<tr><td>Sport 2024</td><td>s</td><td>s</td><td>s</td></tr>"
         "</tbody></table></section>")


def report_notebook() -> nbformat.NotebookNode:
    nb = new_notebook(cells=[
        new_markdown_cell("# Santé\n\nActions de santé des quartiers."),
        new_markdown_cell("Les paramètres ci-dessous sont remplacés par le lot papermill.",
                          metadata={"tags": ["remove_cell"]}),
        new_code_cell("commune = None", metadata={"tags": ["parameters"]},
                      outputs=[new_output("stream", name="stdout", text="paramètre visible\n")]),
        new_code_cell('commune = "62498"', metadata={"tags": ["injected-parameters"]},
                      outputs=[new_output("stream", name="stdout", text="papermill injecté\n")]),
        new_markdown_cell("## Actions\n\nTexte."),
        new_code_cell("show()", outputs=[
            new_output("stream", name="stderr", text="UserWarning: config.yaml absent\n"),
            new_output("display_data", data={"text/html": TABLE}),
            new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
            new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"},
                       metadata={"image/png": {"alt": "Barres : nutrition 12 actions"}}),
            new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"},
                       metadata={"image/png": {"alt": ""}}),  # decorative, said so
            new_output("display_data", data={"text/html": f'<img src="data:image/png;base64,{PNG}">'}),
        ]),
        new_markdown_cell("## Financements\n\n### Par année\n\nTexte."),
    ])
    nb.metadata["papermill"] = {"parameters": {"commune": "62498", "annee": 2022,
                                               "data_dir": None},
                                "end_time": "2026-05-01T10:00:00.000000"}
    return nb


def test_report_page_frame():
    text = export_html(report_notebook(), "Santé — Lens (62498)")
    soup = BeautifulSoup(text, "html.parser")
    assert soup.html["lang"] == "fr"
    assert not soup.find_all("script")
    visible = soup.get_text(" ")
    for word in ("papermill", "paramètre", "config.yaml", "UserWarning", "commune = "):
        assert word not in visible
    assert "@media print" in soup.style.get_text() and "size: A4" in soup.style.get_text()

    header = soup.find("header", class_="cdv-title")
    assert [h.get_text(strip=True) for h in soup.find_all("h1")] == ["Santé"]
    assert header.find("h1") is not None  # the notebook's title, moved into the title block
    assert "Communauté d'Agglomération de Lens-Liévin" in header.get_text()
    meta = {dt.get_text(strip=True): dd.get_text(strip=True)
            for dt, dd in zip(header.find_all("dt"), header.find_all("dd"))}
    assert meta == {"Périmètre": "Lens (62498)", "Année": "2022", "Produit le": "1er mai 2026"}

    nav = soup.find("nav", class_="cdv-toc")
    links = [(a.get_text(), a["href"]) for a in nav.find_all("a")]
    assert [t for t, _ in links] == ["Actions", "Actions de santé", "Financements", "Par année"]
    for _text, href in links:
        assert soup.find(id=href[1:]).name in ("h2", "h3")
    assert len({h for _t, h in links}) == len(links)
    # nesting: h3 under their h2
    assert [a.get_text() for a in nav.select("ol > li > ol a")] == ["Actions de santé", "Par année"]
    assert not soup.select("a.anchor-link")

    table = soup.find("table", class_="cdv-table")
    assert [th.get("scope") for th in table.find_all("th")] == ["col"] * 4
    assert table.thead.tr.get("style") is None
    heads = [("num" in (th.get("class") or [])) for th in table.thead.find_all("th")]
    assert heads == [False, True, True, True]
    first, masked = table.tbody.find_all("tr")
    assert [("num" in (td.get("class") or [])) for td in first.find_all("td")] == [False, True, True, True]
    # « s » in a column of figures aligns with them; a text cell with a year stays text
    assert [("num" in (td.get("class") or [])) for td in masked.find_all("td")] == [False, True, True, True]

    alts = [img["alt"] for img in soup.find_all("img")]
    auto = page.CHART_ALT.format(title="Actions de santé")
    assert alts == [auto, "Barres : nutrition 12 actions", "", auto]
    assert not soup.select("[data-cdv-alt]")


def test_short_page_has_no_toc_and_title_fallback():
    nb = new_notebook(cells=[new_markdown_cell("Un paragraphe.")])
    soup = BeautifulSoup(export_html(nb, "Note"), "html.parser")
    assert soup.find("nav") is None
    assert soup.find("h1").get_text() == "Note"
    assert "cdv-with-toc" not in soup.find(class_="cdv-layout")["class"]


def test_french_helpers():
    assert page.french_date("2026-12-01T16:00:00+01:00") == "1er décembre 2026"
    assert page.french_date("2026-03-15") == "15 mars 2026"
    assert page.french_date("hier") == ""
    taken: set[str] = set()
    assert page.slug("Écoute des habitants ?", taken) == "ecoute-des-habitants"
    assert page.slug("Écoute des habitants !", taken) == "ecoute-des-habitants-2"
    assert page.slug("???", taken) == "section"
    for text in ("5\u202f760\u202f000\u00a0€", "42,1\u00a0%", "2022", "-3", "1 234,5"):
        assert page.is_numeric_text(text), text
    for text in ("Sport 2024", "QP062901", "s", "62498 Lens"):
        assert not page.is_numeric_text(text), text


def test_mark_tables_html_for_fragments():
    fragment = page.mark_tables_html(TABLE)
    soup = BeautifulSoup(fragment, "html.parser")
    assert [("num" in (td.get("class") or [])) for td in soup.tbody.tr.find_all("td")] == [
        False, True, True, True]
    assert soup.find("th")["scope"] == "col"
    assert ".lm-TabBar-tab" in page.stylesheet()  # the app's tab labels
