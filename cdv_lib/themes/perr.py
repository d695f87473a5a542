"""Suivi du PERR (protocole d'engagements renforcés et réciproques 2019-2022): each
engagement with its status and indicators."""

from __future__ import annotations

import pandas as pd

from cdv_lib import columns as C
from cdv_lib.text import fold
from cdv_lib.themes import share_table

__all__ = ["STATUSES", "STATUS_DTYPE", "engagements", "indicators_long", "share_realised",
           "status_counts"]

#: Statuses of the contract, from the most to the least advanced.
STATUSES = ["réalisé", "partiellement réalisé", "en cours", "non engagé"]
STATUS_DTYPE = pd.CategoricalDtype(STATUSES, ordered=True)
_BY_KEY = {fold(s): s for s in STATUSES}


def _status(perr: pd.DataFrame) -> pd.Categorical:
    keys = perr[C.STATUT].map(fold)
    unknown = sorted({str(v) for v, k in zip(perr[C.STATUT], keys) if k not in _BY_KEY})
    if unknown:
        raise ValueError("Statut(s) PERR inconnu(s) : " + ", ".join(f"« {u} »" for u in unknown)
                         + " (attendu : " + ", ".join(STATUSES) + ").")
    return pd.Categorical(keys.map(_BY_KEY), dtype=STATUS_DTYPE)


def _split(value) -> list[str]:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return []
    return [p.strip() for p in str(value).split(C.MULTI_SEPARATOR) if p.strip()]


def engagements(perr: pd.DataFrame) -> pd.DataFrame:
    """The engagements table.

    Parameters
    ----------
    perr : DataFrame
        Typed ``perr``: ``id``, ``intitule``, ``statut``, ``indicateurs`` (``a|b``),
        ``pilier`` (optional).

    Returns
    -------
    DataFrame
        ``id`` (Int64), ``intitule``, ``pilier`` (NA if absent), ``statut`` (ordered
        categorical of :data:`STATUSES`, spelling normalised), ``n_indicateurs`` (Int64),
        ``indicateurs`` (as given), sorted by ``id``.

    Raises
    ------
    ValueError
        On a status outside :data:`STATUSES` (case and accents ignored).
    """
    out = pd.DataFrame({
        C.ID: perr[C.ID].astype("Int64").to_numpy(),
        C.INTITULE: perr[C.INTITULE].astype("string").to_numpy(),
        C.PILIER: (perr[C.PILIER].astype("string").to_numpy() if C.PILIER in perr
                   else pd.array([pd.NA] * len(perr), dtype="string")),
        C.STATUT: _status(perr),
        "n_indicateurs": pd.array([len(_split(v)) for v in perr[C.INDICATEURS]],
                                  dtype="Int64"),
        C.INDICATEURS: perr[C.INDICATEURS].astype("string").to_numpy(),
    })
    return out.sort_values(C.ID).reset_index(drop=True)


def status_counts(perr: pd.DataFrame) -> pd.DataFrame:
    """Engagements per status, every status listed (0 when none).

    Returns
    -------
    DataFrame
        ``statut`` (ordered categorical), ``n`` (Int64), ``base_n`` (Int64, number of
        engagements), ``part``.
    """
    status = pd.Series(_status(perr))
    counts = status.value_counts().reindex(STATUSES, fill_value=0)
    out = share_table(counts, len(perr), name=C.STATUT)
    out[C.STATUT] = out[C.STATUT].astype(STATUS_DTYPE)
    return out


def share_realised(perr: pd.DataFrame, *, include_partial: bool = False) -> pd.DataFrame:
    """Share of engagements realised.

    Parameters
    ----------
    include_partial : bool
        Also count ``partiellement réalisé``.

    Returns
    -------
    DataFrame
        One row: ``n`` (Int64), ``base_n`` (Int64), ``part``, ``statuts`` (the statuses
        counted, joined by ``" + "``).
    """
    counted = STATUSES[:2] if include_partial else STATUSES[:1]
    status = pd.Series(_status(perr))
    n = int(status.isin(counted).sum())
    out = share_table(pd.Series([n], index=[" + ".join(counted)]), len(perr), name="statuts")
    return out[["n", "base_n", "part", "statuts"]]


def indicators_long(perr: pd.DataFrame) -> pd.DataFrame:
    """One row per (engagement, indicator); engagements without indicators do not appear.

    Returns
    -------
    DataFrame
        ``id`` (Int64), ``intitule``, ``statut`` (ordered categorical), ``pilier``,
        ``indicateur`` (str, stripped), by ``id`` then indicator order.
    """
    table = engagements(perr)
    rows = [(r[C.ID], r[C.INTITULE], r[C.STATUT], r[C.PILIER], ind)
            for r in table.to_dict("records") for ind in _split(r[C.INDICATEURS])]
    out = pd.DataFrame(rows, columns=[C.ID, C.INTITULE, C.STATUT, C.PILIER, "indicateur"])
    out[C.ID] = out[C.ID].astype("Int64")
    out[C.STATUT] = pd.Categorical(out[C.STATUT], dtype=STATUS_DTYPE)
    for col in [C.INTITULE, C.PILIER, "indicateur"]:
        out[col] = out[col].astype("string")
    return out
