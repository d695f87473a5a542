"""Finances: the Politique de la Ville programmation by year, funder, pillar, theme, commune.

The programmation has one row per action *and funder*: an action co-funded by three funders
is three rows. Amounts are therefore summed over rows, while actions are counted as distinct
(``annee``, ``numero_dossier``) pairs, never as rows. A missing ``montant_accorde`` means
nothing was granted (0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdv_lib import columns as C
from cdv_lib.text import fold_series

__all__ = [
    "GROUPINGS",
    "HEALTH_THEME",
    "consistency_checks",
    "evolution",
    "filter_commune",
    "health_share",
    "totals",
]

#: Columns the programmation can be broken down by.
GROUPINGS = (C.ANNEE, C.FINANCEUR, C.PILIER, C.THEMATIQUE, C.COMMUNE)
#: Normalised theme label counted as health.
HEALTH_THEME = "sante"
#: Tolerance, in euros, when funders' amounts are compared with the declared total.
TOLERANCE_EUR = 1.0


def _amounts(prog: pd.DataFrame) -> pd.DataFrame:
    out = prog.copy()
    out[C.MONTANT_ACCORDE] = out[C.MONTANT_ACCORDE].astype("float64").fillna(0.0)
    out[C.MONTANT_DEMANDE] = out[C.MONTANT_DEMANDE].astype("float64").fillna(0.0)
    return out


def filter_commune(prog: pd.DataFrame, commune: str | None) -> pd.DataFrame:
    """Lines of one commune.

    Parameters
    ----------
    prog : DataFrame
        Typed ``programmation``.
    commune : str or None
        A ``code_insee`` keeps that commune's own lines (intercommunal lines are not
        attributed to any commune); ``"INTERCO"`` keeps the intercommunal lines; ``None``
        keeps everything.

    Returns
    -------
    DataFrame
        The selected rows, same columns.
    """
    if commune is None:
        return prog
    return prog[prog[C.COMMUNE].astype("string") == str(commune)]


def totals(prog: pd.DataFrame, by: str | list[str] | tuple[str, ...] = (C.ANNEE,),
           *, commune: str | None = None) -> pd.DataFrame:
    """Granted and requested amounts and number of actions per group.

    Parameters
    ----------
    prog : DataFrame
        Typed ``programmation``.
    by : str or list of str
        Any of ``annee``, ``financeur``, ``pilier``, ``thematique``, ``commune``; an empty
        list gives one grand-total row.
    commune : str, optional
        See :func:`filter_commune`.

    Returns
    -------
    DataFrame
        Columns *by*…, ``montant_accorde``, ``montant_demande`` (float64, euros),
        ``n_actions`` (Int64, distinct (``annee``, ``numero_dossier``): an action with
        three funders counts once in the year total and once per funder in a by-funder
        table), ``n_lignes`` (Int64, rows). Sorted by *by*.
    """
    by = [by] if isinstance(by, str) else list(by)
    unknown = [b for b in by if b not in GROUPINGS]
    if unknown:
        raise ValueError(f"Regroupement inconnu : {', '.join(unknown)} (attendu : "
                         f"{', '.join(GROUPINGS)}).")
    data = _amounts(filter_commune(prog, commune))
    data["_action"] = (data[C.ANNEE].astype("string") + "\x1f"
                       + data[C.NUMERO_DOSSIER].astype("string"))
    aggs = dict(montant_accorde=(C.MONTANT_ACCORDE, "sum"),
                montant_demande=(C.MONTANT_DEMANDE, "sum"),
                n_actions=("_action", "nunique"),
                n_lignes=("_action", "size"))
    if by:
        out = data.groupby(by, sort=True, dropna=False).agg(**aggs).reset_index()
    else:
        out = pd.DataFrame([{
            "montant_accorde": float(data[C.MONTANT_ACCORDE].sum()),
            "montant_demande": float(data[C.MONTANT_DEMANDE].sum()),
            "n_actions": data["_action"].nunique(),
            "n_lignes": len(data)}])
    out["montant_accorde"] = out["montant_accorde"].astype("float64")
    out["montant_demande"] = out["montant_demande"].astype("float64")
    out["n_actions"] = out["n_actions"].astype("Int64")
    out["n_lignes"] = out["n_lignes"].astype("Int64")
    return out


def evolution(prog: pd.DataFrame, start: int, end: int, *,
              commune: str | None = None) -> float:
    """Relative change of the granted total between two years: ``total_end / total_start - 1``.

    Returns the raw ratio (``0.4769…`` for 3 900 000 € → 5 760 000 €); NaN when the start
    total is 0.

    Raises
    ------
    ValueError
        When a year has no line in the programmation.
    """
    by_year = totals(prog, C.ANNEE, commune=commune).set_index(C.ANNEE)["montant_accorde"]
    missing = [y for y in (start, end) if y not in by_year.index]
    if missing:
        raise ValueError("Année(s) absente(s) de la programmation : "
                         + ", ".join(str(y) for y in missing) + ".")
    first, last = float(by_year.loc[start]), float(by_year.loc[end])
    return last / first - 1 if first else float("nan")


def is_health(thematique: pd.Series) -> pd.Series:
    """True where the theme is health (``Santé``, ``sante``, ``SANTÉ``…)."""
    return fold_series(thematique).eq(HEALTH_THEME).astype(bool)


def health_share(prog: pd.DataFrame, *, commune: str | None = None) -> pd.DataFrame:
    """Health's place in the programmation, year by year.

    Parameters
    ----------
    prog : DataFrame
        Typed ``programmation``; health lines are those whose ``thematique`` normalises
        (case and accents ignored) to ``sante``.
    commune : str, optional
        See :func:`filter_commune`.

    Returns
    -------
    DataFrame
        One row per year: ``annee``, ``n_actions_sante``, ``n_actions`` (the base of
        ``part_actions``), ``part_actions``, ``montant_sante``, ``montant_total`` (the base
        of ``part_montant``), ``part_montant`` (granted amounts). Shares are ratios.
    """
    return health_share_by(filter_commune(prog, commune), [C.ANNEE])


def health_share_by(prog: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """:func:`health_share` per group of *keys* (``[annee]``; the national benchmark adds
    the EPCI first): the group columns, then the same columns as :func:`health_share`."""
    keys = list(keys)
    all_years = totals(prog, keys)
    health = totals(prog[is_health(prog[C.THEMATIQUE])], keys)
    out = all_years[[*keys, "n_actions", "montant_accorde"]].rename(
        columns={"montant_accorde": "montant_total"}).merge(
        health[[*keys, "n_actions", "montant_accorde"]].rename(
            columns={"n_actions": "n_actions_sante", "montant_accorde": "montant_sante"}),
        on=keys, how="left")
    out["n_actions_sante"] = out["n_actions_sante"].fillna(0).astype("Int64")
    out["montant_sante"] = out["montant_sante"].fillna(0.0).astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["part_actions"] = (out["n_actions_sante"].astype("float64")
                               / out["n_actions"].astype("float64"))
        out["part_montant"] = out["montant_sante"] / out["montant_total"].replace(0, np.nan)
    return out[[*keys, "n_actions_sante", "n_actions", "part_actions", "montant_sante",
                "montant_total", "part_montant"]]


def _euros(value: float) -> str:
    text = f"{value:,.2f}".replace(",", "\u202f").replace(".", ",")
    return (text[:-3] if text.endswith(",00") else text) + " €"


def _flag(controle: str, row_or_key: dict, message: str) -> dict:
    return {"controle": controle, C.ANNEE: row_or_key.get(C.ANNEE),
            C.NUMERO_DOSSIER: row_or_key.get(C.NUMERO_DOSSIER),
            C.FINANCEUR: row_or_key.get(C.FINANCEUR, pd.NA), "message": message}


def consistency_checks(prog: pd.DataFrame) -> pd.DataFrame:
    """Flag lines of the programmation that do not hold together.

    Checks, each flag one row:

    * ``total_declare``: the funders' granted amounts of a file do not add up to its
      ``total_declare`` (more than 1 € apart), or the file declares different totals on
      its lines;
    * ``doublon_financeur``: the same (``annee``, ``numero_dossier``, ``financeur``) appears
      more than once;
    * ``doublon_action``: the same action (same year, carrier, title and granted amount,
      case and accents ignored) under several file numbers;
    * ``accorde_superieur``: granted more than requested on a line;
    * ``montant_negatif``: a negative requested, granted or declared amount.

    Parameters
    ----------
    prog : DataFrame
        Typed ``programmation``.

    Returns
    -------
    DataFrame
        Columns ``controle``, ``annee`` (Int64), ``numero_dossier``, ``financeur`` (NA for
        file-level flags), ``message`` (French). Empty (same columns) when all is well.
    """
    flags: list[dict] = []
    data = prog.reset_index(drop=True)
    granted = data[C.MONTANT_ACCORDE].astype("float64")
    requested = data[C.MONTANT_DEMANDE].astype("float64")
    has_total = C.TOTAL_DECLARE in data.columns
    # vectorised checks: messages are written only for the (few) flagged rows
    for col, label in [(C.MONTANT_DEMANDE, "montant demandé"),
                       (C.MONTANT_ACCORDE, "montant accordé"),
                       (C.TOTAL_DECLARE, "total déclaré")]:
        if col not in data.columns:
            continue
        values = data[col].astype("float64")
        bad = data[(values < 0).fillna(False).to_numpy(bool)]
        for year, number, funder, value in zip(bad[C.ANNEE], bad[C.NUMERO_DOSSIER],
                                               bad[C.FINANCEUR], bad[col].astype("float64")):
            flags.append(_flag("montant_negatif",
                               {C.ANNEE: year, C.NUMERO_DOSSIER: number, C.FINANCEUR: funder},
                               f"Dossier {number} ({year}), financeur {funder} : {label} "
                               f"négatif ({_euros(float(value))})."))

    # a negative request is already flagged; comparing with it would only add noise
    over = ((granted > requested + 1e-9) & (requested >= 0)).fillna(False).to_numpy(bool)
    for year, number, funder, g, r in zip(data.loc[over, C.ANNEE],
                                          data.loc[over, C.NUMERO_DOSSIER],
                                          data.loc[over, C.FINANCEUR], granted[over],
                                          requested[over]):
        flags.append(_flag("accorde_superieur",
                           {C.ANNEE: year, C.NUMERO_DOSSIER: number, C.FINANCEUR: funder},
                           f"Dossier {number} ({year}), financeur {funder} : montant accordé "
                           f"({_euros(g)}) supérieur au montant demandé ({_euros(r)})."))

    key = [C.ANNEE, C.NUMERO_DOSSIER, C.FINANCEUR]
    dup = data[data.duplicated(key, keep=False)]
    for (year, number, funder), count in dup.groupby(key, sort=True).size().items():
        flags.append(_flag("doublon_financeur",
                           {C.ANNEE: year, C.NUMERO_DOSSIER: number, C.FINANCEUR: funder},
                           f"Dossier {number} ({year}) : le financeur {funder} apparaît "
                           f"{count} fois (dossier saisi deux fois ?)."))

    file_key = [C.ANNEE, C.NUMERO_DOSSIER]
    work = data[file_key + [C.PORTEUR, C.INTITULE]].assign(_granted=granted.fillna(0.0))
    if has_total:
        work["_declared"] = data[C.TOTAL_DECLARE].astype("float64")
    files = work.groupby(file_key, sort=True)
    per_file = files.agg(porteur=(C.PORTEUR, "first"), intitule=(C.INTITULE, "first"),
                         montant=("_granted", "sum"))
    if has_total:
        declared = files["_declared"].agg(["nunique", "first"])
        total = per_file["montant"]
        several = declared["nunique"] > 1
        off = (declared["nunique"] == 1) & ((total - declared["first"]).abs() > TOLERANCE_EUR)
        flagged = declared.index[several | off]
        if len(flagged):
            rows = work.set_index(file_key).loc[flagged, "_declared"].dropna()
            values_of = {k: list(pd.unique(v)) for k, v in rows.groupby(level=[0, 1], sort=True)}
            for year, number in flagged:
                where = {C.ANNEE: year, C.NUMERO_DOSSIER: number}
                if several.loc[(year, number)]:
                    listed = ", ".join(_euros(v) for v in values_of[(year, number)])
                    flags.append(_flag("total_declare", where,
                                       f"Dossier {number} ({year}) : totaux déclarés "
                                       f"différents selon les lignes ({listed})."))
                    continue
                summed = float(total.loc[(year, number)])
                expected = float(declared["first"].loc[(year, number)])
                flags.append(_flag("total_declare", where,
                                   f"Dossier {number} ({year}) : la somme des financeurs "
                                   f"({_euros(summed)}) ne correspond pas au total déclaré "
                                   f"({_euros(expected)}), écart de "
                                   f"{_euros(abs(summed - expected))}."))

    per_file = per_file.reset_index()
    per_file["_sig"] = (fold_series(per_file[C.PORTEUR]) + "\x1f"
                        + fold_series(per_file[C.INTITULE]) + "\x1f"
                        + per_file["montant"].round(2).astype(str))
    per_file["_number"] = per_file[C.NUMERO_DOSSIER].astype(str)
    sizes = per_file.groupby([C.ANNEE, "_sig"], sort=False)["_number"].transform("nunique")
    repeated = per_file[(sizes >= 2).to_numpy(bool)]
    for (year, _sig), grp in repeated.groupby([C.ANNEE, "_sig"], sort=True):
        numbers = list(dict.fromkeys(grp["_number"]))
        first = grp.iloc[0]
        for number in numbers:
            others = ", ".join(n for n in numbers if n != number)
            flags.append(_flag("doublon_action", {C.ANNEE: year, C.NUMERO_DOSSIER: number},
                               f"Dossier {number} ({year}) : même porteur "
                               f"({first[C.PORTEUR]}), même intitulé ({first[C.INTITULE]}) "
                               f"et même montant ({_euros(float(first['montant']))}) que le "
                               f"dossier {others}."))

    out = pd.DataFrame(flags, columns=["controle", C.ANNEE, C.NUMERO_DOSSIER, C.FINANCEUR,
                                       "message"])
    out[C.ANNEE] = pd.to_numeric(out[C.ANNEE]).astype("Int64")
    for col in ["controle", C.NUMERO_DOSSIER, C.FINANCEUR, "message"]:
        out[col] = out[col].astype("string")
    return out
