"""``cdv validate [DOSSIER]``: check every input file; exit 0 when valid, 2 otherwise.
Writes nothing."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "validate",
        help="vérifier les fichiers d'entrée (code 0 si valides, 2 sinon)",
        description=(
            "Vérifie chaque fichier du dossier de données selon le contrat (data/README.md) et "
            "affiche chaque problème : fichier, ligne, colonne, valeur, attendu. N'écrit rien. "
            "Code 0 si les données sont valides, 2 sinon."
        ),
    )
    parser.add_argument("data_dir", metavar="DOSSIER", nargs="?", default=None,
                        help="dossier de données (défaut : $CDV_DATA_DIR, sinon les données "
                             "embarquées)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from cdv_lib.paths import data_dir
    from cdv_lib.validation import summary, validate_dir

    directory = data_dir(args.data_dir)
    problems = validate_dir(directory)
    if problems:
        n = len(problems)
        print(f"Données invalides dans {directory} : {n} problème{'s' if n > 1 else ''}")
        for problem in problems:
            print("- " + problem.message())
        return 2
    print(f"Données valides : {directory}")
    print(summary(directory))
    from cdv_lib.dataset import load_dataset
    from cdv_lib.scaffold import completeness

    missing = completeness(load_dataset(directory))
    if missing:
        print("Reste à fournir :")
        for line in missing:
            print("- " + line)
    return 0
