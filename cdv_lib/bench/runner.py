"""The sub-benchmarks of ``cdv bench``, their order, and the targets of the issue.

Each sub-benchmark adds figures to one :class:`~cdv_lib.bench.results.Results`; ratios and
targets are computed at the end from figures of the same run.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from cdv_lib.bench.machine import machine_info, usable_cores
from cdv_lib.bench.measure import cli_env, run_timed, tail
from cdv_lib.bench.results import Results, fmt_number
from cdv_lib.paths import PROJ_ROOT

#: Sub-benchmarks in execution order (``--only`` picks among them).
BENCHMARKS = ("floor", "batch", "incremental", "dask", "voila", "national", "document")
DEFAULT_RESULTS = PROJ_ROOT / "benchmarks" / "results.md"

# targets of the issue
BATCH_VS_NAIVE = 8.0
BATCH_VS_FLOOR = 1.3
PREHEATED_FIRST_FIGURE_S = 1.0
COLD_VS_PREHEATED = 3.0
COMMUNE_CHANGE_MS = 300.0
NATIONAL_SECONDS = 10.0
NATIONAL_MB = 2048.0
NATIONAL_GROUPED_SECONDS = 20.0


@dataclass
class Options:
    """What to run. ``naive_runs``: number of reports of the naive loop (``None``: all);
    ``sessions``: simultaneous dashboard sessions of the load test."""

    only: tuple[str, ...] = BENCHMARKS
    quick: bool = False
    results_path: Path = DEFAULT_RESULTS
    epci: str = "246200364"
    seed: int = 0
    jobs: int | None = None
    naive_runs: int | None = None
    floor_repeat: int = 3
    sessions: int = 20
    csv: bool = True
    max_epci: int | None = None
    command: str = ""
    work_dir: Path | None = None
    extra: dict = field(default_factory=dict)


def run_benchmarks(opts: Options) -> Results:
    """Run the selected sub-benchmarks, evaluate the targets, write the report."""
    res = Results(command=opts.command)
    res.machine = machine_info()
    partial = [b for b in BENCHMARKS if b not in opts.only]
    if partial and not opts.quick and Path(opts.results_path).exists():
        from cdv_lib.bench.results import previous_run

        res.previous = previous_run(Path(opts.results_path).read_text(encoding="utf-8"))
        res.note("Exécution partielle (`--only " + ",".join(opts.only) + "`) : les bancs "
                 + ", ".join(partial) + " n'ont pas été relancés ; leurs mesures sont celles "
                 "de l'exécution précédente, conservée en fin de fichier. Machine partagée avec "
                 "d'autres travaux pendant la mesure : voir la charge au démarrage.")
    if opts.quick:
        res.note("Mode rapide (`--quick`) : sous-ensemble réduit ; les objectifs ne sont pas "
                 "évalués sur ces tailles.")
    work = Path(opts.work_dir or tempfile.mkdtemp(prefix="cdv-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        for name in BENCHMARKS:
            if name not in opts.only:
                continue
            if name not in RUNNERS:
                res.note(f"Banc « {name} » indisponible dans cette installation.")
                continue
            try:
                RUNNERS[name](res, opts, work / name)
            except Exception as exc:  # one broken sub-benchmark does not lose the others
                res.note(f"Banc « {name} » interrompu : {type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''}")
                print(traceback.format_exc(), file=sys.stderr)
        evaluate_targets(res, opts)
    finally:
        if opts.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    res.write(opts.results_path)
    print(f"Résultats écrits dans {opts.results_path}")
    return res


# ------------------------------------------------------------------ national
def bench_national(res: Results, opts: Options, work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    out = work / "national.json"
    argv = [sys.executable, "-m", "cdv_lib.bench.national", "--json", str(out),
            "--seed", str(opts.seed), "--epci", opts.epci]
    if opts.quick:
        argv.append("--quick")
    if opts.csv:
        argv += ["--csv-dir", str(work / "csv")]
    if opts.max_epci:
        argv += ["--max-epci", str(opts.max_epci)]
    seconds, proc = run_timed(argv, env=cli_env())
    if not out.exists():
        raise RuntimeError("le processus de mesure n'a rien écrit : " + tail(proc.stderr))
    data = json.loads(out.read_text(encoding="utf-8"))
    if "error" in data:
        raise RuntimeError(tail(data["error"], 3))
    b = "national"
    sizes = data["sizes"]
    ph = data["phases"]
    res.figure(b, "national.size", "Jeu synthétique : lignes de programmation",
               sizes["programmation"], "lignes",
               f"{sizes['epci']} EPCI, {sizes['qpv']} QPV, {sizes['communes']} communes, "
               f"{sizes['repondants']} répondants ({sizes['reponses']} réponses), "
               f"{sizes['indicateurs']} lignes d'indicateurs, graine {data['seed']}")
    g = ph["generation"]
    res.figure(b, "national.generation", "Génération en mémoire", g["seconds"], "s")
    res.figure(b, "national.generation_mb", "Mémoire après génération (RSS)",
               g["end_mb"], "Mo")
    if "csv" in ph:
        c = ph["csv"]
        res.figure(b, "national.csv_write", "Écriture en CSV", c["write_seconds"], "s")
        detail = ("lecture, typage, contrôles et questionnaire par `load_dataset`"
                  + (f" — échec : {c['error']}" if c.get("error") else ""))
        res.figure(b, "national.csv_read", "Lecture du dossier CSV (load_dataset)",
                   c["seconds"], "s", detail)
        res.figure(b, "national.csv_read_mb", "Pic mémoire de la lecture CSV",
                   c["peak_mb"], "Mo")
    n = ph["national"]
    res.figure(b, "national.all", "Tous les indicateurs sur les tables nationales",
               n["seconds"], "s", f"{n['tables']} tables, dont les ventilations par commune "
               "par groupby")
    res.figure(b, "national.all_mb", "Pic mémoire (RSS) du calcul national", n["peak_mb"],
               "Mo", f"dont {fmt_number(n['start_mb'], 0)} Mo de données")
    if n["times"]:
        slowest, worst = max(n["times"].items(), key=lambda kv: kv[1])
        res.figure(b, "national.slowest", "Indicateur national le plus lent", worst, "s",
                   slowest)
    gp = ph["grouped"]
    counts = {}
    for method in gp["methods"].values():
        counts[method] = counts.get(method, 0) + 1
    how = ", ".join(f"{v} {k}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
    res.figure(b, "national.grouped", "Tous les indicateurs de chaque EPCI, passes groupées",
               gp["seconds"], "s", f"{gp['indicators']} indicateurs × {gp['contracts']} EPCI ; "
               f"indicateurs : {how}")
    res.figure(b, "national.grouped_mb", "Pic mémoire (RSS), passes groupées", gp["peak_mb"],
               "Mo", f"dont {fmt_number(gp['start_mb'], 0)} Mo de données")
    p = ph["per_epci"]
    label = "Tous les indicateurs, EPCI par EPCI" + (" (extrapolé)" if p["extrapolated"] else "")
    detail = (f"EXTRAPOLATION LINÉAIRE : {p['contracts']} EPCI mesurés sur "
              f"{p['contracts_total']} en {fmt_number(p['loop_seconds'], 1)} s, "
              f"× {p['contracts_total']}/{p['contracts']}, découpage "
              f"{fmt_number(p['split_seconds'], 2)} s" if p["extrapolated"] else
              f"{p['contracts']} EPCI, {p['tables']} tables, découpage "
              f"{fmt_number(p['split_seconds'], 2)} s")
    res.figure(b, "national.per_epci", label, p["seconds"], "s", detail)
    same = ph["same"]
    res.figure(b, "national.same", "Tables groupées égales aux résultats EPCI par EPCI",
               same["equal"], "tables", f"sur {same['compared']} comparées ({same['codes']} "
               "EPCI de l'échantillon)" + (" ; différentes : " + ", ".join(same["differing"])
                                           if same["differing"] else ""))
    res.extra["national_same"] = same
    e = ph["epci"]
    res.figure(b, "national.epci", f"Un EPCI ({data['epci']}) : agglomération et chaque "
               "commune signataire", e["seconds"], "s",
               f"{e['signataires']} communes signataires, {e['tables']} tables")
    if data.get("epci_note"):
        res.note(data["epci_note"])

    f = [f"Indicateurs calculés ({len(data['indicators'])}) : "
         + ", ".join(f"`{x}`" for x in data["indicators"]) + "."]
    if data["missing_themes"]:
        f.append("Thèmes absents du code au moment de la mesure : "
                 + ", ".join(data["missing_themes"]) + ".")
    for phase, label in [("national", "tables nationales"),
                         ("grouped", "passes groupées, tous les EPCI"),
                         ("per_epci", f"EPCI par EPCI, {p['contracts']} EPCI"),
                         ("epci", f"EPCI {data['epci']} avec ses communes")]:
        times = ph[phase]["times"]
        total = sum(times.values()) or 1.0
        top = sorted(times.items(), key=lambda kv: kv[1], reverse=True)[:6]
        f.append(f"Temps par indicateur ({label}) : "
                 + ", ".join(f"`{k}` {fmt_number(v, 2)} s ({fmt_number(100 * v / total, 0)} %)"
                             for k, v in top) + ".")
        for name, err in ph[phase]["errors"].items():
            f.append(f"`{name}` refusé ({label}) : {err}")
    by_method: dict = {}
    for name, method in gp["methods"].items():
        by_method.setdefault(method, []).append(name)
    labels = {"groupé": "calculés groupés (l'EPCI comme clé de plus du regroupement)",
              "national": "calculés en un appel sur les tables nationales (clés qualifiées "
                          "par l'EPCI), puis découpés par EPCI",
              "par EPCI": "encore calculés EPCI par EPCI (tables découpées une fois)"}
    for method, names in by_method.items():
        spent = sum(gp["times"][n] for n in names)
        f.append(f"Indicateurs {labels.get(method, method)} ({len(names)}, "
                 f"{fmt_number(spent, 1)} s) : " + ", ".join(f"`{n}`" for n in names) + ".")
    for item in f:
        res.finding(b, item)
    nat_top = sorted(n["times"].items(), key=lambda kv: kv[1], reverse=True)[:3]
    res.extra["national_limit"] = "le plus lent : " + ", ".join(
        f"{k} {fmt_number(v, 1)} s" for k, v in nat_top)
    g_top = sorted(gp["times"].items(), key=lambda kv: kv[1], reverse=True)[:3]
    per_epci_left = sum(t for n, t in gp["times"].items() if gp["methods"][n] == "par EPCI")
    res.extra["national_grouped_limit"] = (
        "le plus lent : " + ", ".join(f"{k} ({gp['methods'][k]}) {fmt_number(v, 1)} s"
                                      for k, v in g_top)
        + f" ; indicateurs encore EPCI par EPCI : {fmt_number(per_epci_left, 1)} s ; "
        f"EPCI par EPCI, tout serait {fmt_number(p['seconds'], 0)} s "
        f"({fmt_number(1000 * p['loop_seconds'] / max(p['contracts'], 1), 0)} ms par EPCI)")


# ------------------------------------------------------------------ targets
def _met(value: float | None, ok) -> bool | None:
    return None if value is None else bool(ok(value))


def evaluate_targets(res: Results, opts: Options) -> None:
    """Ratios between figures of this run, and each target of the issue."""
    quick = opts.quick

    def judged(met):
        return None if quick else met

    # batch
    if res.get("batch.cdv") and res.get("batch.naive"):
        r = res.ratio("batch", "batch.speedup", "Accélération du batch sur la boucle naïve",
                      "batch.naive", "batch.cdv")
        if res.get("floor.total"):
            best = res.ratio("batch", "batch.naive_vs_floor",
                             "Accélération au plancher (boucle naïve / plancher)",
                             "batch.naive", "floor.total")
            res.extra["batch_naive_limit"] = (
                res.extra.get("batch_naive_limit", "") + f" ; avec un noyau neuf et ses imports "
                f"par rapport (le plancher), le gain plafonnerait à {fmt_number(best.value, 1)}×")
        if res.get("batch.fresh"):
            res.ratio("batch", "batch.reuse_gain", "Gain de la réutilisation des noyaux",
                      "batch.fresh", "batch.cdv")
        res.target("batch", "target.batch_naive", "batch ≥ 8× plus rapide que la boucle naïve",
                   f"{fmt_number(r.value, 1)}×", f"≥ {fmt_number(BATCH_VS_NAIVE, 0)}×",
                   judged(r.value >= BATCH_VS_NAIVE), res.extra.get("batch_naive_limit", ""))
    if res.get("batch.cdv") and res.get("floor.total"):
        r = res.ratio("batch", "batch.vs_floor", "Batch / plancher", "batch.cdv", "floor.total")
        res.target("batch", "target.batch_floor", "batch à 1,3× du plancher au plus",
                   f"{fmt_number(r.value, 2)}×", f"≤ {fmt_number(BATCH_VS_FLOOR, 1)}×",
                   judged(r.value <= BATCH_VS_FLOOR), res.extra.get("batch_floor_limit", ""))
    # voila
    pre, cold = res.get("voila.preheated"), res.get("voila.cold")
    if pre is not None:
        res.target("voila", "target.voila_preheated",
                   "premier chiffre clé visible, noyau préchauffé",
                   f"{fmt_number(pre.value, 2)} s", f"≤ {fmt_number(PREHEATED_FIRST_FIGURE_S, 0)} s",
                   judged(pre.value <= PREHEATED_FIRST_FIGURE_S),
                   res.extra.get("voila_preheated_limit", ""))
    if pre is not None and cold is not None:
        r = res.ratio("voila", "voila.cold_vs_preheated", "Froid / préchauffé", "voila.cold",
                      "voila.preheated")
        res.target("voila", "target.voila_ratio", "préchauffé ≥ 3× plus rapide qu'à froid",
                   f"{fmt_number(r.value, 1)}×", f"≥ {fmt_number(COLD_VS_PREHEATED, 0)}×",
                   judged(r.value >= COLD_VS_PREHEATED), res.extra.get("voila_ratio_limit", ""))
    change = res.get("voila.commune_change")
    if change is not None:
        res.target("voila", "target.voila_change", "changement de commune redessiné",
                   f"{fmt_number(change.value, 0)} ms",
                   f"≤ {fmt_number(COMMUNE_CHANGE_MS, 0)} ms",
                   judged(change.value <= COMMUNE_CHANGE_MS),
                   res.extra.get("voila_change_limit", ""))
    load = res.get("voila.load_ok")
    if load is not None:
        wanted = res.extra.get("sessions", opts.sessions)
        res.target("voila", "target.voila_load", f"{wanted} sessions simultanées chargent et "
                   "répondent", f"{int(load.value)} / {wanted}", f"{wanted} / {wanted}",
                   judged(int(load.value) == wanted), res.extra.get("voila_load_limit", ""))
    # national
    nat, mem = res.get("national.all"), res.get("national.all_mb")
    if nat is not None and mem is not None:
        ok = nat.value <= NATIONAL_SECONDS and mem.value <= NATIONAL_MB
        res.target("national", "target.national",
                   "chaque indicateur national en 10 s et 2 Go",
                   f"{fmt_number(nat.value, 1)} s, {fmt_number(mem.value, 0)} Mo",
                   "≤ 10 s et ≤ 2 048 Mo", judged(ok), res.extra.get("national_limit", ""))
    grp, grp_mb = res.get("national.grouped"), res.get("national.grouped_mb")
    if grp is not None and grp_mb is not None:
        ok = grp.value <= NATIONAL_GROUPED_SECONDS and grp_mb.value <= NATIONAL_MB
        res.target("national", "target.national_grouped",
                   "tous les indicateurs de chaque EPCI, en passes groupées",
                   f"{fmt_number(grp.value, 1)} s, {fmt_number(grp_mb.value, 0)} Mo",
                   f"≤ {fmt_number(NATIONAL_GROUPED_SECONDS, 0)} s et ≤ 2 048 Mo", judged(ok),
                   res.extra.get("national_grouped_limit", ""))
    same = res.extra.get("national_same")
    if same is not None:
        ok = same["equal"] == same["compared"] and same["compared"] > 0
        res.target("national", "target.national_same",
                   "passes groupées : mêmes résultats que EPCI par EPCI (échantillon)",
                   f"{same['equal']} / {same['compared']}", "toutes", ok,
                   "" if ok else "différentes : " + ", ".join(same["differing"]))


RUNNERS = {"national": bench_national}


def _register_optional() -> None:
    """Sub-benchmarks needing the batch, the app or a browser live in their own modules."""
    import importlib

    for name, module, attr in [("floor", "floor", "bench_floor"),
                               ("batch", "batch", "bench_batch"),
                               ("incremental", "batch", "bench_incremental"),
                               ("dask", "batch", "bench_dask"),
                               ("voila", "voila", "bench_voila"),
                               ("document", "document", "bench_document")]:
        try:
            RUNNERS[name] = getattr(importlib.import_module(f"cdv_lib.bench.{module}"), attr)
        except ImportError as exc:
            print(f"Banc « {name} » indisponible : {exc}", file=sys.stderr)


def default_jobs() -> int:
    return usable_cores()
