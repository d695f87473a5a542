"""The report notebooks the batch renders: one place mapping a theme to its notebook.

A theme is rendered for the whole agglomeration (``commune=None``) and/or for each commune.
Adding a report is adding one entry here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cdv_lib.paths import REPORTS_DIR

AGGLOMERATION = "agglomeration"  # output folder of the runs with commune=None


@dataclass(frozen=True)
class Theme:
    """One report notebook.

    ``agglomeration``/``communes`` say at which levels it is rendered."""

    name: str
    label: str
    notebook: Path
    agglomeration: bool = True
    communes: bool = True


def _theme(name: str, label: str, *, agglomeration: bool = True) -> Theme:
    return Theme(name, label, REPORTS_DIR / f"{name}.ipynb", agglomeration=agglomeration)


# theme name -> report notebook (order = order of the runs and of the index columns)
THEMES: dict[str, Theme] = {
    t.name: t
    for t in (
        _theme("gouvernance", "Gouvernance"),
        _theme("sante", "Santé"),
        _theme("participation", "Participation des habitants"),
        _theme("finances", "Programmation et finances"),
        _theme("fiche_commune", "Fiche commune", agglomeration=False),
    )
}
