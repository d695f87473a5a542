"""Build LimeSurvey exports in their published layouts, for the importer's tests.

``lss(layout=...)`` writes the survey structure XML (``<document>``, one section per table,
``<fields>`` then ``<rows>``, every value in CDATA, empty values as ``<x/>``) in the
LimeSurvey ≥ 4 layout (``"l10n"``: texts in ``question_l10ns``/``answer_l10ns``/
``group_l10ns``) or the LimeSurvey 2-3 one (``"ancien"``: texts and ``language`` in the rows).
``responses_csv`` writes the responses export: every field quoted, as LimeSurvey does.
"""

from __future__ import annotations

import csv
import io

SID = "845132"

# (gid, order, {lang: name})
GROUPS = [("10", 1, {"fr": "Profil", "en": "Profile"}),
          ("11", 2, {"fr": "Coopération", "en": "Cooperation"})]

# qid, gid, type, title, other, order, {lang: text}
QUESTIONS = [
    ("101", "10", "L", "Q1", "Y", 1, {"fr": "<p>Quel est votre <b>type</b> de structure&nbsp;?</p>",
                                      "en": "Type of organisation?"}),
    ("102", "10", "M", "Q2", "N", 2, {"fr": "Domaines d'intervention", "en": "Fields"}),
    ("105", "10", "N", "Q5", "N", 3, {"fr": "Nombre de salariés", "en": "Employees"}),
    ("103", "11", "F", "Q3", "N", 1, {"fr": "Niveau de coopération avec chaque signataire",
                                      "en": "Cooperation level"}),
    ("104", "11", "T", "Q4", "N", 2, {"fr": "Vos propositions", "en": "Your proposals"}),
    ("106", "11", "L", "Q6", "N", 3, {"fr": "Satisfaction globale", "en": "Satisfaction"}),
    ("107", "11", "D", "Q7", "N", 4, {"fr": "Date de l'entretien", "en": "Date"}),
]

# qid, parent, title, order, {lang: text}
SUBQUESTIONS = [
    ("201", "102", "SQ001", 1, {"fr": "Santé", "en": "Health"}),
    ("202", "102", "SQ002", 2, {"fr": "Emploi", "en": "Jobs"}),
    ("203", "102", "SQ003", 3, {"fr": "Culture", "en": "Culture"}),
    ("211", "103", "ETAT", 1, {"fr": "État", "en": "State"}),
    ("212", "103", "REG", 2, {"fr": "Région", "en": "Region"}),
    ("213", "103", "DEP", 3, {"fr": "Département", "en": "County"}),
]

# aid, qid, code, sortorder, {lang: text} — listed out of order on purpose: the level order
# is the sortorder, not the XML order nor the code order
ANSWERS = [
    ("301", "101", "A1", 1, {"fr": "Association", "en": "Association"}),
    ("302", "101", "A2", 2, {"fr": "Commune", "en": "Municipality"}),
    ("303", "101", "A3", 3, {"fr": "Bailleur", "en": "Landlord"}),
    ("313", "103", "A3", 3, {"fr": "Coopération", "en": "Cooperation"}),
    ("311", "103", "A1", 1, {"fr": "Relation", "en": "Relation"}),
    ("314", "103", "A4", 4, {"fr": "Cohésion", "en": "Cohesion"}),
    ("312", "103", "A2", 2, {"fr": "Connexion", "en": "Connection"}),
    ("321", "106", "A1", 1, {"fr": "Pas satisfait", "en": "Unsatisfied"}),
    ("322", "106", "A2", 2, {"fr": "Moyennement satisfait", "en": "Fairly"}),
    ("323", "106", "A3", 3, {"fr": "Satisfait", "en": "Satisfied"}),
]

TITLE = {"fr": "Enquête auprès des partenaires", "en": "Partner survey"}


def _cell(tag: str, value) -> str:
    if value is None or value == "":
        return f"<{tag}/>"
    return f"<{tag}><![CDATA[{value}]]></{tag}>"


def _section(name: str, fields: list[str], rows: list[dict]) -> str:
    out = [f" <{name}>", "  <fields>"]
    out += [f"   <fieldname>{f}</fieldname>" for f in fields]
    out += ["  </fields>", "  <rows>"]
    for row in rows:
        out.append("   <row>")
        out += [f"    {_cell(f, row.get(f))}" for f in fields if f in row]
        out.append("   </row>")
    out += ["  </rows>", f" </{name}>"]
    return "\n".join(out)


def lss(layout: str = "l10n", languages=("fr",), questions=None, subquestions=None,
        answers=None, db_version: int | None = None) -> bytes:
    """The survey structure export, UTF-8 bytes."""
    questions = QUESTIONS if questions is None else questions
    subquestions = SUBQUESTIONS if subquestions is None else subquestions
    answers = ANSWERS if answers is None else answers
    db_version = db_version or (600 if layout == "l10n" else 359)
    # an optional last element gives the scale (dual-scale answers, x-axis of arrays)
    answers = [a if len(a) == 6 else (*a, "0") for a in answers]
    subquestions = [x if len(x) == 6 else (*x, "0") for x in subquestions]
    langs = list(languages)
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', "<document>",
             " <LimeSurveyDocType>Survey</LimeSurveyDocType>",
             f" <DBVersion>{db_version}</DBVersion>", " <languages>"]
    parts += [f"  <language>{lang}</language>" for lang in langs]
    parts.append(" </languages>")
    qfields = ["qid", "parent_qid", "sid", "gid", "type", "title", "preg", "other", "mandatory",
               "question_order", "scale_id", "same_default", "relevance", "modulename"]
    if layout == "l10n":
        parts.append(_section("answers", ["aid", "qid", "code", "sortorder", "assessment_value",
                                          "scale_id"],
                              [{"aid": a, "qid": q, "code": c, "sortorder": o,
                                "assessment_value": "0", "scale_id": sc}
                               for a, q, c, o, _, sc in answers]))
        parts.append(_section("answer_l10ns", ["id", "aid", "answer", "language"],
                              [{"id": f"9{a}{i}", "aid": a, "answer": t[lang], "language": lang}
                               for a, q, c, o, t, _ in answers for i, lang in enumerate(langs)]))
        parts.append(_section("groups", ["gid", "sid", "group_order", "randomization_group",
                                         "grelevance"],
                              [{"gid": g, "sid": SID, "group_order": o, "randomization_group": "",
                                "grelevance": ""} for g, o, _ in GROUPS]))
        parts.append(_section("group_l10ns", ["id", "gid", "group_name", "description", "language"],
                              [{"id": f"8{g}{i}", "gid": g, "group_name": t[lang],
                                "description": "", "language": lang}
                               for g, o, t in GROUPS for i, lang in enumerate(langs)]))
        parts.append(_section("questions", qfields,
                              [{"qid": q, "parent_qid": "0", "sid": SID, "gid": g, "type": ty,
                                "title": ti, "preg": "", "other": ot, "mandatory": "N",
                                "question_order": o, "scale_id": "0", "same_default": "0",
                                "relevance": "1", "modulename": ""}
                               for q, g, ty, ti, ot, o, _ in questions]))
        gid_of = {q: g for q, g, *_ in questions}
        parts.append(_section("subquestions", qfields,
                              [{"qid": s, "parent_qid": p, "sid": SID, "gid": gid_of[p],
                                "type": "T", "title": ti, "preg": "", "other": "N",
                                "mandatory": "", "question_order": o, "scale_id": sc,
                                "same_default": "0", "relevance": "1", "modulename": ""}
                               for s, p, ti, o, _, sc in subquestions]))
        texts = [(q, t) for q, *_, t in questions] + [(s, t) for s, p, ti, o, t, _ in subquestions]
        parts.append(_section("question_l10ns", ["id", "qid", "question", "help", "script",
                                                 "language"],
                              [{"id": f"7{q}{i}", "qid": q, "question": t[lang], "help": "",
                                "script": "", "language": lang}
                               for q, t in texts for i, lang in enumerate(langs)]))
    else:
        parts.append(_section("answers", ["qid", "code", "answer", "sortorder",
                                          "assessment_value", "language", "scale_id"],
                              [{"qid": q, "code": c, "answer": t[lang], "sortorder": o,
                                "assessment_value": "0", "language": lang, "scale_id": sc}
                               for lang in langs for a, q, c, o, t, sc in answers]))
        parts.append(_section("groups", ["gid", "sid", "group_name", "group_order", "description",
                                         "language", "randomization_group", "grelevance"],
                              [{"gid": g, "sid": SID, "group_name": t[lang], "group_order": o,
                                "description": "", "language": lang}
                               for lang in langs for g, o, t in GROUPS]))
        old_fields = qfields[:6] + ["question", "preg", "help"] + qfields[7:10] + ["language"] \
            + qfields[10:]
        parts.append(_section("questions", old_fields,
                              [{"qid": q, "parent_qid": "0", "sid": SID, "gid": g, "type": ty,
                                "title": ti, "question": t[lang], "preg": "", "help": "",
                                "other": ot, "mandatory": "N", "question_order": o,
                                "language": lang, "scale_id": "0", "same_default": "0",
                                "relevance": "1", "modulename": ""}
                               for lang in langs for q, g, ty, ti, ot, o, t in questions]))
        gid_of = {q: g for q, g, *_ in questions}
        parts.append(_section("subquestions", old_fields,
                              [{"qid": s, "parent_qid": p, "sid": SID, "gid": gid_of[p],
                                "type": "T", "title": ti, "question": t[lang], "other": "N",
                                "mandatory": "N", "question_order": o, "language": lang,
                                "scale_id": sc, "same_default": "0", "relevance": "1"}
                               for lang in langs for s, p, ti, o, t, sc in subquestions]))
    parts.append(_section("question_attributes", ["qid", "attribute", "value", "language"],
                          [{"qid": "101", "attribute": "other_position", "value": "end"}]))
    parts.append(_section("surveys", ["sid", "gsid", "admin", "language", "additional_languages",
                                      "datestamp", "anonymized"],
                          [{"sid": SID, "gsid": "1", "admin": "Administrator", "language": langs[0],
                            "additional_languages": " ".join(langs[1:]), "datestamp": "Y",
                            "anonymized": "N"}]))
    parts.append(_section("surveys_languagesettings", ["surveyls_survey_id", "surveyls_language",
                                                       "surveyls_title", "surveyls_description"],
                          [{"surveyls_survey_id": SID, "surveyls_language": lang,
                            "surveyls_title": TITLE[lang], "surveyls_description": ""}
                           for lang in langs]))
    parts.append("</document>")
    return ("\n".join(parts) + "\n").encode("utf-8")


HEADER = ["id", "submitdate", "lastpage", "startlanguage", "seed", "Q1", "Q1[other]",
          "Q2[SQ001]", "Q2[SQ002]", "Q2[SQ003]", "Q5", "Q3[ETAT]", "Q3[REG]", "Q3[DEP]", "Q4",
          "Q6", "Q7"]

# row 6 is incomplete (empty submitdate): excluded by default
ROWS = [
    ["1", "2024-03-04 10:12:00", "2", "fr", "123", "A1", "", "Y", "Y", "", "3",
     "A1", "A2", "A3", "Très utile", "A3", "2024-03-01 00:00:00"],
    ["2", "2024-03-04 11:00:00", "2", "fr", "124", "A2", "", "Y", "", "", "10",
     "A2", "A2", "", "", "A1", ""],
    ["3", "2024-03-05 09:30:00", "2", "fr", "125", "-oth-", "Centre social", "", "", "", "",
     "A4", "A3", "A1", "Plus de réunions; moins de papier", "A2", ""],
    ["4", "2024-03-05 14:00:00", "2", "fr", "126", "A1", "", "", "Y", "", "0",
     "A3", "", "A2", 'Des "moyens" en plus,\nsur deux lignes', "A3", ""],
    ["5", "2024-03-06 08:00:00", "2", "fr", "127", "", "", "Y", "", "", "7.5",
     "", "", "", "", "", ""],
    ["6", "", "1", "fr", "128", "A3", "", "", "", "", "", "", "", "", "", "", ""],
    ["7", "2024-03-07 16:45:00", "2", "fr", "129", "A1", "", "Y", "Y", "", "4",
     "A1", "A1", "A4", "", "A2", ""],
]


def responses_csv(sep: str = ";", encoding: str = "utf-8-sig", header=None, rows=None) -> bytes:
    """The responses export: headings « question code », answers « answer codes », every
    field quoted, Windows line ends, as LimeSurvey writes it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(HEADER if header is None else header)
    writer.writerows(ROWS if rows is None else rows)
    return buffer.getvalue().encode(encoding)
