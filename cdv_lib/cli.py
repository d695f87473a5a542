"""Command-line entry point ``cdv``.

Each sub-command lives in its own module of :mod:`cdv_lib.commands` exposing
``register(subparsers)``; the module sets ``func`` on its parser. Modules are imported
lazily by name so that ``cdv validate`` does not pay for importing Voilà or Dask.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# sub-command name -> module under cdv_lib.commands
COMMANDS: dict[str, str] = {
    "validate": "validate",
    "fidelity": "fidelity",
    "batch": "batch",
    "serve": "serve",
    "audit": "audit",
    "bench": "bench",
    "params": "params",
    "import": "import_cmd",
    "rapport": "rapport",
    "init": "init",
    "lab": "lab",
}

HELP = {
    "validate": "vérifier les fichiers d'entrée (code 0 si valides, 2 sinon)",
    "fidelity": "comparer les calculs aux chiffres publiés du rapport 2022",
    "batch": "produire tous les rapports HTML, l'index et le classeur Excel",
    "serve": "lancer l'application Voilà pour les élus",
    "audit": "rechercher des violations du secret statistique dans des sorties",
    "bench": "mesurer les performances (rapports de temps)",
    "params": "générer les fichiers de paramètres papermill",
    "import": "importer des fichiers exportés (LimeSurvey, XLSForm/Kobo, INSEE, liste des QPV de l'ANCT, subventions)",
    "rapport": "produire le rapport d'évaluation (HTML, PDF, Word)",
    "init": "créer le dossier de données d'un EPCI à partir des références nationales",
    "lab": "ouvrir JupyterLab sur les notebooks (explorer, contrôler, écrire un rapport)",
}


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cdv", description="Atelier d'évaluation du Contrat de Ville."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMANDE")
    wanted = None
    if argv:
        wanted = next((a for a in argv if not a.startswith("-")), None)
    for name, module_name in COMMANDS.items():
        if wanted is not None and wanted in COMMANDS and name != wanted:
            # keep `cdv --help` complete, but import only the module actually used
            sub.add_parser(name, help=HELP[name])
            continue
        try:
            module = importlib.import_module(f"cdv_lib.commands.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"cdv_lib.commands.{module_name}":
                continue  # command not built yet
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
