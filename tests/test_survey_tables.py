"""Survey tables: expected values worked out by hand from literal respondents."""

import io
import math
import textwrap

import numpy as np
import pandas as pd
import pytest
import yaml

from cdv_lib.survey import (
    crosstab,
    definition_from_dict,
    filter_survey,
    frequencies,
    matrix_frequencies,
    matrix_table,
    median_level,
    normalize_responses,
    numeric_summary,
    ordered_median,
    pivot_crosstab,
    response_rate,
    text_answers,
)

COMMUNES_YAML = """
id: communes
titre: Communes
reponses: communes.csv
identifiant: id
envoyes: 19
attributs:
  taille: {colonne: taille}
questions:
  - id: moyens
    libelle: Moyens humains
    type: unique
    colonne: moyens
    choix:
      - {code: ins, libelle: Insuffisants}
      - {code: suf, libelle: Suffisants}
  - id: services
    libelle: Mobilisez-vous les autres services ?
    type: unique
    colonne: services
    choix:
      - {code: oui, libelle: Oui}
      - {code: non, libelle: Non}
  - id: attentes
    libelle: Attentes envers la CALL
    type: multiple
    choix:
      - {code: metho, libelle: Appui en méthodologie de projets, colonne: att_metho}
      - {code: reseau, libelle: Animation du réseau des acteurs, colonne: att_reseau}
      - {code: finance, libelle: Ingénierie financière, colonne: att_finance}
  - id: etp
    libelle: Personnes affectées
    type: numerique
    colonne: etp
  - id: remarque
    libelle: Remarque
    type: texte
    colonne: remarque
"""

# 19 communes. moyens: 8 ins + 11 suf. services: 9 oui, 9 non, 1 empty (c19).
# attentes: c19 ticks nothing; metho ticked by c1..c13 (13), reseau by c6..c15 (10),
# finance by c16..c18 (3). taille: c1..c10 "petite", c11..c19 "grande".
ROWS = []
for i in range(1, 20):
    ROWS.append(";".join([
        f"c{i}",
        "petite" if i <= 10 else "grande",
        "ins" if i <= 8 else "suf",
        "" if i == 19 else ("oui" if i <= 9 else "non"),
        "Y" if i <= 13 else "",
        "Y" if 6 <= i <= 15 else "",
        "Y" if 16 <= i <= 18 else "",
        {1: "1", 2: "2", 3: "3,5"}.get(i, ""),
        "à revoir" if i == 4 else "",
    ]))
COMMUNES_CSV = "id;taille;moyens;services;att_metho;att_reseau;att_finance;etp;remarque\n" + "\n".join(ROWS) + "\n"


def make_survey(yaml_text, csv_text):
    definition = definition_from_dict(yaml.load(textwrap.dedent(yaml_text), Loader=yaml.BaseLoader))
    frame = pd.read_csv(io.StringIO(csv_text), sep=";", dtype=str)
    frame.index = range(2, len(frame) + 2)
    return normalize_responses(definition, frame, file_label="test.csv")


@pytest.fixture(scope="module")
def communes():
    return make_survey(COMMUNES_YAML, COMMUNES_CSV)


def row(table, code):
    return table.set_index("code").loc[code]


def test_unique_without_non_response(communes):
    t = frequencies(communes, "moyens")
    assert list(t.columns) == ["code", "libelle", "effectif", "part", "base"]
    assert list(t["code"]) == ["ins", "suf", "_nr"]
    assert list(t["effectif"]) == [8, 11, 0]
    assert row(t, "ins")["part"] == pytest.approx(8 / 19)  # 42,1 %
    assert round(row(t, "ins")["part"] * 100, 1) == 42.1
    assert set(t["base"]) == {19}
    assert np.isnan(row(t, "_nr")["part"])
    assert row(t, "_nr")["libelle"] == "Non-réponse"


def test_unique_with_one_non_response(communes):
    t = frequencies(communes, "services")
    assert list(t["effectif"]) == [9, 9, 1]
    assert row(t, "oui")["part"] == pytest.approx(0.5)  # 9/18, not 9/19
    assert row(t, "oui")["base"] == 18


def test_multiple_shares_of_respondents(communes):
    t = frequencies(communes, "attentes")
    assert list(t["code"]) == ["metho", "reseau", "finance", "_nr"]
    assert list(t["effectif"]) == [13, 10, 3, 1]
    assert set(t["base"]) == {18}  # c19 ticked nothing: non-response
    assert round(row(t, "metho")["part"] * 100, 1) == 72.2
    assert round(row(t, "reseau")["part"] * 100, 1) == 55.6
    assert t["part"].sum() > 1  # shares of respondents, not of answers


def test_filters_recompute_bases(communes):
    petites = frequencies(communes, "moyens", where={"taille": "PETITE"})
    assert list(petites["effectif"]) == [8, 2, 0]
    assert set(petites["base"]) == {10}
    both = frequencies(communes, "moyens", where={"taille": ["petite", "grande"]})
    assert list(both["effectif"]) == [8, 11, 0]
    # filter on another question's answer (code or label): the 9 "oui"
    oui = frequencies(communes, "moyens", where={"services": "Oui"})
    assert list(oui["effectif"]) == [8, 1, 0]
    # boolean Series over respondents: c11..c19 -> services 0 oui, 8 non, 1 nr
    mask = communes.respondents["respondent_id"].isin([f"c{i}" for i in range(11, 20)])
    t = frequencies(communes, "services", where=mask)
    assert list(t["effectif"]) == [0, 8, 1]
    assert set(t["base"]) == {8}
    by_id = pd.Series(mask.to_numpy(), index=communes.respondents["respondent_id"])
    assert frequencies(communes, "services", where=by_id).equals(t)
    assert filter_survey(communes, {"taille": "grande"}).n_respondents == 9
    with pytest.raises(ValueError, match="ni un attribut ni une question"):
        frequencies(communes, "moyens", where={"region": "x"})


def test_numeric_text_and_rate(communes):
    s = numeric_summary(communes, "etp").iloc[0]
    assert (s["base"], s["non_reponses"]) == (3, 16)
    assert (s["minimum"], s["mediane"], s["maximum"], s["total"]) == (1, 2, 3.5, 6.5)
    assert s["moyenne"] == pytest.approx(6.5 / 3)
    assert text_answers(communes, "remarque").to_dict("records") == [{"respondent_id": "c4", "texte": "à revoir"}]
    assert response_rate(communes) == {"reponses": 19, "envoyes": 19, "taux": 1.0}
    with pytest.raises(ValueError, match="numeric_summary"):
        frequencies(communes, "etp")


def test_ordered_median_lower_convention():
    levels = ["1", "2", "3", "4"]
    assert ordered_median(["3", "1", "3"], levels) == "3"           # odd: middle value
    assert ordered_median(["1", "1", "2", "3"], levels) == "1"      # even tie 1|2 -> lower
    assert ordered_median(["1", "2", "3", "3"], levels) == "2"      # even: 2nd of 4
    assert ordered_median(["4", "1"], levels) == "1"
    assert ordered_median(["2", "2", "4", "4", "4", "4"], levels) == "4"
    assert ordered_median([], levels) is None


GRID_YAML = """
id: grille
titre: Grille
reponses: g.csv
identifiant: id
attributs:
  type: {colonne: type}
questions:
  - id: coop
    libelle: Niveau de coopération
    type: matrice
    lignes:
      - {code: etat, libelle: État, colonne: g_etat}
      - {code: region, libelle: Région, colonne: g_region}
    choix:
      - {code: "1", libelle: Relation}
      - {code: "2", libelle: Connexion}
      - {code: "3", libelle: Cohésion}
  - id: frequence
    libelle: Coopérations
    type: echelle
    colonne: freq
    choix:
      - {code: "1", libelle: Jamais}
      - {code: "2", libelle: Rarement}
      - {code: "3", libelle: Souvent}
"""

GRID_CSV = """\
id;type;g_etat;g_region;freq
a1;asso;1;3;Souvent
a2;asso;2;3;Rarement
a3;asso;2;;Jamais
a4;commune;3;1;
a5;commune;3;1;Rarement
a6;commune;;1;Rarement
"""


def test_matrix_tables_and_median():
    s = make_survey(GRID_YAML, GRID_CSV)
    long = matrix_frequencies(s, "coop")
    assert list(long.columns) == ["ligne", "ligne_libelle", "code", "libelle", "effectif", "part", "base"]
    etat = long[long["ligne"] == "etat"]
    assert list(etat["effectif"]) == [1, 2, 2, 1]  # 1, 2, 2 answers + 1 non-response (a6)
    assert list(etat["part"].round(3)[:3]) == [0.2, 0.4, 0.4]
    wide = matrix_table(s, "coop")
    assert list(wide.columns) == ["code", "libelle", "Relation", "Connexion", "Cohésion",
                                  "base", "non_reponses", "mediane", "mediane_libelle"]
    e = wide.set_index("code").loc["etat"]
    assert (e["base"], e["non_reponses"]) == (5, 1)
    # sorted: 1 2 2 3 3 -> 3rd of 5 = "2"
    assert (e["mediane"], e["mediane_libelle"]) == ("2", "Connexion")
    r = wide.set_index("code").loc["region"]
    # sorted: 1 1 1 3 3 -> "1"; shares 3/5 and 2/5
    assert (r["mediane"], r["Relation"], r["Cohésion"], r["Connexion"]) == ("1", 0.6, 0.4, 0.0)
    counts = matrix_table(s, "coop", value="effectif")
    assert list(counts["Cohésion"]) == [2, 2]
    assert median_level(s, "frequence") == "2"  # 1 2 2 2 3 -> 2
    assert median_level(s, "coop", row="etat", where={"type": "asso"}) == "2"  # 1 2 2
    with pytest.raises(ValueError, match="préciser row"):
        frequencies(s, "coop")
    f = frequencies(s, "coop", row="region", where={"type": "commune"})
    assert list(f["effectif"]) == [3, 0, 0, 0]


def test_crosstab_too_small_for_chi_square():
    s = make_survey(GRID_YAML, GRID_CSV)
    t = crosstab(s, "frequence", "type")
    assert list(t.columns) == ["groupe", "code", "libelle", "effectif", "part", "base"]
    assert list(t["groupe"]) == ["asso"] * 4 + ["commune"] * 4
    assert list(t["effectif"]) == [1, 1, 1, 0, 0, 2, 0, 1]
    assert list(t["base"]) == [3] * 4 + [2] * 4
    assert t["part"].iloc[5] == 1.0
    test = t.attrs["test"]
    assert not test["valide"] and np.isnan(test["p_value"])
    assert "effectifs théoriques insuffisants" in test["note"]
    wide = pivot_crosstab(t)
    assert list(wide.columns) == ["groupe", "Jamais", "Rarement", "Souvent", "base", "non_reponses"]
    assert list(wide["non_reponses"]) == [0, 1]


def test_crosstab_with_valid_chi_square():
    # 60 respondents: group A answers oui 20 / non 10, group B oui 10 / non 20
    lines = ["id;grp;q"]
    pattern = [("A", "oui")] * 20 + [("A", "non")] * 10 + [("B", "oui")] * 10 + [("B", "non")] * 20
    lines += [f"r{i};{g};{v}" for i, (g, v) in enumerate(pattern)]
    yaml_text = """
    id: t
    reponses: t.csv
    identifiant: id
    attributs: {grp: {colonne: grp}}
    questions:
      - id: q
        libelle: Q
        type: unique
        colonne: q
        choix: [{code: oui, libelle: Oui}, {code: non, libelle: Non}]
    """
    s = make_survey(yaml_text, "\n".join(lines) + "\n")
    t = crosstab(s, "q", "grp")
    test = t.attrs["test"]
    # expected 15 in every cell: chi2 = 4 * (5 ** 2 / 15) = 20/3, 1 degree of freedom,
    # p = P(chi2_1 > 20/3) = erfc(sqrt(20/3 / 2))
    assert test["valide"] and test["ddl"] == 1
    assert test["chi2"] == pytest.approx(20 / 3)
    assert test["p_value"] == pytest.approx(math.erfc(math.sqrt(10 / 3)))
    # crossing by a question (groups = choice labels)
    by_q = crosstab(s, "q", "q")
    assert list(dict.fromkeys(by_q["groupe"])) == ["Oui", "Non"]


def test_crosstab_multiple_has_no_test(communes):
    t = crosstab(communes, "attentes", "taille")
    assert list(dict.fromkeys(t["groupe"])) == ["grande", "petite"]
    grande = t[t["groupe"] == "grande"].set_index("code")
    # grande = c11..c19: metho c11..c13 (3), reseau c11..c15 (5), finance c16..c18 (3), c19 nr
    assert list(grande["effectif"]) == [3, 5, 3, 1]
    assert set(grande["base"]) == {8}
    assert "choix multiple" in t.attrs["test"]["note"]
