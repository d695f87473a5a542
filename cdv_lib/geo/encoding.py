"""Compact encoding of polygon geometries (the package's national references).

A geometry is stored as a list of polygons, each a list of rings, each ring a flat list of
integers: the first point in units of 1/``SCALE`` degree, then the differences from the
previous point (``[x0, y0, dx1, dy1, ...]``). With ``SCALE = 10 000`` (about 11 m) this is
lossless for the 4-decimal source files and gzips to about a third of GeoJSON.

Decoded form (used by :mod:`cdv_lib.geo` and :mod:`cdv_lib.maps`): a list of polygons, each a
list of rings, each ring a ``(n, 2)`` float array of (longitude, latitude) in degrees, WGS84.
The first ring of a polygon is its outer boundary, the others are holes.

In the shipped files each geometry is kept as a JSON *string* (:func:`dumps_geometry`): loading
the national file then holds 35 000 short strings (≈ 15 MB) instead of millions of Python
integers (≈ 180 MB), and only the geometries a map needs are decoded (:func:`loads_geometry`).
"""

from __future__ import annotations

import numpy as np

SCALE = 10_000

__all__ = ["SCALE", "decode_geometry", "dumps_geometry", "encode_geometry", "geojson_polygons",
           "loads_geometry"]


def geojson_polygons(geometry: dict | None) -> list[list[list[list[float]]]]:
    """Polygons (lists of rings of ``[lon, lat]`` points) of a GeoJSON ``Polygon``,
    ``MultiPolygon`` or ``GeometryCollection``; any other type (points, lines) or ``None``
    gives ``[]``."""
    if not isinstance(geometry, dict):
        return []
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    if kind == "Polygon":
        return [coords] if coords else []
    if kind == "MultiPolygon":
        return [p for p in coords or [] if p]
    if kind == "GeometryCollection":
        return [p for g in geometry.get("geometries") or [] for p in geojson_polygons(g)]
    return []


def encode_geometry(geometry: dict | None, scale: int = SCALE) -> list[list[list[int]]]:
    """Encode a GeoJSON (multi)polygon as delta-coded integer rings (see module docstring).

    Repeated consecutive points (after rounding) are dropped; rings left with fewer than
    three distinct points are dropped, and so are polygons whose outer ring is dropped.
    """
    out = []
    for polygon in geojson_polygons(geometry):
        rings = []
        for index, ring in enumerate(polygon):
            pts = np.rint(np.asarray(ring, dtype=float)[:, :2] * scale).astype(np.int64)
            if len(pts) == 0:
                keep = pts
            else:
                same = np.r_[False, (np.diff(pts, axis=0) == 0).all(axis=1)]
                keep = pts[~same]
            if len(np.unique(keep, axis=0)) < 3:
                if index == 0:
                    break
                continue
            deltas = np.vstack([keep[:1], np.diff(keep, axis=0)])
            rings.append([int(v) for v in deltas.ravel()])
        if rings:
            out.append(rings)
    return out


def decode_geometry(encoded: list, scale: int = SCALE) -> list[list[np.ndarray]]:
    """Decode :func:`encode_geometry` output into polygons of ``(n, 2)`` float rings."""
    polygons = []
    for polygon in encoded or []:
        rings = []
        for ring in polygon:
            arr = np.asarray(ring, dtype=np.int64).reshape(-1, 2)
            rings.append(np.cumsum(arr, axis=0) / scale)
        if rings:
            polygons.append(rings)
    return polygons


def dumps_geometry(encoded: list) -> str:
    """Compact JSON text of an encoded geometry (``[[[x0,y0,dx,dy,…],…],…]``)."""
    import json

    return json.dumps(encoded, separators=(",", ":"))


def loads_geometry(text: str, scale: int = SCALE) -> list[list[np.ndarray]]:
    """Decoded polygons of a :func:`dumps_geometry` string."""
    import json

    return decode_geometry(json.loads(text), scale)
