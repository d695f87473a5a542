"""The batch against the naive way, and on Dask.

* ``cdv batch`` (the whole default batch, into a temporary folder) against what a user would
  type without it: a sequential shell loop of ``papermill`` then ``jupyter nbconvert --to
  html --no-input`` per report, same notebooks and parameters (the plan of ``cdv batch``);
* ``cdv batch --dask --jobs 2`` (LocalCluster, two workers): its time, and the same outputs
  as the local pool (same files, same figures in the HTML, timestamps ignored);
* where the time of one run goes: papermill's per-cell durations of the executed notebooks
  (imports, data loading and computation, display and drawing), the HTML export timed
  again, and the rest (kernel start and stop, papermill).
"""

from __future__ import annotations

import json
import re
import statistics
import time
from pathlib import Path

import yaml

from cdv_lib.bench.machine import usable_cores
from cdv_lib.bench.measure import bin_path, cli_env, run_timed, tail
from cdv_lib.bench.results import Results, fmt_number
from cdv_lib.paths import PROJ_ROOT

QUICK_THEMES = ("finances", "fiche_commune")


def default_specs(*, quick: bool = False, out_dir: str | Path = "out"):
    """The runs of the default ``cdv batch`` (embedded data, every theme, the agglomeration
    and each signatory commune); in quick mode one commune and two themes."""
    from cdv_lib.batch.orchestrator import config_year, select_communes
    from cdv_lib.batch.plan import plan_runs, select_themes

    table = select_communes()
    themes = select_themes(QUICK_THEMES if quick else None)
    if quick:
        table = table.head(1)
    return plan_runs(table, themes, out_dir=out_dir, agglomeration=not quick,
                     annee=config_year(None))


def batch_argv(out_dir: Path, *, quick: bool, jobs: int | None, dask: bool = False,
               fresh: bool = False) -> list[str]:
    argv = [bin_path("cdv"), "batch", "--out", str(out_dir), "--quiet"]
    if quick:
        first = default_specs(quick=True)[0].commune
        argv += ["--commune", first, *sum((["--theme", t] for t in QUICK_THEMES), [])]
    if jobs:
        argv += ["--jobs", str(jobs)]
    if dask:
        argv.append("--dask")
    if fresh:
        argv.append("--fresh-kernels")
    return argv


def run_cdv_batch(out_dir: Path, *, quick: bool, jobs: int | None,
                  dask: bool = False, fresh: bool = False) -> tuple[float, dict]:
    """Run ``cdv batch`` as a user would; return (wall seconds, manifest)."""
    seconds, proc = run_timed(batch_argv(out_dir, quick=quick, jobs=jobs, dask=dask,
                                         fresh=fresh))
    manifest_file = out_dir / "manifest.json"
    if proc.returncode != 0 or not manifest_file.exists():
        raise RuntimeError(f"cdv batch a échoué (code {proc.returncode}) : "
                           + tail(proc.stderr + proc.stdout, 8))
    return seconds, json.loads(manifest_file.read_text(encoding="utf-8"))


def naive_loop(specs, out_dir: Path, *, limit: int | None = None) -> dict:
    """The sequential shell loop, one report after the other: ``papermill NB OUT -f
    params.yaml`` then ``jupyter nbconvert --to html --no-input OUT``.

    Returns ``seconds`` (wall, for the runs done), ``runs`` (done), ``planned``,
    ``per_run`` (seconds of each), ``papermill`` and ``nbconvert`` (their summed seconds)."""
    chosen = list(specs)[:limit] if limit else list(specs)
    params_dir = out_dir / "_params"
    params_dir.mkdir(parents=True, exist_ok=True)
    papermill, nbconvert = bin_path("papermill"), bin_path("jupyter")
    env = cli_env()
    per_run, pm_total, nb_total = [], 0.0, 0.0
    t0 = time.perf_counter()
    for i, spec in enumerate(chosen):
        target = out_dir / spec.folder / f"{spec.theme}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        params = params_dir / f"{i:03d}.yaml"
        params.write_text(yaml.safe_dump(dict(spec.parameters), allow_unicode=True),
                          encoding="utf-8")
        t1 = time.perf_counter()
        s1, p1 = run_timed([papermill, spec.notebook, str(target), "-f", str(params)],
                           cwd=str(PROJ_ROOT), env=env)
        if p1.returncode != 0:
            raise RuntimeError(f"papermill a échoué sur {spec.run_id} : {tail(p1.stderr, 6)}")
        s2, p2 = run_timed([nbconvert, "nbconvert", "--to", "html", "--no-input",
                            str(target)], cwd=str(PROJ_ROOT), env=env)
        if p2.returncode != 0:
            raise RuntimeError(f"nbconvert a échoué sur {spec.run_id} : {tail(p2.stderr, 6)}")
        pm_total += s1
        nb_total += s2
        per_run.append(time.perf_counter() - t1)
    return {"seconds": time.perf_counter() - t0, "runs": len(chosen), "planned": len(specs),
            "per_run": per_run, "papermill": pm_total, "nbconvert": nb_total}


# ------------------------------------------------------------------ where the time goes
def cell_profile(out_dir: Path, manifest: dict) -> dict:
    """From the executed notebooks of a batch: median seconds per run of the import cells,
    the first cell after ``parameters`` (data loading and computation), the other cells
    (display and drawing), and the run's total as the batch recorded it."""
    import nbformat

    imports, compute, display, totals, cells = [], [], [], [], []
    for record in manifest.get("runs", {}).values():
        if record.get("status") != "ok" or not record.get("ipynb"):
            continue
        nb = nbformat.read(str(out_dir / record["ipynb"]), as_version=4)
        before, after, seen_params, first_after = 0.0, 0.0, False, None
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            tags = cell.metadata.get("tags") or []
            duration = float((cell.metadata.get("papermill") or {}).get("duration") or 0.0)
            if "parameters" in tags or "injected-parameters" in tags:
                seen_params = True
                continue
            if not seen_params:
                before += duration
            elif first_after is None:
                first_after = duration
            else:
                after += duration
        imports.append(before)
        compute.append(first_after or 0.0)
        display.append(after)
        totals.append(float(record.get("duration") or 0.0))
        cells.append(before + (first_after or 0.0) + after)
    if not totals:
        return {}
    med = statistics.median
    return {"runs": len(totals), "imports": med(imports), "compute": med(compute),
            "display": med(display), "cells": med(cells), "run": med(totals)}


def time_html_export(out_dir: Path, manifest: dict, sample: int = 5) -> float | None:
    """Median seconds of the batch's own HTML export on a few executed notebooks."""
    import nbformat

    from cdv_lib.batch.run import export_html, html_exporter

    html_exporter()  # built once per worker in the batch: not part of a run's cost
    times = []
    for record in list(manifest.get("runs", {}).values())[:sample]:
        if record.get("status") != "ok" or not record.get("ipynb"):
            continue
        nb = nbformat.read(str(out_dir / record["ipynb"]), as_version=4)
        t0 = time.perf_counter()
        export_html(nb, "mesure")
        times.append(time.perf_counter() - t0)
    return statistics.median(times) if times else None


# ------------------------------------------------------------------ comparing outputs
_TIMESTAMP = re.compile(
    r"\d{1,2}/\d{1,2}/\d{4}(?:\s+(?:à\s+)?\d{1,2}[:h]\d{2}(?::\d{2})?)?"
    r"|\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:[+-]\d{2}:?\d{2}|Z)?"
    r"|\d{1,2}:\d{2}:\d{2}")
_NUMBER = re.compile(r"\d[\d\u202f\u00a0 ]*(?:,\d+)?")


def html_figures(path: Path) -> list[str]:
    """The numbers a reader sees in a report page, in order, timestamps removed."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    text = _TIMESTAMP.sub(" ", soup.get_text(" "))
    return [m.group(0).replace("\u202f", " ").replace("\u00a0", " ").strip()
            for m in _NUMBER.finditer(text)]


def compare_outputs(a: Path, b: Path) -> dict:
    """Compare two batch output folders: the sets of HTML/ipynb/xlsx files (temporary and
    log files aside) and, for each HTML page in both, the figures it shows."""
    def files(root: Path) -> set[str]:
        return {str(p.relative_to(root)) for p in root.rglob("*")
                if p.is_file() and p.suffix in (".html", ".ipynb", ".xlsx", ".json")}

    fa, fb = files(a), files(b)
    common_html = sorted(f for f in fa & fb if f.endswith(".html") and f != "index.html")
    differing = [f for f in common_html if html_figures(a / f) != html_figures(b / f)]
    return {"only_a": sorted(fa - fb), "only_b": sorted(fb - fa), "html": len(common_html),
            "differing": differing}


# ------------------------------------------------------------------ sub-benchmarks
def bench_batch(res: Results, opts, work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    b = "batch"
    jobs = opts.jobs or usable_cores()
    out = work / "cdv"
    specs = default_specs(quick=opts.quick, out_dir=out)
    seconds, manifest = run_cdv_batch(out, quick=opts.quick, jobs=jobs)
    ok = sum(1 for r in manifest["runs"].values() if r.get("status") == "ok")
    res.figure(b, "batch.cdv", "cdv batch (lot complet par défaut)", seconds, "s",
               f"{ok}/{len(specs)} rapports, --jobs {jobs}, HTML + index + classeur Excel")
    res.extra["batch_out"] = str(out)
    res.extra["batch_manifest"] = manifest
    fresh_seconds, fresh_manifest = run_cdv_batch(work / "fresh", quick=opts.quick, jobs=jobs,
                                                  fresh=True)
    fresh_ok = sum(1 for r in fresh_manifest["runs"].values() if r.get("status") == "ok")
    res.figure(b, "batch.fresh", "cdv batch --fresh-kernels (un noyau neuf par rapport)",
               fresh_seconds, "s", f"{fresh_ok}/{len(specs)} rapports, --jobs {jobs}")

    limit = opts.naive_runs if opts.naive_runs else None
    if opts.quick and not limit:
        limit = 1
    naive = naive_loop(specs, work / "naive", limit=limit)
    if naive["runs"] < naive["planned"]:
        per = naive["seconds"] / naive["runs"]
        estimate = per * naive["planned"]
        res.figure(b, "batch.naive", "Boucle naïve papermill + nbconvert (extrapolée)",
                   estimate, "s",
                   f"EXTRAPOLATION LINÉAIRE : {naive['runs']} rapports mesurés sur "
                   f"{naive['planned']} en {fmt_number(naive['seconds'], 1)} s, "
                   f"× {naive['planned']}/{naive['runs']}")
        res.note(f"La boucle naïve n'a exécuté que {naive['runs']} des {naive['planned']} "
                 f"rapports ({fmt_number(naive['seconds'], 1)} s) ; son temps total est "
                 "extrapolé linéairement (moyenne par rapport × nombre de rapports).")
    else:
        res.figure(b, "batch.naive", "Boucle naïve papermill + nbconvert", naive["seconds"],
                   "s", f"{naive['runs']} rapports, un après l'autre")
    res.figure(b, "batch.naive_papermill", "dont papermill (boucle naïve, par rapport)",
               naive["papermill"] / naive["runs"], "s")
    res.figure(b, "batch.naive_nbconvert", "dont nbconvert (boucle naïve, par rapport)",
               naive["nbconvert"] / naive["runs"], "s")

    prof = cell_profile(out, manifest)
    export = time_html_export(out, manifest)
    if prof:
        res.figure(b, "batch.run", "Durée d'un rapport dans le batch (médiane)", prof["run"],
                   "s", f"{prof['runs']} rapports")
        res.figure(b, "batch.cells_imports", "dont cellule d'imports", prof["imports"], "s")
        res.figure(b, "batch.cells_compute", "dont chargement des données et calculs",
                   prof["compute"], "s", "première cellule après les paramètres")
        res.figure(b, "batch.cells_display", "dont affichage des tableaux et graphiques",
                   prof["display"], "s")
        if export is not None:
            res.figure(b, "batch.export", "dont export HTML (mesuré à part)", export, "s")
        rest = prof["run"] - prof["cells"] - (export or 0.0)
        res.figure(b, "batch.overhead", "dont noyau (remise à zéro, démarrage amorti) et "
                   "papermill", rest, "s", "reste de la durée du rapport")
        parts = {"noyau (remise à zéro, démarrage amorti) et papermill": rest,
                 "cellule d'imports": prof["imports"],
                 "chargement des données et calculs": prof["compute"],
                 "affichage (tableaux, graphiques)": prof["display"],
                 "export HTML": export or 0.0}
        total = sum(parts.values()) or 1.0
        res.finding(b, "Un rapport du batch (médiane) : " + ", ".join(
            f"{k} {fmt_number(v, 2)} s ({fmt_number(100 * v / total, 0)} %)"
            for k, v in sorted(parts.items(), key=lambda kv: kv[1], reverse=True)) + ".")
        res.extra["batch_parts"] = parts
    per_naive = naive["seconds"] / naive["runs"]
    res.finding(b, f"Boucle naïve : {fmt_number(per_naive, 2)} s par rapport, dont papermill "
                   f"{fmt_number(naive['papermill'] / naive['runs'], 2)} s (démarrage de "
                   "Python et de papermill, noyau, exécution) et nbconvert "
                   f"{fmt_number(naive['nbconvert'] / naive['runs'], 2)} s (démarrage de "
                   "Python, import de nbconvert, export).")
    res.extra["batch_naive"] = naive
    cores = jobs
    per_batch = seconds / max(len(specs), 1)
    res.extra["batch_naive_limit"] = (
        f"boucle naïve {fmt_number(per_naive, 2)} s par rapport ; batch "
        f"{fmt_number(per_batch, 2)} s par rapport en temps écoulé ({cores} processus, "
        "chacun gardant son noyau, remis à zéro entre deux rapports) ; la boucle naïve "
        "démarre deux Pythons, un noyau et tous les imports à chaque rapport")
    floor_one = res.get("floor.one")
    if prof and floor_one is not None:
        runs = list(manifest["runs"].values())
        by_theme: dict[str, float] = {}
        for r in runs:
            by_theme[r.get("theme", "?")] = by_theme.get(r.get("theme", "?"), 0.0) + float(
                r.get("duration") or 0.0)
        inside = sum(by_theme.values())
        top = sorted(by_theme.items(), key=lambda kv: kv[1], reverse=True)[:3]
        res.extra["batch_floor_limit"] = (
            f"les {len(runs)} rapports ont duré {fmt_number(inside, 0)} s dans les noyaux "
            f"({fmt_number(inside / max(cores, 1), 0)} s par processus sur {cores}), contre "
            f"{fmt_number(floor_one.value, 2)} s de plancher par rapport (noyau neuf + imports) : "
            "le temps passe dans le travail des rapports eux-mêmes — "
            + ", ".join(f"{k} {fmt_number(v, 0)} s" for k, v in top)
            + f" ; médiane par rapport {fmt_number(prof['run'], 2)} s, dont calculs "
            f"{fmt_number(prof['compute'], 2)} s, affichage (tableaux, graphiques, cartes) "
            f"{fmt_number(prof['display'], 2)} s, export HTML {fmt_number(export or 0.0, 2)} s")


def bench_dask(res: Results, opts, work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    b = "dask"
    seconds, manifest = run_cdv_batch(work / "dask", quick=opts.quick, jobs=2, dask=True)
    ok = sum(1 for r in manifest["runs"].values() if r.get("status") == "ok")
    res.figure(b, "dask.batch", "cdv batch --dask --jobs 2 (LocalCluster, 2 workers)",
               seconds, "s", f"{ok}/{len(manifest['runs'])} rapports")
    local_out = res.extra.get("batch_out")
    if local_out is None:
        local_seconds, _ = run_cdv_batch(work / "local", quick=opts.quick, jobs=2)
        local_out = str(work / "local")
        res.figure(b, "dask.local", "cdv batch --jobs 2 (pool local, référence)",
                   local_seconds, "s")
        res.ratio(b, "dask.vs_local", "Dask / pool local", "dask.batch", "dask.local")
    else:
        res.ratio(b, "dask.vs_local", "Dask / pool local", "dask.batch", "batch.cdv")
    cmp = compare_outputs(Path(local_out), work / "dask")
    same = not cmp["only_a"] and not cmp["only_b"] and not cmp["differing"]
    res.figure(b, "dask.same_outputs", "Pages HTML aux mêmes chiffres que le pool local",
               cmp["html"] - len(cmp["differing"]), "pages",
               f"sur {cmp['html']} ; fichiers seulement en local : {len(cmp['only_a'])}, "
               f"seulement Dask : {len(cmp['only_b'])}")
    res.target(b, "target.dask_same", "mêmes sorties que le pool local (fichiers, chiffres "
               "des pages, horodatages ignorés)",
               "identiques" if same else "différentes", "identiques", same,
               "" if same else ("pages différentes : " + ", ".join(cmp["differing"][:5])
                                + (" ; fichiers absents : "
                                   + ", ".join((cmp["only_a"] + cmp["only_b"])[:5])
                                   if cmp["only_a"] or cmp["only_b"] else "")))


# ------------------------------------------------------------------ incremental batch
NO_CHANGE_SHARE = 0.05  # target: a batch with nothing changed takes ≤ 5 % of a full one


def fix_one_row(path: Path, column: str = "montant_demande") -> str:
    """What an analyst does: correct one value of one row of a CSV file (here *column* of
    the first data row, plus 1), the rest of the file left byte for byte. Returns a French
    description of the change."""
    import csv
    import io

    raw = path.read_bytes()
    text = raw.decode("utf-8-sig")
    bom = raw.startswith(b"\xef\xbb\xbf")
    lines = text.splitlines(keepends=True)
    sep = ";" if lines[0].count(";") >= lines[0].count(",") else ","
    header = next(csv.reader([lines[0]], delimiter=sep))
    col = header.index(column)
    row = next(csv.reader([lines[1]], delimiter=sep))
    old = row[col]
    value = float(old.replace("\u202f", "").replace(" ", "").replace(",", ".") or 0) + 1
    new = f"{value:.2f}".rstrip("0").rstrip(".")
    row[col] = new.replace(".", ",") if "," in old else new
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator="").writerow(row)
    ending = lines[1][len(lines[1].rstrip("\r\n")):]
    lines[1] = buf.getvalue() + ending
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + "".join(lines).encode("utf-8"))
    return f"{path.name}, ligne 2, {column} : {old} → {row[col]}"


def _reran(manifest: dict) -> set[str]:
    return {k for k, r in manifest["runs"].items() if not r.get("reused")}


def bench_incremental(res: Results, opts, work: Path) -> None:
    """A full batch on a copy of the embedded data, the same batch with nothing changed,
    then after one row of ``programmation.csv`` is corrected."""
    import shutil

    from cdv_lib.paths import DATA_DIR

    work.mkdir(parents=True, exist_ok=True)
    b = "incremental"
    jobs = opts.jobs or usable_cores()
    data, out = work / "donnees", work / "sortie"
    shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(DATA_DIR, data)

    def batch() -> tuple[float, dict]:
        argv = batch_argv(out, quick=opts.quick, jobs=jobs) + ["--data", str(data)]
        seconds, proc = run_timed(argv)
        manifest_file = out / "manifest.json"
        if proc.returncode != 0 or not manifest_file.exists():
            raise RuntimeError(f"cdv batch a échoué (code {proc.returncode}) : "
                               + tail(proc.stderr + proc.stdout, 8))
        return seconds, json.loads(manifest_file.read_text(encoding="utf-8"))

    full_s, full = batch()
    n = len(full["runs"])
    res.figure(b, "incremental.full", "cdv batch complet (copie des données, --data)", full_s,
               "s", f"{len(_reran(full))}/{n} rapports exécutés, --jobs {jobs}, HTML + index + "
               "classeur Excel")
    none_s, none = batch()
    reused = n - len(_reran(none))
    res.figure(b, "incremental.none", "Le même batch, rien n'ayant changé", none_s, "s",
               f"{reused}/{n} rapports réutilisés, classeur conservé : "
               + ("oui" if none.get("classeur", {}).get("key") == full.get("classeur", {})
                  .get("key") else "non"))
    ratio = res.ratio(b, "incremental.none_share", "Batch sans changement / batch complet",
                      "incremental.none", "incremental.full")
    readers = {k for k, r in none["runs"].items() if "programmation.csv" in (r.get("fichiers") or [])}
    change = fix_one_row(data / "programmation.csv")
    prog_s, prog = batch()
    reran = _reran(prog)
    exact = reran == readers
    themes = sorted({prog["runs"][k]["theme"] for k in reran})
    res.figure(b, "incremental.programmation",
               "Après correction d'une ligne de programmation.csv", prog_s, "s",
               f"{len(reran)}/{n} rapports relancés (thèmes : {', '.join(themes) or 'aucun'}) ; "
               f"ce sont exactement ceux qui ont lu programmation.csv : "
               f"{'oui' if exact else 'non'} ; modification : {change}")
    res.figure(b, "incremental.programmation_runs", "Rapports relancés après cette correction",
               len(reran), "rapports", f"sur {n} ; {len(readers)} rapports avaient lu "
               "programmation.csv")
    judged = None if opts.quick else ratio.value <= NO_CHANGE_SHARE
    limit = (f"le batch sans changement relit et valide les données (load_dataset), calcule "
             f"les empreintes de leurs tables, vérifie les {n} sorties et réécrit le manifeste "
             "et l'index ; démarrage de Python et des imports (pandas) compris")
    res.target(b, "target.incremental_none", "batch sans changement ≤ 5 % d'un batch complet",
               f"{fmt_number(100 * ratio.value, 1)} %", "≤ 5 %", judged, limit)
    res.target(b, "target.incremental_prog", "après correction de programmation.csv, seuls "
               "les rapports qui l'ont lu sont relancés", f"{len(reran)} relancés, "
               + ("exactement ceux-là" if exact else "pas exactement ceux-là"),
               f"{len(readers)} (ceux qui l'ont lu)", exact if not opts.quick else None,
               "" if exact else "relancés en trop : " + ", ".join(sorted(reran - readers)[:5])
               + " ; manquants : " + ", ".join(sorted(readers - reran)[:5]))
    res.finding(b, f"Batch sans changement : {fmt_number(none_s, 2)} s contre "
                   f"{fmt_number(full_s, 1)} s pour le batch complet "
                   f"({fmt_number(100 * ratio.value, 1)} %). Chaque rapport est identifié par "
                   "le contenu de son notebook, ses paramètres, la version de l'atelier et ce "
                   "qu'il a lu des données pendant son exécution (tables du jeu de données, "
                   "fichiers ouverts), enregistré dans le manifeste.")
    res.finding(b, f"Après la correction ({change}) : {len(reran)} rapports relancés en "
                   f"{fmt_number(prog_s, 1)} s, les {n - len(reran)} autres réutilisés ; "
                   "index et classeur reconstruits.")
