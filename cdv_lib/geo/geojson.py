"""Reading a territory's own perimeters: ``qpv.geojson`` in the data folder.

A GeoJSON ``FeatureCollection`` in WGS84 longitude/latitude (as exported by QGIS, the ANCT
or data.gouv.fr), one feature per QPV with its code in a property (``code_qpv``, ``code_qp``,
``CODE_QP``…) and optionally its name (``nom``, ``lib_qp``…). Polygons and multipolygons are
kept; other geometries are reported.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from cdv_lib import columns as C
from cdv_lib.errors import Problem
from cdv_lib.geo.encoding import decode_geometry, encode_geometry

__all__ = ["CODE_PROPERTIES", "NAME_PROPERTIES", "features_frame", "read_qpv_geojson"]

CODE_PROPERTIES = ("code_qpv", "code_qp", "codeqpv", "code_quartier", "cod_qp", "code")
NAME_PROPERTIES = ("nom", "nom_qpv", "lib_qp", "libelle", "nom_qp", "name")


def _find(props: dict, names: tuple[str, ...]) -> object:
    lowered = {str(k).lower(): v for k, v in props.items()}
    for name in names:
        if lowered.get(name) not in (None, ""):
            return lowered[name]
    return None


def features_frame(collection: object, *, file_label: str) -> tuple[pd.DataFrame, list[Problem]]:
    """QPV perimeters of a parsed GeoJSON object.

    Returns
    -------
    (DataFrame, list of Problem)
        Columns ``code_qpv`` (upper-case), ``nom`` (NaN if absent), ``geometry`` (decoded
        polygons, see :mod:`cdv_lib.geo.encoding`); problems name the feature (« objet n »,
        from 1) and what was expected.
    """
    columns = [C.CODE_QPV, C.NOM, "geometry"]
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        kind = collection.get("type") if isinstance(collection, dict) else type(collection).__name__
        return pd.DataFrame(columns=columns), [Problem(
            file_label, None, None, kind, "un GeoJSON de type FeatureCollection")]
    problems: list[Problem] = []
    rows = []
    for number, feature in enumerate(collection.get("features") or [], start=1):
        where = f"objet {number}"
        props = (feature or {}).get("properties") or {}
        code = _find(props, CODE_PROPERTIES)
        if code is None:
            problems.append(Problem(file_label, None, where, ", ".join(map(str, props)) or None,
                                    "une propriété code_qpv (ou code_qp) portant le code du QPV"))
            continue
        geometry = (feature or {}).get("geometry")
        encoded = encode_geometry(geometry)
        if not encoded:
            kind = geometry.get("type") if isinstance(geometry, dict) else None
            problems.append(Problem(file_label, None, f"{where} ({code})", kind,
                                    "une géométrie Polygon ou MultiPolygon non vide"))
            continue
        decoded = decode_geometry(encoded)
        lon = [r[:, 0] for p in decoded for r in p]
        lat = [r[:, 1] for p in decoded for r in p]
        if max(abs(v).max() for v in lon) > 180 or max(abs(v).max() for v in lat) > 90:
            problems.append(Problem(
                file_label, None, f"{where} ({code})", None,
                "des coordonnées en degrés WGS84 (longitude, latitude) ; le fichier semble "
                "projeté (Lambert-93 ?) : l'exporter en EPSG:4326"))
            continue
        name = _find(props, NAME_PROPERTIES)
        rows.append((str(code).strip().upper(), name if name is not None else float("nan"),
                     decoded))
    frame = pd.DataFrame(rows, columns=columns).astype({C.CODE_QPV: object, C.NOM: object})
    dup = frame[C.CODE_QPV].duplicated(keep="first")
    for code in frame.loc[dup, C.CODE_QPV]:
        problems.append(Problem(file_label, None, C.CODE_QPV, code,
                                "un seul contour par code QPV (code en double)"))
    return frame[~dup].reset_index(drop=True), problems


def read_qpv_geojson(path: str | Path, *,
                     file_label: str | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Read a ``qpv.geojson`` file: see :func:`features_frame` (plus JSON/encoding problems)."""
    path = Path(path)
    label = file_label or path.name
    try:
        collection = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        return pd.DataFrame(columns=[C.CODE_QPV, C.NOM, "geometry"]), [Problem(
            label, None, None, None, f"un fichier UTF-8 (octet invalide en position {exc.start})")]
    except json.JSONDecodeError as exc:
        return pd.DataFrame(columns=[C.CODE_QPV, C.NOM, "geometry"]), [Problem(
            label, exc.lineno, None, None, f"un GeoJSON valide ({exc.msg})")]
    return features_frame(collection, file_label=label)
