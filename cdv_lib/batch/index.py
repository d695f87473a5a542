"""``out/index.html``: the landing page of the batch output, in French.

It shows the territory, the evaluated year and the date, the territory's key figures
(:func:`cdv_lib.report.theme_tables` ``"territoire"``), the documents that exist in
the output folder (the Excel workbooks, ``rapport/rapport_evaluation.pdf|html|docx``), the
agglomeration's reports by theme and every commune's reports in a table (one row per
commune, one column per theme) with a filter. The filter is a small inline script; without
it the input stays hidden and the whole table is shown. The page uses the shared stylesheet
(:mod:`cdv_lib.page`).

Every text (commune names come from data and may contain anything) goes through
``html.escape``; links are URL-quoted relative paths."""

from __future__ import annotations

import html
import os
from pathlib import Path
from urllib.parse import quote

from cdv_lib import atomic
from cdv_lib.batch.registry import THEMES
from cdv_lib.batch.run import FAILED, KILLED, MISSING, OK, PENDING, RUNNING, TIMEOUT

INDEX_NAME = "index.html"
WORKBOOK_NAME = "tableaux.xlsx"
REPORT_DOCUMENTS = (  # the evaluation report (`cdv rapport`), when it was built
    ("rapport/rapport_evaluation.pdf", "Rapport d'évaluation (PDF)"),
    ("rapport/rapport_evaluation.html", "Rapport d'évaluation (page web)"),
    ("rapport/rapport_evaluation.docx", "Rapport d'évaluation (Word, modifiable)"),
)
DEFAULT_TITLE = "Rapports du Contrat de Ville"

STATUS_LABELS = {
    OK: "réussi", FAILED: "échec", TIMEOUT: "échec", KILLED: "échec", MISSING: "échec",
    PENDING: "en attente", RUNNING: "en cours",
}

# Filters the rows of the communes' table on name or code, accents and case ignored. The
# input is shown by the script itself: without JavaScript, no input that does nothing.
_FILTER_SCRIPT = """<script id="cdv-filtre-script">
(function () {
  var box = document.getElementById('cdv-filtre');
  var input = document.getElementById('cdv-filtre-texte');
  var count = document.getElementById('cdv-filtre-compte');
  var rows = Array.prototype.slice.call(document.querySelectorAll('#cdv-communes tbody tr'));
  if (!box || !input) return;
  function fold(s) {
    return s.normalize('NFD').replace(/[\\u0300-\\u036f]/g, '').toLowerCase();
  }
  function update() {
    var q = fold(input.value.trim()), shown = 0;
    rows.forEach(function (tr) {
      var keep = !q || fold(tr.getAttribute('data-filtre') || tr.textContent).indexOf(q) !== -1;
      tr.hidden = !keep;
      if (keep) shown += 1;
    });
    count.textContent = shown + (shown > 1 ? ' communes affichées' : ' commune affichée')
      + ' sur ' + rows.length;
  }
  box.hidden = false;
  input.addEventListener('input', update);
  update();
})();
</script>"""


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _href(rel: str) -> str:
    return html.escape(quote(rel.replace(os.sep, "/")), quote=True)


def _cell(record: dict | None) -> str:
    if record is None:
        return '<td class="cdv-status-waiting">—</td>'
    status = record.get("status")
    if status == OK and record.get("html"):
        label = record.get("theme_label") or record.get("theme")
        return f'<td><a href="{_href(record["html"])}">{_e(label)}</a></td>'
    if status in (PENDING, RUNNING):
        return f'<td class="cdv-status-waiting">{_e(STATUS_LABELS[status])}</td>'
    error = record.get("error") or "erreur inconnue"
    return f'<td class="cdv-status-failed">échec<small>{_e(error)}</small></td>'


def _item(record: dict) -> str:
    """A report of the agglomeration as a list item: its link, or its status."""
    label = record.get("theme_label") or record.get("theme")
    status = record.get("status")
    if status == OK and record.get("html"):
        return f'<li><a href="{_href(record["html"])}">{_e(label)}</a></li>'
    if status in (PENDING, RUNNING):
        return f'<li class="cdv-status-waiting">{_e(label)} : {_e(STATUS_LABELS[status])}</li>'
    error = record.get("error") or "erreur inconnue"
    return (f'<li class="cdv-status-failed">{_e(label)} : échec'
            f"<small>{_e(error)}</small></li>")


def _french_date(iso: str | None) -> str:
    from datetime import datetime

    try:
        return datetime.fromisoformat(iso).strftime("%d/%m/%Y à %H:%M")
    except (TypeError, ValueError):
        return ""


def _size(path: Path) -> str:
    from cdv_lib.formatting import fmt_number

    size = path.stat().st_size
    if size >= 1_000_000:
        return f"{fmt_number(size / 1_000_000, 1)} Mo"
    return f"{fmt_number(max(1, round(size / 1000)))} ko"


def load_context(data_dir: str | os.PathLike | None) -> dict:
    """Territory, year and key figures of the data (empty when the data cannot be read:
    the index of a failed batch must still be written).

    Returns a dict: ``territoire`` (str), ``annee`` (int or None), ``figures``: list of
    ``(label, value, note)`` French texts from the ``territoire.chiffres_cles`` table,
    ``source`` (str).
    """
    try:
        from cdv_lib.dataset import load_dataset
        from cdv_lib.report import theme_tables

        dataset = load_dataset(data_dir)
        tables = theme_tables(dataset, "territoire")
    except Exception:
        return {}
    context = {"territoire": str(dataset.config.get("territoire") or ""),
               "annee": dataset.config.get("annee"), "figures": [], "source": ""}
    key = next((t for t in tables if t.key == "territoire.chiffres_cles"), None)
    if key is None or key.fully_masked:
        return context
    shown = key.formatted()
    columns = [str(c) for c in key.data.columns]
    label_col = columns[0]
    value_cols = [c for c in columns[1:] if key.kind(c) != "text" and not c.startswith("Base")]
    base_cols = [c for c in columns if c.startswith("Base")]
    notes_cols = [c for c in columns[1:] if key.kind(c) == "text"]
    for i in range(len(shown)):
        values = [shown.at[i, c] for c in value_cols if shown.at[i, c] not in ("–", "")]
        if not values:
            continue
        notes = [shown.at[i, c] for c in notes_cols if shown.at[i, c] not in ("–", "")]
        for c in base_cols:
            if shown.at[i, c] not in ("–", ""):
                notes.insert(0, f"{c.replace('Base', 'base', 1)} : {shown.at[i, c]}")
        context["figures"].append((shown.at[i, label_col], values[0], " ; ".join(notes)))
    context["source"] = key.source
    return context


def _documents(out_dir: Path | None) -> list[str]:
    if out_dir is None:
        return []
    items = []
    workbook = out_dir / WORKBOOK_NAME
    if workbook.is_file():
        items.append(f'<li><a href="{_href(WORKBOOK_NAME)}">Classeur Excel des tableaux de '
                     f"l'agglomération</a> <small>({_e(_size(workbook))})</small></li>")
    for rel, label in REPORT_DOCUMENTS:
        path = out_dir / rel
        if path.is_file():
            items.append(f'<li><a href="{_href(rel)}">{_e(label)}</a> '
                         f"<small>({_e(_size(path))})</small></li>")
    return items


def render_index(manifest: dict, *, title: str | None = None,
                 out_dir: str | os.PathLike | None = None, context: dict | None = None) -> str:
    """The index page of *manifest* (see :mod:`cdv_lib.batch.manifest`) as HTML text.

    Parameters
    ----------
    manifest : dict
    title : str, optional
        Page heading (default: the territory of the data, else « Rapports du Contrat de
        Ville »).
    out_dir : path-like, optional
        The output folder: documents are linked only when they exist there.
    context : dict, optional
        From :func:`load_context` (default: read from the manifest's ``data_dir``).

    Communes' rows: in manifest order; columns: the themes in registry order (then any other
    theme found in the manifest)."""
    runs = manifest.get("runs", {})
    if context is None:
        context = load_context(manifest.get("data_dir"))
    out_path = Path(out_dir) if out_dir is not None else None
    themes: dict[str, str] = {}
    for name in THEMES:
        if any(r.get("theme") == name for r in runs.values()):
            themes[name] = THEMES[name].label
    for record in runs.values():
        themes.setdefault(record.get("theme"), record.get("theme_label") or record.get("theme"))
    rows: dict[object, dict] = {}
    for record in runs.values():
        row = rows.setdefault(record.get("commune"), {"name": record.get("commune_name"),
                                                      "cells": {}})
        row["cells"][record.get("theme")] = record
    agglo = rows.pop(None, None)

    n_ok = sum(r.get("status") == OK for r in runs.values())
    n_fail = sum(STATUS_LABELS.get(r.get("status")) == "échec" for r in runs.values())
    territory = context.get("territoire") or ""
    heading = title or territory or DEFAULT_TITLE
    year = context.get("annee")
    updated = _french_date(manifest.get("updated"))

    parts = [
        "<!DOCTYPE html>",
        '<html lang="fr">',
        '<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
        f"<title>{_e(heading)} — rapports du Contrat de Ville</title>",
    ]
    from cdv_lib.page import style_tag

    parts += [style_tag(), "</head>", '<body class="cdv-page cdv-index">',
              '<a class="cdv-skip" href="#contenu">Aller au contenu</a>',
              '<div class="cdv-layout">', '<header class="cdv-title">',
              '<p class="cdv-kicker">Évaluation du Contrat de Ville</p>',
              f"<h1>{_e(heading)}</h1>", '<dl class="cdv-meta">']
    if year is not None:
        parts.append(f"<div><dt>Année évaluée</dt><dd>{_e(year)}</dd></div>")
    parts.append(f"<div><dt>Mis à jour le</dt><dd>{_e(updated)}</dd></div>")
    parts.append("<div><dt>Rapports</dt><dd>"
                 f"{n_ok} rapport{'s' if n_ok > 1 else ''} réussi{'s' if n_ok > 1 else ''}, "
                 f"{n_fail} en échec</dd></div>")
    parts += ["</dl>", "</header>", '<main class="cdv-main" id="contenu">']

    figures = context.get("figures") or []
    if figures:
        parts.append('<section aria-labelledby="chiffres-cles"><h2 id="chiffres-cles">'
                     "Chiffres clés du territoire</h2>")
        parts.append('<ul class="cdv-kpis">')
        for label, value, note in figures:
            parts.append(f'<li class="cdv-kpi"><p class="cdv-kpi-label">{_e(label)}</p>'
                         f'<p class="cdv-kpi-value">{_e(value)}</p>'
                         + (f'<p class="cdv-kpi-note">{_e(note)}</p>' if note else "")
                         + "</li>")
        parts.append("</ul>")
        if context.get("source"):
            parts.append(f'<p class="cdv-note">Source : {_e(context["source"])}</p>')
        parts.append("</section>")

    documents = _documents(out_path)
    if documents:
        parts += ['<section aria-labelledby="documents"><h2 id="documents">Documents</h2>',
                  '<ul class="cdv-downloads">', *documents, "</ul></section>"]

    if agglo is not None:
        parts.append('<section aria-labelledby="agglomeration"><h2 id="agglomeration">'
                     "Rapports de l'agglomération, par thème</h2>")
        parts.append('<ul class="cdv-downloads cdv-reports">')
        for theme in themes:
            record = agglo["cells"].get(theme)
            if record is not None:
                parts.append(_item(record))
        parts.append("</ul></section>")

    if rows:
        commune_themes = {t: l for t, l in themes.items()
                          if any(t in row["cells"] for row in rows.values())}
        with_workbooks = out_path is not None and any(
            (out_path / str(code) / WORKBOOK_NAME).is_file() for code in rows)
        parts.append('<section aria-labelledby="communes"><h2 id="communes">'
                     "Rapports par commune</h2>")
        parts.append('<div class="cdv-filter" id="cdv-filtre" hidden>'
                     '<label for="cdv-filtre-texte">Filtrer les communes (nom ou code)</label>'
                     '<input type="search" id="cdv-filtre-texte" autocomplete="off">'
                     '<output id="cdv-filtre-compte" aria-live="polite"></output></div>')
        head = "".join(f'<th scope="col">{_e(label)}</th>' for label in commune_themes.values())
        if with_workbooks:
            head += '<th scope="col">Classeur</th>'
        parts.append('<div class="cdv-table-wrap"><table class="cdv-index" id="cdv-communes">'
                     f'<thead><tr><th scope="col">Commune</th>{head}</tr></thead><tbody>')
        for code, row in rows.items():
            who = f"{row['name']} ({code})"
            cells = "".join(_cell(row["cells"].get(theme)) for theme in commune_themes)
            if with_workbooks:
                workbook = out_path / str(code) / WORKBOOK_NAME
                cells += (f'<td><a href="{_href(f"{code}/{WORKBOOK_NAME}")}" '
                          f'aria-label="Classeur Excel, {_e(who)}">Excel</a></td>'
                          if workbook.is_file() else "<td>—</td>")
            parts.append(f'<tr data-filtre="{_e(who)}"><th scope="row">{_e(row["name"])} '
                         f"<small>({_e(code)})</small></th>{cells}</tr>")
        parts.append("</tbody></table></div></section>")

    parts += ["</main>", "</div>"]
    if rows:
        parts.append(_FILTER_SCRIPT)
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def write_index(out_dir: str | os.PathLike, manifest: dict, **kwargs) -> Path:
    """Write ``index.html`` in *out_dir* atomically; return its path."""
    kwargs.setdefault("out_dir", out_dir)
    return atomic.write_text(Path(out_dir) / INDEX_NAME, render_index(manifest, **kwargs))
