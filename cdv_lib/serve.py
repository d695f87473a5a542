"""Serving the Voilà app for elected officials: the voila command, its environment, and
starting / waiting for / stopping the server.

Voilà runs as a separate process (``python -m cdv_lib.app.voila_main``: Voilà plus a
guard against a lost zmq wake-up, see :mod:`cdv_lib.app.voila_main`) so that ``cdv serve``
and the tests drive exactly the same server and can stop it with its kernels (process group).

What the server exposes, and why:

- single-notebook mode (``notebooks/apps/tableau_de_bord.ipynb``): no tree page, no
  ``/voila/render/``, no contents API; any other path is redirected to ``/voila/files/``;
- ``/voila/files/`` serves from the app folder only files matching :data:`FILE_ALLOWLIST`
  (images) and none matching :data:`FILE_DENYLIST` (data, notebooks, code, configuration,
  hidden files, ``..``): Voilà checks every path against both lists (``re.fullmatch``);
- sources stripped, tracebacks hidden, template and theme not overridable from the URL;
- preheated kernels (``preheat_kernel``) with the data directory in their environment
  (``CDV_DATA_DIR``, read by :func:`cdv_lib.paths.data_dir`), so the app never depends on
  the kernel's working directory; a pool of :data:`DEFAULT_POOL_SIZE` so that the next
  visitor finds a ready kernel while the used one is replaced. The replacement starts after
  Voilà's one-second ``fill_delay``, kept on purpose: started at once, it competes for the
  CPU with the page being loaded (measured: +0,25 s until the app is usable, 2 cores);
- kernels left behind (a page closed without Voilà's shutdown request, a request that
  never connected) are culled after :attr:`ServeConfig.cull_idle_seconds` idle and
  unconnected; kernels with an open page and pool kernels are never culled;
- the ``cdv`` template (:data:`TEMPLATE_ROOT`): Voilà's lab template, plus the app's first
  view (title and key figures) written into the page as HTML, readable before Voilà's
  scripts and the widgets are ready (see :mod:`cdv_lib.app.html`).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from cdv_lib import paths

APP_NOTEBOOK = paths.APPS_DIR / "tableau_de_bord.ipynb"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8866
DEFAULT_POOL_SIZE = 2
DEFAULT_CULL_IDLE_SECONDS = 600
DEFAULT_CULL_INTERVAL_SECONDS = 60
#: Seconds Voilà waits before refilling its pool after sessions took kernels from it. When
#: officials open the app together, each takes a preheated kernel; Voilà's default (1 s)
#: then starts as many kernels at once while the sessions are still connecting, and the
#: start-ups take the cores (measured: the twentieth session usable after 8 to 23 s). Later,
#: the sessions are connected and showing their key figures before the refill begins.
DEFAULT_REFILL_DELAY_SECONDS = 10.0
DATA_DIR_ENV = "CDV_DATA_DIR"

#: Runs Voilà with a guard against a lost zmq wake-up that left pages on "Running …"
#: for ever under load (see :mod:`cdv_lib.app.voila_main`); same arguments as ``-m voila``.
VOILA_MODULE = "cdv_lib.app.voila_main"

#: Jupyter data folder holding the ``voila/templates/cdv`` template (put on JUPYTER_PATH).
TEMPLATE_ROOT = Path(__file__).resolve().parent / "app" / "share"
TEMPLATE = "cdv"

IMAGE_EXTENSIONS = ("png", "jpg", "jpeg", "gif", "svg", "webp")

# Word-character segments joined by "/" or "." (so no hidden file, no "..", no empty
# segment) ending with an image extension. Voilà matches these patterns with re.fullmatch
# and re.IGNORECASE against the URL-decoded path below the app folder. No pattern starts
# with "(" or "[": traitlets would try to read it as a Python literal.
FILE_ALLOWLIST: tuple[str, ...] = (
    r"[\w\-]+(?:[/.][\w\-]+)*\.(?:" + "|".join(IMAGE_EXTENSIONS) + ")",
)

# Defence in depth: refused even if an allowlist rule were widened later.
FILE_DENYLIST: tuple[str, ...] = (
    r"\..*|.*/\..*",  # hidden files and folders (.git, .env, .ipynb_checkpoints)
    r".*\.\..*",  # any "..", traversal included
    r".*[\\:].*",  # Windows separators and drive letters
    r".*\.(?:ipynb|py|pyc|pyi|pyw|csv|tsv|txt|xlsx|xlsm|xls|ods|yaml|yml|toml|json|ini|cfg"
    r"|conf|env|md|rst|html?|sh|log|db|sqlite|parquet|feather|pkl|pickle|zip|gz)",
)


@dataclass(frozen=True)
class ServeConfig:
    """How to serve the app.

    Attributes
    ----------
    host, port : address the server listens on (loopback by default).
    token : access token required by the server; ``None`` or empty for none.
    data_dir : data directory given to the app (``None``: :func:`cdv_lib.paths.data_dir`).
    notebook : the app notebook; its folder is the only one ``/voila/files/`` serves from.
    preheat : keep kernels started with the notebook already executed.
    pool_size : number of preheated kernels kept ready (refilled at once when one is used).
    cull_idle_seconds : a kernel idle and without any open page for that long is stopped
        (pool kernels excepted); 0 never culls.
    refill_delay_seconds : wait before refilling the pool after kernels were taken from it
        (:data:`DEFAULT_REFILL_DELAY_SECONDS`).
    template : Voilà template (``cdv``: Voilà's ``lab`` plus the app's first view).
    log_level : Voilà's log level (``WARN`` keeps the console to ``cdv serve``'s messages).
    """

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    token: str | None = None
    data_dir: Path | None = None
    notebook: Path = APP_NOTEBOOK
    preheat: bool = True
    pool_size: int = DEFAULT_POOL_SIZE
    cull_idle_seconds: int = DEFAULT_CULL_IDLE_SECONDS
    refill_delay_seconds: float = DEFAULT_REFILL_DELAY_SECONDS
    template: str = TEMPLATE
    log_level: str = "WARN"
    extra_args: tuple[str, ...] = field(default_factory=tuple)

    def resolved_data_dir(self) -> Path:
        return paths.data_dir(self.data_dir)

    def url(self) -> str:
        """Base URL of the app, with the token if one is required."""
        host = self.host
        if host in ("", "0.0.0.0", "::"):
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        url = f"http://{host}:{self.port}/"
        if self.token:
            url += "?token=" + quote(self.token, safe="")
        return url


def voila_argv(config: ServeConfig, python: str | None = None) -> list[str]:
    """Return the command line that starts Voilà for *config*.

    Every security-relevant option is given explicitly on the command line, which takes
    precedence over any ``voila.json`` / ``jupyter_*_config`` file found on the way.
    """
    notebook = Path(config.notebook).resolve()
    argv = [
        python or sys.executable,
        "-m",
        VOILA_MODULE,
        str(notebook),
        "--no-browser",
        f"--Voila.ip={config.host}",
        f"--port={int(config.port)}",
        "--Voila.port_retries=0",
        f"--Voila.root_dir={notebook.parent}",
        f"--Voila.log_level={config.log_level}",
        f"--token={config.token or ''}",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--VoilaConfiguration.allow_template_override=NO",
        "--VoilaConfiguration.allow_theme_override=NO",
        f"--VoilaConfiguration.template={config.template}",
        f"--preheat_kernel={bool(config.preheat)}",
        f"--pool_size={max(int(config.pool_size), 1) if config.preheat else 0}",
        f"--VoilaKernelManager.fill_delay={max(float(config.refill_delay_seconds), 0.0)}",
        f"--MappingKernelManager.cull_idle_timeout={max(int(config.cull_idle_seconds), 0)}",
        f"--MappingKernelManager.cull_interval={DEFAULT_CULL_INTERVAL_SECONDS}",
        "--MappingKernelManager.cull_connected=False",
        "--MappingKernelManager.cull_busy=False",
    ]
    # one "--Trait item" pair per list item (traitlets 5 container syntax)
    for pattern in FILE_ALLOWLIST:
        argv += ["--VoilaConfiguration.file_allowlist", pattern]
    for pattern in FILE_DENYLIST:
        argv += ["--VoilaConfiguration.file_denylist", pattern]
    argv += list(config.extra_args)
    return argv


def voila_env(config: ServeConfig, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment of the Voilà process, inherited by its kernels (preheated ones too).

    The data directory is always set, resolved to an absolute path, so that a kernel never
    falls back on anything depending on its working directory.
    """
    env = dict(os.environ if base is None else base)
    env[DATA_DIR_ENV] = str(config.resolved_data_dir())
    env.setdefault("MPLBACKEND", "Agg")
    # Voilà looks for templates in the Jupyter data folders: the app's template first.
    jupyter_path = [p for p in env.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    if str(TEMPLATE_ROOT) not in jupyter_path:
        env["JUPYTER_PATH"] = os.pathsep.join([str(TEMPLATE_ROOT), *jupyter_path])
    # Kernels must import this checkout's cdv_lib even when it is not installed.
    root = str(paths.PROJ_ROOT)
    parts = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in parts:
        env["PYTHONPATH"] = os.pathsep.join([root, *parts])
    return env


def start(config: ServeConfig, *, python: str | None = None, stdout=None, stderr=None,
          ) -> subprocess.Popen:
    """Start the Voilà server in its own process group (stopped with :func:`stop`).

    The data are loaded and checked once here and handed to every kernel as a snapshot
    (:func:`cdv_lib.dataset.write_snapshot`, in a private temporary folder removed by
    :func:`stop`); a kernel whose data folder changed since loads it itself."""
    from cdv_lib.dataset import SNAPSHOT_ENV, write_snapshot

    env = voila_env(config)
    snapshot_dir = Path(tempfile.mkdtemp(prefix="cdv-serve-"))  # mode 0700
    snapshot = write_snapshot(snapshot_dir / "donnees.pickle", config.resolved_data_dir())
    if snapshot is not None:
        env[SNAPSHOT_ENV] = str(snapshot)
    try:
        process = subprocess.Popen(
            voila_argv(config, python=python),
            env=env,
            cwd=str(Path(config.notebook).resolve().parent),
            stdout=stdout,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    except BaseException:
        shutil.rmtree(snapshot_dir, ignore_errors=True)
        raise
    process.cdv_snapshot_dir = snapshot_dir
    return process


class ServerError(RuntimeError):
    """The server stopped or did not answer in time."""


def wait_until_ready(url: str, *, timeout: float = 60.0,
                     process: subprocess.Popen | None = None) -> None:
    """Wait until *url* answers an HTTP request (any status below 500).

    Raises :class:`ServerError` if *process* exits first or *timeout* seconds pass.
    """
    deadline = time.monotonic() + timeout
    delay = 0.05
    last: object = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ServerError(
                f"le serveur Voilà s'est arrêté (code {process.returncode}) avant de répondre")
        try:
            with urllib.request.urlopen(_probe_url(url), timeout=2) as response:
                if response.status < 500:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
            last = exc
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
            last = exc
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)
    raise ServerError(f"le serveur Voilà ne répond pas sur {url} après {timeout:.0f} s ({last})")


def _probe_url(url: str) -> str:
    # a static asset: answering it does not start a kernel, unlike the app page
    base = url.split("?", 1)[0].rstrip("/")
    return base + "/voila/static/"


def stop(process: subprocess.Popen, *, timeout: float = 10.0) -> int | None:
    """Stop the server and its kernels: SIGTERM to its process group, SIGKILL if needed;
    remove the data snapshot made by :func:`start`."""
    try:
        return _stop(process, timeout)
    finally:
        snapshot_dir = getattr(process, "cdv_snapshot_dir", None)
        if snapshot_dir is not None:
            shutil.rmtree(snapshot_dir, ignore_errors=True)


def _stop(process: subprocess.Popen, timeout: float) -> int | None:
    if process.poll() is not None:
        return process.returncode
    # Voilà stops its kernels on SIGTERM; kernels left by a SIGKILL exit on their own
    # (they watch their parent's pid).
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, timeout)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            return process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    return process.poll()


def free_port(host: str = DEFAULT_HOST) -> int:
    """Return a TCP port that is free on *host* right now (bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")
