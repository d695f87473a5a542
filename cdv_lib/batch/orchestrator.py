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
from cdv_lib.batch import cache, manifest as mf
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
    from cdv_lib.cores import usable_cores

    return usable_cores()


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


def check_plan(specs: list[RunSpec], known: dict | None = None) -> dict:
    """Every notebook exists and declares every parameter it is given.

    *known* maps a notebook path to ``{"sha": digest, "parameters": declared}`` from an
    earlier batch (the manifest's ``notebooks``): a notebook with the same digest is not
    inspected again (papermill's import alone costs seconds). Returns the same mapping for
    the notebooks of *specs*."""
    from cdv_lib.params import ParameterError, check_parameters

    known = known or {}
    declared: dict[str, dict] = {}
    out: dict[str, dict] = {}
    for spec in specs:
        if spec.notebook not in declared:
            if not Path(spec.notebook).exists():
                raise BatchError(f"Notebook du thème « {spec.theme} » introuvable : {spec.notebook}")
            sha = cache.file_digest(spec.notebook)
            previous = known.get(spec.notebook) or {}
            if previous.get("sha") == sha and isinstance(previous.get("parameters"), dict):
                declared[spec.notebook] = previous["parameters"]
            else:
                from cdv_lib.params import declared_parameters

                declared[spec.notebook] = declared_parameters(spec.notebook)
            out[spec.notebook] = {"sha": sha, "parameters": declared[spec.notebook]}
        try:
            check_parameters(spec.notebook, spec.parameters, declared=declared[spec.notebook])
        except ParameterError as exc:
            raise BatchError(str(exc)) from exc
    return out


def run_batch(*, data: str | os.PathLike | None = None,
              out_dir: str | os.PathLike = DEFAULT_OUT_DIR,
              communes: Iterable[str] = (), themes: Iterable[str] = (),
              epci: str | None = None, jobs: int | None = None,
              timeout: float | None = None, resume: bool = False,
              scheduler: str | None = None, dask: bool = False, excel: bool = True,
              quiet: bool = False, annee: int | None = None,
              registry: Mapping[str, Theme] = THEMES, reference=None,
              grace: float | None = None, fresh_kernels: bool = False,
              force: bool = False) -> BatchSummary:
    """Render the reports: see ``cdv batch --help``.

    A report of an earlier batch in *out_dir* is reused (not run again, ``reused`` in the
    manifest) when its notebook, parameters, the library and every input it read are
    unchanged (:mod:`cdv_lib.batch.cache`); *force* runs every report. *resume* keeps every
    successful report whose outputs are whole, without looking at its inputs.

    Raises
    ------
    BatchError
        When the batch cannot start; nothing is run then.
    """
    t0 = time.monotonic()
    if force and resume:
        raise BatchError("--force et --resume s'excluent : --force relance tous les rapports, "
                         "--resume ne relance que ceux qui manquent.")
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
    manifest = mf.load(out_dir)
    notebooks = check_plan(specs, None if force else manifest.get("notebooks"))

    out_dir.mkdir(parents=True, exist_ok=True)
    atomic.clean_stale_tmp(out_dir)
    manifest["data_dir"] = None if data is None else str(Path(data).resolve())
    manifest["notebooks"] = {**(manifest.get("notebooks") or {}), **notebooks}
    library = cache.library_version()
    notebook_sha = {nb: info["sha"] for nb, info in notebooks.items()}
    keys = {s.run_id: cache.recipe_key(s, library, notebook_sha[s.notebook]) for s in specs}
    digests = cache.DataDigests()
    if force:
        todo = specs
    else:
        mf.mark_missing(manifest, out_dir, specs)
        todo = [s for s in specs if not (
            mf.is_done(manifest, out_dir, s)
            and (resume or cache.unchanged(manifest["runs"][s.run_id], keys[s.run_id], digests)))]
    todo_ids = {s.run_id for s in todo}
    for spec in specs:
        if spec.run_id not in todo_ids:
            record = manifest["runs"][spec.run_id]
            record.update(reused=True, statut=mf.statut(OK, reused=True))
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
        record.update(reused=False, statut=mf.statut(result["status"]))
        reads = result.get("reads")
        if result["status"] == OK and reads is not None:  # else never reused: key unknown
            try:
                record.update(inputs=cache.data_inputs(reads, digests),
                              fichiers=cache.read_files(reads, digests,
                                                        spec.parameters.get("data_dir")),
                              key=keys[spec.run_id])
            except (TypeError, ValueError, OSError):  # unreadable reads: run it next time
                record.update(key=None, inputs=None)
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
        workbook = _workbook(out_dir, manifest, data=data, annee=annee, library=library,
                             digests=digests, ran=bool(todo))
    planned_ids = {s.run_id for s in specs}
    reused = sum(bool(manifest["runs"][i].get("reused")) for i in planned_ids)
    statuses = [manifest["runs"][i]["status"] for i in planned_ids]
    return BatchSummary(
        planned=len(specs), skipped=reused,
        ok=sum(s == OK for s in statuses), failed=sum(s != OK for s in statuses),
        duration=time.monotonic() - t0, index=index, manifest=mf.manifest_path(out_dir),
        excel=workbook,
    )


def workbook_key(manifest: dict, *, data, annee, library: str, digests: cache.DataDigests) -> str:
    """Digest of what the workbook is built from: the scopes of the successful runs, every
    input of the data folder, the year and the library."""
    import hashlib
    import json

    from cdv_lib.dataset import RECORDED_INPUTS
    from cdv_lib.paths import data_dir as resolve

    folder = str(resolve(data))
    scopes = sorted({(r.get("commune") or "", r.get("commune_name") or "")
                     for r in manifest.get("runs", {}).values() if r.get("status") == OK})
    inputs = [[n, digests.input(folder, n)] for n in sorted(RECORDED_INPUTS)]
    text = json.dumps({"scopes": scopes, "inputs": inputs, "annee": annee, "library": library,
                       "data": folder}, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _workbook(out_dir: Path, manifest: dict, *, data, annee, library: str,
              digests: cache.DataDigests, ran: bool) -> Path:
    """The Excel workbook, rebuilt when a report ran, its inputs changed or it is missing."""
    from cdv_lib.batch.excel import WORKBOOK_NAME, write_workbook

    key = workbook_key(manifest, data=data, annee=annee, library=library, digests=digests)
    path = out_dir / WORKBOOK_NAME
    previous = manifest.get("classeur") or {}
    if not ran and previous.get("key") == key and path.is_file():
        return path
    manifest.pop("classeur", None)
    mf.save(out_dir, manifest)  # a batch killed while writing leaves no stale key
    workbook = write_workbook(out_dir, manifest, data=data, annee=annee)
    manifest["classeur"] = {"key": key, "file": workbook.name}
    mf.save(out_dir, manifest)
    return workbook
