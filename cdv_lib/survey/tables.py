"""Tables of a questionnaire: tri à plat, grids, numeric summaries, response rate.

Conventions shared by every table of this package
--------------------------------------------------
* ``part`` is a share in 0..1 of ``base``; ``base`` is the number of selected respondents
  who **answered** the question (non-responses excluded).
* Non-responses are always counted and shown apart: a one-dimensional block of a
  frequency table ends with a row ``code = "_nr"``, ``libelle = "Non-réponse"``,
  ``effectif`` = the number of selected respondents who did not answer, ``part`` = NaN.
  Wide tables (one row per matrix row or per group) carry a ``non_reponses`` column.
* ``multiple``: ``effectif`` counts respondents who ticked the choice, ``base`` the
  respondents who ticked at least one choice: shares do not add up to 1.
* ``where`` selects respondents before anything is counted (bases are recomputed on the
  selection): ``None``; a dict ``{name: value or list of values}`` where ``name`` is an
  attribute (compared case- and accent-insensitively) or a question id (answer code or
  label); or a boolean Series over ``survey.respondents`` (same index, or indexed by
  respondent id).
* The median of an ordered scale is the **lower median**: the lowest level at or below
  which at least half of the answers lie (for an even count with a tie between two
  levels, the lower one). A mean of levels is never computed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cdv_lib.columns import QUESTION_ID, RESPONDENT_ID, ROW, VALUE
from cdv_lib.survey.definition import Question
from cdv_lib.survey.matching import ChoiceMatcher, fold
from cdv_lib.survey.normalize import Survey

NON_RESPONSE_CODE = "_nr"
NON_RESPONSE_LABEL = "Non-réponse"
FREQUENCY_COLUMNS = ["code", "libelle", "effectif", "part", "base"]


# --- selection ---------------------------------------------------------------------------

def selected_ids(survey: Survey, where=None) -> pd.Index:
    """Respondent ids selected by *where* (see the module docstring), in file order."""
    ids = survey.respondents[RESPONDENT_ID]
    if where is None:
        return pd.Index(ids)
    if isinstance(where, pd.Series):
        mask = where
        if not mask.index.equals(survey.respondents.index):
            if not set(ids) <= set(mask.index):
                raise ValueError("filtre : la série booléenne doit couvrir tous les répondants")
            mask = mask.reindex(ids)
            mask.index = survey.respondents.index
        return pd.Index(ids[mask.fillna(False).astype(bool)])
    if not isinstance(where, Mapping):
        raise TypeError("filtre : un dictionnaire {attribut: valeur(s)} ou une série booléenne")
    keep = pd.Series(True, index=survey.respondents.index)
    for name, wanted in where.items():
        values = list(wanted) if isinstance(wanted, (list, tuple, set, frozenset)) else [wanted]
        if name in survey.definition.attributes:
            keys = {fold(v) for v in values}
            column = survey.respondents[name]
            keep &= column.map(lambda v: not pd.isna(v) and fold(v) in keys).astype(bool)
            continue
        try:
            question = survey.question(name)
        except KeyError:
            known = ", ".join([*survey.definition.attributes, *(q.id for q in survey.definition.questions)])
            raise ValueError(f"filtre : « {name} » n'est ni un attribut ni une question ({known})") from None
        matcher = ChoiceMatcher(question.choices)
        codes = {matcher.match(v) or str(v) for v in values}
        a = survey.answers
        hit = a.loc[(a[QUESTION_ID] == name) & a[VALUE].isin(codes), RESPONDENT_ID]
        keep &= ids.isin(set(hit))
    return pd.Index(ids[keep])


def filter_survey(survey: Survey, where=None) -> Survey:
    """The same survey restricted to the respondents selected by *where*."""
    if where is None:
        return survey
    ids = selected_ids(survey, where)
    respondents = survey.respondents[survey.respondents[RESPONDENT_ID].isin(ids)].reset_index(drop=True)
    answers = survey.answers[survey.answers[RESPONDENT_ID].isin(ids)].reset_index(drop=True)
    return Survey(survey.definition, respondents, answers)


def _question_answers(survey: Survey, question: Question, ids: pd.Index, row: str = "") -> pd.DataFrame:
    a = survey.answers
    sel = (a[QUESTION_ID] == question.id) & (a[ROW] == row) & a[RESPONDENT_ID].isin(ids)
    return a.loc[sel, [RESPONDENT_ID, VALUE]]


def _require(question: Question, types: Sequence[str], hint: str) -> None:
    if question.type not in types:
        raise ValueError(f"question « {question.id} » de type {question.type} : {hint}")


# --- one-dimensional tables --------------------------------------------------------------

def frequencies(survey: Survey, question_id: str, *, row: str | None = None, where=None,
                ci: bool = False) -> pd.DataFrame:
    """Tri à plat of a choice question.

    Parameters
    ----------
    survey : Survey
    question_id : a ``unique``, ``echelle``, ``multiple`` or ``matrice`` question.
    row : for a ``matrice``, the code of the matrix row to count (required).
    where : respondent selection (module docstring).
    ci : add the 95 % Wilson interval of each share (``ic_bas``, ``ic_haut``, NaN for a
        census: see :mod:`cdv_lib.survey.uncertainty`); ``attrs["exhaustif"]`` says which.

    Returns
    -------
    DataFrame
        one row per choice in definition order, then the ``_nr`` row:
        ``code`` (str), ``libelle`` (str), ``effectif`` (int), ``part`` (float 0..1 of
        ``base``, NaN on the ``_nr`` row and when ``base`` is 0), ``base`` (int, same on
        every row: respondents who answered); with *ci*, ``ic_bas`` and ``ic_haut``
        (float 0..1).
    """
    question = survey.question(question_id)
    _require(question, ("unique", "echelle", "multiple", "matrice"),
             "utiliser numeric_summary (numerique) ou text_answers (texte)")
    if question.type == "matrice":
        codes = [r.code for r in question.rows]
        if row not in codes:
            raise ValueError(f"question « {question.id} » (matrice) : préciser row parmi {', '.join(codes)}")
    elif row not in (None, ""):
        raise ValueError(f"question « {question.id} » : row ne vaut que pour une matrice")
    ids = selected_ids(survey, where)
    table = _frequency_block(question, _question_answers(survey, question, ids, row or ""), len(ids))
    return _with_intervals(survey, table) if ci else table


def _with_intervals(survey: Survey, table: pd.DataFrame) -> pd.DataFrame:
    from cdv_lib.survey.uncertainty import add_intervals, is_census

    return add_intervals(table, census=is_census(survey))


def _frequency_block(question: Question, answers: pd.DataFrame, n_selected: int) -> pd.DataFrame:
    counts = answers.groupby(VALUE)[RESPONDENT_ID].nunique()
    base = int(answers[RESPONDENT_ID].nunique())
    records = []
    for choice in question.choices:
        n = int(counts.get(choice.code, 0))
        records.append((choice.code, choice.label, n, n / base if base else np.nan, base))
    records.append((NON_RESPONSE_CODE, NON_RESPONSE_LABEL, n_selected - base, np.nan, base))
    table = pd.DataFrame(records, columns=FREQUENCY_COLUMNS)
    return table.astype({"effectif": "int64", "part": "float64", "base": "int64"})


def ordered_median(values: Sequence[str], levels: Sequence[str]) -> str | None:
    """Lower median of ordered categories.

    Parameters
    ----------
    values : the answers (level codes), in any order; codes not in *levels* are ignored.
    levels : level codes from the lowest to the highest.

    Returns
    -------
    The level at position ``ceil(n / 2)`` of the sorted answers (1-based), i.e. the lowest
    level whose cumulative count reaches half of the answers; ``None`` when there is none.
    """
    rank = {code: i for i, code in enumerate(levels)}
    ranks = sorted(rank[v] for v in values if v in rank)
    if not ranks:
        return None
    return levels[ranks[(len(ranks) - 1) // 2]]


def median_level(survey: Survey, question_id: str, *, row: str | None = None, where=None) -> str | None:
    """Lower median level code of an ``echelle`` question (or of one row of a ``matrice``)."""
    question = survey.question(question_id)
    _require(question, ("echelle", "matrice"), "la médiane ne vaut que pour des choix ordonnés")
    ids = selected_ids(survey, where)
    answers = _question_answers(survey, question, ids, row or "")
    return ordered_median(list(answers[VALUE]), question.choice_codes)


# --- grids ---------------------------------------------------------------------------------

def matrix_frequencies(survey: Survey, question_id: str, *, where=None, ci: bool = False) -> pd.DataFrame:
    """Long frequency table of a ``matrice``: one :func:`frequencies` block per matrix row
    (*ci*: with the intervals of :func:`frequencies`).

    Returns
    -------
    DataFrame
        ``ligne`` (row code), ``ligne_libelle``, then the columns of :func:`frequencies`
        (each block ends with its ``_nr`` row; ``base`` is per matrix row).
    """
    question = survey.question(question_id)
    _require(question, ("matrice",), "utiliser frequencies")
    ids = selected_ids(survey, where)
    blocks = []
    for mrow in question.rows:
        block = _frequency_block(question, _question_answers(survey, question, ids, mrow.code), len(ids))
        block.insert(0, "ligne_libelle", mrow.label)
        block.insert(0, "ligne", mrow.code)
        blocks.append(block)
    table = pd.concat(blocks, ignore_index=True)
    return _with_intervals(survey, table) if ci else table


def matrix_table(survey: Survey, question_id: str, *, where=None, value: str = "part") -> pd.DataFrame:
    """Wide table of a ``matrice`` (e.g. cooperation grid: partners × levels).

    Parameters
    ----------
    value : ``"part"`` (shares 0..1 of each row's base) or ``"effectif"`` (counts).

    Returns
    -------
    DataFrame
        one row per matrix row in definition order: ``code``, ``libelle``, one column per
        level **named by its label**, in level order, then ``base``, ``non_reponses``,
        ``mediane`` (lower median level code, None without answers) and
        ``mediane_libelle``.
    """
    if value not in ("part", "effectif"):
        raise ValueError("value : « part » ou « effectif »")
    question = survey.question(question_id)
    long = matrix_frequencies(survey, question_id, where=where)
    ids = selected_ids(survey, where)
    records = []
    for mrow in question.rows:
        block = long[long["ligne"] == mrow.code]
        levels = block[block["code"] != NON_RESPONSE_CODE]
        nr = block[block["code"] == NON_RESPONSE_CODE]
        record = {"code": mrow.code, "libelle": mrow.label}
        record.update(dict(zip(levels["libelle"], levels[value])))
        median = ordered_median(
            list(_question_answers(survey, question, ids, mrow.code)[VALUE]), question.choice_codes
        )
        record.update(
            base=int(nr["base"].iloc[0]),
            non_reponses=int(nr["effectif"].iloc[0]),
            mediane=median,
            mediane_libelle=question.choice(median).label if median is not None else None,
        )
        records.append(record)
    return pd.DataFrame(records)


# --- other question types --------------------------------------------------------------------

def numeric_summary(survey: Survey, question_id: str, *, where=None) -> pd.DataFrame:
    """Summary of a ``numerique`` question.

    Returns
    -------
    DataFrame
        one row: ``base`` (answers), ``non_reponses``, ``minimum``, ``mediane``,
        ``moyenne``, ``maximum``, ``total`` (NaN without answers).
    """
    question = survey.question(question_id)
    _require(question, ("numerique",), "utiliser frequencies")
    ids = selected_ids(survey, where)
    values = _question_answers(survey, question, ids)[VALUE].astype(float)
    base = len(values)
    empty = base == 0
    return pd.DataFrame([{
        "base": base,
        "non_reponses": len(ids) - base,
        "minimum": np.nan if empty else values.min(),
        "mediane": np.nan if empty else values.median(),
        "moyenne": np.nan if empty else values.mean(),
        "maximum": np.nan if empty else values.max(),
        "total": np.nan if empty else values.sum(),
    }])


def text_answers(survey: Survey, question_id: str, *, where=None) -> pd.DataFrame:
    """Answers to a ``texte`` question: ``respondent_id``, ``texte`` (file order)."""
    question = survey.question(question_id)
    _require(question, ("texte",), "utiliser frequencies")
    ids = selected_ids(survey, where)
    answers = _question_answers(survey, question, ids)
    return answers.rename(columns={VALUE: "texte"}).reset_index(drop=True)


def response_rate(survey: Survey) -> dict:
    """Response rate: ``{"reponses": int, "envoyes": int | None, "taux": float}`` with
    ``taux`` in 0..1, NaN when ``envoyes`` is unknown or 0."""
    n = survey.n_respondents
    sent = survey.definition.sent
    return {"reponses": n, "envoyes": sent, "taux": n / sent if sent else np.nan}
