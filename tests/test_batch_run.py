"""The batch with real papermill runs and real kernels on the fixture notebook: HTML
content, failures, kernel death, hangs, resume, SIGKILL of the whole batch, Dask."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

FIXTURE_DIR = Path(__file__).parent / "fixtures" / "notebooks"
sys.path.insert(0, str(FIXTURE_DIR))
from batch_fixtures import REGISTRY, REPORT, make_data  # noqa: E402

from cdv_lib.batch import manifest as mf  # noqa: E402
from cdv_lib.batch.orchestrator import run_batch  # noqa: E402
from cdv_lib.batch.plan import RunSpec  # noqa: E402
from cdv_lib.batch.run import execute_run  # noqa: E402

pytestmark = [pytest.mark.notebooks, pytest.mark.slow]


def _spec(out, commune, **params):
    return RunSpec(commune=commune, commune_name=f"Commune {commune}", theme="alpha",
                   theme_label="Alpha", notebook=str(REPORT), out_dir=str(out),
                   parameters={"commune": commune, **params}, timeout=60)


def _batch(data, out, **kwargs):
    kwargs.setdefault("jobs", 2)
    return run_batch(data=data, out_dir=out, registry=REGISTRY, excel=False, quiet=True,
                     **kwargs)


def _statuses(out):
    return {k: v["status"] for k, v in mf.load(out)["runs"].items()}


def _assert_outputs_whole(out):
    for path in out.rglob("*.html"):
        assert path.read_text(encoding="utf-8").rstrip().endswith("</html>"), path
    for path in out.rglob("*.ipynb"):
        nbformat.read(str(path), as_version=4)
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name]


def test_run_exports_html_without_code_with_embedded_figure(tmp_path):
    data = make_data(tmp_path / "data")
    results = [execute_run(_spec(tmp_path / "out", c, data_dir=str(data))) for c in ("62001", "62002")]
    for result, code in zip(results, ("62001", "62002")):
        assert result["status"] == "ok" and result["error"] is None
        page = (tmp_path / "out" / result["html"]).read_text(encoding="utf-8")
        assert page.rstrip().endswith("</html>") and '<html lang="fr">' in page
        assert "<title>Alpha — Commune " + code in page
        assert page.count('src="data:image/png;base64,') == 1  # the matplotlib figure
        assert "Tableau de test" in page and "Fin du rapport de test" in page
        assert f'&quot;commune&quot;: &quot;{code}&quot;' in page or f'"commune": "{code}"' in page
        assert "CODE-MARKER" not in page and "import matplotlib" not in page  # no code input
        assert "In&nbsp;[" not in page and 'class="jp-InputPrompt' not in page
        assert 'class="jp-OutputPrompt' not in page
        # the parameters and injected-parameters cells are for analysts: not in the page
        assert page.count("jp-CodeCell jp-Notebook-cell") == page.count("jp-mod-noInput") == 5
        nb = nbformat.read(str(tmp_path / "out" / result["ipynb"]), as_version=4)
        assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)


def test_failing_run_others_complete_then_resume(tmp_path):
    data = make_data(tmp_path / "data")
    out = tmp_path / "out"
    (data / "fail.txt").write_text("62003")
    summary = _batch(data, out, jobs=4)  # 7 runs, 4 kernels starting together
    assert summary.exit_code == 1 and summary.ok == 5 and summary.failed == 2
    statuses = _statuses(out)
    assert len(statuses) == 7 and statuses["62003/alpha"] == statuses["62003/fiche"] == "failed"
    record = mf.load(out)["runs"]["62003/alpha"]
    assert record["error"] == "ValueError: commune refusée par le test : 62003"
    assert record["html"] is None and not (out / "62003" / "alpha.html").exists()
    assert (out / "62003" / "alpha.ipynb").exists()  # executed notebook kept for diagnosis
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "commune refusée par le test" in index and 'href="62003/alpha.html"' not in index
    before = mf.load(out)["runs"]

    (data / "fail.txt").unlink()
    summary = _batch(data, out, resume=True)
    assert summary.exit_code == 0 and summary.skipped == 5 and summary.ok == 7
    after = mf.load(out)["runs"]
    assert after["62003/alpha"]["status"] == "ok" and after["62003/alpha"]["attempts"] == 2
    for run_id, record in before.items():
        if not run_id.startswith("62003/"):
            assert after[run_id]["started"] == record["started"]  # not re-run
    assert 'href="62003/alpha.html"' in (out / "index.html").read_text(encoding="utf-8")
    _assert_outputs_whole(out)


def test_kernel_death_and_hang_do_not_stop_the_batch(tmp_path):
    data = make_data(tmp_path / "data")
    out = tmp_path / "out"
    (data / "exit.txt").write_text("62001")
    (data / "hang.txt").write_text("62002")
    t0 = time.monotonic()
    # the timeout covers a kernel start and the first imports of a worker, slower under load
    summary = _batch(data, out, themes=["fiche"], timeout=12)
    assert time.monotonic() - t0 < 70
    statuses = _statuses(out)
    assert statuses == {"62001/fiche": "failed", "62002/fiche": "timeout", "62003/fiche": "ok"}
    runs = mf.load(out)["runs"]
    assert "DeadKernelError" in runs["62001/fiche"]["error"]
    assert runs["62002/fiche"]["error"].startswith("Délai dépassé (12 s)")
    assert summary.exit_code == 1
    _assert_outputs_whole(out)


def test_worker_past_its_deadline_is_killed_and_replaced(tmp_path):
    from cdv_lib.batch.pool import run_local

    data = make_data(tmp_path / "data")
    (data / "hang.txt").write_text("62001")
    # the worker's own watchdog would fire at 30 s: the pool kills the worker at 3 s
    hang = RunSpec(commune="62001", commune_name="A", theme="alpha", theme_label="Alpha",
                   notebook=str(REPORT), out_dir=str(tmp_path / "out"),
                   parameters={"commune": "62001", "data_dir": str(data)}, timeout=30)
    ok = _spec(tmp_path / "out", "62003", data_dir=str(data))
    t0 = time.monotonic()
    results = {r["run_id"]: r for r in run_local([hang, ok], jobs=1, grace=-27)}
    assert time.monotonic() - t0 < 40
    assert results["62001/alpha"]["status"] == "timeout"
    assert "arrêté de force" in results["62001/alpha"]["error"]
    assert results["62003/alpha"]["status"] == "ok"  # ran on a fresh worker


_SCRIPT = """
import sys
sys.path.insert(0, {fixtures!r})
from batch_fixtures import REGISTRY
from cdv_lib.batch.orchestrator import run_batch
run_batch(data={data!r}, out_dir={out!r}, registry=REGISTRY, jobs=2, excel=False, quiet=True)
"""


def test_sigkill_of_the_whole_batch_then_resume(tmp_path):
    data = make_data(tmp_path / "data")
    out = tmp_path / "out"
    (data / "slow.txt").write_text("1.5")
    script = _SCRIPT.format(fixtures=str(FIXTURE_DIR), data=str(data), out=str(out))
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    descendants: set[int] = set()
    try:
        deadline = time.monotonic() + 90
        while len(list(out.rglob("*.html"))) < 3 and time.monotonic() < deadline:
            try:
                descendants |= {p.pid for p in psutil.Process(proc.pid).children(recursive=True)}
            except psutil.Error:
                pass
            time.sleep(0.1)
        assert proc.poll() is None, "le batch s'est terminé avant d'être tué"
        descendants |= {p.pid for p in psutil.Process(proc.pid).children(recursive=True)}
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
        time.sleep(1)
        for pid in descendants:  # our own orphans only, by pid
            try:
                psutil.Process(pid).kill()
            except psutil.Error:
                pass
    statuses = _statuses(out)
    assert "ok" in statuses.values() and set(statuses.values()) != {"ok"}
    (data / "slow.txt").unlink()
    summary = _batch(data, out, resume=True)
    assert summary.exit_code == 0 and summary.ok == 7 and summary.skipped >= 1
    assert set(_statuses(out).values()) == {"ok"}
    _assert_outputs_whole(out)
    assert len(list(out.rglob("*.html"))) == 8  # 7 reports + index


def test_dask_local_cluster_gives_the_same_outputs(tmp_path):
    pytest.importorskip("distributed")
    data = make_data(tmp_path / "data")
    local, dask = tmp_path / "local", tmp_path / "dask"
    assert _batch(data, local, communes=["62001", "62002"], themes=["alpha"]).exit_code == 0
    summary = _batch(data, dask, communes=["62001", "62002"], themes=["alpha"], dask=True)
    assert summary.exit_code == 0
    files = sorted(str(p.relative_to(local)) for p in local.rglob("*") if p.is_file())
    assert files == sorted(str(p.relative_to(dask)) for p in dask.rglob("*") if p.is_file())
    for rel in ("62001/alpha.html", "62002/alpha.html"):
        assert (local / rel).read_text(encoding="utf-8") == (dask / rel).read_text(encoding="utf-8")
    assert _statuses(local) == _statuses(dask)
