"""Territoire: key figures, the QPV of the territory or of one commune."""

from __future__ import annotations

from cdv_lib import columns as C
from cdv_lib.report.scope import check_commune
from cdv_lib.report.table import DECIMAL, INTEGER, PERCENT, TEXT, ReportTable, build_table
from cdv_lib.secrecy import RULE_PUBLIC

SOURCE = "Liste des communes et des QPV (données du territoire)"


def chiffres_cles(dataset, commune: str | None = None) -> ReportTable:
    """Key figures of the territory or of one commune (population, QPV, their share)."""
    from cdv_lib.themes.territoire import key_figures

    commune = check_commune(dataset, commune)
    figures = key_figures(dataset.communes, dataset.qpv, commune)
    is_share = figures["unite"].eq("ratio").to_numpy()
    figures = figures.assign(
        valeur_nombre=figures["valeur"].where(~is_share),
        valeur_part=figures["valeur"].where(is_share),
        base_part=figures["base_n"].astype("Float64").where(is_share))
    return build_table(
        "territoire.chiffres_cles", "Chiffres clés du territoire", figures,
        [("libelle", "Indicateur", TEXT), ("valeur_nombre", "Valeur", DECIMAL),
         ("valeur_part", "Part", PERCENT), ("base_part", "Base (habitants)", INTEGER),
         ("note", "Note", TEXT)],
        theme="territoire", secret_rule=RULE_PUBLIC, source=SOURCE)


def qpv_par_commune(dataset, commune: str | None = None) -> ReportTable | None:
    """The communes of the territory that have a QPV, with their QPV and inhabitants
    (agglomeration only)."""
    if commune is not None:
        return None
    from cdv_lib.themes.territoire import qpv_per_commune

    per = qpv_per_commune(dataset.communes, dataset.qpv)
    per = per[per["n_qpv"] > 0]
    return build_table(
        "territoire.qpv_par_commune", "Quartiers prioritaires par commune", per,
        [(C.CODE_INSEE, "Code INSEE", TEXT), (C.NOM, "Commune", TEXT),
         (C.POPULATION, "Population", INTEGER), ("n_qpv", "QPV", INTEGER),
         ("n_qpv_partages", "dont QPV partagés", INTEGER),
         ("population_qpv", "Habitants des QPV", INTEGER)],
        theme="territoire", secret_rule=RULE_PUBLIC, source=SOURCE,
        notes=["Un QPV couvrant plusieurs communes est compté pour chacune ; sa "
               "population n'est pas répartie."])


def qpv_commune(dataset, commune: str | None = None) -> ReportTable | None:
    """The QPV of one commune, with the number of communes each covers (``None`` for the
    agglomeration)."""
    if commune is None:
        return None
    from cdv_lib.themes.territoire import qpv_communes_table

    commune = check_commune(dataset, commune)
    mine = qpv_communes_table(dataset.communes, dataset.qpv, commune)
    return build_table(
        "territoire.qpv", "Quartiers prioritaires de la commune", mine,
        [(C.CODE_QPV, "Code QPV", TEXT), ("nom_qpv", "Quartier", TEXT),
         ("population_qpv", "Habitants", INTEGER),
         ("n_communes_qpv", "Communes couvertes", INTEGER),
         ("partage", "Partage avec un autre EPCI", TEXT)],
        theme="territoire", secret_rule=RULE_PUBLIC, source=SOURCE)


def tables(dataset, commune: str | None = None, annee: int | None = None) -> list[ReportTable]:
    """Every table of the theme, in display order."""
    out = [chiffres_cles(dataset, commune), qpv_par_commune(dataset, commune),
           comparaison(dataset, commune, annee), qpv_commune(dataset, commune)]
    return [t for t in out if t is not None]


def _formatted(value, unit: str) -> str:
    from cdv_lib.formatting import fmt_euro, fmt_int, fmt_percent

    if unit == "ratio":
        return fmt_percent(value)
    if unit == "euros":
        return fmt_euro(value)
    return fmt_int(value)


def comparaison(dataset, commune: str | None = None,
                annee: int | None = None) -> ReportTable | None:
    """The commune beside the agglomeration (QPV share, subsidies per inhabitant and per QPV
    inhabitant, health actions) with its rank among the signatory communes; ``None`` for
    a commune that is not a signatory."""
    import pandas as pd

    from cdv_lib.formatting import fmt_int
    from cdv_lib.report.finances import report_year
    from cdv_lib.themes import comparaison as th

    commune = check_commune(dataset, commune)
    if commune is None:
        return None
    year = report_year(dataset, annee)
    per = th.signatory_indicators(dataset.communes, dataset.qpv, dataset.programmation,
                                  dataset.actions_sante, annee=year)
    if str(commune) not in set(per[C.CODE_INSEE].astype(str)):
        return None
    agglo = th.agglomeration_indicators(dataset.communes, dataset.qpv, dataset.programmation,
                                        dataset.actions_sante, annee=year)
    table = th.compare_commune(per, agglo, commune)
    label = {"montant_accorde": f"Financements accordés en {year}" if year else None}
    table = table.assign(
        libelle=[label.get(k) or v for k, v in zip(table["cle"], table["libelle"])],
        commune_texte=[_formatted(v, u) for v, u in zip(table["commune"], table["unite"])],
        agglomeration_texte=[_formatted(v, u)
                             for v, u in zip(table["agglomeration"], table["unite"])],
        rang_texte=[("–" if pd.isna(r) else f"{fmt_int(r)}{'er' if r == 1 else 'e'} sur "
                     f"{fmt_int(n)}") for r, n in zip(table["rang"], table["n_signataires"])])
    name = commune_name_only(dataset, commune)
    return build_table(
        "territoire.comparaison", f"{name} et l'agglomération", table,
        [("libelle", "Indicateur", TEXT), ("commune_texte", name, TEXT),
         ("agglomeration_texte", "Agglomération", TEXT),
         ("rang_texte", "Rang parmi les communes signataires", TEXT)],
        theme="territoire", secret_rule=RULE_PUBLIC,
        source=SOURCE + " ; programmation du Contrat de Ville ; actions de santé",
        notes=["Financements de la commune : ses seules lignes (les actions intercommunales "
               "ne sont pas réparties) ; de l'agglomération : toutes les lignes.",
               "Part de la population en QPV de la commune : QPV situés entièrement dans la "
               "commune ; par habitant des QPV : QPV partagés comptés entiers.",
               "Rang : 1 = la valeur la plus élevée."])


def commune_name_only(dataset, commune: str) -> str:
    """The commune's name without its code (``Lens``)."""
    match = dataset.communes[dataset.communes[C.CODE_INSEE].astype("string") == str(commune)]
    return str(match[C.NOM].iloc[0]) if len(match) else str(commune)
