"""Programmation et finances: subsidies per year, funder, pillar, theme and commune, and
the place of health. Amounts are public: no figure about persons."""

from __future__ import annotations

import numpy as np

from cdv_lib import columns as C
from cdv_lib.report.scope import check_commune
from cdv_lib.report.table import EURO, INTEGER, PERCENT, TEXT, ReportTable, build_table
from cdv_lib.secrecy import RULE_PUBLIC

SOURCE = "Programmation du Contrat de Ville (plateforme de subventions)"
BASE_EURO_HEADER = "Base (€)"
COFUNDING_NOTE = ("Une action cofinancée compte une fois ; ses montants sont ceux de tous ses "
                  "financeurs.")


def _scope_note(commune: str | None) -> str:
    return ("Lignes de la commune seulement : les actions intercommunales ne sont pas "
            "attribuées aux communes." if commune else "")


def report_year(dataset, annee: int | None = None) -> int | None:
    """The year of the yearly breakdowns: *annee*, else ``annee`` of the configuration."""
    year = annee if annee is not None else dataset.config.get("annee")
    return int(year) if year is not None else None


def _in_year(dataset, annee: int | None):
    year = report_year(dataset, annee)
    prog = dataset.programmation
    return (prog[prog[C.ANNEE] == year] if year is not None else prog), (
        f" en {year}" if year is not None else "")


def par_annee(dataset, commune: str | None = None) -> ReportTable | None:
    """Amounts granted and requested and number of actions, per year."""
    from cdv_lib.themes.finances import totals

    commune = check_commune(dataset, commune)
    prog = dataset.programmation
    if prog.empty:
        return None
    return build_table(
        "finances.par_annee", "Financements par année", totals(prog, C.ANNEE, commune=commune),
        [(C.ANNEE, "Année", TEXT), ("montant_accorde", "Montant accordé", EURO),
         ("montant_demande", "Montant demandé", EURO), ("n_actions", "Actions", INTEGER)],
        theme="finances", secret_rule=RULE_PUBLIC, source=SOURCE,
        notes=[COFUNDING_NOTE, _scope_note(commune)], chart="funding_per_year",
        plot_data=totals(prog, [C.ANNEE, C.FINANCEUR], commune=commune))


def _breakdown(dataset, by: str, titre: str, header: str, commune, annee) -> ReportTable | None:
    from cdv_lib.themes.finances import totals

    commune = check_commune(dataset, commune)
    if dataset.programmation.empty:
        return None
    in_year, label = _in_year(dataset, annee)
    table = totals(in_year, by, commune=commune)
    total = float(table["montant_accorde"].sum())
    table = table.sort_values("montant_accorde", ascending=False, kind="stable")
    table = table.assign(part=table["montant_accorde"] / total if total else np.nan,
                         base_euros=total)
    return build_table(
        f"finances.par_{by}", titre + label, table,
        [(by, header, TEXT), ("montant_accorde", "Montant accordé", EURO),
         ("part", "Part", PERCENT), ("base_euros", BASE_EURO_HEADER, EURO),
         ("n_actions", "Actions", INTEGER)],
        theme="finances", secret_rule=RULE_PUBLIC, source=SOURCE,
        notes=[_scope_note(commune)], chart=f"funding_by_{by}")


def par_financeur(dataset, commune: str | None = None,
                  annee: int | None = None) -> ReportTable | None:
    """Amounts granted in the year per funder, with their share of the year's total."""
    return _breakdown(dataset, C.FINANCEUR, "Financements par financeur", "Financeur",
                      commune, annee)


def par_pilier(dataset, commune: str | None = None,
               annee: int | None = None) -> ReportTable | None:
    """Amounts granted in the year per pillar, with their share of the year's total."""
    return _breakdown(dataset, C.PILIER, "Financements par pilier", "Pilier", commune, annee)


def par_thematique(dataset, commune: str | None = None,
                   annee: int | None = None) -> ReportTable | None:
    """Amounts granted in the year per theme, with their share of the year's total."""
    return _breakdown(dataset, C.THEMATIQUE, "Financements par thématique", "Thématique",
                      commune, annee)


def par_commune(dataset, commune: str | None = None,
                annee: int | None = None) -> ReportTable | None:
    """Amounts granted in the year per commune, intercommunal lines apart (agglomeration
    only: ``None`` for a commune)."""
    if commune is not None or dataset.programmation.empty:
        return None
    from cdv_lib.themes.finances import totals

    in_year, label = _in_year(dataset, annee)
    table = totals(in_year, C.COMMUNE)
    names = dict(zip(dataset.communes[C.CODE_INSEE].astype(str), dataset.communes[C.NOM]))
    table = table.assign(nom=table[C.COMMUNE].astype(str).map(
        lambda c: names.get(c, "Intercommunal" if c == C.INTERCO else c)))
    table = table.sort_values("montant_accorde", ascending=False, kind="stable")
    return build_table(
        "finances.par_commune", "Financements par commune" + label, table,
        [(C.COMMUNE, "Code", TEXT), ("nom", "Commune", TEXT),
         ("montant_accorde", "Montant accordé", EURO), ("n_actions", "Actions", INTEGER)],
        theme="finances", secret_rule=RULE_PUBLIC, source=SOURCE)


def sante(dataset, commune: str | None = None) -> ReportTable | None:
    """Health actions and amounts in the programmation, per year, and their share."""
    from cdv_lib.themes.finances import health_share

    commune = check_commune(dataset, commune)
    if dataset.programmation.empty:
        return None
    return build_table(
        "finances.sante", "Place de la santé dans la programmation",
        health_share(dataset.programmation, commune=commune),
        [(C.ANNEE, "Année", TEXT), ("n_actions_sante", "Actions de santé", INTEGER),
         ("part_actions", "Part des actions", PERCENT), ("n_actions", "Base (actions)", INTEGER),
         ("montant_sante", "Montant santé", EURO), ("part_montant", "Part du montant", PERCENT),
         ("montant_total", BASE_EURO_HEADER, EURO)],
        theme="finances", secret_rule=RULE_PUBLIC, source=SOURCE,
        notes=[_scope_note(commune)])


def tables(dataset, commune: str | None = None, annee: int | None = None) -> list[ReportTable]:
    """Every table of the theme, in display order."""
    out = [par_annee(dataset, commune), par_financeur(dataset, commune, annee),
           par_pilier(dataset, commune, annee), par_thematique(dataset, commune, annee),
           par_commune(dataset, commune, annee), sante(dataset, commune)]
    return [t for t in out if t is not None]
