"""Maps of the territory, in the house style: communes and QPV perimeters, choropleths per
commune, one commune with its QPV.

Drawing stack: plain matplotlib. Geometries are lists of polygons of lon/lat rings (see
:mod:`cdv_lib.geo.encoding`), drawn as one ``PathCollection`` per layer (holes kept by ring
orientation). No geopandas, shapely or pyproj: they would add GDAL/GEOS/PROJ binaries to a
workbench that only needs to fill a few hundred polygons, and the contours are already
simplified. Projection: equirectangular with the x axis scaled by cos(latitude of the map's
centre), i.e. locally conformal at the centre. At the scale of an EPCI (< 1° of latitude) it
differs from Lambert-93 by well under 1 %, and unlike Lambert-93 it is also right for the
overseas départements.

Every function takes data first, keyword-only options, draws on ``ax`` (default: the current
axes) and returns it; nothing is shown or saved here. Data come from
:mod:`cdv_lib.geo.territory` (``communes_geo``, ``qpv_geo``, ``qpv_share_by_commune``,
``funding_per_inhabitant``, ``health_actions_by_commune``). A commune or a QPV without
geometry is never an error: it is listed in the caption under the map
(:func:`missing_text`) and in the text alternative (``describe_*``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex
from matplotlib.patches import Patch
from matplotlib.path import Path

from cdv_lib import columns as C
from cdv_lib.formatting import fmt_euro, fmt_int, fmt_number, fmt_percent
from cdv_lib.geo.reference import COMMUNES_SOURCE, QPV_SOURCE
from cdv_lib.geo.territory import GEOMETRY, REASON, SOURCE_COLUMN, SOURCE_LOCAL_QPV
from cdv_lib.style import add_caption as _add_caption
from cdv_lib.style import apply_style, show_empty

__all__ = [
    "MapView",
    "NO_DATA",
    "choropleth",
    "class_breaks",
    "commune_map",
    "describe_choropleth",
    "describe_commune_map",
    "describe_territory_map",
    "missing_text",
    "report_maps",
    "show_maps",
    "territory_map",
]

NO_DATA = "données non fournies"
NOT_GIVEN = "Non renseigné"
# colour-blind-safe choices: the choropleth ramp is ColorBrewer YlGnBu (light = low, marked
# colour-blind safe by ColorBrewer), the layers of the territory map use the "colorblind"
# palette of the house style
SEQUENTIAL = "YlGnBu"
SIGNATORY = "#9ecae1"
OTHER = "#eeeeee"
QPV_FILL = "#de8f05"
QPV_EDGE = "#7a4a00"
SHARED_FILL = "#f5d29b"
HIGHLIGHT = "#0173b2"
EDGE = "white"
GID_COMMUNES = "cdv-map-communes"
GID_QPV = "cdv-map-qpv"
GID_QPV_SHARED = "cdv-map-qpv-partages"
GID_CLASSES = "cdv-map-classe"
GID_LABEL = "cdv-map-label"
GID_OUTSIDE = "cdv-map-hors-territoire"
_HALO = [patheffects.withStroke(linewidth=2.2, foreground="white")]


# --------------------------------------------------------------------------- geometry
def _signed_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def _lat0(geometries: Iterable) -> float:
    lats = [r[:, 1] for g in geometries if g for p in g for r in p[:1]]
    if not lats:
        return 0.0
    allv = np.concatenate(lats)
    return float((allv.min() + allv.max()) / 2)


def _project(ring: np.ndarray, lat0: float) -> np.ndarray:
    return np.column_stack([ring[:, 0] * np.cos(np.radians(lat0)), ring[:, 1]])


def _path(geometry, lat0: float) -> Path:
    vertices, codes = [], []
    for polygon in geometry:
        for index, ring in enumerate(polygon):
            ring = _project(np.asarray(ring, dtype=float), lat0)
            if len(ring) > 1 and np.allclose(ring[0], ring[-1]):
                ring = ring[:-1]
            if len(ring) < 3:
                continue
            # outer rings counter-clockwise, holes clockwise: holes stay holes under both
            # fill rules
            if (_signed_area(ring) > 0) != (index == 0):
                ring = ring[::-1]
            vertices.append(np.vstack([ring, ring[:1]]))
            codes.append(np.r_[Path.MOVETO, np.full(len(ring) - 1, Path.LINETO),
                               Path.CLOSEPOLY])
    if not vertices:
        return Path(np.zeros((1, 2)), [Path.MOVETO])
    return Path(np.vstack(vertices), np.concatenate(codes).astype(np.uint8))


def _label_point(geometry, lat0: float) -> tuple[float, float]:
    """Centroid of the largest outer ring (projected)."""
    best, best_area = None, -1.0
    for polygon in geometry:
        ring = _project(np.asarray(polygon[0], dtype=float), lat0)
        area = abs(_signed_area(ring))
        if area > best_area:
            best, best_area = ring, area
    x, y = best[:, 0], best[:, 1]
    cross = x * np.roll(y, -1) - np.roll(x, -1) * y
    a = cross.sum() / 2
    if abs(a) < 1e-12:
        return float(x.mean()), float(y.mean())
    return (float(((x + np.roll(x, -1)) * cross).sum() / (6 * a)),
            float(((y + np.roll(y, -1)) * cross).sum() / (6 * a)))


def _collection(paths: list[Path], *, gid: str, **kw) -> PathCollection:
    coll = PathCollection(paths, **kw)
    coll.set_gid(gid)
    return coll


def _frame_axes(ax: Axes, geometries: list, lat0: float, margin: float = 0.03,
                bounds: tuple | None = None) -> None:
    if bounds is None:
        pts = np.vstack([_project(np.asarray(r, dtype=float), lat0)
                         for g in geometries if g for p in g for r in p[:1]])
        xmin, ymin = pts.min(axis=0)
        xmax, ymax = pts.max(axis=0)
    else:
        xmin, ymin, xmax, ymax = bounds
    dx, dy = (xmax - xmin) or 0.01, (ymax - ymin) or 0.01
    ax.set_xlim(xmin - margin * dx, xmax + margin * dx)
    ax.set_ylim(ymin - margin * dy, ymax + margin * dy)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)


def _with_geometry(frame: pd.DataFrame | None) -> pd.DataFrame:
    if frame is None or not len(frame):
        return pd.DataFrame(columns=[GEOMETRY])
    return frame[frame[GEOMETRY].notna()]


def _signatory_codes(communes_geo: pd.DataFrame, signatories) -> set[str]:
    if signatories is not None:
        return {str(c) for c in signatories}
    if C.SIGNATAIRE in communes_geo.columns:
        flags = communes_geo[C.SIGNATAIRE].astype("boolean").fillna(False).to_numpy(bool)
        return set(communes_geo.loc[flags, C.CODE_INSEE].astype(str))
    return set()


def _sources(communes_geo: pd.DataFrame | None, qpv_geo: pd.DataFrame | None) -> str:
    parts = []
    if communes_geo is not None and len(_with_geometry(communes_geo)):
        parts.append(COMMUNES_SOURCE)
    if qpv_geo is not None and len(qpv_geo):
        sources = set(qpv_geo.get(SOURCE_COLUMN, pd.Series(dtype=object)).dropna())
        if SOURCE_LOCAL_QPV in sources:
            parts.append("périmètres des QPV fournis par le territoire")
        if sources - {SOURCE_LOCAL_QPV, ""}:
            parts.append(QPV_SOURCE)
    return " ; ".join(parts)


def missing_text(*frames: pd.DataFrame | None, limit: int = 12) -> list[str]:
    """French lines naming the communes and QPV of *frames* that have no geometry
    (``communes_geo`` / ``qpv_geo`` frames), grouped by reason, at most *limit* names per
    line; ``[]`` when all are drawn."""
    from cdv_lib.geo.territory import missing_geometries

    missing = missing_geometries(*[f for f in frames if f is not None])
    lines = []
    for (kind, reason), grp in missing.groupby(["type", REASON], sort=False):
        names = [f"{n}\u00a0({c})" if isinstance(n, str) and n else str(c)
                 for c, n in zip(grp["code"], grp[C.NOM])]
        shown = ", ".join(names[:limit]) + (f" et {len(names) - limit} autres"
                                            if len(names) > limit else "")
        plural = "s" if len(names) > 1 else ""
        label = "commune" if kind == "commune" else "QPV"
        lines.append(f"Sans contour, non dessiné{plural} : {len(names)} {label}"
                     f"{plural if kind == 'commune' else ''} — {reason} : {shown}")
    return lines


CAPTION_WIDTH = 120  # characters per caption line under a map


def add_caption(ax: Axes, *, source: str | None = None, note=None):
    """:func:`cdv_lib.style.add_caption` with long lines (lists of communes) wrapped."""
    import textwrap

    notes = [note] if isinstance(note, str) else list(note or [])
    wrapped = [textwrap.fill(n, CAPTION_WIDTH, subsequent_indent="  ") for n in notes]
    return _add_caption(ax, source=source, note=wrapped or None)


def _empty(ax: Axes, *, title: str | None, message: str) -> Axes:
    show_empty(ax, title=title, message=message)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return ax


def _legend(ax: Axes, handles: list, title: str | None = None) -> None:
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False,
              title=title, fontsize=9, title_fontsize=9.5, alignment="left")


def _draw_qpv(ax: Axes, qpv: pd.DataFrame, lat0: float, *, labels: bool = False,
              outline: bool = False) -> list:
    """Draw QPV perimeters (shared ones hatched; *outline*: no fill, over a choropleth);
    return legend handles."""
    handles = []
    if not len(qpv):
        return handles
    shared = qpv["partage_epci"].fillna(False).to_numpy(bool) if "partage_epci" in qpv \
        else np.zeros(len(qpv), bool)
    own = qpv[~shared]
    if len(own):
        fill = "none" if outline else QPV_FILL
        ax.add_collection(_collection(
            [_path(g, lat0) for g in own[GEOMETRY]], gid=GID_QPV, facecolors=fill,
            edgecolors=QPV_EDGE if not outline else "#d55e00",
            linewidths=0.9 if not outline else 1.3, alpha=0.9, zorder=3))
        handles.append(Patch(facecolor=fill, edgecolor=QPV_EDGE if not outline else "#d55e00",
                             linewidth=1.3 if outline else 1.0,
                             label="Quartier prioritaire (QPV)"))
    if shared.any():
        ax.add_collection(_collection(
            [_path(g, lat0) for g in qpv.loc[shared, GEOMETRY]], gid=GID_QPV_SHARED,
            facecolors="none" if outline else SHARED_FILL, edgecolors=QPV_EDGE, hatch="////",
            linewidths=1.1, linestyles="--", zorder=3))
        handles.append(Patch(facecolor="none" if outline else SHARED_FILL, edgecolor=QPV_EDGE,
                             hatch="////", linestyle="--",
                             label="QPV partagé avec un autre EPCI"))
    if labels:
        for rec in qpv.itertuples(index=False):
            x, y = _label_point(getattr(rec, GEOMETRY), lat0)
            ax.text(x, y, _wrap(str(rec.nom), 22), fontsize=7.5, ha="center", va="center",
                    color="0.1", zorder=5, path_effects=_HALO, gid=GID_LABEL)
    return handles


def _wrap(text: str, width: int) -> str:
    from cdv_lib.style import wrap_label

    return wrap_label(text, width)


def _geography_label(qpv: pd.DataFrame | None) -> str:
    if qpv is None or not len(qpv) or "geographie" not in qpv:
        return ""
    geos = set(qpv["geographie"].dropna())
    return f"géographie {geos.pop()}" if len(geos) == 1 else ""


# --------------------------------------------------------------------------- territory map
def territory_map(communes_geo: pd.DataFrame, qpv_geo: pd.DataFrame | None = None, *,
                  signatories: Iterable[str] | None = None, labels: bool = True,
                  title: str | None = None, source: str | None = None,
                  ax: Axes | None = None) -> Axes:
    """The territory: its communes (signatories coloured), the QPV perimeters on top.

    Parameters
    ----------
    communes_geo : DataFrame
        From :func:`cdv_lib.geo.territory.communes_geo` (``code_insee``, ``nom``,
        ``geometry``, optional ``signataire``).
    qpv_geo : DataFrame, optional
        From :func:`cdv_lib.geo.territory.qpv_geo`; a QPV shared with another EPCI is
        hatched and drawn whole (also over the neighbour's communes).
    signatories : iterable of str, optional
        INSEE codes of the signatory communes; default: the ``signataire`` column.
    labels : bool
        Write the signatory communes' names.
    title, source : str, optional
        Title; source line (default: the geometries' sources).

    Returns
    -------
    Axes
        With one ``PathCollection`` per layer (gids ``cdv-map-communes``, ``cdv-map-qpv``,
        ``cdv-map-qpv-partages``), a legend, and a caption with the source and the communes /
        QPV without geometry.
    """
    apply_style()
    ax = ax if ax is not None else plt.gca()
    drawn = _with_geometry(communes_geo)
    qpv = _with_geometry(qpv_geo)
    missing = missing_text(communes_geo, qpv_geo)
    if not len(drawn) and not len(qpv):
        _empty(ax, title=title, message="Aucun contour disponible")
        add_caption(ax, note=missing)
        return ax
    lat0 = _lat0(list(drawn[GEOMETRY]) + list(qpv[GEOMETRY]))
    signed = _signatory_codes(communes_geo, signatories)
    is_signed = drawn[C.CODE_INSEE].astype(str).isin(signed).to_numpy(bool)
    handles = []
    if len(drawn):
        colours = np.where(is_signed, SIGNATORY, OTHER)
        ax.add_collection(_collection(
            [_path(g, lat0) for g in drawn[GEOMETRY]], gid=GID_COMMUNES,
            facecolors=list(colours), edgecolors="0.55", linewidths=0.5, zorder=1))
        if is_signed.any():
            handles.append(Patch(facecolor=SIGNATORY, edgecolor="0.55",
                                 label="Commune signataire"))
        if (~is_signed).any():
            handles.append(Patch(facecolor=OTHER, edgecolor="0.55", label="Autre commune"))
    handles += _draw_qpv(ax, qpv, lat0)
    if labels and is_signed.any():
        for rec in drawn[is_signed].itertuples(index=False):
            x, y = _label_point(getattr(rec, GEOMETRY), lat0)
            ax.text(x, y, str(rec.nom), fontsize=7, ha="center", va="center", color="0.15",
                    zorder=4, path_effects=_HALO, gid=GID_LABEL)
    _frame_axes(ax, list(drawn[GEOMETRY]) + list(qpv[GEOMETRY]), lat0)
    _legend(ax, handles)
    if title:
        ax.set_title(title)
    add_caption(ax, source=source or _sources(communes_geo, qpv_geo), note=missing)
    return ax


def describe_territory_map(communes_geo: pd.DataFrame, qpv_geo: pd.DataFrame | None = None,
                           *, signatories: Iterable[str] | None = None,
                           territoire: str | None = None) -> str:
    """French text alternative of :func:`territory_map`."""
    n = len(communes_geo)
    signed = _signatory_codes(communes_geo, signatories)
    n_signed = int(communes_geo[C.CODE_INSEE].astype(str).isin(signed).sum())
    from cdv_lib.themes.territoire import with_article

    where = f" de {with_article(territoire)}" if territoire else " du territoire"
    parts = [f"Carte des {fmt_int(n)} communes{where}, dont {fmt_int(n_signed)} "
             f"signataire{'s' if n_signed > 1 else ''} (en bleu)"]
    if qpv_geo is not None and len(qpv_geo):
        geo = _geography_label(qpv_geo)
        nq = len(qpv_geo)
        n_drawn = len(_with_geometry(qpv_geo))
        drawn = ("en orange" if n_drawn == nq else
                 f"dont {fmt_int(n_drawn)} dessiné{'s' if n_drawn > 1 else ''} en orange"
                 if n_drawn else "aucun dessiné faute de contour")
        parts.append(f"{fmt_int(nq)} quartier{'s' if nq > 1 else ''} prioritaire"
                     f"{'s' if nq > 1 else ''}{' (' + geo + ')' if geo else ''}, {drawn}")
        shared = qpv_geo[qpv_geo["partage_epci"].fillna(False).astype(bool)] \
            if "partage_epci" in qpv_geo else qpv_geo.iloc[0:0]
        if len(shared):
            parts.append("dont " + ", ".join(f"{r.nom} ({r.code_qpv}), {r.partage}"
                                             for r in shared.itertuples(index=False))
                         + " (hachuré)")
    else:
        parts.append("aucun quartier prioritaire")
    text = " ; ".join(parts) + "."
    missing = missing_text(communes_geo, qpv_geo)
    return text + (" " + " ".join(m + "." for m in missing) if missing else "")


# --------------------------------------------------------------------------- choropleth
_FORMATS = {
    "ratio": lambda v: fmt_percent(v),
    "euro": lambda v: fmt_euro(v),
    "euro_habitant": lambda v: fmt_euro(v, 1) if abs(v) < 100 else fmt_euro(v),
    "nombre": lambda v: fmt_int(v) if float(v).is_integer() else fmt_number(v, 1),
}


def class_breaks(values: pd.Series, n_classes: int = 5, *,
                 bins: Iterable[float] | None = None) -> list[tuple[float, float]]:
    """Classes of a choropleth: ``(low, high)`` intervals, increasing.

    With *bins* (edges ``[e0, …, ek]``) the classes are ``[e0, e1]``, ``]e1, e2]``… Otherwise
    0 is a class of its own when some values are 0 (``(0, 0)``: « aucune action » is not
    « a few »), and the positive values are cut at their quantiles into at most *n_classes*
    classes (fewer when values repeat). Empty when there is no value.
    """
    v = pd.to_numeric(pd.Series(values), errors="coerce").dropna().to_numpy(float)
    if bins is not None:
        edges = sorted(float(b) for b in bins)
        return list(zip(edges[:-1], edges[1:]))
    if not len(v):
        return []
    classes: list[tuple[float, float]] = []
    if (v <= 0).any():
        classes.append((float(v.min()), 0.0))
    positive = v[v > 0]
    if len(positive):
        k = max(1, n_classes - len(classes))
        edges = np.unique(np.quantile(positive, np.linspace(0, 1, k + 1)))
        if np.all(positive == np.round(positive)):
            # counts: whole-number classes that do not overlap (2 à 4, 5 à 6, 7 à 10)
            edges = np.unique(np.round(edges))
            if len(edges) == 1:
                classes.append((float(edges[0]), float(edges[0])))
            else:
                lows = [edges[0]] + [e + 1 for e in edges[1:-1]]
                classes += [(float(lo), float(hi)) for lo, hi in zip(lows, edges[1:])
                            if lo <= hi]
        elif len(edges) == 1:
            classes.append((float(edges[0]), float(edges[0])))
        else:
            classes += [(float(a), float(b)) for a, b in zip(edges[:-1], edges[1:])]
    return classes


def _classify(values: np.ndarray, classes: list[tuple[float, float]]) -> np.ndarray:
    """Class index per value (-1 for NaN): the first class whose interval holds it."""
    idx = np.full(len(values), -1)
    for i in range(len(classes) - 1, -1, -1):
        lo, hi = classes[i]
        inside = (values >= lo) & (values <= hi)
        idx[inside] = i
    if classes:
        idx[~np.isnan(values) & (idx == -1) & (values > classes[-1][1])] = len(classes) - 1
        idx[~np.isnan(values) & (idx == -1)] = 0
    return idx


def _class_labels(classes: list[tuple[float, float]], fmt) -> list[str]:
    return [fmt(hi) if lo == hi else f"{fmt(lo)} à {fmt(hi)}" for lo, hi in classes]


def _class_colours(n: int) -> list[str]:
    cmap = plt.get_cmap(SEQUENTIAL)
    if n <= 1:
        return [to_hex(cmap(0.35))]
    return [to_hex(cmap(x)) for x in np.linspace(0.08, 0.92, n)]


def choropleth(geo: pd.DataFrame, values: pd.DataFrame, *, column: str = "valeur",
               unit: str = "ratio", label: str | None = None,
               bins: Iterable[float] | None = None, n_classes: int = 5,
               qpv_geo: pd.DataFrame | None = None, title: str | None = None,
               source: str | None = None, note: str | list[str] | None = None,
               missing_label: str = NOT_GIVEN, ax: Axes | None = None) -> Axes:
    """Communes coloured by classes of a value (light = low, dark = high; ColorBrewer YlGnBu).

    Parameters
    ----------
    geo : DataFrame
        From :func:`cdv_lib.geo.territory.communes_geo`.
    values : DataFrame
        ``code_insee`` and *column* (e.g. from ``qpv_share_by_commune``,
        ``funding_per_inhabitant``, ``health_actions_by_commune``). A commune without a value
        is drawn hatched grey, « Non renseigné ».
    unit : {"ratio", "euro", "euro_habitant", "nombre"}
        How class limits are written (``12,5 %``, ``1 200 €``, ``3,4 €``, ``12``).
    label : str, optional
        Title of the legend (what is mapped).
    bins : iterable of float, optional
        Class edges; quantiles by default (see :func:`class_breaks`).
    qpv_geo : DataFrame, optional
        QPV perimeters drawn as outlines on top.
    title, source, note : optional
        Title, source line (default: geometry sources), extra caption lines.
    missing_label : str
        Legend text of the communes without a value (« Non renseigné »).

    Returns
    -------
    Axes
        With a ``PathCollection`` per class (gid ``cdv-map-classe``, label = legend text
        with the number of communes), a legend titled *label*, and the caption. When no
        commune has a value the axes say « données non fournies ».
    """
    apply_style()
    ax = ax if ax is not None else plt.gca()
    fmt = _FORMATS[unit]
    merged = geo.merge(values[[C.CODE_INSEE, column]].astype({C.CODE_INSEE: str}),
                       on=C.CODE_INSEE, how="left") if len(geo) else geo.assign(**{column: []})
    vals = pd.to_numeric(merged[column], errors="coerce").to_numpy(float) if len(merged) \
        else np.array([])
    missing = missing_text(geo, qpv_geo)
    notes = ([note] if isinstance(note, str) else list(note or [])) + missing
    if not len(merged) or np.isnan(vals).all():
        _empty(ax, title=title, message=f"{label or 'Valeurs'} : {NO_DATA}")
        add_caption(ax, source=source, note=notes)
        return ax
    drawn_mask = merged[GEOMETRY].notna().to_numpy(bool)
    drawn = merged[drawn_mask]
    dvals = vals[drawn_mask]
    qpv = _with_geometry(qpv_geo)
    if not len(drawn):
        _empty(ax, title=title, message="Aucun contour disponible")
        add_caption(ax, source=source, note=notes)
        return ax
    lat0 = _lat0(list(drawn[GEOMETRY]))
    intervals = class_breaks(vals, n_classes, bins=bins)
    classes = _classify(dvals, intervals)
    labels = _class_labels(intervals, fmt)
    colours = _class_colours(len(labels))
    paths = [_path(g, lat0) for g in drawn[GEOMETRY]]
    handles = []
    for i, (lab, colour) in enumerate(zip(labels, colours)):
        members = [p for p, c in zip(paths, classes) if c == i]
        n = len(members)
        text = f"{lab} ({fmt_int(n)} commune{'s' if n > 1 else ''})"
        if n:
            ax.add_collection(_collection(members, gid=GID_CLASSES, facecolors=colour,
                                          edgecolors=EDGE, linewidths=0.6, zorder=1,
                                          label=text))
        handles.append(Patch(facecolor=colour, edgecolor="0.6", label=text))
    nan_members = [p for p, c in zip(paths, classes) if c == -1]
    if nan_members:
        n = len(nan_members)
        text = f"{missing_label} ({fmt_int(n)} commune{'s' if n > 1 else ''})"
        ax.add_collection(_collection(nan_members, gid=GID_CLASSES, facecolors="#f4f4f4",
                                      edgecolors="0.6", hatch="...", linewidths=0.5,
                                      zorder=1, label=text))
        handles.append(Patch(facecolor="#f4f4f4", edgecolor="0.6", hatch="...", label=text))
    handles += _draw_qpv(ax, qpv, lat0, outline=True)
    _frame_axes(ax, list(drawn[GEOMETRY]), lat0)
    _legend(ax, handles, title=_wrap(label, 30) if label else None)
    if title:
        ax.set_title(title)
    add_caption(ax, source=source or _sources(geo, qpv_geo), note=notes)
    return ax


def describe_choropleth(geo: pd.DataFrame, values: pd.DataFrame, *, column: str = "valeur",
                        unit: str = "ratio", label: str = "valeur",
                        bins: Iterable[float] | None = None, n_classes: int = 5) -> str:
    """French text alternative of :func:`choropleth`: what is mapped, how many communes, the
    highest and lowest values and the communes without value or geometry."""
    fmt = _FORMATS[unit]
    merged = geo[[C.CODE_INSEE, C.NOM, GEOMETRY]].merge(
        values[[C.CODE_INSEE, column]].astype({C.CODE_INSEE: str}), on=C.CODE_INSEE,
        how="left")
    vals = pd.to_numeric(merged[column], errors="coerce")
    known = merged[vals.notna()].assign(_v=vals[vals.notna()])
    if known.empty:
        return f"Carte par commune, {label} : {NO_DATA}."
    def extreme(value: float) -> str:
        at = known[known["_v"] == value].sort_values(C.NOM)
        if len(at) == 1:
            return f"{at[C.NOM].iloc[0]}, {fmt(value)}"
        return f"{fmt(value)} ({fmt_int(len(at))} communes)"

    text = f"Carte des {fmt_int(len(merged))} communes du territoire : {label}. "
    if known["_v"].max() == known["_v"].min():
        n_known = len(known)
        text += (f"Même valeur, {fmt(known['_v'].max())}, pour "
                 + (f"les {fmt_int(n_known)} communes renseignées." if n_known > 1
                    else f"la seule commune renseignée ({known[C.NOM].iloc[0]})."))
    else:
        text += (f"Valeur la plus élevée : {extreme(known['_v'].max())} ; la plus basse : "
                 f"{extreme(known['_v'].min())}.")
    intervals = class_breaks(vals, n_classes, bins=bins)
    text += " Classes : " + " ; ".join(_class_labels(intervals, fmt)) + "."
    n_nan = int(vals.isna().sum())
    if n_nan:
        text += f" {fmt_int(n_nan)} commune{'s' if n_nan > 1 else ''} sans valeur."
    missing = missing_text(geo)
    return text + (" " + " ".join(m + "." for m in missing) if missing else "")


# --------------------------------------------------------------------------- one commune
def _qpv_of_commune(qpv_geo: pd.DataFrame | None, commune: str) -> pd.DataFrame:
    if qpv_geo is None or not len(qpv_geo):
        return pd.DataFrame(columns=[C.CODE_QPV, C.NOM, GEOMETRY])

    def covers(row) -> bool:
        codes = str(row.get(C.COMMUNES) or "").split(C.MULTI_SEPARATOR)
        return commune in codes

    mask = qpv_geo.apply(covers, axis=1).to_numpy(bool)
    return qpv_geo[mask]


def commune_map(communes_geo: pd.DataFrame, qpv_geo: pd.DataFrame | None, commune: str, *,
                neighbours: bool = True, outside: pd.DataFrame | None = None,
                title: str | None = None, source: str | None = None,
                ax: Axes | None = None) -> Axes:
    """One commune (highlighted), its neighbours of the territory in grey and its QPV with
    their names (a QPV shared with other communes is drawn whole, hatched when it is
    shared with another EPCI).

    Parameters
    ----------
    communes_geo, qpv_geo : DataFrame
        From :mod:`cdv_lib.geo.territory`.
    commune : str
        ``code_insee`` of the commune.
    outside : DataFrame, optional
        Communes of another EPCI to show for context (``communes_geo`` of the
        ``autres_communes`` of its QPV), drawn dotted and named.

    Returns
    -------
    Axes
        Zoomed on the commune and its QPV; collections ``cdv-map-communes`` (neighbours then
        the commune), ``cdv-map-qpv`` / ``cdv-map-qpv-partages``; QPV names as texts (gid
        ``cdv-map-label``). A commune without geometry gives a message and the caption.

    Raises
    ------
    ValueError
        When *commune* is not in *communes_geo*.
    """
    apply_style()
    ax = ax if ax is not None else plt.gca()
    commune = str(commune)
    row = communes_geo[communes_geo[C.CODE_INSEE].astype(str) == commune]
    if row.empty:
        raise ValueError(f"Commune « {commune} » absente de la table des communes.")
    mine = _qpv_of_commune(qpv_geo, commune)
    missing = missing_text(row, mine)
    geometry = row[GEOMETRY].iloc[0]
    qpv = _with_geometry(mine)
    if geometry is None:
        _empty(ax, title=title, message=f"{row[C.NOM].iloc[0]} : contour non disponible")
        add_caption(ax, source=source, note=missing)
        return ax
    lat0 = _lat0([geometry])
    handles = []
    others = _with_geometry(communes_geo)
    others = others[others[C.CODE_INSEE].astype(str) != commune] if neighbours else \
        others.iloc[0:0]
    paths = [_path(g, lat0) for g in others[GEOMETRY]] + [_path(geometry, lat0)]
    colours = [OTHER] * len(others) + [SIGNATORY]
    ax.add_collection(_collection(paths, gid=GID_COMMUNES, facecolors=colours,
                                  edgecolors=["0.6"] * len(others) + [HIGHLIGHT],
                                  linewidths=[0.5] * len(others) + [1.6], zorder=1))
    handles.append(Patch(facecolor=SIGNATORY, edgecolor=HIGHLIGHT,
                         label=str(row[C.NOM].iloc[0])))
    if len(others):
        handles.append(Patch(facecolor=OTHER, edgecolor="0.6",
                             label="Autres communes du territoire"))
    beyond = _with_geometry(outside)
    if len(beyond):
        ax.add_collection(_collection(
            [_path(g, lat0) for g in beyond[GEOMETRY]], gid=GID_OUTSIDE, facecolors="white",
            edgecolors="0.5", linestyles=":", linewidths=0.8, zorder=1))
        handles.append(Patch(facecolor="white", edgecolor="0.5", linestyle=":",
                             label="Commune d'un autre EPCI"))
        for rec in beyond.itertuples(index=False):
            x, y = _label_point(getattr(rec, GEOMETRY), lat0)
            ax.text(x, y, str(rec.nom), fontsize=6.5, ha="center", va="center",
                    color="0.45", style="italic", zorder=2, clip_on=True, gid=GID_LABEL)
    handles += _draw_qpv(ax, qpv, lat0, labels=True)
    for rec in others.itertuples(index=False):
        x, y = _label_point(getattr(rec, GEOMETRY), lat0)
        ax.text(x, y, str(rec.nom), fontsize=6.5, ha="center", va="center", color="0.45",
                zorder=2, clip_on=True, gid=GID_LABEL)
    focus = [geometry] + list(qpv[GEOMETRY])
    pts = np.vstack([_project(np.asarray(r, dtype=float), lat0)
                     for g in focus for p in g for r in p[:1]])
    (xmin, ymin), (xmax, ymax) = pts.min(axis=0), pts.max(axis=0)
    _frame_axes(ax, focus, lat0, margin=0.12, bounds=(xmin, ymin, xmax, ymax))
    _legend(ax, handles)
    if title:
        ax.set_title(title)
    add_caption(ax, source=source or _sources(row, mine), note=missing)
    return ax


def describe_commune_map(communes_geo: pd.DataFrame, qpv_geo: pd.DataFrame | None,
                         commune: str) -> str:
    """French text alternative of :func:`commune_map`."""
    commune = str(commune)
    row = communes_geo[communes_geo[C.CODE_INSEE].astype(str) == commune]
    if row.empty:
        raise ValueError(f"Commune « {commune} » absente de la table des communes.")
    name = row[C.NOM].iloc[0]
    mine = _qpv_of_commune(qpv_geo, commune)
    if not len(mine):
        text = f"Carte de {name} : aucun quartier prioritaire."
    else:
        items = []
        for rec in mine.itertuples(index=False):
            others = [c for c in str(rec.communes).split(C.MULTI_SEPARATOR) if c != commune]
            extra = []
            if others:
                extra.append(f"s'étend sur {len(others)} autre"
                             f"{'s' if len(others) > 1 else ''} commune"
                             f"{'s' if len(others) > 1 else ''} du territoire")
            if getattr(rec, "partage", ""):
                extra.append(rec.partage)
            items.append(f"{rec.nom} ({rec.code_qpv})" + (f", {', '.join(extra)}"
                                                          if extra else ""))
        n = len(mine)
        text = (f"Carte de {name} et de {'ses' if n > 1 else 'son'} {fmt_int(n)} quartier"
                f"{'s' if n > 1 else ''} prioritaire{'s' if n > 1 else ''} : "
                + " ; ".join(items) + ".")
    missing = missing_text(row, mine)
    return text + (" " + " ".join(m + "." for m in missing) if missing else "")


# --------------------------------------------------------------------------- report maps
@dataclass
class MapView:
    """One map of a report, ready for a notebook, the app or the document.

    ``draw(ax)`` draws it (returns the axes); ``alt`` is its French text alternative;
    ``missing`` lists what could not be drawn (also in the caption under the map).
    """

    key: str
    titre: str
    alt: str
    missing: list[str]
    draw: Callable[[Axes], Axes] = field(repr=False)
    figsize: tuple[float, float] = (9.0, 6.5)

    def figure(self):
        """A new matplotlib figure with the map (the caller closes it)."""
        apply_style()
        fig, ax = plt.subplots(figsize=self.figsize)
        self.draw(ax)
        return fig

    def png(self, dpi: int = 110) -> bytes:
        """The map as PNG bytes (for HTML, Word or PDF documents)."""
        import io

        fig = self.figure()
        try:
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
        finally:
            plt.close(fig)
        return buf.getvalue()

    def to_html(self, heading: str = "h3") -> str:
        """Escaped HTML: heading, the image with its text alternative as ``alt``, and the text
        alternative again as a visible description (RGAA: long descriptions adjacent)."""
        import base64
        import html

        data = base64.b64encode(self.png()).decode("ascii")
        return (f'<section class="cdv-map" id="{html.escape(self.key)}">'
                f"<{heading}>{html.escape(self.titre)}</{heading}>"
                f'<figure><img src="data:image/png;base64,{data}" '
                f'alt="{html.escape(self.alt)}" style="max-width:100%">'
                f'<figcaption class="cdv-map-alt">{html.escape(self.alt)}</figcaption>'
                "</figure></section>")


def report_maps(dataset, commune: str | None = None, *, annee: int | None = None,
                keys: Iterable[str] | None = None) -> list[MapView]:
    """The maps of a report.

    Parameters
    ----------
    dataset : Dataset
        From :func:`cdv_lib.dataset.load_dataset` (perimeters: ``qpv.geojson`` of the folder,
        else the national QPV 2024 reference).
    commune : str, optional
        A ``code_insee``: the commune and its QPV; ``None``: the territory map and three
        choropleths (share of the population in QPV, subsidies per inhabitant in *annee*,
        health actions per commune).
    annee : int, optional
        Year of the subsidies (default ``config.yaml``'s ``annee``, else every year).
    keys : iterable of str, optional
        Keep only these maps, in this order (``KeyError`` naming the known keys otherwise).

    Returns
    -------
    list of MapView
        Keys ``carte.territoire``, ``carte.part_qpv``, ``carte.subventions``,
        ``carte.actions_sante`` (agglomeration) or ``carte.commune``.
    """
    from cdv_lib.geo import territory as geo

    cg = geo.communes_geo(dataset.communes)
    qg = geo.qpv_geo(dataset.qpv, dataset.qpv_contours)
    name = str(dataset.config.get("territoire") or "") or None
    if commune is not None:
        commune = str(commune)
        row = cg[cg[C.CODE_INSEE] == commune]
        if row.empty:
            raise ValueError(f"Commune « {commune} » absente de la table des communes.")
        label = str(row[C.NOM].iloc[0])
        mine = _qpv_of_commune(qg, commune)
        others = [c for cell in mine.get(C.AUTRES_COMMUNES, pd.Series(dtype=object)).dropna()
                  for c in str(cell).split(C.MULTI_SEPARATOR) if c]
        outside = geo.reference_communes_geo(others)
        return _only([MapView("carte.commune", f"{label} et ses quartiers prioritaires",
                              describe_commune_map(cg, qg, commune), missing_text(row, mine),
                              lambda ax: commune_map(cg, qg, commune, outside=outside,
                                                     ax=ax))], keys)
    year = annee if annee is not None else dataset.config.get("annee")
    year_text = f" en {year}" if year is not None else ""
    share = geo.qpv_share_by_commune(dataset.communes, dataset.qpv)
    # a commune with a shared QPV has no exact share: its QPV's population is not split
    share = share.assign(valeur=share["valeur"].where(share["n_qpv_partages"] == 0))
    funding = geo.funding_per_inhabitant(dataset.communes, dataset.programmation, annee=year)
    health = geo.health_actions_by_commune(dataset.communes, dataset.actions_sante)
    share_note = ("La population d'un QPV couvrant plusieurs communes n'est pas répartie "
                  "entre elles : la part n'est pas calculée pour leurs communes.")
    funding_note = "Actions intercommunales non attribuées aux communes."
    views = [
        MapView("carte.territoire", "Les communes et les quartiers prioritaires",
                describe_territory_map(cg, qg, territoire=name), missing_text(cg, qg),
                lambda ax: territory_map(cg, qg, ax=ax)),
        MapView("carte.part_qpv", "Part de la population vivant en QPV",
                describe_choropleth(cg, share, unit="ratio",
                                    label="la part de la population vivant en QPV"),
                missing_text(cg, qg),
                lambda ax: choropleth(cg, share, unit="ratio",
                                      label="Part de la population en QPV", qpv_geo=qg,
                                      note=share_note, ax=ax,
                                      missing_label="Non calculable (QPV partagé ou "
                                                    "population « nd »)")),
        MapView("carte.subventions", f"Subventions accordées par habitant{year_text}",
                describe_choropleth(cg, funding, unit="euro_habitant",
                                    label=f"les subventions accordées par habitant{year_text}"),
                missing_text(cg),
                lambda ax: choropleth(cg, funding, unit="euro_habitant",
                                      label=f"Subventions par habitant{year_text}",
                                      note=funding_note, ax=ax)),
        MapView("carte.actions_sante", "Actions de santé déclarées par commune",
                describe_choropleth(cg, health, unit="nombre",
                                    label="le nombre d'actions de santé déclarées"),
                missing_text(cg),
                lambda ax: choropleth(cg, health, unit="nombre",
                                      label="Actions de santé déclarées", ax=ax)),
    ]
    return _only(views, keys)


def _only(views: list[MapView], keys: Iterable[str] | None) -> list[MapView]:
    if keys is None:
        return views
    by_key = {v.key: v for v in views}
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        raise KeyError(f"carte(s) inconnue(s) : {', '.join(unknown)} ; cartes : "
                       + ", ".join(by_key))
    return [by_key[k] for k in keys]


def show_maps(views: Iterable[MapView], *, heading: str = "h3") -> None:
    """Display maps in a notebook (Jupyter, papermill, Voilà): each as its heading, the image
    with its text alternative, and the text alternative written out."""
    from IPython.display import HTML, display

    for view in views:
        display(HTML(view.to_html(heading=heading)))


# the maps of each theme's report: (agglomeration keys, commune keys)
THEME_MAPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "territoire": (("carte.territoire", "carte.part_qpv"), ("carte.commune",)),
    "finances": (("carte.subventions",), ()),
    "sante": (("carte.actions_sante",), ()),
}


def theme_maps(dataset, theme: str, commune: str | None = None, *,
               annee: int | None = None) -> list[MapView]:
    """The maps of *theme*'s report for the agglomeration or for one commune (a theme with
    no map for that scope gives none)."""
    agglomeration, communes = THEME_MAPS.get(theme, ((), ()))
    keys = agglomeration if commune is None else communes
    if not keys:
        return []
    return report_maps(dataset, commune, annee=annee, keys=list(keys))
