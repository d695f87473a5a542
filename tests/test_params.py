"""Parameter safety (declared parameters, refused names, values never code) and the
papermill parameter files of params/."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "notebooks"))
from batch_fixtures import REGISTRY, REPORT  # noqa: E402

from cdv_lib.batch.plan import RunSpec  # noqa: E402
from cdv_lib.batch.registry import THEMES  # noqa: E402
from cdv_lib.params import (  # noqa: E402
    ParameterError, check_parameters, declared_parameters, params_files_problems,
    read_params_file, write_params_files,
)
from cdv_lib.paths import PARAMS_DIR  # noqa: E402


def test_declared_parameters_include_annotated_optionals():
    declared = declared_parameters(REPORT)
    assert list(declared) == ["commune", "annee", "data_dir"]
    assert declared["commune"] == {"type": "str | None", "default": "None",
                                   "help": "code INSEE, None = toute l'agglomération"}
    assert declared["annee"]["type"] == "int" and declared["annee"]["default"] == "2022"
    assert declared["data_dir"]["help"] == "dossier de données, None = données embarquées"


def test_check_parameters_refuses_unknown_and_invalid_names():
    check_parameters(REPORT, {"commune": "62498", "annee": 2022, "data_dir": None})
    with pytest.raises(ParameterError, match="non déclaré.*seuil"):
        check_parameters(REPORT, {"seuil": 5})
    for bad in ["a-b", "x = 1; import os", "1abc", "class", ""]:
        with pytest.raises(ParameterError, match="invalide"):
            check_parameters(REPORT, {bad: 1})


def test_notebook_without_parameters_cell(tmp_path):
    import nbformat as nbf

    nb = nbf.v4.new_notebook()
    nb.cells = [nbf.v4.new_code_cell("x = 1")]
    path = tmp_path / "sans.ipynb"
    nbf.write(nb, path)
    assert declared_parameters(path) == {}
    with pytest.raises(ParameterError, match="parameters"):
        check_parameters(path, {"x": 2})


NASTY = ["'; import os; os._exit(1) #", 'Saint-Étienne\n"quoted"', 'a\\"; print(1)\\', "\x00ü€\t'''"]


@pytest.mark.notebooks
def test_values_reach_the_notebook_unchanged(tmp_path):
    from cdv_lib.batch.run import execute_run

    import nbformat

    spec = RunSpec(commune="62001", commune_name="x", theme="alpha", theme_label="Alpha",
                   notebook=str(REPORT), out_dir=str(tmp_path),
                   parameters={"commune": NASTY[0], "annee": 2022, "data_dir": NASTY[1]},
                   timeout=60)
    # the other two nasty values in a second run, through the data_dir parameter's sibling
    spec2 = RunSpec(commune="62002", commune_name="x", theme="alpha", theme_label="Alpha",
                    notebook=str(REPORT), out_dir=str(tmp_path),
                    parameters={"commune": NASTY[2], "data_dir": NASTY[3]}, timeout=60)
    for run, (commune, data_dir) in [(spec, NASTY[:2]), (spec2, NASTY[2:])]:
        result = execute_run(run)
        assert result["status"] == "ok", result
        nb = nbformat.read(str(tmp_path / run.ipynb), as_version=4)
        printed = [o["text"] for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []) if o.get("name") == "stdout"]
        echoed = json.loads(printed[0])
        assert echoed["commune"] == commune and echoed["data_dir"] == data_dir


def test_params_files_quote_codes_and_drop_old_communes(tmp_path):
    communes = pd.DataFrame({"code_insee": ["01004", "2A004", "62498"],
                             "nom": ["Ambérieu\n\"x\"", "Ajaccio", "Lens"]})
    (tmp_path / "communes").mkdir()
    (tmp_path / "communes" / "99999.yaml").write_text("commune: '99999'\n")
    write_params_files(tmp_path, communes=communes, themes=THEMES.values(), annee=2022)
    assert read_params_file(tmp_path / "defaults.yaml") == {"commune": None, "annee": 2022,
                                                           "data_dir": None}
    text = (tmp_path / "communes" / "01004.yaml").read_text(encoding="utf-8")
    assert 'commune: "01004"' in text
    assert yaml.safe_load(text) == {"commune": "01004"}  # not 1004, not octal
    assert read_params_file(tmp_path / "communes" / "2A004.yaml") == {"commune": "2A004"}
    assert not (tmp_path / "communes" / "99999.yaml").exists()
    assert read_params_file(tmp_path / "themes" / "sante.yaml") == {"commune": None}
    assert read_params_file(tmp_path / "themes" / "fiche_commune.yaml") == {}


def test_params_files_keys_are_declared_by_fixture_notebooks(tmp_path):
    communes = pd.DataFrame({"code_insee": ["62001"], "nom": ["Aville"]})
    write_params_files(tmp_path, communes=communes, themes=REGISTRY.values(), annee=2022)
    assert params_files_problems(tmp_path, REGISTRY) == []
    (tmp_path / "themes" / "alpha.yaml").write_text("seuil: 5\n")
    problems = params_files_problems(tmp_path, REGISTRY)
    assert len(problems) == 1 and "seuil" in problems[0] and "alpha.yaml" in problems[0]


def test_committed_params_files_match_report_notebooks():
    missing = [t.notebook for t in THEMES.values() if not t.notebook.exists()]
    if missing:
        pytest.skip("notebooks de rapport pas encore écrits : "
                    + ", ".join(p.name for p in missing))
    assert (PARAMS_DIR / "defaults.yaml").exists()
    assert params_files_problems(PARAMS_DIR, THEMES) == []
