"""Build the embedded demo data: the CALL 2022 case (Communauté d'Agglomération de Lens-Liévin).

Usage::

    python scripts/build_demo_data.py [OUT_DIR]      # default: the package's data/ folder

The report publishes only aggregates. Everything written here except the communes, their codes
and populations (Etalab list, copied in ``data/reference/``) and the figures the report prints
is *reconstructed* (respondents, programmation lines, actions, interviews) or *illustrative*
(QPV names and codes, context values the report does not print). The reconstruction is chosen
so that the workbench, run on these files, finds the report's figures again;
``data/README.md`` (« Données embarquées ») and ``data/SOURCES.md`` say what is what.

Deterministic: every random draw comes from :class:`random.Random` seeded with a string
(hashed with SHA-512 by Python, independent of ``PYTHONHASHSEED``); files are written as UTF-8
with ``\\n`` line ends. Running the script twice gives byte-identical files.
"""

from __future__ import annotations

import csv
import io
import math
import random
import shutil
import sys
from collections import Counter
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cdv_lib.paths import DATA_DIR, REFERENCE_DIR  # noqa: E402

SEED = "cdv-call-2022"
EPCI = "246200364"
YEAR = 2022
RECONSTRUIT = "# Fichier RECONSTRUIT par scripts/build_demo_data.py : pas des réponses collectées.\n"

# The report does not list the signatory communes: an illustrative choice of 19 mining-basin
# towns of the agglomeration (see data/README.md).
SIGNATORIES = [
    "62498",  # Lens
    "62510",  # Liévin
    "62065",  # Avion
    "62413",  # Harnes
    "62186",  # Bully-les-Mines
    "62570",  # Méricourt
    "62771",  # Sallaumines
    "62386",  # Grenay
    "62563",  # Mazingarbe
    "62133",  # Billy-Montigny
    "62895",  # Wingles
    "62842",  # Vendin-le-Vieil
    "62628",  # Noyelles-sous-Lens
    "62528",  # Loos-en-Gohelle
    "62737",  # Sains-en-Gohelle
    "62523",  # Loison-sous-Lens
    "62351",  # Fouquières-lès-Lens
    "62032",  # Angres
    "62291",  # Éleu-dit-Leauwette
]
# signatories met by the health coordinators in 2021 (16 of 19)
NOT_MET_2021 = {"62032", "62291", "62523"}
ANRU = {"62498", "62510", "62065"}  # Lens, Liévin, Avion (printed in the report)


def rng(*key: object) -> random.Random:
    """A generator seeded by *key*: each table draws from its own stream."""
    return random.Random("|".join([SEED, *map(str, key)]))


# --------------------------------------------------------------------------- writing
def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode("utf-8"))


def write_yaml(path: Path, data: object, comment: str) -> None:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100,
                          default_flow_style=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((comment + text).encode("utf-8"))


def dec(value: float, digits: int = 1) -> str:
    """A decimal with a French comma (``52,8``); integers stay integers."""
    if float(value).is_integer() and digits == 0:
        return str(int(value))
    text = f"{value:.{digits}f}"
    return text.replace(".", ",")


# --------------------------------------------------------------------------- territoire
def read_reference(ref_dir: Path) -> list[dict]:
    with open(ref_dir / "communes_france.csv", encoding="utf-8", newline="") as fh:
        return [r for r in csv.DictReader(fh) if r["code_epci"] == EPCI]


def build_communes(ref: list[dict]) -> list[dict]:
    known = {r["code_insee"] for r in ref}
    missing = [c for c in SIGNATORIES if c not in known]
    if missing or len(ref) != 36:
        raise SystemExit(f"liste de référence inattendue : {len(ref)} communes, absentes {missing}")
    return [{"code_insee": r["code_insee"], "nom": r["nom"], "population": int(r["population"]),
             "signataire": "oui" if r["code_insee"] in SIGNATORIES else "non",
             "code_epci": EPCI} for r in sorted(ref, key=lambda r: r["code_insee"])]


# code, name, communes, population: names and codes are illustrative (QP062 9xx is not used
# by the real 2015 geography of the Pas-de-Calais); total 56 040, about 56 000.
QPV = [
    ("QP062901", "Cité des Provinces", ["62498"], 4281),
    ("QP062902", "Résidence du Parc", ["62498"], 3663),
    ("QP062903", "Cité du Chevalement", ["62498", "62510"], 4617),
    ("QP062904", "Quartier des Genêts", ["62510"], 4144),
    ("QP062905", "Cité des Jardins", ["62510"], 3463),
    ("QP062906", "Quartier du Terril", ["62065"], 4480),
    ("QP062907", "Cité de la Fosse", ["62413"], 2858),
    ("QP062908", "Cité des Alouettes", ["62186"], 3008),
    ("QP062909", "Quartier Sud", ["62570"], 3182),
    ("QP062910", "Cité du Moulin", ["62771", "62628"], 3608),
    ("QP062911", "Cité des Oiseaux", ["62386"], 2027),
    ("QP062912", "Cité des Érables", ["62563"], 1854),
    ("QP062913", "Quartier de la Gare", ["62133"], 2258),
    ("QP062914", "Cité du Marais", ["62895"], 2092),
    ("QP062915", "Cité des Tilleuls", ["62842"], 1738),
    ("QP062916", "Cité de la Base 11", ["62528"], 1649),
    ("QP062917", "Cité des Acacias", ["62737"], 1579),
    ("QP062918", "Cité des Peupliers", ["62523"], 1535),
    ("QP062919", "Quartier des Écoles", ["62351"], 1703),
    ("QP062920", "Cité du Bois", ["62032"], 1192),
    ("QP062921", "Cité des Lilas", ["62291"], 1109),
]


def build_qpv() -> list[list[object]]:
    rows = []
    for code, name, communes, pop in QPV:
        rows.append([code, f"{name} (illustratif)", "|".join(communes), pop, "oui"])
    return rows


REPORT = "Rapport d'évaluation du Contrat de Ville de la CALL 2022 (chiffre publié)"


def build_indicateurs(communes: list[dict]) -> list[list[object]]:
    """Context indicators in long form. Values printed by the report are exact and sourced
    to it; the others are illustrative orders of magnitude and say so in ``source``."""
    rows: list[list[object]] = []

    def add(niveau, code, annee, indicateur, valeur, unite, sommable, source):
        rows.append([niveau, code, annee, indicateur, valeur, unite, sommable, source])

    ill_filo = "Illustratif (ordre de grandeur INSEE Filosofi, non publié par le rapport)"
    ill_rpls = "Illustratif (ordre de grandeur RPLS, non publié par le rapport)"
    r = rng("indicateurs")
    # QPV: poverty rate, median income, social housing, two vintages for the identity cards
    secret = {("QP062921", 2019), ("QP062920", 2019)}
    not_available = {("QP062918", 2016)}
    for code, _name, _communes, _pop in QPV:
        base_rate = r.uniform(36.0, 49.0)
        for annee, drift in ((2016, 0.0), (2019, r.uniform(-1.5, 2.5))):
            if (code, annee) in secret:
                value = "s"
            elif (code, annee) in not_available:
                value = "nd"
            elif code == "QP062901" and annee == 2019:
                value = dec(53.0)  # the maximum the report prints ("jusqu'à 53 %")
            else:
                value = dec(min(base_rate + drift, 52.4))
            add("qpv", code, annee, "taux_pauvrete", value, "%", "non", ill_filo)
        income_2016 = r.uniform(10200, 12400)
        for annee, income in ((2016, income_2016), (2019, income_2016 * r.uniform(1.01, 1.05))):
            value = "s" if (code, annee) in secret else str(int(round(income, -1)))
            add("qpv", code, annee, "revenu_median", value, "€", "non", ill_filo)
        add("qpv", code, 2019, "part_logements_sociaux", dec(r.uniform(48.0, 92.0)), "%", "non",
            ill_rpls)
    # communes: signatories' poverty rate and median income, ANRU flag
    for c in communes:
        if c["signataire"] != "oui":
            continue
        code = c["code_insee"]
        rate = r.uniform(17.0, 33.0)
        add("commune", code, 2019, "taux_pauvrete", dec(rate), "%", "non", ill_filo)
        add("commune", code, 2019, "revenu_median", str(int(round(r.uniform(15800, 19400), -1))),
            "€", "non", ill_filo)
        add("commune", code, 2022, "commune_npru", "1" if code in ANRU else "0", "nombre", "oui",
            "Rapport d'évaluation du Contrat de Ville de la CALL 2022 (Lens, Liévin, Avion en "
            "renouvellement urbain ANRU)")
    # agglomeration and comparison levels
    e, d, g, f = "epci", "departement", "region", "france"
    add(e, EPCI, 2012, "taux_pauvrete", "26", "%", "non", REPORT)
    add(e, EPCI, 2019, "taux_pauvrete", dec(24.6), "%", "non", ill_filo)
    add(d, "62", 2019, "taux_pauvrete", dec(19.8), "%", "non", ill_filo)
    add(g, "32", 2019, "taux_pauvrete", dec(18.0), "%", "non", ill_filo)
    add(f, "FR", 2019, "taux_pauvrete", dec(14.6), "%", "non", ill_filo)
    add(e, EPCI, 2012, "taux_pauvrete_jeunes", "37", "%", "non",
        REPORT + " ; année non précisée, 2012 supposée")
    add(e, EPCI, 2015, "revenu_moyen_menages", "16556", "€", "non", REPORT)
    add(g, "32", 2015, "revenu_moyen_menages", "18982", "€", "non", REPORT)
    add(f, "FR", 2015, "revenu_moyen_menages", "20556", "€", "non", REPORT)
    add(e, EPCI, 2019, "revenu_median", "18470", "€", "non", ill_filo)
    add(d, "62", 2019, "revenu_median", "20060", "€", "non", ill_filo)
    add(g, "32", 2019, "revenu_median", "20490", "€", "non", ill_filo)
    add(f, "FR", 2019, "revenu_median", "22040", "€", "non", ill_filo)
    add(e, EPCI, 2015, "ecart_revenu_median_35_agglomerations", "-20", "%", "non",
        REPORT + " ; année non précisée, 2015 supposée")
    add(e, EPCI, 2022, "part_logements_sociaux", "48", "%", "non", REPORT)
    add(d, "62", 2019, "part_logements_sociaux", dec(23.5), "%", "non", ill_rpls)
    add(f, "FR", 2019, "part_logements_sociaux", dec(16.8), "%", "non", ill_rpls)
    add(e, EPCI, 2022, "logements_erbm_a_renover", "4000", "logements", "oui", REPORT)
    add(e, EPCI, 2022, "surface", "239", "km²", "oui", REPORT)
    # santé (section 04 of the report)
    add(d, "62", 2017, "part_surpoids", dec(52.8), "%", "non", REPORT)
    add(d, "62", 2017, "part_obesite", dec(21.7), "%", "non", REPORT)
    add(d, "62", 2017, "part_insuffisance_ponderale", dec(4.2), "%", "non", REPORT)
    add(e, EPCI, 2017, "part_generalistes_55_ans_et_plus", dec(59.8), "%", "non", REPORT)
    add(f, "FR", 2017, "part_generalistes_55_ans_et_plus", dec(54.5), "%", "non", REPORT)
    add(e, EPCI, 2017, "part_generalistes_moins_40_ans", "10", "%", "non", REPORT)
    add(f, "FR", 2017, "part_generalistes_moins_40_ans", "16", "%", "non", REPORT)
    add(e, EPCI, 2017, "centres_sante", "32", "nombre", "oui", REPORT)
    add(e, EPCI, 2017, "centres_soins_filieris", "19", "nombre", "oui", REPORT)
    add(e, EPCI, 2017, "maisons_sante_pluriprofessionnelles", "2", "nombre", "oui",
        REPORT + " (Liévin et Avion)")
    add(e, EPCI, 2022, "adultes_relais_mediateurs_sante", "3", "nombre", "oui", REPORT)
    add(e, EPCI, 2018, "cpts_lievin_pays_artois_communes", "12", "communes", "non",
        REPORT + " (CPTS créée en 2018)")
    add(e, EPCI, 2018, "cpts_lievin_pays_artois_population", "100000", "habitants", "non",
        REPORT + " (CPTS créée en 2018)")
    add(e, EPCI, 2019, "cpts_gohelle_communes", "11", "communes", "non",
        REPORT + " (CPTS créée en 2019)")
    add(e, EPCI, 2019, "cpts_gohelle_population", "90000", "habitants", "non",
        REPORT + " (CPTS créée en 2019)")
    return rows


# --------------------------------------------------------------------------- programmation
PILIERS = {
    "cohesion": "Inclusion sociale et cohésion sociale",
    "cadre": "Habitat, cadre de vie, environnement",
    "attractivite": "Attractivité des quartiers prioritaires",
    "egalite": "Égalité des chances",
}
THEMES = [  # (pillar, theme, weight, titles)
    ("cohesion", "Éducation", 16, ["Accompagnement à la scolarité", "Ateliers parents-enfants",
                                   "Programme de réussite éducative", "Cité éducative : ateliers"]),
    ("cohesion", "Culture", 11, ["Résidence d'artistes en quartier", "Ateliers théâtre",
                                 "Parcours musée et quartiers", "Fresque participative"]),
    ("cohesion", "Sport", 8, ["Sport au pied des immeubles", "École multisports",
                              "Tournoi inter-quartiers"]),
    ("cohesion", "Lien social", 10, ["Fête de quartier", "Café des habitants",
                                     "Jardins partagés", "Repas solidaires"]),
    ("cohesion", "Accès aux droits", 7, ["Permanences d'accès aux droits",
                                         "Médiation numérique", "Écrivain public"]),
    ("cohesion", "Prévention de la délinquance", 5, ["Chantiers éducatifs",
                                                     "Médiation sociale de nuit"]),
    ("cadre", "Cadre de vie", 6, ["Gestion urbaine de proximité", "Embellissement des cités",
                                  "Ateliers de l'habitat"]),
    ("cadre", "Tranquillité publique", 3, ["Médiation dans l'habitat", "Marches exploratoires"]),
    ("attractivite", "Emploi et insertion", 14, ["Chantier d'insertion", "Coaching vers l'emploi",
                                                 "Forum de l'emploi", "Cité de l'emploi"]),
    ("attractivite", "Développement économique", 4, ["Aide à la création d'activité",
                                                      "Couveuse d'entreprises"]),
    ("attractivite", "Mobilité", 3, ["Auto-école sociale", "Plateforme de mobilité"]),
    ("egalite", "Lutte contre les discriminations", 4, ["Sensibilisation aux discriminations",
                                                         "Formation des acteurs"]),
    ("egalite", "Égalité femmes-hommes", 3, ["Ateliers égalité filles-garçons",
                                             "Accompagnement des femmes vers l'emploi"]),
    ("egalite", "Jeunesse et citoyenneté", 5, ["Conseil de jeunes", "Chantiers citoyens",
                                               "Séjours citoyens"]),
]
HEALTH_TITLES = ["Ateliers cuisine et santé", "Parcours du cœur", "Prévention bucco-dentaire",
                 "Sport santé seniors", "Forum santé", "Octobre rose dans les quartiers",
                 "Mois sans tabac", "Santé mentale : groupes de parole",
                 "Médiation santé", "Bien-être et estime de soi", "Dépistage itinérant"]
# exact yearly totals: each rounds to the printed figure (2016 « près 3 900 000 », 2019
# « près 4 586 000 », 2022 « près 5 760 000 ») and 5 761 482 / 3 918 264 - 1 = 47,04 %.
TOTALS = {2015: 3_612_480, 2016: 3_918_264, 2017: 4_052_917, 2018: 4_203_655,
          2019: 4_586_213, 2020: 4_837_702, 2021: 5_318_940, 2022: 5_761_482}
# health: (actions, amount); 2015 and 2022 are printed; 2017 holds the ASV feasibility study
HEALTH = {2015: (3, 12_337), 2016: (4, 19_480), 2017: (6, 58_915), 2018: (7, 42_760),
          2019: (9, 66_310), 2020: (12, 97_845), 2021: (16, 151_290), 2022: (22, 207_654)}
DOSSIERS = {2015: 118, 2016: 124, 2017: 131, 2018: 137, 2019: 146, 2020: 152, 2021: 163,
            2022: 171}
FUNDERS = [("État", 0.85, 5.0), ("Commune", 0.55, 1.6), ("CALL", 0.35, 1.3),
           ("Région", 0.25, 1.5), ("Département", 0.22, 1.2), ("CAF", 0.15, 1.0),
           ("Autre", 0.10, 0.8)]
ASSOCIATIONS = [
    "Association Horizon Quartiers", "Les Ateliers du Chevalement", "Centre social des Cités",
    "Association Trait d'Union", "Maison des Familles de la Gohelle", "Sport Pour Tous Artois",
    "Compagnie Les Mots du Terril", "Association Main Tendue", "Insertion Bassin Minier",
    "Association Jeunesse et Avenir", "Les Jardins Solidaires", "Médiation Plus",
    "Association Femmes Relais", "École de la Deuxième Chance (antenne)", "Club Prévention Artois",
    "Association Parole d'Habitants", "Atelier Vélo Solidaire", "Association Santé Partagée",
    "Collectif Culture en Cités", "Association Lire et Grandir", "Régie de Quartier Gohelle",
    "Association Numérique Pour Tous", "Mobilité Emploi Artois", "Association Terre de Liens Lens",
]


def build_programmation(communes: list[dict]) -> list[list[object]]:
    names = {c["code_insee"]: c["nom"] for c in communes}
    qpv_of: dict[str, list[str]] = {}
    for code, _n, cs, _p in QPV:
        for c in cs:
            qpv_of.setdefault(c, []).append(code)
    weights = [t[2] for t in THEMES]
    rows: list[list[object]] = []
    carried: list[dict] = []  # multi-year files continuing next year
    total_declared_budget = 12  # a few dossiers carry total_declare
    for annee in range(2015, 2023):
        r = rng("programmation", annee)
        n_health, health_amount = HEALTH[annee]
        dossiers: list[dict] = []
        # continuations of multi-year files (same base number, next suffix)
        next_carried = []
        for prev in carried:
            d = dict(prev)
            d["suffix"] += 1
            dossiers.append(d)
            if d["suffix"] < d["years"]:
                next_carried.append(d)
        n_new_health = n_health - sum(d["health"] for d in dossiers)
        n_new = DOSSIERS[annee] - len(dossiers)
        serial = 1
        for i in range(n_new):
            health = i < n_new_health
            if health:
                pillar, theme = "cohesion", "Santé"
                title = HEALTH_TITLES[r.randrange(len(HEALTH_TITLES))]
            else:
                pillar, theme, _w, titles = r.choices(THEMES, weights=weights)[0]
                title = titles[r.randrange(len(titles))]
            if annee == 2017 and health and i == 0:
                title, porteur, commune = "Étude de faisabilité de l'Atelier Santé Ville", \
                    "CALL", "INTERCO"
            elif r.random() < 0.22:
                commune = "INTERCO"
                porteur = r.choice(ASSOCIATIONS)
            else:
                commune = r.choice(SIGNATORIES)
                porteur = (f"Ville de {names[commune]}" if r.random() < 0.25
                           else f"CCAS de {names[commune]}" if r.random() < 0.1
                           else r.choice(ASSOCIATIONS))
            years = 1 if r.random() < 0.85 or annee >= 2021 else r.choice((2, 3))
            funders = [f for f, p, _w in FUNDERS if r.random() < p]
            if not funders:
                funders = ["État"]
            if commune == "INTERCO" and "Commune" in funders:
                funders.remove("Commune")
                funders = funders or ["CALL"]
            d = {"numero": f"CV-{annee}-{serial:04d}", "years": years, "suffix": 1,
                 "health": health, "pillar": pillar, "theme": theme, "title": title,
                 "porteur": porteur, "commune": commune,
                 "qpv": (r.choice(qpv_of[commune]) if commune in qpv_of and r.random() < 0.8
                         else ""),
                 "funders": funders, "size": r.lognormvariate(0, 0.7)}
            if title.startswith("Étude de faisabilité"):
                d["funders"], d["size"] = ["État", "CALL"], 6.0
            serial += 1
            dossiers.append(d)
            if years > 1:
                next_carried.append(d)
        carried = next_carried
        # amounts per (dossier, funder), scaled to the exact yearly totals
        lines = []
        for d in dossiers:
            fw = {f: w for f, _p, w in FUNDERS}
            for k, funder in enumerate(d["funders"]):
                refused = (not d["health"] and k > 0 and len(d["funders"]) > 1
                           and r.random() < 0.06)
                share = 0.0 if refused else d["size"] * fw[funder] * r.uniform(0.7, 1.3)
                lines.append([d, funder, share, r.uniform(1.0, 1.35)])
        for is_health, target in ((True, health_amount), (False, TOTALS[annee] - health_amount)):
            group = [ln for ln in lines if ln[0]["health"] == is_health]
            raw = sum(ln[2] for ln in group)
            for ln in group:
                ln[2] = int(round(ln[2] * target / raw)) if ln[2] else 0
            biggest = max(group, key=lambda ln: ln[2])
            biggest[2] += target - sum(ln[2] for ln in group)
        by_dossier: dict[str, int] = Counter()
        for ln in lines:
            by_dossier[ln[0]["numero"]] += ln[2]
        for ln in lines:
            d, funder, granted, ratio = ln
            numero = d["numero"] + (f"-{d['suffix']:02d}" if d["years"] > 1 else "")
            # requests are rounded up to ten euros: never below what was granted
            asked = 10 * math.ceil((granted if granted else d["size"] * 9000) * ratio / 10)
            declared = ""
            if total_declared_budget and d["years"] == 1 and annee >= 2019 and \
                    d["funders"][0] == funder and len(d["funders"]) >= 2 and r.random() < 0.08:
                declared = by_dossier[d["numero"]]
                total_declared_budget -= 1
                d["declared"] = declared
            elif d.get("declared") and d["years"] == 1:
                declared = d["declared"]
            rows.append([annee, numero, d["porteur"], d["title"], d["commune"], d["qpv"],
                         PILIERS[d["pillar"]], d["theme"], funder, asked,
                         granted if granted else "", declared])
    return rows


# --------------------------------------------------------------------------- santé
SANTE_THEMES = [("alimentation", 24), ("activité physique", 21), ("santé mentale", 13),
                ("dépistage et prévention", 9), ("addictions", 8), ("accès aux soins", 7),
                ("santé bucco-dentaire", 6)]
SANTE_PUBLICS = [("adultes", 23), ("jeunes", 16), ("enfants", 12), ("seniors", 14),
                 ("familles", 11), ("tout public", 12)]
SANTE_TITLES = {
    "alimentation": ["Atelier cuisine", "Petits déjeuners équilibrés", "Jardin partagé nourricier",
                     "Semaine du goût"],
    "activité physique": ["Parcours du cœur", "Marche nordique", "Gym douce",
                          "Activités sportives de quartier"],
    "santé mentale": ["Groupe de parole", "Semaines d'information sur la santé mentale",
                      "Atelier bien-être"],
    "dépistage et prévention": ["Octobre rose", "Forum santé", "Bus du dépistage"],
    "addictions": ["Mois sans tabac", "Prévention des conduites à risque"],
    "accès aux soins": ["Permanence d'accès aux droits santé", "Accompagnement vers le bilan de santé"],
    "santé bucco-dentaire": ["Brossage des dents à l'école", "Dépistage bucco-dentaire"],
}


def _spread(items: list[tuple[str, int]], r: random.Random) -> list[str]:
    values = [v for v, n in items for _ in range(n)]
    r.shuffle(values)
    return values


def build_actions_sante(communes: list[dict]) -> list[list[object]]:
    r = rng("actions_sante")
    met = [c for c in communes if c["code_insee"] in SIGNATORIES
           and c["code_insee"] not in NOT_MET_2021]
    # 88 actions over 16 communes, more in bigger towns, at least 2 each
    weights = [c["population"] ** 0.5 for c in met]
    counts = [2] * len(met)
    for _ in range(88 - sum(counts)):
        counts[r.choices(range(len(met)), weights=weights)[0]] += 1
    themes = _spread(SANTE_THEMES, r)
    publics = _spread(SANTE_PUBLICS, r)
    rows, k = [], 0
    for c, n in zip(met, counts):
        for _ in range(n):
            theme = themes[k]
            title = r.choice(SANTE_TITLES[theme])
            ponctuel = title in {"Parcours du cœur", "Octobre rose", "Forum santé",
                                 "Mois sans tabac", "Semaine du goût", "Bus du dépistage",
                                 "Semaines d'information sur la santé mentale"}
            dispositif = r.choices(["Contrat de Ville", "droit commun", "CLS", "ASV"],
                                   weights=[4, 4, 2, 1])[0]
            rows.append([2021, c["code_insee"], title, theme, publics[k],
                         "ponctuelle" if ponctuel else "pérenne", dispositif])
            k += 1
    return rows


# --------------------------------------------------------------------------- entretiens
ACTEURS = [("habitant", 14), ("conseiller citoyen", 9), ("association", 12), ("élu", 8),
           ("technicien", 10), ("partenaire institutionnel", 2)]
CODES = {
    "frein": [
        ("obligation de se constituer en association",
         "Il fallait monter une association pour exister, ce n'est pas le même engagement."),
        ("manque d'information",
         "On ne savait pas vers qui se tourner, les informations arrivaient trop tard."),
        ("horaires inadaptés",
         "Les réunions tombaient en pleine journée, impossible quand on travaille."),
        ("place des élus questionnée",
         "On nous a dit que les élus n'avaient pas leur place, ça a compliqué les choses."),
        ("procédure lourde", "Le dossier de subvention décourage les petites associations."),
        ("crise sanitaire", "Avec le covid tout s'est arrêté, et ça n'est jamais vraiment reparti."),
        ("renouvellement des équipes", "Les interlocuteurs changent souvent, il faut tout "
                                       "recommencer."),
        ("QPV intercommunal", "Un quartier sur deux communes, c'est deux fois plus de réunions."),
    ],
    "levier": [
        ("AMI cohésion sociale", "L'audition devant le jury nous a permis de raconter notre "
                                 "projet plutôt que de remplir des cases."),
        ("Projets d'Initiative Citoyenne", "Le PIC, c'est simple et rapide, les habitants "
                                           "voient le résultat."),
        ("proximité", "Quand on va au pied des immeubles, les gens viennent."),
        ("budget citoyen", "Voter pour des projets du quartier, ça donne envie de revenir."),
        ("Atelier Santé Ville", "Les groupes de l'ASV nous ont fait rencontrer d'autres acteurs."),
        ("accompagnement de la CALL", "L'équipe cohésion sociale répond vite quand on l'appelle."),
    ],
    "proposition": [
        ("enveloppe dédiée à la participation", "Il faudrait une petite enveloppe que les "
                                                "habitants gèrent eux-mêmes."),
        ("formation des bénévoles", "Des formations le soir ou le samedi, adaptées aux "
                                    "bénévoles."),
        ("instance de pilotage de la participation", "Une instance qui suive la participation "
                                                     "dans tout le contrat."),
        ("actions dans la durée", "Sortir des actions d'une seule année."),
    ],
    "constat": [
        ("échec des conseils citoyens", "Le conseil citoyen s'est essoufflé au bout de deux ans."),
        ("participation centrée sur la consultation", "On consulte beaucoup, on décide rarement "
                                                      "ensemble."),
    ],
}


#: Interviews placed on the participation ladder (code ``echelle:<niveau>``, category
#: ``constat``): mostly consultation and concertation, as the report says; few
#: co-construction, one co-décision; the other interviews are not placed.
ECHELLE = [("information", 6), ("consultation", 15), ("concertation", 12),
           ("co-construction", 4), ("co-décision", 1)]


def _ladder_levels(n_interviews: int) -> dict[str, str]:
    """``{id_entretien: niveau}`` for a part of the interviews, drawn from its own stream
    so that the other interview rows do not change."""
    r = rng("entretiens", "echelle")
    levels = [level for level, n in ECHELLE for _ in range(n)]
    r.shuffle(levels)
    idents = sorted(r.sample([f"E{i:02d}" for i in range(1, n_interviews + 1)], len(levels)))
    return dict(zip(idents, levels))


def build_entretiens() -> list[list[object]]:
    r = rng("entretiens")
    types = _spread(ACTEURS, r)
    ladder = _ladder_levels(len(types))
    rows = []
    denied_left = 4
    for i, acteur in enumerate(types, start=1):
        ident = f"E{i:02d}"
        n_codes = r.randint(2, 5)
        cats = ["frein", "levier"] + r.choices(["frein", "levier", "proposition", "constat"],
                                               weights=[3, 2, 2, 1], k=n_codes - 2)
        used = set()
        for cat in cats:
            code, verbatim = r.choice(CODES[cat])
            if code in used:
                continue
            used.add(code)
            show = r.random() < 0.45
            anonymise = "oui"
            text = verbatim if show else ""
            if show and denied_left and acteur in ("habitant", "conseiller citoyen") and \
                    r.random() < 0.3:
                # not anonymised: carries a (fictitious) name and must never be shown
                text = f"{verbatim} Demandez à Mme Démo-Fictive, elle habite la cité."
                anonymise = "non"
                denied_left -= 1
            rows.append([ident, acteur, cat, code, text, anonymise])
        if ident in ladder:
            rows.append([ident, acteur, "constat", f"echelle:{ladder[ident]}", "", "oui"])
    return rows


# --------------------------------------------------------------------------- PERR
PERR = [  # exact titles of the report (section 01), statuses and indicators illustrative
    ("réaffirmer le rôle de chef de file de l'Agglomération et favoriser la mise en réseau des "
     "acteurs", "réalisé", "Comité de pilotage ouvert à tous les opérateurs|Groupes de travail "
     "thématiques réunis", "Gouvernance"),
    ("accompagner le CR2C et créer des espaces de participation citoyenne", "partiellement réalisé",
     "Conseils citoyens actifs|Espaces de participation créés", "Gouvernance"),
    ("renforcer les démarches d' « aller vers » pour une action davantage de proximité",
     "en cours", "Actions « aller vers » financées|Permanences de proximité",
     "Inclusion sociale et cohésion sociale"),
    ("mettre en place une Commission intercommunale d'évaluation", "non engagé",
     "Commission installée|Réunions de la commission", "Gouvernance"),
    ("développer la Gestion Urbaine et Sociale de Proximité (GUSP) en utilisant le levier de "
     "l'abattement de TFPB", "en cours", "Conventions d'abattement TFPB signées|Actions GUSP "
     "engagées", "Habitat, cadre de vie, environnement"),
    ("donner une impulsion nouvelle à la politique de peuplement de la CALL pour plus de mixité "
     "sociale dans les QPV", "partiellement réalisé", "Convention intercommunale d'attribution|"
     "Part des attributions hors QPV aux ménages du premier quartile",
     "Habitat, cadre de vie, environnement"),
    ("faire bénéficier aux habitants des QPV des dispositifs déployés par la CALL dans le domaine "
     "de l'emploi", "en cours", "Habitants des QPV accompagnés|Part des QPV dans les "
     "bénéficiaires", "Attractivité des quartiers prioritaires"),
    ("faire de la mobilité une priorité pour lutter contre le repli sur soi des habitants en QPV",
     "en cours", "Actions mobilité financées|Bénéficiaires de la plateforme de mobilité",
     "Attractivité des quartiers prioritaires"),
    ("mettre en place un dispositif d'insertion innovant dans le cadre de l'ERBM, profitant "
     "prioritairement aux habitants des QPV", "partiellement réalisé", "Heures d'insertion "
     "réalisées|Part des bénéficiaires résidant en QPV", "Attractivité des quartiers prioritaires"),
    ("faire du numérique un vecteur d'inclusion sociale en accompagnant les habitants des QPV dans "
     "les nouveaux usages", "réalisé", "Pass numériques distribués|Lieux de médiation numérique",
     "Inclusion sociale et cohésion sociale"),
    ("mettre en place une cellule de veille éducative à l'échelle de la CALL pour coordonner les "
     "actions menées dans le champs éducatif sur le territoire", "réalisé", "Cellule installée|"
     "Réunions de la cellule", "Égalité des chances"),
    ("améliorer l'état de santé des habitants en QPV par la mise en œuvre opérationnelle de "
     "l'Atelier Santé Ville (ASV) en cohérence avec le Contrat Local de Santé (CLS)", "réalisé",
     "Coordinateur ASV recruté|Groupes de travail ASV réunis|Actions santé programmées",
     "Inclusion sociale et cohésion sociale"),
    ("décliner la stratégie intercommunale de sécurité et de prévention de la délinquance en "
     "redynamisant le CISPD (Conseil Intercommunal de Sécurité et de Prévention de la "
     "Délinquance)", "en cours", "Réunions plénières du CISPD|Groupes thématiques actifs",
     "Inclusion sociale et cohésion sociale"),
    ("faire de la culture un levier de développement social", "réalisé", "Actions culturelles "
     "programmées|Partenariat avec le Louvre-Lens", "Inclusion sociale et cohésion sociale"),
]


# --------------------------------------------------------------------------- reunions
def build_reunions(communes: list[dict]) -> list[list[object]]:
    """Meetings log: hearings of the evaluation, restitutions, ASV/CLS working groups.
    Counts and participants are the report's; dates, durations and the split of
    participants between communes are reconstructed."""
    r = rng("reunions")
    rows: list[list[object]] = []
    # 19 hearings of communes, 25 April - 6 May 2022: 12 elected, 28 officers, > 30 hours
    days = ["2022-04-25", "2022-04-26", "2022-04-27", "2022-04-28", "2022-04-29", "2022-05-02",
            "2022-05-03", "2022-05-04", "2022-05-05", "2022-05-06"]
    elus = [1] * 12 + [0] * 7
    r.shuffle(elus)
    techs = [1] * 19
    for _ in range(28 - 19):
        techs[r.randrange(19)] += 1
    durations = [1.5] * 19
    for i in r.sample(range(19), 6):
        durations[i] = 2.0
    for i, code in enumerate(SIGNATORIES):
        if elus[i] + techs[i] == 0:
            techs[i] = 1
        rows.append([days[i // 2], "Évaluation", "audition commune", "", code,
                     dec(durations[i], 1), elus[i], techs[i]])
    # 9 associations heard on 11 and 12 April 2022 (with the prefect's delegates)
    for i in range(9):
        rows.append(["2022-04-11" if i < 5 else "2022-04-12", "Évaluation",
                     "audition association", "", "association intercommunale", dec(1.0, 1),
                     "", ""])
    # health: 5 of the 7 associations filing health projects met in May 2022
    for i in range(5):
        rows.append([f"2022-05-{10 + 3 * i:02d}", "ASV", "entretien association santé", "",
                     "association", dec(1.5, 1), "", ""])
    # participation: 3 times of restitution
    for day in ("2022-05-31", "2022-06-14", "2022-06-28"):
        rows.append([day, "Participation des habitants", "restitution", "", "", dec(2.5, 1),
                     "", ""])
    groups = [("ASV", "groupe de travail", "Méthodologie de projet", 8),
              ("ASV", "groupe de travail", "Participation des habitants", 3),
              ("ASV", "groupe de travail", "Échange de pratiques", 3),
              ("ASV", "groupe de travail", "Adultes relais médiateurs santé", 7),
              ("CLS", "groupe de travail", "Attractivité du territoire", 4),
              ("CLS", "groupe de travail", "Accès aux soins et prévention", 2),
              ("CLS", "groupe de travail", "Promotion de la santé des jeunes", 2)]
    for dispositif, instance, groupe, n in groups:
        months = sorted(r.sample(range(0, 10), n)) if n <= 10 else list(range(n))
        for m in months:
            year, month = (2021, 9 + m) if m < 4 else (2022, m - 3)
            rows.append([f"{year}-{month:02d}-{r.randint(3, 27):02d}", dispositif, instance,
                         groupe, "", dec(2.0, 1), "", ""])
    rows.sort(key=lambda row: (row[0], row[1], row[2], row[3], str(row[4])))
    return rows


# --------------------------------------------------------------------------- questionnaires
def answers_unique(n: int, counts: dict[str, int], r: random.Random) -> list[str]:
    """A shuffled list of *n* cells: each choice repeated its count, "" for non-responses."""
    values = [k for k, c in counts.items() for _ in range(c)]
    if len(values) > n:
        raise ValueError("plus de réponses que de répondants")
    values += [""] * (n - len(values))
    r.shuffle(values)
    return values


def answers_multiple(n: int, counts: dict[str, int], non_responses: int,
                     r: random.Random) -> list[set[str]]:
    """*n* sets of ticked choices with exactly *counts* ticks per choice, every respondent
    but *non_responses* ticking at least one."""
    answering = list(range(n))
    r.shuffle(answering)
    silent = set(answering[:non_responses])
    active = [i for i in range(n) if i not in silent]
    ticks: list[set[str]] = [set() for _ in range(n)]
    order = sorted(counts, key=lambda k: -counts[k])
    for k in order:
        empty = [i for i in active if not ticks[i]]
        r.shuffle(empty)
        others = [i for i in active if ticks[i]]
        r.shuffle(others)
        chosen = (empty + others)[: counts[k]]
        if len(chosen) < counts[k]:
            raise ValueError(f"{k} : {counts[k]} coches pour {len(active)} répondants")
        for i in chosen:
            ticks[i].add(k)
    if any(not ticks[i] for i in active):
        raise ValueError("un répondant actif sans coche")
    return ticks


def q_choice(qid, label, qtype, column, choices, axe, theme="gouvernance", filtre=None):
    q = {"id": qid, "libelle": label, "type": qtype, "theme": theme, "axe": axe,
         "colonne": column, "choix": [{"code": c, "libelle": lab} for c, lab in choices]}
    if filtre:
        q["filtre"] = filtre
    return q


def build_communes_survey(out: Path) -> None:
    """Questionnaire to the 19 signatory communes (LimeSurvey export: codes A1, A2...,
    multiple choices one column per choice, ``Y`` or empty)."""
    n = 19
    r = rng("questionnaire", "communes")
    axes = ["1. Éléments de présentation de la commune répondante",
            "2. Votre regard sur la Politique de la Ville",
            "3. Votre regard sur les instances de travail de la Politique de la Ville animées "
            "par la Direction cohésion sociale de la CALL",
            "4. Votre regard sur le travail mené par la direction Cohésion Sociale de la CALL",
            "5. Votre regard sur les coopérations au sein de la Politique de la Ville",
            "6. Votre regard sur les enseignements à tirer de ce Contrat de Ville et les "
            "perspectives à retenir pour le futur Contrat de Ville"]
    oui_non = [("A1", "Oui"), ("A2", "Non")]
    # (question, type, column, choices, counts by code, axis index)
    singles = [
        ("moyens_humains", "Les moyens humains dédiés à la Politique de la Ville dans la commune "
         "sont-ils suffisants ?", "unique", "Q02", [("A1", "Suffisants"), ("A2", "Insuffisants")],
         {"A1": 11, "A2": 8}, 0),
        ("autres_services", "Mobilisez-vous les autres services de la commune ?", "unique", "Q03",
         oui_non, {"A1": 9, "A2": 9}, 0),
        ("elu_delegue", "La commune a-t-elle un élu délégué à la Politique de la Ville ?",
         "unique", "Q04", oui_non, {"A1": 12, "A2": 3}, 0),
        ("actions_innovantes", "Le Contrat de Ville a-t-il contribué au développement d'actions "
         "innovantes ?", "echelle", "Q05", [("A1", "Non"), ("A2", "En partie"),
                                           ("A3", "Totalement")], {"A1": 5, "A2": 8, "A3": 6}, 1),
        ("partenariat", "Le Contrat de Ville a-t-il permis le partenariat entre les acteurs du "
         "territoire ?", "echelle", "Q06", [("A1", "Non"), ("A2", "En partie"),
                                           ("A3", "Totalement")], {"A1": 1, "A2": 12, "A3": 6}, 1),
        ("egalite_fh", "Le Contrat de Ville a-t-il permis la mise en œuvre d'actions de promotion "
         "de l'égalité femmes/hommes ?", "echelle", "Q07",
         [("A1", "Pas du tout"), ("A2", "Un peu"), ("A3", "Moyennement"), ("A4", "Beaucoup")],
         {"A1": 5, "A2": 8, "A3": 4, "A4": 2}, 1),
        ("discriminations", "Le Contrat de Ville a-t-il permis une approche intégrée de la lutte "
         "contre les discriminations ?", "echelle", "Q08",
         [("A1", "Pas du tout"), ("A2", "Un peu"), ("A3", "Moyennement"), ("A4", "Beaucoup")],
         {"A1": 4, "A2": 9, "A3": 4, "A4": 2}, 1),
        ("mise_en_coherence", "Le Contrat de Ville a-t-il permis la mise en cohérence des actions "
         "des différents acteurs ?", "unique", "Q09", oui_non, {"A1": 12, "A2": 7}, 1),
        ("droit_commun", "Le Contrat de Ville a-t-il permis la mobilisation du droit commun ?",
         "echelle", "Q10", [("A1", "Pas du tout"), ("A2", "Pas vraiment"), ("A3", "Plutôt"),
                            ("A4", "Tout à fait")], {"A1": 3, "A2": 10, "A3": 5, "A4": 1}, 1),
        ("copil", "La gouvernance politique (Comité de pilotage) convient-elle aux attentes de la "
         "commune ?", "echelle", "Q11", [("A1", "Non"), ("A2", "En partie"), ("A3", "Satisfait")],
         {"A2": 7, "A3": 9}, 2),
        ("groupes_thematiques", "La commune participe-t-elle aux groupes de travail thématiques "
         "(cadre de vie, développement économique, cellule de veille éducative) ?", "unique",
         "Q12", oui_non, {"A1": 14, "A2": 5}, 2),
        ("ingenierie_call", "L'ingénierie de la CALL en appui aux communes est-elle suffisante ?",
         "unique", "Q13", [("A1", "Suffisante"), ("A2", "Insuffisante")], {"A1": 12, "A2": 6}, 3),
        ("coop_intercommunale", "Le Contrat de Ville a-t-il renforcé les coopérations entre "
         "communes ?", "echelle", "Q15", [("A1", "Non"), ("A2", "En partie"), ("A3", "Oui")],
         {"A1": 3, "A2": 10, "A3": 6}, 4),
    ]
    attentes = [("methodologie", "Appui en méthodologie de projets", 13),
                ("animation_reseau", "Animation du réseau des acteurs", 10),
                ("financements", "Aide à la recherche de financements", 7),
                ("observation", "Observation et données sur les quartiers", 5),
                ("formation", "Formation des agents et des élus", 4),
                ("communication", "Communication sur le Contrat de Ville", 3)]
    propositions = [
        ("articuler_dispositifs", "Mieux articuler les dispositifs existants", 14),
        ("droit_commun", "Afficher les moyens de droit commun mobilisés", 12),
        ("investissement", "Prévoir des crédits en investissement pour les communes en QPV", 11),
        ("ingenierie", "Financer l'ingénierie intercommunale et communale", 13),
        ("pluriannuel", "Subventions pluriannuelles ouvertes aux communes", 9),
        ("vie_associative", "Soutenir la vie associative", 8),
        ("participation", "Nouveaux modes de participation des habitants partagés par les "
         "signataires", 7),
    ]
    questions: list[dict] = [{
        "id": "personnes_pv", "libelle": "Nombre de personnes en charge de la Politique de la "
        "Ville dans la commune", "type": "numerique", "theme": "gouvernance", "axe": axes[0],
        "colonne": "Q01"}]
    columns: dict[str, list[str]] = {"Q01": [str(v) for v in answers_unique(
        n, {"1": 11, "2": 6, "3": 2}, r)]}
    for qid, label, qtype, col, choices, counts, axis in singles:
        questions.append(q_choice(qid, label, qtype, col, choices, axes[axis]))
        columns[col] = answers_unique(n, counts, rng("communes", qid))
    for qid, label, col, items, nr, axis in (
            ("attentes", "Quelles sont vos principales attentes envers la CALL ?", "Q14",
             attentes, 1, 3),
            ("propositions", "Propositions pour la future contractualisation", "Q16",
             propositions, 0, 5)):
        questions.append({"id": qid, "libelle": label, "type": "multiple", "theme": "gouvernance",
                          "axe": axes[axis], "format": "limesurvey",
                          "choix": [{"code": c, "libelle": lab, "colonne": f"{col}[SQ{i:03d}]"}
                                    for i, (c, lab, _k) in enumerate(items, start=1)]})
        ticks = answers_multiple(n, {c: k for c, _l, k in items}, nr, rng("communes", qid))
        for i, (c, _l, _k) in enumerate(items, start=1):
            columns[f"{col}[SQ{i:03d}]"] = ["Y" if c in t else "" for t in ticks]
    questions.append({"id": "commentaire", "libelle": "Commentaire libre", "type": "texte",
                      "theme": "gouvernance", "axe": axes[5], "colonne": "Q17"})
    comments = ["Besoin d'ingénierie pour mobiliser les habitants.",
                "Les groupes de travail thématiques sont utiles, à poursuivre.",
                "Simplifier les appels à projets pour les petites associations.",
                "", "", ""]
    columns["Q17"] = [comments[i % len(comments)] for i in range(n)]
    questions.sort(key=lambda q: q.get("colonne") or q["choix"][0]["colonne"])
    header = ["id", "submitdate", "lastpage", "startlanguage", "commune"] + sorted(columns)
    rows = []
    for i, code in enumerate(SIGNATORIES):
        rows.append([f"{i + 1}", f"2022-04-{4 + i % 15:02d} 10:{10 + i:02d}:00", 6, "fr", code]
                    + [columns[c][i] for c in sorted(columns)])
    qdir = out / "questionnaires"
    write_csv(qdir / "communes_reponses.csv", header, rows)
    definition = {
        "id": "communes", "titre": "Questionnaire aux communes signataires (évaluation 2022)",
        "reponses": "communes_reponses.csv", "identifiant": "id", "envoyes": 19,
        "valeurs_manquantes": ["", "N/A", "-oth-"],
        "attributs": {"commune": {"colonne": "commune"}}, "questions": questions}
    write_yaml(qdir / "communes.yaml", definition, RECONSTRUIT + (
        "# Questionnaire aux 19 communes signataires (export de type LimeSurvey). Réponses\n"
        "# reconstruites pour retrouver les pourcentages publiés (bases : 19, 18 avec une\n"
        "# non-réponse, 16 avec trois non-réponses, 15 pour l'élu délégué).\n"))


def build_associations_survey(out: Path) -> None:
    """Questionnaire to the 70 associations, 21 answers (Forms export: the column is the
    question label, a multiple choice is one cell of labels joined by ``;``)."""
    n = 21
    axes = ["Profil de l'association",
            "1. Votre regard sur la politique de la ville",
            "2. Votre regard sur les instances de travail de la politique de la ville",
            "3. Votre regard sur l'accompagnement des projets et des associations",
            "4. Votre regard sur les aspects administratifs et financiers des appels à projets",
            "5. Votre regard sur les coopérations au sein de la politique de la ville",
            "6. Votre regard sur les enseignements à tirer de ce contrat de ville et les "
            "perspectives"]
    columns: dict[str, list[str]] = {}
    questions: list[dict] = []

    def single(qid, label, qtype, choices, counts, axis):
        col = label
        questions.append(q_choice(qid, label, qtype, col, [(lab, lab) for lab in choices],
                                  axes[axis]))
        questions[-1]["choix"] = [{"code": f"{k + 1}", "libelle": lab}
                                  for k, lab in enumerate(choices)]
        columns[col] = answers_unique(n, counts, rng("associations", qid))

    def multiple(qid, label, items, nr, axis):
        col = label
        questions.append({"id": qid, "libelle": label, "type": "multiple", "theme": "gouvernance",
                          "axe": axes[axis], "format": "forms", "colonne": col,
                          "separateur": ";",
                          "choix": [{"code": c, "libelle": lab} for c, lab, _k in items]})
        ticks = answers_multiple(n, {c: k for c, _l, k in items}, nr, rng("associations", qid))
        labels = {c: lab for c, lab, _k in items}
        columns[col] = [";".join(labels[c] for c, _l, _k in items if c in t) for t in ticks]

    def matrix(qid, label, rows_, levels, counts_by_row, axis):
        q = {"id": qid, "libelle": label, "type": "matrice", "theme": "gouvernance",
             "axe": axes[axis], "lignes": [], "choix": [{"code": f"{k + 1}", "libelle": lab}
                                                      for k, lab in enumerate(levels)]}
        for code, row_label in rows_:
            col = f"{label} [{row_label}]"
            q["lignes"].append({"code": code, "libelle": row_label, "colonne": col})
            counts = dict(zip(levels, counts_by_row[code]))
            columns[col] = answers_unique(n, counts, rng("associations", qid, code))
        questions.append(q)

    multiple("domaine", "Dans quel(s) domaine(s) intervient votre association ?", [
        ("sante", "Santé", 6), ("emploi", "Emploi et insertion professionnelle", 6),
        ("education", "Éducation et parentalité", 5), ("culture", "Culture", 5),
        ("lien_social", "Lien social et animation", 5), ("sport", "Sport", 4),
        ("acces_droits", "Accès aux droits", 3), ("cadre_vie", "Cadre de vie", 2)], 0, 0)
    single("salaries", "Combien de salariés compte votre association ?", "unique",
           ["Aucun salarié", "1 à 5 salariés", "6 à 50 salariés", "Plus de 50 salariés"],
           {"Aucun salarié": 2, "1 à 5 salariés": 5, "6 à 50 salariés": 12,
            "Plus de 50 salariés": 2}, 0)
    single("fonction_repondant", "Quelle fonction occupez-vous dans l'association ?", "unique",
           ["Cadre (direction, coordination)", "Salarié non cadre", "Bénévole (membre du bureau)"],
           {"Cadre (direction, coordination)": 10, "Salarié non cadre": 6,
            "Bénévole (membre du bureau)": 5}, 0)
    single("pro_administratif", "L'association dispose-t-elle d'un professionnel administratif "
           "pour les démarches liées aux subventions ?", "unique", ["Oui", "Non"],
           {"Oui": 17, "Non": 4}, 0)
    single("anciennete", "Depuis combien de temps votre association existe-t-elle ?", "unique",
           ["Moins de 3 ans", "De 3 à 10 ans", "Plus de 10 ans"],
           {"Moins de 3 ans": 2, "De 3 à 10 ans": 4, "Plus de 10 ans": 15}, 0)
    single("part_financement_pv", "Quelle part de votre budget global représentent les "
           "financements Politique de la Ville ?", "unique",
           ["Moins de 25 %", "De 25 à 50 %", "Plus de 50 %"],
           {"Moins de 25 %": 16, "De 25 à 50 %": 4, "Plus de 50 %": 1}, 0)
    single("cooperations_associations", "Avez-vous développé des coopérations avec d'autres "
           "associations ?", "unique", ["Oui", "Non"], {"Oui": 9, "Non": 12}, 0)
    single("regard_pv", "La Politique de la Ville répond-elle aux besoins des habitants des "
           "quartiers ?", "echelle", ["Pas du tout", "Plutôt non", "Plutôt oui", "Tout à fait"],
           {"Pas du tout": 1, "Plutôt non": 5, "Plutôt oui": 12, "Tout à fait": 3}, 1)
    multiple("groupes_travail", "À quels groupes de travail participez-vous régulièrement ?", [
        ("asv", "Atelier Santé Ville (ASV)", 6), ("cls", "Contrat Local de Santé (CLS)", 5),
        ("cispd", "CISPD", 4), ("veille_educative", "Cellule de veille éducative", 3),
        ("gusp", "Gestion urbaine et sociale de proximité", 2)], 7, 2)
    single("comite_financeurs", "Le nouveau fonctionnement du comité des financeurs (audition "
           "de porteurs) est-il satisfaisant ?", "unique", ["Oui", "Non"],
           {"Oui": 14, "Non": 4}, 2)
    matrix("accompagnement", "Êtes-vous suffisamment accompagnés, et de façon adaptée, par",
           [("etat", "Services de l'État"), ("call", "CALL"), ("communes", "Communes")],
           ["Non", "En partie", "Oui"],
           {"etat": [4, 8, 9], "call": [1, 5, 15], "communes": [5, 7, 9]}, 3)
    single("dauphin", "La plateforme Dauphin est-elle simple d'utilisation ?", "echelle",
           ["Difficile", "Plutôt difficile", "Plutôt simple", "Simple"],
           {"Difficile": 5, "Plutôt difficile": 8, "Plutôt simple": 6, "Simple": 2}, 4)
    single("galis", "La plateforme Galis est-elle simple d'utilisation ?", "echelle",
           ["Difficile", "Plutôt difficile", "Plutôt simple", "Simple"],
           {"Difficile": 2, "Plutôt difficile": 6, "Plutôt simple": 7, "Simple": 3}, 4)
    single("aap_adapte", "La procédure d'appel à projets, le calendrier de dépôt et les délais "
           "de paiement sont-ils adaptés ?", "unique", ["Oui", "Non"], {"Oui": 13, "Non": 8}, 4)
    single("cooperations_cdv", "L'animation du Contrat de Ville vous a-t-elle permis de "
           "développer des coopérations avec d'autres associations ?", "echelle",
           ["Jamais", "Rarement", "Souvent"], {"Jamais": 4, "Rarement": 7, "Souvent": 9}, 5)
    matrix("grille_cooperation", "Niveau de coopération avec chaque signataire",
           [("etat", "État"), ("region", "Région"), ("departement", "Département"),
            ("caf", "CAF"), ("call", "CALL")],
           ["Relation", "Connexion", "Cohésion", "Connexion dynamique", "Cohésion dynamique"],
           {"etat": [1, 8, 5, 3, 4], "region": [11, 6, 2, 0, 2],
            "departement": [3, 5, 7, 1, 5], "caf": [10, 3, 5, 2, 1], "call": [4, 5, 6, 2, 4]}, 5)
    questions.append({"id": "perspectives", "libelle": "Quelles perspectives pour le futur "
                      "contrat de ville ?", "type": "texte", "theme": "gouvernance",
                      "axe": axes[6], "colonne": "Quelles perspectives pour le futur contrat de "
                      "ville ?"})
    texts = ["Des subventions pluriannuelles pour pérenniser les postes.",
             "Moins de lourdeur administrative pour les petites structures.",
             "Plus de temps d'échange entre associations.", "", ""]
    columns[questions[-1]["colonne"]] = [texts[i % len(texts)] for i in range(n)]

    r = rng("associations", "attributs")
    types = answers_unique(n, {"Association de quartier": 8, "Association intercommunale": 9,
                               "Antenne d'une fédération ou d'un réseau": 4}, r)
    sieges = [SIGNATORIES[r.randrange(8)] for _ in range(n)]
    header = ["ID", "Horodateur", "Type de structure", "Commune du siège"] + list(columns)
    rows = []
    for i in range(n):
        rows.append([f"A{i + 1:02d}", f"{2 + i % 20:02d}/03/2022 {9 + i % 8:02d}:{(7 * i) % 60:02d}",
                     types[i], sieges[i]] + [columns[c][i] for c in columns])
    qdir = out / "questionnaires"
    write_csv(qdir / "associations_reponses.csv", header, rows)
    definition = {
        "id": "associations", "titre": "Questionnaire aux associations (évaluation 2022)",
        "reponses": "associations_reponses.csv", "identifiant": "ID", "envoyes": 70,
        "valeurs_manquantes": ["", "Sans réponse"],
        "attributs": {"type": {"colonne": "Type de structure"},
                      "taille": {"colonne": "Combien de salariés compte votre association ?"},
                      "commune": {"colonne": "Commune du siège"}},
        "questions": questions}
    write_yaml(qdir / "associations.yaml", definition, RECONSTRUIT + (
        "# Questionnaire envoyé à 70 associations, 21 réponses (export de type Forms : une\n"
        "# colonne par question, choix multiples joints par « ; »). Réponses reconstruites pour\n"
        "# retrouver les pourcentages publiés (base 21 ; 14 pour les groupes de travail ;\n"
        "# une non-réponse sur les coopérations).\n"))


def build_small_surveys(out: Path) -> None:
    qdir = out / "questionnaires"
    # conseils citoyens: 7 conseillers answered
    n = 7
    ax = "Conseils citoyens"
    qs = [("acces_information", "Avez-vous eu accès aux informations nécessaires pour jouer votre "
           "rôle ?", ["Négatif", "Mitigé", "Positif"], {"Négatif": 3, "Mitigé": 2, "Positif": 2}),
          ("utilite", "Le conseil citoyen a-t-il été utile ?",
           ["Pas du tout", "Plutôt non", "Oui plutôt", "Oui tout à fait"],
           {"Pas du tout": 3, "Oui plutôt": 3}),
          ("ecoute", "Le conseil citoyen a-t-il été écouté ou entendu ?",
           ["Négatif", "Mitigé", "Positif"], {"Négatif": 3, "Mitigé": 1, "Positif": 2}),
          ("accompagnement", "Avez-vous été accompagné dans vos fonctions au démarrage ?",
           ["Non", "En partie", "Oui"], {"Non": 3, "En partie": 3, "Oui": 1})]
    questions, cols = [], {}
    for i, (qid, label, choices, counts) in enumerate(qs, start=1):
        questions.append({"id": qid, "libelle": label, "type": "echelle", "theme": "participation",
                          "axe": ax, "colonne": f"Q{i}",
                          "choix": [{"code": str(k + 1), "libelle": lab}
                                    for k, lab in enumerate(choices)]})
        cols[f"Q{i}"] = answers_unique(n, counts, rng("conseils_citoyens", qid))
    r = rng("conseils_citoyens", "communes")
    comm = [r.choice(SIGNATORIES[:10]) for _ in range(n)]
    write_csv(qdir / "conseils_citoyens_reponses.csv", ["id", "commune", *cols],
              [[f"CC{i + 1}", comm[i], *(cols[c][i] for c in cols)] for i in range(n)])
    write_yaml(qdir / "conseils_citoyens.yaml", {
        "id": "conseils_citoyens", "titre": "Enquête auprès des conseillers citoyens (COPAS, 2022)",
        "reponses": "conseils_citoyens_reponses.csv", "identifiant": "id",
        "attributs": {"commune": {"colonne": "commune"}}, "questions": questions},
        RECONSTRUIT + "# Enquête auprès de 7 conseillers citoyens ; réponses reconstruites\n"
        "# (bases 7 et 6 : une non-réponse aux questions d'utilité et d'écoute).\n")

    # health partners: partnership level with the CLS and the ASV (19 partners)
    n = 19
    levels = ["Relation", "Connexion", "Cohésion", "Connexion dynamique", "Cohésion dynamique"]
    types = answers_unique(n, {"commune": 9, "association": 6, "autre structure": 4},
                           rng("partenaires_sante", "type"))
    cols = {"type_partenaire": types}
    grid = {"cls": [1, 3, 7, 5, 2], "asv": [2, 3, 6, 6, 1]}
    for code, counts in grid.items():
        cols[f"G1[{code}]"] = answers_unique(n, {str(k + 1): c for k, c in enumerate(counts)},
                                             rng("partenaires_sante", code))
    cols["G2"] = answers_unique(n, {"1": 14, "2": 5}, rng("partenaires_sante", "investi"))
    not_invested = [i for i, v in enumerate(cols["G2"]) if v == "2"]
    freins = {i: t for i, t in zip(not_invested, answers_multiple(
        len(not_invested), {"temps": 4, "ingenierie": 3}, 0, rng("partenaires_sante", "freins")))}
    cols["G3[SQ001]"] = ["Y" if "temps" in freins.get(i, ()) else "" for i in range(n)]
    cols["G3[SQ002]"] = ["Y" if "ingenierie" in freins.get(i, ()) else "" for i in range(n)]
    write_csv(qdir / "partenaires_sante_reponses.csv", ["id", *cols],
              [[f"P{i + 1:02d}", *(cols[c][i] for c in cols)] for i in range(n)])
    write_yaml(qdir / "partenaires_sante.yaml", {
        "id": "partenaires_sante",
        "titre": "Niveau de partenariat avec le CLS et l'ASV (partenaires santé, 2022)",
        "reponses": "partenaires_sante_reponses.csv", "identifiant": "id",
        "attributs": {"type": {"colonne": "type_partenaire"}},
        "questions": [
            {"id": "niveau_partenariat", "libelle": "Niveau de partenariat (grille de la revue "
             "« Pour »)", "type": "matrice", "theme": "sante", "axe": "Partenariat",
             "lignes": [{"code": "cls", "libelle": "Contrat Local de Santé", "colonne": "G1[cls]"},
                        {"code": "asv", "libelle": "Atelier Santé Ville", "colonne": "G1[asv]"}],
             "choix": [{"code": str(k + 1), "libelle": lab} for k, lab in enumerate(levels)]},
            {"id": "investi_groupes", "libelle": "Êtes-vous investi dans un ou plusieurs groupes "
             "de travail santé portés par la CALL ?", "type": "unique", "theme": "sante",
             "axe": "Partenariat", "colonne": "G2",
             "choix": [{"code": "1", "libelle": "Oui"}, {"code": "2", "libelle": "Non"}]},
            {"id": "freins_participation", "libelle": "Pourquoi ne participez-vous pas ou peu "
             "aux groupes de travail ?", "type": "multiple", "theme": "sante",
             "axe": "Partenariat", "filtre": "partenaires non investis dans un groupe de travail",
             "format": "limesurvey",
             "choix": [{"code": "temps", "libelle": "Faute de temps", "colonne": "G3[SQ001]"},
                       {"code": "ingenierie", "libelle": "Faute d'ingénierie",
                        "colonne": "G3[SQ002]"}]}]},
        RECONSTRUIT + "# Grille des 5 niveaux de partenariat, 19 partenaires (communes,\n"
        "# associations, autres structures) ; réponses reconstruites, illustratives.\n")

    # health survey of the communes met in 2021 (16 of the 19 signatories)
    met = [c for c in SIGNATORIES if c not in NOT_MET_2021]
    n = len(met)
    elu = answers_unique(n, {"1": 11, "2": 4}, rng("sante_communes", "elu"))
    ticks = answers_multiple(n, {"reseau": 13, "ingenierie": 11, "participation": 9}, 0,
                             rng("sante_communes", "attentes"))
    write_csv(qdir / "sante_communes_reponses.csv", ["id", "commune", "S1", "S2"],
              [[f"S{i + 1:02d}", met[i], elu[i],
                ";".join(lab for c, lab in (("reseau", "Mise en réseau intercommunale"),
                                            ("ingenierie", "Ingénierie"),
                                            ("participation", "Participation des habitants"))
                         if c in ticks[i])] for i in range(n)])
    write_yaml(qdir / "sante_communes.yaml", {
        "id": "sante_communes", "titre": "Entretiens santé avec les communes en QPV (2021)",
        "reponses": "sante_communes_reponses.csv", "identifiant": "id", "envoyes": 19,
        "attributs": {"commune": {"colonne": "commune"}},
        "questions": [
            {"id": "elu_referent", "libelle": "La commune a-t-elle un élu référent santé ?",
             "type": "unique", "theme": "sante", "axe": "Gouvernance locale de la santé",
             "colonne": "S1",
             "choix": [{"code": "1", "libelle": "Oui"}, {"code": "2", "libelle": "Non"}]},
            {"id": "attentes_asv_cls", "libelle": "En quoi l'ASV et le CLS peuvent-ils vous être "
             "utiles ?", "type": "multiple", "theme": "sante", "axe": "Attentes",
             "format": "forms", "colonne": "S2", "separateur": ";",
             "choix": [{"code": "reseau", "libelle": "Mise en réseau intercommunale"},
                       {"code": "ingenierie", "libelle": "Ingénierie"},
                       {"code": "participation", "libelle": "Participation des habitants"}]}]},
        RECONSTRUIT + "# Grille d'entretien santé, 16 communes en QPV rencontrées sur 19 entre\n"
        "# mars et juillet 2021 ; une non-réponse sur l'élu référent (base 15).\n")


# --------------------------------------------------------------------------- YAML configs
def build_configs(out: Path) -> None:
    write_yaml(out / "ami_regles.yaml", {
        "enveloppe_annuelle": 150000, "taux_base": 0.5, "plafond": 0.8,
        "criteres": [
            {"id": "habitants", "libelle": "Portée par des habitants des QPV ou inscrite dans un "
             "processus de participation des habitants avéré", "bonus": 0.1},
            {"id": "innovant", "libelle": "Action innovante", "bonus": 0.1},
            {"id": "jeunes_femmes", "libelle": "S'adresse à un public de jeunes ou de femmes",
             "bonus": 0.1},
            {"id": "multi_operateurs", "libelle": "Portée par plusieurs opérateurs (démarche "
             "partenariale, mutualisation)", "bonus": 0.1}]},
        "# Règles de bonification de l'AMI cohésion sociale de la CALL.\n"
        "# Publiés par le rapport : enveloppe de 150 000 € par an, taux jusqu'à 80 %, les quatre\n"
        "# critères. ILLUSTRATIFS (non publiés) : taux de base 50 % et bonus de 10 points par\n"
        "# critère, choisis pour que les quatre critères réunis atteignent le plafond.\n")
    write_yaml(out / "config.yaml", {
        "territoire": "Communauté d'Agglomération de Lens-Liévin", "sigle": "CALL",
        "code_epci": EPCI, "annee": YEAR, "annee_debut": 2016,
        "secret": {"seuil_defaut": 5, "seuils": {"fiscal": 11}}},
        "# Configuration du territoire des données embarquées (cas CALL 2022).\n"
        "# annee_debut : première année complète du contrat, point de départ des évolutions\n"
        "# des messages clés (le rapport 2022 compare 2016 et 2022).\n")


# --------------------------------------------------------------------------- main
def build(out: Path, ref_dir: Path = REFERENCE_DIR) -> None:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if (out / "reference").resolve() != Path(ref_dir).resolve():
        (out / "reference").mkdir(parents=True, exist_ok=True)
        for name in ("communes_france.csv", "published_figures.csv"):
            shutil.copyfile(Path(ref_dir) / name, out / "reference" / name)
    ref = read_reference(Path(ref_dir))
    communes = build_communes(ref)
    write_csv(out / "communes.csv", ["code_insee", "nom", "population", "signataire", "code_epci"],
              [[c[k] for k in ("code_insee", "nom", "population", "signataire", "code_epci")]
               for c in communes])
    write_csv(out / "qpv.csv", ["code_qpv", "nom", "communes", "population", "illustratif"],
              build_qpv())
    write_csv(out / "indicateurs.csv", ["niveau", "code", "annee", "indicateur", "valeur",
                                        "unite", "sommable", "source"],
              build_indicateurs(communes))
    write_csv(out / "programmation.csv", ["annee", "numero_dossier", "porteur", "intitule",
                                          "commune", "code_qpv", "pilier", "thematique",
                                          "financeur", "montant_demande", "montant_accorde",
                                          "total_declare"], build_programmation(communes))
    write_csv(out / "actions_sante.csv", ["annee", "commune", "intitule", "thematique", "public",
                                          "duree", "dispositif"], build_actions_sante(communes))
    write_csv(out / "entretiens.csv", ["id_entretien", "type_acteur", "categorie", "code",
                                       "verbatim", "anonymise"], build_entretiens())
    write_csv(out / "perr.csv", ["id", "intitule", "statut", "indicateurs", "pilier"],
              [[i, t, s, ind, p] for i, (t, s, ind, p) in enumerate(PERR, start=1)])
    write_csv(out / "reunions.csv", ["date", "dispositif", "instance", "groupe", "participant",
                                     "duree_heures", "elus", "techniciens"],
              build_reunions(communes))
    build_communes_survey(out)
    build_associations_survey(out)
    build_small_surveys(out)
    build_configs(out)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0]) if argv else DATA_DIR
    build(out)
    print(f"données de démonstration écrites dans {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
