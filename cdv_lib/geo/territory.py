"""Data side of the maps: a territory's communes and QPV joined to their perimeters, and the
per-commune values a choropleth shows. DataFrame in, DataFrame out; nothing is drawn here.

Geometries come from, in this order: the data folder's own ``qpv.geojson`` (loaded by
:func:`cdv_lib.dataset.load_dataset` into ``Dataset.qpv_contours``), then the national
reference shipped with the package (:mod:`cdv_lib.geo.reference`: communes COG 2018, QPV
2024). A 2015 QPV (``QP…``) has no national contour; a QPV of the other geography than the
table's is never drawn in its place. What has no geometry is listed, never an error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdv_lib import columns as C
from cdv_lib.geo import reference

__all__ = [
    "communes_geo",
    "complete_sharing",
    "funding_per_inhabitant",
    "health_actions_by_commune",
    "missing_geometries",
    "qpv_geo",
    "qpv_share_by_commune",
    "reference_communes_geo",
]


def complete_sharing(qpv: pd.DataFrame) -> pd.DataFrame:
    """Fill ``partage_avec`` (names of the other EPCI) from the national reference where a QPV
    lists ``autres_communes`` and no name was given.

    Parameters
    ----------
    qpv : DataFrame
        Typed ``qpv`` table (``autres_communes``, ``partage_avec`` optional).

    Returns
    -------
    DataFrame
        A copy with ``partage_avec`` completed (``|``-joined EPCI names, in order of first
        appearance); a commune absent from the reference leaves the cell empty (the display
        then names the commune codes).
    """
    out = qpv.copy()
    if C.AUTRES_COMMUNES not in out.columns:
        return out
    if C.PARTAGE_AVEC not in out.columns:
        out[C.PARTAGE_AVEC] = pd.Series([np.nan] * len(out), index=out.index, dtype=object)
    todo = out[C.AUTRES_COMMUNES].map(lambda c: isinstance(c, str) and bool(c.strip())) & \
        out[C.PARTAGE_AVEC].map(lambda c: not (isinstance(c, str) and c.strip()))
    if not todo.any():
        return out
    names = reference.epci_names()
    for idx in out.index[todo]:
        codes = [c for c in str(out.at[idx, C.AUTRES_COMMUNES]).split(C.MULTI_SEPARATOR) if c]
        epci = reference.epci_of_communes(codes)
        found = list(dict.fromkeys(names.get(epci[c], "") for c in codes if c in epci))
        found = [n for n in found if n]
        if found:
            out.at[idx, C.PARTAGE_AVEC] = C.MULTI_SEPARATOR.join(found)
    out[C.PARTAGE_AVEC] = out[C.PARTAGE_AVEC].astype(object)
    return out


GEOMETRY = "geometry"
SOURCE_COLUMN = "source_geometrie"
REASON = "sans_contour"  # why a row has no geometry ("" when it has one)
SOURCE_REFERENCE_COMMUNES = "référence nationale (COG 2018)"
SOURCE_REFERENCE_QPV = "référence nationale (QPV 2024)"
SOURCE_LOCAL_QPV = "qpv.geojson du territoire"


def communes_geo(communes: pd.DataFrame) -> pd.DataFrame:
    """The territory's communes with their contours (national reference, COG 2018).

    Parameters
    ----------
    communes : DataFrame
        Typed ``communes`` table (``code_insee``, ``nom``; ``signataire`` and ``population``
        kept when present).

    Returns
    -------
    DataFrame
        The input columns plus ``geometry`` (decoded polygons, ``None`` when the commune is not
        in the reference: commune created or renamed since 2018), ``source_geometrie`` and
        ``sans_contour`` (French reason, ``""`` when drawn). Input order, fresh index.
    """
    out = communes.reset_index(drop=True).copy()
    out[C.CODE_INSEE] = out[C.CODE_INSEE].astype(str)
    found = reference.commune_geometries(out[C.CODE_INSEE])
    geoms = dict(zip(found[C.CODE_INSEE], found[GEOMETRY]))
    out[GEOMETRY] = pd.Series([geoms.get(c) for c in out[C.CODE_INSEE]], index=out.index,
                              dtype=object)
    has = out[GEOMETRY].notna()
    out[SOURCE_COLUMN] = np.where(has, SOURCE_REFERENCE_COMMUNES, "")
    out[REASON] = np.where(has, "", "absente des contours COG 2018 (commune nouvelle ou "
                                    "code modifié ?)")
    return out


def reference_communes_geo(codes) -> pd.DataFrame:
    """Communes of the national reference by code (e.g. the communes of another EPCI that a
    shared QPV covers), with their COG 2018 names and contours.

    Returns
    -------
    DataFrame
        ``code_insee``, ``nom``, ``geometry``, ``source_geometrie``, ``sans_contour``; only the
        codes found, without duplicates, in the order given.
    """
    found = reference.commune_geometries(list(dict.fromkeys(str(c) for c in codes)))
    found[SOURCE_COLUMN] = SOURCE_REFERENCE_COMMUNES
    found[REASON] = ""
    return found


def qpv_geo(qpv: pd.DataFrame, contours: pd.DataFrame | None = None) -> pd.DataFrame:
    """The territory's QPV with their perimeters.

    Parameters
    ----------
    qpv : DataFrame
        Typed ``qpv`` table (one geography: all ``QP…`` or all ``QN…``).
    contours : DataFrame, optional
        ``Dataset.qpv_contours`` (from the folder's ``qpv.geojson``): used first.

    Returns
    -------
    DataFrame
        ``code_qpv``, ``nom``, ``communes``, ``population``, ``partage_epci`` (bool),
        ``partage`` (« partagé avec la CA de … » or ``""``), ``geographie`` (``2015`` or
        ``2024``), ``geometry`` (``None`` when not found), ``source_geometrie``,
        ``sans_contour`` (reason, ``""`` when drawn).

    Raises
    ------
    ValueError
        When *qpv* mixes the 2015 and 2024 geographies (the contract refuses such a file).
    """
    from cdv_lib.themes.territoire import qpv_sharing

    out = qpv.reset_index(drop=True).copy()
    out[C.CODE_QPV] = out[C.CODE_QPV].astype(str)
    geography = out[C.CODE_QPV].map(reference.geography_of)
    kinds = set(geography.dropna())
    if len(kinds) > 1:
        raise ValueError("Les QPV mêlent la géographie 2015 (QP…) et 2024 (QN…) : une carte "
                         "n'en montre qu'une.")
    sharing = qpv_sharing(out)
    out["partage_epci"] = sharing["partage_epci"].to_numpy()
    out["partage"] = sharing["partage"].to_numpy()
    out["geographie"] = geography.astype(object)
    local = {}
    if contours is not None and len(contours):
        local = dict(zip(contours[C.CODE_QPV].astype(str), contours[GEOMETRY]))
    national = reference.qpv_geometries([c for c in out[C.CODE_QPV] if c not in local])
    national = dict(zip(national[C.CODE_QPV], national[GEOMETRY]))
    geoms, sources, reasons = [], [], []
    for code, geo in zip(out[C.CODE_QPV], out["geographie"]):
        if code in local:
            geoms.append(local[code])
            sources.append(SOURCE_LOCAL_QPV)
            reasons.append("")
        elif code in national:
            geoms.append(national[code])
            sources.append(SOURCE_REFERENCE_QPV)
            reasons.append("")
        else:
            geoms.append(None)
            sources.append("")
            if geo == "2015":
                reasons.append("QPV de la géographie 2015 : pas de contour national")
            elif local:
                reasons.append("contour absent des données du territoire et de la référence "
                               "nationale 2024")
            else:
                reasons.append("absent de la référence nationale 2024")
    out[GEOMETRY] = pd.Series(geoms, index=out.index, dtype=object)
    out[SOURCE_COLUMN] = sources
    out[REASON] = reasons
    return out


def missing_geometries(*frames: pd.DataFrame) -> pd.DataFrame:
    """Rows of :func:`communes_geo` / :func:`qpv_geo` frames that have no geometry.

    Returns
    -------
    DataFrame
        ``type`` (``commune`` or ``QPV``), ``code``, ``nom``, ``sans_contour`` (reason).
    """
    rows = []
    for frame in frames:
        if frame is None or not len(frame):
            continue
        kind, code_col = ("QPV", C.CODE_QPV) if C.CODE_QPV in frame.columns else \
            ("commune", C.CODE_INSEE)
        for rec in frame[frame[GEOMETRY].isna()].itertuples(index=False):
            rec = rec._asdict()
            rows.append((kind, rec[code_col], rec.get(C.NOM), rec.get(REASON, "")))
    return pd.DataFrame(rows, columns=["type", "code", C.NOM, REASON], dtype=object)


def _values_frame(communes: pd.DataFrame) -> pd.DataFrame:
    base = communes[[C.CODE_INSEE, C.NOM]].copy().reset_index(drop=True)
    base[C.CODE_INSEE] = base[C.CODE_INSEE].astype(str)
    return base


def qpv_share_by_commune(communes: pd.DataFrame, qpv: pd.DataFrame) -> pd.DataFrame:
    """Share of each commune's population living in a QPV.

    A QPV spanning several communes (or another EPCI) has its population counted for none of
    them in ``valeur`` (lower bound) and wholly for each in ``valeur_max`` (upper bound,
    capped at the commune's population): the contract gives only each QPV's total.

    Returns
    -------
    DataFrame
        ``code_insee``, ``nom``, ``valeur`` (float64 share in [0, 1]: QPV wholly in the
        commune / population; NaN when a population is « nd » or the commune's is 0),
        ``valeur_max`` (float64), ``base_n`` (Int64, the commune's population), ``n_qpv``
        (Int64), ``n_qpv_partages`` (Int64).
    """
    from cdv_lib.themes.territoire import qpv_per_commune

    per = qpv_per_commune(communes, qpv)
    pop = per[C.POPULATION].astype("Float64")
    own = per["population_qpv"].astype("Float64")
    shared = per["population_qpv_partages"].astype("Float64")
    valid = pop > 0
    out = _values_frame(communes)
    out["valeur"] = (own / pop).where(valid).astype("float64").to_numpy()
    capped = np.minimum((own + shared).astype("float64").to_numpy(),
                        pop.astype("float64").to_numpy())
    out["valeur_max"] = np.where(valid.fillna(False).to_numpy(bool),
                                 capped / pop.astype("float64").to_numpy(), np.nan)
    out["base_n"] = per[C.POPULATION].astype("Int64").to_numpy()
    out["n_qpv"] = per["n_qpv"].to_numpy()
    out["n_qpv_partages"] = per["n_qpv_partages"].to_numpy()
    return out


def funding_per_inhabitant(communes: pd.DataFrame, programmation: pd.DataFrame, *,
                           annee: int | None = None) -> pd.DataFrame:
    """Subsidies granted per inhabitant of each commune (``cdv_lib.themes.finances``).

    Intercommunal lines (``INTERCO``) are attributed to no commune.

    Parameters
    ----------
    annee : int, optional
        One year; every year of the programmation by default.

    Returns
    -------
    DataFrame
        ``code_insee``, ``nom``, ``montant_accorde`` (float64, euros; 0 when the commune has
        no line), ``n_actions`` (Int64), ``base_n`` (Int64, population), ``valeur`` (float64,
        euros per inhabitant). Every value is NaN when the programmation (or the year) has no
        line (data not supplied: not the same as no subsidy).
    """
    from cdv_lib.themes import finances

    out = _values_frame(communes)
    pop = communes[C.POPULATION].astype("Int64").reset_index(drop=True)
    out["base_n"] = pop.to_numpy()
    prog = programmation
    if annee is not None and len(prog):
        prog = prog[prog[C.ANNEE] == int(annee)]
    if not len(programmation):
        out["montant_accorde"] = np.nan
        out["n_actions"] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["valeur"] = np.nan
        return out
    if not len(prog):
        # no line in that year: unknown, not zero
        out["montant_accorde"] = np.nan
        out["n_actions"] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["valeur"] = np.nan
        return out
    totals = finances.totals(prog, C.COMMUNE)
    by = {str(k): (m, n) for k, m, n in zip(totals[C.COMMUNE], totals["montant_accorde"],
                                           totals["n_actions"])}
    out["montant_accorde"] = [float(by.get(c, (0.0, 0))[0]) for c in out[C.CODE_INSEE]]
    out["n_actions"] = pd.array([int(by.get(c, (0.0, 0))[1]) for c in out[C.CODE_INSEE]],
                                dtype="Int64")
    popf = pop.astype("float64").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["valeur"] = np.where(popf > 0, out["montant_accorde"].to_numpy() / popf, np.nan)
    return out


def health_actions_by_commune(communes: pd.DataFrame, actions_sante: pd.DataFrame, *,
                              annee: int | None = None) -> pd.DataFrame:
    """Number of health actions declared by each commune (``cdv_lib.themes.sante``).

    Returns
    -------
    DataFrame
        ``code_insee``, ``nom``, ``valeur`` (float64, actions; 0 for a commune without any),
        ``n_perennes`` (Int64), ``base_n`` (Int64, all actions of the territory). NaN values
        when the table is empty (data not supplied).
    """
    from cdv_lib.themes import sante

    out = _values_frame(communes)
    if not len(actions_sante):
        out["valeur"] = np.nan
        out["n_perennes"] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["base_n"] = pd.array([pd.NA] * len(out), dtype="Int64")
        return out
    per = sante.actions_per_commune(actions_sante, annee=annee, communes=communes)
    by = per.set_index(per[C.COMMUNE].astype(str))
    out["valeur"] = [float(by["n"].get(c, 0)) for c in out[C.CODE_INSEE]]
    out["n_perennes"] = pd.array([int(by["n_perennes"].get(c, 0)) for c in out[C.CODE_INSEE]],
                                 dtype="Int64")
    total = int(per["base_n"].iloc[0]) if len(per) else 0
    out["base_n"] = pd.array([total] * len(out), dtype="Int64")
    return out
