"""LimeSurvey: survey structure (``.lss``) and responses CSV → a questionnaire definition
(``questionnaires/<id>.yaml``) and its response file (``questionnaires/<id>_reponses.csv``).

The ``.lss`` is the XML export of the survey structure: ``<document>`` with one section per
table, each ``<fields><fieldname>…</fieldname></fields><rows><row>…</row></rows>`` (values
in CDATA). Two layouts exist:

* LimeSurvey ≥ 4 (``DBVersion`` ≥ 400): texts in ``question_l10ns`` (by ``qid``),
  ``answer_l10ns`` (by ``aid``) and ``group_l10ns`` (by ``gid``);
* LimeSurvey 2-3: texts in the ``questions`` / ``subquestions`` / ``answers`` / ``groups``
  rows themselves, one row per language (``language`` column).

Question types (one letter) map to the contract's types:

=====================  =========================================================
``L`` ``!`` ``5``      ``unique`` (``echelle`` when listed in ``--echelle``);
``Y`` ``G`` ``O``      ``other = Y`` adds the choice ``-oth-`` « Autre » and a
                       ``texte`` question on ``Q[other]``; ``O`` adds its comment
``M`` ``P``            ``multiple`` (one column per subquestion, ``Y``/empty);
                       ``other`` adds a ticked column ``Q[other]_coche`` derived
                       from the text of ``Q[other]``; ``P`` comments → ``texte``
``F`` ``H`` ``A``      ``matrice``: rows = subquestions, levels = answers in their
``B`` ``C`` ``E``      order (``A``: 1-5, ``B``: 1-10, ``C``: oui/incertain/non,
``1``                  ``E``: augmente/stable/diminue); dual scale ``1`` → two
                       matrices (columns ``Q[SQ#0]``, ``Q[SQ#1]``)
``N``, ``K``           ``numerique`` (``K``: one question per subquestion)
``S`` ``T`` ``U``,     ``texte`` (``Q``: one question per subquestion)
``Q``
``:`` ``;``            one ``numerique`` / ``texte`` question per cell
                       (column ``Q[Y_X]``)
=====================  =========================================================

Anything else (date, equation, ranking, upload, text display, language switch) is listed
in the report with the reason, never dropped silently.
"""

from __future__ import annotations

import argparse
import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cdv_lib.errors import DataError, Problem
from cdv_lib.importers.common import (
    COMMUNE_CODE_COLUMN,
    ImportReport,
    ImportResult,
    communes_of_choices,
    csv_bytes,
    fail,
    read_input,
    survey_result,
)
from cdv_lib.survey.definition import Choice
from cdv_lib.survey.matching import ChoiceMatcher, fold, is_blank

DESCRIPTION = ("questionnaire LimeSurvey : structure .lss (LimeSurvey 2 à 6) et export CSV "
               "des réponses (en-têtes « code de question »)")
FILES_HELP = "STRUCTURE.lss [REPONSES.csv]"

SINGLE_TYPES = {"L": "liste", "!": "liste déroulante", "5": "choix 5 points", "Y": "oui/non",
                "G": "genre", "O": "liste avec commentaire"}
MULTIPLE_TYPES = {"M": "choix multiple", "P": "choix multiple avec commentaires"}
ARRAY_TYPES = {"F": "tableau", "H": "tableau par colonne", "A": "tableau 5 points",
               "B": "tableau 10 points", "C": "tableau oui/incertain/non",
               "E": "tableau augmente/stable/diminue", "1": "tableau double échelle"}
NUMERIC_TYPES = {"N": "numérique", "K": "numérique multiple"}
TEXT_TYPES = {"S": "texte court", "T": "texte long", "U": "texte très long",
              "Q": "textes courts multiples"}
UNMAPPED_TYPES = {
    "D": "date : le contrat n'a pas de type date pour les questionnaires",
    "*": "équation : valeur calculée par LimeSurvey, pas une réponse",
    "X": "texte affiché sans réponse",
    "|": "envoi de fichier",
    "R": "classement : pas de type classement dans le contrat",
    "I": "choix de la langue du questionnaire",
}
#: arrays of numbers / texts: one question per cell (row × column subquestions)
CELL_ARRAY_TYPES = {":": "tableau de nombres", ";": "tableau de textes"}
FIXED_CHOICES = {
    "5": [(str(i), str(i)) for i in range(1, 6)],
    "A": [(str(i), str(i)) for i in range(1, 6)],
    "B": [(str(i), str(i)) for i in range(1, 11)],
    "Y": [("Y", "Oui"), ("N", "Non")],
    "G": [("F", "Femme"), ("M", "Homme")],
    "C": [("Y", "Oui"), ("U", "Incertain"), ("N", "Non")],
    "E": [("I", "Augmente"), ("S", "Stable"), ("D", "Diminue")],
}
OTHER_CODE = "-oth-"
OTHER_LABEL = "Autre"
ID_COLUMN = "id"
SUBMITDATE = "submitdate"
COMMUNE_ATTRIBUTE = "commune"  # the attribute the reports filter on for a commune


# --------------------------------------------------------------------------- structure
@dataclass
class LssItem:
    """A subquestion or an answer option: ``code``, ``order``, ``scale`` and its texts by
    language."""

    code: str
    order: int
    scale: int = 0
    texts: dict[str, str] = field(default_factory=dict)


@dataclass
class LssQuestion:
    """A question of the structure (``title`` is the variable code)."""

    qid: str
    gid: str
    type: str
    title: str
    other: bool
    order: int
    texts: dict[str, str] = field(default_factory=dict)
    subquestions: list[LssItem] = field(default_factory=list)
    answers: list[LssItem] = field(default_factory=list)


@dataclass
class LssSurvey:
    """The parts of a ``.lss`` the importer uses. ``questions`` are in survey order (group
    order, then question order); ``layout`` is ``"l10n"`` (LimeSurvey ≥ 4) or ``"ancien"``."""

    sid: str
    db_version: int | None
    layout: str
    language: str
    languages: list[str]
    titles: dict[str, str]
    groups: dict[str, tuple[int, dict[str, str]]]
    questions: list[LssQuestion]

    def text(self, texts: dict[str, str], language: str) -> str:
        return texts.get(language) or ""


def clean_text(text: str | None) -> str:
    """Question text as a reader sees it: HTML tags removed, entities decoded, spaces
    collapsed."""
    if not text:
        return ""
    text = re.sub(r"<(br|/p|/div|/li)\b[^>]*>", " ", text, flags=re.I)
    text = re.sub(r"<[^>]+>", "", text)
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _section(root: ET.Element, name: str) -> list[dict[str, str]] | None:
    section = root.find(name)
    if section is None:
        return None
    rows = section.find("rows")
    if rows is None:
        return []
    return [{child.tag: (child.text or "") for child in row} for row in rows.findall("row")]


def parse_lss(data: bytes, file_label: str = "structure.lss") -> LssSurvey:
    """Parse a LimeSurvey survey structure export.

    Parameters
    ----------
    data : the ``.lss`` file's bytes.
    file_label : name used in problems.

    Returns
    -------
    LssSurvey

    Raises
    ------
    DataError
        not XML (or truncated), not a survey structure, no question.
    """
    if not data.strip():
        raise fail(file_label, "un export de structure LimeSurvey (.lss) ; le fichier est vide")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        raise fail(file_label, "un fichier XML complet (export de structure LimeSurvey .lss) ; "
                   f"XML invalide ou tronqué ({exc})",
                   row=line) from None
    doc_type = (root.findtext("LimeSurveyDocType") or "").strip()
    if root.tag != "document" or doc_type != "Survey":
        found = f"type « {doc_type} »" if doc_type else f"élément racine « {root.tag} »"
        raise fail(file_label, "un export de structure de questionnaire LimeSurvey "
                   f"(<LimeSurveyDocType>Survey) ; trouvé : {found}")
    db_version = _int(root.findtext("DBVersion"), default=-1)
    db_version = None if db_version < 0 else db_version

    surveys = _section(root, "surveys") or []
    if not surveys:
        raise fail(file_label, "une section <surveys> décrivant le questionnaire")
    info = surveys[0]
    sid = info.get("sid", "").strip()
    language = info.get("language", "").strip()
    languages = [language] + [x for x in info.get("additional_languages", "").split() if x != language]
    languages = [x for x in languages if x]
    if not languages:
        languages = [el.text.strip() for el in root.iterfind("languages/language") if el.text]
        language = languages[0] if languages else ""

    titles = {r.get("surveyls_language", ""): clean_text(r.get("surveyls_title"))
              for r in _section(root, "surveys_languagesettings") or []}

    question_rows = _section(root, "questions")
    if not question_rows:
        raise fail(file_label, "une section <questions> avec au moins une question")
    sub_rows = _section(root, "subquestions") or []
    layout = "l10n" if root.find("question_l10ns") is not None else "ancien"

    groups: dict[str, tuple[int, dict[str, str]]] = {}
    for row in _section(root, "groups") or []:
        gid = row.get("gid", "")
        order, texts = groups.get(gid, (_int(row.get("group_order")), {}))
        if "group_name" in row:
            texts[row.get("language", language)] = clean_text(row["group_name"])
        groups[gid] = (order, texts)
    for row in _section(root, "group_l10ns") or []:
        gid = row.get("gid", "")
        order, texts = groups.get(gid, (0, {}))
        texts[row.get("language", "")] = clean_text(row.get("group_name"))
        groups[gid] = (order, texts)

    texts_by_qid: dict[str, dict[str, str]] = {}
    for row in _section(root, "question_l10ns") or []:
        texts_by_qid.setdefault(row.get("qid", ""), {})[row.get("language", "")] = \
            clean_text(row.get("question"))

    questions: dict[str, LssQuestion] = {}
    subs: dict[str, dict[str, LssItem]] = {}
    for row in [*question_rows, *sub_rows]:
        qid = row.get("qid", "").strip()
        parent = row.get("parent_qid", "0").strip() or "0"
        lang = row.get("language", language)
        text = clean_text(row.get("question")) if "question" in row else None
        if parent != "0":
            item = subs.setdefault(parent, {}).get(qid)
            if item is None:
                item = LssItem(row.get("title", "").strip(), _int(row.get("question_order")),
                               _int(row.get("scale_id")))
                subs[parent][qid] = item
            if text is not None:
                item.texts[lang] = text
            item.texts.update(texts_by_qid.get(qid, {}))
            continue
        q = questions.get(qid)
        if q is None:
            q = LssQuestion(qid, row.get("gid", "").strip(), row.get("type", "").strip(),
                            row.get("title", "").strip(), row.get("other", "N").strip() == "Y",
                            _int(row.get("question_order")))
            questions[qid] = q
        if text is not None:
            q.texts[lang] = text
        q.texts.update(texts_by_qid.get(qid, {}))

    answer_texts: dict[str, dict[str, str]] = {}
    for row in _section(root, "answer_l10ns") or []:
        answer_texts.setdefault(row.get("aid", ""), {})[row.get("language", "")] = \
            clean_text(row.get("answer"))
    answers: dict[str, dict[tuple[int, str], LssItem]] = {}
    for row in _section(root, "answers") or []:
        qid = row.get("qid", "").strip()
        key = (_int(row.get("scale_id")), row.get("code", "").strip())
        item = answers.setdefault(qid, {}).get(key)
        if item is None:
            item = LssItem(key[1], _int(row.get("sortorder")), key[0])
            answers[qid][key] = item
        if "answer" in row:
            item.texts[row.get("language", language)] = clean_text(row["answer"])
        item.texts.update(answer_texts.get(row.get("aid", ""), {}))

    for qid, q in questions.items():
        q.subquestions = sorted(subs.get(qid, {}).values(), key=lambda i: (i.scale, i.order))
        q.answers = sorted(answers.get(qid, {}).values(), key=lambda i: (i.scale, i.order))
    ordered = sorted(questions.values(),
                     key=lambda q: (groups.get(q.gid, (0, {}))[0], q.order))
    return LssSurvey(sid, db_version, layout, language, languages, titles, groups, ordered)


# --------------------------------------------------------------------------- mapping
@dataclass
class Mapping:
    """The definition built from a structure: ``questions`` (YAML dicts), the columns each
    needs (``needed``: column → what needs it), derived columns (``derived``: new column →
    the ``[other]`` text column it is ticked from) and the report lines."""

    questions: list[dict] = field(default_factory=list)
    needed: dict[str, str] = field(default_factory=dict)
    derived: dict[str, str] = field(default_factory=dict)
    mapped: list[tuple[str, str]] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    choice_codes: dict[str, list[str]] = field(default_factory=dict)  # title -> codes


def map_questions(survey: LssSurvey, language: str, *, scales=(), theme: str | None = None,
                  file_label: str = "structure.lss") -> Mapping:
    """Map every question of *survey* to the contract's question types.

    Parameters
    ----------
    survey : LssSurvey
    language : language of the labels (one of ``survey.languages``).
    scales : titles of single-choice questions whose choices are ordered (``echelle``).
    theme : theme given to every question (``theme`` of the definition), or None.

    Returns
    -------
    Mapping

    Raises
    ------
    DataError
        a title of *scales* is not a single-choice question of the survey.
    """
    m = Mapping()
    scales = list(scales)
    by_title = {q.title: q for q in survey.questions}
    problems = []
    for title in scales:
        q = by_title.get(title)
        if q is None or q.type not in SINGLE_TYPES:
            what = "absente du questionnaire" if q is None else f"de type « {q.type} »"
            problems.append(Problem(file_label, None, "--echelle", title,
                                    f"une question à choix unique du questionnaire ({what})"))
    if problems:
        raise DataError(problems)

    def label(texts, fallback):
        return texts.get(language) or next((t for t in texts.values() if t), "") or fallback

    def axis(q):
        return label(survey.groups.get(q.gid, (0, {}))[1], "") or None

    def base(q, qid, qtype, text):
        d = {"id": qid, "libelle": text or qid, "type": qtype}
        if theme:
            d["theme"] = theme
        if axis(q):
            d["axe"] = axis(q)
        return d

    def need(col, what):
        m.needed.setdefault(col, what)

    for q in survey.questions:
        t, title = q.type, q.title
        qlabel = label(q.texts, title)
        kind = {**SINGLE_TYPES, **MULTIPLE_TYPES, **ARRAY_TYPES, **NUMERIC_TYPES,
                **TEXT_TYPES, **CELL_ARRAY_TYPES}.get(t)
        where = f"{title} ({kind or 'type ' + t})"
        if t in UNMAPPED_TYPES or kind is None:
            reason = UNMAPPED_TYPES.get(t, f"type LimeSurvey « {t} » inconnu de l'importateur")
            m.dropped.append((f"question {title} « {_short(qlabel)} »", reason))
            continue
        if t in SINGLE_TYPES:
            if t in FIXED_CHOICES:
                choices = [{"code": c, "libelle": lab} for c, lab in FIXED_CHOICES[t]]
            else:
                choices = [{"code": a.code, "libelle": label(a.texts, a.code)}
                           for a in q.answers if a.scale == 0]
            if not choices:
                m.dropped.append((f"question {title}", "liste sans réponse proposée dans la structure"))
                continue
            if q.other and t in ("L", "!"):
                choices.append({"code": OTHER_CODE, "libelle": OTHER_LABEL})
            choices = _unique_labels(choices)
            qtype = "echelle" if title in scales else "unique"
            d = base(q, title, qtype, qlabel)
            d["colonne"] = title
            d["choix"] = choices
            m.questions.append(d)
            m.choice_codes[title] = [c["code"] for c in choices]
            need(title, where)
            m.mapped.append((where, f"{qtype}, {len(choices)} choix"))
            if t == "5" and title not in scales:
                m.notes.append(f"{title} est un choix sur 5 points : --echelle {title} pour le "
                               "traiter comme une échelle ordonnée (médiane)")
            if q.other and t in ("L", "!"):
                _text_question(m, base(q, f"{title}_autre", "texte", f"{qlabel} — Autre (précisez)"),
                               f"{title}[other]", f"{title}[other]")
            if t == "O":
                _text_question(m, base(q, f"{title}_commentaire", "texte", f"{qlabel} — commentaire"),
                               f"{title}[comment]", f"{title}[comment]")
            continue
        if t in MULTIPLE_TYPES:
            subs = [s for s in q.subquestions if s.scale == 0]
            if not subs:
                m.dropped.append((f"question {title}", "choix multiple sans sous-question"))
                continue
            choices = [{"code": s.code, "libelle": label(s.texts, s.code),
                        "colonne": f"{title}[{s.code}]"} for s in subs]
            for s in subs:
                need(f"{title}[{s.code}]", where)
            if q.other:
                derived = f"{title}[other]_coche"
                choices.append({"code": "autre", "libelle": OTHER_LABEL, "colonne": derived})
                m.derived[derived] = f"{title}[other]"
                need(f"{title}[other]", where)
            choices = _unique_labels(choices)
            d = base(q, title, "multiple", qlabel)
            d["format"] = "limesurvey"
            d["choix"] = choices
            m.questions.append(d)
            m.mapped.append((where, f"multiple, {len(choices)} choix (une colonne par choix)"))
            if q.other:
                m.notes.append(f"{title} : la colonne {title}[other]_coche est ajoutée aux réponses "
                               f"(Y quand {title}[other] est rempli) pour compter « Autre »")
                _text_question(m, base(q, f"{title}_autre", "texte", f"{qlabel} — Autre (précisez)"),
                               f"{title}[other]", f"{title}[other]")
            if t == "P":
                for s in subs:
                    _text_question(m, base(q, f"{title}_{s.code}_commentaire", "texte",
                                           f"{qlabel} — {label(s.texts, s.code)} : commentaire"),
                                   f"{title}[{s.code}comment]", f"{title}[{s.code}comment]")
                if q.other:
                    _text_question(m, base(q, f"{title}_autre_commentaire", "texte",
                                           f"{qlabel} — Autre : commentaire"),
                                   f"{title}[othercomment]", f"{title}[othercomment]")
            continue
        if t in ARRAY_TYPES:
            rows = [s for s in q.subquestions if s.scale == 0]
            if not rows:
                m.dropped.append((f"question {title}", "tableau sans sous-question (ligne)"))
                continue
            scales_of = [0, 1] if t == "1" else [0]
            for scale in scales_of:
                if t in FIXED_CHOICES:
                    choices = [{"code": c, "libelle": lab} for c, lab in FIXED_CHOICES[t]]
                else:
                    choices = [{"code": a.code, "libelle": label(a.texts, a.code)}
                               for a in q.answers if a.scale == scale]
                if not choices:
                    m.dropped.append((f"question {title}" + (f" échelle {scale + 1}" if t == "1" else ""),
                                      "tableau sans réponse proposée (colonne)"))
                    continue
                qid = f"{title}_{scale + 1}" if t == "1" else title
                text = f"{qlabel} (échelle {scale + 1})" if t == "1" else qlabel
                d = base(q, qid, "matrice", text)
                suffix = f"#{scale}" if t == "1" else ""
                d["lignes"] = [{"code": s.code, "libelle": label(s.texts, s.code),
                                "colonne": f"{title}[{s.code}{suffix}]"} for s in rows]
                for s in rows:
                    need(f"{title}[{s.code}{suffix}]", where)
                d["choix"] = _unique_labels(choices)
                m.questions.append(d)
                m.mapped.append((where, f"matrice {qid}, {len(rows)} lignes × {len(choices)} "
                                        "niveaux (dans l'ordre des réponses)"))
            continue
        if t in CELL_ARRAY_TYPES:
            qtype = "numerique" if t == ":" else "texte"
            ys = [s for s in q.subquestions if s.scale == 0]
            xs = [s for s in q.subquestions if s.scale == 1]
            if not ys or not xs:
                m.dropped.append((f"question {title}", "tableau sans lignes ou sans colonnes"))
                continue
            for y in ys:
                for x in xs:
                    d = base(q, f"{title}_{y.code}_{x.code}", qtype,
                             f"{qlabel} — {label(y.texts, y.code)} × {label(x.texts, x.code)}")
                    d["colonne"] = f"{title}[{y.code}_{x.code}]"
                    m.questions.append(d)
                    need(d["colonne"], where)
            m.mapped.append((where, f"{len(ys) * len(xs)} question(s) {qtype} (une par case "
                                    f"{len(ys)} × {len(xs)})"))
            continue
        if t == "N":
            d = base(q, title, "numerique", qlabel)
            d["colonne"] = title
            m.questions.append(d)
            need(title, where)
            m.mapped.append((where, "numerique"))
            continue
        if t in ("K", "Q"):
            qtype = "numerique" if t == "K" else "texte"
            subs = [s for s in q.subquestions if s.scale == 0]
            for s in subs:
                d = base(q, f"{title}_{s.code}", qtype, f"{qlabel} — {label(s.texts, s.code)}")
                d["colonne"] = f"{title}[{s.code}]"
                m.questions.append(d)
                need(d["colonne"], where)
            m.mapped.append((where, f"{len(subs)} question(s) {qtype} (une par sous-question)"))
            continue
        # S T U
        _text_question(m, base(q, title, "texte", qlabel), title, where)
    return m


def _text_question(m: Mapping, d: dict, column: str, where: str) -> None:
    d["colonne"] = column
    m.questions.append(d)
    m.needed.setdefault(column, where)
    m.mapped.append((where if where != column else column, f"texte {d['id']}"))


def _unique_labels(choices: list[dict]) -> list[dict]:
    """Suffix repeated labels with their code (the contract wants unique labels)."""
    seen: dict[str, int] = {}
    for c in choices:
        seen[fold(c["libelle"])] = seen.get(fold(c["libelle"]), 0) + 1
    return [{**c, "libelle": f"{c['libelle']} ({c['code']})"} if seen[fold(c["libelle"])] > 1 else c
            for c in choices]


def _short(text: str, limit: int = 50) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slug(text: str) -> str:
    """Identifier from a title: lower-case ASCII, ``_`` between words, at most 40 chars."""
    s = re.sub(r"[^a-z0-9]+", "_", fold(text)).strip("_")
    return s[:40].rstrip("_")


# --------------------------------------------------------------------------- responses
def resolve_columns(needed: dict[str, str], header: list[str]) -> dict[str, str]:
    """Column of the export for each needed column: the same name, or LimeSurvey 2's
    ``Q_SQ`` spelling of ``Q[SQ]``. Missing ones are absent from the result."""
    present = set(header)
    out = {}
    for col in needed:
        if col in present:
            out[col] = col
            continue
        alt = re.sub(r"^(.*)\[(.*)\]$", r"\1_\2", col)
        if alt in present:
            out[col] = alt
    return out


def select_responses(frame: pd.DataFrame, *, keep_incomplete: bool) -> tuple[pd.DataFrame, int]:
    """Complete responses (non-empty ``submitdate``), or all when *keep_incomplete*.

    Returns the kept rows and the number of incomplete ones (kept or not); without a
    ``submitdate`` column every row is kept and the count is 0."""
    if SUBMITDATE not in frame.columns:
        return frame, 0
    incomplete = frame[SUBMITDATE].map(is_blank).astype(bool)
    n = int(incomplete.sum())
    return (frame if keep_incomplete else frame[~incomplete]), n


# --------------------------------------------------------------------------- command
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--id", dest="survey_id", default=None, metavar="ID",
                        help="identifiant du questionnaire (défaut : tiré du titre, sinon "
                             "limesurvey_<numéro>) ; nomme questionnaires/<id>.yaml")
    parser.add_argument("--titre", default=None, help="titre (défaut : celui du questionnaire)")
    parser.add_argument("--langue", default=None, metavar="CODE",
                        help="langue des libellés pour un questionnaire multilingue (ex. fr ; "
                             "défaut : la langue principale)")
    parser.add_argument("--echelle", action="append", default=[], metavar="Q4,Q7",
                        help="questions à choix unique dont les choix sont ordonnés (échelle)")
    parser.add_argument("--incompletes", action="store_true",
                        help="garder les réponses incomplètes (submitdate vide) ; par défaut "
                             "elles sont écartées et comptées")
    parser.add_argument("--theme", default=None,
                        help="thème des questions (ex. gouvernance, participation, sante)")
    parser.add_argument("--attribut", action="append", default=[], metavar="NOM=CODE",
                        help="variable de croisement : NOM=code de question ou colonne de "
                             "l'export (ex. commune=Q1) ; répétable")
    parser.add_argument("--envoyes", type=int, default=None, metavar="N",
                        help="questionnaires envoyés (taux de réponse)")


def parse_attributes(specs: list[str], label: str = "--attribut") -> dict[str, str]:
    """``["commune=Q1", "type=Q2"]`` → ``{"commune": "Q1", "type": "Q2"}``."""
    out = {}
    problems = []
    for spec in specs:
        name, sep, column = spec.partition("=")
        if not sep or not name.strip() or not column.strip():
            problems.append(Problem(label, None, None, spec, "NOM=COLONNE, ex. commune=Q1"))
            continue
        out[name.strip()] = column.strip()
    if problems:
        raise DataError(problems)
    return out


def build(files: list[Path], args: argparse.Namespace, data_dir: Path) -> ImportResult:
    """Read ``STRUCTURE.lss [REPONSES.csv]`` and produce the questionnaire files."""
    if not 1 <= len(files) <= 2:
        raise fail("cdv import limesurvey", "un fichier .lss, puis éventuellement le CSV des réponses",
                   value=" ".join(str(f) for f in files))
    lss_path = files[0]
    if lss_path.suffix.lower() != ".lss":
        raise fail(lss_path.name, "un export de structure LimeSurvey d'extension .lss en premier")
    if not lss_path.is_file():
        raise fail(lss_path.name, f"un fichier existant ({lss_path})")
    survey = parse_lss(lss_path.read_bytes(), lss_path.name)
    report = ImportReport("limesurvey")
    layout = ("LimeSurvey 4 ou plus (textes dans *_l10ns)" if survey.layout == "l10n"
              else "LimeSurvey 2 ou 3 (textes dans les lignes)")
    report.read.append(f"{lss_path.name} : questionnaire {survey.sid}, {layout}, DBVersion "
                       f"{survey.db_version if survey.db_version is not None else 'absente'}, "
                       f"{len(survey.questions)} questions")

    language = args.langue or survey.language
    if language not in survey.languages:
        raise fail(lss_path.name, "une langue du questionnaire : " + ", ".join(survey.languages),
                   column="--langue", value=language)
    if len(survey.languages) > 1:
        others = ", ".join(x for x in survey.languages if x != language)
        report.notes.append(f"questionnaire multilingue : libellés en « {language} »"
                            + ("" if args.langue else " (langue principale)")
                            + f" ; autres langues : {others} (--langue pour en choisir une)")

    scales = [t.strip() for spec in args.echelle for t in spec.split(",") if t.strip()]
    mapping = map_questions(survey, language, scales=scales, theme=args.theme,
                            file_label=lss_path.name)
    title = args.titre or survey.titles.get(language) or next(
        (t for t in survey.titles.values() if t), "") or f"Questionnaire LimeSurvey {survey.sid}"
    survey_id = args.survey_id or slug(survey.titles.get(language, "")) or f"limesurvey_{survey.sid}"
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", survey_id):
        raise fail(lss_path.name, "un identifiant de lettres, chiffres, « _ », « - » ou « . »",
                   column="--id", value=survey_id)
    attributes = parse_attributes(args.attribut)
    responses_name = f"{survey_id}_reponses.csv"
    yaml_rel = f"questionnaires/{survey_id}.yaml"
    responses_rel = f"questionnaires/{responses_name}"

    by_title = {q["id"]: q for q in mapping.questions}
    attr_specs: dict[str, dict] = {}
    commune_from = None  # (answer column, answer code -> code_insee, matcher)
    for name, code in attributes.items():
        q = by_title.get(code)
        if q is not None and "colonne" not in q:
            raise fail(lss_path.name, "une question à une seule colonne (choix unique, texte, "
                       "nombre) ou une colonne de l'export", column="--attribut", value=f"{name}={code}")
        column = q["colonne"] if q is not None else code
        spec = {"colonne": column}
        if q is not None and q["type"] in ("unique", "echelle") and OTHER_CODE not in mapping.choice_codes.get(code, []):
            spec["valeurs"] = list(mapping.choice_codes[code])
        mapping.needed.setdefault(column, f"attribut « {name} »")
        if name == COMMUNE_ATTRIBUTE and q is not None and q["type"] in ("unique", "echelle"):
            insee = communes_of_choices(q["choix"], data_dir)
            if insee and any(k != v for k, v in insee.items()):
                commune_from = (column, insee, ChoiceMatcher([Choice(c["code"], c["libelle"])
                                                              for c in q["choix"]]))
                spec = {"colonne": COMMUNE_CODE_COLUMN, "valeurs": sorted(set(insee.values()))}
                report.notes.append(f"attribut commune : les réponses de {code} sont rapprochées des "
                                    f"communes du dossier par leur nom ; colonne « {COMMUNE_CODE_COLUMN} » "
                                    "ajoutée aux réponses (" + ", ".join(
                                        f"{k} → {v}" for k, v in list(insee.items())[:4])
                                    + ("…" if len(insee) > 4 else "") + ")")
        attr_specs[name] = spec

    definition = {"id": survey_id, "titre": title, "reponses": responses_name,
                  "identifiant": ID_COLUMN}
    if args.envoyes is not None:
        definition["envoyes"] = str(args.envoyes)
    if attr_specs:
        definition["attributs"] = attr_specs
    definition["questions"] = mapping.questions
    if not mapping.questions:
        raise fail(lss_path.name, "au moins une question d'un type reconnu ; aucune : "
                   + "; ".join(f"{w} ({why})" for w, why in mapping.dropped))

    files_out: dict[str, bytes] = {}
    checked_apart: set[str] = set()
    responses, responses_label = None, None
    if len(files) == 2:
        frame = read_input(files[1])
        label = frame.attrs.get("file_label", files[1].name)
        header = [str(c) for c in frame.columns]
        if ID_COLUMN not in header:
            raise fail(label, "une colonne « id » (export LimeSurvey des réponses) ; colonnes lues : "
                       + ", ".join(header[:12]), row=1)
        needed = dict(mapping.needed)
        for derived, source in mapping.derived.items():
            needed.pop(derived, None)
        found = resolve_columns(needed, header)
        missing = [c for c in needed if c not in found]
        if missing and not [c for c in needed if c in found]:
            raise fail(label, "des en-têtes « code de question » (Q1, Q2[SQ001]…) ; aucune des "
                       f"{len(needed)} colonnes attendues n'est là : exporter les réponses avec "
                       "les en-têtes « code de question » et les réponses « codes »", row=1,
                       value=", ".join(header[:6]))
        if missing:
            raise DataError([Problem(label, 1, col, None,
                                     f"la colonne de {needed[col]} (absente de l'export)")
                             for col in missing])
        kept, n_incomplete = select_responses(frame, keep_incomplete=args.incompletes)
        n_rows = len(frame)
        report.read.append(f"{label} : {n_rows} réponses, {len(header)} colonnes")
        if SUBMITDATE not in frame.columns:
            report.notes.append("pas de colonne submitdate : toutes les réponses sont gardées "
                                "(complètes ou non)")
        elif n_incomplete and not args.incompletes:
            report.dropped.append((f"{n_incomplete} réponse(s) incomplète(s)",
                                   "submitdate vide ; --incompletes pour les garder"))
        elif n_incomplete:
            report.notes.append(f"{n_incomplete} réponse(s) incomplète(s) gardée(s) (--incompletes)")
        if kept.empty:
            raise fail(label, "au moins une réponse complète (submitdate rempli) ; "
                       f"{n_incomplete} incomplète(s) : --incompletes pour les garder")
        # rename LimeSurvey 2 spellings (Q_SQ) to the ones of the definition (Q[SQ])
        rename = {src: col for col, src in found.items() if src != col}
        keep_cols = [ID_COLUMN] + ([SUBMITDATE] if SUBMITDATE in header else []) + \
            [found[c] for c in needed if found[c] not in (ID_COLUMN, SUBMITDATE)]
        keep_cols = list(dict.fromkeys(keep_cols))
        out = kept[keep_cols].rename(columns=rename).copy()
        for derived, source in mapping.derived.items():
            out[derived] = out[source].map(lambda v: "" if is_blank(v) else "Y")
        if commune_from is not None:
            source, insee, matcher = commune_from
            out[COMMUNE_CODE_COLUMN] = out[source].map(
                lambda v: "" if is_blank(v) else insee.get(matcher.match(v) or "", ""))
        dropped_cols = [c for c in header if c not in keep_cols]
        if dropped_cols:
            report.dropped.append((f"{len(dropped_cols)} colonne(s) de l'export ("
                                   + ", ".join(dropped_cols[:8]) + ("…" if len(dropped_cols) > 8 else "")
                                   + ")", "ni question reprise ni attribut (données techniques "
                                   "ou personnelles non copiées)"))
        responses, responses_label = out, label
        files_out[responses_rel] = csv_bytes(out.fillna(""))
        report.kept.append(f"{responses_rel} : {len(out)} réponses, {out.shape[1]} colonnes")
    else:
        checked_apart.add(yaml_rel)
        report.notes.append(f"sans fichier de réponses : seule la définition est écrite ; déposer "
                            f"l'export des réponses (en-têtes « code de question ») sous "
                            f"{responses_rel}, puis cdv validate")

    header_comment = (f"# Produit par « cdv import limesurvey » depuis {lss_path.name}"
                      + (f" et {files[1].name}" if len(files) == 2 else "")
                      + f" (questionnaire {survey.sid}, libellés en « {language} »).\n")
    return survey_result(definition, survey_id=survey_id, yaml_rel=yaml_rel,
                         header_comment=header_comment, responses=responses,
                         responses_label=responses_label, files_out=files_out, report=report,
                         mapping=mapping, attr_specs=attr_specs, theme=args.theme,
                         checked_apart=checked_apart)
