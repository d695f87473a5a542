"""The audit over every table of the embedded data, written as the reports and the workbook
write them (agglomeration and every signatory commune)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cdv_lib.audit import audit_dir

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def embedded_outputs(tmp_path_factory) -> Path:
    from cdv_lib import report as rt
    from cdv_lib.report.display import to_html
    from cdv_lib.batch.communes import signatory_communes
    from cdv_lib.dataset import load_dataset
    from cdv_lib.excel import export_workbook

    out = tmp_path_factory.mktemp("out")
    dataset = load_dataset()
    scopes = {"agglomeration": None}
    scopes.update({code: code for code in signatory_communes()["code_insee"]})
    for folder, code in scopes.items():
        (out / folder).mkdir()
        tables = []
        for theme in rt.THEMES:
            theme_tables = rt.theme_tables(dataset, theme, code)
            (out / folder / f"{theme}.html").write_text(
                f"<!DOCTYPE html><html><body>{to_html(theme_tables)}</body></html>",
                encoding="utf-8")
            tables += theme_tables
        # one workbook per scope, as the batch writes them
        export_workbook({rt.commune_name(dataset, code) if code else "Agglomération": tables},
                        out / folder / "tableaux.xlsx")
    return out


def test_every_file_is_read_and_each_finding_says_where_and_how(embedded_outputs):
    start = time.process_time()
    findings = audit_dir(embedded_outputs, threshold=5)
    assert time.process_time() - start < 30
    assert not [f for f in findings if f.kind == "lecture"]
    for finding in findings:
        assert (embedded_outputs / finding.file).is_file()
        if finding.kind == "recalcul":
            assert "ligne « " in finding.location and "colonne « " in finding.location
            assert finding.value and ("=" in finding.detail or "≤" in finding.detail)


def test_embedded_outputs_leak_nothing(embedded_outputs):
    assert audit_dir(embedded_outputs, threshold=5) == []
