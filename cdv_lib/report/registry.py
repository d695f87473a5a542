"""The one list of what the workbench shows: the themes of tables and the report notebooks.

Everything else is derived from here: the batch plan (:mod:`cdv_lib.batch`), the app's tabs
(:mod:`cdv_lib.app.dashboard`), the parameter files (``cdv params``) and the command-line
help. Adding a theme is one entry in :data:`THEMES` plus its module of
:mod:`cdv_lib.report`; adding a report is one entry in :data:`REPORTS` plus its notebook.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from cdv_lib.paths import REPORTS_DIR

AGGLOMERATION = "agglomeration"  # output folder of the reports with commune=None


@dataclass(frozen=True)
class Theme:
    """A theme of tables: a module of :mod:`cdv_lib.report` whose ``tables(dataset,
    commune, annee)`` gives them in display order.

    ``agglomeration_only`` is the French sentence shown for a commune when the theme is
    only followed at the agglomeration's level (empty otherwise)."""

    name: str
    label: str
    agglomeration_only: str = ""

    @property
    def module(self) -> ModuleType:
        return importlib.import_module(f"cdv_lib.report.{self.name}")


@dataclass(frozen=True)
class Report:
    """A report notebook (by default ``notebooks/reports/<name>.ipynb``);
    ``agglomeration``/``communes`` say at which levels the batch renders it."""

    name: str
    label: str
    notebook: Path | None = None
    agglomeration: bool = True
    communes: bool = True
    description: str = ""

    def __post_init__(self) -> None:
        if self.notebook is None:
            object.__setattr__(self, "notebook", REPORTS_DIR / f"{self.name}.ipynb")


# in display order (the app's tabs, the workbook's sheets, the document's chapters)
THEMES: dict[str, Theme] = {t.name: t for t in (
    Theme("territoire", "Territoire"),
    Theme("gouvernance", "Gouvernance"),
    Theme("sante", "Santé"),
    Theme("participation", "Participation",
          agglomeration_only="Les entretiens ne sont pas rattachés à une commune : ils sont "
                             "présentés pour toute l'agglomération."),
    Theme("finances", "Finances"),
    Theme("ami", "AMI"),
    Theme("perr", "PERR",
          agglomeration_only="Le PERR est suivi à l'échelle de l'agglomération : ses "
                             "engagements sont les mêmes pour toutes les communes."),
)}

# in the order of the batch runs and of the index columns
REPORTS: dict[str, Report] = {r.name: r for r in (
    Report("territoire", "Le territoire", communes=False,
           description="carte du territoire et des QPV, chiffres clés, QPV par commune"),
    Report("gouvernance", "Gouvernance",
           description="questionnaires aux communes et aux associations"),
    Report("sante", "Santé",
           description="actions de santé, questionnaires santé, indicateurs"),
    Report("participation", "Participation des habitants",
           description="conseils citoyens, entretiens, échelle de la participation"),
    Report("finances", "Programmation et finances",
           description="subventions par année, financeur, pilier, thématique, commune"),
    Report("fiche_commune", "Fiche commune", agglomeration=False,
           description="synthèse de tous les thèmes pour une commune"),
)}


def theme(name: str) -> Theme:
    """The theme called *name* (``ValueError`` naming the known themes)."""
    if name not in THEMES:
        raise ValueError(f"Thème inconnu : « {name} » (thèmes : {', '.join(THEMES)}).")
    return THEMES[name]


def reports_help() -> str:
    """One line per report, for the command-line help."""
    return "; ".join(f"{r.name} ({r.description})" for r in REPORTS.values())
