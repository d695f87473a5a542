"""Suivi du PERR: the engagements and their state of progress (agglomeration only)."""

from __future__ import annotations

from cdv_lib.report.table import BASE_HEADER, INTEGER, PERCENT, TEXT, ReportTable, build_table
from cdv_lib.secrecy import RULE_PUBLIC

SOURCE = "Suivi du PERR 2019-2022"


def statuts(dataset, commune: str | None = None) -> ReportTable | None:
    """Number and share of engagements per state of progress (agglomeration only)."""
    from cdv_lib.themes.perr import status_counts

    if dataset.perr.empty or commune is not None:
        return None
    return build_table(
        "perr.statuts", "Engagements du PERR par état d'avancement",
        status_counts(dataset.perr),
        [("statut", "État d'avancement", TEXT), ("n", "Engagements", INTEGER),
         ("part", "Part", PERCENT), ("base_n", BASE_HEADER, INTEGER)],
        theme="perr", secret_rule=RULE_PUBLIC, source=SOURCE, chart="perr_status")


def engagements(dataset, commune: str | None = None) -> ReportTable | None:
    """The engagements with their pillar, state and indicators (agglomeration only)."""
    from cdv_lib.themes.perr import engagements as engagements_of

    if dataset.perr.empty or commune is not None:
        return None
    table = engagements_of(dataset.perr)
    table = table.assign(indicateurs_texte=table["indicateurs"].astype("string").str.replace(
        "|", " ; ", regex=False))
    return build_table(
        "perr.engagements", "Les engagements du PERR", table,
        [("id", "N°", INTEGER), ("intitule", "Engagement", TEXT),
         ("pilier", "Pilier", TEXT), ("statut", "État d'avancement", TEXT),
         ("indicateurs_texte", "Indicateurs", TEXT)],
        theme="perr", secret_rule=RULE_PUBLIC, source=SOURCE)


def tables(dataset, commune: str | None = None, annee: int | None = None) -> list[ReportTable]:
    """Every table of the theme (none for a commune: the PERR is the agglomeration's)."""
    return [t for t in (statuts(dataset, commune), engagements(dataset, commune))
            if t is not None]
