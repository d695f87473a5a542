"""The model of a table shown to readers: one source for the HTML reports, the Excel
workbook, the Voilà app and the document.

A :class:`ReportTable` holds a table with French column headers and *raw* values (numbers
stay numbers, shares stay ratios in [0, 1]) plus what a reader must know about it: its
source, its base, what statistical secrecy masked and **which secrecy rule protected it**
(:data:`cdv_lib.secrecy.RULES`): a table that declares no rule cannot be built. It formats
itself (:meth:`ReportTable.formatted`, :meth:`ReportTable.to_html`); the workbook writes it
with Excel number formats (:mod:`cdv_lib.excel`).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cdv_lib.formatting import NA_TEXT, SECRET_TEXT, fmt_euro, fmt_int, fmt_number, fmt_percent
from cdv_lib.secrecy import RULES, secret_column

# Column kinds: how a column is formatted for readers and in Excel.
TEXT = "text"
INTEGER = "integer"
DECIMAL = "decimal"
EURO = "euro"
PERCENT = "percent"
KINDS = (TEXT, INTEGER, DECIMAL, EURO, PERCENT)

MISSING_MARK = NA_TEXT  # value not available (not the same as masked)
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
    reference : bool
        True for the agglomeration's table shown in a commune's report in place of the
        commune's own (its figures are not the commune's).
    chart : str or None
        Name of the chart drawing this table (a key of :data:`cdv_lib.plots.CHARTS`).
    secret_rule : str
        The rule of :mod:`cdv_lib.secrecy` that protected the table (a key of
        :data:`cdv_lib.secrecy.RULES`); required.
    chart : str or None
        Name of the chart drawing this table (a key of :data:`cdv_lib.plots.CHARTS`).
    plot_data : DataFrame or None
        The theme-shaped table behind *data*, after masking (masked values are NaN), as
        the chart function reads it.
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
    secret_rule: str = ""
    reference: bool = False
    chart: str | None = field(default=None, compare=False)
    plot_data: pd.DataFrame | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.secret_rule not in RULES:
            raise ValueError(f"{self.key} : règle de secret statistique « {self.secret_rule} » "
                             f"inconnue (règles : {', '.join(RULES)})")
        unknown = {k: v for k, v in self.formats.items() if v not in KINDS}
        if unknown:
            raise ValueError(f"formats inconnus : {unknown}")
        if self.mask is not None and self.mask.shape != self.data.shape:
            raise ValueError("le masque n'a pas la forme du tableau")
        headers = [str(c) for c in self.data.columns]
        for i, column in enumerate(headers):
            if self.formats.get(column) != PERCENT:
                continue
            # a run of percentage columns sharing one base (a grid) ends with that base
            j = i + 1
            while j < len(headers) and self.formats.get(headers[j]) == PERCENT:
                j += 1
            if not (j < len(headers) and headers[j].startswith("Base")):
                raise ValueError(f"{self.key} : la colonne de pourcentage « {column} » doit "
                                 "être suivie de sa base (colonne « Base… »)")

    @property
    def n_masked(self) -> int:
        """Number of masked cells."""
        return 0 if self.mask is None else int(np.asarray(self.mask, dtype=bool).sum())

    @property
    def fully_masked(self) -> bool:
        """True when secrecy masked every figure of the table: its chart would show nothing."""
        if self.mask is None:
            return False
        figures = [c for c in self.data.columns if self.kind(c) != TEXT]
        return bool(figures) and bool(np.asarray(self.mask[figures], dtype=bool).all())

    @property
    def masked_note(self) -> str:
        """French note on masked values, empty when nothing was masked."""
        n = self.n_masked
        if not n:
            return ""
        return (f"{fmt_int(n)} valeur{'s' if n > 1 else ''} masquée{'s' if n > 1 else ''}"
                f" ({SECRET_TEXT}) : secret statistique, effectif sous le seuil")

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
                    values.append(SECRET_TEXT)
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
        from cdv_lib.page import figure_marks

        formatted = self.formatted()
        texts = [[str(v) for v in row] for row in formatted.itertuples(index=False, name=None)]
        cells, figure_columns = figure_marks([[t.strip() for t in row] for row in texts])
        numeric = [self.kind(c) != TEXT or j in figure_columns
                   for j, c in enumerate(formatted.columns)]
        num = ' class="num"'
        head = "".join(f'<th scope="col"{num if k else ""}>{html.escape(str(c))}</th>'
                       for c, k in zip(formatted.columns, numeric))
        rows = "".join(
            "<tr>" + "".join(
                f"<td{num if k or f else ''}>"
                f"{html.escape(v)}</td>" for v, k, f in zip(row, numeric, flags))
            + "</tr>" for row, flags in zip(texts, cells))
        table = (f'<table class="cdv-table"><thead><tr>{head}</tr></thead>'
                 f"<tbody>{rows}</tbody></table>")
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
        return fmt_euro(float(value))
    if kind == PERCENT:
        return fmt_percent(float(value))
    if kind == INTEGER:
        return fmt_int(float(value))
    if kind == DECIMAL:
        v = float(value)
        return fmt_number(v, 0 if v == round(v) else 1)
    return str(value)


def find(tables: Sequence[ReportTable], key: str) -> ReportTable:
    """The table of *tables* with that key (``KeyError`` naming the known keys)."""
    for table in tables:
        if table.key == key:
            return table
    raise KeyError(f"tableau « {key} » introuvable ; tableaux : "
                   + ", ".join(t.key for t in tables))


def build_table(key: str, titre: str, frame: pd.DataFrame,
                columns: Sequence[tuple[str, str, str]], *, theme: str, secret_rule: str,
                source: str = "", base: str = "", notes: Sequence[str] = (),
                chart: str | None = None, plot_data: pd.DataFrame | None = None) -> ReportTable:
    """A :class:`ReportTable` from a theme table already protected by *secret_rule*.

    *columns* lists ``(source column, French header, kind)`` in display order. A source
    column with a ``<column>__secret`` companion (:mod:`cdv_lib.secrecy`) gives the mask.
    """
    frame = frame.reset_index(drop=True)
    data = pd.DataFrame({header: frame[src] for src, header, _kind in columns},
                        index=frame.index)
    formats = {header: kind for _src, header, kind in columns if kind != TEXT}
    mask = pd.DataFrame(False, index=frame.index, columns=data.columns)
    for src, header, _kind in columns:
        flag = secret_column(src)
        if flag in frame.columns:
            mask[header] = frame[flag].fillna(False).astype(bool).to_numpy()
    return ReportTable(key=key, titre=titre, data=data, formats=formats, source=source,
                       base=base, mask=mask if mask.to_numpy().any() else None, theme=theme,
                       notes=tuple(n for n in notes if n), secret_rule=secret_rule,
                       chart=chart,
                       plot_data=frame if chart and plot_data is None else plot_data)
