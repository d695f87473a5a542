"""JupyterLab for analysts (``cdv lab``): the project's kernel registered under a clear
name, JupyterLab on ``notebooks/``, on 127.0.0.1, behind a token.

The kernel is registered for the current user (``jupyter_data_dir()/kernels``, which
honours ``$JUPYTER_DATA_DIR``): no root needed. Its ``PYTHONPATH`` starts with the project
root, so that its notebooks import the same ``cdv_lib`` as the ``cdv`` command.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from cdv_lib.paths import NOTEBOOKS_DIR, PROJ_ROOT

KERNEL_NAME = "cdv-workbench"
KERNEL_DISPLAY_NAME = "Atelier Contrat de Ville (Python)"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8888


def project_env(base: dict[str, str] | None = None, *, data_dir: str | os.PathLike | None = None,
                ) -> dict[str, str]:
    """Environment of the lab and its kernels: the project root first on ``PYTHONPATH``,
    ``CDV_DATA_DIR`` when *data_dir* is given."""
    env = dict(os.environ if base is None else base)
    root = str(PROJ_ROOT)
    parts = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join([root, *[p for p in parts if p != root]])
    if data_dir is not None:
        env["CDV_DATA_DIR"] = str(Path(data_dir).expanduser().resolve())
    # the analyst's kernels draw inline: an off-screen backend inherited from the caller
    # (a batch, a document build) would show figures as text
    env.pop("MPLBACKEND", None)
    return env


def register_kernel(*, python: str | None = None) -> Path:
    """Register the kernel ``cdv-workbench`` (« Atelier Contrat de Ville (Python) ») for
    the current user and return its folder. Idempotent: an earlier registration is
    replaced."""
    from ipykernel.kernelspec import install

    path = install(user=True, kernel_name=KERNEL_NAME, display_name=KERNEL_DISPLAY_NAME,
                   env={"PYTHONPATH": str(PROJ_ROOT)})
    if python is not None:  # another interpreter than this one (tests, other venv)
        import json

        spec = Path(path) / "kernel.json"
        data = json.loads(spec.read_text(encoding="utf-8"))
        data["argv"][0] = python
        spec.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    return Path(path)


@dataclass(frozen=True)
class LabConfig:
    """How to start JupyterLab."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    token: str = ""
    root_dir: Path = NOTEBOOKS_DIR
    open_browser: bool = False
    data_dir: Path | None = None
    log_level: str = "WARN"

    def url(self, path: str = "lab") -> str:
        return f"http://{self.host}:{self.port}/{path}?token={self.token}"

    def argv(self, python: str | None = None) -> list[str]:
        """Command line of the JupyterLab server (never any request to the internet: no
        news, no update check, read-only extension manager)."""
        # containers often run as root; JupyterLab refuses it unless told
        root = ["--ServerApp.allow_root=True"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        return [
            python or sys.executable, "-m", "jupyterlab",
            f"--ServerApp.ip={self.host}",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
            f"--ServerApp.open_browser={self.open_browser}",
            f"--MappingKernelManager.default_kernel_name={KERNEL_NAME}",
            f"--ServerApp.log_level={self.log_level}",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            *root,
        ]


def new_token() -> str:
    """A random token for the server (URL-safe)."""
    return secrets.token_urlsafe(24)


def start(config: LabConfig, *, python: str | None = None, env: dict[str, str] | None = None,
          stdout=None, stderr=None) -> subprocess.Popen:
    """Start JupyterLab in its own process group (stop it with :func:`cdv_lib.serve.stop`)."""
    return subprocess.Popen(
        config.argv(python), cwd=str(config.root_dir),
        env=project_env(env, data_dir=config.data_dir),
        stdout=stdout, stderr=stderr, start_new_session=True,
    )


class LabError(RuntimeError):
    """JupyterLab did not start (message in French)."""


def port_is_free(host: str, port: int) -> bool:
    """Whether *port* can be bound on *host* right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def wait_ready(config: LabConfig, *, timeout: float = 180.0,
               process: subprocess.Popen | None = None) -> None:
    """Wait until the server answers ``/api/status`` with the token.

    Raises :class:`LabError` if *process* exits first or *timeout* seconds pass."""
    deadline = time.monotonic() + timeout
    url = f"http://{config.host}:{config.port}/api/status?token={config.token}"
    last: object = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise LabError(f"JupyterLab s'est arrêté (code {process.returncode}) avant de répondre")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
            last = exc
        time.sleep(0.3)
    raise LabError(f"JupyterLab ne répond pas sur {config.url()} après {timeout:.0f} s ({last})")


def stop(process: subprocess.Popen, *, timeout: float = 10.0) -> int | None:
    """Stop JupyterLab and its kernels (its whole process group)."""
    from cdv_lib.serve import stop as stop_group

    return stop_group(process, timeout=timeout)
