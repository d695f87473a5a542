"""Column names of every input table (the data contract, see ``data/README.md``).

Column names in files are French (they are read by analysts); these constants are the
only place the code spells them.
"""

# communes
CODE_INSEE = "code_insee"
NOM = "nom"
POPULATION = "population"
SIGNATAIRE = "signataire"
CODE_EPCI = "code_epci"

# qpv
CODE_QPV = "code_qpv"
COMMUNES = "communes"  # one or several code_insee separated by "|"
AUTRES_COMMUNES = "autres_communes"  # communes of another EPCI the QPV also covers, "|"-separated
PARTAGE_AVEC = "partage_avec"  # names of those other EPCI, "|"-separated

# indicateurs (long form)
NIVEAU = "niveau"  # qpv, commune, epci, departement, region, france
CODE = "code"
ANNEE = "annee"
INDICATEUR = "indicateur"
VALEUR = "valeur"
UNITE = "unite"
SOMMABLE = "sommable"
SOURCE = "source"

# programmation
NUMERO_DOSSIER = "numero_dossier"
PORTEUR = "porteur"
INTITULE = "intitule"
COMMUNE = "commune"  # code_insee or "INTERCO"
PILIER = "pilier"
THEMATIQUE = "thematique"
FINANCEUR = "financeur"
MONTANT_DEMANDE = "montant_demande"
MONTANT_ACCORDE = "montant_accorde"
TOTAL_DECLARE = "total_declare"  # optional

# actions_sante
PUBLIC = "public"
DUREE = "duree"  # ponctuelle / perenne
DISPOSITIF = "dispositif"

# entretiens
ID_ENTRETIEN = "id_entretien"
TYPE_ACTEUR = "type_acteur"
CATEGORIE = "categorie"
VERBATIM = "verbatim"
ANONYMISE = "anonymise"

# perr
ID = "id"
STATUT = "statut"
INDICATEURS = "indicateurs"

INTERCO = "INTERCO"
MULTI_SEPARATOR = "|"

# normalised survey answers (long form, see cdv_lib.survey)
RESPONDENT_ID = "respondent_id"
QUESTION_ID = "question_id"
ROW = "row"
VALUE = "value"
