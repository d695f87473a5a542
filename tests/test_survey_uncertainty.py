"""Uncertainty of survey shares: Wilson intervals, censuses, tests, French display.

Every expected value is worked out by hand in the comment beside it (z = 1,959964,
z² = 3,841459)."""

import io
import math
import textwrap

import numpy as np
import pandas as pd
import pytest
import yaml

from cdv_lib.errors import DataError
from cdv_lib.secrecy import mask_crosstab, mask_frequencies
from cdv_lib.survey import crosstab, definition_from_dict, frequencies, matrix_frequencies, normalize_responses
from cdv_lib.survey.crosstab import choice_tests, matrix_test
from cdv_lib.survey.uncertainty import (
    census_note,
    describe_test,
    fmt_interval,
    fmt_share_ci,
    interval_texts,
    is_census,
    mask_intervals,
    share_ci_texts,
    wilson_interval,
    z_value,
)

NBSP = "\u00a0"


def plain(text: str) -> str:
    return text.replace(NBSP, " ")


def make_survey(yaml_text, csv_text):
    definition = definition_from_dict(yaml.load(textwrap.dedent(yaml_text), Loader=yaml.BaseLoader),
                                      file_label="q.yaml")
    frame = pd.read_csv(io.StringIO(csv_text), sep=";", dtype=str)
    frame.index = range(2, len(frame) + 2)
    return normalize_responses(definition, frame, file_label="q.csv")


def survey_yaml(extra: str = "") -> str:
    return f"""
    id: t
    reponses: t.csv
    identifiant: id
    {extra}
    attributs: {{grp: {{colonne: grp}}}}
    questions:
      - id: q
        libelle: Q
        type: unique
        colonne: q
        choix: [{{code: oui, libelle: Oui}}, {{code: non, libelle: Non}}]
      - id: m
        libelle: M
        type: multiple
        format: forms
        colonne: m
        choix: [{{code: a, libelle: A}}, {{code: b, libelle: B}}]
    """


def csv_of(rows) -> str:
    return "id;grp;q;m\n" + "".join(f"r{i};{g};{q};{m}\n" for i, (g, q, m) in enumerate(rows))


# 21 respondents: 3 "oui", 18 "non" (the example, 3 out of 21 associations)
ROWS_21 = [("A", "oui", "A")] * 3 + [("B", "non", "B")] * 18


def test_z_value():
    assert z_value() == pytest.approx(1.959964, abs=1e-6)


def test_wilson_three_out_of_21():
    # p = 3/21 = 0,142857 ; z²/n = 3,841459/21 = 0,182927, denom = 1,182927
    # centre = (0,142857 + 3,841459/42) / 1,182927 = (0,142857 + 0,091463) / 1,182927 = 0,198085
    # half = 1,959964 · sqrt(0,142857·0,857143/21 + 3,841459/1764) / 1,182927
    #      = 1,959964 · sqrt(0,0058309 + 0,0021777) / 1,182927 = 1,959964 · 0,089491 / 1,182927
    #      = 0,148274
    # -> [0,049811 ; 0,346359] -> « 14,3 % [5,0 ; 34,6] »
    low, high = wilson_interval(3, 21)
    assert float(low) == pytest.approx(0.049811, abs=2e-6)
    assert float(high) == pytest.approx(0.346359, abs=2e-6)
    assert plain(fmt_share_ci(3 / 21, low, high)) == "14,3 % [5,0 ; 34,6]"


def test_wilson_ends():
    # 0/10: centre = half = (3,841459/20) / 1,3841459 = 0,192073 / 1,384146 = 0,138766
    # -> [0 ; 0,277533]
    low, high = wilson_interval([0, 10], [10, 10])
    assert low[0] == 0.0 and high[0] == pytest.approx(0.277533, abs=2e-6)
    # 10/10 is the mirror image: [1 - 0,277533 ; 1] = [0,722467 ; 1]
    assert low[1] == pytest.approx(0.722467, abs=2e-6) and high[1] == 1.0
    # base 0: no share, no interval
    low, high = wilson_interval(0, 0)
    assert np.isnan(low) and np.isnan(high)


def test_wilson_half_of_four():
    # 2/4: p = 0,5, denom = 1 + 3,841459/4 = 1,960365, centre = 0,5 exactly
    # half = 1,959964 · sqrt(0,0625 + 3,841459/64) / 1,960365 = 1,959964 · sqrt(0,122523) / 1,960365
    #      = 1,959964 · 0,350033 / 1,960365 = 0,349961 -> [0,150039 ; 0,849961]
    low, high = wilson_interval(2, 4)
    assert float(low) == pytest.approx(0.150039, abs=2e-6)
    assert float(high) == pytest.approx(0.849961, abs=2e-6)


def test_french_display():
    assert plain(fmt_interval(0.049811, 0.346359)) == "[5,0 ; 34,6]"
    assert plain(fmt_share_ci(8 / 19, census=True)) == "42,1 % (exhaustif)"
    assert fmt_share_ci(float("nan"), 0.1, 0.2) == "–"
    assert plain(fmt_share_ci(0.5)) == "50,0 %"  # no bounds (non-response row): share alone
    # half-up rounding of the written value, as cdv_lib.formatting: 56,25 -> 56,3
    assert plain(fmt_share_ci(0.5625, 0.1, 0.9)) == "56,3 % [10,0 ; 90,0]"
    assert NBSP in fmt_share_ci(3 / 21, 0.05, 0.35)  # no line break inside a figure


def test_frequencies_ci_on_a_sample():
    s = make_survey(survey_yaml("envoyes: 70"), csv_of(ROWS_21))
    assert not is_census(s)  # 21 answered out of 70
    t = frequencies(s, "q", ci=True)
    assert list(t.columns) == ["code", "libelle", "effectif", "part", "base", "ic_bas", "ic_haut"]
    oui = t.set_index("code").loc["oui"]
    assert oui["ic_bas"] == pytest.approx(0.049811, abs=2e-6)
    # 18/21 is the mirror of 3/21: [1 - 0,346359 ; 1 - 0,049811] = [0,653641 ; 0,950189]
    non = t.set_index("code").loc["non"]
    assert non["ic_bas"] == pytest.approx(0.653641, abs=2e-6)
    assert non["ic_haut"] == pytest.approx(0.950189, abs=2e-6)
    nr = t.set_index("code").loc["_nr"]
    assert np.isnan(nr["ic_bas"]) and np.isnan(nr["ic_haut"])
    assert t.attrs["exhaustif"] is False
    texts = [plain(x) for x in interval_texts(t)]
    assert texts == ["14,3 % [5,0 ; 34,6]", "85,7 % [65,4 ; 95,0]", "–"]
    assert "Wilson" in census_note(s) and "21 réponses sur 70" in census_note(s)
    # without ci the table is unchanged
    assert list(frequencies(s, "q").columns) == ["code", "libelle", "effectif", "part", "base"]


def test_census_has_no_interval():
    s = make_survey(survey_yaml("envoyes: 21"), csv_of(ROWS_21))
    assert is_census(s)  # sent = answered
    t = frequencies(s, "q", ci=True)
    assert t["ic_bas"].isna().all() and t["ic_haut"].isna().all()
    assert t.attrs["exhaustif"] is True
    assert plain(interval_texts(t).iloc[0]) == "14,3 % (exhaustif)"
    assert census_note(s).startswith("Exhaustif : les 21 destinataires ont répondu")


def test_census_flag_of_the_definition():
    # declared census without envoyes
    s = make_survey(survey_yaml("exhaustif: oui"), csv_of(ROWS_21))
    assert s.definition.census is True and is_census(s)
    # declared sample even though sent = answered (e.g. a panel drawn from a larger population)
    s = make_survey(survey_yaml("envoyes: 21\n    exhaustif: non"), csv_of(ROWS_21))
    assert not is_census(s)
    # nothing said, sent unknown: a sample
    assert not is_census(make_survey(survey_yaml(), csv_of(ROWS_21)))


def test_census_flag_contradicting_sent_is_refused():
    with pytest.raises(DataError) as err:
        make_survey(survey_yaml("envoyes: 70\n    exhaustif: oui"), csv_of(ROWS_21))
    text = str(err.value)
    assert "exhaustif" in text and "envoyes = 70" in text and "21" in text


def test_census_flag_must_be_yes_or_no():
    with pytest.raises(DataError, match="exhaustif"):
        definition_from_dict(yaml.load(textwrap.dedent(survey_yaml("exhaustif: peut-être")),
                                       Loader=yaml.BaseLoader))


def test_crosstab_intervals_use_the_group_base():
    # group A: 3 respondents, all "oui" -> 3/3: [1 - h ; 1] with, for 0/3,
    # denom = 1 + 3,841459/3 = 2,280486, centre = half = 0,640243/2,280486 = 0,280749
    # -> A "oui": [0,438503 ; 1] (2 · 0,280749 = 0,561497)
    s = make_survey(survey_yaml("envoyes: 70"), csv_of(ROWS_21))
    t = crosstab(s, "q", "grp", ci=True)
    a = t[(t["groupe"] == "A") & (t["code"] == "oui")].iloc[0]
    assert a["ic_bas"] == pytest.approx(1 - 0.561497, abs=2e-6) and a["ic_haut"] == 1.0
    b = t[(t["groupe"] == "B") & (t["code"] == "oui")].iloc[0]
    # 0/18: denom = 1,213414, centre = half = 0,106707/1,213414 = 0,087940 -> [0 ; 0,175879]
    assert b["ic_bas"] == 0.0 and b["ic_haut"] == pytest.approx(0.175879, abs=2e-6)
    assert "test" in t.attrs and t.attrs["exhaustif"] is False


def test_matrix_frequencies_ci():
    text = """
    id: g
    reponses: g.csv
    identifiant: id
    envoyes: 10
    questions:
      - id: grille
        libelle: Grille
        type: matrice
        lignes: [{code: etat, libelle: État, colonne: e}]
        choix: [{code: "1", libelle: Bas}, {code: "2", libelle: Haut}]
    """
    s = make_survey(text, "id;e\n" + "".join(f"r{i};{1 if i < 2 else 2}\n" for i in range(4)))
    t = matrix_frequencies(s, "grille", ci=True)
    # 2/4 on each level: [0,150039 ; 0,849961] (test_wilson_half_of_four)
    assert list(t["ic_bas"].round(6)[:2]) == [0.150039, 0.150039]


def test_fisher_for_a_small_two_by_two():
    # [[3, 0], [0, 3]]: expected 1,5 everywhere -> no chi-square; Fisher: margins 3/3/3,
    # P(X = 3) = C(3,3)·C(3,0)/C(6,3) = 1/20, the other table as extreme X = 0 also 1/20
    # -> two-sided p = 0,1
    result = matrix_test([[3, 0], [0, 3]])
    assert result["methode"] == "fisher" and result["valide"]
    assert result["p_value"] == pytest.approx(0.1)
    assert "Fisher" in result["note"]
    assert plain(describe_test(result)) == (
        "Test exact de Fisher (tableau 2 × 2) : p = 0,100 : pas de différence significative "
        "entre les groupes au seuil de 5 %.")


def test_no_test_for_a_small_table_larger_than_two_by_two():
    result = matrix_test([[3, 0, 1], [0, 3, 1]])
    assert not result["valide"] and result["methode"] is None
    sentence = describe_test(result)
    assert sentence.startswith("Pas de test d'indépendance : effectifs théoriques insuffisants")
    assert "Cochran" in sentence


def test_chi_square_sentence_and_secret_version():
    # [[20, 10], [10, 20]]: expected 15 -> chi2 = 4 · 25/15 = 6,67, 1 ddl,
    # p = erfc(sqrt(20/3 / 2)) = 0,00982
    result = matrix_test([[20, 10], [10, 20]])
    assert result["methode"] == "khi2"
    assert result["p_value"] == pytest.approx(math.erfc(math.sqrt(10 / 3)))
    assert plain(describe_test(result)) == (
        "Test du khi-deux de Pearson : khi-deux = 6,67, 1 ddl, p = 0,010 : la répartition des "
        "réponses diffère selon les groupes (dépendance significative au seuil de 5 %).")
    secret = plain(describe_test(result, secret=True))
    assert "p < 0,05" in secret and "6,67" not in secret and "0,010" not in secret


def test_multiple_choice_tested_choice_by_choice():
    # 40 respondents in two groups of 20; A ticks "a" 15 times (else "b"), B 5 times.
    # choice a: [[15, 5], [5, 15]], expected 10 -> chi2 = 4 · 25/10 = 10, p = erfc(sqrt(5))
    rows = ([("A", "oui", "A")] * 15 + [("A", "oui", "B")] * 5
            + [("B", "non", "A")] * 5 + [("B", "non", "B")] * 15)
    s = make_survey(survey_yaml(), csv_of(rows))
    t = crosstab(s, "m", "grp")
    assert "choix multiple" in t.attrs["test"]["note"] and not t.attrs["test"]["valide"]
    tests = pd.DataFrame(t.attrs["tests_par_choix"]).set_index("code")
    assert tests.loc["a", "chi2"] == pytest.approx(10.0)
    assert tests.loc["a", "p_value"] == pytest.approx(math.erfc(math.sqrt(5)))
    assert tests.loc["b", "ddl"] == 1  # b is the mirror image: same test
    assert list(choice_tests(t).columns) == ["code", "libelle", "methode", "chi2", "ddl",
                                             "p_value", "valide", "note"]


def test_masked_shares_hide_their_interval():
    # 3 "oui" (< 5): masked, then "non" by secondary masking (18 = 21 - 3 otherwise);
    # the bounds of a masked share give the count back (3/21 from [5,0 ; 34,6]): masked too
    s = make_survey(survey_yaml("envoyes: 70"), csv_of(ROWS_21))
    masked = mask_intervals(mask_frequencies(frequencies(s, "q", ci=True), threshold=5))
    oui = masked.set_index("code").loc["oui"]
    assert np.isnan(oui["ic_bas"]) and np.isnan(oui["ic_haut"]) and oui["ic_bas__secret"]
    assert interval_texts(masked).iloc[0] == "s"
    crossed = mask_intervals(mask_crosstab(crosstab(s, "q", "grp", ci=True), threshold=5))
    group_a = crossed[crossed["groupe"] == "A"]  # base 3 < 5: the whole group
    assert group_a["ic_bas"].isna().all() and group_a["ic_haut__secret"].all()


def test_share_texts_of_an_already_masked_report_table():
    # the lead's report path: mask first, then write the shares with their interval
    s = make_survey(survey_yaml("envoyes: 70"), csv_of(ROWS_21))
    masked = mask_frequencies(frequencies(s, "q"), threshold=3)  # 3 and 18 shown
    texts = [plain(t) for t in share_ci_texts(masked, census=False)]
    assert texts == ["14,3 % [5,0 ; 34,6]", "85,7 % [65,4 ; 95,0]", "–"]
    masked5 = mask_frequencies(frequencies(s, "q"), threshold=5)  # 3 < 5, then 18 by difference
    assert list(share_ci_texts(masked5, census=False)) == ["s", "s", "–"]
    census = [plain(t) for t in share_ci_texts(masked, census=True)]
    assert census == ["14,3 % (exhaustif)", "85,7 % (exhaustif)", "–"]
    assert plain(share_ci_texts(masked, census=True, mark_census=False).iloc[0]) == "14,3 %"
