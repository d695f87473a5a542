"""The floor of the batch: what no scheduling can avoid for one report — start a Jupyter
kernel, run the report notebook's import cell(s), shut the kernel down — times the number of
reports, divided by the cores.

Measured with :mod:`jupyter_client` (the library papermill drives), the median of a few
repetitions per distinct import cell.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from cdv_lib.bench.machine import usable_cores
from cdv_lib.bench.results import Results, fmt_number


def import_source(notebook: str | Path) -> str:
    """The code of the notebook's import cells: code cells before the ``parameters`` cell
    (the house layout: title, imports, parameters, then one-call cells)."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    parts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if "parameters" in (cell.metadata.get("tags") or []):
            break
        parts.append(cell.source)
    return "\n".join(parts)


def kernel_cycle(code: str, *, kernel_name: str = "python3", cwd: str | None = None,
                 timeout: float = 120.0) -> dict:
    """Start a kernel, execute *code*, shut down. Returns seconds of ``start`` (until the
    kernel answers), ``imports``, ``shutdown`` and ``total``.

    Raises RuntimeError when the code fails in the kernel."""
    import os
    import tempfile

    from jupyter_client.manager import KernelManager

    conn_dir = tempfile.mkdtemp(prefix="cdvf-")
    t0 = time.perf_counter()
    # Unix sockets, as the batch's kernels use (no port to pick, no plain-TCP warning)
    km = KernelManager(kernel_name=kernel_name, transport="ipc",
                       connection_file=os.path.join(conn_dir, "kernel.json"))
    km.start_kernel(cwd=cwd)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=timeout)
        t1 = time.perf_counter()
        reply = kc.execute_interactive(code, timeout=timeout, output_hook=lambda msg: None)
        t2 = time.perf_counter()
        if reply["content"].get("status") != "ok":
            content = reply["content"]
            raise RuntimeError(f"{content.get('ename')}: {content.get('evalue')}")
    finally:
        kc.stop_channels()
        t3 = time.perf_counter()
        km.shutdown_kernel(now=False)
        t4 = time.perf_counter()
        import shutil

        shutil.rmtree(conn_dir, ignore_errors=True)
    return {"start": t1 - t0, "imports": t2 - t1, "shutdown": t4 - t3, "total": t4 - t0}


def measure_floor(notebooks: list[str], *, repeat: int = 3, cores: int | None = None) -> dict:
    """Floor of a batch rendering *notebooks* (one entry per report, repeated notebooks
    allowed).

    Returns
    -------
    dict
        ``per_source``: {import code: {median of each part, ``runs``}}, ``per_report``:
        list of each report's median total, ``total`` (sum of per-report medians / cores),
        ``cores``, ``reports``.
    """
    cores = cores or usable_cores()
    sources = {nb: import_source(nb) for nb in dict.fromkeys(notebooks)}
    per_source: dict[str, dict] = {}
    for nb, code in sources.items():
        if code in per_source:
            continue
        runs = [kernel_cycle(code, cwd=str(Path(nb).parent)) for _ in range(max(1, repeat))]
        per_source[code] = {k: statistics.median(r[k] for r in runs)
                            for k in ("start", "imports", "shutdown", "total")}
        per_source[code]["runs"] = [r["total"] for r in runs]
        per_source[code]["notebook"] = nb
    per_report = [per_source[sources[nb]]["total"] for nb in notebooks]
    return {"per_source": per_source, "per_report": per_report,
            "total": sum(per_report) / cores, "cores": cores, "reports": len(notebooks)}


def planned_notebooks(quick: bool = False) -> list[str]:
    """The notebook of every run of the default batch (same plan as ``cdv batch``)."""
    from cdv_lib.bench.batch import default_specs

    return [spec.notebook for spec in default_specs(quick=quick)]


def bench_floor(res: Results, opts, work: Path) -> None:
    cores = opts.jobs or usable_cores()
    notebooks = planned_notebooks(opts.quick)
    floor = measure_floor(notebooks, repeat=1 if opts.quick else opts.floor_repeat,
                          cores=cores)
    b = "floor"
    first = next(iter(floor["per_source"].values()))
    res.figure(b, "floor.start", "Démarrage d'un noyau (médiane)", first["start"], "s")
    res.figure(b, "floor.imports", "Cellule d'imports d'un rapport (médiane)",
               first["imports"], "s")
    res.figure(b, "floor.shutdown", "Arrêt du noyau (médiane)", first["shutdown"], "s")
    res.figure(b, "floor.one", "Noyau + imports + arrêt, un rapport (médiane)",
               first["total"], "s",
               f"{len(first['runs'])} répétitions : "
               + ", ".join(fmt_number(x, 2) for x in first["runs"]) + " s")
    res.figure(b, "floor.total", "Plancher du batch", floor["total"], "s",
               f"{floor['reports']} rapports × médiane / {floor['cores']} cœurs")
    if len(floor["per_source"]) > 1:
        res.note(f"{len(floor['per_source'])} cellules d'imports distinctes mesurées ; le "
                 "plancher somme la médiane de chaque rapport.")
    res.finding(b, f"Un noyau démarre en {fmt_number(first['start'], 2)} s et importe les "
                   f"bibliothèques du rapport en {fmt_number(first['imports'], 2)} s "
                   f"(arrêt {fmt_number(first['shutdown'], 2)} s) : c'est le coût fixe d'un "
                   "rapport exécuté dans un noyau neuf (boucle naïve, `cdv batch "
                   "--fresh-kernels`) ; `cdv batch` ne le paie qu'une fois par processus de "
                   "travail.")
