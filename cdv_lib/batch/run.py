"""One run of the batch, executed in a worker process (local pool or Dask worker):
papermill execution of a report notebook, then HTML export without code, both files written
whole or not at all.

:func:`execute_run` is a plain importable function of a picklable :class:`RunSpec`;
heavy modules are imported once per worker process, and the HTML exporter is built once.
"""

from __future__ import annotations

import copy
import functools
import logging
import os
import shutil
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import psutil

from cdv_lib.batch import atomic
from cdv_lib.batch.plan import RunSpec

OK, FAILED, TIMEOUT, KILLED, MISSING = "ok", "failed", "timeout", "killed", "missing"
PENDING, RUNNING = "pending", "running"

START_ATTEMPTS = 3  # kernel start failures (port collision, slow machine) are retried
START_BACKOFF = 0.5  # seconds, doubled at each attempt
START_TIMEOUT = 60


def now_iso() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


def warm_up() -> None:
    """Import what runs need, build the HTML exporter: paid once per worker process."""
    import nbformat  # noqa: F401
    import papermill  # noqa: F401
    from jupyter_client.manager import AsyncKernelManager  # noqa: F401

    html_exporter()


@functools.cache
def html_exporter():
    """nbconvert HTML exporter without code: no input cells, no prompts. Image outputs
    (matplotlib inline PNG) are embedded in the page as data URIs."""
    from nbconvert import HTMLExporter

    return HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                        exclude_output_prompt=True)


@functools.lru_cache(maxsize=32)
def _load_notebook(path: str, mtime_ns: int):
    import nbformat

    return nbformat.read(path, as_version=4)


def load_notebook(path: str | os.PathLike):
    """The notebook at *path* (parsed once per worker while unchanged); a private copy."""
    path = str(path)
    return copy.deepcopy(_load_notebook(path, os.stat(path).st_mtime_ns))


def export_html(nb, title: str) -> str:
    """HTML page of an executed notebook, without code, titled *title*, in French.

    The same notebook and parameters give the same page (papermill's random id of the
    injected cell is replaced), so that two batches can be compared file by file."""
    for cell in nb.cells:
        if "injected-parameters" in (cell.metadata.get("tags") or []):
            cell["id"] = "injected-parameters"
    body, _resources = html_exporter().from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body.replace('<html lang="en">', '<html lang="fr">', 1)


def error_summary(exc: BaseException) -> str:
    """``ExceptionName: first line of the message`` — never a traceback."""
    name = getattr(exc, "ename", None) or type(exc).__name__
    value = getattr(exc, "evalue", None)
    if value is None:
        value = str(exc)
    lines = [line.strip() for line in str(value).splitlines() if line.strip()]
    text = f"{name}: {lines[0]}" if lines else str(name)
    return text if len(text) <= 300 else text[:299] + "…"


def _kernel_manager_class(conn_dir: str, holder: list):
    """A kernel manager class whose kernels talk over Unix sockets in *conn_dir*: no TCP port
    to pick, so kernels started together cannot collide. Created managers go to *holder*."""
    from jupyter_client.manager import AsyncKernelManager

    class RunKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("connection_file",
                              os.path.join(conn_dir, f"k{len(holder)}.json"))
            super().__init__(**kwargs)
            holder.append(self)

    return RunKernelManager


def _kill_tree(pid: int | None) -> None:
    if not pid:
        return
    try:
        proc = psutil.Process(pid)
        procs = proc.children(recursive=True) + [proc]
    except psutil.Error:
        return
    for p in procs:
        try:
            p.kill()
        except psutil.Error:
            pass


def _kernel_pid(km) -> int | None:
    provisioner = getattr(km, "provisioner", None)
    pid = getattr(provisioner, "pid", None)
    if pid is None:
        process = getattr(provisioner, "process", None)
        pid = getattr(process, "pid", None)
    return pid


def _cells_started(path: Path) -> bool:
    import nbformat

    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception:
        return False
    return any((c.metadata.get("papermill") or {}).get("start_time") for c in nb.cells)


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def execute_run(spec: RunSpec) -> dict:
    """Execute one report notebook and export it.

    Writes ``<out_dir>/<folder>/<theme>.ipynb`` (the executed notebook, also when the run
    fails, for diagnosis) and, when it succeeds, ``<theme>.html``; each through a temporary
    file then ``os.replace``. A failed run removes a stale HTML of an earlier run.

    Returns
    -------
    dict: ``run_id``, ``status`` (``ok``, ``failed``, ``timeout``), ``error`` (summary or
    ``None``), ``started``, ``finished`` (ISO timestamps), ``duration`` (s), ``html``,
    ``ipynb`` (relative to ``out_dir``, ``None`` when not written), ``attempts``, ``pid``.
    """
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    # parameters are checked against the notebook by cdv_lib.params before the batch;
    # papermill's own check misses annotated parameters like `commune: str | None = None`
    logging.getLogger("papermill").setLevel(logging.ERROR)
    started, t0 = now_iso(), time.monotonic()
    out_dir = Path(spec.out_dir)
    html_path, nb_path = out_dir / spec.html, out_dir / spec.ipynb
    nb_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_nb = atomic.tmp_path(nb_path)
    status, error, attempts = OK, None, 0
    executed = None
    timed_out = threading.Event()

    while True:
        attempts += 1
        conn_dir = tempfile.mkdtemp(prefix="cdvk-")
        holder: list = []

        def on_timeout() -> None:
            timed_out.set()
            for km in holder:
                _kill_tree(_kernel_pid(km))

        remaining = None if spec.timeout is None else max(1.0, spec.timeout - (time.monotonic() - t0))
        watchdog = threading.Timer(remaining, on_timeout) if remaining is not None else None
        if watchdog is not None:
            watchdog.daemon = True
            watchdog.start()
        try:
            nb = load_notebook(spec.notebook)
            executed = pm.execute_notebook(
                nb, str(tmp_nb), parameters=dict(spec.parameters),
                kernel_name=(nb.metadata.get("kernelspec") or {}).get("name"),
                progress_bar=False, log_output=False, start_timeout=START_TIMEOUT,
                execution_timeout=spec.timeout,
                kernel_manager_class=_kernel_manager_class(conn_dir, holder),
                resources={"metadata": {"path": str(Path(spec.notebook).parent)}},
                shutdown_kernel="immediate",  # outputs are all in: no graceful wait
            )
            status, error = OK, None
        except PapermillExecutionError as exc:
            status, error = FAILED, error_summary(exc)
        except (CellTimeoutError, TimeoutError, DeadKernelError, RuntimeError, OSError) as exc:
            if timed_out.is_set() or isinstance(exc, CellTimeoutError):
                status, error = TIMEOUT, f"Délai dépassé ({spec.timeout:g} s)"
            elif isinstance(exc, DeadKernelError) and _cells_started(tmp_nb):
                status, error = FAILED, "Le noyau Python s'est arrêté pendant l'exécution (DeadKernelError)"
            elif attempts < START_ATTEMPTS and not _cells_started(tmp_nb):
                time.sleep(START_BACKOFF * 2 ** (attempts - 1))
                continue
            else:
                status, error = FAILED, error_summary(exc)
        except Exception as exc:  # a run never takes the batch down
            status, error = FAILED, error_summary(exc)
        finally:
            if watchdog is not None:
                watchdog.cancel()
            for km in holder:
                if km.has_kernel:
                    _kill_tree(_kernel_pid(km))
            shutil.rmtree(conn_dir, ignore_errors=True)
        break

    html_rel = nb_rel = None
    try:
        if status == OK:
            atomic.write_text(html_path, export_html(executed, spec.title))
            html_rel = spec.html
        else:
            _unlink(html_path)
        if tmp_nb.exists():
            atomic.commit(tmp_nb, nb_path)
            nb_rel = spec.ipynb
        else:
            _unlink(nb_path)
    except Exception as exc:
        status, error = FAILED, "Export : " + error_summary(exc)
        _unlink(html_path)
        html_rel = None
    finally:
        _unlink(tmp_nb)
    return {
        "run_id": spec.run_id, "status": status, "error": error,
        "started": started, "finished": now_iso(),
        "duration": round(time.monotonic() - t0, 3),
        "html": html_rel, "ipynb": nb_rel, "attempts": attempts, "pid": os.getpid(),
    }
