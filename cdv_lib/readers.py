"""Reading input tables (CSV or Excel) as raw string frames, and parsing French numbers and
booleans.

Every reader returns *strings only*: INSEE and QPV codes never lose a leading zero, and typing
happens later, in :mod:`cdv_lib.schemas`, where a bad cell becomes a :class:`Problem`.
The index of a returned frame is the spreadsheet row number (header = 1, first data row = 2),
so that every message can point to the row the analyst sees.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from cdv_lib.text import parse_numbers
from cdv_lib.errors import DataError, Problem

TABLE_EXTENSIONS = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")
EXCEL_EXTENSIONS = (".xlsx", ".xlsm")
UNSUPPORTED_EXTENSIONS = {".xls": "ancien format Excel .xls", ".ods": "classeur OpenDocument .ods",
                          ".numbers": "classeur Numbers"}
SEPARATORS = (";", "\t", ",")
SEPARATOR_NAMES = {";": "« ; »", ",": "« , »", "\t": "tabulation"}
SAMPLE_CHARS = 64 * 1024

# bytes that Windows-1252 leaves undefined: their presence means neither UTF-8 nor cp1252
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
# UTF-8 text wrongly decoded as cp1252 shows these pairs ("Ã©" for "é")
_MOJIBAKE = re.compile("[ÃÂ][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
                       "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030"
                       "\u2039\u203a\u20ac\u2122]")
# a DOS (cp850) export read as cp1252 puts punctuation inside words: "r‚union" for "réunion"
_DOS_IN_WORD = re.compile("[a-z][\u201a\u201e\u2026\u2021\u02c6\u2030\u2039\u201c\u201d"
                          "\u2022\u2013\u2014\u0160][a-z]")
_EXPECTED_ENCODING = "texte en UTF-8 (avec ou sans BOM) ou Windows-1252"


# --------------------------------------------------------------------------- finding files
def find_table(data_dir: str | Path, name: str) -> Path | None:
    """Return the file holding table *name* in *data_dir* (``name.csv``, ``.tsv``, ``.txt``,
    ``.xlsx`` or ``.xlsm``, extension case-insensitive), or ``None``.

    When several candidates exist, the first in that order is returned; use
    :func:`table_candidates` to detect the ambiguity.
    """
    found = table_candidates(data_dir, name)
    return found[0] if found else None


def table_candidates(data_dir: str | Path, name: str,
                     extensions: Iterable[str] = TABLE_EXTENSIONS) -> list[Path]:
    """All files of *data_dir* named *name* with one of *extensions*, in extension order."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        return []
    by_ext: dict[str, Path] = {}
    for path in data_dir.iterdir():
        if path.is_file() and path.stem.lower() == name.lower() \
                and path.suffix.lower() in extensions:
            by_ext.setdefault(path.suffix.lower(), path)
    return [by_ext[ext] for ext in extensions if ext in by_ext]


# --------------------------------------------------------------------------- reading
def read_table(path: str | Path, *, sheet: str | None = None,
               file_label: str | None = None) -> pd.DataFrame:
    """Read a CSV or Excel table as strings.

    Parameters
    ----------
    path : CSV (``;``, ``,`` or tab, sniffed; UTF-8 with or without BOM, or Windows-1252) or
        ``.xlsx``/``.xlsm`` workbook.
    sheet : sheet to read when the workbook has no sheet named like the file stem.
    file_label : name used in problems (default: the file name).

    Returns
    -------
    DataFrame (``attrs["file_label"]`` = label to use in problems, naming the sheet of a
    workbook with several sheets, ``attrs["other_sheets"]`` = the sheets not read) whose columns are the file's header (stripped), every value a ``str`` or missing
    (NaN), object dtype; fully empty rows dropped; index = spreadsheet row number (header = 1).

    Raises
    ------
    DataError
        Empty, header-only, undecodable or binary file, duplicated column names, unreadable
        workbook, formula without cached value, merged header cells.
    """
    path = Path(path)
    label = file_label or path.name
    if path.suffix.lower() in EXCEL_EXTENSIONS:
        return _read_excel(path, sheet, label)
    return _read_csv(path, label)


def _fail(label: str, expected: str, *, row=None, column=None, value=None) -> DataError:
    return DataError([Problem(label, row, column, value, expected)])


def _read_csv(path: Path, label: str) -> pd.DataFrame:
    raw = path.read_bytes()
    text = decode_bytes(raw, label)
    if not text.strip():
        raise _fail(label, "un tableau avec une ligne d'en-tête et au moins une ligne de données "
                    "(fichier vide)")
    sample = text[:SAMPLE_CHARS]
    sep = sniff_separator(sample)
    header = next(csv.reader(io.StringIO(sample), delimiter=sep), [])
    header = [h.strip() for h in header]
    if len(header) == 1 and re.search(r"[|:#^]", header[0]):
        odd = re.search(r"[|:#^]", header[0]).group(0)
        raise _fail(label, "un séparateur « ; », « , » ou tabulation "
                    f"(séparateur « {odd} » non reconnu dans l'en-tête)",
                    row=1, value=header[0])
    if len(header) == 1:
        rest = sample.split("\n", 1)[1] if "\n" in sample else ""
        sep_rest = sniff_separator(rest)
        second = next(csv.reader(io.StringIO(rest), delimiter=sep_rest), [])
        if len(second) > 1:
            raise _fail(label, "l'en-tête (noms de colonnes) en ligne 1 ; cette ligne ressemble "
                        "à un titre, l'en-tête semble être en ligne 2 : supprimer les lignes "
                        "au-dessus de l'en-tête", row=1, value=header[0])
    _check_header(header, label)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, header=0, engine="c",
                            keep_default_na=False, na_values=[""], skip_blank_lines=False,
                            quotechar='"', doublequote=True)
    except pd.errors.ParserError as exc:
        raise _parser_problem(exc, label, sep, text) from None
    except pd.errors.EmptyDataError:
        raise _fail(label, "une ligne d'en-tête et au moins une ligne de données "
                    "(fichier vide)") from None
    frame.columns = header
    frame.index = pd.RangeIndex(2, 2 + len(frame))
    frame = _clean(frame, label)
    _check_mixed_separator(frame, sep, label)
    frame.attrs["file_label"] = label
    return frame


def decode_bytes(raw: bytes, label: str) -> str:
    """Decode a text file: strict UTF-8 (BOM removed), else Windows-1252.

    Raises a :class:`DataError` naming the line of the first bad byte for binary content,
    UTF-16, a workbook saved with a text extension, or bytes valid in neither encoding.
    """
    if raw.startswith(b"PK\x03\x04"):
        raise _fail(label, "un fichier texte CSV ; c'est un classeur Excel (ou une archive zip) "
                    "enregistré avec une extension de texte : le renommer en .xlsx")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _fail(label, f"{_EXPECTED_ENCODING} ; le fichier est en UTF-16 (« Texte Unicode »)"
                    " : l'enregistrer en « CSV UTF-8 »")
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise _fail(label, "un fichier texte CSV ; c'est un ancien classeur Excel (.xls) : "
                    "l'enregistrer en .xlsx ou en CSV")
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise _fail(label, f"{_EXPECTED_ENCODING} ; contenu binaire (octet nul)",
                    row=raw.count(b"\n", 0, nul) + 1)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    else:
        return _refuse_control_chars(text, label)
    bad = next((i for i, byte in enumerate(raw) if byte in _CP1252_UNDEFINED), None)
    if bad is not None:
        raise _encoding_problem(raw, bad, label, "ni UTF-8 ni Windows-1252 "
                                f"(octet 0x{raw[bad]:02X} ; export DOS/Mac ?)")
    text = raw.decode("cp1252")
    dos = _DOS_IN_WORD.search(text)
    if dos:
        pos = len(text[: dos.start() + 1].encode("cp1252"))
        raise _encoding_problem(raw, pos, label, "ni UTF-8 ni Windows-1252 "
                                f"(octet 0x{raw[pos]:02X} au milieu d'un mot : export DOS "
                                "cp850 ?)")
    if _MOJIBAKE.search(text):
        raise _encoding_problem(raw, utf8_error.start, label,
                                "un seul encodage ; le fichier mélange UTF-8 et Windows-1252 "
                                f"(octet 0x{raw[utf8_error.start]:02X} invalide en UTF-8)")
    return _refuse_control_chars(text, label)


def _refuse_control_chars(text: str, label: str) -> str:
    # binary junk decodes as cp1252 without error: reject its C0 control characters
    match = re.search(r"[\x01-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]", text[:SAMPLE_CHARS])
    if match:
        row = text.count("\n", 0, match.start()) + 1
        raise _fail(label, f"{_EXPECTED_ENCODING} ; contenu binaire "
                    f"(caractère de contrôle 0x{ord(match.group(0)):02X})", row=row)
    return text


def _encoding_problem(raw: bytes, pos: int, label: str, detail: str) -> DataError:
    line_start = raw.rfind(b"\n", 0, pos) + 1
    line_end = raw.find(b"\n", pos)
    line = raw[line_start: line_end if line_end >= 0 else len(raw)]
    shown = line.decode("utf-8", errors="replace").strip()
    column = None
    header_line = raw.split(b"\n", 1)[0].decode("utf-8", errors="replace").lstrip("\ufeff")
    sep = sniff_separator(header_line)
    cells = line.split(sep.encode())
    offset = pos - line_start
    names = [h.strip() for h in header_line.split(sep)]
    acc = 0
    for i, cell in enumerate(cells):
        if acc <= offset <= acc + len(cell):
            column = names[i] if i < len(names) else None
            shown = cell.decode("utf-8", errors="replace").strip()
            break
        acc += len(cell) + len(sep)
    return _fail(label, f"{_EXPECTED_ENCODING} : {detail}", row=raw.count(b"\n", 0, pos) + 1,
                 column=column, value=shown)


def sniff_separator(sample: str) -> str:
    """Return ``;``, tab or ``,``: the candidate that splits the header into most fields and
    gives the same number of fields on the following lines (quotes respected)."""
    lines = sample.splitlines()
    if len(sample) >= SAMPLE_CHARS and len(lines) > 1:
        lines = lines[:-1]  # the last line of a truncated sample is partial
    body = "\n".join(lines[:200])
    best, best_score = ";", (-1, -1)
    for sep in SEPARATORS:
        try:
            rows = [r for r in csv.reader(io.StringIO(body), delimiter=sep) if r]
        except csv.Error:
            continue
        if not rows:
            continue
        width = len(rows[0])
        if width < 2:
            continue
        consistent = sum(1 for r in rows[1:] if len(r) == width)
        score = (consistent, width)
        if score > best_score:
            best, best_score = sep, score
    return best


def _check_header(header: list[str], label: str) -> None:
    seen: dict[str, int] = {}
    problems = []
    for i, name in enumerate(header):
        if name in seen and name:
            problems.append(Problem(label, 1, name, name,
                                    f"des noms de colonnes uniques (colonne « {name} » en "
                                    f"positions {seen[name] + 1} et {i + 1})"))
        seen.setdefault(name, i)
    if problems:
        raise DataError(problems)


def _parser_problem(exc: Exception, label: str, sep: str, source: str) -> DataError:
    text = str(exc)
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if match:
        expected, line, saw = (int(g) for g in match.groups())
        lines = source.splitlines()
        value = lines[line - 1] if 0 < line <= len(lines) else None
        return _fail(label, f"{expected} champs séparés par {SEPARATOR_NAMES[sep]}, "
                     f"{saw} trouvés (séparateur dans une valeur non entourée de guillemets ?)",
                     row=line, value=value)
    if "EOF" in text:
        # pandas counts rows from 0 at the header: spreadsheet row = n + 1
        match = re.search(r"starting at row (\d+)", text)
        return _fail(label, "des guillemets fermés (guillemet ouvert sur cette ligne, jamais "
                     "refermé)", row=int(match.group(1)) + 1 if match else None)
    return _fail(label, f"un CSV lisible ({text})")


def _clean(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """Strip values, turn blanks into NaN, drop empty rows and unnamed empty columns."""
    frame = frame.astype(object)
    for col in range(frame.shape[1]):
        series = frame.iloc[:, col]
        stripped = series.str.strip()
        frame.iloc[:, col] = stripped.where(stripped != "", np.nan)
    frame = frame.astype(object)
    unnamed = [i for i, name in enumerate(frame.columns) if name == ""]
    if unnamed:
        empty = [i for i in unnamed if frame.iloc[:, i].isna().all()]
        with_data = [i for i in unnamed if i not in empty]
        if with_data:
            i = with_data[0]
            row = frame.index[frame.iloc[:, i].notna()][0]
            raise _fail(label, "un nom de colonne dans l'en-tête (colonne "
                        f"n° {i + 1} sans nom mais remplie)", row=row,
                        value=frame.iloc[:, i].loc[row])
        keep = [i for i in range(frame.shape[1]) if i not in empty]
        frame = frame.iloc[:, keep]
    frame = frame.loc[frame.notna().any(axis=1)]
    if frame.empty:
        raise _fail(label, "au moins une ligne de données (seul l'en-tête est présent)")
    return frame


def _check_mixed_separator(frame: pd.DataFrame, sep: str, label: str) -> None:
    if frame.shape[1] < 2:
        return
    first = frame.iloc[:, 0]
    rest_empty = frame.iloc[:, 1:].isna().all(axis=1)
    problems = []
    for other in SEPARATORS:
        if other == sep:
            continue
        hit = rest_empty & first.str.contains(other, regex=False, na=False)
        for row in frame.index[hit][:20]:
            problems.append(Problem(label, int(row), frame.columns[0], first.loc[row],
                                    f"des champs séparés par {SEPARATOR_NAMES[sep]} comme dans "
                                    f"l'en-tête (séparateur {SEPARATOR_NAMES[other]} sur cette "
                                    "ligne)"))
    if problems:
        raise DataError(problems)


# --------------------------------------------------------------------------- Excel
def _read_excel(path: Path, sheet: str | None, label: str) -> pd.DataFrame:
    import zipfile

    from openpyxl import load_workbook

    try:
        wb_values = load_workbook(path, data_only=True)
        wb_formulas = load_workbook(path, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise _fail(label, f"un classeur .xlsx lisible ({type(exc).__name__})") from None
    names = wb_values.sheetnames
    chosen = next((n for n in names if n.strip().lower() == path.stem.lower()), None)
    if chosen is None and sheet is not None:
        if sheet not in names:
            raise _fail(label, f"une feuille « {sheet} » ; feuilles trouvées : "
                        + ", ".join(f"« {n} »" for n in names))
        chosen = sheet
    if chosen is None:
        chosen = names[0]
    if len(names) > 1:
        label = f"{label} (feuille « {chosen} »)"
        others = [n for n in names if n != chosen]
    ws_values, ws_formulas = wb_values[chosen], wb_formulas[chosen]

    problems = []
    for merged in ws_values.merged_cells.ranges:
        if merged.min_row == 1:
            problems.append(Problem(label, 1, None, str(merged.coord),
                                    "un en-tête sur une seule ligne, un nom de colonne par "
                                    "cellule (cellules fusionnées dans l'en-tête)"))
        else:
            problems.append(Problem(label, merged.min_row, None, str(merged.coord),
                                    "une valeur dans chaque cellule (cellules fusionnées)"))
    if problems:
        raise DataError(problems)

    rows = list(ws_values.iter_rows(values_only=True))
    if not rows or all(v is None for v in rows[0]):
        raise _fail(label, "une ligne d'en-tête et au moins une ligne de données "
                    "(feuille vide)")
    header_cells = [_cell_text(v) for v in rows[0]]
    header = ["" if v is None else v.strip() for v in header_cells]
    while header and header[-1] == "":
        header.pop()
    _check_header(header, label)
    width = len(header)
    data = [[_cell_text(v) for v in row[:width]] + [None] * (width - len(row))
            for row in rows[1:]]

    # formula cells whose cached value is missing (workbook written by a program, never
    # recalculated by a spreadsheet)
    for row in ws_formulas.iter_rows(min_row=2, max_col=width):
        for cell in row:
            if cell.data_type == "f" or (isinstance(cell.value, str)
                                         and cell.value.startswith("=")):
                cached = ws_values.cell(row=cell.row, column=cell.column).value
                if cached is None:
                    problems.append(Problem(
                        label, cell.row, header[cell.column - 1] or None, str(cell.value),
                        "une valeur calculée ; la formule n'a pas de résultat enregistré : "
                        "ouvrir le classeur dans un tableur et l'enregistrer, ou coller "
                        "les valeurs"))
    if problems:
        raise DataError(problems)

    frame = pd.DataFrame(data, columns=header, dtype=object,
                         index=pd.RangeIndex(2, 2 + len(data)))
    frame = _clean(frame, label)
    frame.attrs["file_label"] = label
    if len(names) > 1:
        frame.attrs["other_sheets"] = others
    return frame


def _cell_text(value) -> str | None:
    import datetime as dt

    if value is None:
        return None
    if isinstance(value, bool):
        return "vrai" if value else "faux"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


# --------------------------------------------------------------------------- parsing
def _as_text(series: pd.Series) -> pd.Series:
    """Stripped strings as object dtype, None for missing or blank cells."""
    series = pd.Series(series, copy=False)
    missing = series.isna()
    text = series.astype(str).astype(object).str.strip()
    return text.where(~missing & (text != ""), None)


def parse_int(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse integers written like :func:`cdv_lib.text.parse_numbers` numbers (``1 234``,
    ``12,0``).

    Returns an ``Int64`` Series (NA for empty or bad) and the bool *bad* mask.
    """
    values, bad = parse_numbers(series)
    not_integer = values.notna() & (values != np.floor(values.fillna(0)))
    bad = bad | not_integer
    values = values.where(~bad)
    return values.round().astype("Int64"), bad


_TRUE = {"oui", "1", "vrai", "true", "o", "x"}
_FALSE = {"non", "0", "faux", "false", "n"}


def parse_bool(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse ``oui``/``non``, ``1``/``0``, ``vrai``/``faux``, ``true``/``false``, ``o``/``n``,
    ``x``/empty (case-insensitive). Empty means False.

    Returns a ``bool`` Series (bad cells are False) and the bool *bad* mask.
    """
    text = _as_text(series).str.lower()
    text = text.str.replace(r"^(\d)[.,]0+$", r"\1", regex=True)
    true = text.isin(_TRUE)
    false = text.isin(_FALSE) | text.isna()
    return true.astype(bool), (~(true | false)).astype(bool)
