"""HTML export of an executed report notebook for readers: the ``cdv_report`` nbconvert
template (``cdv_lib/share/templates/cdv_report``) plus :func:`cdv_lib.page.finish_report_page`.

What a reader never sees: code, prompts, the ``parameters`` and ``injected-parameters``
cells, any cell tagged ``remove_cell`` / ``remove-cell`` (analyst notes kept in the
notebook), stderr streams (warnings). The page is self-contained (stylesheet inlined,
images as data URIs) and loads no script.
"""

from __future__ import annotations

import functools
from typing import Any

from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor

from cdv_lib import page

TEMPLATE_NAME = "cdv_report"
REMOVE_CELL_TAGS = ("parameters", "injected-parameters", "remove_cell", "remove-cell")
TITLE_SEPARATOR = " — "  # "<theme> — <scope>", see cdv_lib.batch.plan.RunSpec.title


class DropStderr(Preprocessor):
    """Remove stderr streams (warnings, logs): they speak to developers, not readers."""

    def preprocess_cell(self, cell, resources, index):
        if cell.get("cell_type") == "code" and cell.get("outputs"):
            cell.outputs = [o for o in cell.outputs
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
        return cell, resources


@functools.cache
def _territory(data_dir: str | None) -> tuple[str, int | None]:
    """``territoire`` and ``annee`` of the data's ``config.yaml`` (empty when unreadable)."""
    import yaml

    from cdv_lib.paths import data_dir as resolve

    try:
        config = yaml.safe_load((resolve(data_dir) / "config.yaml").read_text(encoding="utf-8-sig")) or {}
    except (OSError, ValueError, yaml.YAMLError):
        return "", None
    year = config.get("annee")
    try:
        year = int(year) if year is not None else None
    except (TypeError, ValueError):
        year = None
    return str(config.get("territoire") or ""), year


def frame_info(nb, name: str) -> dict[str, Any]:
    """What the title block shows, from the executed notebook and its page title *name*.

    Returns a dict: ``title``, ``territoire`` (``config.yaml`` of the notebook's
    ``data_dir`` parameter), ``meta`` — ``(label, value)`` pairs: ``Périmètre`` (the part of
    *name* after `` — ``), ``Année`` (``annee`` parameter, else ``config.yaml``),
    ``Produit le`` (end of the papermill execution) — and ``css``.
    """
    run = nb.metadata.get("papermill") or {}
    params = run.get("parameters") or {}
    territory, config_year = _territory(params.get("data_dir"))
    meta = []
    if TITLE_SEPARATOR in name:
        meta.append(("Périmètre", name.split(TITLE_SEPARATOR, 1)[1]))
    year = params.get("annee", config_year)
    if year is not None:
        meta.append(("Année", str(year)))
    produced = page.french_date(run.get("end_time") or run.get("start_time"))
    if produced:
        meta.append(("Produit le", produced))
    return {"title": name, "territoire": territory, "meta": meta, "css": page.stylesheet()}


class ReportExporter(HTMLExporter):
    """nbconvert HTML exporter of the batch reports (template ``cdv_report``, French)."""

    def from_notebook_node(self, nb, resources=None, **kw):
        resources = dict(resources or {})
        name = (resources.get("metadata") or {}).get("name") or "Rapport"
        resources["cdv"] = frame_info(nb, name)
        body, resources = super().from_notebook_node(nb, resources, **kw)
        return page.finish_report_page(body), resources


def report_exporter() -> ReportExporter:
    """A new exporter: no input cells, no prompts, hidden cells dropped, French page."""
    exporter = ReportExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(page.TEMPLATES_DIR)],
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
        language_code="fr", exclude_anchor_links=True,
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags=set(REMOVE_CELL_TAGS), enabled=True), enabled=True)
    exporter.register_preprocessor(DropStderr(enabled=True), enabled=True)
    return exporter
