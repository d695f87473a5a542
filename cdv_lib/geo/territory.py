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
    "commune_values",
    "complete_sharing",
    "communes_geo",
    "qpv_geo",
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
