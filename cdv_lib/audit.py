"""Secrecy audit of produced outputs (HTML reports and Excel workbooks).

The audit reads what a reader would see and looks for two kinds of leaks:

* a figure whose base is under the secrecy threshold: a printed base ``n = 3`` or a number
  under the threshold in a table column headed like a base (``Base (n)``, ``n``,
  ``Répondants``...). Zero bases are not a leak (nothing is said about anybody);
* a name from a deny-list (people who must never appear: interviewees, association
  presidents...), matched case- and accent-insensitively on word boundaries.

It never modifies what it scans. Charts drawn as images cannot be read: their captions are
produced by the same code as the tables, which is what the audit checks.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

DEFAULT_THRESHOLD = 5

BASE_HEADER = re.compile(
    r"^\s*(base|n|base \(n\)|n \(base\)|effectif de base|r[ée]pondants|nombre de r[ée]pondants)\s*$",
    re.IGNORECASE,
)
# "n = 3", "n=3", "(n = 1 234)": the thousands separator may be a (narrow) no-break space.
BASE_TEXT = re.compile(r"\bn\s*=\s*(\d{1,3}(?:[ \u00a0\u202f]\d{3})*|\d+)\b")
NUMBER = re.compile(r"^\s*(\d{1,3}(?:[ \u00a0\u202f]\d{3})*|\d+)(?:[,.]0+)?\s*$")


@dataclass(frozen=True)
class Finding:
    """One leak found in one output file."""

    file: str
    location: str  # "texte", "tableau 2, ligne 3", "feuille « X », cellule B4"...
    kind: str  # "base" or "nom"
    value: str
    detail: str

    def message(self) -> str:
        return f"{self.file} ({self.location}) : {self.detail} — « {self.value} »"


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _to_int(text: str) -> int | None:
    match = NUMBER.match(str(text))
    if not match:
        return None
    return int(re.sub(r"[ \u00a0\u202f]", "", match.group(1)))


def _deny_patterns(names: Iterable[str]) -> list[tuple[str, re.Pattern]]:
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


def scan_table(table: pd.DataFrame, *, file: str, location: str,
               threshold: int) -> Iterator[Finding]:
    """Findings in a table: numbers under the threshold in columns headed like a base."""
    for col in table.columns:
        header = " ".join(str(c) for c in col) if isinstance(col, tuple) else str(col)
        if not BASE_HEADER.match(header):
            continue
        for i, cell in enumerate(table[col].tolist(), start=1):
            n = _to_int(cell) if not isinstance(cell, (int, float)) else (
                None if pd.isna(cell) else int(cell))
            if n is not None and 0 < n < threshold:
                yield Finding(file, f"{location}, ligne {i}", "base", str(cell),
                              f"colonne « {header} » : base sous le seuil de {threshold}")


def scan_html(path: Path, *, threshold: int, deny) -> list[Finding]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_text(encoding="utf-8", errors="replace"), "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    findings: list[Finding] = []
    for t_index, html_table in enumerate(soup.find_all("table"), start=1):
        rows = [[cell.get_text(" ", strip=True) for cell in tr.find_all(["th", "td"])]
                for tr in html_table.find_all("tr")]
        rows = [r for r in rows if r]
        if len(rows) < 2:
            continue
        header, body = rows[0], rows[1:]
        width = max(len(r) for r in rows)
        header = header + [""] * (width - len(header))
        # an index column makes body rows one cell longer than the header
        body = [([""] * (width - len(r)) + r) if len(r) < width else r for r in body]
        frame = pd.DataFrame(body, columns=pd.Index(header))
        frame = frame.loc[:, ~frame.columns.duplicated()]
        findings += scan_table(frame, file=path.name, location=f"tableau {t_index}",
                               threshold=threshold)
    text = soup.get_text(" ", strip=True)
    findings += scan_text(text, file=path.name, location="texte", threshold=threshold,
                          deny=deny)
    return findings


def scan_xlsx(path: Path, *, threshold: int, deny) -> list[Finding]:
    from openpyxl import load_workbook

    findings: list[Finding] = []
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            rows = [list(r) for r in sheet.iter_rows(values_only=True)]
            base_cols: dict[int, str] = {}
            header_row = None
            for r_index, row in enumerate(rows, start=1):
                for c_index, value in enumerate(row, start=1):
                    if value is None:
                        continue
                    cell_name = f"{_column_letter(c_index)}{r_index}"
                    location = f"feuille « {sheet.title} », cellule {cell_name}"
                    if isinstance(value, str):
                        if BASE_HEADER.match(value):
                            base_cols[c_index] = value
                            header_row = r_index
                        findings += scan_text(value, file=path.name, location=location,
                                              threshold=threshold, deny=deny)
                    elif (c_index in base_cols and header_row is not None
                          and r_index > header_row and isinstance(value, (int, float))
                          and 0 < value < threshold):
                        findings.append(Finding(
                            path.name, location, "base", str(value),
                            f"colonne « {base_cols[c_index]} » : base sous le seuil de {threshold}"))
    finally:
        workbook.close()
    return findings


def _column_letter(index: int) -> str:
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def audit_dir(out_dir: str | Path, *, threshold: int = DEFAULT_THRESHOLD,
              deny_list: Iterable[str] = ()) -> list[Finding]:
    """Scan every ``.html`` and ``.xlsx`` under *out_dir* (recursively)."""
    out_dir = Path(out_dir)
    deny = _deny_patterns(deny_list)
    findings: list[Finding] = []
    for path in sorted(out_dir.rglob("*")):
        if not path.is_file() or ".tmp" in path.name:
            continue
        suffix = path.suffix.lower()
        if suffix in {".html", ".htm"}:
            found = scan_html(path, threshold=threshold, deny=deny)
        elif suffix == ".xlsx":
            found = scan_xlsx(path, threshold=threshold, deny=deny)
        else:
            continue
        rel = str(path.relative_to(out_dir))
        findings += [Finding(rel, f.location, f.kind, f.value, f.detail) for f in found]
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
