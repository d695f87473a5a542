"""A commune beside the agglomeration: its QPV population share, the subsidies of its lines
per inhabitant and per QPV inhabitant, its health actions, and its rank among the
signatory communes. Every figure here is public (populations, amounts, actions)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdv_lib import columns as C

INDICATORS = (
    ("population", "Population", "habitants"),
    ("part_pop_qpv", "Part de la population en QPV", "ratio"),
    ("montant_accorde", "Financements accordés", "euros"),
    ("montant_par_habitant", "Financements par habitant", "euros"),
    ("montant_par_habitant_qpv", "Financements par habitant des QPV", "euros"),
    ("n_actions_sante", "Actions de santé", "actions"),
)


def signatory_indicators(communes: pd.DataFrame, qpv: pd.DataFrame,
                         programmation: pd.DataFrame, actions_sante: pd.DataFrame, *,
                         annee: int | None) -> pd.DataFrame:
    """The indicators of :data:`INDICATORS` for each signatory commune.

    Returns
    -------
    DataFrame
        ``code_insee``, ``nom``, ``population``, ``population_qpv`` (inhabitants of the
        QPV wholly in the commune, plus those of its shared QPV counted whole),
        ``part_pop_qpv`` (inhabitants of the QPV wholly in the commune / population),
        ``montant_accorde`` (the commune's own lines of year *annee*, every year when
        None), ``montant_par_habitant``, ``montant_par_habitant_qpv`` (NaN without QPV
        inhabitants), ``n_actions_sante`` (every health action of the commune).
    """
    from cdv_lib.themes.territoire import qpv_per_commune

    per = qpv_per_commune(communes, qpv)
    per = per[per[C.SIGNATAIRE].astype(bool)].copy()
    population = per[C.POPULATION].astype("float64")
    own_qpv = (per["population_qpv"] - per["population_qpv_partages"]).astype("float64")
    per["part_pop_qpv"] = np.where(population > 0, own_qpv / population.where(population > 0),
                                   np.nan)
    prog = programmation
    if annee is not None and len(prog):
        prog = prog[prog[C.ANNEE] == int(annee)]
    amounts = prog.groupby(prog[C.COMMUNE].astype(str))["montant_accorde"].sum() \
        if len(prog) else pd.Series(dtype="float64")
    codes = per[C.CODE_INSEE].astype(str)
    per["montant_accorde"] = codes.map(amounts).fillna(0.0).astype("float64").to_numpy()
    per["montant_par_habitant"] = per["montant_accorde"] / population.where(population > 0)
    qpv_pop = per["population_qpv"].astype("float64")
    per["montant_par_habitant_qpv"] = per["montant_accorde"] / qpv_pop.where(qpv_pop > 0)
    if len(actions_sante):
        counts = actions_sante.groupby(actions_sante[C.COMMUNE].astype(str)).size()
    else:
        counts = pd.Series(dtype="int64")
    per["n_actions_sante"] = codes.map(counts).fillna(0).astype("int64").to_numpy()
    keep = [C.CODE_INSEE, C.NOM, C.POPULATION, "population_qpv", "part_pop_qpv",
            "montant_accorde", "montant_par_habitant", "montant_par_habitant_qpv",
            "n_actions_sante"]
    return per[keep].reset_index(drop=True)


def agglomeration_indicators(communes: pd.DataFrame, qpv: pd.DataFrame,
                             programmation: pd.DataFrame, actions_sante: pd.DataFrame, *,
                             annee: int | None) -> dict[str, float]:
    """The same indicators for the whole agglomeration (every commune, intercommunal
    lines included, each QPV counted once)."""
    population = float(pd.to_numeric(communes[C.POPULATION], errors="coerce").sum())
    qpv_pop = float(pd.to_numeric(qpv[C.POPULATION], errors="coerce").sum()) if len(qpv) else 0.0
    prog = programmation
    if annee is not None and len(prog):
        prog = prog[prog[C.ANNEE] == int(annee)]
    amount = float(prog["montant_accorde"].sum()) if len(prog) else 0.0
    return {
        "population": population,
        "part_pop_qpv": qpv_pop / population if population else np.nan,
        "montant_accorde": amount,
        "montant_par_habitant": amount / population if population else np.nan,
        "montant_par_habitant_qpv": amount / qpv_pop if qpv_pop else np.nan,
        "n_actions_sante": float(len(actions_sante)),
    }


def compare_commune(indicators: pd.DataFrame, agglomeration: dict[str, float],
                    commune: str) -> pd.DataFrame:
    """One row per indicator: the commune's value, the agglomeration's, and the commune's
    rank among the signatories (1 = highest value; ties share the best rank).

    Returns
    -------
    DataFrame
        ``cle``, ``libelle``, ``unite``, ``commune`` (value), ``agglomeration`` (value),
        ``rang`` (Int64, NA when the commune's value is missing), ``n_signataires``.
    """
    mine = indicators[indicators[C.CODE_INSEE].astype(str) == str(commune)]
    if mine.empty:
        raise ValueError(f"Commune « {commune} » : pas une commune signataire.")
    rows = []
    for key, label, unit in INDICATORS:
        values = pd.to_numeric(indicators[key], errors="coerce")
        value = values[mine.index[0]]
        rank = pd.NA if pd.isna(value) else int((values > value).sum() + 1)
        rows.append({"cle": key, "libelle": label, "unite": unit, "commune": value,
                     "agglomeration": agglomeration.get(key, np.nan), "rang": rank,
                     "n_signataires": int(values.notna().sum())})
    out = pd.DataFrame(rows)
    out["rang"] = out["rang"].astype("Int64")
    return out
