"""load_dataset: typed tables, defaults, YAML checks, questionnaires, cache."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from cdv_lib import dataset as dataset_mod
from cdv_lib.dataset import Dataset, load_dataset
from cdv_lib.themes.ami import parse_rules
from cdv_lib.errors import DataError
from cdv_lib.paths import DATA_DIR
from cdv_lib.schemas import typed_columns
from cdv_lib.validation import summary, validate_dir


def test_base_dataset_loads_typed(base_data):
    ds = load_dataset(base_data)
    assert isinstance(ds, Dataset) and ds.data_dir == base_data.resolve()
    assert ds.communes["code_insee"].tolist() == ["01004", "01053", "01283"]
    assert ds.programmation["montant_accorde"].tolist() == [4000.0, 5000.0, 0.0, 18000.0]
    assert ds.config["territoire"] == "Communauté de communes de test"
    assert ds.config["secret"] == {"seuil_defaut": 5, "seuils": {"fiscal": 11}}
    assert ds.ami_rules["plafond"] == 0.8


def test_optional_files_absent_give_empty_typed_frames_and_defaults(base_data):
    for name in ("indicateurs.csv", "programmation.csv", "actions_sante.csv", "entretiens.csv",
                 "perr.csv", "config.yaml", "ami_regles.yaml"):
        (base_data / name).unlink()
    ds = load_dataset(base_data)
    for name in ("indicateurs", "programmation", "actions_sante", "entretiens", "perr",
                 "reunions"):
        frame = getattr(ds, name)
        assert frame.empty and list(frame.columns) == typed_columns(name)
    assert ds.config == {"territoire": "", "sigle": "", "code_epci": "200000001", "annee": None,
                         "secret": {"seuil_defaut": 5, "seuils": {}}}
    assert ds.ami_rules is None


def test_annee_defaults_to_last_programmation_year(base_data):
    (base_data / "config.yaml").write_text("territoire: T\n", encoding="utf-8")
    assert load_dataset(base_data).config["annee"] == 2022


def test_required_file_missing(base_data):
    (base_data / "qpv.csv").unlink()
    with pytest.raises(DataError) as info:
        load_dataset(base_data)
    assert "qpv.csv" in str(info.value) and "obligatoire" in str(info.value)


def test_all_problems_of_all_files_are_collected(base_data):
    text = (base_data / "communes.csv").read_text(encoding="utf-8")
    (base_data / "communes.csv").write_text(text.replace("14514", "-1"), encoding="utf-8")
    text = (base_data / "perr.csv").read_text(encoding="utf-8")
    (base_data / "perr.csv").write_text(text.replace("en cours", "bientôt"), encoding="utf-8")
    (base_data / "ami_regles.yaml").write_text("enveloppe_annuelle: 0\ntaux_base: 0.5\n"
                                               "plafond: 0.4\ncriteres: []\n", encoding="utf-8")
    problems = validate_dir(base_data)
    files = sorted({p.file for p in problems})
    assert files == ["ami_regles.yaml", "communes.csv", "perr.csv"]
    assert len(problems) == 4


def test_csv_and_xlsx_for_same_table_is_ambiguous(base_data):
    (base_data / "perr.xlsx").write_bytes(b"")
    problems = validate_dir(base_data)
    assert len(problems) == 1 and "perr.xlsx" in problems[0].expected


def test_old_xls_is_named(base_data):
    (base_data / "communes.csv").rename(base_data / "communes.xls")
    problems = validate_dir(base_data)
    assert any(p.file == "communes.xls" and ".xls" in p.expected for p in problems)


@pytest.mark.parametrize("yaml_text, column", [
    ("secret:\n  seuil_defaut: cinq\n", "secret.seuil_defaut"),
    ("secret:\n  seuils:\n    fiscal: 0\n", "secret.seuils.fiscal"),
    ("code_epci: 24620036\n", "code_epci"),
    ("annee: deux mille\n", "annee"),
    ("territoire: [a, b]\n", "territoire"),
])
def test_config_structure(base_data, yaml_text, column):
    (base_data / "config.yaml").write_text(yaml_text, encoding="utf-8")
    problems = validate_dir(base_data)
    assert [(p.file, p.column) for p in problems] == [("config.yaml", column)]


def test_config_yaml_syntax_error_names_line(base_data):
    (base_data / "config.yaml").write_text("territoire: T\nsecret: [\n", encoding="utf-8")
    (problem,) = validate_dir(base_data)
    assert problem.file == "config.yaml" and problem.row is not None


def test_commune_of_another_epci_than_config(base_data):
    (base_data / "config.yaml").write_text('code_epci: "246200364"\n', encoding="utf-8")
    problems = validate_dir(base_data)
    assert len(problems) == 3 and problems[0].column == "code_epci"
    assert "246200364" in problems[0].expected


@pytest.mark.parametrize("rules, column", [
    ({"enveloppe_annuelle": 0, "taux_base": 0.5, "plafond": 0.8, "criteres": []},
     "enveloppe_annuelle"),
    ({"enveloppe_annuelle": 1, "taux_base": 1.5, "plafond": 0.8, "criteres": []}, "taux_base"),
    ({"enveloppe_annuelle": 1, "taux_base": 0.5, "plafond": 0.4, "criteres": []}, "plafond"),
    ({"enveloppe_annuelle": 1, "taux_base": 0.5, "plafond": 0.8, "criteres": "x"}, "criteres"),
    ({"enveloppe_annuelle": 1, "taux_base": 0.5, "plafond": 0.8,
      "criteres": [{"id": "a", "libelle": "A", "bonus": 2}]}, "criteres[1].bonus"),
    ({"enveloppe_annuelle": 1, "taux_base": 0.5, "plafond": 0.8,
      "criteres": [{"libelle": "A", "bonus": 0.1}]}, "criteres[1].id"),
])
def test_ami_rules_structure(rules, column):
    problems = parse_rules(rules)[1]
    assert [p.column for p in problems] == [column]


def test_questionnaires_keyed_by_definition_id(base_data):
    pytest.importorskip("cdv_lib.survey", reason="cdv_lib.survey pas encore disponible")
    (base_data / "questionnaires" / "associations.yaml").rename(
        base_data / "questionnaires" / "autre_nom.yaml")
    ds = load_dataset(base_data)
    assert list(ds.questionnaires) == ["associations"]


def test_questionnaire_problems_are_collected_with_the_others(base_data):
    pytest.importorskip("cdv_lib.survey", reason="cdv_lib.survey pas encore disponible")
    path = base_data / "questionnaires" / "associations_reponses.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("A2;3", "A2;9"), encoding="utf-8")
    text = (base_data / "perr.csv").read_text(encoding="utf-8")
    (base_data / "perr.csv").write_text(text.replace("en cours", "bientôt"), encoding="utf-8")
    files = {p.file for p in validate_dir(base_data)}
    assert "perr.csv" in files and any("associations_reponses" in f for f in files)


def test_cache_reused_until_a_file_changes(base_data, monkeypatch):
    calls = []
    real = dataset_mod._load
    monkeypatch.setattr(dataset_mod, "_load", lambda d: calls.append(d) or real(d))
    first = load_dataset(base_data)
    second = load_dataset(base_data)
    assert len(calls) == 1
    second.communes.loc[2, "nom"] = "modifié"
    assert load_dataset(base_data).communes.loc[2, "nom"] == "Ambérieu-en-Bugey"
    path = base_data / "communes.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("Oyonnax", "Oyonax"),
                    encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10_000_000))
    assert load_dataset(base_data).communes["nom"].iloc[2] == "Oyonax"
    assert len(calls) == 2
    assert first.communes["nom"].iloc[2] == "Oyonnax"


def test_default_directory_comes_from_environment(base_data, monkeypatch):
    monkeypatch.setenv("CDV_DATA_DIR", str(base_data))
    assert load_dataset().data_dir == base_data.resolve()


@pytest.mark.skipif(not (DATA_DIR / "communes.csv").exists(),
                    reason="données embarquées pas encore construites (data/communes.csv)")
def test_embedded_demo_data_is_valid():
    problems = validate_dir(DATA_DIR)
    assert problems == [], "\n".join(p.message() for p in problems[:30])
    ds = load_dataset(DATA_DIR)
    assert len(ds.communes) == 36 and int(ds.communes["signataire"].sum()) == 19
    assert isinstance(ds.programmation, pd.DataFrame)
    assert len(ds.reunions) > 0 and ds.reunions["date"].dtype == "datetime64[ns]"


def test_reunions_file_is_loaded_and_checked(base_data):
    (base_data / "reunions.csv").write_text(
        "date;dispositif;instance;duree_heures;elus\n"
        "2022-03-01;Évaluation;audition commune;1,5;2\n"
        "2022-03-32;Évaluation;audition commune;1;x\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_dataset(base_data)
    found = {(p.file, p.row, p.column) for p in info.value.problems}
    assert found == {("reunions.csv", 3, "date"), ("reunions.csv", 3, "elus")}
    (base_data / "reunions.csv").write_text(
        "date;dispositif;instance;duree_heures;elus\n"
        "2022-03-01;Évaluation;audition commune;1,5;2\n", encoding="utf-8")
    ds = load_dataset(base_data)
    assert ds.reunions["duree_heures"].tolist() == [1.5]
    assert ds.reunions["elus"].tolist() == [2] and "reunions : 1 ligne" in summary(base_data)
