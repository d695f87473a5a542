"""Regenerate the national geographic references shipped in ``cdv_lib/reference/``.

Reads the project's offline copies (not shipped with the package):

- ``<shared>/reference/geo/communes_contours_2018.geojson.gz`` (IGN Admin Express COG 2018,
  simplified, via gregoiredavid/france-geojson; Licence Ouverte Etalab),
- ``<shared>/reference/geo/qpv2024_contours.geojson.gz`` (ANCT QPV 2024, Licence Ouverte 2.0,
  via bpineau/gazetteer, MIT),
- ``<shared>/reference/communes_france.csv`` (Etalab list of communes with their EPCI, MIT),

and writes, deterministically (same input, same bytes):

- ``cdv_lib/reference/communes_contours.zip``: ``meta.json`` and one member per bucket of
  codes (:func:`cdv_lib.geo.reference.bucket`), ``communes/62.json`` = ``{code_insee: [nom,
  geometry]}``,
- ``cdv_lib/reference/qpv2024.zip``: ``meta.json``, ``epci.json`` = ``{siren: nom}``,
  ``communes_epci/62.json`` = ``{code_insee: siren}``, ``qpv/06.json`` = ``{code_qpv: {"nom",
  "communes", "epci", "geometry"}}``,

geometries encoded by :func:`cdv_lib.geo.encoding.encode_geometry` (lossless at 4 decimals)
and kept as JSON strings (:func:`~cdv_lib.geo.encoding.dumps_geometry`, decoded on demand).

Usage: ``python scripts/build_geo_reference.py [--shared DIR] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cdv_lib.geo.encoding import SCALE, dumps_geometry, encode_geometry  # noqa: E402
from cdv_lib.geo.reference import COMMUNES_FILE, QPV_FILE, bucket  # noqa: E402 - after sys.path

COMMUNES_SOURCE = ("IGN Admin Express COG 2018, simplifié (gregoiredavid/france-geojson) ; "
                   "codes et noms INSEE COG 2018")
QPV_SOURCE = "ANCT, quartiers prioritaires de la politique de la ville 2024 (décret 2023-1314)"


def find_shared() -> Path:
    for parent in [ROOT, *ROOT.parents]:
        candidate = parent / "shared" / "reference"
        if (candidate / "geo").is_dir():
            return candidate
    raise SystemExit("dossier shared/reference/geo introuvable : préciser --shared")


def _json(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def bucketed(kind: str, records: dict) -> dict[str, dict]:
    """``{member: {code: record}}``, each code in its :func:`bucket`."""
    out: dict[str, dict] = {}
    for code, record in records.items():
        out.setdefault(bucket(kind, code), {})[code] = record
    return out


def write_zip_json(path: Path, members: dict[str, object]) -> int:
    """A zip of JSON members, same bytes for the same input (sorted members, fixed dates)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, _json(members[name]), compresslevel=9)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(buf.getvalue())
    tmp.replace(path)
    return len(buf.getvalue())


def read_reference_communes(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    epci_of, epci_names = {}, {}
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            code = row["code_insee"].strip().zfill(5)
            siren = (row.get("code_epci") or "").strip()
            if siren:
                epci_of[code] = siren
                epci_names.setdefault(siren, (row.get("epci") or "").strip())
    return epci_of, epci_names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=None,
                        help="dossier shared/reference (défaut : cherché au-dessus du dépôt)")
    parser.add_argument("--out", type=Path, default=ROOT / "cdv_lib" / "reference")
    args = parser.parse_args(argv)
    shared = args.shared or find_shared()
    args.out.mkdir(parents=True, exist_ok=True)

    epci_of, epci_names = read_reference_communes(shared / "communes_france.csv")

    with gzip.open(shared / "geo" / "communes_contours_2018.geojson.gz", "rt",
                   encoding="utf-8") as fh:
        communes = json.load(fh)
    out_communes = {}
    for feature in communes["features"]:
        props = feature["properties"]
        out_communes[str(props["code"])] = [props["nom"],
                                            dumps_geometry(encode_geometry(feature["geometry"]))]
    size_c = write_zip_json(args.out / COMMUNES_FILE, {
        "meta.json": {"source": COMMUNES_SOURCE,
                      "licence": "Licence Ouverte / Open Licence (Etalab)",
                      "millesime": "COG 2018", "echelle": SCALE, "crs": "WGS84 (lon, lat)"},
        **bucketed("communes", out_communes)})

    with gzip.open(shared / "geo" / "qpv2024_contours.geojson.gz", "rt", encoding="utf-8") as fh:
        qpvs = json.load(fh)
    out_qpv, without_epci = {}, set()
    for feature in qpvs["features"]:
        props = feature["properties"]
        codes = [str(c).zfill(5) for c in props["insee_com"]]
        epcis = []
        for code in codes:
            siren = epci_of.get(code)
            if siren is None:
                without_epci.add(code)
            elif siren not in epcis:
                epcis.append(siren)
        out_qpv[props["code_qp"]] = {"nom": props["lib_qp"], "communes": codes, "epci": epcis,
                                     "geometry": dumps_geometry(encode_geometry(feature["geometry"]))}
    size_q = write_zip_json(args.out / QPV_FILE, {
        "meta.json": {"source": QPV_SOURCE, "licence": "Licence Ouverte 2.0 (ANCT, data.gouv.fr)",
                      "epci_source": "liste Etalab des communes (communes_france.csv)",
                      "communes_sans_epci": sorted(without_epci), "echelle": SCALE,
                      "crs": "WGS84 (lon, lat)"},
        "epci.json": dict(sorted(epci_names.items())),
        **bucketed("communes_epci", epci_of),
        **bucketed("qpv", out_qpv)})
    print(f"{len(out_communes)} communes : {size_c / 1e6:.1f} Mo ; {len(out_qpv)} QPV : "
          f"{size_q / 1e6:.1f} Mo ; communes de QPV sans EPCI dans la liste : "
          f"{', '.join(sorted(without_epci)) or 'aucune'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
