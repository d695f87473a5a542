"""The shipped national references are what scripts/build_geo_reference.py makes from the
project's offline copies (skipped when those copies are not on this machine)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from cdv_lib import columns as C
from cdv_lib.geo import reference
from cdv_lib.geo.reference import reference_dir

ROOT = Path(__file__).resolve().parents[1]


def _build_module():
    spec = importlib.util.spec_from_file_location("build_geo_reference",
                                                  ROOT / "scripts" / "build_geo_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_references_are_small():
    sizes = {p.name: p.stat().st_size for p in reference_dir().iterdir()}
    assert set(sizes) == {"communes_contours.zip", "qpv2024.zip"}
    assert sum(sizes.values()) < 15_000_000


def test_a_commune_reads_only_its_bucket(monkeypatch):
    """Looking up Lens reads Pas-de-Calais's member of each archive, not France."""
    calls = []
    original = reference._member.__wrapped__

    def recording(name, member):
        calls.append((name, member))
        return original(name, member)

    monkeypatch.setattr(reference, "_member", recording)
    found = reference.commune_geometries(["62498"])
    assert list(found[C.CODE_INSEE]) == ["62498"]
    assert reference.epci_of_communes(["62498"]) == {"62498": "246200364"}
    assert calls == [("communes_contours.zip", "communes/62.json"),
                     ("qpv2024.zip", "communes_epci/62.json")]
    assert len(original("communes_contours.zip", "communes/62.json")) < 1_500


def test_bucket_rule():
    assert reference.bucket("communes", "62498") == "communes/62.json"
    assert reference.bucket("communes", "2A004") == "communes/2A.json"
    assert reference.bucket("qpv", "QN06216M") == "qpv/06.json"
    assert reference.bucket("qpv", "") == "qpv/_.json"


@pytest.mark.slow
def test_rebuild_gives_the_same_bytes(tmp_path):
    build = _build_module()
    try:
        shared = build.find_shared()
    except SystemExit:
        pytest.skip("copies de shared/reference absentes")
    assert build.main(["--shared", str(shared), "--out", str(tmp_path)]) == 0
    for name in ("communes_contours.zip", "qpv2024.zip"):
        assert (tmp_path / name).read_bytes() == (reference_dir() / name).read_bytes(), name
