"""The embedded demo data (CALL 2022): deterministic build, contract, published aggregates."""

from __future__ import annotations

import csv
import filecmp
import importlib.util
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cdv_lib import columns as C
from cdv_lib.dataset import load_dataset
from cdv_lib.paths import DATA_DIR, PROJ_ROOT, REFERENCE_DIR
from cdv_lib.survey import frequencies
from cdv_lib.themes import finances

REPORT = Path("/work/shared/source/000_ace94e9a4bda4f3b.txt")
# files written by hand, not by the build script
HAND_WRITTEN = {"README.md", "SOURCES.md", "fidelity_explanations.csv"}


def _build_module():
    spec = importlib.util.spec_from_file_location(
        "build_demo_data", PROJ_ROOT / "scripts" / "build_demo_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ds():
    return load_dataset(DATA_DIR)


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.is_file() and p.name not in HAND_WRITTEN)


def test_build_is_deterministic_and_matches_committed_data(tmp_path):
    build = _build_module()
    first, second = tmp_path / "a", tmp_path / "b"
    assert build.main([str(first)]) == 0
    assert build.main([str(second)]) == 0
    names = _files(first)
    assert names == _files(second)
    assert "programmation.csv" in names and "questionnaires/associations.yaml" in names
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    # the committed data are exactly what the script writes
    _match, mismatch, errors = filecmp.cmpfiles(first, DATA_DIR, names, shallow=False)
    assert mismatch == [] and errors == [], (mismatch, errors)


def test_reference_files_are_copies_of_the_shared_reference():
    shared = Path("/work/shared/reference")
    if not shared.is_dir():
        pytest.skip("référence partagée absente")
    for name in ("communes_france.csv", "published_figures.csv"):
        assert (REFERENCE_DIR / name).read_bytes() == (shared / name).read_bytes()


def test_dataset_loads_without_problem(ds):
    assert set(ds.questionnaires) == {"communes", "associations", "conseils_citoyens",
                                      "partenaires_sante", "sante_communes"}
    assert ds.config["code_epci"] == "246200364"
    raw = yaml.safe_load((DATA_DIR / "config.yaml").read_text(encoding="utf-8"))
    assert isinstance(raw["code_epci"], str)


def test_communes_are_the_real_epci_list(ds):
    with open(REFERENCE_DIR / "communes_france.csv", encoding="utf-8") as fh:
        ref = {r["code_insee"]: r for r in csv.DictReader(fh) if r["code_epci"] == "246200364"}
    communes = ds.communes
    assert len(communes) == 36
    assert set(communes[C.CODE_INSEE]) == set(ref)
    for code, nom, pop in zip(communes[C.CODE_INSEE], communes[C.NOM], communes[C.POPULATION]):
        assert nom == ref[code]["nom"] and int(pop) == int(ref[code]["population"])
    assert int(communes[C.SIGNATAIRE].sum()) == 19
    raw = (DATA_DIR / "communes.csv").read_text(encoding="utf-8").splitlines()
    assert raw[0] == "code_insee;nom;population;signataire;code_epci"


def test_qpv_cover_every_signatory(ds):
    qpv = ds.qpv
    assert len(qpv) == 21 and qpv[C.CODE_QPV].str.fullmatch(r"QP062\d{3}").all()
    assert qpv["illustratif"].all() and qpv[C.NOM].str.contains("illustratif").all()
    total = int(qpv[C.POPULATION].sum())
    assert round(total, -3) == 56000
    links = qpv[C.COMMUNES].str.split("|")
    covered = {c for cs in links for c in cs}
    signatories = set(ds.communes.loc[ds.communes[C.SIGNATAIRE], C.CODE_INSEE])
    assert covered == signatories
    assert (links.map(len) > 1).any()


def test_indicators_printed_values_and_markers(ds):
    ind = ds.indicateurs
    def value(niveau, indicateur, annee):
        rows = ind[(ind[C.NIVEAU] == niveau) & (ind[C.INDICATEUR] == indicateur)
                   & (ind[C.ANNEE] == annee)]
        assert len(rows) == 1, (niveau, indicateur, annee)
        return float(rows[C.VALEUR].iloc[0])
    assert value("departement", "part_surpoids", 2017) == 52.8
    assert value("epci", "part_generalistes_55_ans_et_plus", 2017) == 59.8
    assert value("france", "part_generalistes_55_ans_et_plus", 2017) == 54.5
    assert value("epci", "taux_pauvrete", 2012) == 26
    rates = ind[(ind[C.NIVEAU] == "qpv") & (ind[C.INDICATEUR] == "taux_pauvrete")]
    assert rates[C.VALEUR].max() == 53
    assert set(rates["marqueur"].dropna()) == {"s", "nd"}
    assert not ind.loc[ind[C.INDICATEUR].isin(["taux_pauvrete", "revenu_median"]),
                       C.SOMMABLE].any()
    assert ind[C.SOURCE].str.len().gt(0).all()
    printed = ind[C.SOURCE].str.contains("chiffre publié")
    assert printed.any() and ind.loc[~printed, C.SOURCE].str.contains(
        "Illustratif|Rapport").all()


def test_programmation_totals_and_health(ds):
    prog = ds.programmation
    by_year = finances.totals(prog, C.ANNEE).set_index(C.ANNEE)["montant_accorde"]
    assert list(by_year.index) == list(range(2015, 2023))
    assert round(by_year[2016], -5) == 3_900_000
    assert round(by_year[2019], -3) == 4_586_000
    assert round(by_year[2022], -4) == 5_760_000
    assert round((by_year[2022] / by_year[2016] - 1) * 100) == 47
    health = finances.health_share(prog).set_index(C.ANNEE)
    assert (int(health.loc[2015, "n_actions_sante"]), health.loc[2015, "montant_sante"]) == \
        (3, 12337)
    assert (int(health.loc[2022, "n_actions_sante"]), health.loc[2022, "montant_sante"]) == \
        (22, 207654)
    assert set(prog[C.FINANCEUR]) == {"État", "Région", "Département", "Commune", "CALL",
                                      "CAF", "Autre"}
    assert prog[C.PILIER].nunique() == 4
    assert prog[C.NUMERO_DOSSIER].str.fullmatch(r"CV-\d{4}-\d{4}-\d{2}").any()
    assert not prog.duplicated([C.ANNEE, C.NUMERO_DOSSIER, C.FINANCEUR]).any()
    # several funders per file, and the declared totals are consistent
    assert prog.groupby([C.ANNEE, C.NUMERO_DOSSIER]).size().max() > 1
    declared = prog[prog[C.TOTAL_DECLARE].notna()]
    assert len(declared) > 0
    sums = prog.groupby([C.ANNEE, C.NUMERO_DOSSIER])[C.MONTANT_ACCORDE].sum()
    for (annee, numero), total in declared.groupby([C.ANNEE, C.NUMERO_DOSSIER])[
            C.TOTAL_DECLARE].first().items():
        assert sums[(annee, numero)] == total
    assert finances.consistency_checks(prog).empty


def test_health_actions_2021(ds):
    acts = ds.actions_sante
    assert len(acts) == 88 and (acts[C.ANNEE] == 2021).all()
    shares = acts[C.PUBLIC].value_counts() / len(acts) * 100
    assert (round(shares["adultes"]), round(shares["jeunes"]), round(shares["enfants"])) == \
        (26, 18, 14)
    assert acts[C.COMMUNE].nunique() == 16
    assert set(acts[C.DUREE]) == {"ponctuelle", "pérenne"}
    top = acts["thematique"].value_counts().index[:3].tolist()
    assert top == ["alimentation", "activité physique", "santé mentale"]


def test_interviews_and_perr(ds):
    ent = ds.entretiens
    assert ent[C.ID_ENTRETIEN].nunique() == 55
    assert (ent.groupby(C.ID_ENTRETIEN).size() > 1).all()
    assert set(ent[C.CATEGORIE]) <= {"frein", "levier", "proposition", "constat"}
    hidden = ent[~ent[C.ANONYMISE]]
    assert len(hidden) > 0 and hidden[C.VERBATIM].notna().all()
    perr = ds.perr
    assert list(perr[C.ID]) == list(range(1, 15))
    if REPORT.exists():
        text = re.sub(r"\s+", " ", REPORT.read_text(encoding="utf-8"))
        for title in perr[C.INTITULE]:
            assert title in text, title


def test_questionnaires_formats_and_bases(ds):
    communes = ds.questionnaires["communes"]
    assoc = ds.questionnaires["associations"]
    assert communes.n_respondents == 19 and communes.definition.sent == 19
    assert assoc.n_respondents == 21 and assoc.definition.sent == 70
    formats = {(q.type, q.format) for s in (communes, assoc) for q in s.definition.questions}
    assert ("multiple", "limesurvey") in formats and ("multiple", "forms") in formats
    assert len({q.axis for q in communes.definition.questions}) == 6
    # the bases the report's notes imply
    table = frequencies(communes, "copil")
    assert int(table["base"].iloc[0]) == 16
    assert int(frequencies(communes, "attentes")["base"].iloc[0]) == 18
    assert int(frequencies(assoc, "groupes_travail")["base"].iloc[0]) == 14
    assert set(communes.respondents["commune"]) == set(
        ds.communes.loc[ds.communes[C.SIGNATAIRE], C.CODE_INSEE])
    assert {"type", "taille", "commune"} <= set(assoc.respondents.columns)
    levels = [c.label for c in assoc.question("grille_cooperation").choices]
    assert levels == ["Relation", "Connexion", "Cohésion", "Connexion dynamique",
                      "Cohésion dynamique"]
    for name in ("communes", "associations", "conseils_citoyens", "partenaires_sante",
                 "sante_communes"):
        head = (DATA_DIR / "questionnaires" / f"{name}.yaml").read_text(encoding="utf-8")
        assert head.startswith("# Fichier RECONSTRUIT")


def test_ami_rules_reach_the_ceiling_with_all_criteria(ds):
    from cdv_lib.themes.ami import load_rules

    rules = load_rules(ds.ami_rules)
    assert rules.enveloppe_annuelle == 150000 and len(rules.criteres) == 4
    assert rules.taux_base + sum(c.bonus for c in rules.criteres) >= rules.plafond == 0.8
    assert "ILLUSTRATIFS" in (DATA_DIR / "ami_regles.yaml").read_text(encoding="utf-8")


def test_meetings_log():
    frame = pd.read_csv(DATA_DIR / "reunions.csv", sep=";", dtype=str)
    hearings = frame[frame["instance"] == "audition commune"]
    assert len(hearings) == 19
    assert hearings["elus"].astype(int).sum() == 12
    assert hearings["techniciens"].astype(int).sum() == 28
    assert hearings["duree_heures"].str.replace(",", ".").astype(float).sum() > 30
