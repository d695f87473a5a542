"""``cdv rapport [--commune CODE] [--format html,pdf,docx] [--final] [--out DIR] [--data
DOSSIER]``: the evaluation report as a document (HTML, PDF, DOCX)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

FORMATS = ("html", "pdf", "docx")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "rapport",
        help="produire le rapport d'évaluation (HTML, PDF, Word)",
        description=(
            "Produit le rapport d'évaluation du Contrat de Ville comme le rapport 2022 : page "
            "de titre, sommaire, édito, avant-propos, chapitres, suivi du PERR et annexes, "
            "avec les tableaux et graphiques numérotés et les messages clés calculés. Les "
            "textes de l'analyste sont les fichiers Markdown du dossier « redaction » des "
            "données (voir data/README.md). Écrit rapport/rapport_evaluation.* (ou "
            "rapport_<commune>.*). Code 0 si tout est écrit, 2 si les données sont "
            "invalides ou si --final manque de textes (rien n'est écrit), 1 si un format "
            "n'a pas pu être produit."
        ),
    )
    parser.add_argument("--commune", default=None, metavar="CODE",
                        help="code INSEE : le rapport de cette commune (secret statistique "
                             "appliqué)")
    parser.add_argument("--format", default=",".join(FORMATS), metavar="LISTE",
                        help="formats séparés par des virgules parmi html, pdf, docx "
                             "(défaut : les trois)")
    parser.add_argument("--final", action="store_true",
                        help="version définitive : refuse de produire le document s'il manque "
                             "un texte de l'analyste")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="dossier de sortie (défaut : out/) ; les fichiers vont dans "
                             "DIR/rapport/")
    parser.add_argument("--data", default=None, metavar="DOSSIER",
                        help="dossier de données (défaut : $CDV_DATA_DIR, sinon les données "
                             "embarquées)")
    parser.set_defaults(func=run)


def _formats(text: str) -> list[str]:
    wanted = [f.strip().lower() for f in str(text).split(",") if f.strip()]
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise ValueError(f"format inconnu : {', '.join(unknown) or '(vide)'} (formats : "
                         f"{', '.join(FORMATS)})")
    return list(dict.fromkeys(wanted))


def output_name(commune: str | None) -> str:
    """``rapport_evaluation`` for the agglomeration, ``rapport_<code>`` for a commune."""
    return "rapport_evaluation" if commune is None else f"rapport_{commune}"


def run(args: argparse.Namespace) -> int:
    import matplotlib

    # a document is drawn off screen; the process environment is left alone (a kernel or
    # a server started later from the same process must keep its own backend)
    matplotlib.use("Agg")
    from cdv_lib.atomic import clean_stale_tmp, commit, tmp_path
    from cdv_lib.dataset import load_dataset
    from cdv_lib.errors import DataError
    from cdv_lib.formatting import fmt_number
    from cdv_lib.paths import DEFAULT_OUT_DIR

    started = time.perf_counter()
    try:
        formats = _formats(args.format)
    except ValueError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    try:
        dataset = load_dataset(args.data)
    except DataError as exc:
        print(str(exc), file=sys.stderr)
        print("Aucun fichier n'a été écrit.", file=sys.stderr)
        return 2
    from cdv_lib.document import build_document

    commune = None if args.commune is None else str(args.commune).strip()
    try:
        doc = build_document(dataset, commune)
    except ValueError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    built = time.perf_counter() - started
    missing = doc.missing_narratives
    if args.final and missing:
        print(f"Version définitive refusée : {len(missing)} texte"
              f"{'s' if len(missing) > 1 else ''} de l'analyste manquant"
              f"{'s' if len(missing) > 1 else ''} :", file=sys.stderr)
        for block in missing:
            print(f"- {block.label} : {block.path}", file=sys.stderr)
        print("Aucun fichier n'a été écrit.", file=sys.stderr)
        return 2

    out_dir = Path(args.out) if args.out else DEFAULT_OUT_DIR
    folder = out_dir / "rapport"
    folder.mkdir(parents=True, exist_ok=True)
    clean_stale_tmp(folder)  # left by an interrupted run
    name = output_name(doc.commune)
    draft = not args.final
    written, temporary, failed = [], [], []
    for fmt in formats:
        target = folder / f"{name}.{fmt}"
        tmp = tmp_path(target)
        t0 = time.perf_counter()
        try:
            if fmt == "html":
                from cdv_lib.document.html import render_html

                tmp.write_text(render_html(doc, draft=draft), encoding="utf-8")
            elif fmt == "pdf":
                from cdv_lib.document.pdf import render_pdf

                render_pdf(doc, tmp, draft=draft)
            else:
                from cdv_lib.document.docx import render_docx

                render_docx(doc, tmp, draft=draft)
        except Exception as exc:  # one format failing must not leave a partial file
            tmp.unlink(missing_ok=True)
            failed.append(f"{fmt} : {exc}")
            continue
        temporary.append((tmp, target, time.perf_counter() - t0))
    for tmp, target, seconds in temporary:
        commit(tmp, target)
        written.append((target, seconds))
    for target, seconds in written:
        print(f"écrit : {target} ({fmt_number(seconds, 1)} s)")
    if missing:
        print(f"Document de travail : {len(missing)} texte{'s' if len(missing) > 1 else ''} "
              "à rédiger (" + ", ".join(b.path for b in missing) + ").")
    for line in failed:
        print(f"Échec : {line}", file=sys.stderr)
    print(f"Rapport « {doc.scope} » : {len(doc.tables)} tableaux, {len(doc.figures)} figures, "
          f"{fmt_number(time.perf_counter() - started, 1)} s (données, tableaux, graphiques "
          f"et cartes : {fmt_number(built, 1)} s).")
    return 1 if failed else 0
