"""``cdv bench``: measure the batch, the kernel floor, the Voilà app and the national scale in
one run, print every figure and ratio, write ``benchmarks/results.md``."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path


def _names(text: str) -> tuple[str, ...]:
    from cdv_lib.bench.runner import BENCHMARKS

    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"banc inconnu : {', '.join(unknown) or '(vide)'} (attendu, séparés par des "
            f"virgules : {', '.join(BENCHMARKS)})")
    return names


def register(sub: argparse._SubParsersAction) -> None:
    from cdv_lib.bench.runner import BENCHMARKS, DEFAULT_RESULTS

    parser = sub.add_parser(
        "bench", help="mesurer les performances (rapports de temps)",
        description="Mesure, en une exécution sur cette machine, le batch contre la boucle "
                    "naïve papermill + nbconvert, le plancher (démarrage d'un noyau et "
                    "imports), l'application Voilà (froid, préchauffé, changement de commune, "
                    "sessions simultanées), le batch sur Dask, et le calcul de tous les "
                    "indicateurs à l'échelle nationale (données synthétiques). Écrit "
                    "benchmarks/results.md.")
    parser.add_argument("--only", type=_names, default=BENCHMARKS, metavar="BANCS",
                        help="bancs à exécuter, séparés par des virgules : "
                             + ",".join(BENCHMARKS) + " (défaut : tous)")
    parser.add_argument("--quick", action="store_true",
                        help="sous-ensemble réduit (quelques rapports, petit jeu national, "
                             "3 sessions) : vérifie que tout tourne, sans juger les objectifs")
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS, metavar="FICHIER",
                        help=f"fichier markdown des résultats (défaut : {DEFAULT_RESULTS})")
    parser.add_argument("--epci", default="246200364", metavar="CODE",
                        help="EPCI mesuré seul dans le banc national (défaut : 246200364)")
    parser.add_argument("--seed", type=int, default=0, help="graine du jeu synthétique")
    parser.add_argument("--jobs", type=int, default=None, metavar="N",
                        help="processus du batch (défaut : cœurs utilisables)")
    parser.add_argument("--naive-runs", type=int, default=None, metavar="N",
                        help="ne faire que N rapports de la boucle naïve et extrapoler "
                             "linéairement (défaut : tous ; l'extrapolation est écrite dans "
                             "les résultats)")
    parser.add_argument("--sessions", type=int, default=20, metavar="N",
                        help="sessions simultanées du test de charge (défaut : 20)")
    parser.add_argument("--pool-size", type=int, default=None, metavar="N",
                        help="noyaux préchauffés du serveur pendant le test de charge (défaut : "
                             "celui de cdv serve)")
    parser.add_argument("--floor-repeat", type=int, default=3, metavar="N",
                        help="répétitions de la mesure du plancher (médiane, défaut : 3)")
    parser.add_argument("--max-epci", type=int, default=None, metavar="N",
                        help="limiter la boucle EPCI par EPCI aux N premiers (défaut : tous)")
    parser.add_argument("--no-csv", dest="csv", action="store_false",
                        help="ne pas mesurer l'écriture et la lecture CSV du jeu national")
    parser.add_argument("--work-dir", type=Path, default=None, metavar="DOSSIER",
                        help="dossier de travail conservé (défaut : temporaire, supprimé)")
    parser.set_defaults(func=run)


def command_line(args: argparse.Namespace) -> str:
    """The ``cdv bench`` command reproducing this run (options that differ from defaults)."""
    from cdv_lib.bench.runner import BENCHMARKS

    parts = ["cdv", "bench"]
    if tuple(args.only) != BENCHMARKS:
        parts += ["--only", ",".join(args.only)]
    if args.quick:
        parts.append("--quick")
    for flag, value, default in [("--epci", args.epci, "246200364"), ("--seed", args.seed, 0),
                                 ("--jobs", args.jobs, None),
                                 ("--naive-runs", args.naive_runs, None),
                                 ("--sessions", args.sessions, 20),
                                 ("--floor-repeat", args.floor_repeat, 3),
                                 ("--max-epci", args.max_epci, None),
                                 ("--pool-size", args.pool_size, None)]:
        if value != default:
            parts += [flag, str(value)]
    if not args.csv:
        parts.append("--no-csv")
    return " ".join(shlex.quote(p) for p in parts)


def run(args: argparse.Namespace) -> int:
    from cdv_lib.bench.runner import Options, _register_optional, run_benchmarks

    _register_optional()
    if args.jobs is not None and args.jobs < 1:
        print("--jobs : au moins 1", file=sys.stderr)
        return 2
    opts = Options(only=args.only, quick=args.quick, results_path=args.results,
                   epci=str(args.epci), seed=args.seed, jobs=args.jobs,
                   naive_runs=args.naive_runs, floor_repeat=args.floor_repeat,
                   sessions=args.sessions, csv=args.csv, max_epci=args.max_epci,
                   work_dir=args.work_dir, command=command_line(args),
                   extra={"pool_size": args.pool_size} if args.pool_size else {})
    res = run_benchmarks(opts)
    broken = [n for n in res.notes if n.startswith("Banc « ")]
    return 1 if broken else 0
