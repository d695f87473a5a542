"""Hostile text end to end: markup and spreadsheet formulas in the data are valid data, and
reach every output (report HTML, batch index, Excel workbook, Voilà app) as plain text."""

from __future__ import annotations

import csv
import html
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook

from cdv_lib import paths
from cdv_lib import report as report_tables
from cdv_lib.cli import main
from cdv_lib.dataset import load_dataset

LENS = "62498"
ANGRES = "62032"
SCRIPT_NAME = "<script>alert(1)</script>Lens"
IMG_TITLE = "<img src=x onerror=alert(1)>"
FORMULA = '=HYPERLINK("http://x","clic")'
SCRIPT_VERBATIM = "<script>alert(2)</script>"
THEMES = ("territoire", "gouvernance", "sante", "participation", "finances", "ami", "perr")


def _rewrite(path: Path, change) -> int:
    """Apply *change* (row dict → True when modified) to every row of a ``;`` CSV."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f, delimiter=";")
        header, rows = reader.fieldnames, list(reader)
    changed = sum(bool(change(row)) for row in rows)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, header, delimiter=";", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return changed


def _set(row: dict, column: str, value: str) -> bool:
    row[column] = value
    return True


def build_hostile_data(target: Path) -> Path:
    """The embedded data with hostile commune names, action titles and verbatims
    (``reference/`` is left out: :func:`load_dataset` does not read it)."""
    shutil.copytree(paths.DATA_DIR, target, ignore=shutil.ignore_patterns("reference"))
    names = {LENS: SCRIPT_NAME, ANGRES: FORMULA}
    assert _rewrite(target / "communes.csv", lambda r: r["code_insee"] in names
                    and _set(r, "nom", names[r["code_insee"]])) == 2
    titles = {"Ateliers parents-enfants": IMG_TITLE, "Bien-être et estime de soi": FORMULA}
    assert _rewrite(target / "programmation.csv", lambda r: r["intitule"] in titles
                    and _set(r, "intitule", titles[r["intitule"]])) > 0
    health = {"Marche nordique": IMG_TITLE, "Atelier bien-être": FORMULA}
    assert _rewrite(target / "actions_sante.csv", lambda r: r["commune"] == LENS
                    and r["intitule"] in health
                    and _set(r, "intitule", health[r["intitule"]])) == 2
    verbatims = iter([f"Ils nous ont écrit {SCRIPT_VERBATIM} sur le site.", FORMULA])

    def verbatim(row):
        if row["anonymise"] == "oui" and row["verbatim"]:
            value = next(verbatims, None)
            return value is not None and _set(row, "verbatim", value)
        return False

    assert _rewrite(target / "entretiens.csv", verbatim) == 2
    return target


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory) -> Path:
    return build_hostile_data(tmp_path_factory.mktemp("hostile") / "data")


@pytest.fixture(scope="module")
def hostile(hostile_dir):
    return load_dataset(hostile_dir)


def _assert_no_active_markup(page: str) -> BeautifulSoup:
    soup = BeautifulSoup(page, "html.parser")
    for script in soup.find_all("script"):
        assert "alert(" not in script.get_text(), script
    for tag in soup.find_all(True):
        assert not any(attr.lower().startswith("on") for attr in tag.attrs), tag
    assert "<script>alert(" not in page
    assert "<img src=x onerror" not in page
    return soup


def test_hostile_text_is_valid_data(hostile_dir, capsys):
    assert main(["validate", str(hostile_dir)]) == 0
    ds = load_dataset(hostile_dir)
    assert SCRIPT_NAME in set(ds.communes["nom"])
    assert IMG_TITLE in set(ds.programmation["intitule"])
    assert FORMULA in set(ds.actions_sante["intitule"])


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("commune", [None, LENS])
def test_report_tables_escape_every_text(hostile, theme, commune):
    page = report_tables.to_html(report_tables.theme_tables(hostile, theme, commune))
    page += report_tables.scope_header(hostile, commune, titre=theme).data
    soup = _assert_no_active_markup(page)
    text = soup.get_text()
    if theme in ("territoire", "sante", "finances") and commune is None:
        assert SCRIPT_NAME in text  # the commune tables name every commune
    if theme == "participation" and commune is None:
        assert SCRIPT_VERBATIM in text
    if commune == LENS:
        assert SCRIPT_NAME in text


def test_excel_stores_formulas_as_text(hostile, tmp_path):
    from cdv_lib.excel import export_workbook

    tables = [t for theme in THEMES for t in report_tables.theme_tables(hostile, theme)]
    path = export_workbook({"Agglomération": tables}, tmp_path / "tableaux.xlsx")
    workbook = load_workbook(path)
    found = []
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and "HYPERLINK" in cell.value:
                    assert cell.data_type == "s"
                    found.append(cell.value)
                if isinstance(cell.value, str) and "alert(" in cell.value:
                    found.append(cell.value)
    assert any(v.endswith(FORMULA) for v in found)  # commune name and verbatim
    assert SCRIPT_NAME in found


def test_app_shows_hostile_names_as_text(hostile):
    from cdv_lib.app import App
    from cdv_lib.app.dashboard import TABS

    app = App(hostile)
    labels = dict((value, label) for label, value in app.commune.options)
    # a Dropdown label is set as the option's textContent: it must stay the raw name,
    # escaping it would show "&lt;script&gt;" to the reader
    assert labels[LENS] == SCRIPT_NAME
    assert labels[ANGRES] == FORMULA
    escaped = html.escape(SCRIPT_NAME)
    for scope in ["", LENS]:
        app.commune.value = scope
        for index, (theme, _title) in enumerate(TABS):
            app.tabs.selected_index = index
            rendered = app.rendered[theme]
            _assert_no_active_markup(rendered)
            if scope == LENS:
                assert escaped in rendered
            if scope == "" and theme == "participation":
                assert html.escape(SCRIPT_VERBATIM) in rendered
        _assert_no_active_markup(app.cards.value)
        if scope == LENS:
            assert escaped in app.cards.value


@pytest.mark.notebooks
@pytest.mark.slow
def test_batch_reports_and_index_escape_hostile_text(hostile_dir, tmp_path):
    out = tmp_path / "out"
    code = main(["batch", "--data", str(hostile_dir), "--out", str(out), "--commune", LENS,
                 "--theme", "finances", "--theme", "participation",
                 "--theme", "fiche_commune", "--jobs", "2", "--quiet"])
    assert code == 0
    pages = sorted(out.rglob("*.html"))
    reports = [p for p in pages if p.name != "index.html"]
    assert len(reports) == 3, pages
    for page in pages:
        soup = _assert_no_active_markup(page.read_text(encoding="utf-8"))
        assert SCRIPT_NAME in soup.get_text(), page
    workbooks = list(out.rglob("*.xlsx"))
    for path in workbooks:
        for ws in load_workbook(path).worksheets:
            for row in ws.iter_rows():
                assert all(cell.data_type != "f" for cell in row)
