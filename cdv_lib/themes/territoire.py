"""Territoire: key figures, QPV per commune, context indicators compared across levels.

A QPV may cover several communes (``qpv.communes = "01053|01283"``) and the contract gives
only its total population. The population living in each commune of such a QPV is not
known, so it is never split (no pro-rata, no guess):

* at agglomeration level the QPV counts once and its whole population counts once; a QPV
  that also covers communes of another EPCI (``qpv.autres_communes``) is kept, marked
  « partagé avec la CA de … » (``qpv.partage_avec``) and its population bounds the share of
  the population in QPV (lower bound without it, upper bound with it);
* for one commune, a QPV that spans several communes is listed with ``multi_communes =
  True``; its population is kept apart (``terr.pop_qpv_partages``) and the share of the
  commune's population living in a QPV is given as a bracket: ``terr.part_pop_qpv`` counts
  only the QPV lying wholly in the commune (a lower bound when shared QPV exist) and
  ``terr.part_pop_qpv_max`` adds the whole population of the shared QPV, capped at the
  commune's population (an upper bound). Both are equal when no QPV is shared.

A QPV population may be « nd » (not supplied yet, typed NA): any sum or share it enters is
NaN, with a note naming the QPV, never a silent partial total.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdv_lib import columns as C
from cdv_lib.themes import NonSummableError

__all__ = [
    "LEVELS",
    "aggregate_indicator",
    "communes_of_epci",
    "compare_indicators",
    "departement_of",
    "explode_qpv_communes",
    "key_figures",
    "qpv_communes_table",
    "qpv_per_commune",
    "qpv_sharing",
    "sharing_label",
    "with_article",
]

#: Territorial levels of the ``indicateurs`` table, from the finest to the widest.
LEVELS = ["qpv", "commune", "epci", "departement", "region", "france"]
LEVEL_DTYPE = pd.CategoricalDtype(LEVELS, ordered=True)

REFERENCE_COLUMNS = ["code_insee", "nom", "code_departement", "departement", "code_region",
                     "code_epci", "epci", "population"]
_CODE_WIDTHS = {"code_insee": 5, "code_departement": 2, "code_region": 2, "code_epci": 9}


def explode_qpv_communes(qpv: pd.DataFrame) -> pd.DataFrame:
    """One row per (QPV, commune it covers).

    Parameters
    ----------
    qpv : DataFrame
        Typed ``qpv`` table: ``code_qpv``, ``communes`` (codes separated by ``|``).

    Returns
    -------
    DataFrame
        Columns ``code_qpv``, ``code_insee`` (str), in input order, without duplicates
        or empty codes.
    """
    rows = []
    for code_qpv, communes in zip(qpv[C.CODE_QPV], qpv[C.COMMUNES]):
        if communes is None or (not isinstance(communes, str) and pd.isna(communes)):
            continue
        for code in str(communes).split(C.MULTI_SEPARATOR):
            code = code.strip()
            if code:
                rows.append((str(code_qpv), code))
    out = pd.DataFrame(rows, columns=[C.CODE_QPV, C.CODE_INSEE], dtype="object")
    out = out.drop_duplicates().reset_index(drop=True)
    return out.astype({C.CODE_QPV: "string", C.CODE_INSEE: "string"})


def _optional(qpv: pd.DataFrame, column: str) -> pd.Series:
    if column in qpv.columns:
        return qpv[column]
    return pd.Series([np.nan] * len(qpv), index=qpv.index, dtype=object)


def _split(cell: object) -> list[str]:
    if not isinstance(cell, str):
        return []
    return [c.strip() for c in cell.split(C.MULTI_SEPARATOR) if c.strip()]


def with_article(epci: str) -> str:
    """``CA du Bassin de Bourg-en-Bresse`` → ``la CA du Bassin de Bourg-en-Bresse`` (article of
    an EPCI name)."""
    name = str(epci).strip()
    first = name.split(" ")[0].split("-")[0]
    if first in {"CA", "CC", "CU", "Communauté", "Métropole", "Agglomération"}:
        return "la " + name
    if first in {"Eurométropole"}:
        return "l'" + name
    return name


def sharing_label(partage_avec: object, autres_communes: object) -> str:
    """French mention of a QPV shared with another EPCI, ``""`` when it is not.

    ``partage_avec`` holds the other EPCI's names (``|``-separated); without them the codes of
    the other communes are named.
    """
    names = _split(partage_avec)
    if names:
        named = [with_article(n) for n in names]
        return "partagé avec " + (", ".join(named[:-1]) + " et " + named[-1]
                                  if len(named) > 1 else named[0])
    others = _split(autres_communes)
    if others:
        return ("partagé avec " + ("des communes" if len(others) > 1 else "une commune")
                + " d'un autre EPCI (" + ", ".join(others) + ")")
    return ""


def qpv_sharing(qpv: pd.DataFrame) -> pd.DataFrame:
    """Which QPV cover communes outside the territory (another EPCI).

    Parameters
    ----------
    qpv : DataFrame
        Typed ``qpv`` table; ``autres_communes`` and ``partage_avec`` are optional.

    Returns
    -------
    DataFrame
        One row per QPV in input order: ``code_qpv``, ``nom``, ``n_communes`` (Int64, all the
        communes it covers, in the territory or not), ``n_autres_communes`` (Int64, outside),
        ``partage_epci`` (bool), ``partage`` (French mention, ``partagé avec la CA de …``, or
        ``""``).
    """
    inside = qpv[C.COMMUNES].map(lambda cell: len(_split(cell)))
    others = _optional(qpv, C.AUTRES_COMMUNES)
    outside = others.map(lambda cell: len(_split(cell)))
    out = pd.DataFrame({
        C.CODE_QPV: qpv[C.CODE_QPV].astype(object).to_numpy(),
        C.NOM: qpv[C.NOM].astype(object).to_numpy(),
        "n_communes": (inside + outside).astype("Int64").to_numpy(),
        "n_autres_communes": outside.astype("Int64").to_numpy(),
        "partage_epci": (outside > 0).to_numpy(dtype=bool),
        "partage": [sharing_label(p, a) for p, a in
                    zip(_optional(qpv, C.PARTAGE_AVEC), others)],
    })
    return out


def _qpv_with_span(qpv: pd.DataFrame) -> pd.DataFrame:
    """Links QPV → commune with the QPV's name, population, communes and sharing."""
    links = explode_qpv_communes(qpv)
    info = qpv[[C.CODE_QPV, C.NOM, C.POPULATION, C.COMMUNES]].copy()
    info[C.CODE_QPV] = info[C.CODE_QPV].astype("string")
    info = info.rename(columns={C.NOM: "nom_qpv", C.POPULATION: "population_qpv",
                                C.COMMUNES: "communes_qpv"})
    sharing = qpv_sharing(qpv).drop(columns=[C.NOM]).rename(
        columns={"n_communes": "n_communes_qpv"})
    sharing[C.CODE_QPV] = sharing[C.CODE_QPV].astype("string")
    out = links.merge(info, on=C.CODE_QPV, how="left").merge(sharing, on=C.CODE_QPV,
                                                             how="left")
    out["multi_communes"] = (out["n_communes_qpv"] > 1).fillna(False).astype(bool)
    out["population_qpv"] = out["population_qpv"].astype("Int64")
    out["n_communes_qpv"] = out["n_communes_qpv"].astype("Int64")
    out["partage_epci"] = out["partage_epci"].fillna(False).astype(bool)
    return out


def _check_commune(communes: pd.DataFrame, commune: str) -> pd.Series:
    match = communes[communes[C.CODE_INSEE].astype("string") == str(commune)]
    if match.empty:
        raise ValueError(f"Commune « {commune} » absente de la table des communes.")
    return match.iloc[0]


def qpv_communes_table(communes: pd.DataFrame, qpv: pd.DataFrame,
                       commune: str | None = None) -> pd.DataFrame:
    """QPV listed under each commune they cover (a shared QPV appears under each).

    Parameters
    ----------
    communes : DataFrame
        Typed ``communes`` table (``code_insee``, ``nom``).
    qpv : DataFrame
        Typed ``qpv`` table (``code_qpv``, ``nom``, ``communes``, ``population``, optional
        ``autres_communes`` and ``partage_avec``).
    commune : str, optional
        A ``code_insee``: keep only that commune's QPV.

    Returns
    -------
    DataFrame
        Columns ``code_insee``, ``nom_commune``, ``code_qpv``, ``nom_qpv``,
        ``population_qpv`` (Int64, the whole QPV's population, never split; NA when not
        supplied, « nd »), ``n_communes_qpv`` (Int64, every commune it covers, other EPCI
        included), ``multi_communes`` (bool), ``communes_qpv`` (the QPV's ``|``-separated
        communes of the territory), ``partage_epci`` (bool: also covers communes of another
        EPCI), ``partage`` (French mention ``partagé avec la CA de …`` or ``""``). Sorted by
        commune then QPV code.
    """
    links = _qpv_with_span(qpv)
    names = communes[[C.CODE_INSEE, C.NOM]].astype({C.CODE_INSEE: "string"}).rename(
        columns={C.NOM: "nom_commune"})
    out = links.merge(names, on=C.CODE_INSEE, how="left")
    if commune is not None:
        _check_commune(communes, commune)
        out = out[out[C.CODE_INSEE] == str(commune)]
    cols = [C.CODE_INSEE, "nom_commune", C.CODE_QPV, "nom_qpv", "population_qpv",
            "n_communes_qpv", "multi_communes", "communes_qpv", "partage_epci", "partage"]
    return out[cols].sort_values([C.CODE_INSEE, C.CODE_QPV]).reset_index(drop=True)


def _sum_known(values: pd.Series) -> float:
    """Sum of an Int64 population column; NaN as soon as one value is unknown (« nd »)."""
    values = values.astype("Int64")
    if values.isna().any():
        return np.nan
    return float(values.sum())


def qpv_per_commune(communes: pd.DataFrame, qpv: pd.DataFrame) -> pd.DataFrame:
    """One row per commune with its QPV, shared QPV kept apart (see module docstring).

    Returns
    -------
    DataFrame
        Columns ``code_insee``, ``nom``, ``signataire``, ``population``, ``n_qpv``
        (all QPV touching the commune), ``n_qpv_partages`` (those spanning several
        communes, other EPCI included), ``population_qpv`` (QPV wholly in the commune),
        ``population_qpv_partages`` (whole population of the shared QPV, not attributed),
        in the communes' order. Counts are Int64; a commune without QPV has zeros; a sum
        with a population not supplied (« nd ») is NA.
    """
    links = _qpv_with_span(qpv)
    zero = pd.array([0] * len(links), dtype="Int64")
    links["pop_own"] = links["population_qpv"].where(~links["multi_communes"], zero)
    links["pop_shared"] = links["population_qpv"].where(links["multi_communes"], zero)
    grouped = links.groupby(C.CODE_INSEE)
    per = pd.DataFrame({
        "n_qpv": grouped[C.CODE_QPV].nunique(),
        "n_qpv_partages": grouped["multi_communes"].sum(),
        "population_qpv": grouped["pop_own"].agg(_sum_known),
        "population_qpv_partages": grouped["pop_shared"].agg(_sum_known),
    })
    base = communes[[C.CODE_INSEE, C.NOM, C.SIGNATAIRE, C.POPULATION]].copy()
    base[C.CODE_INSEE] = base[C.CODE_INSEE].astype("string")
    out = base.merge(per, left_on=C.CODE_INSEE, right_index=True, how="left")
    for col in ["n_qpv", "n_qpv_partages"]:
        out[col] = out[col].fillna(0).astype("Int64")
    for col in ["population_qpv", "population_qpv_partages"]:
        known = out[C.CODE_INSEE].isin(per.index)
        out[col] = out[col].astype("Float64").where(known, 0).round().astype("Int64")
    return out.reset_index(drop=True)


def _figure(key: str, label: str, value: float, unit: str, base=pd.NA, note: str = "") -> dict:
    return {"cle": key, "libelle": label, "valeur": float(value), "unite": unit,
            "base_n": base, "note": note}


def _nd_note(qpv: pd.DataFrame) -> str:
    missing = qpv.loc[qpv[C.POPULATION].isna(), C.CODE_QPV].astype(str).tolist()
    if not missing:
        return ""
    return (f"population non fournie (« nd ») pour {len(missing)} QPV : "
            + ", ".join(missing[:8]) + (" …" if len(missing) > 8 else ""))


def _join_notes(*notes: str) -> str:
    return " ; ".join(n for n in notes if n)


def key_figures(communes: pd.DataFrame, qpv: pd.DataFrame,
                commune: str | None = None) -> pd.DataFrame:
    """Key figures of the agglomeration, or of one commune.

    Parameters
    ----------
    communes, qpv : DataFrame
        Typed ``communes`` and ``qpv`` tables.
    commune : str, optional
        A ``code_insee``; ``None`` for the whole agglomeration.

    Returns
    -------
    DataFrame
        One row per figure: ``cle`` (``terr.communes``, ``terr.communes_signataires``,
        ``terr.population``, ``terr.taille_mediane_commune``, ``terr.qpv``,
        ``terr.qpv_partages``, ``terr.pop_qpv``, ``terr.pop_qpv_partages``,
        ``terr.part_pop_qpv``, ``terr.part_pop_qpv_max``, and ``terr.qpv_partages_epci``
        at agglomeration level when a QPV also covers another EPCI), ``libelle`` (French),
        ``valeur`` (float64; shares are ratios in [0, 1]; NaN when a QPV population is not
        supplied), ``unite`` (``communes``, ``habitants``, ``QPV``, ``ratio``), ``base_n``
        (Int64: the population a share is computed on, NA otherwise), ``note`` (how shared
        QPV were counted, which populations are missing).

    Notes
    -----
    At agglomeration level each QPV counts once, shared or not. Its whole population lives in
    the agglomeration unless it also covers communes of another EPCI: then ``part_pop_qpv``
    counts only the QPV wholly inside (lower bound) and ``part_pop_qpv_max`` adds the shared
    ones (upper bound); both are equal otherwise. For a commune, see the module docstring: the
    population of a QPV spanning several communes is not attributed.
    """
    pop = communes[C.POPULATION].astype("Int64")
    nd_note = _nd_note(qpv)
    if commune is None:
        sharing = qpv_sharing(qpv)
        population = int(pop.sum())
        pop_qpv = _sum_known(qpv[C.POPULATION])
        multi = sharing["n_communes"].fillna(0).to_numpy() > 1
        cross = sharing["partage_epci"].to_numpy()
        pop_shared = _sum_known(qpv.loc[multi, C.POPULATION])
        pop_cross = _sum_known(qpv.loc[cross, C.POPULATION])
        share = pop_qpv / population if population else np.nan
        share_low, share_max = share, share
        if cross.any() and population:
            share_low = (pop_qpv - pop_cross) / population
            share_max = min(population, pop_qpv) / population
        cross_note = "; ".join(f"{c} {n} : {lab}" for c, n, lab in zip(
            sharing.loc[cross, C.CODE_QPV], sharing.loc[cross, C.NOM],
            sharing.loc[cross, "partage"]))
        rows = [
            _figure("terr.communes", "Communes", len(communes), "communes"),
            _figure("terr.communes_signataires", "Communes signataires du Contrat de Ville",
                    int(communes[C.SIGNATAIRE].astype("boolean").fillna(False).sum()),
                    "communes"),
            _figure("terr.population", "Population", population, "habitants"),
            _figure("terr.taille_mediane_commune", "Taille médiane des communes",
                    float(pop.astype("float64").median()) if len(pop) else np.nan,
                    "habitants"),
            _figure("terr.qpv", "Quartiers prioritaires (QPV)", qpv[C.CODE_QPV].nunique(),
                    "QPV", note="un QPV couvrant plusieurs communes compte une fois"),
            _figure("terr.qpv_partages", "QPV couvrant plusieurs communes", int(multi.sum()),
                    "QPV"),
            _figure("terr.pop_qpv", "Habitants des QPV", pop_qpv, "habitants",
                    note=_join_notes("population de chaque QPV comptée une fois",
                                     "y compris la part des QPV partagés située dans un autre "
                                     "EPCI" if cross.any() else "", nd_note)),
            _figure("terr.pop_qpv_partages", "Habitants des QPV couvrant plusieurs communes",
                    pop_shared, "habitants",
                    note=_join_notes("inclus dans les habitants des QPV", nd_note)),
        ]
        if cross.any():
            rows.append(_figure("terr.qpv_partages_epci", "QPV partagés avec un autre EPCI",
                                int(cross.sum()), "QPV", note=cross_note))
            rows += [
                _figure("terr.part_pop_qpv", "Part de la population en QPV (borne basse)",
                        share_low, "ratio", population,
                        note=_join_notes("QPV situés entièrement dans l'agglomération",
                                         nd_note)),
                _figure("terr.part_pop_qpv_max", "Part de la population en QPV (borne haute)",
                        share_max, "ratio", population,
                        note=_join_notes("avec toute la population des QPV partagés avec un "
                                         "autre EPCI", nd_note)),
            ]
        else:
            rows += [
                _figure("terr.part_pop_qpv", "Part de la population en QPV", share, "ratio",
                        population, note=nd_note),
                _figure("terr.part_pop_qpv_max", "Part de la population en QPV (borne haute)",
                        share, "ratio", population,
                        note=_join_notes("égale à la part exacte à l'échelle de "
                                         "l'agglomération", nd_note)),
            ]
    else:
        row = _check_commune(communes, commune)
        population = int(row[C.POPULATION]) if not pd.isna(row[C.POPULATION]) else 0
        mine = qpv_communes_table(communes, qpv, commune)
        own = mine[~mine["multi_communes"]]
        shared = mine[mine["multi_communes"]]
        pop_own = _sum_known(own["population_qpv"])
        pop_shared = _sum_known(shared["population_qpv"])
        share = pop_own / population if population else np.nan
        share_max = min(population, pop_own + pop_shared) / population if population else np.nan
        shared_note = ("QPV partagés : " + ", ".join(
            f"{code} ({lab})" if lab else str(code)
            for code, lab in zip(shared[C.CODE_QPV].astype(str), shared["partage"]))
            if len(shared) else "")
        nd_mine = _nd_note(mine.rename(columns={"population_qpv": C.POPULATION}))
        rows = [
            _figure("terr.communes", "Communes", 1, "communes"),
            _figure("terr.communes_signataires", "Commune signataire du Contrat de Ville",
                    int(bool(row[C.SIGNATAIRE]) if not pd.isna(row[C.SIGNATAIRE]) else 0),
                    "communes"),
            _figure("terr.population", "Population", population, "habitants"),
            _figure("terr.taille_mediane_commune", "Taille médiane des communes", population,
                    "habitants"),
            _figure("terr.qpv", "Quartiers prioritaires (QPV)", len(mine), "QPV",
                    note="y compris les QPV partagés avec d'autres communes"),
            _figure("terr.qpv_partages", "QPV partagés avec d'autres communes", len(shared),
                    "QPV", note=shared_note),
            _figure("terr.pop_qpv", "Habitants des QPV situés entièrement dans la commune",
                    pop_own, "habitants",
                    note=_join_notes("la population des QPV partagés n'est pas répartie "
                                     "entre communes", nd_mine)),
            _figure("terr.pop_qpv_partages",
                    "Habitants des QPV partagés (population totale, non répartie)",
                    pop_shared, "habitants", note=_join_notes(shared_note, nd_mine)),
            _figure("terr.part_pop_qpv", "Part de la population en QPV (borne basse)", share,
                    "ratio", population,
                    note=_join_notes("QPV situés entièrement dans la commune", nd_mine)),
            _figure("terr.part_pop_qpv_max", "Part de la population en QPV (borne haute)",
                    share_max, "ratio", population,
                    note=_join_notes("avec toute la population des QPV partagés, au plus la "
                                     "population de la commune", nd_mine)),
        ]
    out = pd.DataFrame(rows)
    out["base_n"] = out["base_n"].astype("Int64")
    out["valeur"] = out["valeur"].astype("float64")
    return out


def departement_of(code_insee: str) -> str:
    """Département code of a commune code: ``01053`` → ``01``, ``2A004`` → ``2A``,
    ``97411`` → ``974``."""
    code = str(code_insee)
    return code[:3] if code.startswith("97") else code[:2]


def _single_code(indicateurs: pd.DataFrame, niveau: str, given: str | None,
                 param: str) -> str | None:
    if given is not None:
        return str(given)
    codes = indicateurs.loc[indicateurs[C.NIVEAU] == niveau, C.CODE].dropna().unique()
    if len(codes) > 1:
        raise ValueError(
            f"Plusieurs territoires de niveau « {niveau} » dans les indicateurs "
            f"({', '.join(sorted(map(str, codes)))}) : préciser le paramètre « {param} ».")
    return str(codes[0]) if len(codes) else None


def compare_indicators(indicateurs: pd.DataFrame, qpv: pd.DataFrame, communes: pd.DataFrame,
                       *, code_qpv: str | None = None, indicateur: str | None = None,
                       annee: int | None = None, departement: str | None = None,
                       region: str | None = None) -> pd.DataFrame:
    """Each QPV indicator next to the same indicator and year for its commune(s), the EPCI,
    the département, the région and France.

    Values are only placed side by side: nothing is summed or averaged, so rates and
    medians are safe. A QPV spanning several communes is compared with each of them.

    Parameters
    ----------
    indicateurs : DataFrame
        Typed long ``indicateurs`` table.
    qpv, communes : DataFrame
        Typed ``qpv`` and ``communes`` tables (``code_epci`` gives the EPCI).
    code_qpv, indicateur, annee : optional
        Restrict to one QPV, one indicator, one year.
    departement, region : str, optional
        Codes to compare with. By default the département comes from the commune code
        (``01053`` → ``01``) and the région is the only région present in *indicateurs*
        (several → ``ValueError`` asking for the parameter).

    Returns
    -------
    DataFrame
        Tidy, one row per (``code_qpv``, ``indicateur``, ``annee``, ``niveau``, ``code``):
        ``code_qpv``, ``indicateur``, ``annee`` (Int64), ``niveau`` (ordered categorical
        qpv < commune < epci < departement < region < france), ``code``, ``valeur``
        (float64, NaN under a marker), ``marqueur`` (``s``/``nd``/NA), ``unite``,
        ``sommable``, ``source``. A level with no row in *indicateurs* is absent.
    """
    ind = indicateurs.copy()
    ind[C.CODE] = ind[C.CODE].astype("string")
    base = ind[ind[C.NIVEAU] == "qpv"]
    if code_qpv is not None:
        base = base[base[C.CODE] == str(code_qpv)]
    if indicateur is not None:
        base = base[base[C.INDICATEUR] == indicateur]
    if annee is not None:
        base = base[base[C.ANNEE] == int(annee)]
    region = _single_code(ind, "region", region, "region")
    france = _single_code(ind, "france", None, "france")

    links = explode_qpv_communes(qpv)
    epci_of = {}
    if C.CODE_EPCI in communes.columns:
        epci_of = {str(k): v for k, v in zip(communes[C.CODE_INSEE], communes[C.CODE_EPCI])
                   if v is not None and not pd.isna(v)}

    targets = []  # (code_qpv, niveau, code)
    for q in base[C.CODE].unique():
        targets.append((q, "qpv", q))
        cs = list(links.loc[links[C.CODE_QPV] == q, C.CODE_INSEE])
        for c in cs:
            targets.append((q, "commune", c))
        for e in dict.fromkeys(str(epci_of[c]) for c in cs if c in epci_of):
            targets.append((q, "epci", e))
        deps = [str(departement)] if departement is not None else list(
            dict.fromkeys(departement_of(c) for c in cs))
        for d in deps:
            targets.append((q, "departement", d))
        if region is not None:
            targets.append((q, "region", region))
        if france is not None:
            targets.append((q, "france", france))
    targets = pd.DataFrame(targets, columns=[C.CODE_QPV, C.NIVEAU, C.CODE], dtype="object")
    targets = targets.astype({C.CODE_QPV: "string", C.NIVEAU: "string", C.CODE: "string"})

    keys = base[[C.CODE, C.INDICATEUR, C.ANNEE]].rename(columns={C.CODE: C.CODE_QPV})
    keys = keys.drop_duplicates()
    wanted = keys.merge(targets, on=C.CODE_QPV, how="inner")
    ind[C.NIVEAU] = ind[C.NIVEAU].astype("string")
    cols = [C.NIVEAU, C.CODE, C.INDICATEUR, C.ANNEE, C.VALEUR, "marqueur", C.UNITE,
            C.SOMMABLE, C.SOURCE]
    out = wanted.merge(ind[[c for c in cols if c in ind.columns]],
                       on=[C.NIVEAU, C.CODE, C.INDICATEUR, C.ANNEE], how="inner")
    out[C.NIVEAU] = out[C.NIVEAU].astype(str).astype(LEVEL_DTYPE)
    out = out.sort_values([C.CODE_QPV, C.INDICATEUR, C.ANNEE, C.NIVEAU, C.CODE], kind="stable")
    order = [C.CODE_QPV, C.INDICATEUR, C.ANNEE, C.NIVEAU, C.CODE, C.VALEUR, "marqueur",
             C.UNITE, C.SOMMABLE, C.SOURCE]
    return out[[c for c in order if c in out.columns]].reset_index(drop=True)


def aggregate_indicator(indicateurs: pd.DataFrame, indicateur: str, *, niveau: str,
                        codes: list[str] | None = None,
                        annee: int | None = None) -> pd.DataFrame:
    """Sum a *summable* indicator (a count) over several territories of one level.

    Parameters
    ----------
    indicateurs : DataFrame
        Typed long ``indicateurs`` table.
    indicateur : str
        Indicator id; every row of it must have ``sommable = True``.
    niveau : str
        Level of the territories to add up (e.g. ``qpv``).
    codes : list of str, optional
        Territories to add up; all territories of the level by default. A requested
        territory without a row for a year makes that year's total unknown (``nd``).
    annee : int, optional
        One year; every year by default.

    Returns
    -------
    DataFrame
        One row per year: ``indicateur``, ``annee``, ``niveau``, ``n_territoires`` (rows
        added), ``n_manquants`` (requested territories without a row), ``valeur`` (the
        sum, NaN when a part is secret or missing), ``marqueur`` (``s`` if any part is
        secret, else ``nd`` if any is unavailable or missing, else NA), ``unite``,
        ``source`` (distinct sources joined by `` ; ``).

    Raises
    ------
    NonSummableError
        When the indicator is a rate, a median or a mean (``sommable = False``).
    ValueError
        When the indicator has no row at that level.
    """
    rows = indicateurs[(indicateurs[C.INDICATEUR] == indicateur)
                       & (indicateurs[C.NIVEAU] == niveau)]
    if annee is not None:
        rows = rows[rows[C.ANNEE] == int(annee)]
    if rows.empty:
        raise ValueError(f"Indicateur « {indicateur} » absent au niveau « {niveau} ».")
    if not rows[C.SOMMABLE].astype("boolean").fillna(False).all():
        raise NonSummableError(
            f"L'indicateur « {indicateur} » n'est pas sommable (taux, médiane ou moyenne) : "
            "il ne peut être ni additionné ni moyenné entre territoires. Comparer les valeurs "
            "territoire par territoire.")
    if codes is not None:
        wanted = {str(c) for c in codes}
        rows = rows[rows[C.CODE].astype("string").isin(wanted)]
    out = []
    for year, grp in rows.groupby(C.ANNEE, sort=True):
        missing = len(wanted - set(grp[C.CODE].astype(str))) if codes is not None else 0
        markers = set(grp["marqueur"].dropna().astype(str)) if "marqueur" in grp else set()
        unknown = grp[C.VALEUR].isna().any() or missing > 0
        if "s" in markers:
            marker = "s"
        elif unknown:
            marker = "nd"
        else:
            marker = pd.NA
        out.append({
            C.INDICATEUR: indicateur, C.ANNEE: year, C.NIVEAU: niveau,
            "n_territoires": len(grp), "n_manquants": missing,
            C.VALEUR: np.nan if marker is not pd.NA else float(grp[C.VALEUR].sum()),
            "marqueur": marker,
            C.UNITE: " ; ".join(dict.fromkeys(grp[C.UNITE].dropna().astype(str))),
            C.SOURCE: " ; ".join(dict.fromkeys(grp[C.SOURCE].dropna().astype(str))),
        })
    res = pd.DataFrame(out)
    res[C.ANNEE] = res[C.ANNEE].astype("Int64")
    res["n_territoires"] = res["n_territoires"].astype("Int64")
    res["n_manquants"] = res["n_manquants"].astype("Int64")
    res[C.VALEUR] = res[C.VALEUR].astype("float64")
    res["marqueur"] = res["marqueur"].astype("string")
    return res


def communes_of_epci(reference_communes: pd.DataFrame, code_epci: str | int) -> pd.DataFrame:
    """Communes of any EPCI from the national reference list (Etalab).

    Parameters
    ----------
    reference_communes : DataFrame
        The reference list (``data/reference/communes_france.csv``) with columns
        ``code_insee``, ``nom``, ``code_departement``, ``departement``, ``code_region``,
        ``code_epci``, ``epci``, ``population``. Codes read as numbers get their leading
        zeros back (``1001`` → ``01001``).
    code_epci : str
        SIREN of the EPCI (9 digits).

    Returns
    -------
    DataFrame
        Those columns for the EPCI's communes, codes as strings, ``population`` Int64,
        sorted by ``code_insee``.

    Raises
    ------
    ValueError
        When a column is missing or no commune belongs to that EPCI.
    """
    missing = [c for c in REFERENCE_COLUMNS if c not in reference_communes.columns]
    if missing:
        raise ValueError("Liste de référence des communes : colonne(s) manquante(s) "
                         + ", ".join(f"« {c} »" for c in missing) + ".")
    ref = reference_communes[REFERENCE_COLUMNS].copy()
    for col, width in _CODE_WIDTHS.items():
        numeric = pd.api.types.is_numeric_dtype(ref[col])
        text = ref[col].astype("string")
        if numeric:
            text = text.str.replace(r"\.0$", "", regex=True).str.zfill(width)
        ref[col] = text.str.strip()
    for col in ["nom", "departement", "epci"]:
        ref[col] = ref[col].astype("string")
    code = str(code_epci).strip()
    out = ref[ref["code_epci"] == code].copy()
    if out.empty:
        raise ValueError(f"Aucune commune de l'EPCI « {code} » dans la liste de référence "
                         "(attendu : SIREN à 9 chiffres d'un EPCI existant).")
    out["population"] = pd.to_numeric(out["population"], errors="coerce").astype("Int64")
    return out.sort_values("code_insee").reset_index(drop=True)
