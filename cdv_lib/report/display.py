"""Showing report tables in a notebook (JupyterLab, the batch's HTML export, Voilà).

Each table is written as escaped HTML, followed by its chart as an image with a text
alternative (what the chart shows, the table above holding its figures). A table that
secrecy masked whole gets no chart.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable

from cdv_lib.report.scope import commune_name, territory_name
from cdv_lib.report.table import ReportTable

STYLE = """<style>
.cdv-report-table table.cdv-table {border-collapse: collapse; margin: 0.3em 0;}
.cdv-report-table table.cdv-table th, .cdv-report-table table.cdv-table td
  {padding: 0.2em 0.7em; border-bottom: 1px solid #ddd; text-align: left;}
.cdv-report-table table.cdv-table td.num, .cdv-report-table table.cdv-table th.num
  {text-align: right; font-variant-numeric: tabular-nums;}
.cdv-report-table p.cdv-note {font-size: 0.85em; color: #555; margin: 0.1em 0;}
figure.cdv-chart {margin: 0.5em 0 1.5em 0;}
figure.cdv-chart img {max-width: 100%; height: auto;}
</style>"""


def _as_list(tables) -> list[ReportTable]:
    if tables is None:
        return []
    if isinstance(tables, ReportTable):
        return [tables]
    return [t for t in tables if t is not None]


def to_html(tables: ReportTable | Iterable[ReportTable | None] | None, *,
            heading: str = "h3") -> str:
    """Several tables as one escaped HTML fragment (with the stylesheet)."""
    return STYLE + "".join(t.to_html(heading=heading) for t in _as_list(tables))


def render(tables, *, heading: str = "h3"):
    """An object that Jupyter, papermill and Voilà display as the formatted tables."""
    from IPython.display import HTML

    return HTML(to_html(tables, heading=heading))


def chart_alt(table: ReportTable) -> str:
    """The text alternative of a table's chart, in French."""
    return (f"Graphique : {table.titre}. Les chiffres du graphique sont ceux du tableau "
            "qui le précède.")


# charts drawn as one horizontal bar per row of their table
_BAR_CHARTS = ("frequencies", "multiple_choice", "health_actions_", "funding_by_",
               "interview_codes", "participation_ladder", "perr_status")


def chart_size(table: ReportTable) -> tuple[float, float]:
    """Figure size (inches) sized to the content: a bar chart grows with its bars, so two
    answers get a short chart and twenty codes a tall one."""
    if table.chart and table.chart.startswith(_BAR_CHARTS):
        rows = max(1, len(table.data))
        return (7.5, min(max(1.6 + 0.42 * rows, 2.4), 9.0))
    return (8.0, 4.5)


def chart_html(table: ReportTable, *, dpi: int = 100) -> str:
    """The chart of *table* as an embedded PNG in a ``<figure>`` with its text alternative;
    empty when the table has no chart or secrecy masked it whole."""
    from cdv_lib.plots import table_png

    if not table.chart or table.fully_masked:
        return ""
    png = table_png(table, figsize=chart_size(table), dpi=dpi, tight=True, cache=True)
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure class="cdv-chart"><img src="data:image/png;base64,{data}" '
            f'alt="{html.escape(chart_alt(table), quote=True)}"></figure>')


NOT_PROVIDED = "Données non fournies."  # a table absent from the data folder


def show(tables: ReportTable | Iterable[ReportTable | None] | None, *, charts: bool = True,
         heading: str = "h3", absent: str = NOT_PROVIDED) -> None:
    """Display tables in a notebook, each followed by its chart; *absent* (a French
    sentence) when there is no table to show (no data, or a table that does not apply to
    the scope)."""
    from IPython.display import HTML, display

    tables = _as_list(tables)
    if not tables:
        display(HTML(f'<p class="cdv-absent">{html.escape(absent)}</p>'))
        return
    display(HTML(STYLE))
    for table in tables:
        display(HTML(table.to_html(heading=heading)
                     + (chart_html(table) if charts else "")))


def reading_note(dataset):
    """How to read the report's figures (bases, non-responses, secrecy), with the data
    folder's threshold, as HTML."""
    from IPython.display import HTML

    from cdv_lib.report.scope import threshold

    return HTML(
        '<p class="cdv-reading">Chaque pourcentage porte sa base : les répondants ayant '
        "répondu à la question, les non-réponses étant exclues et comptées à part. « s » "
        "marque une valeur masquée par le secret statistique : aucun chiffre n'est donné "
        f"sur moins de {threshold(dataset)} répondants pour une partie de la population, "
        "ni aucun chiffre qui permettrait de retrouver une valeur masquée.</p>")


def scope_header(dataset, commune: str | None, *, titre: str, annee: int | None = None):
    """The title block of a report under its heading: theme and scope (territory or
    commune), year and date of production, as escaped HTML."""
    from IPython.display import HTML

    import datetime as dt

    from cdv_lib.formatting import fmt_date

    scope = commune_name(dataset, commune)
    parts = [f'<p class="cdv-scope"><strong>{html.escape(titre)} — {html.escape(scope)}</strong>'
             "<br>"]
    if commune is not None:
        parts.append(f"Commune de {html.escape(scope)}, dans le territoire : "
                     f"{html.escape(territory_name(dataset))}. ")
    else:
        parts.append(f"Territoire : {html.escape(scope)}. ")
    if annee is not None:
        parts.append(f"Année de la programmation : {html.escape(str(annee))}. ")
    parts.append(f"Rapport produit le {fmt_date(dt.date.today())}.</p>")
    return HTML("".join(parts))
