"""Santé: health actions declared by the communes, health in the programmation, the
partnership grid of the health partners, health context indicators.

Health actions (``actions_sante``) are counted as rows: one row is one action. A ``public``
cell may list several publics separated by ``|`` (``jeunes|familles``): the action then
counts once for each public, and shares are shares of *actions* (they may add up to more
than 1). A missing value is counted in a ``Non renseigné`` row, outside the base.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdv_lib import columns as C
from cdv_lib.survey import Survey
from cdv_lib.text import fold
from cdv_lib.themes import finances
from cdv_lib.themes.gouvernance import cooperation_grid, cooperation_long
from cdv_lib.themes.territoire import LEVEL_DTYPE

__all__ = [
    "DURATIONS",
    "NOT_GIVEN",
    "actions_by_commune",
    "actions_per_commune",
    "context_indicators",
    "distribution",
    "health_programming",
    "partnership_grid",
    "partnership_long",
]

DURATIONS = ["ponctuelle", "pérenne"]
NOT_GIVEN = "Non renseigné"
CONTEXT_LEVELS = ("commune", "epci", "departement", "region", "france")


def _select(actions: pd.DataFrame, commune: str | None, annee: int | None) -> pd.DataFrame:
    data = actions
    if commune is not None:
        data = data[data[C.COMMUNE].astype("string") == str(commune)]
    if annee is not None:
        data = data[data[C.ANNEE] == int(annee)]
    return data


def _values(cell: object, multi: bool) -> list[str]:
    if cell is None or (not isinstance(cell, str) and pd.isna(cell)) or not str(cell).strip():
        return []
    parts = str(cell).split(C.MULTI_SEPARATOR) if multi else [str(cell)]
    out = []
    for p in parts:
        p = " ".join(p.split())
        if p and p not in out:
            out.append(p)
    return out


def _canonical(labels: list[str], column: str) -> dict[str, str]:
    """First spelling met of each label (case/accents ignored); known durations fixed."""
    if column == C.DUREE:
        fixed = {fold(d): d for d in DURATIONS}
    else:
        fixed = {}
    out = {}
    for label in labels:
        key = fold(label)
        out.setdefault(key, fixed.get(key, label))
    return out


def distribution(actions: pd.DataFrame, column: str = C.THEMATIQUE, *,
                 commune: str | None = None, annee: int | None = None) -> pd.DataFrame:
    """Health actions by theme, public, duration or scheme.

    Parameters
    ----------
    actions : DataFrame
        Typed ``actions_sante``.
    column : str
        ``thematique``, ``public``, ``duree`` or ``dispositif``. ``public`` may hold
        several values separated by ``|``.
    commune : str, optional
        A ``code_insee``; all communes by default.
    annee : int, optional

    Returns
    -------
    DataFrame
        ``column`` (label; spellings differing only by case or accents merged),
        ``n`` (Int64, actions), ``base_n`` (Int64, actions with a value), ``part``
        (float64), by decreasing ``n`` then label (``duree``: ponctuelle, pérenne), then a
        ``Non renseigné`` row (``part`` NaN) when some actions have no value.
    """
    if column not in actions.columns:
        raise ValueError(f"Actions santé : colonne « {column} » absente.")
    data = _select(actions, commune, annee)
    multi = column == C.PUBLIC
    lists = [_values(v, multi) for v in data[column]]
    canon = _canonical([v for vs in lists for v in vs], column)
    counts: dict[str, int] = {}
    for vs in lists:
        for label in dict.fromkeys(canon[fold(v)] for v in vs):
            counts[label] = counts.get(label, 0) + 1
    base = sum(1 for vs in lists if vs)
    missing = len(lists) - base
    if column == C.DUREE:
        order = [d for d in DURATIONS if d in counts] + sorted(
            (k for k in counts if k not in DURATIONS), key=fold)
    else:
        order = sorted(counts, key=lambda k: (-counts[k], fold(k)))
    rows = [(k, counts[k], base, counts[k] / base if base else np.nan) for k in order]
    if missing:
        rows.append((NOT_GIVEN, missing, base, np.nan))
    out = pd.DataFrame(rows, columns=[column, "n", "base_n", "part"])
    out[column] = out[column].astype("string")
    out["n"] = out["n"].astype("Int64")
    out["base_n"] = out["base_n"].astype("Int64")
    out["part"] = out["part"].astype("float64")
    return out


def actions_by_commune(actions: pd.DataFrame, column: str = C.THEMATIQUE, *,
                       annee: int | None = None,
                       communes: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`distribution` for each commune, stacked (bases per commune).

    Returns
    -------
    DataFrame
        ``commune`` (code), ``nom`` (when *communes* is given, else NA), then the columns
        of :func:`distribution`. Communes in code order.
    """
    data = _select(actions, None, annee)
    codes = data[C.COMMUNE].astype("string")
    present = codes.notna().to_numpy(bool)
    data, codes = data[present], codes[present].astype(str)
    if not len(data):
        out = pd.DataFrame(columns=[C.COMMUNE, column, "n", "base_n", "part"])
        out[C.COMMUNE] = out[C.COMMUNE].astype("string")
        out.insert(1, C.NOM, _names(out[C.COMMUNE], communes))
        return out
    if column not in data.columns:
        raise ValueError(f"Actions santé : colonne « {column} » absente.")
    out = _stacked_distribution(data[column], codes.to_numpy(object), column)
    out[C.COMMUNE] = out[C.COMMUNE].astype("string")
    out.insert(1, C.NOM, _names(out[C.COMMUNE], communes))
    return out


def _stacked_distribution(values: pd.Series, codes: np.ndarray, column: str) -> pd.DataFrame:
    """:func:`distribution` of *values* within each commune of *codes* (same rules: first
    spelling met in the commune, an action counted once per label, ``Non renseigné``
    last), in one pass over the actions; each distinct cell is parsed once.

    A single pass rather than a pandas groupby: the per-contract reports call this on a
    few hundred rows, where a groupby's fixed cost outweighs the work."""
    multi = column == C.PUBLIC
    fixed = {fold(d): d for d in DURATIONS} if column == C.DUREE else {}
    parsed: dict[object, list[tuple[str, str]]] = {}  # distinct cell → its labels
    canon: dict[str, dict[str, str]] = {}
    counts: dict[str, dict[str, int]] = {}
    base: dict[str, int] = {}
    missing: dict[str, int] = {}
    for code, cell in zip(codes, values.tolist()):
        key_cell = None if cell is None or (not isinstance(cell, str) and pd.isna(cell)) \
            else cell
        labels = parsed.get(key_cell)
        if labels is None:  # one (key, first spelling) per normalised label of the cell
            labels = {}
            for v in _values(cell, multi):
                labels.setdefault(fold(v), v)
            parsed[key_cell] = labels = list(labels.items())
        spelling = canon.setdefault(code, {})
        n = counts.setdefault(code, {})
        if not labels:
            missing[code] = missing.get(code, 0) + 1
            continue
        base[code] = base.get(code, 0) + 1
        for key, label in labels:
            spelling.setdefault(key, fixed.get(key, label))
            n[key] = n.get(key, 0) + 1
    rank = {fold(d): i for i, d in enumerate(DURATIONS)}
    rows = []
    for code in sorted(counts):
        n, b, spelling = counts[code], base.get(code, 0), canon[code]
        if column == C.DUREE:
            order = sorted(n, key=lambda k: (rank.get(k, len(DURATIONS)), k))
        else:
            order = sorted(n, key=lambda k: (-n[k], k))
        rows.extend((code, spelling[k], n[k], b, n[k] / b) for k in order)
        if missing.get(code):
            rows.append((code, NOT_GIVEN, missing[code], b, np.nan))
    out = pd.DataFrame(rows, columns=[C.COMMUNE, column, "n", "base_n", "part"])
    out[column] = out[column].astype("string")
    out["n"] = out["n"].astype("Int64")
    out["base_n"] = out["base_n"].astype("Int64")
    out["part"] = out["part"].astype("float64")
    return out


def _names(codes: pd.Series, communes: pd.DataFrame | None) -> pd.Series:
    if communes is None:
        return pd.Series(pd.NA, index=codes.index, dtype="string")
    names = dict(zip(communes[C.CODE_INSEE].astype(str), communes[C.NOM]))
    return codes.astype(str).map(names).astype("string")


def actions_per_commune(actions: pd.DataFrame, *, annee: int | None = None,
                        communes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Number of health actions per commune.

    Returns
    -------
    DataFrame
        ``commune``, ``nom`` (NA without *communes*), ``n`` (Int64, actions),
        ``n_ponctuelles``, ``n_perennes`` (Int64), ``base_n`` (Int64, all actions),
        ``part`` (the commune's share of all actions), by decreasing ``n``. With
        *communes*, every commune of the table is listed (0 when none).
    """
    data = _select(actions, None, annee)
    duree = data[C.DUREE].map(fold)
    frame = pd.DataFrame({C.COMMUNE: data[C.COMMUNE].astype(str).to_numpy(),
                          "ponct": (duree == "ponctuelle").to_numpy(),
                          "peren": (duree == "perenne").to_numpy()})
    per = frame.groupby(C.COMMUNE).agg(n=("ponct", "size"), n_ponctuelles=("ponct", "sum"),
                                       n_perennes=("peren", "sum"))
    if communes is not None:
        per = per.reindex(sorted(set(per.index) | set(communes[C.CODE_INSEE].astype(str))),
                          fill_value=0)
    per = per.reset_index().rename(columns={"index": C.COMMUNE})
    for col in ["n", "n_ponctuelles", "n_perennes"]:
        per[col] = per[col].astype("Int64")
    per[C.COMMUNE] = per[C.COMMUNE].astype("string")
    per.insert(1, C.NOM, _names(per[C.COMMUNE], communes))
    total = len(data)
    per["base_n"] = pd.array([total] * len(per), dtype="Int64")
    per["part"] = per["n"].astype("float64") / total if total else np.nan
    per["part"] = per["part"].astype("float64")
    return per.sort_values(["n", C.COMMUNE], ascending=[False, True],
                           kind="stable").reset_index(drop=True)


def health_programming(prog: pd.DataFrame, *, commune: str | None = None) -> pd.DataFrame:
    """Health in the Politique de la Ville programmation per year (actions, amounts,
    shares): :func:`cdv_lib.themes.finances.health_share`."""
    return finances.health_share(prog, commune=commune)


def partnership_grid(survey: Survey, question_id: str | None = None, *,
                     where=None) -> pd.DataFrame:
    """Partnership level of the health partners with the CLS/ASV (5-level grid), per
    partner: :func:`cdv_lib.themes.gouvernance.cooperation_grid` (shares per level,
    ``base_n``, ``non_reponses``, median level)."""
    return cooperation_grid(survey, question_id, where=where)


def partnership_long(survey: Survey, question_id: str | None = None, *,
                     where=None) -> pd.DataFrame:
    """The same grid in long form with counts: :func:`~cdv_lib.themes.gouvernance.cooperation_long`."""
    return cooperation_long(survey, question_id, where=where)


def context_indicators(indicateurs: pd.DataFrame, indicateur_ids: list[str] | None = None, *,
                       territoires: dict[str, str] | None = None,
                       annee: int | None = None) -> pd.DataFrame:
    """Health context indicators of the territory next to the département, région, France.

    Values are placed side by side, never added or averaged.

    Parameters
    ----------
    indicateurs : DataFrame
        Typed long ``indicateurs``.
    indicateur_ids : list of str, optional
        Indicators to show (e.g. ``["surpoids", "mg_plus_55"]``); all by default.
    territoires : dict, optional
        ``{niveau: code}`` for any of ``commune``, ``epci``, ``departement``, ``region``,
        ``france`` (e.g. ``{"epci": "246200364", "departement": "62", "region": "32",
        "france": "FR"}``). Default: every row at levels epci, departement, region, france.
    annee : int, optional

    Returns
    -------
    DataFrame
        ``indicateur``, ``annee`` (Int64), ``niveau`` (ordered categorical), ``code``,
        ``valeur`` (NaN under a marker), ``marqueur``, ``unite``, ``source``, sorted by
        indicator, year, level.
    """
    ind = indicateurs
    if indicateur_ids is not None:
        ind = ind[ind[C.INDICATEUR].isin(list(indicateur_ids))]
    if annee is not None:
        ind = ind[ind[C.ANNEE] == int(annee)]
    if territoires is None:
        keep = ind[C.NIVEAU].isin(["epci", "departement", "region", "france"])
    else:
        bad = [k for k in territoires if k not in CONTEXT_LEVELS]
        if bad:
            raise ValueError("Niveau(x) inconnu(s) : " + ", ".join(bad) + " (attendu : "
                             + ", ".join(CONTEXT_LEVELS) + ").")
        keep = pd.Series(False, index=ind.index)
        for level, code in territoires.items():
            keep |= (ind[C.NIVEAU] == level) & (ind[C.CODE].astype("string") == str(code))
    out = ind[keep.astype(bool)].copy()
    out[C.NIVEAU] = out[C.NIVEAU].astype(str).astype(LEVEL_DTYPE)
    cols = [C.INDICATEUR, C.ANNEE, C.NIVEAU, C.CODE, C.VALEUR, "marqueur", C.UNITE, C.SOURCE]
    out = out[[c for c in cols if c in out.columns]]
    return out.sort_values([C.INDICATEUR, C.ANNEE, C.NIVEAU], kind="stable").reset_index(
        drop=True)
