"""Cross tabulation of a choice question by an attribute (commune, type, size...) or by
another single-choice question, with a chi-square test of independence when it is valid.

The chi-square is Pearson's, without continuity correction, computed on the groups ×
choices counts after dropping groups and choices with no answer. It is reported only
when Cochran's rule holds: every expected count ≥ 1 and at least 80 % of them ≥ 5 (for a
2 × 2 table: all four ≥ 5). When it does not hold and the table is 2 × 2, Fisher's exact
test is reported instead (two-sided); otherwise ``p_value`` is NaN and ``note`` says why,
in French.

The answers to a ``multiple`` question are not exclusive, so no global test applies; each
choice is tested on its own (groups × ticked / not ticked among the group's respondents
to the question, same rules): :func:`choice_tests`, ``attrs["tests_par_choix"]``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdv_lib.columns import RESPONDENT_ID, VALUE
from cdv_lib.survey.matching import fold
from cdv_lib.survey.normalize import Survey
from cdv_lib.survey.tables import (
    NON_RESPONSE_CODE,
    NON_RESPONSE_LABEL,
    _question_answers,
    _require,
    selected_ids,
)

GROUP = "groupe"
NOTE_VALID = "test du khi-deux de Pearson (sans correction de continuité)"
NOTE_FISHER = (
    "test exact de Fisher (tableau 2 × 2 dont un effectif théorique est inférieur à 5, "
    "khi-deux non applicable)"
)
NOTE_EXPECTED = (
    "effectifs théoriques insuffisants (règle de Cochran : tous ≥ 1 et au moins 80 % ≥ 5) : "
    "test non calculé"
)
NOTE_MULTIPLE = (
    "question à choix multiple : réponses non exclusives, test du khi-deux non applicable "
    "au tableau entier (un test par réponse, cochée ou non)"
)
METHOD_CHI2 = "khi2"
METHOD_FISHER = "fisher"
TEST_COLUMNS = ["code", "libelle", "methode", "chi2", "ddl", "p_value", "valide", "note"]
NOTE_TOO_SMALL = "moins de deux groupes ou de deux modalités avec des réponses : test non calculé"


def group_of(survey: Survey, by: str, *, where=None) -> tuple[pd.Series, list[str]]:
    """Group label of each selected respondent.

    *by* is an attribute (groups = its values, sorted case- and accent-insensitively,
    spelled as first met) or a ``unique``/``echelle`` question (groups = choice labels in
    definition order). Respondents without a value are left out.

    Returns
    -------
    (Series indexed by respondent_id holding the group label, ordered group labels)
    """
    ids = selected_ids(survey, where)
    if by in survey.definition.attributes:
        resp = survey.respondents.set_index(RESPONDENT_ID).loc[list(ids), by].dropna()
        resp = resp.astype(str).str.strip()
        spelling: dict[str, str] = {}
        for value in resp:
            spelling.setdefault(fold(value), value)
        labels = resp.map(lambda v: spelling[fold(v)])
        order = [spelling[k] for k in sorted(spelling)]
        return labels, order
    question = survey.question(by)
    _require(question, ("unique", "echelle"), "un croisement se fait par un attribut ou une question à choix unique")
    answers = _question_answers(survey, question, ids).set_index(RESPONDENT_ID)[VALUE]
    labels = answers.map(lambda code: question.choice(code).label)
    order = [c.label for c in question.choices if c.code in set(answers)]
    return labels, order


def crosstab(survey: Survey, question_id: str, by: str, *, row: str | None = None, where=None,
             ci: bool = False) -> pd.DataFrame:
    """Frequencies of *question_id* within each group of *by*.

    Parameters
    ----------
    survey : Survey
    question_id : a ``unique``, ``echelle``, ``multiple`` or ``matrice`` question
        (``row`` = matrix row code for a ``matrice``).
    by : attribute name or id of a single-choice question.
    where : respondent selection, applied before grouping.
    ci : add the 95 % Wilson interval of each share within its group (``ic_bas``,
        ``ic_haut``; NaN for a census, see :mod:`cdv_lib.survey.uncertainty`).

    Returns
    -------
    DataFrame
        one :func:`~cdv_lib.survey.tables.frequencies` block per group, groups in order:
        ``groupe``, ``code``, ``libelle``, ``effectif``, ``part`` (share within the group),
        ``base`` (group's respondents who answered); each block ends with its ``_nr`` row.
        ``attrs["test"]`` holds :func:`independence_test` of the table;
        ``attrs["tests_par_choix"]`` (``multiple`` only) the rows of :func:`choice_tests`
        as a list of dicts;
        ``attrs["sans_groupe"]`` the number of selected respondents without a group;
        with *ci*, columns ``ic_bas``, ``ic_haut`` and ``attrs["exhaustif"]``.
    """
    question = survey.question(question_id)
    _require(question, ("unique", "echelle", "multiple", "matrice"), "croisement impossible")
    if question.type == "matrice" and row not in [r.code for r in question.rows]:
        raise ValueError(f"question « {question.id} » (matrice) : préciser row")
    labels, order = group_of(survey, by, where=where)
    ids = selected_ids(survey, where)
    all_answers = _question_answers(survey, question, ids, row or "")
    if order:
        table = _group_blocks(question, all_answers, labels, order)
    else:
        table = pd.DataFrame(columns=[GROUP, "code", "libelle", "effectif", "part", "base"])
    multiple = question.type == "multiple"
    table.attrs["test"] = independence_test(table, multiple=multiple)
    if multiple:
        # records, not a DataFrame: pandas compares attrs when it combines frames
        table.attrs["tests_par_choix"] = choice_tests(table).to_dict("records")
    table.attrs["sans_groupe"] = int(len(ids) - len(labels))
    if ci:
        from cdv_lib.survey.uncertainty import add_intervals, is_census

        table = add_intervals(table, census=is_census(survey))
    return table


def _group_blocks(question, answers: pd.DataFrame, labels: pd.Series,
                  order: list[str]) -> pd.DataFrame:
    """One frequency block per group (as :func:`~cdv_lib.survey.tables.frequencies`),
    from a single merge of the group labels onto the answers and one groupby."""
    pairs = pd.DataFrame({RESPONDENT_ID: labels.index, GROUP: labels.to_numpy()})
    merged = answers.merge(pairs.drop_duplicates(), on=RESPONDENT_ID, how="inner")
    codes = [c.code for c in question.choices]
    names = [c.label for c in question.choices]
    counts = merged.groupby([GROUP, VALUE])[RESPONDENT_ID].nunique()
    grid = pd.MultiIndex.from_product([order, codes], names=[GROUP, VALUE])
    effectif = counts.reindex(grid, fill_value=0).to_numpy("int64").reshape(len(order), len(codes))
    base = merged.groupby(GROUP)[RESPONDENT_ID].nunique().reindex(order, fill_value=0)
    base = base.to_numpy("int64")
    selected = labels.value_counts().reindex(order, fill_value=0).to_numpy("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        part = np.where(base[:, None] > 0, effectif / base[:, None], np.nan)
    width = len(codes) + 1
    effectif = np.column_stack([effectif, selected - base])
    part = np.column_stack([part, np.full(len(order), np.nan)])
    table = pd.DataFrame({
        GROUP: [g for g in order for _ in range(width)],
        "code": (codes + [NON_RESPONSE_CODE]) * len(order),
        "libelle": (names + [NON_RESPONSE_LABEL]) * len(order),
        "effectif": effectif.ravel(),
        "part": part.ravel(),
        "base": np.repeat(base, width),
    })
    return table.astype({"effectif": "int64", "part": "float64", "base": "int64"})


def counts_matrix(table: pd.DataFrame) -> pd.DataFrame:
    """Groups × choice codes counts of a :func:`crosstab` table (non-responses left out),
    groups and choices in table order."""
    body = table[table["code"] != NON_RESPONSE_CODE]
    groups = list(dict.fromkeys(body[GROUP]))
    codes = list(dict.fromkeys(body["code"]))
    matrix = body.pivot(index=GROUP, columns="code", values="effectif")
    return matrix.reindex(index=groups, columns=codes).fillna(0).astype("int64")


def pivot_crosstab(table: pd.DataFrame, *, value: str = "part") -> pd.DataFrame:
    """Wide form of a :func:`crosstab` table for display.

    Returns
    -------
    DataFrame
        one row per group: ``groupe``, one column per choice **named by its label**
        (``value`` = ``"part"`` or ``"effectif"``), ``base``, ``non_reponses``.
    """
    body = table[table["code"] != NON_RESPONSE_CODE]
    nr = table[table["code"] == NON_RESPONSE_CODE].set_index(GROUP)
    groups = list(dict.fromkeys(table[GROUP]))
    labels = list(dict.fromkeys(body["libelle"]))
    wide = body.pivot(index=GROUP, columns="libelle", values=value).reindex(index=groups, columns=labels)
    wide.columns.name = None
    wide["base"] = nr["base"].reindex(groups)
    wide["non_reponses"] = nr["effectif"].reindex(groups)
    return wide.reset_index()


def independence_test(table: pd.DataFrame, *, multiple: bool = False) -> dict:
    """Test of independence of a :func:`crosstab` table (groups × choices).

    Returns
    -------
    dict
        ``methode`` (``"khi2"``, ``"fisher"`` or None), ``chi2`` (float), ``ddl``
        (degrees of freedom, int), ``p_value`` (float), ``valide`` (bool), ``note`` (French
        explanation). Without a test ``chi2`` and ``p_value`` are NaN and ``ddl`` is 0; for
        Fisher's test ``chi2`` is NaN and ``ddl`` 0.
    """
    if multiple:
        return {**_NO_TEST, "note": NOTE_MULTIPLE}
    if table.empty:
        return {**_NO_TEST, "note": NOTE_TOO_SMALL}
    return matrix_test(counts_matrix(table).to_numpy())


_NO_TEST = {"methode": None, "chi2": np.nan, "ddl": 0, "p_value": np.nan, "valide": False}


def matrix_test(observed) -> dict:
    """The test of :func:`independence_test` on a groups × categories array of counts
    (rows and columns without any count are dropped first)."""
    observed = np.asarray(observed, dtype="int64")
    if observed.ndim != 2 or observed.size == 0:
        return {**_NO_TEST, "note": NOTE_TOO_SMALL}
    observed = observed[observed.sum(axis=1) > 0][:, observed.sum(axis=0) > 0]
    if observed.ndim != 2 or min(observed.shape) < 2:
        return {**_NO_TEST, "note": NOTE_TOO_SMALL}
    # lazy: scipy.stats is costly to import and only needed when a test is computed
    from scipy.stats import chi2_contingency, fisher_exact
    from scipy.stats.contingency import expected_freq

    expected = expected_freq(observed)
    if (expected < 1).any() or (expected >= 5).mean() < 0.8:
        if observed.shape == (2, 2):
            p_value = float(fisher_exact(observed, alternative="two-sided")[1])
            return {"methode": METHOD_FISHER, "chi2": np.nan, "ddl": 0, "p_value": min(p_value, 1.0),
                    "valide": True, "note": NOTE_FISHER}
        return {**_NO_TEST, "note": NOTE_EXPECTED}
    chi2, p_value, dof, _ = chi2_contingency(observed, correction=False)
    return {"methode": METHOD_CHI2, "chi2": float(chi2), "ddl": int(dof), "p_value": float(p_value),
            "valide": True, "note": NOTE_VALID}


def choice_tests(table: pd.DataFrame) -> pd.DataFrame:
    """One test of independence per choice of a :func:`crosstab` table of a ``multiple``
    question: groups × (ticked, not ticked) among each group's respondents to the question
    (``effectif`` and ``base - effectif``), with the rules of :func:`independence_test`.

    Returns
    -------
    DataFrame
        one row per choice in table order: ``code``, ``libelle``, ``methode``, ``chi2``,
        ``ddl``, ``p_value``, ``valide``, ``note``.
    """
    body = table[table["code"] != NON_RESPONSE_CODE]
    records = []
    for code, block in body.groupby("code", sort=False):
        ticked = block["effectif"].to_numpy("int64")
        observed = np.column_stack([ticked, block["base"].to_numpy("int64") - ticked])
        result = matrix_test(observed)
        records.append({"code": code, "libelle": block["libelle"].iloc[0], **result})
    return pd.DataFrame(records, columns=TEST_COLUMNS)
