"""Shared part of the importers: report text, all-or-nothing write, overlay validation."""

from __future__ import annotations

import os

import pytest

from cdv_lib.errors import DataError
from cdv_lib.importers import KINDS, importer
from cdv_lib.importers import common
from cdv_lib.importers.common import ImportReport, ImportResult, commit_files, write_result


def test_report_text_is_french_and_shortened():
    report = ImportReport("x", read=["a.csv : 3 lignes"], dropped=[("colonne Z", "inconnue")],
                          mapped=[(f"c{i}", f"d{i}") for i in range(5)])
    text = report.to_text(max_items=3)
    assert "Lu :\n  - a.csv : 3 lignes" in text
    assert "Écarté :\n  - colonne Z : inconnue" in text
    assert "c0 → d0" in text and "… et 2 autre(s)" in text


def test_commit_restores_everything_when_a_move_fails(tmp_path, monkeypatch):
    (tmp_path / "a.csv").write_text("ancien a")
    real_replace = os.replace
    calls = []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("disque plein")
        return real_replace(src, dst)

    monkeypatch.setattr(common.os, "replace", flaky)
    with pytest.raises(OSError):
        commit_files(tmp_path, {"a.csv": b"nouveau a", "sous/b.csv": b"nouveau b"})
    monkeypatch.setattr(common.os, "replace", real_replace)
    assert (tmp_path / "a.csv").read_text() == "ancien a"
    assert not (tmp_path / "sous" / "b.csv").exists()
    leftovers = [p.name for p in tmp_path.rglob("*") if p.is_file() and p.name != "a.csv"]
    assert leftovers == []


def test_new_file_breaking_the_contract_is_refused(base_data, snapshot):
    before = snapshot(base_data)
    bad = ImportResult({"perr.csv": b"id;intitule;statut;indicateurs\n1;X;fini;\n"},
                       ImportReport("x"))
    with pytest.raises(DataError) as exc:
        write_result(base_data, bad, replace=True)
    assert any(p.file == "perr.csv" and p.value == "fini" for p in exc.value.problems)
    assert snapshot(base_data) == before


def test_problems_of_other_files_do_not_block(base_data):
    (base_data / "perr.csv").write_text("id;intitule;statut;indicateurs\n1;X;fini;\n")
    ok = ImportResult({"reunions.csv": b"date;dispositif;instance\n2024-01-02;ASV;restitution\n"},
                      ImportReport("x"))
    written, others = write_result(base_data, ok)
    assert [p.name for p in written] == ["reunions.csv"]
    assert any(p.file == "perr.csv" for p in others)


def test_every_registered_kind_has_the_importer_interface():
    for kind in KINDS:
        module = importer(kind)
        assert module.DESCRIPTION and module.FILES_HELP
        assert callable(module.add_arguments) and callable(module.build)
