"""Running the batch on Dask distributed: one task per run, executing the same
:func:`cdv_lib.batch.run.execute_run` as the local pool. Outputs are written by the workers
to the shared ``--out`` folder; the manifest and the index are written by the batch process.

Workers must be able to import ``cdv_lib`` and reach the notebooks, the data and the output
folder at the same paths (a shared file system). Each worker should run one task at a time
(``threads_per_worker=1``): a run starts a kernel and papermill changes process-wide state.
The per-run timeout is enforced inside the task (papermill cell timeout plus a watchdog that
kills the kernel); a worker that dies is reported as ``killed``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable

from cdv_lib.batch.plan import RunSpec
from cdv_lib.batch.run import KILLED, execute_run, now_iso


@contextlib.contextmanager
def dask_client(*, scheduler: str | None = None, jobs: int = 1):
    """A ``distributed.Client``: connected to *scheduler* when given, else to a new
    ``LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True)`` closed on exit."""
    from distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    cluster = LocalCluster(n_workers=max(1, int(jobs)), threads_per_worker=1, processes=True,
                           dashboard_address=None)
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()


def run_dask(specs: Iterable[RunSpec], client, *,
             on_start: Callable[[RunSpec], None] | None = None,
             on_done: Callable[[RunSpec, dict], None] | None = None) -> list[dict]:
    """Submit one task per spec to *client*; return the results in completion order.

    ``on_start`` is called at submission (Dask decides when a task really starts)."""
    from distributed import as_completed

    specs = list(specs)
    futures = {}
    for spec in specs:
        future = client.submit(execute_run, spec, pure=False, key=f"cdv-run-{spec.run_id}-{id(spec)}")
        futures[future] = spec
        if on_start is not None:
            on_start(spec)
    results = []
    for future in as_completed(futures):
        spec = futures[future]
        started = now_iso()
        try:
            result = future.result()
        except Exception as exc:  # KilledWorker, lost worker...
            result = {
                "run_id": spec.run_id, "status": KILLED,
                "error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300],
                "started": started, "finished": now_iso(), "duration": None,
                "html": None, "ipynb": None, "attempts": 1, "pid": None,
            }
        results.append(result)
        if on_done is not None:
            on_done(spec, result)
    return results
