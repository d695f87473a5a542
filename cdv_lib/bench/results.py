"""What a benchmark run records: figures, ratios, targets, findings; and the French
markdown report ``benchmarks/results.md`` written from them.

Every figure is measured in the run that writes the report; ratios are computed between
figures of that same run (machines are noisy, a ratio to yesterday's baseline means nothing).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cdv_lib import atomic

#: Headings of results.md, in order (tests check them).
HEADINGS = {
    "machine": "## Machine",
    "figures": "## Mesures",
    "ratios": "## Rapports",
    "targets": "## Objectifs",
    "findings": "## Où passe le temps",
    "notes": "## Remarques",
}


@dataclass
class Figure:
    """One measured figure: ``key`` (stable id), French ``label``, ``value``, ``unit``
    (``s``, ``ms``, ``Mo``, ``lignes``...), ``benchmark`` (the sub-benchmark), ``detail``."""

    key: str
    label: str
    value: float
    unit: str
    benchmark: str
    detail: str = ""


@dataclass
class Ratio:
    """``numerator / denominator`` of two figures of the same run."""

    key: str
    label: str
    numerator: str
    denominator: str
    value: float
    benchmark: str


@dataclass
class Target:
    """A target of the issue and whether this run meets it. ``limit`` says, measured, what
    stops it when it is not met."""

    key: str
    label: str
    measured: str
    wanted: str
    met: bool | None
    benchmark: str
    limit: str = ""


@dataclass
class Results:
    """Everything one ``cdv bench`` run measured."""

    machine: dict = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)
    ratios: list[Ratio] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    findings: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    command: str = ""
    echo: bool = True
    #: markdown of an earlier run kept below this one (the benchmarks not re-run)
    previous: str = ""
    #: what limits a target, measured, filled by the sub-benchmarks (target key -> text)
    extra: dict = field(default_factory=dict)

    # ---------------------------------------------------------------- recording
    def figure(self, benchmark: str, key: str, label: str, value: float, unit: str = "s",
               detail: str = "") -> Figure:
        fig = Figure(key, label, float(value), unit, benchmark, detail)
        self.figures = [f for f in self.figures if f.key != key] + [fig]
        if self.echo:
            extra = f" ({detail})" if detail else ""
            print(f"[{benchmark}] {label} : {fmt_value(fig.value, unit)}{extra}", flush=True)
        return fig

    def get(self, key: str) -> Figure | None:
        return next((f for f in self.figures if f.key == key), None)

    def ratio(self, benchmark: str, key: str, label: str, numerator: str,
              denominator: str) -> Ratio | None:
        num, den = self.get(numerator), self.get(denominator)
        if num is None or den is None or not den.value:
            return None
        r = Ratio(key, label, numerator, denominator, num.value / den.value, benchmark)
        self.ratios = [x for x in self.ratios if x.key != key] + [r]
        if self.echo:
            print(f"[{benchmark}] {label} : {fmt_number(r.value, 2)}", flush=True)
        return r

    def get_ratio(self, key: str) -> Ratio | None:
        return next((r for r in self.ratios if r.key == key), None)

    def target(self, benchmark: str, key: str, label: str, measured: str, wanted: str,
               met: bool | None, limit: str = "") -> Target:
        t = Target(key, label, measured, wanted, met, benchmark, limit)
        self.targets = [x for x in self.targets if x.key != key] + [t]
        if self.echo:
            status = {True: "atteint", False: "NON atteint", None: "non mesuré"}[met]
            print(f"[{benchmark}] objectif {label} ({wanted}) : {measured} → {status}",
                  flush=True)
        return t

    def finding(self, benchmark: str, text: str) -> None:
        self.findings.setdefault(benchmark, []).append(text)

    def note(self, text: str) -> None:
        self.notes.append(text)
        if self.echo:
            print(f"note : {text}", flush=True)

    # ---------------------------------------------------------------- report
    def to_markdown(self) -> str:
        m = self.machine
        lines = ["# Mesures de performance de l'atelier", "",
                 "Produit par `cdv bench` : toutes les mesures ci-dessous viennent d'**une "
                 "seule exécution**, sur la même machine ; chaque rapport est calculé entre "
                 "deux mesures de cette exécution. Voir `benchmarks/README.md` pour ce que "
                 "mesure chaque banc et comment le reproduire.", ""]
        if self.command:
            lines += [f"Commande : `{self.command}`", ""]
        lines += [HEADINGS["machine"], ""]
        for label, key in [("Date", "date"), ("Processeur", "cpu_model"),
                           ("Cœurs (logiques)", "cores"), ("Cœurs utilisables", "usable_cores"),
                           ("Mémoire", "memory"), ("Charge au démarrage (1, 5, 15 min)", "load"),
                           ("Système", "system"), ("Python", "python")]:
            if key in m:
                lines.append(f"- {label} : {m[key]}")
        if m.get("packages"):
            lines.append("- Paquets : " + ", ".join(f"{k} {v}" for k, v in m["packages"].items()))
        lines += ["", HEADINGS["figures"], "",
                  "| banc | mesure | valeur | détail |", "|---|---|---|---|"]
        for f in self.figures:
            lines.append(f"| {f.benchmark} | {f.label} | {fmt_value(f.value, f.unit)} | "
                         f"{_cell(f.detail)} |")
        lines += ["", HEADINGS["ratios"], "",
                  "| banc | rapport | valeur | calcul |", "|---|---|---|---|"]
        for r in self.ratios:
            num, den = self.get(r.numerator), self.get(r.denominator)
            calc = f"{num.label} / {den.label}" if num and den else ""
            lines.append(f"| {r.benchmark} | {r.label} | {fmt_number(r.value, 2)} | "
                         f"{_cell(calc)} |")
        lines += ["", HEADINGS["targets"], "",
                  "| banc | objectif | visé | mesuré | atteint | ce qui limite (mesuré) |",
                  "|---|---|---|---|---|---|"]
        for t in self.targets:
            status = {True: "oui", False: "**non**", None: "non mesuré"}[t.met]
            lines.append(f"| {t.benchmark} | {t.label} | {_cell(t.wanted)} | "
                         f"{_cell(t.measured)} | {status} | {_cell(t.limit)} |")
        lines += ["", HEADINGS["findings"], ""]
        if not self.findings:
            lines.append("Aucun profil dans cette exécution.")
        for bench, items in self.findings.items():
            lines += [f"### {bench}", ""]
            lines += [item if not item or item.startswith(("|", "```", "    "))
                      else f"- {item}" for item in items]
            lines.append("")
        lines += ["", HEADINGS["notes"], ""]
        lines += [f"- {n}" for n in self.notes] or ["Aucune."]
        if self.previous:
            lines += ["", PREVIOUS_HEADING, "",
                      "Les bancs non relancés ci-dessus gardent les mesures de l'exécution "
                      "précédente, reproduite telle quelle (titres décalés d'un niveau), avec "
                      "celles qu'elle gardait elle-même. Ses rapports ne se combinent pas avec "
                      "ceux de cette exécution.", "",
                      demote(self.previous)]
        return "\n".join(lines).rstrip() + "\n"

    def write(self, path: str | Path) -> Path:
        """Write the markdown report whole (temporary file then rename)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return atomic.write_text(path, self.to_markdown())


PREVIOUS_HEADING = "## Exécution précédente, conservée"


def previous_run(text: str) -> str:
    """The report of *text* (an earlier ``results.md``) to keep below a partial run: whole,
    with the runs it kept itself, so that every benchmark keeps its latest measurement."""
    return text.strip()


def demote(markdown: str) -> str:
    """Every heading one level down (``# A`` → ``## A``)."""
    return "\n".join("#" + line if line.startswith("#") else line
                     for line in markdown.splitlines())


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def fmt_number(value: float, decimals: int = 1) -> str:
    """French number by :func:`cdv_lib.formatting.fmt_number` (the one formatting API:
    ``12 345,6`` with U+00A0); ``—`` when there is no measurement."""
    from cdv_lib.formatting import fmt_number as french

    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return french(value, decimals)


def fmt_value(value: float, unit: str) -> str:
    """A figure with its unit, precision chosen from the unit."""
    if unit == "s":
        return f"{fmt_number(value, 2 if value < 10 else 1)} s"
    if unit == "ms":
        return f"{fmt_number(value, 0)} ms"
    if unit in ("Mo", "Go"):
        return f"{fmt_number(value, 0 if unit == 'Mo' else 2)} {unit}"
    if unit in ("", "x"):
        return fmt_number(value, 2)
    decimals = 0 if float(value).is_integer() else 2
    return f"{fmt_number(value, decimals)} {unit}"


def warn(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
