"""Gouvernance et coopérations: the questionnaires to the signatory communes and to the
associations, and their response rates."""

from __future__ import annotations

from cdv_lib.report.questionnaires import response_rates, survey_tables
from cdv_lib.report.table import ReportTable

THEME = "gouvernance"
SURVEYS = ("communes", "associations")


def taux_reponse(dataset, commune: str | None = None) -> ReportTable | None:
    """Questionnaires received against questionnaires sent (agglomeration only: ``None``
    for a commune)."""
    if commune is not None:
        return None
    return response_rates(dataset, SURVEYS, THEME)


def questions_communes(dataset, commune: str | None = None) -> list[ReportTable]:
    """One table per gouvernance question of the communes' questionnaire."""
    return survey_tables(dataset, "communes", theme=THEME, commune=commune,
                         question_theme=THEME)


def questions_associations(dataset, commune: str | None = None) -> list[ReportTable]:
    """One table per gouvernance question of the associations' questionnaire, the
    cooperation grid included."""
    return survey_tables(dataset, "associations", theme=THEME, commune=commune,
                         question_theme=THEME)


def tables(dataset, commune: str | None = None, annee: int | None = None) -> list[ReportTable]:
    """Every table of the theme, in display order."""
    rates = taux_reponse(dataset, commune)
    return ([rates] if rates is not None else []) + questions_communes(dataset, commune) + \
        questions_associations(dataset, commune)
