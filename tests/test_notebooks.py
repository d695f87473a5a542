"""Report notebooks: thin structure, and real runs with papermill on the embedded data.

Expected figures are computed from the data with the library (never typed in), then looked
for in the recorded outputs.
"""

from __future__ import annotations

import ast
import html

import nbformat
import pytest

from cdv_lib import columns as C
from cdv_lib.paths import REPORTS_DIR

REPORTS = ["gouvernance", "sante", "participation", "finances", "fiche_commune"]
LENS = "62498"
PARAMETERS = [
    "commune: str | None = None  # code INSEE, None = toute l'agglomération",
    "annee: int = 2022  # année de la programmation",
    "data_dir: str | None = None  # dossier de données, None = données embarquées",
]


def read(name):
    return nbformat.read(REPORTS_DIR / f"{name}.ipynb", as_version=4)


@pytest.mark.parametrize("name", REPORTS)
def test_notebook_is_thin_with_one_parameters_cell(name):
    nb = read(name)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert tagged[0].source.splitlines() == PARAMETERS
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert not cell.get("outputs"), "sorties non effacées"
        tree = ast.parse(cell.source)
        defined = [n for n in ast.walk(tree)
                   if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                     ast.Lambda, ast.For, ast.While, ast.If))]
        assert not defined, f"logique dans le notebook : {cell.source[:80]}"


def run(name, tmp_path, **parameters):
    import papermill as pm

    out = tmp_path / f"{name}-{parameters.get('commune') or 'agglo'}.ipynb"
    pm.execute_notebook(str(REPORTS_DIR / f"{name}.ipynb"), str(out), parameters=parameters,
                        kernel_name="python3", cwd=str(tmp_path), progress_bar=False)
    return nbformat.read(out, as_version=4)


def html_outputs(nb) -> str:
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            parts.append(data.get("text/html", ""))
            assert output.get("output_type") != "error"
    return "\n".join(parts)


def images(nb) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))


@pytest.fixture(scope="module")
def dataset():
    from cdv_lib.dataset import load_dataset

    return load_dataset()


def euro(value):
    from cdv_lib.formatting import fmt_euro

    return html.escape(fmt_euro(value))


def pct(value):
    from cdv_lib.formatting import fmt_percent

    return html.escape(fmt_percent(value))


@pytest.mark.notebooks
@pytest.mark.slow
def test_finances_agglomeration_and_lens(tmp_path, dataset):
    from cdv_lib.themes.finances import totals

    per_year = totals(dataset.programmation, C.ANNEE).set_index(C.ANNEE)["montant_accorde"]
    text = html_outputs(run("finances", tmp_path))
    assert euro(per_year.loc[2022]) in text  # 5 761 482 € on the embedded data
    assert "Communauté d&#x27;Agglomération de Lens-Liévin" in text or \
        "Communauté d'Agglomération de Lens-Liévin" in text
    lens = totals(dataset.programmation, C.ANNEE, commune=LENS).set_index(
        C.ANNEE)["montant_accorde"]
    text = html_outputs(run("finances", tmp_path, commune=LENS))
    assert euro(lens.loc[2022]) in text
    assert "Lens (62498)" in text
    assert euro(per_year.loc[2022]) not in text


@pytest.mark.notebooks
@pytest.mark.slow
def test_gouvernance_agglomeration_prints_published_shares(tmp_path, dataset):
    from cdv_lib.survey import tables as st

    survey = dataset.questionnaires["communes"]
    freq = st.frequencies(survey, "moyens_humains")
    insuffisants = freq.loc[freq["libelle"] == "Insuffisants"].iloc[0]
    nb = run("gouvernance", tmp_path)
    text = html_outputs(nb)
    assert pct(insuffisants["part"]) in text  # 42,1 % of 19 in the report
    assert "19 répondants à la question" in text
    assert images(nb) > 10


@pytest.mark.notebooks
@pytest.mark.slow
def test_gouvernance_for_lens_is_masked(tmp_path):
    text = html_outputs(run("gouvernance", tmp_path, commune=LENS))
    assert "masquée (secret statistique)" in text
    assert "Lens (62498)" in text


@pytest.mark.notebooks
@pytest.mark.slow
@pytest.mark.parametrize("name", ["sante", "participation", "fiche_commune"])
def test_other_reports_run_with_defaults_and_for_lens(tmp_path, dataset, name):
    from cdv_lib.themes.finances import health_share

    health = health_share(dataset.programmation).set_index(C.ANNEE)
    text = html_outputs(run(name, tmp_path))
    if name == "sante":
        assert euro(health.loc[2022, "montant_sante"]) in text  # 207 654 € in the report
    if name == "participation":
        assert "Mme Démo-Fictive" not in text  # a verbatim not cleared for publication
        assert "Verbatims anonymisés" in text
    if name == "fiche_commune":
        assert "Chiffres clés du territoire" in text
    text = html_outputs(run(name, tmp_path, commune=LENS))
    assert "Lens (62498)" in text
