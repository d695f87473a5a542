"""Key messages: exact sentences on the embedded data, and no sentence on masked, missing
or unsupported values (small synthetic tables)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from cdv_lib.dataset import load_dataset
from cdv_lib.formatting import NBSP
from cdv_lib.messages import (
    KeyMessage,
    key_messages,
    messages_from_tables,
    messages_html,
)
from cdv_lib.report import find, theme_tables
from cdv_lib.report.table import ReportTable


def _plain(text: str) -> str:
    return text.replace(NBSP, " ")


@pytest.fixture(scope="module")
def ds():
    return load_dataset()


def test_finances_sentences_of_the_embedded_data(ds):
    msgs = key_messages(ds, "finances")
    texts = [_plain(m.texte) for m in msgs]
    assert texts[0] == ("Les financements mobilisés ont augmenté de 47 % entre 2016 et 2022, "
                        "de 3 918 264 € à 5 761 482 €.")
    assert texts[1] == ("En 2022, 5 761 482 € ont été accordés au titre du Contrat de Ville, "
                        "pour 171 actions financées.")
    assert texts[2] == ("Premier financeur en 2022 : État, avec 69,8 % des financements "
                        "accordés (4 022 785 € sur 5 761 482 €).")
    assert _plain(msgs[0].valeur) == "+47 %"
    assert msgs[0].table_key == "finances.par_annee"
    assert all(m.texte.endswith(".") for m in msgs)


def test_each_message_is_traceable_to_its_table(ds):
    tables = {t.key: t for theme in ("territoire", "gouvernance", "sante", "perr",
                                     "participation", "finances")
              for t in theme_tables(ds, theme)}
    msgs = key_messages(ds)
    assert 3 <= len(msgs) <= 6
    for m in msgs:
        assert m.table_key in tables
        # the key figure is printed in its table (formatted as the table prints it) or is
        # computed from values of that table
        formatted = tables[m.table_key].formatted().to_numpy().ravel().tolist()
        core = _plain(m.valeur).lstrip("+").split(" / ")[0]
        cells = [_plain(str(c)) for c in formatted]
        cells += [c.replace(",0 %", " %") for c in cells]  # 100,0 % in the table, 100 % said
        assert any(core in c for c in cells) or m.libelle.startswith("Évolution"), m


def test_document_messages_of_the_embedded_data(ds):
    texts = [_plain(m.texte) for m in key_messages(ds)]
    assert texts == [
        "19 des 36 communes du territoire sont signataires du Contrat de Ville.",
        "Les financements mobilisés ont augmenté de 47 % entre 2016 et 2022, de 3 918 264 € "
        "à 5 761 482 €.",
        "Les 19 communes interrogées ont toutes répondu au questionnaire de l'évaluation.",
        "55 entretiens ont été menés auprès de 6 types d'acteurs.",
        "88 actions de santé ont été déclarées par les communes.",
        "5 des 14 engagements du PERR sont réalisés, 3 partiellement.",
    ]


def test_gouvernance_and_health_sentences(ds):
    gouv = [_plain(m.texte) for m in key_messages(ds, "gouvernance")]
    assert gouv[1] == ("21 des 70 associations interrogées ont répondu au questionnaire de "
                       "l'évaluation (30 %).")
    assert gouv[2] == ("L'association dispose-t-elle d'un professionnel administratif pour "
                       "les démarches liées aux subventions ? « Oui » pour 81,0 % des 21 "
                       "répondants.")
    assert len(gouv) == 4
    sante = [_plain(m.texte) for m in key_messages(ds, "sante")]
    assert sante[1] == ("La santé dans la programmation est passée de 3 actions (12 337 €) en "
                        "2015 à 22 actions (207 654 €) en 2022, soit 3,6 % du montant accordé.")


def test_commune_messages_say_nothing_of_masked_answers(ds):
    # Lens answered the questionnaires alone: every figure of its gouvernance tables is masked
    assert key_messages(ds, "gouvernance", "62498") == []
    texts = [_plain(m.texte) for m in key_messages(ds, "finances", "62498")]
    assert texts[0] == ("Les financements accordés aux actions de la commune ont augmenté de "
                        "170 % entre 2016 et 2022, de 203 690 € à 550 150 €.")


# --- synthetic tables ---------------------------------------------------------------------

def _per_year(amounts, *, masked_row: int | None = None, years=(2016, 2019, 2022)):
    data = pd.DataFrame({"Année": [str(y) for y in years],
                         "Montant accordé": amounts,
                         "Montant demandé": [a * 1.2 if a == a else np.nan for a in amounts],
                         "Actions": [10, 12, 14][: len(years)]})
    mask = None
    if masked_row is not None:
        mask = pd.DataFrame(False, index=data.index, columns=data.columns)
        mask.loc[masked_row, "Montant accordé"] = True
    return ReportTable(key="finances.par_annee", titre="Financements par année", data=data,
                       formats={"Montant accordé": "euro", "Montant demandé": "euro",
                                "Actions": "integer"}, mask=mask, theme="finances",
                       secret_rule="public")


def test_growth_from_synthetic_table():
    msgs = messages_from_tables([_per_year([100_000.0, 150_000.0, 80_000.0])], "finances",
                                annee=2022, annee_debut=2016)
    assert _plain(msgs[0].texte) == ("Les financements mobilisés ont diminué de 20 % entre "
                                     "2016 et 2022, de 100 000 € à 80 000 €.")
    assert _plain(msgs[0].valeur) == "-20 %"


def test_no_growth_sentence_when_a_year_is_masked():
    msgs = messages_from_tables([_per_year([100_000.0, 150_000.0, 80_000.0], masked_row=0)],
                                "finances", annee=2022, annee_debut=2016)
    assert not any("augment" in m.texte or "diminu" in m.texte for m in msgs)
    # the 2022 total is not masked: its own sentence stays
    assert [m.libelle for m in msgs] == ["Financements accordés en 2022"]


def test_no_sentence_about_a_masked_end_year():
    msgs = messages_from_tables([_per_year([100_000.0, 150_000.0, 80_000.0], masked_row=2)],
                                "finances", annee=2022, annee_debut=2016)
    assert msgs == []


def test_no_growth_with_a_single_year_or_a_missing_value():
    single = _per_year([100_000.0], years=(2022,))
    assert messages_from_tables([single], "finances", annee=2022)[0].libelle == \
        "Financements accordés en 2022"
    assert len(messages_from_tables([single], "finances", annee=2022)) == 1
    missing = _per_year([np.nan, 150_000.0, 80_000.0])
    msgs = messages_from_tables([missing], "finances", annee=2022, annee_debut=2016)
    assert [m.libelle for m in msgs] == ["Financements accordés en 2022"]


def test_missing_start_year_falls_back_to_the_first_year_of_the_table():
    msgs = messages_from_tables([_per_year([100_000.0, 150_000.0, 200_000.0])], "finances",
                                annee=2022, annee_debut=2010)
    assert "entre 2016 et 2022" in msgs[0].texte


def test_masked_response_rate_gives_no_sentence():
    data = pd.DataFrame({"Questionnaire": ["Questionnaire aux associations"],
                         "Réponses reçues": [3], "Taux de réponse": [0.3],
                         "Base (questionnaires envoyés)": [10]})
    mask = pd.DataFrame([[False, True, True, False]], columns=data.columns)
    table = ReportTable(key="gouvernance.taux_reponse", titre="Taux", data=data,
                        formats={"Réponses reçues": "integer", "Taux de réponse": "percent",
                                 "Base (questionnaires envoyés)": "integer"}, mask=mask,
                        secret_rule="population")
    assert messages_from_tables([table], "gouvernance") == []
    unmasked = ReportTable(key="gouvernance.taux_reponse", titre="Taux", data=data,
                           formats=table.formats, secret_rule="population")
    assert _plain(messages_from_tables([unmasked], "gouvernance")[0].texte) == (
        "3 des 10 associations interrogées ont répondu au questionnaire de l'évaluation "
        "(30 %).")


def test_a_masked_amount_prevents_a_first_funder_sentence():
    data = pd.DataFrame({"Financeur": ["État", "Région"],
                         "Montant accordé": [70.0, 30.0], "Part": [0.7, 0.3],
                         "Base (€)": [100.0, 100.0], "Actions": [3, 2]})
    formats = {"Montant accordé": "euro", "Part": "percent", "Base (€)": "euro",
               "Actions": "integer"}
    mask = pd.DataFrame(False, index=data.index, columns=data.columns)
    mask.loc[1, ["Montant accordé", "Part"]] = True
    masked = ReportTable(key="finances.par_financeur", titre="Financements par financeur en "
                         "2022", data=data, formats=formats, mask=mask, secret_rule="public")
    assert messages_from_tables([masked], "finances") == []
    clear = ReportTable(key="finances.par_financeur", titre="Financements par financeur en "
                        "2022", data=data, formats=formats, secret_rule="public")
    assert _plain(messages_from_tables([clear], "finances")[0].texte) == (
        "Premier financeur en 2022 : État, avec 70,0 % des financements accordés "
        "(70 € sur 100 €).")


def _question(shares, *, masked_row=None, base=20):
    labels = [f"Choix {i}" for i in range(len(shares))] + ["Non-réponse"]
    data = pd.DataFrame({"Réponse": labels,
                         "Effectif": [round(s * base) for s in shares] + [0],
                         "Part": list(shares) + [np.nan],
                         "Base (n)": [float(base)] * (len(shares) + 1)})
    mask = None
    if masked_row is not None:
        mask = pd.DataFrame(False, index=data.index, columns=data.columns)
        mask.loc[masked_row, ["Effectif", "Part"]] = True
    return ReportTable(key="gouvernance.communes.q1", titre="La question est-elle claire ?",
                       data=data, formats={"Effectif": "integer", "Part": "percent",
                                           "Base (n)": "integer"},
                       mask=mask, chart="frequencies", theme="gouvernance",
                       secret_rule="perimetre")


def test_majority_answer_sentence_and_its_limits():
    msgs = messages_from_tables([_question([0.65, 0.35])], "gouvernance")
    assert [_plain(m.texte) for m in msgs] == [
        "La question est-elle claire ? « Choix 0 » pour 65,0 % des 20 répondants."]
    assert msgs[0].table_key == "gouvernance.communes.q1"
    # no majority, a tie, a masked share: nothing
    assert messages_from_tables([_question([0.5, 0.5])], "gouvernance") == []
    assert messages_from_tables([_question([0.45, 0.3, 0.25])], "gouvernance") == []
    assert messages_from_tables([_question([0.65, 0.35], masked_row=1)], "gouvernance") == []


def test_key_messages_accepts_prebuilt_tables_and_a_bare_dataset():
    fake = SimpleNamespace(config={"annee": 2022, "annee_debut": 2016})
    msgs = key_messages(fake, "finances", tables=[_per_year([100.0, 120.0, 147.0])])
    assert _plain(msgs[0].texte).startswith("Les financements mobilisés ont augmenté de 47 %")


def test_sentences_follow_french_spacing(ds):
    from cdv_lib.messages import french_spacing

    assert french_spacing("Premier financeur : État « x » ; 10:30 ?") == (
        f"Premier financeur{NBSP}: État «{NBSP}x{NBSP}»{NBSP}; 10:30{NBSP}?")
    for m in key_messages(ds, "finances") + key_messages(ds, "participation"):
        assert " :" not in m.texte and "« " not in m.texte and " »" not in m.texte


def test_unknown_theme_is_refused():
    with pytest.raises(ValueError, match="Thème inconnu"):
        messages_from_tables([], "meteo")


def test_html_is_escaped_and_links_to_the_table():
    msg = KeyMessage("<b>x</b> & y.", "1", "<i>l</i>", "finances.par_annee")
    out = messages_html([msg])
    assert "<b>" not in out and "&lt;b&gt;" in out
    assert 'href="#finances.par_annee"' in out
    assert messages_html([]) == ""


def test_every_message_reads_unmasked_cells_of_real_commune_tables(ds):
    # the messages of a commune come from its own, not fully masked, tables
    for code in ("62498", "62510", "62032"):
        tables = {t.key: t for theme in ("territoire", "finances", "sante", "gouvernance")
                  for t in theme_tables(ds, theme, code)}
        for m in key_messages(ds, None, code):
            assert not tables[m.table_key].fully_masked
            # never a sentence about the agglomeration's table shown as a reference
            assert not tables[m.table_key].reference
    assert find(theme_tables(ds, "gouvernance", "62498"),
                "gouvernance.communes.moyens_humains").reference
