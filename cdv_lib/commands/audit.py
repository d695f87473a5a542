"""``cdv audit OUT_DIR``: secrecy audit of produced reports and workbooks."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "audit",
        help="rechercher des violations du secret statistique dans des sorties",
        description=(
            "Analyse chaque fichier HTML et Excel de DOSSIER comme un lecteur extérieur : "
            "relit chaque tableau et cherche à recalculer chaque case masquée (« s ») à partir "
            "de ce qui est montré (effectifs dont la somme fait la base ou le total, part "
            "arrondie × base, agglomération moins communes pour une même question), puis "
            "signale les bases inférieures au seuil de secret statistique et les noms de la "
            "liste d'exclusion. Chaque case recalculable est donnée avec son fichier, son "
            "tableau, sa ligne, sa colonne et l'équation qui la retrouve. Code 0 si rien "
            "n'est trouvé, 1 sinon, 2 si le dossier est introuvable."
        ),
    )
    parser.add_argument("out_dir", metavar="DOSSIER", help="dossier de sortie à analyser")
    parser.add_argument("--seuil", type=int, default=None,
                        help="effectif minimal (défaut : config.yaml des données, sinon 5)")
    parser.add_argument("--liste-noms", dest="deny_list", action="append", default=[],
                        metavar="FICHIER",
                        help="noms à ne jamais publier, un par ligne (répétable)")
    parser.add_argument("--data", default=None, help="dossier de données (pour config.yaml)")
    parser.set_defaults(func=run)


def _config(data: str | None) -> dict:
    import yaml

    from cdv_lib.paths import data_dir

    path = data_dir(data) / "config.yaml"
    if not path.exists():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}


def run(args: argparse.Namespace) -> int:
    from collections import Counter

    from cdv_lib.audit import DEFAULT_THRESHOLD, audit_dir, output_files, read_deny_list
    from cdv_lib.paths import data_dir

    out_dir = Path(args.out_dir)
    if not out_dir.is_dir():
        print(f"Dossier introuvable : {out_dir}", file=sys.stderr)
        return 2
    config = _config(args.data)
    threshold = args.seuil
    if threshold is None:
        threshold = int((config.get("secret") or {}).get("seuil_defaut", DEFAULT_THRESHOLD))
    names: list[str] = []
    audit_conf = config.get("audit") or {}
    names += [str(n) for n in audit_conf.get("noms", []) or []]
    if audit_conf.get("liste_noms"):
        names += read_deny_list(data_dir(args.data) / audit_conf["liste_noms"])
    for path in args.deny_list:
        names += read_deny_list(path)

    findings = audit_dir(out_dir, threshold=threshold, deny_list=names)
    scanned = len(output_files(out_dir))
    if not findings:
        print(f"Audit sans anomalie : {scanned} fichier(s) analysé(s), aucune case masquée "
              f"recalculable, seuil {threshold}, {len(names)} nom(s) exclu(s).")
        return 0
    counts = Counter(f.kind for f in findings)
    parts = [f"{counts[k]} {label}" for k, label in (
        ("recalcul", "case(s) masquée(s) recalculable(s)"),
        ("base", "base(s) sous le seuil"),
        ("nom", "nom(s) de la liste d'exclusion"),
        ("lecture", "fichier(s) illisible(s)")) if counts[k]]
    print(f"{len(findings)} anomalie(s) dans {scanned} fichier(s) analysé(s) (seuil {threshold}) : "
          + ", ".join(parts) + ".")
    for finding in findings:
        print("- " + finding.message())
    return 1
