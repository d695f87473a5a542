"""``cdv init --epci CODE DOSSIER``: create the data folder of any EPCI from the national
references (communes, QPV 2024), whole or not at all; nothing is overwritten."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "init",
        help="créer le dossier de données d'un EPCI à partir des références nationales",
        description=(
            "Crée DOSSIER pour l'EPCI de code SIREN CODE : config.yaml, communes.csv (liste "
            "Etalab), qpv.csv (QPV 2024 de l'ANCT, populations « nd »), modèles des autres "
            "tables et LISEZMOI.md de ce qui reste à fournir. N'écrase rien. Code 0 si créé, "
            "2 sinon."
        ),
    )
    parser.add_argument("--epci", required=True, metavar="CODE",
                        help="SIREN de l'EPCI (9 chiffres), ex. 200072460")
    parser.add_argument("dossier", metavar="DOSSIER", help="dossier à créer (absent ou vide)")
    parser.add_argument("--annee", type=int, default=None,
                        help="année du rapport (défaut : l'année en cours)")
    parser.add_argument("--signataires", choices=("qpv", "toutes", "aucune"), default="qpv",
                        help="communes marquées signataires par défaut (défaut : celles qui ont "
                             "un QPV)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from cdv_lib.paths import REFERENCE_DIR
    from cdv_lib.scaffold import README, write_scaffold

    reference = REFERENCE_DIR / "communes_france.csv"
    try:
        ref = pd.read_csv(reference, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        done = write_scaffold(args.dossier, args.epci, ref, annee=args.annee,
                              signatories=args.signataires)
    except (ValueError, OSError) as exc:
        print(f"Dossier non créé : {exc}")
        return 2
    print(f"Dossier créé : {done['dossier']}")
    print(f"{done['territoire']} ({done['code_epci']}) : {done['communes']} communes dont "
          f"{done['signataires']} signataires à confirmer ; {done['qpv']} QPV 2024 dont "
          f"{done['qpv_partages']} partagé(s) avec un autre EPCI ; populations des QPV « nd ».")
    print(f"Ce qui reste à fournir : {done['dossier'] / README}")
    return 0
