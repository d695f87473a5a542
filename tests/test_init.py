"""``cdv init --epci CODE DOSSIER``: a data folder for any EPCI from the national references."""

from __future__ import annotations

import pandas as pd
import pytest

from cdv_lib.cli import main
from cdv_lib.dataset import load_dataset
from cdv_lib.paths import REFERENCE_DIR
from cdv_lib.scaffold import closest_epci, completeness, no_data_message, resolve_epci
from cdv_lib.themes import territoire as th

BETHUNE = "200072460"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    target = tmp_path_factory.mktemp("init") / "bethune"
    assert main(["init", "--epci", BETHUNE, str(target), "--annee", "2025"]) == 0
    return target


def test_files_written(folder):
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert names == ["LISEZMOI.md", "communes.csv", "config.yaml", "modeles/actions_sante.csv",
                     "modeles/entretiens.csv", "modeles/indicateurs.csv", "modeles/perr.csv",
                     "modeles/programmation.csv", "modeles/reunions.csv", "qpv.csv"]
    assert (folder / "modeles" / "perr.csv").read_text(encoding="utf-8") == \
        "id;intitule;statut;indicateurs;pilier\n"
    readme = (folder / "LISEZMOI.md").read_text(encoding="utf-8")
    assert "QN06216M" in readme and "CA de Lens - Liévin" in readme and "pop_QPV24" in readme


def test_folder_is_valid_and_describes_the_territory(folder):
    ds = load_dataset(folder)
    assert ds.config["territoire"] == "CA de Béthune-Bruay, Artois-Lys Romane"
    assert ds.config["code_epci"] == BETHUNE and ds.config["annee"] == 2025
    assert len(ds.communes) == 100 and set(ds.communes["code_epci"]) == {BETHUNE}
    assert len(ds.qpv) == 16 and ds.qpv["population"].isna().all()
    # signatories by default: the communes with a QPV
    with_qpv = {c for cell in ds.qpv["communes"] for c in cell.split("|")}
    signed = set(ds.communes.loc[ds.communes["signataire"], "code_insee"])
    assert signed == with_qpv and "62276" in signed
    shared = ds.qpv.set_index("code_qpv").loc["QN06216M"]
    assert shared["communes"] == "62276|62401" and shared["autres_communes"] == "62464"
    assert shared["partage_avec"] == "CA de Lens - Liévin"
    figures = th.key_figures(ds.communes, ds.qpv).set_index("cle")
    assert figures.loc["terr.qpv_partages_epci", "valeur"] == 1
    assert "partagé avec la CA de Lens - Liévin" in figures.loc["terr.qpv_partages_epci", "note"]
    mine = th.qpv_communes_table(ds.communes, ds.qpv, "62276")
    assert mine["partage"].tolist() == ["partagé avec la CA de Lens - Liévin"]


def test_validate_says_what_is_missing(folder, capsys):
    assert main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "Reste à fournir" in out
    assert "population des QPV non fournie (« nd ») : 16 sur 16" in out
    assert "programmation.csv non fourni" in out and "ami_regles.yaml non fourni" in out
    ds = load_dataset(folder)
    assert len(completeness(ds)) == 10
    assert no_data_message(ds, "finances") == "Données non fournies (programmation.csv)"
    assert no_data_message(ds, "territoire") is None
    with pytest.raises(KeyError):
        no_data_message(ds, "inconnu")


def test_unknown_code_is_refused_with_the_closest_epci(tmp_path, capsys):
    target = tmp_path / "x"
    assert main(["init", "--epci", "200072461", str(target)]) == 2
    out = capsys.readouterr().out
    assert "inconnu" in out and "200072460 CA de Béthune-Bruay" in out
    assert not target.exists()
    assert main(["init", "--epci", "Bethune", str(target)]) == 2
    assert "200072460 CA de Béthune-Bruay" in capsys.readouterr().out
    assert not target.exists() and not list(tmp_path.iterdir())


def test_closest_epci_by_name_and_code():
    names = {"200072460": "CA de Béthune-Bruay, Artois-Lys Romane",
             "246200364": "CA de Lens - Liévin", "200069193": "CC de la Dombes"}
    assert closest_epci("lens", names)[0] == ("246200364", "CA de Lens - Liévin")
    assert closest_epci("246200365", names)[0][0] == "246200364"
    assert resolve_epci(" 246200364 ", names) == "246200364"
    with pytest.raises(ValueError, match="CA de Lens"):
        resolve_epci("CA de Lens", names)


def test_existing_folder_is_never_overwritten(folder, capsys):
    before = (folder / "communes.csv").read_bytes()
    assert main(["init", "--epci", BETHUNE, str(folder)]) == 2
    assert "existe déjà" in capsys.readouterr().out
    assert (folder / "communes.csv").read_bytes() == before


def test_epci_without_qpv_is_refused(tmp_path, capsys):
    ref = pd.read_csv(REFERENCE_DIR / "communes_france.csv", dtype=str)
    assert (ref["code_epci"] == "200069193").any()      # CC de la Dombes: no QPV 2024
    assert main(["init", "--epci", "200069193", str(tmp_path / "d")]) == 2
    assert "aucun quartier prioritaire" in capsys.readouterr().out
    assert not (tmp_path / "d").exists()


def test_signatories_option(tmp_path):
    assert main(["init", "--epci", BETHUNE, str(tmp_path / "d"), "--signataires",
                 "toutes"]) == 0
    assert load_dataset(tmp_path / "d").communes["signataire"].all()


def test_a_qpv_commune_merged_since_is_said_not_kept(tmp_path):
    # QN09342M covers 93059 (Pierrefitte-sur-Seine, merged into Saint-Denis 93066 since the
    # ANCT list) and 93066: it is not shared with another EPCI
    target = tmp_path / "gp"
    assert main(["init", "--epci", "200054781", str(target)]) == 0
    qpv = load_dataset(target).qpv.set_index("code_qpv")
    assert qpv.loc["QN09342M", "communes"] == "93066"
    assert pd.isna(qpv.loc["QN09342M", "autres_communes"])
    readme = (target / "LISEZMOI.md").read_text(encoding="utf-8")
    assert "QN09342M : la commune 93059" in readme and "non reprise" in readme
