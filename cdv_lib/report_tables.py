"""The tables shown to readers: one source for the HTML reports, the Excel workbook and the
Voilà app.

A :class:`ReportTable` holds a table with French column headers and *raw* values (numbers
stay numbers, shares stay ratios in [0, 1]) plus what a reader must know about it: its
source, its base and what statistical secrecy masked. The display formats it
(:meth:`ReportTable.formatted`, :func:`render`), the workbook writes it with Excel number
formats (:mod:`cdv_lib.excel`).

:func:`theme_tables` builds the tables of a theme from :mod:`cdv_lib.themes` and
:mod:`cdv_lib.survey`, applying :mod:`cdv_lib.secrecy` to every figure about a
sub-population.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cdv_lib.style import SECRET_MARK, format_euro, format_number, format_percent

# Column kinds: how a column is formatted for readers and in Excel.
TEXT = "text"
INTEGER = "integer"
DECIMAL = "decimal"
EURO = "euro"
PERCENT = "percent"
KINDS = (TEXT, INTEGER, DECIMAL, EURO, PERCENT)

MISSING_MARK = "–"  # value not available (not the same as masked)
BASE_HEADER = "Base (n)"


@dataclass(frozen=True)
class ReportTable:
    """One displayed table.

    Attributes
    ----------
    key : str
        Stable identifier, ``theme.name`` (``finances.par_annee``).
    titre : str
        French title.
    data : DataFrame
        French column headers, raw values: numbers, ratios in [0, 1] for shares, ``NaN``
        or ``NA`` where a value is masked or not available. Each percentage column is
        followed by its base column (``Base (n)``).
    formats : mapping
        Column header → kind (``text``, ``integer``, ``decimal``, ``euro``, ``percent``);
        unlisted columns are text.
    source : str
        Where the figures come from.
    base : str
        The base of the table in words (``19 communes répondantes``); empty if none.
    mask : DataFrame or None
        Boolean frame aligned on *data*: ``True`` where a value was masked by statistical
        secrecy (shown ``s``). ``None`` when nothing was masked.
    theme : str
        Theme the table belongs to.
    notes : tuple of str
        Further reading notes (non-responses, how shares are computed...).
    """

    key: str
    titre: str
    data: pd.DataFrame
    formats: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    base: str = ""
    mask: pd.DataFrame | None = None
    theme: str = ""
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = {k: v for k, v in self.formats.items() if v not in KINDS}
        if unknown:
            raise ValueError(f"formats inconnus : {unknown}")
        if self.mask is not None and self.mask.shape != self.data.shape:
            raise ValueError("le masque n'a pas la forme du tableau")
        headers = [str(c) for c in self.data.columns]
        for i, column in enumerate(headers):
            if self.formats.get(column) == PERCENT and not (
                    i + 1 < len(headers) and headers[i + 1].startswith("Base")):
                raise ValueError(f"{self.key} : la colonne de pourcentage « {column} » doit "
                                 "être suivie de sa base (colonne « Base… »)")

    @property
    def n_masked(self) -> int:
        """Number of masked cells."""
        return 0 if self.mask is None else int(np.asarray(self.mask, dtype=bool).sum())

    @property
    def masked_note(self) -> str:
        """French note on masked values, empty when nothing was masked."""
        n = self.n_masked
        if not n:
            return ""
        return (f"{format_number(n)} valeur{'s' if n > 1 else ''} masquée{'s' if n > 1 else ''}"
                f" ({SECRET_MARK}) : secret statistique, effectif sous le seuil")

    def kind(self, column: str) -> str:
        return self.formats.get(column, TEXT)

    def is_masked(self, row: int, col: int) -> bool:
        return self.mask is not None and bool(self.mask.iat[row, col])

    def formatted(self) -> pd.DataFrame:
        """The table as French strings: ``5 760 000 €``, ``42,1 %``, ``s`` for a masked
        value, ``–`` for a value not available."""
        out = {}
        for j, column in enumerate(self.data.columns):
            kind = self.kind(column)
            values = []
            for i, value in enumerate(self.data[column].tolist()):
                if self.is_masked(i, j):
                    values.append(SECRET_MARK)
                else:
                    values.append(format_value(value, kind))
            out[column] = values
        return pd.DataFrame(out, index=range(len(self.data)), dtype="object")

    def caption_lines(self) -> list[str]:
        """Base, notes, secrecy and source, in the order a reader needs them."""
        lines = []
        if self.base:
            lines.append(f"Base : {self.base}")
        lines.extend(self.notes)
        if self.masked_note:
            lines.append(self.masked_note)
        if self.source:
            lines.append(f"Source : {self.source}")
        return lines

    def to_html(self, *, heading: str = "h3") -> str:
        """Escaped HTML: title, table without index, caption lines.

        Every text from the data (commune names, action titles, verbatims) is escaped, so
        ``<script>`` is shown as text.
        """
        table = self.formatted().to_html(index=False, escape=True, border=0,
                                         classes="cdv-table", na_rep=MISSING_MARK)
        caption = "".join(f"<p class=\"cdv-note\">{html.escape(line)}</p>"
                          for line in self.caption_lines())
        title = html.escape(self.titre)
        return (f"<section class=\"cdv-report-table\" id=\"{html.escape(self.key)}\">"
                f"<{heading}>{title}</{heading}>{table}{caption}</section>")

    def _repr_html_(self) -> str:
        return self.to_html()


def format_value(value: object, kind: str) -> str:
    """One value as a French string according to its column kind."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return MISSING_MARK
    if kind == EURO:
        return format_euro(float(value))
    if kind == PERCENT:
        return format_percent(float(value))
    if kind == INTEGER:
        return format_number(float(value))
    if kind == DECIMAL:
        v = float(value)
        return format_number(v, 0 if v == round(v) else 1)
    return str(value)


_STYLE = """<style>
.cdv-report-table table.cdv-table {border-collapse: collapse; margin: 0.3em 0;}
.cdv-report-table table.cdv-table th, .cdv-report-table table.cdv-table td
  {padding: 0.2em 0.7em; border-bottom: 1px solid #ddd; text-align: left;}
.cdv-report-table p.cdv-note {font-size: 0.85em; color: #555; margin: 0.1em 0;}
</style>"""


def to_html(tables: Iterable[ReportTable], *, heading: str = "h3") -> str:
    """Several tables as one escaped HTML fragment (with a small stylesheet)."""
    return _STYLE + "".join(t.to_html(heading=heading) for t in tables)


def render(tables: ReportTable | Iterable[ReportTable], *, heading: str = "h3"):
    """An object that Jupyter, papermill and Voilà display as the formatted tables."""
    from IPython.display import HTML

    if isinstance(tables, ReportTable):
        tables = [tables]
    return HTML(to_html(tables, heading=heading))


def find(tables: Sequence[ReportTable], key: str) -> ReportTable:
    """The table of *tables* with that key (``KeyError`` naming the known keys)."""
    for table in tables:
        if table.key == key:
            return table
    raise KeyError(f"tableau « {key} » introuvable ; tableaux : "
                   + ", ".join(t.key for t in tables))
