"""The kernel a batch worker keeps between reports: each report starts as in a fresh kernel
(namespace, execution counts, figures, matplotlib settings, warnings, working directory),
a dead kernel is replaced, and ``reuse_kernel=False`` gives every report its own kernel."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from cdv_lib.batch import kernel
from cdv_lib.batch.plan import RunSpec
from cdv_lib.batch.run import execute_run

pytestmark = [pytest.mark.notebooks]

PROBE = """\
import json, os, warnings
import matplotlib
import matplotlib.pyplot as plt
print(json.dumps({
    "pid": os.getpid(),
    "leak": "leak" in globals(),
    "count": get_ipython().execution_count,
    "figures": len(plt.get_fignums()),
    "linewidth": float(matplotlib.rcParams["lines.linewidth"]),
    "cwd": os.getcwd(),
    "filters": len(warnings.filters),
}))
"""

POLLUTE = """\
leak = 1
plt.figure()
matplotlib.rcParams["lines.linewidth"] = 9.0
warnings.filterwarnings("ignore", message="cdv-test")
os.chdir("/")
"""


def _notebook(path: Path, *cells: str) -> Path:
    nb = new_notebook(cells=[new_code_cell("mode = 'probe'", metadata={"tags": ["parameters"]}),
                             *(new_code_cell(c) for c in cells)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


def _spec(notebook: Path, out: Path, name: str, *, reuse: bool = True) -> RunSpec:
    return RunSpec(commune=name, commune_name=name, theme="probe", theme_label="Sonde",
                   notebook=str(notebook), out_dir=str(out), parameters={"mode": name},
                   timeout=60, reuse_kernel=reuse)


def _probe(out: Path, result: dict) -> dict:
    assert result["status"] == "ok", result
    nb = nbformat.read(str(out / result["ipynb"]), as_version=4)
    texts = [o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    return json.loads([t for t in texts if t.startswith("{")][0])


@pytest.fixture(autouse=True)
def _no_kernel_left():
    kernel.discard()
    yield
    kernel.discard()


def test_second_report_sees_a_fresh_kernel_in_the_same_process(tmp_path):
    folder = tmp_path / "nb"
    folder.mkdir()
    polluter = _notebook(folder / "pollue.ipynb", PROBE, POLLUTE)
    probe = _notebook(folder / "sonde.ipynb", PROBE)
    out = tmp_path / "out"
    first = _probe(out, execute_run(_spec(polluter, out, "a")))
    second = _probe(out, execute_run(_spec(probe, out, "b")))
    assert second["pid"] == first["pid"]  # the same kernel was reused...
    assert second == {**first, "pid": first["pid"]}  # ...and looks freshly started
    assert not second["leak"] and second["figures"] == 0
    assert second["cwd"] == str(folder.resolve())
    counts = [c.execution_count for c in nbformat.read(str(out / "b" / "probe.ipynb"), 4).cells]
    assert counts == [1, 2, 3]  # parameters, injected parameters, probe: counts start again


def test_a_dead_kernel_is_replaced_for_the_next_report(tmp_path):
    folder = tmp_path / "nb"
    folder.mkdir()
    killer = _notebook(folder / "tue.ipynb", "import os\nos._exit(3)")
    probe = _notebook(folder / "sonde.ipynb", PROBE)
    out = tmp_path / "out"
    before = _probe(out, execute_run(_spec(probe, out, "a")))
    dead = execute_run(_spec(killer, out, "b"))
    assert dead["status"] == "failed" and "DeadKernelError" in dead["error"]
    after = _probe(out, execute_run(_spec(probe, out, "c")))
    assert after["pid"] != before["pid"] and not after["leak"]


def test_fresh_kernels_when_reuse_is_off(tmp_path):
    folder = tmp_path / "nb"
    folder.mkdir()
    probe = _notebook(folder / "sonde.ipynb", PROBE)
    out = tmp_path / "out"
    first = _probe(out, execute_run(_spec(probe, out, "a", reuse=False)))
    second = _probe(out, execute_run(_spec(probe, out, "b", reuse=False)))
    assert first["pid"] != second["pid"]


def test_kernel_is_replaced_after_max_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(kernel, "MAX_RUNS", 2)
    folder = tmp_path / "nb"
    folder.mkdir()
    probe = _notebook(folder / "sonde.ipynb", PROBE)
    out = tmp_path / "out"
    pids = [_probe(out, execute_run(_spec(probe, out, name)))["pid"] for name in "abc"]
    assert pids[0] == pids[1] != pids[2]
