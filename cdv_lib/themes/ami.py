"""AMI cohésion sociale: bonus rules (data, not code), one application, the yearly envelope.

The subsidy rate of an action is the base rate plus the bonus of every criterion it meets,
capped at the ceiling; the subsidy is that rate times the eligible cost, never more than
what was requested, rounded to the euro (half up).

Envelope allocation (:func:`simulate_envelope`)
-----------------------------------------------
Applications are examined in a fixed, documented priority order: **most criteria met
first, then order of arrival** (row order of the table). Two rules are offered when the
requested subsidies exceed the envelope:

* ``mode="refus"`` (default): each application, in priority order, receives its full
  subsidy if it fits in what is left of the envelope; otherwise it is refused
  (``refusée : enveloppe insuffisante``) and examination goes on, so a smaller application
  further down may still fit. No subsidy is ever cut.
* ``mode="proportionnel"``: when the total exceeds the envelope, every subsidy is
  multiplied by ``envelope / total`` and rounded *down* to the euro, so the sum never
  exceeds the envelope.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from numbers import Real

import pandas as pd

from cdv_lib.errors import DataError, Problem
from cdv_lib.formatting import fmt_euro, fmt_percent

__all__ = ["AmiRules", "Criterion", "load_rules", "simulate_application", "simulate_envelope"]

RULES_FILE = "ami_regles.yaml"
MODES = ("refus", "proportionnel")


@dataclass(frozen=True)
class Criterion:
    """One bonus criterion: ``id`` (used in application tables), French ``libelle``,
    ``bonus`` (added rate, e.g. 0.10)."""

    id: str
    libelle: str
    bonus: float


@dataclass(frozen=True)
class AmiRules:
    """Validated AMI rules (see :func:`load_rules`)."""

    enveloppe_annuelle: float
    taux_base: float
    plafond: float
    criteres: tuple[Criterion, ...]

    def criterion(self, criterion_id: str) -> Criterion:
        for c in self.criteres:
            if c.id == criterion_id:
                return c
        raise ValueError(f"Critère inconnu : « {criterion_id} » (critères des règles : "
                         f"{', '.join(c.id for c in self.criteres)}).")

    @property
    def criterion_ids(self) -> list[str]:
        return [c.id for c in self.criteres]


def _number(raw: dict, key: str, problems: list[Problem], *, low: float, high: float | None,
            expected: str, label: str) -> float | None:
    if key not in raw:
        problems.append(Problem(label, None, key, None, f"clé « {key} » obligatoire"))
        return None
    value = raw[key]
    ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = value >= low and (high is None or value <= high)
    if not ok:
        problems.append(Problem(label, None, key, value, expected))
        return None
    return float(value)


def load_rules(raw: dict) -> AmiRules:
    """The AMI rules read from ``ami_regles.yaml``, validated by :func:`parse_rules`.

    Parameters
    ----------
    raw : dict
        ``enveloppe_annuelle`` (> 0, euros), ``taux_base`` (0..1), ``plafond``
        (``taux_base``..1), ``criteres``: list of ``{id, libelle, bonus}`` with unique
        non-empty ``id``, non-empty ``libelle`` and ``bonus`` in 0..1.

    Returns
    -------
    AmiRules
        Frozen; ``criteres`` is a tuple of :class:`Criterion`.

    Raises
    ------
    DataError
        Listing every problem (unknown key, missing key, value out of range...).
    """
    rules, problems = parse_rules(raw)
    if problems:
        raise DataError(problems)
    return rules


def parse_rules(raw: object, label: str = RULES_FILE) -> tuple[AmiRules | None, list[Problem]]:
    """The one validation of the AMI rules (:func:`load_rules`, ``cdv validate``): the
    rules and every problem found, the rules being ``None`` when there is any problem.
    *label* names the file in the problems."""
    problems: list[Problem] = []
    if not isinstance(raw, dict):
        return None, [Problem(label, None, None, type(raw).__name__,
                              "un dictionnaire de règles (enveloppe_annuelle, taux_base, "
                              "plafond, criteres)")]
    known = {"enveloppe_annuelle", "taux_base", "plafond", "criteres"}
    for key in raw:
        if key not in known:
            problems.append(Problem(label, None, str(key), None,
                                    "une des clés " + ", ".join(sorted(known))))
    envelope = _number(raw, "enveloppe_annuelle", problems, low=0, high=None,
                       expected="un montant positif en euros", label=label)
    if envelope == 0:
        problems.append(Problem(label, None, "enveloppe_annuelle", 0,
                                "un montant strictement positif"))
    base = _number(raw, "taux_base", problems, low=0, high=1,
                   expected="un taux entre 0 et 1 (0.50 pour 50 %)", label=label)
    cap = _number(raw, "plafond", problems, low=0, high=1,
                  expected="un taux entre 0 et 1 (0.80 pour 80 %)", label=label)
    if base is not None and cap is not None and cap < base:
        problems.append(Problem(label, None, "plafond", cap,
                                f"un plafond au moins égal au taux de base ({base})"))
    criteria: list[Criterion] = []
    raw_criteria = raw.get("criteres", [])
    if not isinstance(raw_criteria, list):
        problems.append(Problem(label, None, "criteres", raw_criteria,
                                "une liste de critères {id, libelle, bonus}"))
        raw_criteria = []
    seen: set[str] = set()
    for i, item in enumerate(raw_criteria, start=1):
        where = f"criteres[{i}]"
        if not isinstance(item, dict):
            problems.append(Problem(label, None, where, item,
                                    "un critère {id, libelle, bonus}"))
            continue
        cid = item.get("id")
        label = item.get("libelle")
        if not isinstance(cid, str) or not cid.strip():
            problems.append(Problem(label, None, f"{where}.id", cid,
                                    "un identifiant non vide"))
            cid = None
        elif cid.strip() in seen:
            problems.append(Problem(label, None, f"{where}.id", cid,
                                    "un identifiant unique"))
        if not isinstance(label, str) or not label.strip():
            problems.append(Problem(label, None, f"{where}.libelle", label,
                                    "un libellé non vide"))
        bonus = item.get("bonus")
        if (not isinstance(bonus, Real) or isinstance(bonus, bool)
                or not math.isfinite(bonus) or not 0 <= bonus <= 1):
            problems.append(Problem(label, None, f"{where}.bonus", bonus,
                                    "un bonus entre 0 et 1 (0.10 pour 10 points)"))
            bonus = None
        if cid is not None and isinstance(label, str) and label.strip() and bonus is not None:
            seen.add(cid.strip())
            criteria.append(Criterion(cid.strip(), label.strip(), float(bonus)))
    if problems:
        return None, problems
    return AmiRules(envelope, base, cap, tuple(criteria)), []


def _pct(rate: Decimal | float) -> str:
    return fmt_percent(float(rate))


def _eur(amount: float | int | Decimal) -> str:
    return fmt_euro(float(amount))


def _met(rules: AmiRules, criteres) -> list[str]:
    if isinstance(criteres, dict):
        names = list(criteres)
        chosen = [k for k, v in criteres.items() if bool(v) and not pd.isna(v)]
    else:
        names = list(criteres or [])
        chosen = names
    for name in names:
        rules.criterion(name)  # raises on an unknown id
    return [c.id for c in rules.criteres if c.id in set(chosen)]


def _amount_check(value, name: str) -> Decimal:
    if (not isinstance(value, Real) or isinstance(value, bool) or not math.isfinite(value)
            or value < 0):
        raise ValueError(f"{name} : montant positif ou nul attendu, reçu « {value} ».")
    return Decimal(str(value))


def simulate_application(rules: AmiRules, cout: float, montant_demande: float,
                         criteres: set[str] | dict[str, bool]) -> dict:
    """Subsidy of one application.

    Parameters
    ----------
    rules : AmiRules
    cout : float
        Eligible cost of the action (euros, ≥ 0).
    montant_demande : float
        Subsidy requested (euros, ≥ 0).
    criteres : set of str or dict
        Criteria met, as ids or as ``{id: bool}``. An id unknown to the rules raises
        ``ValueError``.

    Returns
    -------
    dict
        ``taux`` (float, base + bonuses capped at the ceiling), ``taux_calcule`` (before
        the cap), ``criteres`` (ids met, in the rules' order), ``plafonne`` (bool, the cap
        bit), ``montant_calcule`` (taux × cout), ``limite_par_demande`` (bool),
        ``montant`` (int euros: min(taux × cout, requested), rounded half up) and
        ``raisons`` (list of French sentences explaining each step).
    """
    cost = _amount_check(cout, "Coût de l'action")
    requested = _amount_check(montant_demande, "Montant demandé")
    met = _met(rules, criteres)
    base = Decimal(str(rules.taux_base))
    cap = Decimal(str(rules.plafond))
    raisons = [f"Taux de base : {_pct(base)}"]
    rate = base
    for cid in met:
        c = rules.criterion(cid)
        bonus = Decimal(str(c.bonus))
        rate += bonus
        raisons.append(f"Bonification « {c.libelle} » : +{_pct(bonus)}")
    capped = rate > cap
    if capped:
        raisons.append(f"Plafond de {_pct(cap)} appliqué (taux calculé {_pct(rate)})")
    final_rate = min(rate, cap)
    computed = final_rate * cost
    limited = requested < computed
    amount = min(computed, requested)
    if limited:
        raisons.append(f"Montant limité au montant demandé ({_eur(requested)}) ; "
                       f"{_pct(final_rate)} du coût donnerait {_eur(computed)}")
    else:
        raisons.append(f"Subvention : {_pct(final_rate)} × {_eur(cost)} = {_eur(computed)}")
    return {
        "taux": float(final_rate),
        "taux_calcule": float(rate),
        "criteres": met,
        "plafonne": capped,
        "montant_calcule": float(computed),
        "limite_par_demande": limited,
        "montant": int(amount.quantize(Decimal("1"), ROUND_HALF_UP)),
        "raisons": raisons,
    }


def simulate_envelope(rules: AmiRules, applications: pd.DataFrame, *,
                      mode: str = "refus", enveloppe: float | None = None) -> pd.DataFrame:
    """Share the yearly envelope among applications (rule: see the module docstring).

    Parameters
    ----------
    rules : AmiRules
    applications : DataFrame
        Columns ``id``, ``cout``, ``montant_demande`` and one boolean column per criterion
        id of the rules (a missing criterion column raises ``ValueError``; other columns
        are ignored). Row order is the order of arrival.
    mode : {"refus", "proportionnel"}
    enveloppe : float, optional
        Overrides ``rules.enveloppe_annuelle`` (e.g. what is left mid-year).

    Returns
    -------
    DataFrame
        In priority order: ``rang`` (1..n), ``id``, ``n_criteres``, ``cout``,
        ``montant_demande``, ``taux``, ``montant_calcule`` (int, the subsidy before the
        envelope), ``montant_attribue`` (int), ``statut`` (``retenue``, ``réduite``,
        ``refusée : enveloppe insuffisante``), ``enveloppe_restante`` (int, after this
        application), ``raisons`` (French sentences joined by `` ; ``).
    """
    if mode not in MODES:
        raise ValueError(f"Mode d'attribution inconnu : « {mode} » (attendu : "
                         f"{', '.join(MODES)}).")
    missing = [c for c in ["id", "cout", "montant_demande", *rules.criterion_ids]
               if c not in applications.columns]
    if missing:
        raise ValueError("Candidatures : colonne(s) manquante(s) "
                         + ", ".join(f"« {c} »" for c in missing) + ".")
    total_envelope = int(Decimal(str(rules.enveloppe_annuelle if enveloppe is None
                                      else enveloppe)).quantize(Decimal("1"), ROUND_HALF_UP))
    rows = []
    for arrival, rec in enumerate(applications.to_dict("records")):
        met = {cid: bool(rec[cid]) if not pd.isna(rec[cid]) else False
               for cid in rules.criterion_ids}
        result = simulate_application(rules, float(rec["cout"]), float(rec["montant_demande"]),
                                      met)
        rows.append({"_arrival": arrival, "id": rec["id"], "n_criteres": len(result["criteres"]),
                     "cout": float(rec["cout"]), "montant_demande": float(rec["montant_demande"]),
                     "taux": result["taux"], "montant_calcule": result["montant"],
                     "raisons": list(result["raisons"])})
    rows.sort(key=lambda r: (-r["n_criteres"], r["_arrival"]))

    remaining = total_envelope
    wanted = sum(r["montant_calcule"] for r in rows)
    factor = Decimal(total_envelope) / Decimal(wanted) if wanted > total_envelope else None
    for r in rows:
        asked = r["montant_calcule"]
        if mode == "proportionnel" and factor is not None:
            granted = int((Decimal(asked) * factor).to_integral_value(rounding="ROUND_FLOOR"))
            statut = "réduite" if granted < asked else "retenue"
            if granted < asked:
                r["raisons"].append(f"Réduction proportionnelle : enveloppe de "
                                    f"{_eur(total_envelope)} pour {_eur(wanted)} demandés")
        elif asked <= remaining:
            granted, statut = asked, "retenue"
        else:
            granted, statut = 0, "refusée : enveloppe insuffisante"
            r["raisons"].append(f"Refusée : il reste {_eur(remaining)} sur l'enveloppe")
        remaining -= granted
        r.update(montant_attribue=granted, statut=statut, enveloppe_restante=remaining)

    out = pd.DataFrame(rows, columns=["_arrival", "id", "n_criteres", "cout", "montant_demande",
                                      "taux", "montant_calcule", "raisons", "montant_attribue",
                                      "statut", "enveloppe_restante"])
    out["raisons"] = out["raisons"].map(" ; ".join)
    out.insert(0, "rang", range(1, len(out) + 1))
    out = out.drop(columns="_arrival")
    for col in ["rang", "n_criteres", "montant_calcule", "montant_attribue",
                "enveloppe_restante"]:
        out[col] = out[col].astype("int64")
    return out[["rang", "id", "n_criteres", "cout", "montant_demande", "taux",
                "montant_calcule", "montant_attribue", "statut", "enveloppe_restante",
                "raisons"]].reset_index(drop=True)
