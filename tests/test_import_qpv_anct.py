"""``cdv import qpv-anct``: the ANCT list of QPV (listeqp2024-cog2024.csv) → ``qpv.csv`` of the
folder's EPCI."""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cdv_lib.cli import main
from cdv_lib.dataset import load_dataset
from cdv_lib.geo.anct import parse_anct_qpv
from cdv_lib.importers.qpv_anct import carry_populations, settle_commune_epci
from cdv_lib.readers import read_table
from cdv_lib.validation import validate_dir

FIXTURES = Path(__file__).parent / "fixtures" / "anct"
# published layout: « ; », UTF-8 with BOM, CRLF, two empty columns after lib_epci, multi-commune
# cells joined by "; ", a lost leading zero (1053), a QPV over two EPCI given as a "; " list,
# Corsica's 2A codes
LIST = FIXTURES / "listeqp2024-cog2024.csv"
HEADER = ("code_qp;lib_qp;insee_reg;lib_reg;insee_dep;lib_dep;insee_com;lib_com;siren_epci;"
          "lib_epci;;")
LENS, BETHUNE, BOURG, AJACCIO = "246200364", "200072460", "200071751", "242010056"


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """Data folders made by ``cdv init`` for a few EPCI (copied by :func:`folder`)."""
    root = tmp_path_factory.mktemp("init")
    out = {}
    for code in (LENS, BETHUNE, BOURG, AJACCIO):
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["init", "--epci", code, str(root / code)]) == 0
        out[code] = root / code
    return out


@pytest.fixture
def folder(folders, tmp_path):
    def make(code, *, keep_qpv=True):
        target = tmp_path / f"dossier_{code}"
        shutil.copytree(folders[code], target)
        if not keep_qpv:
            (target / "qpv.csv").unlink()
        return target
    return make


def _run(capsys, path, data, *extra):
    rc = main(["import", "qpv-anct", str(path), "--to", str(data), *extra])
    out = capsys.readouterr()
    return rc, out.out, out.err


def _qpv(data) -> pd.DataFrame:
    return read_table(data / "qpv.csv").set_index("code_qpv")


def test_published_list_gives_the_qpv_of_the_epci_and_marks_the_shared_ones(folder, capsys):
    data = folder(LENS)
    before = LIST.read_bytes()
    rc, out, err = _run(capsys, LIST, data, "--remplacer")
    assert rc == 0, err
    assert LIST.read_bytes() == before                     # the input is never modified
    assert validate_dir(data) == []
    header = (data / "qpv.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "code_qpv;nom;communes;population;illustratif;autres_communes;partage_avec"
    qpv = _qpv(data)
    # only the three QPV touching Lens-Liévin; Bourg, Ajaccio, Béthune's own QPV left out
    assert qpv.index.tolist() == ["QN06216M", "QN06225M", "QN06243M"]
    assert qpv.loc["QN06225M", "communes"] == "62498|62523|62842"
    assert pd.isna(qpv.loc["QN06225M", "autres_communes"])
    # listed with two EPCI for three communes: each commune's EPCI from the national reference
    assert qpv.loc["QN06243M", "communes"] == "62351"
    assert qpv.loc["QN06243M", "autres_communes"] == "62250|62587"
    assert qpv.loc["QN06243M", "partage_avec"] == "CA d'Hénin-Carvin"
    assert qpv.loc["QN06216M", "partage_avec"] == "CA de Béthune-Bruay, Artois-Lys Romane"
    assert set(qpv["population"]) == {"nd"} and set(qpv["illustratif"]) == {"non"}
    # the report says what was read, mapped, kept and dropped
    assert "UTF-8 avec BOM" in out
    assert "6 QPV lus dans listeqp2024-cog2024.csv" in out
    assert "2 colonne(s) sans nom en fin de ligne ignorées" in out
    assert "EPCI (config.yaml) → 246200364 CA de Lens - Liévin" in out
    assert "qpv.csv : 3 QPV de l'EPCI 246200364 CA de Lens - Liévin, dont 2 partagé(s)" in out
    assert "QN06243M La Plaine Du 7 : partagé avec CA d'Hénin-Carvin" in out
    assert "3 QPV de la liste : aucune de leurs communes n'est dans l'EPCI 246200364" in out
    # the QPV of the scaffolded file that the list does not hold are named, not dropped silently
    assert "QN06202M Camus (qpv.csv, ligne 2) : absent de la liste de l'ANCT" in out
    ds = load_dataset(data)
    assert ds.qpv["population"].isna().all()


def test_lost_leading_zero_is_restored(folder, capsys):
    data = folder(BOURG, keep_qpv=False)
    rc, out, err = _run(capsys, LIST, data)               # no qpv.csv yet: no --remplacer
    assert rc == 0, err
    assert validate_dir(data) == []
    qpv = _qpv(data)
    assert qpv.index.tolist() == ["QN00101M"]
    assert qpv.loc["QN00101M", "communes"] == "01053"
    assert "1 code(s) INSEE à 4 chiffres complétés d'un zéro initial" in out


def test_corsican_codes_stay_letters(folder, capsys):
    data = folder(AJACCIO)
    rc, _, err = _run(capsys, LIST, data, "--remplacer")
    assert rc == 0, err
    assert _qpv(data).loc["QN02A02M", "communes"] == "2A004"
    assert validate_dir(data) == []


def test_existing_file_needs_remplacer_and_dry_run_writes_nothing(folder, capsys, snapshot):
    data = folder(LENS)
    before = snapshot(data)
    rc, _, err = _run(capsys, LIST, data)
    assert rc == 2 and "--remplacer" in err and "rien n'a été écrit" in err
    rc, out, _ = _run(capsys, LIST, data, "--remplacer", "--dry-run")
    assert rc == 0 and "rien n'a été écrit" in out
    assert snapshot(data) == before


def test_replacing_keeps_the_populations_typed_for_the_codes_that_stay(folder, capsys):
    data = folder(LENS)
    old = read_table(data / "qpv.csv")
    populations = {"QN06225M": "5 321", "QN06216M": "2100", "QN06202M": "1500"}
    old["population"] = [populations.get(c, "nd") for c in old["code_qpv"]]
    old.to_csv(data / "qpv.csv", sep=";", index=False)
    rc, out, err = _run(capsys, LIST, data, "--remplacer")
    assert rc == 0, err
    qpv = _qpv(data)
    assert qpv["population"].to_dict() == {"QN06216M": "2100", "QN06225M": "5321",
                                           "QN06243M": "nd"}
    assert ("population reprise de l'ancien qpv.csv pour 2 QPV dont le code reste : "
            "QN06216M (2\u00a0100), QN06225M (5\u00a0321)") in out
    # a QPV that leaves takes its typed population with it: said, with the figure
    assert "QN06202M Camus (qpv.csv, ligne 2, population 1\u00a0500) : absent de la liste" in out
    assert "population « nd » pour 1 QPV" in out and "QN06243M" in out
    assert validate_dir(data) == []
    assert load_dataset(data).qpv.set_index("code_qpv").loc["QN06225M", "population"] == 5321


def test_two_epci_for_two_communes_are_not_paired_by_position(folder, tmp_path, capsys):
    # as many SIREN as communes, but not in the communes' order: the reference decides
    line = ('QN06245M;Quartier Du Maroc - La Canche;32;Hauts-de-France;62;Pas-de-Calais;'
            '"62570; 62724";"Méricourt; Rouvroy";"246200299; 246200364";'
            '"CA d\'Hénin-Carvin; CA de Lens - Liévin";;\r\n')
    path = _bad(tmp_path, "listeqp2024-cog2024.csv", GOOD + line.encode("utf-8"))
    data = folder(LENS)
    rc, out, err = _run(capsys, path, data, "--remplacer")
    assert rc == 0, err
    rec = _qpv(data).loc["QN06245M"]
    assert (rec["communes"], rec["autres_communes"], rec["partage_avec"]) == (
        "62570", "62724", "CA d'Hénin-Carvin")
    assert "QN06245M : les EPCI de la liste ne sont pas dans l'ordre de ses communes" in out
    assert validate_dir(data) == []


def test_pairing_in_order_is_kept_and_said_when_the_reference_cannot_check():
    text = (HEADER + "\nQN06299M;Test;32;HdF;62;PdC;\"62570; 62999\";\"A; B\";"
            "\"246200364; 246200299\";\"CA de Lens - Liévin; CA d'Hénin-Carvin\";;\n")
    anct, notes = settle_commune_epci(parse_anct_qpv(text))
    assert anct.loc[2, "epci_communes"] == "246200364|246200299"
    assert notes == ["QN06299M : EPCI de la liste rattachés aux communes dans l'ordre (la "
                     "référence nationale ne permet pas de le vérifier)"]


def test_old_populations_not_carried_over_are_each_explained():
    new = pd.DataFrame({"code_qpv": ["QN06216M", "QN06225M", "QN06243M"], "nom": ["a", "b", "c"],
                        "communes": ["62464", "62498", "62351"], "population": ["nd"] * 3,
                        "illustratif": ["non"] * 3, "autres_communes": ["", "", ""],
                        "partage_avec": ["", "", ""]}, dtype=object)
    old = pd.DataFrame({"code_qpv": ["qn06216m", "QN06225M", "QN06243M", "QN06243M"],
                        "nom": ["a", "b", "c", "c"], "population": ["12a", "300", "10", "11"],
                        "illustratif": ["non", "oui", "non", "non"],
                        "commentaire": ["x", "", "", ""]},
                       index=pd.Index([2, 3, 4, 5], name="ligne"), dtype=object)
    out, report = carry_populations(new, old, file_label="qpv.csv", code_epci=LENS)
    assert out["population"].tolist() == ["nd", "nd", "nd"]
    dropped = dict(report.dropped)
    assert "ni un entier positif ni « nd »" in dropped["population « 12a » de QN06216M (qpv.csv, ligne 2)"]
    assert "illustratif = oui" in dropped["population 300 de QN06225M (qpv.csv, ligne 3)"]
    assert "plusieurs fois" in dropped["population de QN06243M (qpv.csv, lignes 4, 5)"]
    assert "non reprise" in dropped["colonne « commentaire » de l'ancien qpv.csv"]
    assert report.kept == []
    old_2015 = pd.DataFrame({"code_qpv": ["QP062001"], "nom": ["Ancien"], "population": ["900"]},
                            index=pd.Index([2], name="ligne"), dtype=object)
    out, report = carry_populations(new, old_2015, file_label="qpv.csv", code_epci=LENS)
    assert any("géographie 2015" in n for n in report.notes)
    assert "QP062001 Ancien (qpv.csv, ligne 2, population 900)" in dict(report.dropped)


def test_option_epci_overrides_config(folder, capsys):
    data = folder(BETHUNE)
    config = data / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(BETHUNE, LENS), encoding="utf-8")
    # config.yaml names Lens-Liévin but the communes are Béthune's: refused, nothing written
    rc, _, err = _run(capsys, LIST, data, "--remplacer")
    assert rc == 2 and "aucune des" in err and "autre EPCI" in err
    rc, out, err = _run(capsys, LIST, data, "--remplacer", "--epci", BETHUNE)
    assert rc == 0, err
    assert "EPCI (option --epci) → 200072460 CA de Béthune-Bruay, Artois-Lys Romane" in out
    assert "n'est pas celui de config.yaml (246200364)" in out
    qpv = _qpv(data)
    assert qpv.index.tolist() == ["QN06208M", "QN06216M"]
    assert qpv.loc["QN06216M", "communes"] == "62276|62401"
    assert qpv.loc["QN06216M", "autres_communes"] == "62464"
    assert qpv.loc["QN06216M", "partage_avec"] == "CA de Lens - Liévin"


def test_epci_from_the_communes_table_when_config_has_none(folder, capsys):
    data = folder(BOURG)
    config = data / "config.yaml"
    config.write_text("\n".join(line for line in config.read_text(encoding="utf-8").splitlines()
                                if not line.startswith("code_epci")) + "\n", encoding="utf-8")
    rc, out, err = _run(capsys, LIST, data, "--remplacer")
    assert rc == 0, err
    assert "EPCI (communes.csv (colonne code_epci" in out
    assert _qpv(data).index.tolist() == ["QN00101M"]


def test_windows_1252_list_is_read_and_said(folder, capsys):
    # re-saved by a spreadsheet: no BOM, Windows-1252; every accent decodes, so it is read
    data = folder(BETHUNE, keep_qpv=False)
    rc, out, err = _run(capsys, FIXTURES / "liste_cp1252.csv", data)
    assert rc == 0, err
    assert "Windows-1252, pas l'UTF-8 publié" in out
    assert _qpv(data).loc["QN06208M", "nom"] == "Quartier Du Mont Liébaut"


def _bad(tmp_path, name, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


GOOD = LIST.read_bytes()
BAD_INPUTS = {
    # wrong header: a renamed column, then the list saved with commas
    "en-tete": (GOOD.replace(b"insee_com;", b"code_commune;", 1),
                "absentes : insee_com"),
    "virgules": ((FIXTURES / "liste_virgules.csv").read_bytes(), "séparateur attendu : « ; »"),
    "vide": (b"", "fichier vide"),
    "bom-seul": (b"\xef\xbb\xbf\r\n", "fichier vide"),
    "en-tete-seul": (b"\xef\xbb\xbf" + HEADER.encode() + b"\r\n", "n'a que l'en-tête"),
    # Windows-1252 lines pasted into the UTF-8 file: two encodings, none can be chosen
    "cp1252-melange": (GOOD + "QN06208M;Quartier Du Mont Liébaut;32;Hauts-de-France;62;"
                       "Pas-de-Calais;62119;Bruay-la-Buissière;200072460;CA de Béthune-Bruay, "
                       "Artois-Lys Romane;;\r\n".encode("cp1252"), "mélange UTF-8 et Windows-1252"),
    # a DOS (cp850) export: neither UTF-8 nor Windows-1252
    "cp850": (GOOD.decode("utf-8-sig").encode("cp850"), "ni UTF-8 ni Windows-1252"),
    "lignes": ((FIXTURES / "liste_invalide.csv").read_bytes(), "déjà ligne 2"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_exits_2_and_writes_nothing(case, folder, tmp_path, capsys, snapshot):
    data = folder(LENS)
    raw, expected = BAD_INPUTS[case]
    path = _bad(tmp_path, "listeqp2024-cog2024.csv", raw)
    before = snapshot(data)
    rc, out, err = _run(capsys, path, data, "--remplacer")
    assert rc == 2, out
    assert expected in err and "rien n'a été écrit" in err
    assert path.name in err
    assert snapshot(data) == before
    assert path.read_bytes() == raw


@pytest.mark.parametrize("option, expected", [
    ("999999999", "le SIREN d'un EPCI connu"),
    ("24620036", "le code SIREN à 9 chiffres"),
])
def test_unknown_epci_exits_2(option, expected, folder, capsys, snapshot):
    data = folder(LENS)
    before = snapshot(data)
    rc, _, err = _run(capsys, LIST, data, "--remplacer", "--epci", option)
    assert rc == 2 and expected in err and option in err
    assert snapshot(data) == before


def test_epci_of_the_config_unknown_or_without_qpv_in_the_list(base_data, folder, capsys, snapshot):
    # base_data's config.yaml names 200000001, no EPCI of France
    before = snapshot(base_data)
    rc, _, err = _run(capsys, LIST, base_data, "--remplacer")
    assert rc == 2 and "config.yaml" in err and "200000001" in err
    assert snapshot(base_data) == before
    # a real EPCI whose QPV are not in this extract of the list
    data = folder(LENS)
    rc, _, err = _run(capsys, LIST, data, "--remplacer", "--epci", "245901160")
    assert rc == 2 and "aucun des 6 QPV de la liste ne touche ses communes" in err


def test_no_epci_anywhere_exits_2(folder, capsys, snapshot):
    data = folder(LENS)
    config = data / "config.yaml"
    config.write_text("\n".join(line for line in config.read_text(encoding="utf-8").splitlines()
                                if not line.startswith("code_epci")) + "\n", encoding="utf-8")
    communes = read_table(data / "communes.csv").drop(columns="code_epci")
    communes.to_csv(data / "communes.csv", sep=";", index=False)
    before = snapshot(data)
    rc, _, err = _run(capsys, LIST, data, "--remplacer")
    assert rc == 2 and "l'EPCI du territoire" in err and "--epci" in err
    assert snapshot(data) == before


def test_commune_missing_from_the_folder_is_named(folder, capsys, snapshot):
    data = folder(LENS)
    communes = read_table(data / "communes.csv")
    communes[communes["code_insee"] != "62523"].to_csv(data / "communes.csv", sep=";", index=False)
    before = snapshot(data)
    rc, _, err = _run(capsys, LIST, data, "--remplacer")
    assert rc == 2
    assert "valeur « 62523 »" in err and "Loison-sous-Lens" in err
    assert "QN06225M Grande Résidence (listeqp2024-cog2024.csv, ligne 2)" in err
    assert snapshot(data) == before


def test_one_list_only_and_no_workbook(folder, tmp_path, capsys):
    data = folder(LENS)
    rc = main(["import", "qpv-anct", str(LIST), str(LIST), "--to", str(data), "--remplacer"])
    assert rc == 2 and "un seul fichier" in capsys.readouterr().err
    xlsx = _bad(tmp_path, "listeqp2024-cog2024.xlsx", b"PK\x03\x04")
    rc, _, err = _run(capsys, xlsx, data, "--remplacer")
    assert rc == 2 and "un classeur n'est pas lu" in err


# --------------------------------------------------------------------------- national size
def _national_list() -> bytes:
    """A whole national list in the published layout, built from the shipped QPV 2024
    reference: zeros of départements 01-09 dropped, several communes or EPCI as "; " lists."""
    from cdv_lib.geo import reference
    from cdv_lib.paths import REFERENCE_DIR

    ref = pd.read_csv(REFERENCE_DIR / "communes_france.csv", dtype=str, keep_default_na=False)
    by = ref.set_index("code_insee")
    names = reference.epci_names()

    def cell(parts):
        text = "; ".join(parts)
        return '"' + text.replace('"', '""') + '"' if ";" in text or '"' in text else text

    lines = [HEADER]
    for rec in reference.qpv_reference().itertuples(index=False):
        codes = rec.communes.split("|")
        first = by.loc[codes[0]] if codes[0] in by.index else None
        dep = codes[0][:2] if first is None else first["code_departement"]
        epci = [e for e in str(rec.epci).split("|") if e]
        lines.append(";".join([
            rec.code_qpv, cell([rec.nom]), "" if first is None else first["code_region"], "",
            dep[1:] if dep.startswith("0") else dep, "" if first is None else first["departement"],
            cell([c[1:] if c.startswith("0") else c for c in codes]),
            cell([by.loc[c, "nom"] if c in by.index else c for c in codes]),
            cell(epci), cell([names.get(e, e) for e in epci])]) + ";;")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


@pytest.mark.parametrize("code", [BOURG, AJACCIO, LENS])
def test_national_list_gives_the_scaffold_s_qpv(code, folder, tmp_path, capsys):
    path = tmp_path / "listeqp2024-cog2024.csv"
    path.write_bytes(_national_list())
    data = folder(code)
    scaffold = read_table(data / "qpv.csv").set_index("code_qpv")
    rc, out, err = _run(capsys, path, data, "--remplacer")
    assert rc == 0, err
    assert validate_dir(data) == []
    qpv = _qpv(data)
    cols = ["nom", "communes", "autres_communes", "partage_avec"]
    pd.testing.assert_frame_equal(qpv[cols], scaffold[cols])
    assert f"QPV lus dans {path.name}" in out
