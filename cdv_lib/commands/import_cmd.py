"""``cdv import KIND FILE... --to DOSSIER``: turn exported files into the data contract's
files, print what was read, kept, dropped and mapped; exit 2 and write nothing when an input
is not what it should be."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    from cdv_lib.importers import KINDS, importer

    parser = sub.add_parser(
        "import",
        help="importer des fichiers exportés (LimeSurvey, XLSForm/Kobo, INSEE, subventions)",
        description=(
            "Lit des fichiers exportés par les outils d'enquête, l'INSEE ou les financeurs et "
            "écrit les fichiers correspondants du contrat de données dans DOSSIER, après les "
            "avoir vérifiés. Affiche ce qui a été lu, gardé, écarté (avec la raison) et mis "
            "en correspondance. Les fichiers d'entrée ne sont jamais modifiés ; un fichier "
            "existant n'est remplacé qu'avec --remplacer. Code 0 si l'import est fait, 2 si "
            "une entrée est invalide (rien n'est écrit)."
        ),
    )
    kinds = parser.add_subparsers(dest="kind", metavar="TYPE")
    for kind in KINDS:
        try:
            module = importer(kind)
        except ModuleNotFoundError as exc:
            if exc.name == f"cdv_lib.importers.{KINDS[kind]}":
                continue  # importer not built yet
            raise
        p = kinds.add_parser(kind, help=module.DESCRIPTION, description=module.DESCRIPTION)
        p.add_argument("files", nargs="+", metavar="FICHIER", help=module.FILES_HELP)
        p.add_argument("--to", required=True, metavar="DOSSIER",
                       help="dossier de données où écrire les fichiers")
        p.add_argument("--dry-run", action="store_true",
                       help="tout lire et vérifier, afficher le compte rendu, ne rien écrire")
        p.add_argument("--remplacer", action="store_true",
                       help="remplacer les fichiers qui existent déjà dans DOSSIER")
        module.add_arguments(p)
        p.set_defaults(func=run, kind=kind)
    parser.set_defaults(func=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 1


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cdv_lib.errors import DataError
    from cdv_lib.importers import importer
    from cdv_lib.importers.common import write_result

    module = importer(args.kind)
    data_dir = Path(args.to).expanduser().resolve()
    try:
        result = module.build([Path(f) for f in args.files], args, data_dir)
        written, others = write_result(data_dir, result, replace=args.remplacer,
                                       dry_run=args.dry_run)
    except DataError as exc:
        n = len(exc.problems)
        print(f"Import {args.kind} refusé : {n} problème{'s' if n > 1 else ''} ; rien n'a été "
              "écrit.", file=sys.stderr)
        for problem in exc.problems:
            print("- " + problem.message(), file=sys.stderr)
        return 2
    print(f"Import {args.kind} vers {data_dir}")
    text = result.report.to_text()
    if text:
        print(text)
    if args.dry_run:
        print("Essai (--dry-run) : fichiers vérifiés, rien n'a été écrit :")
        for rel in result.files:
            print(f"  - {rel}")
    else:
        print("Fichiers écrits :")
        for path in written:
            print(f"  - {path.relative_to(data_dir)}")
    if others:
        print(f"Le dossier a par ailleurs {len(others)} problème(s) sans rapport avec cet import "
              f"(voir « cdv validate {data_dir} ») :")
        for problem in others[:10]:
            print("- " + problem.message())
    return 0
