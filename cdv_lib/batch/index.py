"""``out/index.html``: one French page linking every report, by commune and theme.

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

STATUS_LABELS = {
    OK: "réussi", FAILED: "échec", TIMEOUT: "échec", KILLED: "échec", MISSING: "échec",
    PENDING: "en attente", RUNNING: "en cours",
}

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: .4rem .6rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.echec { color: #a00; }
.echec small { display: block; color: #555; max-width: 22rem; }
.attente { color: #777; }
"""


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _href(rel: str) -> str:
    return html.escape(quote(rel.replace(os.sep, "/")), quote=True)


def _cell(record: dict | None) -> str:
    if record is None:
        return '<td class="attente">—</td>'
    status = record.get("status")
    if status == OK and record.get("html"):
        label = record.get("theme_label") or record.get("theme")
        return f'<td><a href="{_href(record["html"])}">{_e(label)}</a></td>'
    if status in (PENDING, RUNNING):
        return f'<td class="attente">{_e(STATUS_LABELS[status])}</td>'
    error = record.get("error") or "erreur inconnue"
    return f'<td class="echec">échec<small>{_e(error)}</small></td>'


def _french_date(iso: str | None) -> str:
    from datetime import datetime

    try:
        return datetime.fromisoformat(iso).strftime("%d/%m/%Y à %H:%M")
    except (TypeError, ValueError):
        return ""


def render_index(manifest: dict, *, title: str = "Rapports du Contrat de Ville") -> str:
    """The index page of *manifest* (see :mod:`cdv_lib.batch.manifest`) as HTML text.

    Rows: the agglomeration then each commune (name and code), in manifest order; columns:
    the themes in registry order (then any other theme found in the manifest)."""
    runs = manifest.get("runs", {})
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
    ordered = sorted(rows.items(), key=lambda kv: kv[0] is not None)  # agglomeration first

    n_ok = sum(r.get("status") == OK for r in runs.values())
    n_fail = sum(STATUS_LABELS.get(r.get("status")) == "échec" for r in runs.values())
    head = "".join(f"<th>{_e(label)}</th>" for label in themes.values())
    body = []
    for code, row in ordered:
        if code is None:
            who = "<th>Agglomération</th>"
        else:
            who = f"<th>{_e(row['name'])} <small>({_e(code)})</small></th>"
        cells = "".join(_cell(row["cells"].get(theme)) for theme in themes)
        body.append(f"<tr>{who}{cells}</tr>")
    updated = _french_date(manifest.get("updated"))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{_e(title)}</h1>\n"
        f"<p>{n_ok} rapport{'s' if n_ok > 1 else ''} réussi{'s' if n_ok > 1 else ''}, "
        f"{n_fail} en échec. Mis à jour le {_e(updated)}.</p>\n"
        f"<table>\n<thead><tr><th>Commune</th>{head}</tr></thead>\n<tbody>\n"
        + "\n".join(body)
        + "\n</tbody>\n</table>\n</body>\n</html>\n"
    )


def write_index(out_dir: str | os.PathLike, manifest: dict, **kwargs) -> Path:
    """Write ``index.html`` in *out_dir* atomically; return its path."""
    return atomic.write_text(Path(out_dir) / INDEX_NAME, render_index(manifest, **kwargs))
