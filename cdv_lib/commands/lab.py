"""``cdv lab``: JupyterLab on the notebooks, with the project's kernel, for analysts."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

EXPLORATION_NOTEBOOKS = (
    ("Explorer un questionnaire", "explorer_questionnaire.ipynb"),
    ("Contrôler les données de l'année", "controle_donnees.ipynb"),
    ("Premiers pas", "premiers_pas.ipynb"),
)


def register(sub: argparse._SubParsersAction) -> None:
    from cdv_lib.lab import DEFAULT_PORT, KERNEL_DISPLAY_NAME

    parser = sub.add_parser(
        "lab",
        help="ouvrir JupyterLab sur les notebooks (explorer, contrôler, écrire un rapport)",
        description=(
            f"Enregistre le noyau « {KERNEL_DISPLAY_NAME} » pour l'utilisateur courant, puis "
            "lance JupyterLab sur le dossier notebooks/ (ce poste seulement, 127.0.0.1, avec un "
            "jeton) et affiche l'adresse à ouvrir. Ctrl+C pour arrêter."
        ),
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port d'écoute (défaut : {DEFAULT_PORT})")
    parser.add_argument("--token", default=None,
                        help="jeton d'accès (défaut : un jeton aléatoire, affiché dans l'adresse)")
    parser.add_argument("--data", default=None, metavar="DOSSIER",
                        help="dossier de données des notebooks (défaut : données embarquées ou "
                             "$CDV_DATA_DIR)")
    parser.add_argument("--navigateur", action="store_true",
                        help="ouvrir l'adresse dans le navigateur (défaut : non)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from cdv_lib.lab import (KERNEL_DISPLAY_NAME, LabConfig, LabError, new_token, port_is_free,
                             register_kernel, start, stop, wait_ready)
    from cdv_lib.paths import NOTEBOOKS_DIR

    if not 0 < args.port < 65536:
        print(f"Port invalide : {args.port} (attendu : un entier de 1 à 65535)", file=sys.stderr)
        return 2
    data = Path(args.data).expanduser().resolve() if args.data else None
    if data is not None and not data.is_dir():
        print(f"Dossier de données introuvable : {data}", file=sys.stderr)
        return 2
    config = LabConfig(port=args.port, token=args.token or new_token(), open_browser=args.navigateur,
                       data_dir=data)
    if not port_is_free(config.host, config.port):
        print(f"Le port {config.port} est déjà utilisé sur {config.host} : choisir un autre port "
              "avec --port.", file=sys.stderr)
        return 2
    kernel_dir = register_kernel()
    print(f"Noyau « {KERNEL_DISPLAY_NAME} » enregistré ({kernel_dir}).", flush=True)
    print(f"Démarrage de JupyterLab sur {NOTEBOOKS_DIR} …", flush=True)
    process = start(config)
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        try:
            wait_ready(config, timeout=180, process=process)
        except LabError as exc:
            print(f"Impossible de démarrer JupyterLab : {exc}", file=sys.stderr)
            stop(process)
            return 1
        print(f"JupyterLab est prêt : ouvrir {config.url()}", flush=True)
        for title, name in EXPLORATION_NOTEBOOKS:
            print(f"  {title} : {config.url(f'lab/tree/explorer/{name}')}", flush=True)
        print("Ctrl+C pour arrêter.", flush=True)
        code = process.wait()
    except KeyboardInterrupt:
        stop(process)
        print("JupyterLab arrêté.", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
    if code not in (0, None, -signal.SIGTERM):
        print(f"JupyterLab s'est arrêté avec le code {code}.", file=sys.stderr)
        return 1
    print("JupyterLab arrêté.", flush=True)
    return 0
