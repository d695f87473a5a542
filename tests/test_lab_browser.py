"""« Explorer un questionnaire » in a real JupyterLab started by ``cdv lab``, driven in the
headless Debian Chromium: Run → Run All Cells, then the question and the crossing variable
are changed in the widgets; the table changes and shows its bases.

Nothing leaks out of the test: HOME and every Jupyter directory are temporary, the kernel
is registered there, exports go to a temporary folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from browser import chromium_page, require_chromium
from cdv_lib.lab import LabConfig, stop, wait_ready
from cdv_lib.paths import NOTEBOOKS_DIR, PROJ_ROOT
from cdv_lib.serve import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

NOTEBOOK = "explorer/explorer_questionnaire.ipynb"
LONG = 240_000  # ms: JupyterLab's first load and a kernel start on a busy machine
SHORT = 90_000  # ms: one widget callback
SCREENSHOT = Path(os.environ.get("CDV_SCREENSHOT_DIR", "/tmp")) / "cdv_lab_explorer.png"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    require_chromium()
    home = tmp_path_factory.mktemp("home")
    env = dict(os.environ)
    env.update({
        "HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(home / "jupyter_config"),
        "JUPYTER_DATA_DIR": str(home / "jupyter_data"),
        "JUPYTER_RUNTIME_DIR": str(home / "jupyter_runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "lab_settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "lab_workspaces"),
        "IPYTHONDIR": str(home / "ipython"),
        "CDV_EXPORTS_DIR": str(home / "exports"),
        "PYTHONPATH": str(PROJ_ROOT),
    })
    env.pop("CDV_DATA_DIR", None)
    # no « Would you like to get notified about official Jupyter news? » over the page
    settings = home / "lab_settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    # the notebook is the project's own file: never saved by the test (autosave off, and
    # checked at the end)
    docmanager = home / "lab_settings" / "@jupyterlab" / "docmanager-extension"
    docmanager.mkdir(parents=True)
    (docmanager / "plugin.jupyterlab-settings").write_text('{"autosave": false}')
    port, token = free_port(), "jeton-de-test"
    log_path = home / "lab.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "cdv_lib.cli", "lab", "--port", str(port), "--token", token],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    config = LabConfig(port=port, token=token)
    try:
        try:
            wait_ready(config, timeout=240, process=process)
            deadline = time.monotonic() + 30
            while "JupyterLab est prêt" not in log_path.read_text(errors="replace"):
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.2)
        except Exception:
            raise AssertionError(f"cdv lab n'a pas démarré :\n{log_path.read_text(errors='replace')[-4000:]}")
        yield {"config": config, "home": home, "log": log_path}
    finally:
        stop(process)


def test_cdv_lab_prints_the_url_and_registers_the_kernel(lab):
    text = lab["log"].read_text(errors="replace")
    assert f"ouvrir {lab['config'].url()}" in text
    assert "Atelier Contrat de Ville (Python)" in text
    assert f"Explorer un questionnaire : {lab['config'].url('lab/tree/' + NOTEBOOK)}" in text
    spec = lab["home"] / "jupyter_data" / "kernels" / "cdv-workbench" / "kernel.json"
    assert spec.is_file()  # registered in the temporary data dir, not the real HOME


def _result(page):
    return page.locator(".cdv-explore-output .cdv-explore-result")


def _wait_result(page, **attrs):
    selector = ".cdv-explore-output .cdv-explore-result" + "".join(
        f'[data-{k}="{v}"]' for k, v in attrs.items())
    page.wait_for_selector(selector, timeout=SHORT)
    return page.locator(selector)


def test_explorer_in_jupyterlab(lab):
    config = lab["config"]
    notebook_file = NOTEBOOKS_DIR / NOTEBOOK
    before = notebook_file.read_bytes()
    with chromium_page(timeout_ms=SHORT) as page:
        page.set_viewport_size({"width": 1400, "height": 1400})
        page.goto(config.url(f"lab/tree/{NOTEBOOK}"), wait_until="domcontentloaded", timeout=LONG)
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=LONG)
        # the kernel is started and idle before running (status shown in the toolbar)
        page.wait_for_selector(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status='idle']",
                               timeout=LONG)
        time.sleep(3)  # the indicator can say idle a moment before the kernel is connected
        page.locator(".jp-NotebookPanel .jp-Cell").first.click()  # the notebook has the focus
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()

        try:
            first = page.wait_for_selector(
                '.cdv-explore-output .cdv-explore-result[data-question="domaine"][data-by=""]',
                timeout=LONG)
        except Exception:
            page.screenshot(path=str(SCREENSHOT), full_page=False)
            raise AssertionError(f"l'explorateur ne s'affiche pas (capture : {SCREENSHOT}) ;\n"
                                 f"{page.inner_text('.jp-NotebookPanel')[-3000:]}") from None
        first_text = first.inner_text()
        assert "Base : 21 répondants ayant répondu" in first_text.replace("\u00a0", " ")
        assert "[" in first_text and "Wilson" in first_text  # sample: intervals
        page.wait_for_selector(".cdv-explore-output img", timeout=SHORT)  # the chart

        # change 1: cross by the association's type
        page.locator(".cdv-explore-by select").select_option(label="type (attribut)")
        crossed = _wait_result(page, question="domaine", by="type")
        crossed_text = crossed.inner_text()
        assert crossed_text != first_text
        assert "Bases par groupe" in crossed_text
        assert "Association intercommunale (n = 9)" in crossed_text.replace("\u00a0", " ")  # column header
        assert "Association intercommunale : n = 9" in crossed_text.replace("\u00a0", " ")
        assert "Test d'indépendance, réponse par réponse" in crossed_text
        assert re.search(r"\d+,\d % \[\d+,\d ; \d+,\d\]", crossed_text.replace("\u00a0", " "))  # an interval
        page.wait_for_timeout(500)
        page.screenshot(path=str(SCREENSHOT.with_name("cdv_lab_domaine_type.png")), full_page=False)

        # change 2: another question, still crossed by type
        page.locator(".cdv-explore-question select").select_option(
            label="salaries — Combien de salariés compte votre association ?")
        salaries = _wait_result(page, question="salaries", by="type")
        text = salaries.inner_text()
        assert text != crossed_text and "Aucun salarié" in text
        assert "Bases par groupe" in text
        assert "test d'indépendance" in text.lower()

        # export the table on screen
        page.locator(".cdv-explore-export-csv button, button.cdv-explore-export-csv").first.click()
        page.wait_for_selector(".cdv-explore-export-status code", timeout=SHORT)
        shown_path = page.inner_text(".cdv-explore-export-status code").strip()
        assert shown_path.endswith("associations_salaries_par_type.csv")
        assert Path(shown_path).is_file() and Path(shown_path).parent == lab["home"] / "exports"

        assert "Traceback" not in page.inner_text(".jp-NotebookPanel")
        page.screenshot(path=str(SCREENSHOT), full_page=False)
    assert notebook_file.read_bytes() == before  # the project's notebook is left as it was
    assert notebook_file.read_bytes() == before  # the project's notebook is left as it was
