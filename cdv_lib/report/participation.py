"""Participation des habitants: the conseils citoyens' questionnaire, the coded interviews
(actor types, freins and leviers, the participation ladder) and the anonymised verbatims.

Interviews do not say which commune they come from: their tables are the agglomeration's
only. Counts of interviews are protected like any count of persons
(:func:`cdv_lib.secrecy.protect_counts`)."""

from __future__ import annotations

from cdv_lib import secrecy
from cdv_lib.report.questionnaires import survey_tables
from cdv_lib.report.scope import threshold
from cdv_lib.report.table import BASE_HEADER, INTEGER, PERCENT, TEXT, ReportTable, build_table

THEME = "participation"
SOURCE = "Entretiens de l'évaluation (codage)"


def questions_conseils_citoyens(dataset, commune: str | None = None) -> list[ReportTable]:
    """One table per choice question of the conseils citoyens' questionnaire."""
    return survey_tables(dataset, "conseils_citoyens", theme=THEME, commune=commune)


def _actors(dataset):
    from cdv_lib.themes.participation import interviews_by_actor

    return secrecy.protect_counts(interviews_by_actor(dataset.entretiens),
                                  threshold=threshold(dataset))


def entretiens(dataset, commune: str | None = None) -> ReportTable | None:
    """Number of interviews per actor type."""
    if dataset.entretiens.empty or commune is not None:
        return None
    return build_table(
        "participation.entretiens", "Entretiens par type d'acteur", _actors(dataset),
        [("type_acteur", "Type d'acteur", TEXT), ("n", "Entretiens", INTEGER),
         ("part", "Part", PERCENT), ("base_n", BASE_HEADER, INTEGER)],
        theme=THEME, secret_rule=secrecy.RULE_COUNTS, source=SOURCE)


def codes(dataset, commune: str | None = None) -> ReportTable | None:
    """Freins, leviers, propositions and constats: interviews citing each code, over every
    interview (per actor type most counts would fall under the threshold)."""
    from cdv_lib.text import fold
    from cdv_lib.themes.participation import LADDER_PREFIX, codes_by_actor

    if dataset.entretiens.empty or commune is not None:
        return None
    table = codes_by_actor(dataset.entretiens, by_actor=False)
    # ladder codes are shown by the ladder table, not as findings
    ladder = table["code"].map(fold).str.startswith(fold(LADDER_PREFIX))
    table = table[~ladder].reset_index(drop=True)
    actors = _actors(dataset)
    hidden = actors.loc[actors[secrecy.secret_column("n")], "type_acteur"]
    table = secrecy.protect_groups(table, group="type_acteur", hidden=hidden,
                                   threshold=threshold(dataset))
    return build_table(
        "participation.codes", "Freins, leviers et propositions des entretiens", table,
        [("categorie", "Catégorie", TEXT), ("code", "Code", TEXT),
         ("n", "Entretiens", INTEGER), ("part", "Part", PERCENT),
         ("base_n", BASE_HEADER, INTEGER)],
        theme=THEME, secret_rule=secrecy.RULE_GROUPS, source=SOURCE,
        notes=["Un code cité plusieurs fois dans un entretien compte une fois ; un entretien "
               "cite plusieurs codes."],
        chart="interview_codes")


def echelle(dataset, commune: str | None = None) -> ReportTable | None:
    """Interviews placed at each level of the participation ladder."""
    from cdv_lib.themes.participation import participation_ladder

    if dataset.entretiens.empty or commune is not None:
        return None
    ladder = secrecy.protect_counts(participation_ladder(dataset.entretiens),
                                    threshold=threshold(dataset))
    return build_table(
        "participation.echelle", "Échelle de la participation", ladder,
        [("niveau", "Niveau", TEXT), ("n", "Entretiens", INTEGER), ("part", "Part", PERCENT),
         ("base_n", BASE_HEADER, INTEGER)],
        theme=THEME, secret_rule=secrecy.RULE_COUNTS, source=SOURCE,
        notes=[str(ladder["source"].iloc[0]) if len(ladder) else ""],
        chart="participation_ladder")


def verbatims(dataset, commune: str | None = None) -> ReportTable | None:
    """Verbatims marked anonymised, under the interview's pseudonym."""
    from cdv_lib.themes.participation import verbatims as verbatims_of

    if dataset.entretiens.empty or commune is not None:
        return None
    return build_table(
        "participation.verbatims", "Verbatims anonymisés", verbatims_of(dataset.entretiens),
        [("entretien", "Entretien", TEXT), ("type_acteur", "Type d'acteur", TEXT),
         ("categorie", "Catégorie", TEXT), ("code", "Code", TEXT),
         ("verbatim", "Verbatim", TEXT)],
        theme=THEME, secret_rule=secrecy.RULE_VERBATIMS, source=SOURCE,
        notes=["Seuls les verbatims marqués anonymisés sont cités ; les entretiens sont "
               "désignés par un pseudonyme."])


def tables(dataset, commune: str | None = None, annee: int | None = None) -> list[ReportTable]:
    """Every table of the theme, in display order (interviews: agglomeration only)."""
    out = questions_conseils_citoyens(dataset, commune)
    out += [entretiens(dataset, commune), codes(dataset, commune), echelle(dataset, commune),
            verbatims(dataset, commune)]
    return [t for t in out if t is not None]
