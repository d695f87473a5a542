"""The exploration notebooks of notebooks/explorer/: thin (no logic), French prose in
markdown cells, outputs stripped, one ``parameters`` cell. nbval executes them
(scripts/test.sh); the explorer also runs in a real JupyterLab (test_lab_browser.py)."""

from __future__ import annotations

import ast

import nbformat
import pytest

from cdv_lib.paths import NOTEBOOKS_DIR

EXPLORER_DIR = NOTEBOOKS_DIR / "explorer"
NOTEBOOKS = {
    "explorer_questionnaire": "# Explorer un questionnaire",
    "controle_donnees": "# Contrôler les données de l'année",
    "premiers_pas": "# Premiers pas avec l'atelier",
}
LOGIC = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.For, ast.While, ast.If)


def test_every_notebook_of_the_folder_is_known():
    assert sorted(p.stem for p in EXPLORER_DIR.glob("*.ipynb")) == sorted(NOTEBOOKS)


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_thin_notebook(name):
    nb = nbformat.read(EXPLORER_DIR / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    assert nb.cells[0].cell_type == "markdown"
    assert nb.cells[0].source.splitlines()[0] == NOTEBOOKS[name]
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) <= 12
    for cell in code:
        assert not cell.get("outputs"), "sorties non effacées"
        tree = ast.parse(cell.source)
        assert not [n for n in ast.walk(tree) if isinstance(n, LOGIC)], \
            f"logique dans le notebook : {cell.source[:80]}"
    prose = " ".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert len(prose) > 300


def test_explorer_is_three_cells():
    nb = nbformat.read(EXPLORER_DIR / "explorer_questionnaire.ipynb", as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert code == ["from cdv_lib.explore import ExplorerApp",
                    "data_dir: str | None = None  # dossier de données, None = données embarquées",
                    "ExplorerApp.from_data_dir(data_dir).container"]
