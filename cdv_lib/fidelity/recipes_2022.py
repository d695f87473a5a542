"""The recipes of the 2022 evaluation report of the CA de Lens-Liévin: how each figure it
prints is computed from the data (``reference/published_figures.csv``). Commune and
territory codes here are those of that report; the engine (:mod:`cdv_lib.fidelity.engine`)
knows none of them."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from functools import cached_property

import pandas as pd

from cdv_lib import columns as C
from cdv_lib.dataset import Dataset
from cdv_lib.fidelity.engine import Computed
from cdv_lib.survey import NON_RESPONSE_CODE, frequencies, response_rate
from cdv_lib.text import fold
from cdv_lib.themes import (
    finances, gouvernance, participation, perr, reunions, sante, territoire,
)
from cdv_lib.themes.ami import load_rules


class Context:
    """What the computations read, loaded once."""

    def __init__(self, ds: Dataset):
        self.ds = ds

    def survey(self, name: str):
        try:
            return self.ds.questionnaires[name]
        except KeyError:
            raise ValueError(f"questionnaire « {name} » absent des données") from None

    @cached_property
    def key_figures(self) -> pd.DataFrame:
        return territoire.key_figures(self.ds.communes, self.ds.qpv).set_index("cle")

    @cached_property
    def totals_by_year(self) -> pd.DataFrame:
        return finances.totals(self.ds.programmation, C.ANNEE).set_index(C.ANNEE)

    @cached_property
    def health(self) -> pd.DataFrame:
        return sante.health_programming(self.ds.programmation).set_index(C.ANNEE)

    @cached_property
    def meetings(self) -> pd.DataFrame:
        return reunions.meeting_counts(self.ds.reunions, ("instance", "groupe"))


def _meetings(ctx: Context, instance: str, groupe: str | None = None) -> pd.DataFrame:
    """Counts of :func:`cdv_lib.themes.reunions.meeting_counts` for one kind of meeting
    (every working group when *groupe* is None)."""
    if ctx.ds.reunions.empty:
        raise ValueError("fichier reunions absent des données")
    labels = {"instance": instance} if groupe is None else {"instance": instance,
                                                             "groupe": groupe}
    return reunions.find_meetings(ctx.meetings, **labels)


def _key(ctx: Context, cle: str) -> Computed:
    row = ctx.key_figures.loc[cle]
    base = None if pd.isna(row["base_n"]) else int(row["base_n"])
    return Computed(row["valeur"], base, f"territoire.key_figures : {cle}")


_DEFAULT_CODES = {"departement": "62", "region": "32", "france": "FR"}


def _indicator(ctx: Context, niveau: str, indicateur: str, annee: int | None = None,
               code: str | None = None) -> Computed:
    if code is None:
        code = ctx.ds.config.get("code_epci") if niveau == "epci" else _DEFAULT_CODES[niveau]
    rows = sante.context_indicators(ctx.ds.indicateurs, [indicateur],
                                    territoires={niveau: str(code)}, annee=annee)
    if len(rows) != 1:
        raise ValueError(f"indicateur {indicateur} ({niveau} {code} {annee or ''}) : "
                         f"{len(rows)} ligne(s)")
    value = rows[C.VALEUR].iloc[0]
    if pd.isna(value):
        raise ValueError(f"indicateur {indicateur} : valeur {rows['marqueur'].iloc[0]}")
    return Computed(float(value), None, f"sante.context_indicators : {indicateur} {niveau} "
                    f"{code} {rows[C.ANNEE].iloc[0]}")


def _share(ctx: Context, survey_name: str, question_id: str, choice: str, *,
           row: str | None = None, of_all: bool = False) -> Computed:
    """Share of the respondents of *survey_name* who gave *choice* (code or label) to
    *question_id*; ``of_all`` counts non-respondents in the base, as the report
    sometimes does."""
    table = frequencies(ctx.survey(survey_name), question_id, row=row)
    hit = table[(table["code"] == choice) | (table["libelle"].map(fold) == fold(choice))]
    if hit.empty:
        raise ValueError(f"{survey_name}.{question_id} : pas de choix « {choice} »")
    n = int(hit["effectif"].iloc[0])
    base = int(table["base"].iloc[0])
    nr = int(table.loc[table["code"] == NON_RESPONSE_CODE, "effectif"].iloc[0])
    how = "tous répondants, non-réponses incluses" if of_all else "non-réponses exclues"
    if of_all:
        base += nr
    where = f"{question_id}[{row}]" if row else question_id
    return Computed(Fraction(n, base), base,
                    f"{survey_name}.{where} = « {hit['libelle'].iloc[0]} » : {n}/{base} "
                    f"({how} ; {nr} non-réponse{'s' if nr > 1 else ''})")


def _cooperation(ctx: Context, partner: str, level: str) -> Computed:
    long = gouvernance.cooperation_long(ctx.survey("associations"), "grille_cooperation")
    hit = long[(long["code"] == partner) & (long["niveau"].astype(str).map(fold) == fold(level))]
    if len(hit) != 1:
        raise ValueError(f"grille de coopération : {partner} × {level} introuvable")
    n, base = int(hit["n"].iloc[0]), int(hit["base_n"].iloc[0])
    return Computed(Fraction(n, base), base,
                    f"gouvernance.cooperation_long : {partner} × {level} = {n}/{base}")


def _rate(ctx: Context, survey_name: str, what: str) -> Computed:
    rate = response_rate(ctx.survey(survey_name))
    if what == "taux":
        return Computed(Fraction(rate["reponses"], rate["envoyes"]), rate["envoyes"],
                        f"{survey_name} : {rate['reponses']}/{rate['envoyes']}")
    return Computed(rate[what], None, f"{survey_name} : {what}")


def _health_programmation(ctx: Context, year: int, what: str) -> Computed:
    row = ctx.health.loc[year]
    return Computed(row[what], None, f"sante.health_programming {year} : {what}")


def _public_share(ctx: Context, public: str) -> Computed:
    table = sante.distribution(ctx.ds.actions_sante, C.PUBLIC, annee=2021)
    hit = table[table[C.PUBLIC].map(fold) == fold(public)]
    n, base = int(hit["n"].iloc[0]), int(hit["base_n"].iloc[0])
    return Computed(Fraction(n, base), base, f"sante.distribution(public, 2021) : {n}/{base}")


def _actions_2021(ctx: Context) -> Computed:
    per = sante.actions_per_commune(ctx.ds.actions_sante, annee=2021)
    return Computed(int(per["base_n"].iloc[0]), None,
                    f"sante.actions_per_commune(2021) : {len(per)} communes")


def _ami(ctx: Context):
    if ctx.ds.ami_rules is None:
        raise ValueError("ami_regles.yaml absent des données")
    return load_rules(ctx.ds.ami_rules)


def _communes_anru(ctx: Context) -> Computed:
    ind = ctx.ds.indicateurs
    rows = ind[(ind[C.NIVEAU] == "commune") & (ind[C.INDICATEUR] == "commune_npru")]
    codes = sorted(rows.loc[rows[C.VALEUR] == 1, C.CODE].astype(str))
    return Computed(len(codes), None, "indicateurs commune_npru = 1 : " + ", ".join(codes))


def _qpv_poverty_max(ctx: Context) -> Computed:
    table = territoire.compare_indicators(ctx.ds.indicateurs, ctx.ds.qpv, ctx.ds.communes,
                                          indicateur="taux_pauvrete")
    own = table[table[C.NIVEAU] == "qpv"]
    latest = own[own[C.ANNEE] == own[C.ANNEE].max()]
    top = latest.loc[latest[C.VALEUR].idxmax()]
    return Computed(float(top[C.VALEUR]), None,
                    f"territoire.compare_indicators : maximum {top[C.ANNEE]} ({top[C.CODE]}), "
                    f"{int(latest['marqueur'].notna().sum())} QPV sous secret exclus")


def _density(ctx: Context) -> Computed:
    pop = _key(ctx, "terr.population").value
    surface = _indicator(ctx, "epci", "surface").value
    return Computed(Fraction(int(pop)) / Fraction(str(surface)), None,
                    f"population {int(pop)} / surface {surface:g} km²")


def _population_of(ctx: Context, code: str) -> Computed:
    communes = ctx.ds.communes
    row = communes[communes[C.CODE_INSEE].astype(str) == code]
    return Computed(int(row[C.POPULATION].iloc[0]), None,
                    f"communes : {row[C.NOM].iloc[0]} ({code})")


def _audition_people(ctx: Context, cols: tuple[str, ...]) -> Computed:
    hearings = _meetings(ctx, "audition commune")
    total = int(sum(hearings[c].sum() for c in cols))
    n = int(hearings["n_reunions"].sum())
    return Computed(total, None, f"reunions « audition commune » ({n}) : "
                    f"somme de {' + '.join(cols)}")


def _count_meetings(ctx: Context, instance: str, groupe: str | None = None) -> Computed:
    n = int(_meetings(ctx, instance, groupe)["n_reunions"].sum())
    return Computed(n, None, f"reunions « {instance} »" + (f" / « {groupe} »" if groupe else ""))


def _chosen_proposals(ctx: Context) -> Computed:
    table = frequencies(ctx.survey("communes"), "propositions")
    cited = table[(table["code"] != NON_RESPONSE_CODE) & (table["effectif"] > 0)]
    return Computed(len(cited), None, "communes.propositions : propositions citées au moins "
                    "une fois")


FIGURES: dict[str, Callable[[Context], Computed | None]] = {
    # territoire
    "terr.communes": lambda c: _key(c, "terr.communes"),
    "terr.population": lambda c: _key(c, "terr.population"),
    "terr.surface_km2": lambda c: _indicator(c, "epci", "surface"),
    "terr.densite": _density,
    "terr.pop_lens": lambda c: _population_of(c, "62498"),
    "terr.pop_lievin": lambda c: _population_of(c, "62510"),
    "terr.taille_mediane_commune": lambda c: _key(c, "terr.taille_mediane_commune"),
    "terr.communes_signataires": lambda c: _key(c, "terr.communes_signataires"),
    "terr.qpv": lambda c: _key(c, "terr.qpv"),
    "terr.pop_qpv": lambda c: _key(c, "terr.pop_qpv"),
    "terr.part_pop_qpv": lambda c: _key(c, "terr.part_pop_qpv"),
    "terr.communes_anru": _communes_anru,
    "terr.taux_pauvrete_2012": lambda c: _share_of_percent(
        _indicator(c, "epci", "taux_pauvrete", 2012)),
    "terr.taux_pauvrete_qpv_max": lambda c: _share_of_percent(_qpv_poverty_max(c)),
    "terr.pauvrete_jeunes": lambda c: _share_of_percent(
        _indicator(c, "epci", "taux_pauvrete_jeunes")),
    "terr.revenu_moyen_2015": lambda c: _indicator(c, "epci", "revenu_moyen_menages", 2015),
    "terr.revenu_moyen_region_2015": lambda c: _indicator(c, "region", "revenu_moyen_menages",
                                                          2015),
    "terr.revenu_moyen_france_2015": lambda c: _indicator(c, "france", "revenu_moyen_menages",
                                                          2015),
    "terr.ecart_revenu_median_35_agglos": lambda c: _share_of_percent(
        _indicator(c, "epci", "ecart_revenu_median_35_agglomerations")),
    "terr.logements_sociaux": lambda c: _share_of_percent(
        _indicator(c, "epci", "part_logements_sociaux", 2022)),
    "terr.logements_erbm": lambda c: _indicator(c, "epci", "logements_erbm_a_renover"),
    "perr.engagements": lambda c: Computed(len(perr.engagements(c.ds.perr)), None,
                                           "perr.engagements : lignes"),
    "cdv.piliers": lambda c: Computed(len(finances.totals(c.ds.programmation, C.PILIER)), None,
                                      "finances.totals par pilier : piliers distincts"),
    # méthode de l'évaluation
    "eval.communes.envoyes": lambda c: _rate(c, "communes", "envoyes"),
    "eval.communes.reponses": lambda c: _rate(c, "communes", "reponses"),
    "eval.communes.taux_reponse": lambda c: _rate(c, "communes", "taux"),
    "eval.communes.personnes_auditionnees": lambda c: _audition_people(
        c, ("elus", "techniciens")),
    "eval.communes.elus_auditionnes": lambda c: _audition_people(c, ("elus",)),
    "eval.communes.techniciens_auditionnes": lambda c: _audition_people(c, ("techniciens",)),
    "eval.communes.heures_audition": lambda c: Computed(
        float(_meetings(c, "audition commune")["heures"].sum()), None,
        "reunions « audition commune » : somme des durées"),
    "eval.assos.envoyes": lambda c: _rate(c, "associations", "envoyes"),
    "eval.assos.reponses": lambda c: _rate(c, "associations", "reponses"),
    "eval.assos.taux_reponse": lambda c: _rate(c, "associations", "taux"),
    "eval.assos.auditionnees": lambda c: _count_meetings(c, "audition association"),
    # finances
    "fin.total_2016": lambda c: _total(c, 2016),
    "fin.total_2019": lambda c: _total(c, 2019),
    "fin.total_2022": lambda c: _total(c, 2022),
    "fin.evolution_2016_2022": lambda c: Computed(
        finances.evolution(c.ds.programmation, 2016, 2022), None,
        "finances.evolution(2016, 2022)"),
    "fin.region_invest_annuel": lambda c: None,
    "ami.enveloppe_annuelle": lambda c: Computed(_ami(c).enveloppe_annuelle, None,
                                                 "ami_regles.yaml : enveloppe_annuelle"),
    "ami.taux_max": lambda c: Computed(_ami(c).plafond, None, "ami_regles.yaml : plafond"),
    "ami.criteres_bonification": lambda c: Computed(len(_ami(c).criteres), None,
                                                    "ami_regles.yaml : critères"),
    # gouvernance: communes
    "gouv.com.ingenierie_insuffisante": lambda c: _share(c, "communes", "moyens_humains",
                                                         "Insuffisants"),
    "gouv.com.mobilise_autres_services": lambda c: _share(c, "communes", "autres_services",
                                                          "Oui"),
    "gouv.com.elu_delegue_pv": lambda c: _share(c, "communes", "elu_delegue", "Oui"),
    "gouv.com.actions_innovantes_en_partie": lambda c: _share(c, "communes",
                                                              "actions_innovantes", "En partie"),
    "gouv.com.partenariat_en_partie": lambda c: _share(c, "communes", "partenariat",
                                                       "En partie"),
    "gouv.com.partenariat_totalement": lambda c: _share(c, "communes", "partenariat",
                                                        "Totalement"),
    "gouv.com.egalite_fh_un_peu": lambda c: _share(c, "communes", "egalite_fh", "Un peu"),
    "gouv.com.discriminations_un_peu": lambda c: _share(c, "communes", "discriminations",
                                                        "Un peu"),
    "gouv.com.mise_en_coherence": lambda c: _share(c, "communes", "mise_en_coherence", "Oui"),
    "gouv.com.droit_commun_pas_vraiment": lambda c: _share(c, "communes", "droit_commun",
                                                           "Pas vraiment"),
    "gouv.com.ingenierie_call_suffisante": lambda c: _share(c, "communes", "ingenierie_call",
                                                            "Suffisante"),
    "gouv.com.attente_methodologie": lambda c: _share(c, "communes", "attentes",
                                                      "methodologie"),
    "gouv.com.attente_animation_reseau": lambda c: _share(c, "communes", "attentes",
                                                          "animation_reseau"),
    "gouv.com.copil_satisfait": lambda c: _share(c, "communes", "copil", "Satisfait"),
    "gouv.com.copil_en_partie": lambda c: _share(c, "communes", "copil", "En partie"),
    # gouvernance: associations
    "gouv.asso.domaine_sante": lambda c: _share(c, "associations", "domaine", "sante"),
    "gouv.asso.domaine_emploi": lambda c: _share(c, "associations", "domaine", "emploi"),
    "gouv.asso.salaries_6_50": lambda c: _share(c, "associations", "salaries",
                                                "6 à 50 salariés"),
    "gouv.asso.sans_salarie": lambda c: _share(c, "associations", "salaries", "Aucun salarié"),
    "gouv.asso.repondant_cadre": lambda c: _share(c, "associations", "fonction_repondant",
                                                  "Cadre (direction, coordination)"),
    "gouv.asso.pro_administratif": lambda c: _share(c, "associations", "pro_administratif",
                                                    "Oui"),
    "gouv.asso.plus_10_ans": lambda c: _share(c, "associations", "anciennete",
                                              "Plus de 10 ans"),
    "gouv.asso.financement_pv_moins_25": lambda c: _share(c, "associations",
                                                          "part_financement_pv",
                                                          "Moins de 25 %"),
    "gouv.asso.cooperations_developpees": lambda c: _share(c, "associations",
                                                           "cooperations_associations", "Oui"),
    "gouv.asso.groupe_asv": lambda c: _share(c, "associations", "groupes_travail", "asv"),
    "gouv.asso.groupe_cls": lambda c: _share(c, "associations", "groupes_travail", "cls"),
    "gouv.asso.groupe_cispd": lambda c: _share(c, "associations", "groupes_travail", "cispd"),
    "gouv.asso.accompagnement_etat": lambda c: _share(c, "associations", "accompagnement",
                                                      "Oui", row="etat"),
    "gouv.asso.accompagnement_call": lambda c: _share(c, "associations", "accompagnement",
                                                      "Oui", row="call"),
    "gouv.asso.accompagnement_communes": lambda c: _share(c, "associations", "accompagnement",
                                                          "Oui", row="communes"),
    "gouv.asso.aap_adapte": lambda c: _share(c, "associations", "aap_adapte", "Oui"),
    "gouv.asso.coop_souvent": lambda c: _share(c, "associations", "cooperations_cdv",
                                               "Souvent", of_all=True),
    "gouv.asso.coop_rarement": lambda c: _share(c, "associations", "cooperations_cdv",
                                                "Rarement", of_all=True),
    "gouv.asso.coop_jamais": lambda c: _share(c, "associations", "cooperations_cdv", "Jamais",
                                              of_all=True),
    "gouv.propositions": _chosen_proposals,
    # participation des habitants
    "part.entretiens": lambda c: Computed(
        int(participation.interviews_by_actor(c.ds.entretiens)["base_n"].iloc[0]), None,
        "participation.interviews_by_actor : entretiens"),
    "part.temps_restitution": lambda c: _count_meetings(c, "restitution"),
    "part.questions_evaluatives": lambda c: None,
    "part.cc.info_negatif": lambda c: _share(c, "conseils_citoyens", "acces_information",
                                             "Négatif"),
    "part.cc.utile_oui_plutot": lambda c: _share(c, "conseils_citoyens", "utilite",
                                                 "Oui plutôt"),
    "part.cc.utile_pas_du_tout": lambda c: _share(c, "conseils_citoyens", "utilite",
                                                  "Pas du tout"),
    "part.cc.ecoute_negatif": lambda c: _share(c, "conseils_citoyens", "ecoute", "Négatif"),
    "part.cc.ecoute_positif": lambda c: _share(c, "conseils_citoyens", "ecoute", "Positif"),
    # santé
    "sante.prog.actions_2015": lambda c: _health_programmation(c, 2015, "n_actions_sante"),
    "sante.prog.actions_2022": lambda c: _health_programmation(c, 2022, "n_actions_sante"),
    "sante.prog.montant_2015": lambda c: _health_programmation(c, 2015, "montant_sante"),
    "sante.prog.montant_2022": lambda c: _health_programmation(c, 2022, "montant_sante"),
    "sante.communes_rencontrees": lambda c: _rate(c, "sante_communes", "reponses"),
    "sante.communes_rencontrees_pct": lambda c: _rate(c, "sante_communes", "taux"),
    "sante.elu_referent": lambda c: _share(c, "sante_communes", "elu_referent", "Oui"),
    "sante.actions_2021": _actions_2021,
    "sante.public_adultes": lambda c: _public_share(c, "adultes"),
    "sante.public_jeunes": lambda c: _public_share(c, "jeunes"),
    "sante.public_enfants": lambda c: _public_share(c, "enfants"),
    "sante.arms": lambda c: _indicator(c, "epci", "adultes_relais_mediateurs_sante"),
    "sante.arms_contribution_call": lambda c: None,
    "sante.assos_rencontrees": lambda c: _count_meetings(c, "entretien association santé"),
    "sante.partenaires_interroges": lambda c: Computed(
        c.survey("partenaires_sante").n_respondents, None, "partenaires_sante : répondants"),
    "sante.groupes.asv_methodologie": lambda c: _count_meetings(
        c, "groupe de travail", "Méthodologie de projet"),
    "sante.groupes.asv_participation": lambda c: _count_meetings(
        c, "groupe de travail", "Participation des habitants"),
    "sante.groupes.asv_echange_pratiques": lambda c: _count_meetings(
        c, "groupe de travail", "Échange de pratiques"),
    "sante.groupes.asv_arms": lambda c: _count_meetings(
        c, "groupe de travail", "Adultes relais médiateurs santé"),
    "sante.groupes.cls_attractivite": lambda c: _count_meetings(
        c, "groupe de travail", "Attractivité du territoire"),
    "sante.groupes.cls_acces_soins": lambda c: _count_meetings(
        c, "groupe de travail", "Accès aux soins et prévention"),
    "sante.groupes.cls_jeunes": lambda c: _count_meetings(
        c, "groupe de travail", "Promotion de la santé des jeunes"),
    "sante.ctx.surpoids_62": lambda c: _share_of_percent(
        _indicator(c, "departement", "part_surpoids", 2017, "62")),
    "sante.ctx.obesite_62": lambda c: _share_of_percent(
        _indicator(c, "departement", "part_obesite", 2017, "62")),
    "sante.ctx.insuffisance_ponderale_62": lambda c: _share_of_percent(
        _indicator(c, "departement", "part_insuffisance_ponderale", 2017, "62")),
    "sante.ctx.mg_plus_55_call": lambda c: _share_of_percent(
        _indicator(c, "epci", "part_generalistes_55_ans_et_plus", 2017)),
    "sante.ctx.mg_plus_55_france": lambda c: _share_of_percent(
        _indicator(c, "france", "part_generalistes_55_ans_et_plus", 2017)),
    "sante.ctx.mg_moins_40_call": lambda c: _share_of_percent(
        _indicator(c, "epci", "part_generalistes_moins_40_ans")),
    "sante.ctx.mg_moins_40_france": lambda c: _share_of_percent(
        _indicator(c, "france", "part_generalistes_moins_40_ans")),
    "sante.ctx.centres_sante": lambda c: _indicator(c, "epci", "centres_sante"),
    "sante.ctx.cds_filieris": lambda c: _indicator(c, "epci", "centres_soins_filieris"),
    "sante.ctx.msp": lambda c: _indicator(c, "epci", "maisons_sante_pluriprofessionnelles"),
    "sante.ctx.cpts_lievin_communes": lambda c: _indicator(c, "epci",
                                                           "cpts_lievin_pays_artois_communes"),
    "sante.ctx.cpts_lievin_population": lambda c: _indicator(
        c, "epci", "cpts_lievin_pays_artois_population"),
    "sante.ctx.cpts_gohelle_communes": lambda c: _indicator(c, "epci", "cpts_gohelle_communes"),
    "sante.ctx.cpts_gohelle_population": lambda c: _indicator(c, "epci",
                                                              "cpts_gohelle_population"),
}


def _share_of_percent(computed: Computed) -> Computed:
    """An indicator stored in percent (``52,8``) as a share, like every computed share."""
    return Computed(Fraction(str(computed.value)) / 100, computed.base, computed.detail)


def _total(ctx: Context, year: int) -> Computed:
    row = ctx.totals_by_year.loc[year]
    return Computed(float(row["montant_accorde"]), None,
                    f"finances.totals {year} : {int(row['n_actions'])} actions")



_LEVELS = {"relation": "Relation", "connexion": "Connexion", "cohesion": "Cohésion",
           "connexion_dynamique": "Connexion dynamique",
           "cohesion_dynamique": "Cohésion dynamique"}
for _partner in ("etat", "region", "departement", "caf", "call"):
    for _level, _label in _LEVELS.items():
        FIGURES[f"coop.{_partner}.{_level}"] = (
            lambda c, p=_partner, lab=_label: _cooperation(c, p, lab))

