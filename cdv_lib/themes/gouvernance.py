"""Gouvernance: the communes' and associations' questionnaires, axis by axis, the
cooperation grid per partner, the response rates.

Every count comes from the survey engine (:mod:`cdv_lib.survey.tables`): bases exclude
non-responses, which are kept as a row of their own; a multiple-choice share is a share of
respondents. This module only selects, stacks and renames to the themes' convention
(``n`` numerator, ``base_n`` base, ``part`` share in [0, 1]).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from cdv_lib.survey import Survey
from cdv_lib.survey import tables as st

__all__ = [
    "CHOICE_TYPES",
    "NO_AXIS",
    "cooperation_grid",
    "cooperation_long",
    "find_matrix_question",
    "question_table",
    "questionnaire_axes",
    "typed_question_table",
    "response_rates",
]

CHOICE_TYPES = ("unique", "multiple", "echelle", "matrice")
NO_AXIS = "Sans axe"
RESULT_COLUMNS = ["questionnaire", "axe", "question_id", "question", "type", "ligne",
                  "ligne_libelle", "code", "libelle", "n", "part", "base_n"]


def question_table(survey: Survey, question_ids: Iterable[str] | None = None, *,
                   theme: str | None = None, where=None) -> pd.DataFrame:
    """Frequencies of several choice questions stacked in one long table.

    Parameters
    ----------
    survey : Survey
    question_ids : iterable of str, optional
        Questions to include, in that order; by default every ``unique``, ``multiple``,
        ``echelle`` and ``matrice`` question in definition order (``numerique`` and
        ``texte`` questions have no frequencies: use ``survey.tables.numeric_summary``;
        free texts are never stacked here, they may identify a respondent).
    theme : str, optional
        Keep only questions of that ``theme``.
    where : optional
        Respondent selection, passed to the survey engine.

    Returns
    -------
    DataFrame
        ``questionnaire``, ``axe`` (``Sans axe`` when the definition gives none),
        ``question_id``, ``question`` (label), ``type``, ``ligne``/``ligne_libelle``
        (matrix row, ``""`` otherwise), ``code``, ``libelle``, ``n`` (Int64),
        ``part`` (share of ``base_n``; NaN on the non-response row ``code = "_nr"``),
        ``base_n`` (Int64, respondents who answered). One block per question (per
        matrix row), each ending with its non-response row.
    """
    definition = survey.definition
    if question_ids is None:
        questions = [q for q in definition.questions if q.type in CHOICE_TYPES]
    else:
        questions = [definition.question(qid) for qid in question_ids]
        bad = [q.id for q in questions if q.type not in CHOICE_TYPES]
        if bad:
            raise ValueError("Questions sans modalités (numérique ou texte) : "
                             + ", ".join(bad) + ".")
    if theme is not None:
        questions = [q for q in questions if q.theme == theme]
    blocks = []
    for q in questions:
        if q.type == "matrice":
            block = st.matrix_frequencies(survey, q.id, where=where)
        else:
            block = st.frequencies(survey, q.id, where=where)
            block.insert(0, "ligne_libelle", "")
            block.insert(0, "ligne", "")
        block.insert(0, "type", q.type)
        block.insert(0, "question", q.label)
        block.insert(0, "question_id", q.id)
        block.insert(0, "axe", q.axis or NO_AXIS)
        block.insert(0, "questionnaire", definition.id)
        blocks.append(block)
    if not blocks:
        return typed_question_table(pd.DataFrame(columns=[*RESULT_COLUMNS[:9], "effectif", "part", "base"]))
    return typed_question_table(pd.concat(blocks, ignore_index=True))


def typed_question_table(table: pd.DataFrame, *, first: tuple[str, ...] = ()) -> pd.DataFrame:
    """Stacked survey frequencies (``effectif``/``base``) in the themes' convention:
    ``n``/``base_n`` (Int64), ``part`` (float), labels as strings, the columns of
    :data:`RESULT_COLUMNS` after the *first* ones kept as they are (``code_epci``...)."""
    table = table.rename(columns={"effectif": "n", "base": "base_n"})
    table["n"] = table["n"].astype("Int64")
    table["base_n"] = table["base_n"].astype("Int64")
    table["part"] = table["part"].astype("float64")
    for col in ["questionnaire", "axe", "question_id", "question", "type", "ligne",
                "ligne_libelle", "code", "libelle"]:
        table[col] = table[col].astype("string")
    return table[[*first, *RESULT_COLUMNS]].reset_index(drop=True)


def questionnaire_axes(survey: Survey, *, theme: str | None = None,
                       where=None) -> dict[str, pd.DataFrame]:
    """One table per axis of the questionnaire, axes in order of first appearance.

    Returns
    -------
    dict
        ``{axe: DataFrame}`` — each table as :func:`question_table`, restricted to the
        axis' choice questions in definition order. Questions without ``axe`` fall in
        ``Sans axe``.
    """
    table = question_table(survey, theme=theme, where=where)
    return {axis: grp.reset_index(drop=True)
            for axis, grp in table.groupby("axe", sort=False)}


def find_matrix_question(survey: Survey, question_id: str | None = None) -> str:
    """*question_id* if given, else the only ``matrice`` question of the survey."""
    if question_id is not None:
        q = survey.question(question_id)
        if q.type != "matrice":
            raise ValueError(f"La question « {q.id} » n'est pas une grille (matrice).")
        return q.id
    grids = [q.id for q in survey.definition.questions if q.type == "matrice"]
    if len(grids) != 1:
        raise ValueError(f"Questionnaire « {survey.definition.id} » : "
                         f"{len(grids)} grille(s) (matrice) — préciser question_id "
                         f"({', '.join(grids) or 'aucune'}).")
    return grids[0]


def cooperation_grid(survey: Survey, question_id: str | None = None, *,
                     where=None) -> pd.DataFrame:
    """The cooperation grid per partner: shares per level, base and median level.

    Parameters
    ----------
    survey : Survey
    question_id : str, optional
        The ``matrice`` question (partners × ordered levels); the survey's only grid by
        default.
    where : optional
        Respondent selection.

    Returns
    -------
    DataFrame
        One row per partner, in definition order: ``code``, ``partenaire`` (label), one
        column per level **named by its label** in level order (share of ``base_n``),
        ``base_n`` (Int64), ``non_reponses`` (Int64), ``mediane`` (lower median level
        code, NA without answers), ``mediane_libelle``. Counts per cell:
        :func:`cooperation_long`.
    """
    qid = find_matrix_question(survey, question_id)
    return typed_cooperation_grid(st.matrix_table(survey, qid, where=where, value="part"))


def typed_cooperation_grid(wide: pd.DataFrame) -> pd.DataFrame:
    """A matrix table of shares (:func:`cdv_lib.survey.tables.matrix_table`, ``value="part"``)
    in the columns of :func:`cooperation_grid` (also for the national benchmark's grouped
    table, which has the EPCI first)."""
    wide = wide.rename(columns={"libelle": "partenaire", "base": "base_n"})
    wide["base_n"] = wide["base_n"].astype("Int64")
    wide["non_reponses"] = wide["non_reponses"].astype("Int64")
    wide["mediane"] = wide["mediane"].astype("string")
    wide["mediane_libelle"] = wide["mediane_libelle"].astype("string")
    return wide


def cooperation_long(survey: Survey, question_id: str | None = None, *,
                     where=None) -> pd.DataFrame:
    """The cooperation grid in long form, with the count behind every share.

    Returns
    -------
    DataFrame
        ``code`` (partner code), ``partenaire``, ``niveau`` (ordered categorical of level
        labels), ``code_niveau``, ``n`` (Int64), ``part``, ``base_n`` (Int64, the
        partner's respondents who answered). Non-responses are not rows here (see
        :func:`cooperation_grid`'s ``non_reponses``).
    """
    qid = find_matrix_question(survey, question_id)
    q = survey.question(qid)
    long = st.matrix_frequencies(survey, qid, where=where)
    long = long[long["code"] != st.NON_RESPONSE_CODE]
    out = pd.DataFrame({
        "code": long["ligne"].astype("string").to_numpy(),
        "partenaire": long["ligne_libelle"].astype("string").to_numpy(),
        "niveau": pd.Categorical(long["libelle"], categories=[c.label for c in q.choices],
                                 ordered=True),
        "code_niveau": long["code"].astype("string").to_numpy(),
        "n": long["effectif"].astype("Int64").to_numpy(),
        "part": long["part"].astype("float64").to_numpy(),
        "base_n": long["base"].astype("Int64").to_numpy(),
    })
    return out


def response_rates(surveys: Mapping[str, Survey] | Iterable[Survey]) -> pd.DataFrame:
    """Response rate of each questionnaire.

    Parameters
    ----------
    surveys : mapping or iterable of Survey
        e.g. ``{"communes": s1, "associations": s2}``; the key (or the definition id)
        names the row.

    Returns
    -------
    DataFrame
        ``questionnaire``, ``titre``, ``recus`` (Int64), ``envoyes`` (Int64, NA when the
        definition does not say), ``taux`` (``recus / envoyes``, NaN when unknown),
        ``base_n`` (= ``envoyes``, the base of ``taux``).
    """
    items = surveys.items() if isinstance(surveys, Mapping) else (
        (s.definition.id, s) for s in surveys)
    rows = []
    for name, survey in items:
        rate = st.response_rate(survey)
        sent = rate["envoyes"]
        rows.append({"questionnaire": name, "titre": survey.definition.title,
                     "recus": rate["reponses"], "envoyes": sent if sent is not None else pd.NA,
                     "taux": float(rate["taux"]) if sent else np.nan})
    out = pd.DataFrame(rows, columns=["questionnaire", "titre", "recus", "envoyes", "taux"])
    out["recus"] = out["recus"].astype("Int64")
    out["envoyes"] = out["envoyes"].astype("Int64")
    out["taux"] = out["taux"].astype("float64")
    out["base_n"] = out["envoyes"]
    return out
