"""``cdv batch``: render every report (HTML without code), the index and the Excel workbook."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "batch",
        help="produire tous les rapports HTML, l'index et le classeur Excel",
        description=(
            "Exécute chaque notebook de rapport (papermill) pour l'agglomération et chaque "
            "commune signataire, l'exporte en HTML sans code dans SORTIE/<commune>/<thème>.html, "
            "tient SORTIE/manifest.json à jour et écrit SORTIE/index.html. Un rapport déjà "
            "produit dans SORTIE est réutilisé quand rien de ce dont il dépend n'a changé "
            "(son notebook, ses paramètres, les données qu'il a lues, la version de "
            "l'atelier) ; --force relance tout. Code 0 si tous les "
            "rapports sont produits, 1 si l'un échoue, 2 si le batch ne peut pas démarrer."
        ),
    )
    parser.add_argument("--data", default=None, metavar="DOSSIER",
                        help="dossier de données (défaut : données embarquées)")
    parser.add_argument("--out", default=None, metavar="SORTIE",
                        help="dossier de sortie (défaut : out/ du projet)")
    parser.add_argument("--commune", action="append", default=[], metavar="CODE",
                        help="seulement cette commune (code INSEE, répétable ; "
                             "sans rapport d'agglomération)")
    from cdv_lib.report.registry import reports_help

    parser.add_argument("--theme", action="append", default=[], metavar="NOM",
                        help="seulement ce rapport (répétable) : " + reports_help())
    parser.add_argument("--epci", default=None, metavar="CODE",
                        help="communes de cet EPCI (SIREN) prises dans la liste de référence")
    parser.add_argument("--annee", type=int, default=None,
                        help="année évaluée (défaut : config.yaml des données, sinon celle du notebook)")
    parser.add_argument("--jobs", type=int, default=None, metavar="N",
                        help="exécutions en parallèle (défaut : une par cœur)")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDES",
                        help="durée maximale d'une exécution (défaut : aucune)")
    parser.add_argument("--fresh-kernels", action="store_true",
                        help="un noyau Python neuf pour chaque rapport (plus lent) ; par défaut, "
                             "chaque processus garde son noyau, remis à zéro entre deux rapports")
    parser.add_argument("--resume", action="store_true",
                        help="ne relancer que les rapports absents, incomplets ou en échec, "
                             "même si leurs données ont changé")
    parser.add_argument("--force", action="store_true",
                        help="relancer tous les rapports, même ceux dont rien n'a changé")
    parser.add_argument("--scheduler", default=None, metavar="ADRESSE",
                        help="exécuter sur ce cluster Dask distributed (ex. tcp://hôte:8786)")
    parser.add_argument("--dask", action="store_true",
                        help="exécuter sur un cluster Dask local (LocalCluster)")
    parser.add_argument("--no-excel", dest="excel", action="store_false",
                        help="ne pas écrire le classeur Excel des tableaux")
    parser.add_argument("--classeurs-communes", action="store_true",
                        help="écrire aussi le classeur Excel de chaque commune rendue "
                             "(SORTIE/<code>/tableaux.xlsx)")
    parser.add_argument("--quiet", action="store_true",
                        help="sans barre de progression ni résumé")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from cdv_lib.batch.orchestrator import BatchError, run_batch
    from cdv_lib.errors import DataError
    from cdv_lib.paths import DEFAULT_OUT_DIR

    if args.jobs is not None and args.jobs < 1:
        print("--jobs doit être au moins 1.", file=sys.stderr)
        return 2
    if args.timeout is not None and args.timeout <= 0:
        print("--timeout doit être positif.", file=sys.stderr)
        return 2
    try:
        summary = run_batch(
            data=args.data, out_dir=args.out or DEFAULT_OUT_DIR, communes=args.commune,
            themes=args.theme, epci=args.epci, jobs=args.jobs, timeout=args.timeout,
            resume=args.resume, scheduler=args.scheduler, dask=args.dask, excel=args.excel,
            quiet=args.quiet, annee=args.annee, fresh_kernels=args.fresh_kernels,
            force=args.force,
        )
    except (BatchError, DataError) as exc:
        print(f"Batch impossible : {exc}", file=sys.stderr)
        return 2
    if args.excel and args.classeurs_communes:
        from cdv_lib.batch.excel import write_commune_workbooks

        try:
            workbooks = write_commune_workbooks(args.out or DEFAULT_OUT_DIR, data=args.data,
                                                annee=args.annee)
        except Exception as exc:
            print(f"Classeurs des communes impossibles ({type(exc).__name__} : {exc}).",
                  file=sys.stderr)
            return max(summary.exit_code, 1)
        if not args.quiet:
            print(f"Classeurs des communes : {len(workbooks)}")
    if not args.quiet:
        print(summary.message())
    return summary.exit_code
