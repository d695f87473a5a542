"""Batch planning, manifest, index and temporary files, without kernels."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "notebooks"))
from batch_fixtures import HOSTILE_NAME, REGISTRY, make_data  # noqa: E402

from cdv_lib import atomic
from cdv_lib.batch import manifest as mf  # noqa: E402
from cdv_lib.batch.communes import epci_communes, signatory_communes  # noqa: E402
from cdv_lib.batch.index import render_index  # noqa: E402
from cdv_lib.batch.orchestrator import BatchError, select_communes  # noqa: E402
from cdv_lib.batch.plan import plan_runs, select_themes  # noqa: E402
from cdv_lib.batch.registry import THEMES  # noqa: E402
from cdv_lib.paths import DATA_DIR  # noqa: E402


@pytest.mark.skipif(not (DATA_DIR / "communes.csv").exists(), reason="données embarquées absentes")
def test_default_plan_on_embedded_data(tmp_path):
    communes = signatory_communes()
    assert len(communes) == 19
    runs = plan_runs(communes, select_themes(), out_dir=tmp_path)
    at_agglo = [t for t in THEMES.values() if t.agglomeration]
    per_commune = [t for t in THEMES.values() if t.communes]
    assert len(runs) == len(at_agglo) + 19 * len(per_commune)
    agglo = [r for r in runs if r.commune is None]
    assert sorted(r.theme for r in agglo) == sorted(t.name for t in at_agglo)
    assert {"finances", "gouvernance", "participation", "sante"} <= {r.theme for r in agglo}
    assert sum(r.theme == "fiche_commune" for r in runs) == 19
    assert len({r.run_id for r in runs}) == len(runs)
    assert all(r.parameters["data_dir"] is None for r in runs)
    assert {r.notebook for r in runs} == {str(t.notebook) for t in THEMES.values()}


def test_narrowing_by_commune_and_theme(tmp_path):
    data = make_data(tmp_path / "data")
    table = select_communes(data=data, codes=["62003"])
    assert list(table["code_insee"]) == ["62003"]
    runs = plan_runs(table, select_themes(["fiche"], REGISTRY), out_dir=tmp_path / "out",
                     agglomeration=False, data_dir=data, annee=2021)
    assert [r.run_id for r in runs] == ["62003/fiche"]
    assert runs[0].parameters == {"commune": "62003", "data_dir": str(data.resolve()), "annee": 2021}
    # non-signatory and unknown communes are refused, in French
    with pytest.raises(BatchError, match="inconnue"):
        select_communes(data=data, codes=["62004"])
    with pytest.raises(ValueError, match="Thème"):
        select_themes(["nope"], REGISTRY)


def test_signatories_keep_names_and_order(tmp_path):
    table = signatory_communes(make_data(tmp_path / "data"))
    assert list(table["code_insee"]) == ["62001", "62002", "62003"]
    assert table["nom"][1] == HOSTILE_NAME


def test_epci_communes_codes_stay_strings(tmp_path):
    ref = tmp_path / "communes_france.csv"
    ref.write_text(
        "code_insee,nom,code_departement,departement,code_region,code_epci,epci,population\n"
        "01004,Ambérieu-en-Bugey,01,Ain,84,240100883,CC Plaine,14000\n"
        "01007,Ambronay,01,Ain,84,240100883,CC Plaine,2800\n"
        "2A004,Ajaccio,2A,Corse-du-Sud,94,242010056,CA Ajaccio,70000\n", encoding="utf-8")
    table = epci_communes("240100883", ref)
    assert list(table["code_insee"]) == ["01004", "01007"]
    runs = plan_runs(table, select_themes(["fiche"], REGISTRY), out_dir=tmp_path)
    assert runs[0].parameters["commune"] == "01004" and runs[0].html == "01004/fiche.html"
    assert list(select_communes(epci="242010056", reference=ref)["code_insee"]) == ["2A004"]
    with pytest.raises(BatchError):
        select_communes(epci="999999999", reference=ref)


def _manifest_with(specs, statuses):
    manifest = {"version": 1, "updated": "2026-05-04T10:12:03+02:00", "runs": {}}
    for spec, (status, error) in zip(specs, statuses):
        record = mf.entry(spec, status)
        record["error"] = error
        if status == "ok":
            record["html"] = spec.html
        manifest["runs"][spec.run_id] = record
    return manifest


def test_index_escapes_data_and_shows_failures(tmp_path):
    data = make_data(tmp_path / "data")
    specs = plan_runs(select_communes(data=data), select_themes(registry=REGISTRY),
                      out_dir=tmp_path)
    statuses = [("ok", None)] * len(specs)
    hostile = [i for i, s in enumerate(specs) if s.commune == "62002"]
    statuses[hostile[0]] = ("failed", "ValueError: <script>alert(1)</script>")
    page = render_index(_manifest_with(specs, statuses))
    assert '<html lang="fr">' in page
    assert "<b>gras</b>" not in page and "<script>" not in page
    assert "Saint-Étienne &quot;&lt;b&gt;gras&lt;/b&gt;&quot; &amp; &#x27;q&#x27;" in page
    assert "échec" in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    failed = specs[hostile[0]]
    assert f'href="{failed.html}"' not in page  # no link to a failed report
    for spec in specs:
        if spec is not failed:
            assert f'href="{spec.html}"' in page
    assert page.index("Agglomération") < page.index("Aville")
    assert "04/05/2026" in page
    assert f"{len(specs) - 1} rapports réussis, 1 en échec" in page


def test_resume_checks_outputs(tmp_path):
    data = make_data(tmp_path / "data")
    specs = plan_runs(select_communes(data=data, codes=["62001"]), select_themes(["fiche"], REGISTRY),
                      out_dir=tmp_path, agglomeration=False)
    spec = specs[0]
    manifest = _manifest_with(specs, [("ok", None)])
    assert not mf.is_done(manifest, tmp_path, spec)  # files missing
    html_path, nb_path = tmp_path / spec.html, tmp_path / spec.ipynb
    html_path.parent.mkdir(parents=True)
    html_path.write_text("<html><body>tronqu", encoding="utf-8")
    nb_path.write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                   "nbformat_minor": 5}), encoding="utf-8")
    assert not mf.is_done(manifest, tmp_path, spec)  # truncated HTML
    html_path.write_text("<html><body>complet</body></html>\n", encoding="utf-8")
    assert mf.is_done(manifest, tmp_path, spec)
    nb_path.write_text('{"cells": [', encoding="utf-8")
    assert not mf.is_done(manifest, tmp_path, spec)  # truncated notebook
    assert mf.mark_missing(manifest, tmp_path, specs) == 1
    assert manifest["runs"][spec.run_id]["status"] == "missing"


def test_atomic_write_and_stale_tmp_cleanup(tmp_path):
    target = tmp_path / "a" / "rapport.html"
    atomic.write_text(target, "<html></html>")
    assert target.read_text() == "<html></html>"
    assert atomic.tmp_path(target, 123).name == "rapport.tmp-123.html"
    # a temporary file of a dead process is removed, one of a live process is kept
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = atomic.tmp_path(target, dead.pid)
    stale.write_text("<html><bo")
    live = atomic.tmp_path(target, os.getppid())
    live.write_text("<html><bo")
    removed = atomic.clean_stale_tmp(tmp_path)
    assert removed == [stale] and not stale.exists() and live.exists() and target.exists()
