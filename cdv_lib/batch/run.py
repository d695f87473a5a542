"""One run of the batch, executed in a worker process (local pool or Dask worker):
papermill execution of a report notebook, then HTML export without code, both files written
whole or not at all.

:func:`execute_run` is a plain importable function of a picklable :class:`RunSpec`;
heavy modules are imported once per worker process, the HTML exporter is built once, and
the kernel is kept from one run to the next and reset in between (:mod:`cdv_lib.batch.kernel`)
unless the spec asks for a fresh kernel.
"""

from __future__ import annotations

import copy
import functools
import logging
import os
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from cdv_lib import atomic
from cdv_lib.batch import kernel
from cdv_lib.batch.plan import RunSpec

OK, FAILED, TIMEOUT, KILLED, MISSING = "ok", "failed", "timeout", "killed", "missing"
PENDING, RUNNING = "pending", "running"

START_ATTEMPTS = 3  # kernel start failures (slow machine) are retried
START_BACKOFF = 0.5  # seconds, doubled at each attempt
START_TIMEOUT = kernel.START_TIMEOUT


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
    """nbconvert HTML exporter of the reports (:mod:`cdv_lib.report_export`): the
    ``cdv_report`` template in French, no code, no prompts, parameter cells and cells tagged
    ``remove_cell`` dropped, shared stylesheet, title block and table of contents. Image
    outputs (matplotlib inline PNG) are embedded in the page as data URIs."""
    from cdv_lib.report_export import report_exporter

    return report_exporter()


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
    ``ipynb`` (relative to ``out_dir``, ``None`` when not written), ``attempts``, ``pid``,
    ``reads`` (what the report read, see :func:`cdv_lib.batch.reads.collect`; ``None``
    unless ``ok``).
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
    executed = reads = None
    timed_out = threading.Event()

    cwd = str(Path(spec.notebook).resolve().parent)
    while True:
        attempts += 1
        current: list = []

        def on_timeout() -> None:
            timed_out.set()
            kernel.kill_current()  # also when the timeout falls during the kernel's reset

        remaining = None if spec.timeout is None else max(1.0, spec.timeout - (time.monotonic() - t0))
        watchdog = threading.Timer(remaining, on_timeout) if remaining is not None else None
        if watchdog is not None:
            watchdog.daemon = True
            watchdog.start()
        keep = False
        try:
            nb = load_notebook(spec.notebook)
            kernel_name = (nb.metadata.get("kernelspec") or {}).get("name")
            k = kernel.acquire(kernel_name, cwd, spec.parameters.get("data_dir"))
            current.append(k)  # from here on, a failure is the report's, not a start-up's
            executed = pm.execute_notebook(
                nb, str(tmp_nb), parameters=dict(spec.parameters),
                kernel_name=kernel_name, progress_bar=False, log_output=False,
                start_timeout=START_TIMEOUT, execution_timeout=spec.timeout,
                km=k.km, resources={"metadata": {"path": cwd}},
                # written once at the end (with the error cell when one fails): saving after
                # every cell cost a sixth of a report's time
                request_save_on_cell_execute=False,
            )
            status, error, keep = OK, None, True
            reads = _collect_reads(k)
        except PapermillExecutionError as exc:
            status, error, keep = FAILED, error_summary(exc), not timed_out.is_set()
        except (CellTimeoutError, TimeoutError, DeadKernelError, RuntimeError, OSError) as exc:
            if timed_out.is_set() or isinstance(exc, CellTimeoutError):
                status, error = TIMEOUT, f"Délai dépassé ({spec.timeout:g} s)"
            elif isinstance(exc, DeadKernelError) and current:
                status, error = FAILED, "Le noyau Python s'est arrêté pendant l'exécution (DeadKernelError)"
            elif attempts < START_ATTEMPTS and not current:
                kernel.discard()
                time.sleep(START_BACKOFF * 2 ** (attempts - 1))
                continue
            else:
                status, error = FAILED, error_summary(exc)
        except Exception as exc:  # a run never takes the batch down
            status, error = FAILED, error_summary(exc)
        finally:
            if watchdog is not None:
                watchdog.cancel()
            for k in current:
                k.release_clients()
        if not (keep and spec.reuse_kernel):
            kernel.discard()  # dead, hung, or not to be reused: the next run starts a new one
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
        "reads": reads if status == OK else None,
    }


def _collect_reads(k) -> dict | None:
    """What the report just run in kernel *k* read (:mod:`cdv_lib.batch.reads`); ``None``
    when the kernel cannot tell (the report is then never reused)."""
    from cdv_lib.batch import reads

    try:
        return reads.parse(k.evaluate(
            "__import__('cdv_lib.batch.reads', fromlist=['collect_json']).collect_json()"))
    except Exception:
        return None
