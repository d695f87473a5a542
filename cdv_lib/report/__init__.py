"""The report layer: what readers see, one module per theme.

Each theme module (:mod:`.territoire`, :mod:`.finances`, :mod:`.ami`, :mod:`.gouvernance`,
:mod:`.sante`, :mod:`.participation`, :mod:`.perr`) exposes one named function per table
(``finances.par_annee(dataset, commune)``) that computes it with :mod:`cdv_lib.themes`,
protects it with :mod:`cdv_lib.secrecy` and returns a :class:`~.table.ReportTable`; its
``tables(dataset, commune, annee)`` lists them all in display order. A notebook cell calls
the named function: one jump to the builder, two to the computation.

:mod:`.registry` is the one list of themes and report notebooks; :mod:`.display` shows
tables in notebooks.
"""

from __future__ import annotations

from cdv_lib.report.registry import REPORTS, THEMES, theme
from cdv_lib.report.scope import check_commune, commune_name
from cdv_lib.report.table import ReportTable, find

__all__ = ["REPORTS", "THEMES", "ReportTable", "all_tables", "commune_name", "find",
           "theme_tables"]


def theme_tables(dataset, theme_name: str, commune: str | None = None, *,
                 annee: int | None = None) -> list[ReportTable]:
    """Every displayed table of a theme, statistical secrecy applied.

    Parameters
    ----------
    dataset : Dataset
        From :func:`cdv_lib.dataset.load_dataset`.
    theme_name : str
        A key of :data:`THEMES` (``ValueError`` otherwise).
    commune : str, optional
        A ``code_insee``: the commune's tables (its respondents, its lines); ``None`` for
        the agglomeration. Tables that cannot be restricted to a commune (interviews, PERR,
        questionnaires without a commune) are left out for a commune.
    annee : int, optional
        Year of the yearly breakdowns (default: ``annee`` of ``config.yaml``).
    """
    module = theme(theme_name).module
    return module.tables(dataset, check_commune(dataset, commune), annee)


def all_tables(dataset, commune: str | None = None, *,
               annee: int | None = None) -> list[ReportTable]:
    """The tables of every theme, in :data:`THEMES` order."""
    return [t for name in THEMES for t in theme_tables(dataset, name, commune, annee=annee)]
