"""HTML fragments of the app: key-figure cards, report tables with their charts, AMI
result, messages. Every text from the data is escaped; charts are PNG images drawn with
the Agg backend on figures that are never registered with pyplot (nothing to close)."""

from __future__ import annotations

import base64
import functools
import html
from collections.abc import Iterable, Sequence

from cdv_lib.app.key_figures import KeyFigure

#: The app's own rules, beside the one stylesheet of :mod:`cdv_lib.page` (which styles the
#: key figures, the tables with their right-aligned figures, the charts and the widget tabs).
APP_CSS = """
.cdv-app {font-family: "Segoe UI", Roboto, "Helvetica Neue", Arial, "Liberation Sans",
  sans-serif; color: var(--cdv-ink); line-height: 1.45;}
.cdv-app h1.cdv-title {font-size: 1.6rem; margin: .2rem 0; color: var(--cdv-accent);}
.cdv-app p.cdv-subtitle {color: var(--cdv-muted); margin: 0 0 .6rem 0;}
.cdv-app a {color: var(--cdv-link);}
.cdv-app .jp-RenderedHTMLCommon, .cdv-app .widget-html-content {font-family: inherit;
  color: inherit;}
.cdv-app h2 {font-size: 1.35rem; font-weight: 700; color: var(--cdv-accent);
  margin: .8rem 0 .5rem; padding-bottom: .2rem; border-bottom: 1px solid var(--cdv-rule);}
.cdv-app h3 {font-size: 1.08rem; font-weight: 600; margin: 1.3rem 0 .4rem;}
/* JupyterLab right-aligns every cell of rendered HTML (specificity 0,2,1): text left,
   figures right (the ``num`` class of ReportTable.to_html) */
.cdv-app table.cdv-table th, .cdv-app table.cdv-table td {text-align: left;}
.cdv-app table.cdv-table th.num, .cdv-app table.cdv-table td.num {text-align: right;
  white-space: nowrap;}
.cdv-kpi-lines {margin: .3rem 0; padding: 0; list-style: none; font-size: .9rem;}
.cdv-kpi-lines li {margin: .1rem 0;}
.cdv-kpi-lines b {color: var(--cdv-accent);}
.cdv-map figure {margin: .3rem 0 .4rem;}
.cdv-map img {max-width: min(100%, 52rem); height: auto; display: block;}
.cdv-map figcaption, .cdv-map-missing {font-size: .88rem; color: var(--cdv-muted);
  max-width: 52rem;}
.cdv-map-missing {margin: .2rem 0 1.2rem; padding-left: 1.2rem;}
.cdv-chart img {max-width: min(100%, 46rem); height: auto; display: block;
  margin: .3rem 0 1.2rem;}
.cdv-message {padding: .6rem .8rem; border-radius: 4px; margin: .5rem 0; max-width: 52rem;}
.cdv-message-info {background: #eef4fa; border-left: 4px solid #2f6aa3;}
.cdv-message-error {background: #fdf0ef; border-left: 4px solid var(--cdv-warn);}
.cdv-ami-result {margin-top: .6rem;}
.cdv-ami-result .cdv-ami-figures {display: flex; gap: 2rem; font-size: 1.2rem;}
.cdv-ami-result b {color: var(--cdv-accent);}
.cdv-first-view-note {color: var(--cdv-muted); font-size: .9rem; margin: .4rem 0;}
.jp-OutputArea:has(.cdv-live) .cdv-first-view {display: none;}
"""


@functools.cache
def app_css() -> str:
    """The ``<style>`` elements of the app: the shared stylesheet, the key messages' rules,
    then the app's own (:data:`APP_CSS`)."""
    from cdv_lib.messages import MESSAGES_STYLE
    from cdv_lib.page import style_tag

    return style_tag() + MESSAGES_STYLE + f"<style>{APP_CSS}</style>"


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
    the class ``cdv-live``; the CSS rule of :data:`APP_CSS` hides the first view once it exists,
    the ``cdv`` template removes it)."""
    return (f'<div class="cdv-app cdv-first-view">{header}{cards}'
            f'<p class="cdv-first-view-note" role="status">{html.escape(FIRST_VIEW_NOTE)}</p>'
            "</div>")


CHART_WIDTH = 7.5  # inches
CHART_HEIGHT = (2.6, 5.5)  # inches: two bars, a long list or a series of years


def chart_size(table) -> tuple[float, float]:
    """Figure size (inches) of a table's chart, sized to its content: the height grows
    with the table's rows (bars, years), within :data:`CHART_HEIGHT`."""
    low, high = CHART_HEIGHT
    return CHART_WIDTH, min(max(1.6 + 0.38 * len(table.data), low), high)


def chart_png(table, *, dpi: int = 80) -> bytes:
    """The chart of a :class:`~cdv_lib.report.table.ReportTable`, as PNG bytes."""
    from cdv_lib.plots import table_png

    return table_png(table, figsize=chart_size(table), dpi=dpi)


def table_html(table) -> str:
    """A report table as in the report pages: :meth:`ReportTable.to_html`, which marks the
    cells showing a figure as the pages do (:func:`cdv_lib.page.figure_marks`; also in
    columns of mixed kinds such as « Lens / Agglomération »), without parsing its HTML
    again (no HTML parser in the app's kernels)."""
    return table.to_html(heading="h3")


def tables_html(tables: Iterable, *, charts: bool = True) -> str:
    """Each report table (title, table, base, notes, source) followed by its chart.

    Tables are marked as in the report pages (:func:`table_html`)."""
    parts = []
    for table in tables:
        parts.append(table_html(table))
        if charts and table.chart and not fully_masked(table):
            data = base64.b64encode(chart_png(table)).decode("ascii")
            parts.append(f'<div class="cdv-chart" data-chart="{html.escape(table.key)}">'
                         f'<img alt="{html.escape("Graphique : " + table.titre)}" '
                         f'src="data:image/png;base64,{data}"></div>')
    return "".join(parts)


def map_html(view, *, shown_missing: set[str] | None = None) -> str:
    """A map of :func:`cdv_lib.maps.report_maps`: heading, image with its text alternative
    (also written out under it, :meth:`~cdv_lib.maps.MapView.to_html`), then the list of
    what could not be drawn (``ul.cdv-map-missing``) when the text alternative does not
    already say it. Items already in *shown_missing* (listed under an earlier map of the
    same tab) are not repeated; the set is updated."""
    # the text alternative usually says it already; what it does not say is listed
    missing = [m for m in view.missing if m not in view.alt
               and (shown_missing is None or m not in shown_missing)]
    if shown_missing is not None:
        shown_missing.update(view.missing)
    items = "".join(f"<li>{html.escape(m)}</li>" for m in missing)
    listing = (f'<ul class="cdv-map-missing" aria-label="Non représenté sur la carte">'
               f"{items}</ul>" if items else "")
    page = view.to_html(heading="h3")
    end = "</section>"
    if listing and page.endswith(end):  # inside the map's section, after its figure
        return page[:-len(end)] + listing + end
    return page + listing


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
