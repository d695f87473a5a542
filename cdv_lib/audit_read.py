"""Tables as an outsider reads them from produced files (HTML pages, Excel workbooks).

Nothing here knows how the library builds its tables: every table is rebuilt from what the
file shows. A cell is a French number (``5 760 000 €``, ``42,1 %``, thousands separated by a
space, U+00A0 or U+202F, decimal comma), the secrecy mark ``s``, an absent value (``–``) or
text. In a workbook numbers are numbers, shares are ratios with a ``%`` number format and
``s`` is text; a sheet may hold several tables, each a header row followed by its rows up to
an empty row, under a title row and note rows.

A displayed number stands for an interval: ``42,1 %`` is any share in [42,05 %, 42,15 %],
``5 760 000 €`` any amount within half a euro; a count shown without decimals is exact.
Workbook numbers are exact.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

SECRET_MARK = "s"
ABSENT_MARKS = {"–", "—", "-", "nd", "n.d.", "n/d", ""}
_SPACES = "[ \u00a0\u202f]"
_NUMBER_TEXT = re.compile(
    r"^(?P<sign>[-\u2212+]?)\s*(?P<int>\d{1,3}(?:" + _SPACES + r"\d{3})+|\d+)"
    r"(?:,(?P<dec>\d+))?\s*(?P<unit>%|€|k€|M€)?$")
_HEADINGS = ["h1", "h2", "h3", "h4", "h5", "h6"]
# a commune scope: an INSEE code (Corsica 2A/2B), alone or in brackets after the name
_COMMUNE_CODE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
_COMMUNE_IN_LABEL = re.compile(r"\((\d{5}|2[AB]\d{3})\)\s*$")
_SCOPE_NOTE = re.compile(r"^\s*P[ée]rim[èe]tre\s*:\s*(.+)$", re.IGNORECASE)


@lru_cache(maxsize=65536)
def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(plain.replace("\u00a0", " ").replace("\u202f", " ").split())


def fold(text: object) -> str:
    """Lower case without accents, spaces collapsed (to compare labels and headers)."""
    return _fold(str(text))


@dataclass(frozen=True)
class Cell:
    """One shown cell.

    ``kind`` is ``number``, ``secret`` (masked, shown ``s``), ``absent`` (``–``, empty) or
    ``text``. For a number, ``lo``/``hi`` bound the true value (shares as ratios) and
    ``unit`` is ``%``, ``€`` or empty; ``decimals`` is how many were shown (``None`` when the
    value is exact, as in a workbook).
    """

    text: str
    kind: str
    lo: float = 0.0
    hi: float = 0.0
    unit: str = ""
    decimals: int | None = None
    ref: str = ""  # workbook cell reference (``B7``), empty for HTML

    @property
    def value(self) -> float:
        return (self.lo + self.hi) / 2

    @property
    def is_integer(self) -> bool:
        return self.kind == "number" and self.unit == "" and self.lo == self.hi \
            and float(self.lo).is_integer()


def parse_text(text: object, ref: str = "") -> Cell:
    """A cell from its displayed text."""
    raw = " ".join(str(text).split()) if text is not None else ""
    if raw == SECRET_MARK:
        return Cell(raw, "secret", ref=ref)
    if raw.casefold() in ABSENT_MARKS:
        return Cell(raw, "absent", ref=ref)
    match = _NUMBER_TEXT.match(raw.replace("\u202f", " ").replace("\u00a0", " "))
    if not match:
        return Cell(raw, "text", ref=ref)
    digits = re.sub(_SPACES, "", match.group("int"))
    dec = match.group("dec") or ""
    value = float(f"{digits}.{dec}" if dec else digits)
    if match.group("sign") in ("-", "\u2212"):
        value = -value
    unit = match.group("unit") or ""
    scale = {"k€": 1e3, "M€": 1e6}.get(unit, 1.0)
    unit = "€" if unit in ("k€", "M€") else unit
    decimals = len(dec)
    if unit == "%":
        half = 0.5 * 10 ** -decimals / 100
        value /= 100
    elif unit == "€" or decimals or scale != 1.0:
        half = 0.5 * 10 ** -decimals * scale
        value *= scale
    else:
        half = 0.0  # a count shown without decimals is the count
    return Cell(raw, "number", value - half, value + half, unit, decimals, ref)


def excel_cell(value: object, number_format: str | None, ref: str) -> Cell:
    """A cell from a workbook value and its number format."""
    if value is None:
        return Cell("", "absent", ref=ref)
    if isinstance(value, bool):
        return Cell(str(value), "text", ref=ref)
    if isinstance(value, (int, float)):
        fmt = number_format or ""
        unit = "%" if "%" in fmt else "€" if "€" in fmt else ""
        v = float(value)
        return Cell(str(value), "number", v, v, unit, None, ref)
    cell = parse_text(value, ref)
    if cell.kind == "number" and re.fullmatch(r"[-+]?\d+", cell.text):
        # digits stored as text in a workbook are a label (a code, a year), not a figure
        return Cell(cell.text, "text", ref=ref)
    return cell


@dataclass
class Table:
    """A table read from a file: headers, rows of cells, where it was found."""

    file: str
    index: int  # 1-based position among the tables of the file
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    notes: str = ""
    scope: str | None = None  # folder (HTML) or « Périmètre » (workbook)
    sheet: str = ""
    family: str = ""  # tables of the same file type and name at several scopes

    @property
    def where(self) -> str:
        label = f"« {self.title} »" if self.title else ""
        if self.sheet:
            return f"feuille « {self.sheet} », tableau {self.index} {label}".strip()
        return f"tableau {self.index} {label}".strip()


@dataclass
class FileText:
    """Free texts of a file with their location (for the base and name checks)."""

    texts: list[tuple[str, str]] = field(default_factory=list)  # (location, text)


def is_commune_scope(scope: str | None) -> bool:
    if scope is None:
        return False
    scope = scope.strip()
    return bool(_COMMUNE_CODE.match(scope) or _COMMUNE_IN_LABEL.search(scope))


# --- HTML -------------------------------------------------------------------------------

def _text(element) -> str:
    return " ".join(" ".join(element.itertext()).split())


def _html_rows(table) -> tuple[list[str], list[list[str]]]:
    """Header texts and body rows (colspans expanded); several header rows are joined."""
    header_rows: list[list[str]] = []
    body: list[list[str]] = []
    for tr in table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr"):
        tags = tr.xpath("./th|./td")
        cells = []
        for cell in tags:
            try:
                span = max(1, min(50, int(cell.get("colspan", 1))))
            except (TypeError, ValueError):
                span = 1
            cells.extend([_text(cell)] * span)
        if not cells:
            continue
        in_head = tr.getparent().tag == "thead"
        if in_head or (not body and not header_rows and all(c.tag == "th" for c in tags)):
            header_rows.append(cells)
        else:
            body.append(cells)
    if not header_rows and body:
        header_rows, body = [body[0]], body[1:]
    width = max([len(r) for r in header_rows + body] or [0])
    headers = [""] * width
    for row in header_rows:
        row = [""] * (width - len(row)) + row  # an index header is shorter on the left
        headers = [" ".join(x for x in (h, c) if x and x != h) if c else h
                   for h, c in zip(headers, row)]
    body = [[""] * (width - len(r)) + r if len(r) < width else r[:width] for r in body]
    return headers, body


_HEADING_PATH = "|".join(f".//{h}" for h in _HEADINGS)
_PRECEDING_HEADING = ("preceding::*[" + " or ".join(f"self::{h}" for h in _HEADINGS)
                      + "][1]")


def _html_title_notes(table) -> tuple[str, str]:
    sections = table.xpath("ancestor::section[1]")
    section = sections[0] if sections else None
    title, notes = "", []
    caption = table.find("caption")
    if caption is not None:
        notes.append(_text(caption))
    if section is not None:
        headings = section.xpath(_HEADING_PATH)
        if headings:
            title = _text(headings[0])
        notes += [_text(p) for p in section.xpath(".//p")]
    if not title:
        headings = table.xpath(_PRECEDING_HEADING)
        if headings:
            title = _text(headings[0])
        elif caption is not None:
            title = _text(caption)
    if section is None:
        for k, sibling in enumerate(table.itersiblings()):
            if k >= 6 or sibling.tag in ("table", *_HEADINGS):
                break
            if sibling.tag == "p":
                notes.append(_text(sibling))
    return title.replace("¶", "").strip(), " ".join(notes)


def _drop_row_numbers(headers: list[str], rows: list[list[Cell]]):
    """Remove a pandas index column: empty header, values 0..n-1 or 1..n."""
    keep = []
    for j, header in enumerate(headers):
        values = [r[j] for r in rows]
        if not header and values and all(c.is_integer for c in values):
            numbers = [int(c.lo) for c in values]
            if numbers in (list(range(len(values))), list(range(1, len(values) + 1))):
                continue
        keep.append(j)
    return [headers[j] for j in keep], [[r[j] for j in keep] for r in rows]


def read_html(path: Path, name: str, scope: str | None, *,
              family: str = "") -> tuple[list[Table], FileText]:
    """Tables and free text of an HTML page (scripts and styles ignored). Tables of the same
    *family* (by default the file name) at several scopes are compared."""
    from lxml import etree
    from lxml import html as lxml_html

    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        root = lxml_html.fromstring(text) if text.strip() else None
    except (etree.ParserError, ValueError):
        root = None
    if root is None:
        return [], FileText([("texte", "")])
    for tag in root.xpath("//script|//style|//noscript|//template"):
        tag.drop_tree()
    tables = []
    for t_index, html_table in enumerate(root.iter("table"), start=1):
        headers, body = _html_rows(html_table)
        if not body:
            continue
        title, notes = _html_title_notes(html_table)
        rows = [[parse_text(c) for c in r] for r in body]
        headers, rows = _drop_row_numbers(headers, rows)
        tables.append(Table(name, t_index, title, headers, rows, notes, scope,
                            family=f"html:{family or path.name}"))
    return tables, FileText([("texte", " ".join(" ".join(root.itertext()).split()))])


# --- Excel ------------------------------------------------------------------------------

def column_letter(index: int) -> str:
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _is_footer(cells: list[Cell]) -> bool:
    """A link line right under a table (``← Retour au sommaire``)."""
    if len(cells) != 1 or cells[0].kind != "text" or cells[0].ref[:1] != "A":
        return False
    text = cells[0].text.strip()
    return bool(text) and (not text[0].isalnum() or "sommaire" in fold(text))


def _sheet_blocks(sheet_title: str, grid: list[list[Cell]], name: str, start_index: int,
                  workbook_key: str) -> list[Table]:
    """Table blocks of a sheet: a header row (two or more texts) followed by rows up to an
    empty row; the title is the first line of the rows above it since the previous block,
    the notes are those lines and the single-cell lines right under the block."""

    def filled(row):
        return [c for c in row if c.kind != "absent"]

    tables: list[Table] = []
    i, previous_end, n = 0, 0, len(grid)
    scope = None
    sheet_scope = sheet_title.split(" ", 1)[0]
    if is_commune_scope(sheet_scope):
        scope = sheet_scope
    while i < n:
        row = grid[i]
        cells = filled(row)
        starts = (len(cells) >= 2 and all(c.kind == "text" for c in cells)
                  and i + 1 < n and len(filled(grid[i + 1])) >= 1
                  and any(c.kind in ("number", "secret") for c in grid[i + 1]))
        if not starts:
            for c in cells:
                match = _SCOPE_NOTE.match(c.text) if c.kind == "text" else None
                if match:
                    scope = match.group(1).strip()
            i += 1
            continue
        above = [" ".join(c.text for c in filled(r)) for r in grid[previous_end:i] if filled(r)]
        end = i + 1
        while end < n and filled(grid[end]):
            end += 1
        next_start = end
        if end - 1 > i + 1 and _is_footer(filled(grid[end - 1])):
            end -= 1  # « ← Retour au sommaire » under the rows: not a row of the table
        below = []
        k = end
        while k < n and len(below) < 6:
            cells_k = filled(grid[k])
            if len(cells_k) == 1 and cells_k[0].kind == "text":
                below.append(cells_k[0].text)
            elif cells_k:
                break
            k += 1
        width = max(j for j, c in enumerate(row) if c.kind != "absent") + 1
        headers = [row[j].text if j < len(row) else "" for j in range(width)]
        rows = [[r[j] if j < len(r) else Cell("", "absent") for j in range(width)]
                for r in grid[i + 1:end]]
        if sheet_title.casefold() != "sommaire":
            tables.append(Table(name, start_index + len(tables), above[0] if above else "",
                                headers, rows, " ".join(above + below), scope,
                                sheet=sheet_title, family=f"xlsx:{workbook_key}"))
        previous_end = i = next_start
    return tables


def read_xlsx(path: Path, name: str) -> tuple[list[Table], FileText]:
    """Table blocks of every sheet and every text cell of a workbook."""
    from openpyxl import load_workbook

    tables: list[Table] = []
    texts = FileText()
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            grid: list[list[Cell]] = []
            for r_index, row in enumerate(sheet.iter_rows(), start=1):
                cells = []
                for c_index, cell in enumerate(row, start=1):
                    value = getattr(cell, "value", None)
                    ref = f"{column_letter(c_index)}{r_index}"
                    parsed = excel_cell(value, getattr(cell, "number_format", None), ref)
                    if isinstance(value, str) and value.strip():
                        texts.texts.append((f"feuille « {sheet.title} », cellule {ref}", value))
                    cells.append(parsed)
                grid.append(cells)
            # per-sheet numbering: the reader finds a table by its sheet
            # workbooks of the same name in several folders are compared scope by scope
            tables += _sheet_blocks(sheet.title, grid, name, 1, path.name)
    finally:
        workbook.close()
    return tables, texts
