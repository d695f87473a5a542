"""Secrecy audit of produced outputs (HTML reports and Excel workbooks), as an outsider.

The audit reads only the files a reader gets (:mod:`cdv_lib.audit_read`), never the
library's table objects, and looks for three kinds of leaks (a file it cannot read is a
``lecture`` finding):

* ``recalcul``: a masked cell (``s``) whose value follows from what is shown — sums to a
  base or a total, rounded share × base, differences between the agglomeration's and the
  communes' tables of the same question, a group's base against the same label's count in
  another table (:mod:`cdv_lib.audit_relations`, :mod:`cdv_lib.audit_solve`); the finding
  gives the equation;
* ``base``: a figure whose base is under the secrecy threshold: a printed base ``n = 3`` or
  a number under the threshold in a column headed like a base (``Base (n)``, ``n``,
  ``Répondants``...). Zero bases are not a leak (nothing is said about anybody);
* ``nom``: a name from a deny-list (people who must never appear: interviewees, association
  presidents...), matched case- and accent-insensitively on word boundaries.

It never modifies what it scans. Charts drawn as images cannot be read: their captions are
produced by the same code as the tables, which is what the audit checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from cdv_lib.audit_read import (
    FileText,
    Table,
    fold,
    read_html,
    read_xlsx,
)
from cdv_lib.audit_relations import build_model, row_label
from cdv_lib.audit_solve import Recovery, fr_number, fr_percent, solve

DEFAULT_THRESHOLD = 5

BASE_HEADER = re.compile(
    r"^\s*(base|n|base \(n\)|n \(base\)|effectif de base|r[ée]pondants|nombre de r[ée]pondants)\s*$",
    re.IGNORECASE,
)
# "n = 3", "n=3", "(n = 1 234)": the thousands separator may be a (narrow) no-break space.
BASE_TEXT = re.compile(r"\bn\s*=\s*(\d{1,3}(?:[ \u00a0\u202f]\d{3})*|\d+)\b")


@dataclass(frozen=True)
class Finding:
    """One leak found in one output file."""

    file: str
    location: str  # "texte", "tableau 2, ligne 3", "feuille « X », cellule B4"...
    kind: str  # "recalcul", "base", "nom" or "lecture" (a file that could not be read)
    value: str
    detail: str

    def message(self) -> str:
        return f"{self.file} ({self.location}) : {self.detail} — « {self.value} »"


def _fold(text: str) -> str:
    return fold(text)


def deny_patterns(names: Iterable[str]) -> list[tuple[str, re.Pattern]]:
    """Word-boundary, accent- and case-insensitive patterns of *names*."""
    patterns = []
    for name in names:
        name = str(name).strip()
        if not name:
            continue
        patterns.append((name, re.compile(r"(?<!\w)" + re.escape(_fold(name)) + r"(?!\w)")))
    return patterns


def scan_text(text: str, *, file: str, location: str, threshold: int,
              deny: list[tuple[str, re.Pattern]]) -> Iterator[Finding]:
    """Findings in free text: small printed bases and denied names."""
    for match in BASE_TEXT.finditer(text):
        n = int(re.sub(r"[ \u00a0\u202f]", "", match.group(1)))
        if 0 < n < threshold:
            start = max(0, match.start() - 40)
            yield Finding(file, location, "base", text[start:match.end() + 10].strip(),
                          f"base de {n} répondant(s), sous le seuil de {threshold}")
    folded = _fold(text)
    for name, pattern in deny:
        if pattern.search(folded):
            yield Finding(file, location, "nom", name, "nom de la liste d'exclusion")


def scan_bases(table: Table, *, threshold: int) -> Iterator[Finding]:
    """Numbers under the threshold in columns headed like a base."""
    for j, header in enumerate(table.headers):
        if not BASE_HEADER.match(header):
            continue
        for i, row in enumerate(table.rows, start=1):
            cell = row[j]
            if cell.kind != "number" or cell.unit or not (0 < cell.value < threshold):
                continue
            if table.sheet:
                location = f"feuille « {table.sheet} », cellule {cell.ref}"
            else:
                location = f"tableau {table.index}, ligne {i}"
            yield Finding(table.file, location, "base", cell.text,
                          f"colonne « {header} » : base sous le seuil de {threshold}")


def recovery_finding(table: Table, roles_row_label: str, rec: Recovery) -> Finding:
    header = table.headers[rec.column]
    cell = table.rows[rec.row][rec.column]
    place = f"ligne « {roles_row_label} », colonne « {header} »"
    if table.sheet:
        location = f"{table.where}, cellule {cell.ref} ({place})"
    else:
        location = f"{table.where}, {place}"
    return Finding(table.file, location, "recalcul", _value_text(table, rec),
                   f"valeur masquée recalculable : {rec.equation}")


def _value_text(table: Table, rec: Recovery) -> str:
    mid = (rec.lo + rec.hi) / 2
    column = [r[rec.column] for r in table.rows]
    if any(c.unit == "%" for c in column) or rec.hi <= 1 and "part" in fold(
            table.headers[rec.column]):
        return fr_percent(mid)
    if rec.lo == rec.hi:
        return fr_number(mid)
    suffix = "\u00a0€" if any(c.unit == "€" for c in column) else ""
    return f"≈ {fr_number(mid)}{suffix} (entre {fr_number(rec.lo)} et {fr_number(rec.hi)})"


def recover(tables: Sequence[Table]) -> list[Finding]:
    """Masked cells of *tables* (read by :mod:`cdv_lib.audit_read`) that a reader can
    compute back, as ``recalcul`` findings: file, table, row, column, the value and the
    equation that gives it."""
    model = build_model(tables)
    findings = []
    for rec in solve(model):
        table = model.tables[rec.table]
        label = row_label(table, model.roles[rec.table], rec.row)
        findings.append(recovery_finding(table, label, rec))
    return findings


def _read(path: Path, rel: str, scope: str | None, family: str = ""):
    if path.suffix.lower() == ".xlsx":
        return read_xlsx(path, rel)
    return read_html(path, rel, scope, family=family)


def _scan_file(tables: list[Table], texts: FileText, *, file: str, threshold: int,
               deny) -> list[Finding]:
    findings: list[Finding] = []
    for table in tables:
        findings += scan_bases(table, threshold=threshold)
    for location, text in texts.texts:
        findings += scan_text(text, file=file, location=location, threshold=threshold,
                              deny=deny)
    return findings


def scan_html(path: Path, *, threshold: int, deny) -> list[Finding]:
    """Small bases and denied names in one HTML file (no recomputation: that needs the
    whole output, see :func:`audit_dir`). *deny* comes from :func:`deny_patterns`."""
    path = Path(path)
    tables, texts = read_html(path, path.name, None)
    return _scan_file(tables, texts, file=path.name, threshold=threshold, deny=deny)


def scan_xlsx(path: Path, *, threshold: int, deny) -> list[Finding]:
    """Small bases and denied names in one workbook (no recomputation)."""
    path = Path(path)
    tables, texts = read_xlsx(path, path.name)
    return _scan_file(tables, texts, file=path.name, threshold=threshold, deny=deny)


def output_files(out_dir: str | Path) -> list[Path]:
    """The ``.html``/``.htm``/``.xlsx`` files under *out_dir* (temporary files skipped)."""
    out_dir = Path(out_dir)
    return [p for p in sorted(out_dir.rglob("*"))
            if p.is_file() and ".tmp" not in p.name
            and p.suffix.lower() in {".html", ".htm", ".xlsx"}]


def audit_dir(out_dir: str | Path, *, threshold: int = DEFAULT_THRESHOLD,
              deny_list: Iterable[str] = ()) -> list[Finding]:
    """Scan every ``.html``/``.htm`` and ``.xlsx`` under *out_dir* (recursively).

    Each file's tables are rebuilt from the file; a masked cell that the other cells give
    back is a ``recalcul`` finding (with the equation). The tables of the same file name in
    sibling folders (``agglomeration/x.html``, ``62498/x.html``) are compared across
    scopes; workbook tables through their « Périmètre » lines (one workbook with every
    scope, or ``tableaux.xlsx`` in each scope folder).

    Parameters
    ----------
    out_dir : path-like
        Output folder (``out/`` of ``cdv batch``); never modified.
    threshold : int
        Secrecy threshold: a shown base ``0 < n < threshold`` is a ``base`` finding.
    deny_list : iterable of str
        Names that must never appear (``nom`` findings).

    Returns
    -------
    list of Finding
        Empty when nothing leaks.
    """
    out_dir = Path(out_dir)
    deny = deny_patterns(deny_list)
    findings: list[Finding] = []
    tables: list[Table] = []
    for path in output_files(out_dir):
        rel = str(path.relative_to(out_dir))
        parent = path.parent.relative_to(out_dir)
        # out/<scope>/<theme>.html: the same file name in sibling folders, several scopes
        scope = parent.name if str(parent) not in ("", ".") else None
        family = f"{parent.parent}/{path.name}"
        try:
            file_tables, texts = _read(path, rel, scope, family)
        except Exception as error:  # noqa: BLE001 - any unreadable file is reported
            findings.append(Finding(rel, "fichier", "lecture", type(error).__name__,
                                    f"fichier illisible, non vérifié ({error})"))
            continue
        tables += file_tables
        findings += _scan_file(file_tables, texts, file=rel, threshold=threshold, deny=deny)
    findings += recover(tables)
    return findings


def read_deny_list(path: str | Path) -> list[str]:
    """One name per line (``#`` starts a comment), or a YAML list / ``noms:`` mapping."""
    path = Path(path)
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() in {".yaml", ".yml"}:
        import yaml

        data = yaml.safe_load(text) or []
        if isinstance(data, dict):
            data = data.get("noms", [])
        return [str(x) for x in data]
    return [line.split("#", 1)[0].strip() for line in text.splitlines()
            if line.split("#", 1)[0].strip()]
