"""``cdv bench`` document phase: ``cdv rapport`` as an analyst runs it, for the whole
agglomeration and for one commune (HTML, PDF and DOCX each), timed from the outside (a new
process: Python start-up, imports and loading the data included).

What limits the time is read from the command's own report: the time to build the content
(data, tables, charts, maps) and the time each format took.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from cdv_lib.bench.measure import bin_path, run_timed, tail
from cdv_lib.bench.results import Results, fmt_number
from cdv_lib.commands.rapport import FORMATS, output_name

#: Targets of the issue (seconds).
AGGLOMERATION_SECONDS = 60.0
COMMUNE_SECONDS = 15.0
_NUMBER = r"(\d+(?:[.,]\d+)?)"
_WRITTEN = re.compile(r"^écrit : .+\.(\w+) \(" + _NUMBER + r" s\)$", re.MULTILINE)
_SUMMARY = re.compile(r"^Rapport « (.+) » : (\d+) tableaux, (\d+) figures, " + _NUMBER
                      + r" s \(données, tableaux, graphiques et cartes : " + _NUMBER + r" s\)\.$",
                      re.MULTILINE)


def _seconds(text: str) -> float:
    return float(text.replace(",", "."))


def parse_report(stdout: str) -> dict:
    """What ``cdv rapport`` printed: ``scope``, ``tables``, ``figures``, ``content_s`` (time
    to build the content), ``total_s`` and ``formats`` (``{"pdf": 5.0, ...}``)."""
    summary = _SUMMARY.search(stdout)
    if summary is None:
        raise ValueError("bilan de cdv rapport introuvable : " + tail(stdout, 3))
    return {"scope": summary.group(1), "tables": int(summary.group(2)),
            "figures": int(summary.group(3)), "total_s": _seconds(summary.group(4)),
            "content_s": _seconds(summary.group(5)),
            "formats": {m.group(1): _seconds(m.group(2)) for m in _WRITTEN.finditer(stdout)}}


def pdf_pages(path: Path) -> int | None:
    """Pages of a PDF by ``pdfinfo`` (poppler-utils), ``None`` without it."""
    if shutil.which("pdfinfo") is None or not path.exists():
        return None
    proc = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, timeout=60)
    found = re.search(r"^Pages:\s+(\d+)", proc.stdout, re.MULTILINE)
    return int(found.group(1)) if found else None


def largest_commune(data_dir: Path | None = None) -> str:
    """The signatory commune with the most inhabitants (its document is the longest)."""
    from cdv_lib import columns as C
    from cdv_lib.dataset import load_dataset

    communes = load_dataset(data_dir).communes
    signatories = communes[communes[C.SIGNATAIRE].astype("boolean").fillna(False)]
    ordered = signatories.sort_values(C.POPULATION, ascending=False, na_position="last")
    return str(ordered[C.CODE_INSEE].iloc[0])


def run_rapport(out: Path, commune: str | None = None) -> tuple[float, dict]:
    """``cdv rapport`` (every format) into *out*: wall seconds and :func:`parse_report`."""
    shutil.rmtree(out, ignore_errors=True)
    argv = [bin_path("cdv"), "rapport", "--out", str(out), "--format", ",".join(FORMATS)]
    if commune:
        argv += ["--commune", commune]
    seconds, proc = run_timed(argv, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"cdv rapport a échoué (code {proc.returncode}) : "
                           + tail(proc.stderr + proc.stdout, 8))
    report = parse_report(proc.stdout)
    missing = [f for f in FORMATS if f not in report["formats"]]
    if missing:
        raise RuntimeError("cdv rapport n'a pas écrit : " + ", ".join(missing))
    report["pages"] = pdf_pages(out / "rapport" / f"{output_name(commune)}.pdf")
    return seconds, report


def _limit(seconds: float, report: dict) -> str:
    f = report["formats"]
    rest = max(seconds - report["total_s"], 0.0)
    return (f"contenu (données, tableaux, graphiques, cartes) {fmt_number(report['content_s'], 1)} s"
            f", PDF {fmt_number(f['pdf'], 1)} s (impression par Chromium, sommaire numéroté "
            f"relu puis réimprimé), DOCX {fmt_number(f['docx'], 1)} s, HTML "
            f"{fmt_number(f['html'], 1)} s ; démarrage de Python et imports "
            f"{fmt_number(rest, 1)} s")


def bench_document(res: Results, opts, work: Path) -> None:
    """Time the agglomeration's document and the largest commune's, against the targets."""
    work.mkdir(parents=True, exist_ok=True)
    b = "document"
    commune = opts.extra.get("document_commune") or largest_commune()
    for key, label, code, wanted in [
            ("agglomeration", "de l'agglomération", None, AGGLOMERATION_SECONDS),
            ("commune", f"d'une commune ({commune})", commune, COMMUNE_SECONDS)]:
        seconds, report = run_rapport(work / key, code)
        pages = f", {report['pages']} pages" if report.get("pages") else ""
        res.figure(b, f"document.{key}", f"cdv rapport {label} : HTML, PDF et DOCX", seconds,
                   "s", f"« {report['scope']} » : {report['tables']} tableaux, "
                   f"{report['figures']} figures{pages} ; {_limit(seconds, report)}")
        res.figure(b, f"document.{key}_content", f"Contenu du document {label} (données, "
                   "tableaux, graphiques, cartes)", report["content_s"], "s")
        res.figure(b, f"document.{key}_pdf", f"PDF du document {label}",
                   report["formats"]["pdf"], "s")
        if not opts.quick:
            res.target(b, f"target.document_{key}", f"document {label} (HTML, PDF, DOCX)",
                       f"{fmt_number(seconds, 1)} s", f"≤ {fmt_number(wanted, 0)} s",
                       seconds <= wanted, _limit(seconds, report))
    agglo, one = res.get("document.agglomeration"), res.get("document.commune")
    if agglo and one:
        res.finding(b, f"Le document de l'agglomération prend {fmt_number(agglo.value, 1)} s, "
                    f"celui de {commune} {fmt_number(one.value, 1)} s, mesurés comme un "
                    "analyste lance `cdv rapport` (nouveau processus). Le contenu est construit "
                    "une fois puis écrit dans chaque format ; le PDF est imprimé par Chromium, "
                    "puis réimprimé tant que les numéros de page du sommaire changent.")
