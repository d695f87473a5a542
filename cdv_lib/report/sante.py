"""Santé: health actions declared by the communes, health in the programmation, the health
questionnaires and the context indicators. Actions and amounts are not persons; INSEE's
secret markers are kept."""

from __future__ import annotations

from cdv_lib import columns as C
from cdv_lib import secrecy
from cdv_lib.report.finances import BASE_EURO_HEADER
from cdv_lib.report.finances import SOURCE as PROGRAMMATION_SOURCE
from cdv_lib.report.questionnaires import survey_tables
from cdv_lib.report.scope import check_commune
from cdv_lib.report.table import (
    DECIMAL,
    EURO,
    INTEGER,
    PERCENT,
    TEXT,
    ReportTable,
    build_table,
)

THEME = "sante"
SOURCE = "Actions de santé déclarées par les communes"
LEVEL_LABELS = {"qpv": "QPV", "commune": "Commune", "epci": "Agglomération",
                "departement": "Département", "region": "Région", "france": "France"}


def _actions(dataset, column: str, titre: str, header: str, commune) -> ReportTable | None:
    from cdv_lib.themes.sante import distribution

    commune = check_commune(dataset, commune)
    if dataset.actions_sante.empty:
        return None
    notes = ["Une action destinée à plusieurs publics compte pour chacun : le total peut "
             "dépasser 100 %."] if column == C.PUBLIC else []
    return build_table(
        f"sante.actions_{column}", titre,
        distribution(dataset.actions_sante, column, commune=commune),
        [(column, header, TEXT), ("n", "Actions", INTEGER), ("part", "Part", PERCENT),
         ("base_n", "Base (actions)", INTEGER)],
        theme=THEME, secret_rule=secrecy.RULE_PUBLIC, source=SOURCE, notes=notes,
        chart="health_actions_" + column)


def actions_thematique(dataset, commune: str | None = None) -> ReportTable | None:
    """Health actions per theme (alimentation, santé mentale...)."""
    return _actions(dataset, C.THEMATIQUE, "Actions de santé par thématique", "Thématique",
                    commune)


def actions_public(dataset, commune: str | None = None) -> ReportTable | None:
    """Health actions per public (an action for several publics counts for each)."""
    return _actions(dataset, C.PUBLIC, "Actions de santé par public", "Public", commune)


def actions_duree(dataset, commune: str | None = None) -> ReportTable | None:
    """Health actions per duration (one-off or long-term)."""
    return _actions(dataset, C.DUREE, "Actions de santé par durée", "Durée", commune)


def actions_dispositif(dataset, commune: str | None = None) -> ReportTable | None:
    """Health actions per scheme (ASV, CLS...)."""
    return _actions(dataset, C.DISPOSITIF, "Actions de santé par dispositif", "Dispositif",
                    commune)


def actions_par_commune(dataset, commune: str | None = None) -> ReportTable | None:
    """Health actions per commune, one-off and long-term (agglomeration only)."""
    from cdv_lib.themes.sante import actions_per_commune

    if dataset.actions_sante.empty or commune is not None:
        return None
    return build_table(
        "sante.actions_par_commune", "Actions de santé par commune",
        actions_per_commune(dataset.actions_sante, communes=dataset.communes),
        [(C.COMMUNE, "Code", TEXT), ("nom", "Commune", TEXT),
         ("n", "Actions", INTEGER), ("n_ponctuelles", "dont ponctuelles", INTEGER),
         ("n_perennes", "dont pérennes", INTEGER), ("part", "Part", PERCENT),
         ("base_n", "Base (actions)", INTEGER)],
        theme=THEME, secret_rule=secrecy.RULE_PUBLIC, source=SOURCE)


def programmation(dataset, commune: str | None = None) -> ReportTable | None:
    """Health actions and amounts in the programmation of the Contrat de Ville, per year."""
    from cdv_lib.themes.sante import health_programming

    commune = check_commune(dataset, commune)
    if dataset.programmation.empty:
        return None
    return build_table(
        "sante.programmation", "La santé dans la programmation du Contrat de Ville",
        health_programming(dataset.programmation, commune=commune),
        [(C.ANNEE, "Année", TEXT), ("n_actions_sante", "Actions de santé", INTEGER),
         ("part_actions", "Part des actions", PERCENT),
         ("n_actions", "Base (actions)", INTEGER),
         ("montant_sante", "Montant santé", EURO),
         ("part_montant", "Part du montant", PERCENT),
         ("montant_total", BASE_EURO_HEADER, EURO)],
        theme=THEME, secret_rule=secrecy.RULE_PUBLIC, source=PROGRAMMATION_SOURCE,
        chart="health_programming")


def questions_sante_communes(dataset, commune: str | None = None) -> list[ReportTable]:
    """One table per choice question of the communes' health questionnaire."""
    return survey_tables(dataset, "sante_communes", theme=THEME, commune=commune)


def questions_partenaires(dataset, commune: str | None = None) -> list[ReportTable]:
    """One table per choice question of the health partners' questionnaire."""
    return survey_tables(dataset, "partenaires_sante", theme=THEME, commune=commune)


def indicateurs(dataset, commune: str | None = None) -> ReportTable | None:
    """Context indicators side by side (QPV, commune, agglomeration, département...);
    agglomeration only."""
    from cdv_lib.themes.sante import context_indicators

    if dataset.indicateurs.empty or commune is not None:
        return None
    ind = context_indicators(dataset.indicateurs)
    if not len(ind):
        return None
    ind = ind.assign(**{
        "niveau_texte": ind[C.NIVEAU].astype(str).map(LEVEL_LABELS).fillna(
            ind[C.NIVEAU].astype(str)),
        secrecy.secret_column(C.VALEUR): ind[secrecy.MARKER].astype("string").eq(
            secrecy.INSEE_SECRET).fillna(False).to_numpy(bool)})
    return build_table(
        "sante.indicateurs", "Indicateurs de contexte", ind,
        [(C.INDICATEUR, "Indicateur", TEXT), (C.ANNEE, "Année", TEXT),
         ("niveau_texte", "Territoire", TEXT), (C.CODE, "Code", TEXT),
         (C.VALEUR, "Valeur", DECIMAL), (C.UNITE, "Unité", TEXT),
         (C.SOURCE, "Source", TEXT)],
        theme=THEME, secret_rule=secrecy.RULE_MARKERS,
        source="Indicateurs de contexte (voir la colonne Source)",
        notes=["Les taux et médianes sont placés côte à côte, jamais additionnés."])


def tables(dataset, commune: str | None = None, annee: int | None = None) -> list[ReportTable]:
    """Every table of the theme, in display order."""
    out = [actions_thematique(dataset, commune), actions_public(dataset, commune),
           actions_duree(dataset, commune), actions_dispositif(dataset, commune)]
    out += [actions_par_commune(dataset, commune), programmation(dataset, commune)]
    out += questions_sante_communes(dataset, commune) + questions_partenaires(dataset, commune)
    out.append(indicateurs(dataset, commune))
    return [t for t in out if t is not None]
