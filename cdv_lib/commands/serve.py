"""``cdv serve``: the Voilà app for elected officials on http://127.0.0.1:8866/."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    from cdv_lib.serve import (DEFAULT_CULL_IDLE_SECONDS, DEFAULT_HOST, DEFAULT_POOL_SIZE,
                               DEFAULT_PORT)

    parser = sub.add_parser(
        "serve",
        help="lancer l'application Voilà pour les élus",
        description=(
            "Lance le tableau de bord (notebooks/apps/tableau_de_bord.ipynb) avec Voilà : "
            "sans code ni message d'erreur technique, noyaux préchauffés, seules les images "
            "du dossier de l'application sont téléchargeables. Ctrl+C pour arrêter."
        ),
    )
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=f"adresse d'écoute (défaut : {DEFAULT_HOST}, ce poste seulement)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port d'écoute (défaut : {DEFAULT_PORT})")
    parser.add_argument("--token", default=None,
                        help="jeton d'accès exigé par le serveur (défaut : aucun)")
    parser.add_argument("--data", default=None, metavar="DOSSIER",
                        help="dossier de données (défaut : données embarquées ou $CDV_DATA_DIR)")
    parser.add_argument("--pool-size", dest="pool_size", type=int, default=DEFAULT_POOL_SIZE,
                        metavar="N", help=f"noyaux préchauffés prêts à servir "
                                          f"(défaut : {DEFAULT_POOL_SIZE})")
    parser.add_argument("--cull-idle", dest="cull_idle", type=int,
                        default=DEFAULT_CULL_IDLE_SECONDS, metavar="SECONDES",
                        help="arrêter un noyau inactif sans page ouverte depuis SECONDES (page "
                             "fermée sans prévenir, visite interrompue ; 0 : jamais ; défaut : "
                             f"{DEFAULT_CULL_IDLE_SECONDS})")
    parser.add_argument("--verbeux", action="store_true",
                        help="afficher le journal détaillé de Voilà")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from cdv_lib.serve import (APP_NOTEBOOK, ServeConfig, ServerError, is_loopback, start,
                               stop, wait_until_ready)

    if not 0 < args.port < 65536:
        print(f"Port invalide : {args.port} (attendu : un entier de 1 à 65535)", file=sys.stderr)
        return 2
    if args.pool_size < 1:
        print(f"Nombre de noyaux invalide : {args.pool_size} (attendu : au moins 1)",
              file=sys.stderr)
        return 2
    if args.cull_idle < 0:
        print(f"Durée invalide : {args.cull_idle} (attendu : 0 ou un nombre de secondes)",
              file=sys.stderr)
        return 2
    config = ServeConfig(host=args.host, port=args.port, token=args.token or None,
                         data_dir=Path(args.data) if args.data else None,
                         pool_size=args.pool_size, cull_idle_seconds=args.cull_idle,
                         log_level="INFO" if args.verbeux else "WARN")
    data = config.resolved_data_dir()
    if not data.is_dir():
        print(f"Dossier de données introuvable : {data}", file=sys.stderr)
        return 2
    if not Path(config.notebook).is_file():
        print(f"Application introuvable : {APP_NOTEBOOK}", file=sys.stderr)
        return 2

    print(f"Démarrage de l'application (données : {data}) …", flush=True)
    if not is_loopback(config.host):
        print(f"Attention : le serveur écoute sur {config.host}, l'application est accessible "
              "depuis le réseau.", flush=True)
    process = start(config)
    # Voilà runs in its own session: Ctrl+C reaches only this process, which stops it.
    # SIGTERM ends this command like Ctrl+C: the server is stopped outside the handler
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        try:
            wait_until_ready(config.url(), timeout=120, process=process)
        except ServerError as exc:
            print(f"Impossible de démarrer l'application : {exc}", file=sys.stderr)
            stop(process)
            return 1
        print(f"Application disponible sur {config.url()} (Ctrl+C pour arrêter)", flush=True)
        code = process.wait()
        stop(process)  # already ended: removes the data snapshot
    except KeyboardInterrupt:
        code = stop(process)
        print("Application arrêtée.", flush=True)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
    if code not in (0, None, -signal.SIGTERM):
        print(f"Le serveur s'est arrêté avec le code {code}.", file=sys.stderr)
        return 1
    print("Application arrêtée.", flush=True)
    return 0
