"""« Explorer un questionnaire »: an ipywidgets explorer for analysts in JupyterLab.

One App class (Voilà-gallery style): widgets built in ``__init__``, one :meth:`update`
callback redrawing into an ``Output`` with ``clear_output(wait=True)``, the layout
exposed as ``.container``. The notebook is three cells::

    from cdv_lib.explore import ExplorerApp
    data_dir = None
    ExplorerApp.from_data_dir(data_dir).container

Every figure goes through :func:`cdv_lib.explore.tables.explore` (secrecy applied with the
threshold of ``config.yaml``). CSS classes ``cdv-explore-*`` name each widget (for
tests and styling).
"""

from __future__ import annotations

import base64
import html
import io
import os

import ipywidgets as widgets
from IPython.display import HTML, display

from cdv_lib import secrecy
from cdv_lib.errors import DataError
from cdv_lib.explore.export import default_exports_dir, export_name, export_table
from cdv_lib.explore.tables import (
    crossing_variables,
    explorable_questions,
    explore,
    filter_values,
)

NONE = "__aucun__"
NO_CROSSING = "(aucun croisement)"
NO_FILTER = "(aucun filtre)"

CSS = """<style>
.cdv-explore-result h3 { margin: 0.3em 0; }
.cdv-explore-result p { margin: 0.2em 0; max-width: 60em; }
.cdv-explore-result table.cdv-explore-table { border-collapse: collapse; margin: 0.5em 0; }
.cdv-explore-result table.cdv-explore-table th,
.cdv-explore-result table.cdv-explore-table td { border: 1px solid #ccc; padding: 2px 8px; text-align: left; }
.cdv-explore-result table.cdv-explore-table td { font-variant-numeric: tabular-nums; }
.cdv-explore-result .cdv-explore-error { color: #a00; font-weight: bold; }
</style>"""


class ExplorerApp:
    """Pick a questionnaire, a question, a crossing variable and a filter; see counts,
    shares with their interval, bases, non-responses, the chart and the test; export
    the table on screen.

    Parameters
    ----------
    dataset : :class:`cdv_lib.dataset.Dataset` (its ``questionnaires`` and ``config``).
    exports_dir : folder of the exports (default :func:`cdv_lib.explore.export.default_exports_dir`:
        ``$CDV_EXPORTS_DIR`` or ``exports/`` at the project root).
    """

    def __init__(self, dataset, *, exports_dir: str | os.PathLike | None = None):
        self.dataset = dataset
        self.surveys = dict(dataset.questionnaires)
        self.threshold = secrecy.threshold(dataset.config)
        self.exports_dir = exports_dir if exports_dir is not None else default_exports_dir()
        self.current = None
        self._busy = False
        style = {"description_width": "11em"}

        def wide():  # one Layout per widget: hiding one (display = "none") hides only it
            return widgets.Layout(width="60em")

        self.survey = widgets.Dropdown(
            description="Questionnaire", style=style, layout=wide(),
            options=[(s.definition.title, key) for key, s in self.surveys.items()])
        self.question = widgets.Dropdown(description="Question", style=style, layout=wide())
        self.row = widgets.Dropdown(description="Ligne de la grille", style=style, layout=wide())
        self.by = widgets.Dropdown(description="Croiser par", style=style, layout=wide())
        self.filter_by = widgets.Dropdown(description="Filtrer sur", style=style, layout=wide())
        self.filter_value = widgets.Dropdown(description="Valeur du filtre", style=style, layout=wide())
        self.export_xlsx = widgets.Button(description="Exporter en Excel", icon="download",
                                          layout=widgets.Layout(width="13em", flex="0 0 auto"))
        self.export_csv = widgets.Button(description="Exporter en CSV", icon="download",
                                         layout=widgets.Layout(width="13em", flex="0 0 auto"))
        self.export_status = widgets.HTML()
        self.output = widgets.Output()
        for name in ("survey", "question", "row", "by", "filter_by", "filter_value",
                     "export_xlsx", "export_csv", "export_status", "output"):
            getattr(self, name).add_class(f"cdv-explore-{name.replace('_', '-')}")

        self.survey.observe(self._on_survey, names="value")
        self.question.observe(self._on_question, names="value")
        self.filter_by.observe(self._on_filter_by, names="value")
        for w in (self.row, self.by, self.filter_value):
            w.observe(self._on_change, names="value")
        self.export_xlsx.on_click(lambda _b: self.export("xlsx"))
        self.export_csv.on_click(lambda _b: self.export("csv"))

        self.container = widgets.VBox([
            widgets.HTML(CSS),
            self.survey, self.question, self.row, self.by, self.filter_by, self.filter_value,
            widgets.HBox([self.export_xlsx, self.export_csv, self.export_status]),
            self.output,
        ])
        self.container.add_class("cdv-explore")
        if self.surveys:
            self._fill_survey()
        self.update()

    @classmethod
    def from_data_dir(cls, data_dir: str | os.PathLike | None = None, **kwargs) -> "ExplorerApp":
        """Load the data directory (default: the embedded data) and build the app. A
        data problem is shown in French in the app instead of a traceback."""
        from cdv_lib.dataset import load_dataset

        try:
            dataset = load_dataset(data_dir)
        except DataError as exc:
            return _BrokenData(exc)  # type: ignore[return-value]
        return cls(dataset, **kwargs)

    # --- options ---------------------------------------------------------------------------
    def _survey(self):
        return self.surveys[self.survey.value]

    def _fill_survey(self) -> None:
        """Options of every widget that depends on the questionnaire."""
        self._busy = True
        try:
            survey = self._survey()
            options = explorable_questions(survey)
            self.question.options = options
            self.question.value = options[0][1] if options else None
            self._fill_question()
            self.filter_by.options = [(NO_FILTER, NONE)] + crossing_variables(survey)
            self.filter_by.value = NONE
            self._fill_filter_values()
        finally:
            self._busy = False

    def _fill_question(self) -> None:
        survey = self._survey()
        qid = self.question.value
        question = survey.question(qid) if qid else None
        rows = [(r.label, r.code) for r in question.rows] if question is not None else []
        self.row.options = rows
        self.row.value = rows[0][1] if rows else None
        self.row.layout.display = None if rows else "none"
        previous = self.by.value
        options = [(NO_CROSSING, NONE)] + crossing_variables(survey, qid)
        self.by.options = options
        self.by.value = previous if previous in [v for _, v in options] else NONE

    def _fill_filter_values(self) -> None:
        name = self.filter_by.value
        if name in (None, NONE):
            self.filter_value.options = []
            self.filter_value.layout.display = "none"
            return
        values = filter_values(self._survey(), name)
        self.filter_value.options = values
        self.filter_value.value = values[0] if values else None
        self.filter_value.layout.display = None

    # --- callbacks -------------------------------------------------------------------------
    def _on_survey(self, _change) -> None:
        self._fill_survey()
        self.update()

    def _on_question(self, _change) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            self._fill_question()
        finally:
            self._busy = False
        self.update()

    def _on_filter_by(self, _change) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            self._fill_filter_values()
        finally:
            self._busy = False
        self.update()

    def _on_change(self, _change) -> None:
        if not self._busy:
            self.update()

    def selection(self) -> dict:
        """The current choice: ``question``, ``by``, ``row``, ``where`` (for :func:`explore`)."""
        by = self.by.value if self.by.value not in (None, NONE) else None
        where = None
        if self.filter_by.value not in (None, NONE) and self.filter_value.value is not None:
            where = {self.filter_by.value: self.filter_value.value}
        return {"question_id": self.question.value, "by": by, "row": self.row.value, "where": where}

    def update(self) -> None:
        """Redraw the result for the current selection."""
        import matplotlib.pyplot as plt

        from cdv_lib.explore.plot import plot_exploration
        from cdv_lib.style import apply_style

        self.export_status.value = ""
        with self.output:
            self.output.clear_output(wait=True)
            if not self.surveys:
                display(HTML(_box("<p>Aucun questionnaire dans les données.</p>")))
                self.current = None
                return
            if self.question.value is None:
                self.current = None
                display(HTML(_box("<p>Ce questionnaire n'a pas de question à choix à tabuler "
                                  "(seules des questions numériques ou des réponses libres).</p>")))
                return
            try:
                result = explore(self._survey(), threshold=self.threshold, **self.selection())
            except (ValueError, KeyError, DataError) as exc:
                self.current = None
                display(HTML(_box(f'<p class="cdv-explore-error">{html.escape(str(exc))}</p>')))
                return
            self.current = result
            display(HTML(result_html(result)))
            apply_style()
            fig, ax = plt.subplots(figsize=(9, 0.32 * len(result.chart_data()) + 3.2))
            try:
                plot_exploration(result, ax=ax)
                # as an image with its text alternative, whatever matplotlib backend the
                # kernel has (a non-inline backend would display the figure as text)
                buffer = io.BytesIO()
                fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
            finally:
                plt.close(fig)
            data = base64.b64encode(buffer.getvalue()).decode("ascii")
            alt = html.escape(f"Graphique : {result.question_label} — les chiffres sont ceux "
                              "du tableau ci-dessus.", quote=True)
            display(HTML(f'<img src="data:image/png;base64,{data}" alt="{alt}" '
                         'style="max-width:100%">'))

    def export(self, fmt: str) -> str | None:
        """Write the table on screen to ``exports/`` (xlsx or csv); returns the path."""
        result = self.current
        if result is None:
            self.export_status.value = "Rien à exporter."
            return None
        stem = export_name(result.survey_id, result.question_id, by=result.by, row=result.row,
                           where=result.where)
        try:
            path = export_table(result.export_frame(), stem, fmt, folder=self.exports_dir,
                                notes=result.export_notes())
        except OSError as exc:
            self.export_status.value = (f'<span class="cdv-explore-error">Export impossible : '
                                        f"{html.escape(str(exc))}</span>")
            return None
        self.export_status.value = f"Tableau écrit : <code>{html.escape(str(path))}</code>"
        return str(path)


def _box(inner: str, data: str = "") -> str:
    return f'<div class="cdv-explore-result"{data}>{inner}</div>'


def result_html(result) -> str:
    """HTML of an :class:`~cdv_lib.explore.tables.Exploration`: title, sentences, the
    table, the per-choice tests. The outer ``div`` carries ``data-question``,
    ``data-by`` and ``data-base`` (first block's base, ``s`` if masked)."""
    blocks = result.blocks()
    first = blocks.iloc[0] if len(blocks) else None
    base = "" if first is None else ("s" if first["masque"] else str(int(first["base"])))
    title = html.escape(result.question_label)
    if result.row:
        title += " — " + html.escape(result.row)
    if result.by:
        title += f" <small>× {html.escape(result.by)}</small>"
    sentences = "".join(f"<p>{html.escape(s)}</p>" for s in result.sentences())
    table = result.display_frame().to_html(index=False, classes="cdv-explore-table", border=0,
                                           escape=True)
    tests = result.test_table()
    extra = ""
    if result.crossed and len(tests):
        extra = ("<h4>Test d'indépendance, réponse par réponse (cochée ou non)</h4>"
                 + tests.to_html(index=False, classes="cdv-explore-table cdv-explore-tests",
                                 border=0, escape=True))
    data = (f' data-question="{html.escape(result.question_id)}"'
            f' data-by="{html.escape(result.by or "")}" data-base="{base}"')
    return _box(f"<h3>{title}</h3>{sentences}{table}{extra}", data)


class _BrokenData:
    """Stand-in app when the data does not load: the problems, in French."""

    def __init__(self, error: DataError):
        lines = "".join(f"<li>{html.escape(p.message())}</li>" for p in error.problems)
        self.container = widgets.HTML(
            f"<p><b>Les données ne se chargent pas</b> ({len(error.problems)} problème(s)) :</p>"
            f"<ul>{lines}</ul><p>Voir le notebook « Contrôler les données de l'année ».</p>")
