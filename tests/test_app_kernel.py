"""What makes an app session's kernel light: the checked dataset handed over by the server
(no reading, typing or pandera in the kernel) and IPython's kernel without its debugger."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import jupyter_client
import pytest
from jupyter_client.kernelspec import KernelSpecManager

from cdv_lib import dataset as dataset_mod
from cdv_lib.dataset import SNAPSHOT_ENV, load_dataset, write_snapshot
from cdv_lib.paths import DATA_DIR, PROJ_ROOT
from cdv_lib.serve import ServeConfig, start, stop, voila_env

PROBE = """
import json, sys
from cdv_lib.dataset import load_dataset
ds = load_dataset({path!r})
print(json.dumps({{"pandera": "pandera" in sys.modules, "rows": len(ds.programmation),
                   "montant": float(ds.programmation["montant_accorde"].sum())}}))
"""


def _probe(data, snapshot):
    env = {**os.environ, "PYTHONPATH": str(PROJ_ROOT)}
    env.pop(SNAPSHOT_ENV, None)
    if snapshot:
        env[SNAPSHOT_ENV] = str(snapshot)
    proc = subprocess.run([sys.executable, "-c", PROBE.format(path=str(data))],
                          capture_output=True, text=True, env=env, timeout=120, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture
def data_copy(tmp_path):
    target = tmp_path / "donnees"
    shutil.copytree(DATA_DIR, target)
    return target


def test_a_kernel_gets_the_checked_dataset_without_pandera(data_copy, tmp_path):
    snapshot = write_snapshot(tmp_path / "snap.pickle", data_copy)
    assert snapshot is not None and snapshot.exists()
    direct = _probe(data_copy, None)
    handed = _probe(data_copy, snapshot)
    assert direct["pandera"] is True
    assert handed["pandera"] is False
    assert handed["rows"] == direct["rows"] and handed["montant"] == direct["montant"]
    assert not list(tmp_path.glob("*.tmp*"))


def test_a_changed_file_is_read_again_not_taken_from_the_snapshot(data_copy, tmp_path):
    snapshot = write_snapshot(tmp_path / "snap.pickle", data_copy)
    before = _probe(data_copy, snapshot)
    path = data_copy / "programmation.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")  # one action fewer
    time.sleep(0.01)
    after = _probe(data_copy, snapshot)
    assert after["pandera"] is True  # read and checked again
    assert after["rows"] == before["rows"] - 1


def test_invalid_data_gives_no_snapshot(data_copy, tmp_path):
    (data_copy / "communes.csv").write_text("pas,un,fichier\n1,2,3\n", encoding="utf-8")
    assert write_snapshot(tmp_path / "snap.pickle", data_copy) is None
    assert not (tmp_path / "snap.pickle").exists()


def test_a_snapshot_of_another_folder_is_ignored(data_copy, tmp_path, monkeypatch):
    snapshot = write_snapshot(tmp_path / "snap.pickle", DATA_DIR)
    monkeypatch.setenv(SNAPSHOT_ENV, str(snapshot))
    dataset_mod.clear_cache()
    assert dataset_mod._read_snapshot(
        (str(data_copy.resolve()), dataset_mod._fingerprint(data_copy))) is None
    assert load_dataset(data_copy).data_dir == data_copy


def test_serve_hands_a_snapshot_to_voila_and_removes_it(data_copy, tmp_path):
    config = ServeConfig(data_dir=data_copy, port=1, preheat=False,
                         extra_args=("--help",))  # Voilà prints its help and exits
    process = start(config, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    folder = process.cdv_snapshot_dir
    assert (folder / "donnees.pickle").exists()
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    process.wait(timeout=120)
    stop(process)
    assert not folder.exists()


def test_app_kernels_run_without_the_debugger():
    env = voila_env(ServeConfig())
    ksm = KernelSpecManager()
    ksm.kernel_dirs = [os.path.join(p, "kernels")
                       for p in env["JUPYTER_PATH"].split(os.pathsep)] + ksm.kernel_dirs
    spec = ksm.get_kernel_spec("python3")
    assert spec.argv[:3] == ["python", "-m", "cdv_lib.app_kernel"]
    km = jupyter_client.KernelManager(kernel_name="python3", kernel_spec_manager=ksm)
    km.start_kernel(env={**os.environ, "PYTHONPATH": str(PROJ_ROOT)})
    try:
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        out = []
        kc.execute_interactive(
            "import sys; print(sys.modules.get('debugpy') is None, 1 + 1)",
            output_hook=lambda m: out.append(m["content"].get("text", "")), timeout=60)
        assert "".join(out).split() == ["True", "2"]
        kc.stop_channels()
    finally:
        km.shutdown_kernel(now=True)
