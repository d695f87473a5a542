"""Fidelity to the 2022 report: every printed figure recomputed from the data.

For each row of ``reference/published_figures.csv`` (146 figures printed by the CALL's 2022
evaluation report) the workbench computes the same figure from the data directory through
the library (survey engine, themes, :func:`cdv_lib.dataset.load_dataset`) and compares:

* ``reproduit``: equal at the printed precision;
* ``expliqué``: not equal, or not computable from the data, and the committed file
  ``reference/fidelity_explanations.csv`` (``id;raison``) gives the reason (a report
  inconsistency, a population vintage, a fact no input carries);
* ``échec``: anything else.

Comparison rules (:func:`compare`)
----------------------------------
* a percentage is computed as a share (0..1) and compared as ``share × 100``;
* the computed value is rounded **half up** to the number of decimals printed
  (``42.1`` → 1 decimal, ``80`` → 0): 9/16 = 56,25 % matches a printed ``56.3``;
* a figure the report gives as approximate (note starting with ``about`` or ``near``:
  « près de 3 900 000 ») is compared at the place of its last non-zero digit
  (3 918 264 → 3 900 000);
* a figure given as a lower bound (note ``more than``: « plus de 60 % ») matches any
  larger computed value;
* when rounding does not match but truncation does (0,477 → 47 printed), the comparison
  says ``arrondi inférieur``: the row still needs an explanation to be ``expliqué``.

Computations are exact: shares are kept as fractions of counts and turned into
:class:`~decimal.Decimal` only for the comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from functools import cached_property
from pathlib import Path

import pandas as pd

from cdv_lib import columns as C
from cdv_lib.dataset import Dataset, load_dataset
from cdv_lib.paths import REFERENCE_DIR
from cdv_lib.readers import read_table
from cdv_lib.survey import NON_RESPONSE_CODE, frequencies, response_rate
from cdv_lib.survey.matching import fold
from cdv_lib.themes import (
    finances, gouvernance, participation, perr, reunions, sante, territoire,
)
from cdv_lib.themes.ami import load_rules

__all__ = [
    "EXPLAINED",
    "FAILED",
    "REPRODUCED",
    "Computed",
    "compare",
    "fidelity_table",
    "load_explanations",
    "load_published",
    "printed_decimals",
    "summary",
]

REPRODUCED = "reproduit"
EXPLAINED = "expliqué"
FAILED = "échec"
STATUSES = (REPRODUCED, EXPLAINED, FAILED)

# outcomes of compare()
EQUAL = "égal"
ROUNDED_DOWN = "arrondi inférieur"
DIFFERENT = "écart"
NOT_COMPUTED = "non calculé"

PUBLISHED_FILE = "published_figures.csv"
EXPLANATIONS_FILE = "fidelity_explanations.csv"
TABLE_COLUMNS = ["id", "theme", "libelle", "publie", "calcule", "unite", "base_n",
                 "comparaison", "statut", "detail", "raison"]


# --------------------------------------------------------------------------- comparison
def printed_decimals(printed: str) -> int:
    """Number of decimals of a printed figure as written in the reference file
    (``"42.1"`` → 1, ``"80"`` → 0, ``"-20"`` → 0)."""
    text = str(printed).strip().replace(",", ".")
    return len(text.split(".", 1)[1]) if "." in text else 0


def _to_decimal(value) -> Decimal:
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    if isinstance(value, float):
        return Decimal(repr(float(value)))
    return Decimal(str(value))


def _quantum(printed: str, note: str) -> Decimal:
    note = (note or "").strip().lower()
    if note.startswith(("about", "near")):
        digits = str(printed).strip().lstrip("-").split(".")[0]
        zeros = len(digits) - len(digits.rstrip("0")) if digits.strip("0") else 0
        return Decimal(10) ** zeros
    return Decimal(1).scaleb(-printed_decimals(printed))


def compare(printed: str, computed, *, unit: str = "count", note: str = "") -> str:
    """Compare a printed figure with a computed value.

    Parameters
    ----------
    printed : str
        The figure as written in ``published_figures.csv`` (``"42.1"``, ``"3900000"``).
    computed : float, int, Fraction or Decimal
        The computed value; for ``unit == "percent"`` a share in 0..1.
    unit : str
        ``percent`` (compared as ``share × 100``) or any other unit (compared as is).
    note : str
        The row's note: ``about…``/``near…`` (approximate figure) or ``more than…``
        (lower bound) change the rule (module docstring).

    Returns
    -------
    str
        ``"égal"``, ``"arrondi inférieur"`` (truncation matches, rounding does not) or
        ``"écart"``.
    """
    try:
        pub = Decimal(str(printed).strip().replace(",", "."))
    except InvalidOperation as exc:
        raise ValueError(f"chiffre publié illisible : « {printed} »") from exc
    value = _to_decimal(computed)
    if unit == "percent":
        value *= 100
    quantum = _quantum(printed, note)
    rounded = (value / quantum).quantize(Decimal(1), rounding=ROUND_HALF_UP) * quantum
    if (note or "").strip().lower().startswith("more than"):
        return EQUAL if rounded > pub else DIFFERENT
    if rounded == pub:
        return EQUAL
    truncated = (value / quantum).quantize(Decimal(1), rounding=ROUND_DOWN) * quantum
    return ROUNDED_DOWN if truncated == pub else DIFFERENT


# --------------------------------------------------------------------------- computations
@dataclass(frozen=True)
class Computed:
    """A figure computed from the data: ``value`` (a share in 0..1 for percentages, a
    :class:`~fractions.Fraction` when exact), its ``base`` when it is a share, and
    ``detail``, a French description of how it was obtained."""

    value: object
    base: int | None = None
    detail: str = ""


class _Context:
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


def _meetings(ctx: _Context, instance: str, groupe: str | None = None) -> pd.DataFrame:
    """Counts of :func:`cdv_lib.themes.reunions.meeting_counts` for one kind of meeting
    (every working group when *groupe* is None)."""
    if ctx.ds.reunions.empty:
        raise ValueError("fichier reunions absent des données")
    labels = {"instance": instance} if groupe is None else {"instance": instance,
                                                             "groupe": groupe}
    return reunions.find_meetings(ctx.meetings, **labels)


def _key(ctx: _Context, cle: str) -> Computed:
    row = ctx.key_figures.loc[cle]
    base = None if pd.isna(row["base_n"]) else int(row["base_n"])
    return Computed(row["valeur"], base, f"territoire.key_figures : {cle}")


_DEFAULT_CODES = {"departement": "62", "region": "32", "france": "FR"}


def _indicator(ctx: _Context, niveau: str, indicateur: str, annee: int | None = None,
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


def _share(ctx: _Context, survey_name: str, question_id: str, choice: str, *,
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


def _cooperation(ctx: _Context, partner: str, level: str) -> Computed:
    long = gouvernance.cooperation_long(ctx.survey("associations"), "grille_cooperation")
    hit = long[(long["code"] == partner) & (long["niveau"].astype(str).map(fold) == fold(level))]
    if len(hit) != 1:
        raise ValueError(f"grille de coopération : {partner} × {level} introuvable")
    n, base = int(hit["n"].iloc[0]), int(hit["base_n"].iloc[0])
    return Computed(Fraction(n, base), base,
                    f"gouvernance.cooperation_long : {partner} × {level} = {n}/{base}")


def _rate(ctx: _Context, survey_name: str, what: str) -> Computed:
    rate = response_rate(ctx.survey(survey_name))
    if what == "taux":
        return Computed(Fraction(rate["reponses"], rate["envoyes"]), rate["envoyes"],
                        f"{survey_name} : {rate['reponses']}/{rate['envoyes']}")
    return Computed(rate[what], None, f"{survey_name} : {what}")


def _health_programmation(ctx: _Context, year: int, what: str) -> Computed:
    row = ctx.health.loc[year]
    return Computed(row[what], None, f"sante.health_programming {year} : {what}")


def _public_share(ctx: _Context, public: str) -> Computed:
    table = sante.distribution(ctx.ds.actions_sante, C.PUBLIC, annee=2021)
    hit = table[table[C.PUBLIC].map(fold) == fold(public)]
    n, base = int(hit["n"].iloc[0]), int(hit["base_n"].iloc[0])
    return Computed(Fraction(n, base), base, f"sante.distribution(public, 2021) : {n}/{base}")


def _actions_2021(ctx: _Context) -> Computed:
    per = sante.actions_per_commune(ctx.ds.actions_sante, annee=2021)
    return Computed(int(per["base_n"].iloc[0]), None,
                    f"sante.actions_per_commune(2021) : {len(per)} communes")


def _ami(ctx: _Context):
    if ctx.ds.ami_rules is None:
        raise ValueError("ami_regles.yaml absent des données")
    return load_rules(ctx.ds.ami_rules)


def _communes_anru(ctx: _Context) -> Computed:
    ind = ctx.ds.indicateurs
    rows = ind[(ind[C.NIVEAU] == "commune") & (ind[C.INDICATEUR] == "commune_npru")]
    codes = sorted(rows.loc[rows[C.VALEUR] == 1, C.CODE].astype(str))
    return Computed(len(codes), None, "indicateurs commune_npru = 1 : " + ", ".join(codes))


def _qpv_poverty_max(ctx: _Context) -> Computed:
    table = territoire.compare_indicators(ctx.ds.indicateurs, ctx.ds.qpv, ctx.ds.communes,
                                          indicateur="taux_pauvrete")
    own = table[table[C.NIVEAU] == "qpv"]
    latest = own[own[C.ANNEE] == own[C.ANNEE].max()]
    top = latest.loc[latest[C.VALEUR].idxmax()]
    return Computed(float(top[C.VALEUR]), None,
                    f"territoire.compare_indicators : maximum {top[C.ANNEE]} ({top[C.CODE]}), "
                    f"{int(latest['marqueur'].notna().sum())} QPV sous secret exclus")


def _density(ctx: _Context) -> Computed:
    pop = _key(ctx, "terr.population").value
    surface = _indicator(ctx, "epci", "surface").value
    return Computed(Fraction(int(pop)) / Fraction(str(surface)), None,
                    f"population {int(pop)} / surface {surface:g} km²")


def _population_of(ctx: _Context, code: str) -> Computed:
    communes = ctx.ds.communes
    row = communes[communes[C.CODE_INSEE].astype(str) == code]
    return Computed(int(row[C.POPULATION].iloc[0]), None,
                    f"communes : {row[C.NOM].iloc[0]} ({code})")


def _audition_people(ctx: _Context, cols: tuple[str, ...]) -> Computed:
    hearings = _meetings(ctx, "audition commune")
    total = int(sum(hearings[c].sum() for c in cols))
    n = int(hearings["n_reunions"].sum())
    return Computed(total, None, f"reunions « audition commune » ({n}) : "
                    f"somme de {' + '.join(cols)}")


def _count_meetings(ctx: _Context, instance: str, groupe: str | None = None) -> Computed:
    n = int(_meetings(ctx, instance, groupe)["n_reunions"].sum())
    return Computed(n, None, f"reunions « {instance} »" + (f" / « {groupe} »" if groupe else ""))


def _chosen_proposals(ctx: _Context) -> Computed:
    table = frequencies(ctx.survey("communes"), "propositions")
    cited = table[(table["code"] != NON_RESPONSE_CODE) & (table["effectif"] > 0)]
    return Computed(len(cited), None, "communes.propositions : propositions citées au moins "
                    "une fois")


FIGURES: dict[str, Callable[[_Context], Computed | None]] = {
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


def _total(ctx: _Context, year: int) -> Computed:
    row = ctx.totals_by_year.loc[year]
    return Computed(float(row["montant_accorde"]), None,
                    f"finances.totals {year} : {int(row['n_actions'])} actions")


# --------------------------------------------------------------------------- tables
def _reference_file(directory: Path, name: str) -> Path:
    own = directory / "reference" / name
    return own if own.exists() else REFERENCE_DIR / name


def load_published(path: str | Path | None = None) -> pd.DataFrame:
    """The published figures: ``id``, ``theme``, ``section``, ``label``, ``value`` (text as
    printed), ``unit``, ``base_n``, ``note`` (strings; missing = empty string)."""
    path = Path(path) if path is not None else REFERENCE_DIR / PUBLISHED_FILE
    frame = read_table(path)
    return frame.fillna("").reset_index(drop=True)


def load_explanations(path: str | Path | None = None) -> dict[str, str]:
    """``{id: raison}`` from ``fidelity_explanations.csv`` (empty when the file is absent)."""
    path = Path(path) if path is not None else REFERENCE_DIR / EXPLANATIONS_FILE
    if not path.exists():
        return {}
    frame = read_table(path).fillna("")
    return dict(zip(frame["id"].str.strip(), frame["raison"].str.strip()))


def _display(value, unit: str) -> float:
    number = _to_decimal(value)
    return float(number * 100 if unit == "percent" else number)


def fidelity_table(data: str | Path | Dataset | None = None, *,
                   published: pd.DataFrame | None = None,
                   explanations: dict[str, str] | None = None) -> pd.DataFrame:
    """Compare every published figure with the value computed from the data.

    Parameters
    ----------
    data : path, Dataset or None
        The data directory (default: :func:`cdv_lib.paths.data_dir`), or a loaded dataset.
    published, explanations : optional
        Override ``reference/published_figures.csv`` and
        ``reference/fidelity_explanations.csv`` (default: those of the data directory, else
        the embedded ones).

    Returns
    -------
    DataFrame
        One row per published figure, in file order: ``id``, ``theme``, ``libelle``,
        ``publie`` (text as printed), ``calcule`` (float64, in the printed unit: a percent
        for percentages; NaN when not computed), ``unite``, ``base_n`` (Int64, base of a
        computed share), ``comparaison`` (``égal``, ``arrondi inférieur``, ``écart``,
        ``non calculé``), ``statut`` (``reproduit``, ``expliqué``, ``échec``), ``detail``
        (how the value was computed, or the error), ``raison`` (the explanation, if any).
    """
    ds = data if isinstance(data, Dataset) else load_dataset(data)
    directory = Path(ds.data_dir)
    if published is None:
        published = load_published(_reference_file(directory, PUBLISHED_FILE))
    if explanations is None:
        explanations = load_explanations(_reference_file(directory, EXPLANATIONS_FILE))
    ctx = _Context(ds)
    rows = []
    for fig in published.to_dict("records"):
        fid, unit, note = fig["id"], fig["unit"], fig.get("note", "")
        compute = FIGURES.get(fid)
        computed, error = None, ""
        if compute is None:
            error = "aucun calcul défini pour ce chiffre"
        else:
            try:
                computed = compute(ctx)
            except (ValueError, KeyError, TypeError, ZeroDivisionError) as exc:
                error = f"calcul impossible : {exc}"
        if computed is None or computed.value is None or pd.isna(computed.value):
            outcome = NOT_COMPUTED
        else:
            outcome = compare(fig["value"], computed.value, unit=unit, note=note)
        reason = explanations.get(fid, "")
        if outcome == EQUAL:
            status = REPRODUCED
        elif reason:
            status = EXPLAINED
        else:
            status = FAILED
        detail = error or (computed.detail if computed is not None else
                           "non porté par les données")
        rows.append({
            "id": fid, "theme": fig["theme"], "libelle": fig["label"], "publie": fig["value"],
            "calcule": (_display(computed.value, unit) if outcome != NOT_COMPUTED
                        else float("nan")),
            "unite": unit,
            "base_n": computed.base if computed is not None and computed.base else pd.NA,
            "comparaison": outcome, "statut": status, "detail": detail, "raison": reason,
        })
    out = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    out["calcule"] = out["calcule"].astype("float64")
    out["base_n"] = out["base_n"].astype("Int64")
    return out


def summary(table: pd.DataFrame) -> dict[str, int]:
    """Count of rows per status: ``{"reproduit": n, "expliqué": n, "échec": n, "total": n}``."""
    counts = table["statut"].value_counts()
    out = {s: int(counts.get(s, 0)) for s in STATUSES}
    out["total"] = len(table)
    return out



_LEVELS = {"relation": "Relation", "connexion": "Connexion", "cohesion": "Cohésion",
           "connexion_dynamique": "Connexion dynamique",
           "cohesion_dynamique": "Cohésion dynamique"}
for _partner in ("etat", "region", "departement", "caf", "call"):
    for _level, _label in _LEVELS.items():
        FIGURES[f"coop.{_partner}.{_level}"] = (
            lambda c, p=_partner, lab=_label: _cooperation(c, p, lab))
