"""``cdv lab`` without starting a server: kernel registration, command line, CLI checks.
(The real JupyterLab is started in tests/test_lab_browser.py.)"""

import json
import socket

from cdv_lib import cli
from cdv_lib.lab import KERNEL_DISPLAY_NAME, KERNEL_NAME, LabConfig, new_token, port_is_free, project_env, register_kernel
from cdv_lib.paths import NOTEBOOKS_DIR, PROJ_ROOT


def test_register_kernel_for_the_user_without_root(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    path = register_kernel()
    assert path == tmp_path / "data" / "kernels" / KERNEL_NAME
    spec = json.loads((path / "kernel.json").read_text(encoding="utf-8"))
    assert spec["display_name"] == KERNEL_DISPLAY_NAME == "Atelier Contrat de Ville (Python)"
    assert spec["env"]["PYTHONPATH"] == str(PROJ_ROOT)
    assert register_kernel() == path  # idempotent


def test_command_line_local_with_token():
    config = LabConfig(port=18999, token="abc")
    argv = config.argv("python")
    assert argv[:3] == ["python", "-m", "jupyterlab"]
    assert "--ServerApp.ip=127.0.0.1" in argv and "--ServerApp.port=18999" in argv
    assert "--IdentityProvider.token=abc" in argv
    assert f"--ServerApp.root_dir={NOTEBOOKS_DIR}" in argv
    assert "--ServerApp.open_browser=False" in argv
    assert f"--MappingKernelManager.default_kernel_name={KERNEL_NAME}" in argv
    assert config.url() == "http://127.0.0.1:18999/lab?token=abc"
    assert len(new_token()) >= 32 and new_token() != new_token()


def test_project_env():
    env = project_env({"PYTHONPATH": "/autre"}, data_dir="/tmp")
    assert env["PYTHONPATH"].split(":")[:2] == [str(PROJ_ROOT), "/autre"]
    assert env["CDV_DATA_DIR"] == "/tmp"


def test_cli_refuses_a_busy_port_and_a_missing_folder(capsys, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert not port_is_free("127.0.0.1", port)
        assert cli.main(["lab", "--port", str(port)]) == 2
    assert "déjà utilisé" in capsys.readouterr().err
    assert cli.main(["lab", "--data", str(tmp_path / "absent")]) == 2
    assert "introuvable" in capsys.readouterr().err
    assert cli.main(["lab", "--port", "0"]) == 2
