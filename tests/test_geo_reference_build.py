"""The shipped national references are what scripts/build_geo_reference.py makes from the
project's offline copies (skipped when those copies are not on this machine)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from cdv_lib.geo.reference import reference_dir

ROOT = Path(__file__).resolve().parents[1]


def _build_module():
    spec = importlib.util.spec_from_file_location("build_geo_reference",
                                                  ROOT / "scripts" / "build_geo_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_references_are_small():
    sizes = {p.name: p.stat().st_size for p in reference_dir().glob("*.json.gz")}
    assert set(sizes) == {"communes_contours.json.gz", "qpv2024.json.gz"}
    assert sum(sizes.values()) < 15_000_000


@pytest.mark.slow
def test_rebuild_gives_the_same_bytes(tmp_path):
    build = _build_module()
    try:
        shared = build.find_shared()
    except SystemExit:
        pytest.skip("copies de shared/reference absentes")
    assert build.main(["--shared", str(shared), "--out", str(tmp_path)]) == 0
    for name in ("communes_contours.json.gz", "qpv2024.json.gz"):
        assert (tmp_path / name).read_bytes() == (reference_dir() / name).read_bytes(), name
