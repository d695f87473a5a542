"""Local pool of worker processes for the batch.

Each worker is a long-lived process (papermill, nbconvert and the HTML exporter loaded once,
one Jupyter kernel kept from one report to the next) that runs
:func:`cdv_lib.batch.run.execute_run` one spec at a time. Processes, not threads:
papermill's working directory and kernel management are process-wide. A worker still busy
past its run's deadline (``timeout`` + ``grace``: the worker's own watchdog failed, e.g. a
hung export) is killed with its kernel and replaced; a worker that dies is replaced too.
The other runs go on.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable
from multiprocessing.connection import wait

from cdv_lib import atomic
from cdv_lib.batch.plan import RunSpec
from cdv_lib.batch.kernel import kill_tree
from cdv_lib.batch.run import KILLED, TIMEOUT, now_iso

GRACE = 15.0  # seconds between a run's own timeout and the hard kill of its worker
STARTUP_LIMIT = 120.0  # seconds for a new worker to import its modules
_READY = "ready"


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when its parent dies (batch killed with SIGKILL)."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _worker_main(conn) -> None:
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is handled by the batch process
    from cdv_lib.batch.kernel import discard
    from cdv_lib.batch.run import execute_run, warm_up

    warm_up()
    conn.send(_READY)
    while True:
        try:
            spec = conn.recv()
        except (EOFError, OSError):
            return
        if spec is None:
            discard()
            return
        conn.send(execute_run(spec))


class _Worker:
    def __init__(self, ctx) -> None:
        parent_conn, child_conn = ctx.Pipe(duplex=True)
        self.conn = parent_conn
        self.process = ctx.Process(target=_worker_main, args=(child_conn,), daemon=True,
                                   name="cdv-batch-worker")
        self.process.start()
        child_conn.close()
        self.ready = False
        self.spec: RunSpec | None = None
        self.started = ""
        self.t0 = self.deadline = 0.0
        self.born = time.monotonic()

    def assign(self, spec: RunSpec, grace: float) -> None:
        self.spec, self.started, self.t0 = spec, now_iso(), time.monotonic()
        self.deadline = (self.t0 + spec.timeout + grace) if spec.timeout is not None else float("inf")
        self.conn.send(spec)

    def kill(self) -> None:
        kill_tree(self.process.pid)
        self.process.join(timeout=10)
        self.conn.close()


def _context():
    ctx = mp.get_context("forkserver")
    with contextlib.suppress(Exception):
        ctx.set_forkserver_preload(["cdv_lib.batch.run", "papermill", "nbconvert"])
    return ctx


def _lost_result(worker: _Worker, status: str, error: str) -> dict:
    spec = worker.spec
    folder = os.path.join(spec.out_dir, spec.folder)
    atomic.clean_stale_tmp(folder)
    for rel in (spec.html, spec.ipynb):  # no stale report from an earlier batch
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(spec.out_dir, rel))
    return {
        "run_id": spec.run_id, "status": status, "error": error,
        "started": worker.started, "finished": now_iso(),
        "duration": round(time.monotonic() - worker.t0, 3), "html": None, "ipynb": None,
        "attempts": 1, "pid": worker.process.pid,
    }


def run_local(specs: Iterable[RunSpec], *, jobs: int,
              on_start: Callable[[RunSpec], None] | None = None,
              on_done: Callable[[RunSpec, dict], None] | None = None,
              grace: float = GRACE) -> list[dict]:
    """Execute *specs* on *jobs* worker processes; return the results in completion order.

    ``on_start(spec)`` is called when a run is handed to a worker, ``on_done(spec, result)``
    when it ends (result as returned by :func:`~cdv_lib.batch.run.execute_run`, or built here
    with status ``timeout``/``killed`` when the worker had to be killed or died)."""
    pending = deque(specs)
    jobs = max(1, min(int(jobs), len(pending)))
    ctx = _context()
    workers: list[_Worker] = []
    results: list[dict] = []
    startup_failures = 0

    def finish(worker: _Worker, result: dict) -> None:
        spec = worker.spec
        worker.spec = None
        results.append(result)
        if on_done is not None:
            on_done(spec, result)

    try:
        while pending or any(w.spec is not None for w in workers):
            while len(workers) < jobs and len(workers) < len(pending) + sum(
                    w.spec is not None for w in workers):
                workers.append(_Worker(ctx))
            for worker in workers:
                if worker.ready and worker.spec is None and pending:
                    spec = pending.popleft()
                    worker.assign(spec, grace)
                    if on_start is not None:
                        on_start(spec)
            waitables = [w.conn for w in workers] + [w.process.sentinel for w in workers]
            wait(waitables, timeout=0.2)
            now = time.monotonic()
            for worker in list(workers):
                message = None
                if worker.conn.poll():
                    with contextlib.suppress(EOFError, OSError):
                        message = worker.conn.recv()
                if message == _READY:
                    worker.ready, startup_failures = True, 0
                    continue
                if isinstance(message, dict):
                    finish(worker, message)
                    continue
                alive = worker.process.is_alive()
                if alive and worker.spec is not None and now > worker.deadline:
                    worker.kill()
                    finish(worker, _lost_result(
                        worker, TIMEOUT, f"Délai dépassé ({worker.spec.timeout:g} s) : "
                        "processus arrêté de force"))
                    workers.remove(worker)
                elif alive and not worker.ready and now - worker.born > STARTUP_LIMIT:
                    worker.kill()
                    workers.remove(worker)
                    startup_failures += 1
                elif not alive:
                    code = worker.process.exitcode
                    worker.kill()
                    workers.remove(worker)
                    if worker.spec is not None:
                        finish(worker, _lost_result(
                            worker, KILLED,
                            f"Le processus de travail s'est arrêté (code {code})"))
                    elif not worker.ready:
                        startup_failures += 1
                if startup_failures >= 3:
                    raise RuntimeError("Impossible de démarrer les processus de travail du batch.")
    finally:
        for worker in workers:
            with contextlib.suppress(OSError, BrokenPipeError):
                if worker.spec is None:
                    worker.conn.send(None)
        deadline = time.monotonic() + 5
        for worker in workers:
            if worker.spec is None:
                worker.process.join(timeout=max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive() or worker.spec is not None:
                worker.kill()
    return results
