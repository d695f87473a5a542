"""The whole batch: plan, check parameters, run (local pool or Dask), keep the manifest,
write the index and the Excel workbook, summarise in French."""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cdv_lib import atomic
from cdv_lib.batch import manifest as mf
from cdv_lib.batch.index import write_index
from cdv_lib.batch.plan import RunSpec, plan_runs, select_themes
from cdv_lib.batch.registry import THEMES, Theme
from cdv_lib.batch.run import OK, PENDING, RUNNING, now_iso
from cdv_lib.paths import DEFAULT_OUT_DIR

# code INSEE of the data contract; also what makes a safe folder name
CODE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")


class BatchError(Exception):
    """The batch cannot start (bad option, missing notebook, refused parameter); French."""


@dataclass
class BatchSummary:
    planned: int
    skipped: int
    ok: int
    failed: int
    duration: float
    index: Path
    manifest: Path
    excel: Path | None

    @property
    def exit_code(self) -> int:
        return 0 if self.failed == 0 else 1

    def message(self) -> str:
        text = (f"{self.ok} réussi{'s' if self.ok > 1 else ''}, {self.failed} en échec, "
                f"durée {_duration(self.duration)}")
        if self.skipped:
            text += f" ({self.skipped} déjà à jour, non relancé{'s' if self.skipped > 1 else ''})"
        text += f".\nIndex : {self.index}"
        if self.excel is not None:
            text += f"\nClasseur Excel : {self.excel}"
        return text


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    minutes, sec = divmod(seconds, 60)
    return f"{minutes} min {sec:02d} s" if minutes else f"{sec} s"


def default_jobs() -> int:
    """One worker per available core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def config_year(data: str | os.PathLike | None) -> int | None:
    import yaml

    from cdv_lib.paths import data_dir

    path = data_dir(data) / "config.yaml"
    if not path.exists():
        return None
    config = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
    year = config.get("annee")
    return int(year) if year is not None else None


def select_communes(*, data=None, epci: str | None = None, codes: Iterable[str] = (),
                    reference=None):
    """The communes to render (``code_insee``, ``nom``): the signatories of *data* or the
    communes of *epci*, narrowed to *codes* when given."""
    from cdv_lib.batch.communes import epci_communes, signatory_communes

    try:
        table = epci_communes(epci, reference) if epci else signatory_communes(data)
    except (FileNotFoundError, ValueError) as exc:
        raise BatchError(str(exc)) from exc
    codes = [str(c).strip() for c in codes]
    if codes:
        known = set(table["code_insee"])
        unknown = [c for c in codes if c not in known]
        if unknown:
            where = f"de l'EPCI {epci}" if epci else "signataires des données"
            raise BatchError(f"Commune(s) inconnue(s) parmi les communes {where} : "
                             + ", ".join(unknown))
        table = table[table["code_insee"].isin(codes)]
    bad = [c for c in table["code_insee"] if not CODE_RE.match(c)]
    if bad:
        raise BatchError("Code(s) INSEE invalide(s) : " + ", ".join(repr(c) for c in bad))
    return table.reset_index(drop=True)


def check_plan(specs: list[RunSpec]) -> None:
    """Every notebook exists and declares every parameter it is given."""
    from cdv_lib.params import ParameterError, check_parameters, declared_parameters

    declared: dict[str, dict] = {}
    for spec in specs:
        if spec.notebook not in declared:
            if not Path(spec.notebook).exists():
                raise BatchError(f"Notebook du thème « {spec.theme} » introuvable : {spec.notebook}")
            declared[spec.notebook] = declared_parameters(spec.notebook)
        try:
            check_parameters(spec.notebook, spec.parameters, declared=declared[spec.notebook])
        except ParameterError as exc:
            raise BatchError(str(exc)) from exc


def run_batch(*, data: str | os.PathLike | None = None,
              out_dir: str | os.PathLike = DEFAULT_OUT_DIR,
              communes: Iterable[str] = (), themes: Iterable[str] = (),
              epci: str | None = None, jobs: int | None = None,
              timeout: float | None = None, resume: bool = False,
              scheduler: str | None = None, dask: bool = False, excel: bool = True,
              quiet: bool = False, annee: int | None = None,
              registry: Mapping[str, Theme] = THEMES, reference=None,
              grace: float | None = None, fresh_kernels: bool = False) -> BatchSummary:
    """Render the reports: see ``cdv batch --help``.

    Raises
    ------
    BatchError
        When the batch cannot start; nothing is run then.
    """
    t0 = time.monotonic()
    try:
        theme_list = select_themes(themes, registry)
    except ValueError as exc:
        raise BatchError(str(exc)) from exc
    codes = list(communes)
    table = select_communes(data=data, epci=epci, codes=codes, reference=reference)
    if annee is None:
        annee = config_year(data)
    out_dir = Path(out_dir).resolve()
    specs = plan_runs(table, theme_list, out_dir=out_dir, agglomeration=not codes,
                      data_dir=data, annee=annee, timeout=timeout,
                      reuse_kernel=not fresh_kernels)
    if not specs:
        raise BatchError("Aucun rapport à produire avec ces options.")
    check_plan(specs)

    out_dir.mkdir(parents=True, exist_ok=True)
    atomic.clean_stale_tmp(out_dir)
    manifest = mf.load(out_dir)
    manifest["data_dir"] = None if data is None else str(Path(data).resolve())
    if resume:
        mf.mark_missing(manifest, out_dir, specs)
        todo = [s for s in specs if not mf.is_done(manifest, out_dir, s)]
    else:
        todo = specs
    for spec in todo:
        previous = manifest["runs"].get(spec.run_id) or {}
        manifest["runs"][spec.run_id] = mf.entry(spec, PENDING)
        manifest["runs"][spec.run_id]["attempts"] = previous.get("attempts") or 0
    mf.save(out_dir, manifest)
    write_index(out_dir, manifest)

    from tqdm import tqdm

    bar = tqdm(total=len(todo), file=sys.stderr, disable=quiet, unit="rapport",
               desc="Rapports", dynamic_ncols=True)
    counts = {"ok": 0, "failed": 0}

    def on_start(spec: RunSpec) -> None:
        record = manifest["runs"][spec.run_id]
        record.update(status=RUNNING, started=now_iso())
        mf.save(out_dir, manifest)

    def on_done(spec: RunSpec, result: dict) -> None:
        record = manifest["runs"][spec.run_id]
        attempts = record.get("attempts") or 0
        record.update({k: result.get(k) for k in
                       ("status", "error", "started", "finished", "duration", "html", "ipynb")})
        record["attempts"] = attempts + 1
        counts["ok" if result["status"] == OK else "failed"] += 1
        mf.save(out_dir, manifest)
        bar.update(1)
        bar.set_postfix_str(f"{counts['failed']} en échec", refresh=False)

    try:
        if todo:
            if scheduler or dask:
                from cdv_lib.batch.dask_runner import dask_client, run_dask

                with dask_client(scheduler=scheduler, jobs=jobs or default_jobs()) as client:
                    run_dask(todo, client, on_start=on_start, on_done=on_done)
            else:
                from cdv_lib.batch.pool import GRACE, run_local

                run_local(todo, jobs=jobs or default_jobs(), on_start=on_start, on_done=on_done,
                          grace=GRACE if grace is None else grace)
    finally:
        bar.close()
        for record in manifest["runs"].values():
            if record.get("status") in (PENDING, RUNNING):
                record.update(status="missing", error="Exécution interrompue")
        mf.save(out_dir, manifest)
        index = write_index(out_dir, manifest)

    workbook = None
    if excel:
        from cdv_lib.batch.excel import write_workbook

        workbook = write_workbook(out_dir, manifest, data=data, annee=annee)
    planned_ids = {s.run_id for s in specs}
    statuses = [manifest["runs"][i]["status"] for i in planned_ids]
    return BatchSummary(
        planned=len(specs), skipped=len(specs) - len(todo),
        ok=sum(s == OK for s in statuses), failed=sum(s != OK for s in statuses),
        duration=time.monotonic() - t0, index=index, manifest=mf.manifest_path(out_dir),
        excel=workbook,
    )
