"""From an export (one row per respondent, columns named by the definition) to a
:class:`Survey`: respondents and answers in long form.

Long form, one row per answer given (``cdv_lib.columns``): ``respondent_id``,
``question_id``, ``row`` (matrix row code, ``""`` otherwise), ``value``:

* ``unique`` / ``echelle`` / ``matrice``: the choice **code**;
* ``multiple``: one row per ticked choice, value = its code;
* ``numerique``: the number as a string (``"12"``, ``"12.5"``);
* ``texte``: the stripped text.

A non-response has **no row**: empty cell, a value of ``valeurs_manquantes``, or, for a
``multiple`` question, nothing ticked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cdv_lib.columns import QUESTION_ID, RESPONDENT_ID, ROW, VALUE
from cdv_lib.errors import DataError, Problem
from cdv_lib.survey.definition import Question, SurveyDefinition, load_definition
from cdv_lib.survey.matching import (
    TICKED,
    UNTICKED,
    ChoiceMatcher,
    fold,
    is_blank,
    number_text,
    parse_number,
)

ANSWER_COLUMNS = [RESPONDENT_ID, QUESTION_ID, ROW, VALUE]


@dataclass
class Survey:
    """A questionnaire with its normalised responses.

    Attributes
    ----------
    definition : SurveyDefinition
    respondents : DataFrame
        ``respondent_id`` then one column per attribute of the definition (strings,
        missing = NA; an attribute with declared ``valeurs`` holds the declared spelling),
        one row per respondent, in file order.
    answers : DataFrame
        long form: ``respondent_id``, ``question_id``, ``row``, ``value`` (strings).
    """

    definition: SurveyDefinition
    respondents: pd.DataFrame
    answers: pd.DataFrame

    @property
    def n_respondents(self) -> int:
        return len(self.respondents)

    def question(self, question_id: str) -> Question:
        return self.definition.question(question_id)


def load_survey(yaml_path: str | Path) -> Survey:
    """Read a questionnaire definition and its response file (named by ``reponses``,
    relative to the YAML).

    Raises
    ------
    DataError
        with every problem found: a column named in the definition absent from the file,
        an empty or duplicate respondent id, a code or label not in the definition, an
        attribute value outside its declared ``valeurs``, a
        scale value out of range, a non-numeric answer to a numeric question...
    """
    definition = load_definition(yaml_path)
    frame = read_responses(definition.responses_path)
    return normalize_responses(definition, frame, file_label=definition.responses_path.name)


def read_responses(path: str | Path, *, file_label: str | None = None) -> pd.DataFrame:
    """Read a response file, all columns as strings, index = spreadsheet row number
    (header = 1, first data row = 2)."""
    path = Path(path)
    label = file_label or path.name
    if not path.is_file():
        raise DataError([Problem(label, None, None, str(path),
                                 "le fichier de réponses nommé par « reponses » dans la définition "
                                 "(absent)")])
    try:
        from cdv_lib.readers import read_table
    except ImportError:
        read_table = None
    if read_table is not None:
        return read_table(path, file_label=label)
    if not path.exists():
        raise DataError([Problem(label, None, None, str(path), "fichier de réponses existant")])
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, dtype=str)
        else:
            frame = pd.read_csv(path, sep=None, engine="python", dtype=str, encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError([Problem(label, None, None, None, f"fichier CSV ou XLSX lisible ({exc})")]) from exc
    frame.index = range(2, len(frame) + 2)
    return frame.dropna(how="all")


def normalize_responses(
    definition: SurveyDefinition, frame: pd.DataFrame, *, file_label: str = "réponses"
) -> Survey:
    """Normalise an export already read into a DataFrame (index = spreadsheet row).

    Parameters
    ----------
    definition : the questionnaire.
    frame : one row per respondent; columns as named by *definition*; cells strings or
        missing.
    file_label : file name used in problem messages.

    Returns
    -------
    Survey

    Raises
    ------
    DataError
        listing every problem (see :func:`load_survey`).
    """
    problems: list[Problem] = []
    headers = {str(c).strip(): c for c in frame.columns}
    yaml_name = definition.source.name if definition.source else "définition"

    def column(name: str) -> object | None:
        if name in frame.columns:
            return name
        return headers.get(name.strip())

    missing_reported: set[str] = set()

    def need(name: str, what: str) -> object | None:
        actual = column(name)
        if actual is None and name not in missing_reported:
            missing_reported.add(name)
            problems.append(Problem(
                file_label, None, name, None,
                f"colonne présente dans le fichier ({what}, nommée dans {yaml_name})",
            ))
        return actual

    missing_keys = {fold(m) for m in definition.missing_values}

    def is_missing(value: object) -> bool:
        return is_blank(value) or fold(value) in missing_keys

    def cell(row, col):
        return None if col is None else row[col]

    id_col = need(definition.id_column, "identifiant du répondant")
    attr_cols = {name: need(col, f"attribut « {name} »") for name, col in definition.attributes.items()}
    allowed_attrs = {name: {fold(v): v for v in values}
                     for name, values in getattr(definition, "attribute_values", {}).items()}

    plans = []
    for q in definition.questions:
        if q.type == "matrice":
            cols = [(r.code, need(r.column, f"question « {q.id} », ligne « {r.code} »")) for r in q.rows]
        elif q.type == "multiple" and q.format == "limesurvey":
            cols = [(c.code, need(c.column, f"question « {q.id} », choix « {c.code} »")) for c in q.choices]
        else:
            cols = [("", need(q.column, f"question « {q.id} »"))]
        plans.append((q, ChoiceMatcher(q.choices), cols))

    respondents: list[dict] = []
    answers: list[tuple[str, str, str, str]] = []
    seen_ids: dict[str, object] = {}
    for rownum, row in frame.iterrows():
        if id_col is None:
            rid = str(rownum)
        else:
            raw_id = row[id_col]
            if is_blank(raw_id):
                problems.append(Problem(file_label, rownum, definition.id_column, raw_id,
                                        "identifiant du répondant non vide"))
                continue
            rid = str(raw_id).strip()
            if rid in seen_ids:
                problems.append(Problem(file_label, rownum, definition.id_column, rid,
                                        f"identifiant unique (déjà vu ligne {seen_ids[rid]})"))
                continue
        seen_ids[rid] = rownum
        record = {RESPONDENT_ID: rid}
        for name, col in attr_cols.items():
            value = cell(row, col)
            if is_missing(value):
                record[name] = None
            elif name in allowed_attrs:
                canonical = allowed_attrs[name].get(fold(value))
                if canonical is None:
                    problems.append(Problem(
                        file_label, rownum, definition.attributes[name], value,
                        f"une valeur admise de l'attribut « {name} » ("
                        + ", ".join(definition.attribute_values[name])
                        + f" ; liste « valeurs » de {yaml_name})"))
                record[name] = canonical
            else:
                record[name] = str(value).strip()
        respondents.append(record)

        for q, matcher, cols in plans:
            if q.type == "multiple" and q.format == "limesurvey":
                for code, col in cols:
                    value = cell(row, col)
                    if is_missing(value):
                        continue
                    key = fold(value)
                    if key in TICKED or matcher.match(value) == code:
                        answers.append((rid, q.id, "", code))
                    elif key not in UNTICKED:
                        problems.append(Problem(file_label, rownum, q.choice(code).column, value,
                                                "case cochée (Y, Oui, 1 ou X) ou vide (N, Non, 0)"))
                continue
            if q.type == "multiple":
                col = cols[0][1]
                value = cell(row, col)
                if is_missing(value):
                    continue
                codes, unknown = matcher.split(value, q.separator)
                unknown = [u for u in unknown if u not in missing_keys]
                if unknown:
                    problems.append(Problem(
                        file_label, rownum, q.column, value,
                        f"libellés ou codes de la question « {q.id} » séparés par « {q.separator} » "
                        f"(inconnu : {', '.join('« ' + u + ' »' for u in unknown)} ; choix : {_choice_list(q)})",
                    ))
                    continue
                answers.extend((rid, q.id, "", code) for code in codes)
                continue
            for row_code, col in cols:
                value = cell(row, col)
                if col is None or is_missing(value):
                    continue
                col_name = str(col)
                if q.type == "numerique":
                    number = parse_number(value)
                    if number is None:
                        problems.append(Problem(file_label, rownum, col_name, value,
                                                f"nombre (question « {q.id} »), ex. 12 ou 12,5"))
                    else:
                        answers.append((rid, q.id, "", number_text(number)))
                elif q.type == "texte":
                    answers.append((rid, q.id, "", str(value).strip()))
                else:
                    code = matcher.match(value)
                    if code is None:
                        problems.append(Problem(file_label, rownum, col_name, value, _expected(q)))
                    else:
                        answers.append((rid, q.id, row_code, code))

    sent = definition.sent
    if definition.census and sent is not None and sent != len(respondents) and not problems:
        problems.append(Problem(
            yaml_name, None, "exhaustif", "oui",
            f"« exhaustif: oui » seulement si tous les questionnaires envoyés ont une réponse "
            f"(envoyes = {sent}, réponses dans {file_label} : {len(respondents)})",
        ))
    if problems:
        raise DataError(problems)
    attr_names = list(definition.attributes)
    resp_frame = pd.DataFrame(respondents, columns=[RESPONDENT_ID, *attr_names])
    answer_frame = pd.DataFrame(answers, columns=ANSWER_COLUMNS)
    return Survey(definition, resp_frame, answer_frame)


def _choice_list(q: Question) -> str:
    return ", ".join(f"{c.code} ({c.label})" if c.code != c.label else c.code for c in q.choices)


def _expected(q: Question) -> str:
    if q.type in ("echelle", "matrice"):
        low, high = q.choices[0], q.choices[-1]
        return (f"un niveau de l'échelle de la question « {q.id} », de « {low.code} » "
                f"({low.label}) à « {high.code} » ({high.label}), code ou libellé")
    return f"un choix de la question « {q.id} », code ou libellé : {_choice_list(q)}"
