"""The national synthetic generator: deterministic, at the announced sizes, in contract form."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdv_lib import columns as C
from cdv_lib.bench import synthetic

CALL = "246200364"


@pytest.fixture(scope="module")
def national():
    return synthetic.generate(seed=7)


def test_same_seed_gives_identical_frames(national):
    again = synthetic.generate(seed=7)
    assert again.fingerprint() == national.fingerprint()
    pd.testing.assert_frame_equal(again.programmation, national.programmation)


def test_other_seed_gives_other_frames(national):
    other = synthetic.generate(seed=8, n_programmation=2_000, n_respondents=500)
    small_same_seed = synthetic.generate(seed=7, n_programmation=2_000, n_respondents=500)
    assert other.fingerprint()["programmation"] != small_same_seed.fingerprint()["programmation"]


def test_sizes(national):
    sizes = national.sizes()
    assert sizes["epci"] == synthetic.N_EPCI
    assert sizes["qpv"] == synthetic.N_QPV
    assert sizes["programmation"] >= 250_000
    assert sizes["repondants"] >= 50_000
    assert set(national.epci["code_epci"]) == set(national.communes[C.CODE_EPCI])
    assert (national.epci["n_qpv"] >= 1).all()
    assert national.epci["n_lignes_programmation"].sum() == sizes["programmation"]


def test_epci_rule_is_largest_population(national):
    ref = synthetic.read_reference()
    per = ref.dropna(subset=["code_epci"]).groupby("code_epci")["population"].sum()
    threshold = int(national.epci["population"].min())
    assert (per > threshold).sum() <= synthetic.N_EPCI - 1
    assert CALL in set(national.epci["code_epci"])


def test_contract_invariants(national):
    communes, qpv, prog = national.communes, national.qpv, national.programmation
    assert communes[C.CODE_INSEE].str.fullmatch(r"\d{5}|2[AB]\d{3}").all()
    assert communes[C.CODE_INSEE].is_unique
    assert qpv[C.CODE_QPV].str.fullmatch(r"QN[0-9A-Z]{6}").all()
    assert qpv[C.CODE_QPV].is_unique
    known = set(communes[C.CODE_INSEE])
    linked = {c for cell in qpv[C.COMMUNES] for c in cell.split(C.MULTI_SEPARATOR)}
    assert linked <= known
    assert not prog.duplicated([C.ANNEE, C.NUMERO_DOSSIER, C.FINANCEUR]).any()
    assert set(prog[C.COMMUNE]) <= known | {C.INTERCO}
    assert set(prog[C.CODE_QPV].dropna()) <= set(qpv[C.CODE_QPV])
    assert (prog[C.MONTANT_DEMANDE] >= 0).all()
    # the declared total of a file is the sum of its funders' granted amounts
    granted = prog.groupby([C.ANNEE, C.NUMERO_DOSSIER])[C.MONTANT_ACCORDE].sum()
    declared = prog.groupby([C.ANNEE, C.NUMERO_DOSSIER])[C.TOTAL_DECLARE].first()
    np.testing.assert_allclose(granted.to_numpy(), declared.to_numpy())
    ind = national.indicateurs
    assert set(ind[C.NIVEAU]) == {"qpv", "commune", "epci", "departement", "region", "france"}
    # a marker always comes with a missing value, never with a number
    assert ind.loc[ind["marqueur"].notna(), C.VALEUR].isna().all()
    assert set(ind["marqueur"].dropna()) == {"s", "nd"}
    survey = national.survey
    assert survey.respondents[C.RESPONDENT_ID].is_unique
    assert set(survey.answers[C.RESPONDENT_ID]) <= set(survey.respondents[C.RESPONDENT_ID])
    assert list(survey.answers.columns) == [C.RESPONDENT_ID, C.QUESTION_ID, C.ROW, C.VALUE]
    questions = {q.id: q for q in survey.definition.questions}
    for qid, grp in survey.answers.groupby(C.QUESTION_ID):
        q = questions[qid]
        if q.choices:
            assert set(grp[C.VALUE]) <= set(q.choice_codes)


def test_for_epci_gives_one_contract(national):
    call = national.for_epci(CALL)
    assert len(call["communes"]) == 36
    assert (call["communes"][C.CODE_EPCI] == CALL).all()
    assert set(call["programmation"][C.COMMUNE]) <= set(call["communes"][C.CODE_INSEE]) | {
        C.INTERCO}
    assert call["perr"][C.ID].tolist() == list(range(1, 15))
    levels = set(call["indicateurs"][C.NIVEAU])
    assert levels == {"qpv", "commune", "epci", "departement", "region", "france"}
    assert set(call["indicateurs"].loc[call["indicateurs"][C.NIVEAU] == "departement",
                                       C.CODE]) == {"62"}
    survey = call["survey"]
    assert set(survey.answers[C.RESPONDENT_ID]) <= set(survey.respondents[C.RESPONDENT_ID])
    assert len(survey.respondents) > 0
    with pytest.raises(KeyError):
        national.for_epci("200000000")


@pytest.mark.parametrize("code_epci", [CALL, "200054781"])
def test_pandera_schemas_accept_a_contract(national, code_epci):
    from cdv_lib.schemas import References, build_schema, typed_columns

    contract = national.for_epci(code_epci)
    refs = References.from_frames(contract["communes"], contract["qpv"])
    for name in national.TABLES:
        frame = contract[name]
        assert list(frame.columns) == typed_columns(name)
        assert frame.index.name == "ligne" and frame.index[0] == 2
        build_schema(name, refs).schema.validate(frame, lazy=True)


def test_typed_form_matches_the_reader(national, tmp_path):
    """The generator's frames have the dtypes load_dataset gives for the same files."""
    from cdv_lib.dataset import load_dataset

    small = synthetic.generate(seed=3, n_programmation=3_000, n_respondents=300)
    folder = tmp_path / "call"
    call = small.for_epci(CALL)
    folder.mkdir()
    for name in ["communes", "qpv", "programmation"]:
        out = call[name].copy()
        for col in out.columns:
            if out[col].dtype == bool:
                out[col] = out[col].map({True: "oui", False: "non"})
        out.to_csv(folder / f"{name}.csv", sep=";", index=False)
    loaded = load_dataset(folder)
    for name in ["communes", "qpv", "programmation"]:
        pd.testing.assert_frame_equal(getattr(loaded, name), call[name], check_exact=False)


def test_write_csv_then_read_back(tmp_path):
    small = synthetic.generate(seed=3, n_programmation=3_000, n_respondents=300)
    folder = small.write_csv(tmp_path / "national")
    prog = pd.read_csv(folder / "programmation.csv", sep=";", dtype=str)
    assert len(prog) == len(small.programmation)
    wide = pd.read_csv(folder / "questionnaires" / "habitants_reponses.csv", sep=";",
                       dtype=str, keep_default_na=False)
    assert len(wide) == 300
    from cdv_lib.survey import load_survey

    back = load_survey(folder / "questionnaires" / "habitants.yaml")
    assert len(back.answers) == len(small.survey.answers)
    assert back.respondents[C.RESPONDENT_ID].tolist() == \
        small.survey.respondents[C.RESPONDENT_ID].tolist()
