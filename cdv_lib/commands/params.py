"""``cdv params``: write the papermill parameter files of ``params/`` from the data."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "params",
        help="générer les fichiers de paramètres papermill",
        description=(
            "Écrit params/defaults.yaml, params/themes/<thème>.yaml et un "
            "params/communes/<code>.yaml par commune signataire des données (codes entre "
            "guillemets : 01004 reste une chaîne). À combiner avec papermill : "
            "papermill notebooks/reports/sante.ipynb sortie.ipynb -f params/defaults.yaml "
            "-f params/communes/01004.yaml"
        ),
    )
    parser.add_argument("--data", default=None, metavar="DOSSIER",
                        help="dossier de données (défaut : données embarquées)")
    parser.add_argument("--out", default=None, metavar="DOSSIER",
                        help="dossier des fichiers de paramètres (défaut : params/ du projet)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from cdv_lib.batch.communes import signatory_communes
    from cdv_lib.batch.orchestrator import config_year
    from cdv_lib.batch.registry import THEMES
    from cdv_lib.errors import DataError
    from cdv_lib.params import ParameterError, write_params_files
    from cdv_lib.paths import PARAMS_DIR

    try:
        communes = signatory_communes(args.data)
        written = write_params_files(args.out or PARAMS_DIR, communes=communes,
                                     themes=THEMES.values(), annee=config_year(args.data))
    except (DataError, FileNotFoundError, ParameterError) as exc:
        print(f"Fichiers de paramètres impossibles : {exc}", file=sys.stderr)
        return 2
    print(f"{len(written)} fichier(s) de paramètres écrit(s) dans {args.out or PARAMS_DIR}.")
    return 0
