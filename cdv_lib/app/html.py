"""HTML fragments of the app: key-figure cards, report tables with their charts, AMI
result, messages. Every text from the data is escaped; charts are PNG images drawn with
the Agg backend on figures that are never registered with pyplot (nothing to close)."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Sequence

from cdv_lib.app.key_figures import KeyFigure

CSS = """<style>
.cdv-app {font-family: "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1d2733;}
.cdv-app h1.cdv-title {font-size: 1.6em; margin: 0.2em 0;}
.cdv-app p.cdv-subtitle {color: #4a5866; margin: 0 0 0.6em 0;}
.cdv-kpis {display: flex; flex-wrap: wrap; gap: 0.8em; margin: 0.6em 0 1em 0;}
.cdv-kpi {flex: 1 1 12em; max-width: 22em; border: 1px solid #d5dde5; border-radius: 6px;
  padding: 0.6em 0.8em; background: #f7f9fb; line-height: 1.3;}
.cdv-kpi-label {font-size: 0.85em; color: #4a5866; font-weight: 600;}
.cdv-kpi-value {font-size: 1.7em; font-weight: 700; margin: 0.1em 0; color: #12355b;}
.cdv-kpi-note {font-size: 0.78em; color: #5b6773; margin: 0;}
.cdv-kpi-lines {margin: 0.3em 0; padding: 0; list-style: none; font-size: 0.9em;}
.cdv-kpi-lines li {margin: 0.1em 0;}
.cdv-kpi-lines b {color: #12355b;}
.cdv-report-table table.cdv-table {border-collapse: collapse; margin: 0.3em 0;}
.cdv-report-table table.cdv-table th, .cdv-report-table table.cdv-table td
  {padding: 0.2em 0.7em; border-bottom: 1px solid #ddd; text-align: left;}
.cdv-report-table p.cdv-note {font-size: 0.85em; color: #555; margin: 0.1em 0;}
.cdv-chart img {max-width: 100%; height: auto;}
.cdv-message {padding: 0.6em 0.8em; border-radius: 4px; margin: 0.5em 0;}
.cdv-message-info {background: #eef4fa; border-left: 4px solid #5b8fc7;}
.cdv-message-error {background: #fdf0ef; border-left: 4px solid #c7554b;}
.cdv-ami-result {margin-top: 0.6em;}
.cdv-ami-result .cdv-ami-figures {display: flex; gap: 2em; font-size: 1.2em;}
.cdv-ami-result b {color: #12355b;}
.cdv-first-view-note {color: #5b6773; font-size: 0.9em; margin: 0.4em 0;}
.jp-OutputArea:has(.cdv-live) .cdv-first-view {display: none;}
</style>"""

#: Output metadata marking the first view; the ``cdv`` Voilà template of ``cdv serve``
#: writes such an output into the page as HTML instead of leaving it to Voilà's scripts.
FIRST_VIEW_METADATA = {"cdv": "first-view"}
FIRST_VIEW_NOTE = "Chargement du choix de la commune et des onglets…"


def cards_html(figures: Sequence[KeyFigure], *, scope: str, scope_code: str = "") -> str:
    """The key-figure cards: ``div.cdv-kpis[data-scope]`` holding one
    ``div.cdv-kpi[data-kpi=<key>]`` per figure."""
    cards = []
    for fig in figures:
        body = ""
        if fig.value:
            body += f'<div class="cdv-kpi-value">{html.escape(fig.value)}</div>'
        if fig.lines:
            body += '<ul class="cdv-kpi-lines">' + "".join(
                f"<li>{html.escape(label)} : <b>{html.escape(value)}</b></li>"
                for label, value in fig.lines) + "</ul>"
        notes = "".join(f'<p class="cdv-kpi-note">{html.escape(n)}</p>' for n in fig.notes)
        cards.append(f'<div class="cdv-kpi" data-kpi="{html.escape(fig.key)}">'
                     f'<div class="cdv-kpi-label">{html.escape(fig.label)}</div>'
                     f"{body}{notes}</div>")
    return (f'<div class="cdv-kpis" data-scope="{html.escape(scope_code)}" '
            f'aria-label="Chiffres clés : {html.escape(scope)}">{"".join(cards)}</div>')


def first_view_html(header: str, cards: str) -> str:
    """The app's first view: title and key figures as plain HTML (``div.cdv-first-view``),
    readable before the widgets are ready and replaced by them (the widgets' container has
    the class ``cdv-live``; the CSS rule of :data:`CSS` hides the first view once it exists,
    the ``cdv`` template removes it)."""
    return (f'<div class="cdv-app cdv-first-view">{header}{cards}'
            f'<p class="cdv-first-view-note" role="status">{html.escape(FIRST_VIEW_NOTE)}</p>'
            "</div>")


def chart_png(table, *, dpi: int = 80) -> bytes:
    """The chart of a :class:`~cdv_lib.report.table.ReportTable`, as PNG bytes."""
    from matplotlib.figure import Figure

    from cdv_lib.plots import plot_table

    fig = Figure(figsize=(8.0, 4.5), layout="constrained")
    ax = fig.subplots()
    plot_table(table, ax=ax)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def tables_html(tables: Iterable, *, charts: bool = True) -> str:
    """Each report table (title, table, base, notes, source) followed by its chart."""
    parts = []
    for table in tables:
        parts.append(table.to_html(heading="h3"))
        if charts and table.chart and not fully_masked(table):
            data = base64.b64encode(chart_png(table)).decode("ascii")
            parts.append(f'<div class="cdv-chart" data-chart="{html.escape(table.key)}">'
                         f'<img alt="{html.escape("Graphique : " + table.titre)}" '
                         f'src="data:image/png;base64,{data}"></div>')
    return "".join(parts)


def fully_masked(table) -> bool:
    """True when secrecy masked every figure of the table: its chart would show nothing."""
    return table.fully_masked


def message_html(text: str, *, kind: str = "info") -> str:
    """A French message box (``info`` or ``error``)."""
    return (f'<div class="cdv-message cdv-message-{kind}" role="status">'
            f"{html.escape(text)}</div>")


def heading_html(title: str, scope: str) -> str:
    return f"<h2>{html.escape(title)} — {html.escape(scope)}</h2>"


def ami_result_html(result: dict) -> str:
    """Result of :func:`cdv_lib.themes.ami.simulate_application`: rate, amount, reasons.
    The raw values are kept in ``data-taux`` and ``data-montant``."""
    from cdv_lib.formatting import fmt_euro, fmt_percent

    reasons = "".join(f"<li>{html.escape(r)}</li>" for r in result["raisons"])
    return (f'<div class="cdv-ami-result" data-taux="{result["taux"]:.6g}" '
            f'data-montant="{int(result["montant"])}">'
            f'<div class="cdv-ami-figures">'
            f'<div>Taux de subvention : <b class="cdv-ami-taux">'
            f'{html.escape(fmt_percent(result["taux"]))}</b></div>'
            f'<div>Subvention : <b class="cdv-ami-montant">'
            f'{html.escape(fmt_euro(result["montant"]))}</b></div></div>'
            f'<p>Calcul :</p><ul class="cdv-ami-raisons">{reasons}</ul></div>')
