"""AMI theme: rules validation, one application (cap, request limit), the envelope."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from cdv_lib.errors import DataError
from cdv_lib.themes import ami

README_RULES = {
    "enveloppe_annuelle": 150000, "taux_base": 0.50, "plafond": 0.80,
    "criteres": [
        {"id": "habitants", "libelle": "Portée par des habitants ou participation avérée",
         "bonus": 0.10},
        {"id": "innovant", "libelle": "Action innovante", "bonus": 0.10},
        {"id": "jeunes_femmes", "libelle": "Public jeunes ou femmes", "bonus": 0.05},
        {"id": "multi_operateurs", "libelle": "Portée par plusieurs opérateurs", "bonus": 0.05},
    ],
}


def rules_4x10(envelope=150000):
    return ami.load_rules({
        "enveloppe_annuelle": envelope, "taux_base": 0.5, "plafond": 0.8,
        "criteres": [{"id": k, "libelle": k.capitalize(), "bonus": 0.10}
                     for k in ("a", "b", "c", "d")]})


def test_load_rules_is_frozen():
    rules = ami.load_rules(README_RULES)
    assert rules.enveloppe_annuelle == 150000 and rules.plafond == 0.8
    assert [c.id for c in rules.criteres] == ["habitants", "innovant", "jeunes_femmes",
                                              "multi_operateurs"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.plafond = 1.0


def test_load_rules_rejects_bad_values():
    bad = {"enveloppe_annuelle": -1, "taux_base": 1.5, "plafond": 0.8, "typo": 1,
           "criteres": [{"id": "a", "libelle": "A", "bonus": "dix"},
                        {"id": "b", "libelle": "B", "bonus": 0.1},
                        {"id": "b", "libelle": "B bis", "bonus": 0.1}]}
    with pytest.raises(DataError) as err:
        ami.load_rules(bad)
    columns = [p.column for p in err.value.problems]
    assert columns == ["typo", "enveloppe_annuelle", "taux_base", "criteres[1].bonus",
                       "criteres[3].id"]
    with pytest.raises(DataError, match="plafond"):
        ami.load_rules({**README_RULES, "plafond": 0.4})


def test_cap_bites_above_80():
    res = ami.simulate_application(rules_4x10(), 10000, 10000, {"a", "b", "c", "d"})
    assert res["taux_calcule"] == pytest.approx(0.9)   # 50 % + 4 × 10 %
    assert res["taux"] == pytest.approx(0.8) and res["plafonne"]
    assert res["montant"] == 8000
    assert any("Plafond de 80" in r for r in res["raisons"])
    assert sum("Bonification" in r for r in res["raisons"]) == 4


def test_exactly_at_cap_is_not_capped():
    res = ami.simulate_application(rules_4x10(), 10000, 10000, {"a", "b", "c"})
    assert res["taux"] == pytest.approx(0.8) and not res["plafonne"]
    readme = ami.simulate_application(ami.load_rules(README_RULES), 1000, 5000,
                                      {"habitants": True, "innovant": True,
                                       "jeunes_femmes": True, "multi_operateurs": True})
    assert readme["taux"] == 0.8 and not readme["plafonne"] and readme["montant"] == 800


def test_amount_limited_by_request_and_rounding():
    res = ami.simulate_application(rules_4x10(), 10000, 3000, set())
    assert res["taux"] == 0.5 and res["montant"] == 3000 and res["limite_par_demande"]
    assert any("limité au montant demandé" in r for r in res["raisons"])
    half = ami.simulate_application(rules_4x10(), 1001, 5000, {"a": False})
    assert half["montant"] == 501   # 500,5 rounded half up
    assert not half["limite_par_demande"]


def test_reasons_use_the_french_formatting_of_the_workbench():
    nb = "\u00a0"
    capped = ami.simulate_application(rules_4x10(), 12500, 20000, {"a", "b", "c", "d"})
    assert capped["raisons"] == [
        f"Taux de base : 50,0{nb}%",
        f"Bonification « A » : +10,0{nb}%",
        f"Bonification « B » : +10,0{nb}%",
        f"Bonification « C » : +10,0{nb}%",
        f"Bonification « D » : +10,0{nb}%",
        f"Plafond de 80,0{nb}% appliqué (taux calculé 90,0{nb}%)",
        f"Subvention : 80,0{nb}% × 12{nb}500{nb}€ = 10{nb}000{nb}€",
    ]
    limited = ami.simulate_application(rules_4x10(), 10001, 3000, set())
    assert limited["raisons"][-1] == (
        f"Montant limité au montant demandé (3{nb}000{nb}€) ; "
        f"50,0{nb}% du coût donnerait 5{nb}001{nb}€")
    assert not any("\u202f" in r for res in (capped, limited) for r in res["raisons"])


def test_unknown_criterion_rejected():
    with pytest.raises(ValueError, match="inconnu"):
        ami.simulate_application(rules_4x10(), 1000, 1000, {"a", "zzz"})
    with pytest.raises(ValueError, match="Coût"):
        ami.simulate_application(rules_4x10(), -1, 1000, set())


def applications():
    return pd.DataFrame({
        "id": ["A", "B", "C", "D"],
        "cout": [10000, 8000, 4000, 6000],
        "montant_demande": [10000, 8000, 1000, 6000],
        "a": [False, True, True, False],
        "b": [False, True, False, True],
        "c": [False, False, False, False],
        "d": [False, False, False, False],
    })


def test_envelope_refusal_when_exhausted():
    out = ami.simulate_envelope(rules_4x10(10000), applications())
    # priority: B (2 criteria), then C and D (1, by arrival), then A (0)
    assert list(out["id"]) == ["B", "C", "D", "A"]
    assert list(out["montant_calcule"]) == [5600, 1000, 3600, 5000]
    assert list(out["montant_attribue"]) == [5600, 1000, 0, 0]
    assert list(out["enveloppe_restante"]) == [4400, 3400, 3400, 3400]
    assert out["statut"].iloc[2].startswith("refusée")


def test_envelope_proportional_never_exceeds():
    out = ami.simulate_envelope(rules_4x10(10000), applications(), mode="proportionnel")
    # 10000 / 15200 of each amount, rounded down: 3684, 657, 2368, 3289
    assert list(out["montant_attribue"]) == [3684, 657, 2368, 3289]
    assert out["enveloppe_restante"].iloc[-1] == 2
    assert set(out["statut"]) == {"réduite"}


def test_envelope_everything_fits_and_missing_column():
    out = ami.simulate_envelope(rules_4x10(), applications())
    assert (out["montant_attribue"] == out["montant_calcule"]).all()
    assert out["enveloppe_restante"].iloc[-1] == 150000 - 15200
    with pytest.raises(ValueError, match="« d »"):
        ami.simulate_envelope(rules_4x10(), applications().drop(columns="d"))
