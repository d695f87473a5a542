"""Every indicator of every EPCI of the national synthetic set, in grouped passes.

Computing a contract's indicators one EPCI at a time pays pandas' fixed cost of every
call 450 times (:mod:`cdv_lib.bench.national`, phase ``per_epci``). Here each indicator is
computed for all EPCI at once, with the EPCI as one more key of the grouping, and returned
as **one long table**: a first column ``code_epci`` then exactly the columns of the theme
function; the rows of one EPCI are the theme function's result on that EPCI's contract
(same rows, same order, same values), which :func:`epci_slice` extracts and the tests
compare with the per-EPCI results on a sample.

Three ways, said per indicator (:attr:`Grouped.method`):

- ``groupé``: a grouped implementation of the theme function (survey frequencies, grids,
  medians, summaries, cross tables, response rates; finances totals by the ``by`` path of
  :func:`cdv_lib.themes.finances.totals`, health share, evolution);
- ``national``: the theme function called once on the national frames, with the keys that
  must not mix two contracts qualified by the EPCI (``consistency_checks``), or for a
  function whose rows each belong to one commune or QPV, then split by EPCI;
- ``par EPCI``: the theme function called for each contract (frames split once), for the
  indicators without a grouped form yet; listed by the bench with their time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdv_lib import columns as C

EPCI = "code_epci"
GROUPED, NATIONAL, PER_EPCI = "groupé", "national", "par EPCI"


@dataclass(frozen=True)
class Grouped:
    """One indicator for every EPCI: ``name`` as in :func:`cdv_lib.bench.national.indicators`,
    ``method`` (see the module docstring), ``fn(data, codes)`` returning the long table."""

    name: str
    method: str
    fn: Callable


def epci_slice(table: pd.DataFrame, code: str) -> pd.DataFrame:
    """The rows of EPCI *code* in a long grouped table, without ``code_epci``, index reset
    (the theme function's result for that contract)."""
    part = table[table[EPCI].to_numpy() == code].drop(columns=[EPCI]).reset_index(drop=True)
    part.attrs = {}
    return part


def _long(codes: list[str], per_epci: int, columns: dict) -> pd.DataFrame:
    return pd.DataFrame({EPCI: np.repeat(np.array(codes, dtype=object), per_epci), **columns})


# ----------------------------------------------------------------------------- survey
class SurveyCounts:
    """The national survey counted once by EPCI: answers per (EPCI, question, row, value),
    respondents who answered per (EPCI, question, row), respondents per EPCI."""

    def __init__(self, survey, epci_of_respondents, epci_of_answers, codes: list[str]):
        self.survey, self.codes = survey, list(codes)
        self.position = {c: i for i, c in enumerate(self.codes)}
        a = survey.answers
        frame = pd.DataFrame({
            EPCI: pd.Categorical(np.asarray(epci_of_answers, dtype=object), categories=self.codes),
            C.QUESTION_ID: a[C.QUESTION_ID].to_numpy(object),
            C.ROW: a[C.ROW].to_numpy(object),
            C.VALUE: a[C.VALUE].to_numpy(object),
            C.RESPONDENT_ID: a[C.RESPONDENT_ID].to_numpy(object),
        })
        self.answers = frame
        keys = [EPCI, C.QUESTION_ID, C.ROW]
        unique = frame.drop_duplicates(keys + [C.VALUE, C.RESPONDENT_ID])
        self.respondents_per_value = unique.groupby(keys + [C.VALUE], observed=True).size()
        self.answer_count = frame.groupby(keys + [C.VALUE], observed=True).size()
        self.base = frame.drop_duplicates(keys + [C.RESPONDENT_ID]).groupby(
            keys, observed=True).size()
        resp = pd.Series(np.asarray(epci_of_respondents, dtype=object))
        self.selected = resp.value_counts().reindex(self.codes, fill_value=0).to_numpy("int64")

    def _matrix(self, series: pd.Series, question, row: str, codes: list[str]) -> np.ndarray:
        """(EPCI × choice) counts of *series* for one question and matrix row."""
        try:
            part = series.xs((question.id, row), level=[C.QUESTION_ID, C.ROW])
        except KeyError:
            return np.zeros((len(self.codes), len(codes)), dtype="int64")
        grid = pd.MultiIndex.from_product([self.codes, codes], names=[EPCI, C.VALUE])
        part.index = part.index.set_levels(part.index.levels[0].astype(object), level=0)
        return part.reindex(grid, fill_value=0).to_numpy("int64").reshape(
            len(self.codes), len(codes))

    def base_of(self, question, row: str) -> np.ndarray:
        try:
            part = self.base.xs((question.id, row), level=[C.QUESTION_ID, C.ROW])
        except KeyError:
            return np.zeros(len(self.codes), dtype="int64")
        part.index = part.index.astype(object)
        return part.reindex(self.codes, fill_value=0).to_numpy("int64")

    def block(self, question, row: str = "") -> pd.DataFrame:
        """:func:`cdv_lib.survey.tables.frequencies` of one question (matrix row) for every
        EPCI: ``code_epci``, ``code``, ``libelle``, ``effectif``, ``part``, ``base``."""
        from cdv_lib.survey.tables import NON_RESPONSE_CODE, NON_RESPONSE_LABEL

        choices = [c.code for c in question.choices]
        labels = [c.label for c in question.choices]
        eff = self._matrix(self.respondents_per_value, question, row, choices)
        base = self.base_of(question, row)
        with np.errstate(divide="ignore", invalid="ignore"):
            part = np.where(base[:, None] > 0, eff / np.maximum(base, 1)[:, None], np.nan)
        eff = np.column_stack([eff, self.selected - base])
        part = np.column_stack([part, np.full(len(self.codes), np.nan)])
        width = len(choices) + 1
        out = _long(self.codes, width, {
            "code": (choices + [NON_RESPONSE_CODE]) * len(self.codes),
            "libelle": (labels + [NON_RESPONSE_LABEL]) * len(self.codes),
            "effectif": eff.ravel(), "part": part.ravel(), "base": np.repeat(base, width)})
        return out.astype({"effectif": "int64", "part": "float64", "base": "int64"})

    def median(self, question, row: str = "") -> list:
        """Lower median level code of one question (matrix row) for every EPCI (None
        without answers), as :func:`cdv_lib.survey.tables.ordered_median`."""
        levels = question.choice_codes
        counts = self._matrix(self.answer_count, question, row, levels)
        n = counts.sum(axis=1)
        cum = counts.cumsum(axis=1)
        target = (n - 1) // 2
        idx = (cum > target[:, None]).argmax(axis=1)
        return [levels[i] if k > 0 else None for i, k in zip(idx, n)]


def _survey_counts(data) -> SurveyCounts:
    cached = getattr(data, "_grouped_survey", None)
    if cached is None:
        cached = SurveyCounts(data.survey, data.epci_of["respondents"],
                              data.epci_of["answers"], list(data.epci[EPCI]))
        object.__setattr__(data, "_grouped_survey", cached)
    return cached


def frequencies(data, question_id: str) -> pd.DataFrame:
    counts = _survey_counts(data)
    return counts.block(data.survey.question(question_id))


def matrix_frequencies(counts: SurveyCounts, question) -> pd.DataFrame:
    """:func:`cdv_lib.survey.tables.matrix_frequencies` for every EPCI (blocks of one EPCI
    together, matrix rows in definition order)."""
    blocks = []
    for r, mrow in enumerate(question.rows):
        block = counts.block(question, mrow.code)
        block.insert(1, "ligne_libelle", mrow.label)
        block.insert(1, "ligne", mrow.code)
        block["_order"] = r
        blocks.append(block)
    return _by_epci(counts, pd.concat(blocks, ignore_index=True))


def _by_epci(counts: SurveyCounts, table: pd.DataFrame) -> pd.DataFrame:
    """Rows grouped by EPCI (in EPCI order), keeping the order of the blocks (``_order``)
    and of the rows within a block."""
    table["_epci"] = table[EPCI].map(counts.position)
    table["_row"] = np.arange(len(table))
    table = table.sort_values(["_epci", "_order", "_row"], kind="stable")
    return table.drop(columns=["_epci", "_order", "_row"]).reset_index(drop=True)


def matrix_table(data, question_id: str, value: str = "part") -> pd.DataFrame:
    """:func:`cdv_lib.survey.tables.matrix_table` for every EPCI."""
    from cdv_lib.survey.tables import NON_RESPONSE_CODE

    counts = _survey_counts(data)
    question = data.survey.question(question_id)
    level_labels = [c.label for c in question.choices]
    rows = []
    for r, mrow in enumerate(question.rows):
        block = counts.block(question, mrow.code)
        body = block[block["code"] != NON_RESPONSE_CODE]
        nr = block[block["code"] == NON_RESPONSE_CODE]
        wide = body[value].to_numpy().reshape(len(counts.codes), len(level_labels))
        medians = counts.median(question, mrow.code)
        frame = pd.DataFrame({EPCI: counts.codes, "code": mrow.code, "libelle": mrow.label})
        for j, label in enumerate(level_labels):
            frame[label] = wide[:, j]
        frame["base"] = nr["base"].to_numpy()
        frame["non_reponses"] = nr["effectif"].to_numpy()
        frame["mediane"] = medians
        frame["mediane_libelle"] = [question.choice(m).label if m is not None else None
                                    for m in medians]
        frame["_order"] = r
        rows.append(frame)
    return _by_epci(counts, pd.concat(rows, ignore_index=True))


def cooperation_grid(data, question_id: str | None = None) -> pd.DataFrame:
    """:func:`cdv_lib.themes.gouvernance.cooperation_grid` for every EPCI."""
    from cdv_lib.themes.gouvernance import find_matrix_question, typed_cooperation_grid

    qid = find_matrix_question(data.survey, question_id)
    return typed_cooperation_grid(matrix_table(data, qid, value="part"))


def question_table(data) -> pd.DataFrame:
    """:func:`cdv_lib.themes.gouvernance.question_table` (every choice question) for every
    EPCI."""
    from cdv_lib.themes.gouvernance import CHOICE_TYPES, NO_AXIS, typed_question_table

    counts = _survey_counts(data)
    definition = data.survey.definition
    blocks = []
    order = 0
    for q in definition.questions:
        if q.type not in CHOICE_TYPES:
            continue
        parts = []
        if q.type == "matrice":
            for mrow in q.rows:
                block = counts.block(q, mrow.code)
                block.insert(1, "ligne_libelle", mrow.label)
                block.insert(1, "ligne", mrow.code)
                parts.append(block)
        else:
            block = counts.block(q)
            block.insert(1, "ligne_libelle", "")
            block.insert(1, "ligne", "")
            parts.append(block)
        for block in parts:
            block.insert(1, "type", q.type)
            block.insert(1, "question", q.label)
            block.insert(1, "question_id", q.id)
            block.insert(1, "axe", q.axis or NO_AXIS)
            block.insert(1, "questionnaire", definition.id)
            block["_order"] = order
            order += 1
            blocks.append(block)
    return typed_question_table(_by_epci(counts, pd.concat(blocks, ignore_index=True)),
                                first=(EPCI,))


def median_level(data, question_id: str) -> pd.DataFrame:
    """:func:`cdv_lib.survey.tables.median_level` for every EPCI: ``code_epci``, ``valeur``."""
    counts = _survey_counts(data)
    return pd.DataFrame({EPCI: counts.codes,
                         "valeur": counts.median(data.survey.question(question_id))})


def numeric_summary(data, question_id: str) -> pd.DataFrame:
    """:func:`cdv_lib.survey.tables.numeric_summary` for every EPCI."""
    counts = _survey_counts(data)
    a = counts.answers
    sel = (a[C.QUESTION_ID] == question_id).to_numpy() & (a[C.ROW] == "").to_numpy()
    values = pd.DataFrame({EPCI: a.loc[sel, EPCI],
                           "v": pd.Series(a.loc[sel, C.VALUE]).astype(float)})
    agg = values.groupby(EPCI, observed=False)["v"].agg(
        ["count", "min", "median", "mean", "max", "sum"])
    agg.index = agg.index.astype(object)
    agg = agg.reindex(counts.codes)
    base = agg["count"].fillna(0).to_numpy("int64")
    empty = base == 0
    out = pd.DataFrame({EPCI: counts.codes, "base": base,
                        "non_reponses": counts.selected - base})
    for col, src in [("minimum", "min"), ("mediane", "median"), ("moyenne", "mean"),
                     ("maximum", "max"), ("total", "sum")]:
        out[col] = np.where(empty, np.nan, agg[src].to_numpy("float64"))
    return out


def crosstab(data, question_id: str, by: str) -> pd.DataFrame:
    """:func:`cdv_lib.survey.crosstab.crosstab` of *question_id* by the respondent
    attribute *by* for every EPCI. The independence test of each EPCI's table is in
    ``attrs["tests"]`` (``code_epci``, ``chi2``, ``ddl``, ``p_value``, ``valide``, ``note``,
    ``sans_groupe``)."""
    from cdv_lib.survey.crosstab import GROUP
    from cdv_lib.survey.matching import fold
    from cdv_lib.survey.tables import NON_RESPONSE_CODE, NON_RESPONSE_LABEL

    counts = _survey_counts(data)
    survey = data.survey
    if by not in survey.definition.attributes:
        raise ValueError(f"croisement groupé : « {by} » n'est pas un attribut")
    question = survey.question(question_id)
    resp = survey.respondents
    epci_resp = np.asarray(data.epci_of["respondents"], dtype=object)
    raw = resp[by]
    has = raw.notna().to_numpy(bool)
    value = raw[has].astype(str).str.strip().to_numpy(object)
    keys = np.array([fold(v) for v in value], dtype=object)
    groups = pd.DataFrame({EPCI: epci_resp[has], "_key": keys, GROUP: value,
                           C.RESPONDENT_ID: resp[C.RESPONDENT_ID].to_numpy(object)[has]})
    first = groups.drop_duplicates([EPCI, "_key"])  # spelled as first met in the EPCI
    spelling = dict(zip(zip(first[EPCI], first["_key"]), first[GROUP]))
    groups[GROUP] = [spelling[(e, k)] for e, k in zip(groups[EPCI], groups["_key"])]
    order = first[[EPCI, "_key"]].assign(_epci=first[EPCI].map(counts.position))
    order = order.sort_values(["_epci", "_key"], kind="stable")
    order[GROUP] = [spelling[(e, k)] for e, k in zip(order[EPCI], order["_key"])]

    a = counts.answers
    sel = (a[C.QUESTION_ID] == question.id).to_numpy() & (a[C.ROW] == "").to_numpy()
    answers = pd.DataFrame({C.RESPONDENT_ID: a.loc[sel, C.RESPONDENT_ID].to_numpy(object),
                            C.VALUE: a.loc[sel, C.VALUE].to_numpy(object)})
    merged = answers.merge(groups[[C.RESPONDENT_ID, EPCI, GROUP]], on=C.RESPONDENT_ID,
                           how="inner")
    codes = [c.code for c in question.choices]
    names = [c.label for c in question.choices]
    gkeys = list(zip(order[EPCI], order[GROUP]))
    counted = merged.drop_duplicates([EPCI, GROUP, C.VALUE, C.RESPONDENT_ID]).groupby(
        [EPCI, GROUP, C.VALUE]).size()
    grid = pd.MultiIndex.from_tuples([(e, g, c) for e, g in gkeys for c in codes],
                                     names=[EPCI, GROUP, C.VALUE])
    effectif = counted.reindex(grid, fill_value=0).to_numpy("int64").reshape(len(gkeys), len(codes))
    gindex = pd.MultiIndex.from_tuples(gkeys, names=[EPCI, GROUP])
    base = merged.drop_duplicates([EPCI, GROUP, C.RESPONDENT_ID]).groupby(
        [EPCI, GROUP]).size().reindex(gindex, fill_value=0).to_numpy("int64")
    selected = groups.groupby([EPCI, GROUP]).size().reindex(gindex, fill_value=0).to_numpy("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        part = np.where(base[:, None] > 0, effectif / np.maximum(base, 1)[:, None], np.nan)
    width = len(codes) + 1
    effectif = np.column_stack([effectif, selected - base])
    part = np.column_stack([part, np.full(len(gkeys), np.nan)])
    table = pd.DataFrame({
        EPCI: np.repeat(order[EPCI].to_numpy(object), width),
        GROUP: np.repeat(order[GROUP].to_numpy(object), width),
        "code": (codes + [NON_RESPONSE_CODE]) * len(gkeys),
        "libelle": (names + [NON_RESPONSE_LABEL]) * len(gkeys),
        "effectif": effectif.ravel(), "part": part.ravel(), "base": np.repeat(base, width),
    }).astype({"effectif": "int64", "part": "float64", "base": "int64"})

    # the test of each EPCI's table, on its small groups × choices matrix
    n_resp = counts.selected
    with_group = groups.groupby(EPCI).size().reindex(counts.codes, fill_value=0).to_numpy()
    observed_all = effectif[:, :len(codes)]
    ranks_g = order["_epci"].to_numpy()
    gstarts = np.searchsorted(ranks_g, np.arange(len(counts.codes)))
    gends = np.searchsorted(ranks_g, np.arange(len(counts.codes)), side="right")
    tests = []
    for i, code in enumerate(counts.codes):
        test = _independence(observed_all[gstarts[i]:gends[i]],
                             multiple=question.type == "multiple")
        tests.append({EPCI: code, **test, "sans_groupe": int(n_resp[i] - with_group[i])})
    table.attrs["tests"] = pd.DataFrame(tests)
    return table


def _independence(observed: np.ndarray, *, multiple: bool) -> dict:
    """:func:`cdv_lib.survey.crosstab.independence_test` of one groups × choices count
    matrix, through the library's own test of a matrix when it has one."""
    import importlib

    X = importlib.import_module("cdv_lib.survey.crosstab")  # the module, not the function
    if not multiple and observed.ndim == 2 and observed.shape[0] and hasattr(X, "matrix_test"):
        return X.matrix_test(observed)
    n_groups, n_codes = observed.shape if observed.ndim == 2 else (0, 0)
    table = pd.DataFrame({
        X.GROUP: np.repeat([f"g{i}" for i in range(n_groups)], n_codes).astype(object),
        "code": [f"c{j}" for j in range(n_codes)] * n_groups,
        "effectif": observed.ravel().astype("int64")})
    if table.empty:
        table = pd.DataFrame(columns=[X.GROUP, "code", "libelle", "effectif", "part", "base"])
    return X.independence_test(table, multiple=multiple)


def response_rates(data, name: str = "habitants") -> pd.DataFrame:
    """:func:`cdv_lib.themes.gouvernance.response_rates` of the questionnaire for every EPCI."""
    counts = _survey_counts(data)
    definition = data.survey.definition
    sent = definition.sent
    out = pd.DataFrame({EPCI: counts.codes, "questionnaire": name, "titre": definition.title,
                        "recus": pd.array(counts.selected, dtype="Int64"),
                        "envoyes": pd.array([sent if sent is not None else pd.NA]
                                            * len(counts.codes), dtype="Int64")})
    out["taux"] = (counts.selected / sent if sent else np.full(len(counts.codes), np.nan))
    out["taux"] = out["taux"].astype("float64")
    out["base_n"] = out["envoyes"]
    return out


# ----------------------------------------------------------------------------- finances
def _prog_with_carrier(data, carrier: str) -> pd.DataFrame:
    prog = data.programmation.copy()
    prog[carrier] = pd.array(np.asarray(data.epci_of["programmation"], dtype=object),
                             dtype="string")
    return prog


def totals(data, by: str) -> pd.DataFrame:
    """:func:`cdv_lib.themes.finances.totals` by *by* for every EPCI: one call of ``totals``
    with the EPCI carried in another grouping column (``commune``, or ``pilier`` for the
    commune breakdown)."""
    from cdv_lib.themes import finances

    carrier = C.PILIER if by == C.COMMUNE else C.COMMUNE
    out = finances.totals(_prog_with_carrier(data, carrier), [carrier, by])
    return out.rename(columns={carrier: EPCI}).astype({EPCI: object})


def health_share(data) -> pd.DataFrame:
    """:func:`cdv_lib.themes.finances.health_share` for every EPCI (grouped by EPCI and year)."""
    from cdv_lib.themes import finances

    prog = _prog_with_carrier(data, C.COMMUNE)
    out = finances.health_share_by(prog, [C.COMMUNE, C.ANNEE])
    return out.rename(columns={C.COMMUNE: EPCI}).astype({EPCI: object})


def evolution(data, start: int, end: int) -> pd.DataFrame:
    """:func:`cdv_lib.themes.finances.evolution` for every EPCI: ``code_epci``, ``valeur``,
    ``erreur`` (the French message of an EPCI lacking a year, else None)."""
    by_year = totals(data, C.ANNEE).set_index([EPCI, C.ANNEE])["montant_accorde"]
    rows = []
    for code in data.epci[EPCI]:
        try:
            years = by_year.loc[code]
        except KeyError:
            years = pd.Series(dtype="float64")
        missing = [y for y in (start, end) if y not in years.index]
        if missing:
            rows.append((code, np.nan, "Année(s) absente(s) de la programmation : "
                         + ", ".join(str(y) for y in missing) + "."))
            continue
        first, last = float(years.loc[start]), float(years.loc[end])
        rows.append((code, last / first - 1 if first else float("nan"), None))
    return pd.DataFrame(rows, columns=[EPCI, "valeur", "erreur"])


def consistency_checks(data) -> pd.DataFrame:
    """:func:`cdv_lib.themes.finances.consistency_checks` for every EPCI in one national
    call: the year is qualified by the EPCI (``rang × 10 000 + année``), so that no check
    (duplicates, same action under two numbers, files' totals) mixes two contracts; the
    years of the flags and of their messages are then restored."""
    from cdv_lib.themes import finances

    codes = list(data.epci[EPCI])
    rank = {c: i + 1 for i, c in enumerate(codes)}
    prog = data.programmation.copy()
    ranks = np.array([rank[c] for c in data.epci_of["programmation"]], dtype="int64")
    year = prog[C.ANNEE].astype("Int64")
    qualified = pd.Series(ranks * 10_000 + year.to_numpy("int64", na_value=0),
                          index=prog.index, dtype="Int64")
    prog[C.ANNEE] = qualified.where(year.notna(), pd.NA)
    flags = finances.consistency_checks(prog)
    qualified = flags[C.ANNEE].astype("int64").to_numpy()
    real = qualified % 10_000
    messages = [m.replace(f"({q})", f"({r})") for m, q, r in
                zip(flags["message"].astype(str), qualified, real)]
    out = flags.copy()
    out[C.ANNEE] = pd.array(real, dtype="Int64")
    out["message"] = pd.array(messages, dtype="string")
    out.insert(0, EPCI, np.array(codes, dtype=object)[qualified // 10_000 - 1]
               if len(out) else np.array([], dtype=object))
    return out.sort_values(EPCI, key=lambda s: s.map(rank), kind="stable").reset_index(drop=True)


# ----------------------------------------------------------------------------- national then split
def split_rows(result: pd.DataFrame, epci_of_rows) -> pd.DataFrame:
    """A national result whose rows each belong to one EPCI, with ``code_epci`` first."""
    out = result.reset_index(drop=True)
    out.insert(0, EPCI, np.asarray(epci_of_rows, dtype=object))
    return out


def _commune_epci(data) -> dict:
    communes = data.communes
    return dict(zip(communes[C.CODE_INSEE].astype(str), communes[C.CODE_EPCI].astype(str)))


def qpv_communes_table(data) -> pd.DataFrame:
    from cdv_lib.themes import territoire

    rank = {c: i for i, c in enumerate(data.epci[EPCI])}
    out = territoire.qpv_communes_table(data.communes, data.qpv)
    epci = out[C.CODE_INSEE].astype(str).map(_commune_epci(data))
    out = split_rows(out, epci)
    return out.sort_values(EPCI, key=lambda s: s.map(rank), kind="stable").reset_index(drop=True)


def qpv_per_commune(data) -> pd.DataFrame:
    from cdv_lib.themes import territoire

    out = territoire.qpv_per_commune(data.communes, data.qpv)
    return split_rows(out, data.epci_of["communes"])


def actions_by_commune(data) -> pd.DataFrame:
    from cdv_lib.themes import sante

    rank = {c: i for i, c in enumerate(data.epci[EPCI])}
    out = sante.actions_by_commune(data.actions_sante, communes=data.communes)
    epci = out[C.COMMUNE].astype(str).map(_commune_epci(data))
    out = split_rows(out, epci)
    return out.sort_values(EPCI, key=lambda s: s.map(rank), kind="stable").reset_index(drop=True)


def _rank(data) -> dict:
    return {c: i for i, c in enumerate(data.epci[EPCI])}


def _epci_major(table: pd.DataFrame, rank: dict) -> pd.DataFrame:
    return table.sort_values(EPCI, key=lambda s: s.map(rank), kind="stable").reset_index(drop=True)


def key_figures(data) -> pd.DataFrame:
    """:func:`cdv_lib.themes.territoire.key_figures` of the agglomeration for every EPCI."""
    from cdv_lib.themes import territoire

    codes = list(data.epci[EPCI])
    communes = data.communes
    cgrp = pd.DataFrame({EPCI: np.asarray(data.epci_of["communes"], dtype=object),
                         "pop": communes[C.POPULATION].astype("Int64").astype("float64"),
                         "sig": communes[C.SIGNATAIRE].astype("boolean").fillna(False)
                         .astype(bool)}).groupby(EPCI)
    n_communes = cgrp.size().reindex(codes, fill_value=0)
    n_sig = cgrp["sig"].sum().reindex(codes, fill_value=0)
    population = cgrp["pop"].sum().reindex(codes, fill_value=0)
    median = cgrp["pop"].median().reindex(codes)
    qpv = data.qpv
    epci_qpv = np.asarray(data.epci_of["qpv"], dtype=object)
    span = territoire._qpv_with_span(qpv).drop_duplicates(C.CODE_QPV)
    multi = dict(zip(span[C.CODE_QPV].astype(str), span["multi_communes"].astype(bool)))
    qframe = pd.DataFrame({EPCI: epci_qpv, "code": qpv[C.CODE_QPV].astype(str).to_numpy(),
                           "pop": qpv[C.POPULATION].astype("Int64").fillna(0).to_numpy("int64")})
    qframe["multi"] = qframe["code"].map(multi).fillna(False).astype(bool)
    qgrp = qframe.groupby(EPCI)
    n_qpv = qgrp["code"].nunique().reindex(codes, fill_value=0)
    pop_qpv = qgrp["pop"].sum().reindex(codes, fill_value=0)
    shared = qframe[qframe["multi"]].drop_duplicates([EPCI, "code"]).groupby(EPCI)
    n_shared = shared.size().reindex(codes, fill_value=0)
    pop_shared = shared["pop"].sum().reindex(codes, fill_value=0)
    rows = []
    for code in codes:
        pop_total = int(population[code])
        share = int(pop_qpv[code]) / pop_total if pop_total else np.nan
        med = float(median[code]) if n_communes[code] else np.nan
        figures = [
            ("terr.communes", "Communes", int(n_communes[code]), "communes", pd.NA, ""),
            ("terr.communes_signataires", "Communes signataires du Contrat de Ville",
             int(n_sig[code]), "communes", pd.NA, ""),
            ("terr.population", "Population", pop_total, "habitants", pd.NA, ""),
            ("terr.taille_mediane_commune", "Taille médiane des communes", med, "habitants",
             pd.NA, ""),
            ("terr.qpv", "Quartiers prioritaires (QPV)", int(n_qpv[code]), "QPV", pd.NA,
             "un QPV couvrant plusieurs communes compte une fois"),
            ("terr.qpv_partages", "QPV couvrant plusieurs communes", int(n_shared[code]), "QPV",
             pd.NA, ""),
            ("terr.pop_qpv", "Habitants des QPV", int(pop_qpv[code]), "habitants", pd.NA,
             "population de chaque QPV comptée une fois"),
            ("terr.pop_qpv_partages", "Habitants des QPV couvrant plusieurs communes",
             int(pop_shared[code]), "habitants", pd.NA, "inclus dans les habitants des QPV"),
            ("terr.part_pop_qpv", "Part de la population en QPV", share, "ratio", pop_total, ""),
            ("terr.part_pop_qpv_max", "Part de la population en QPV (borne haute)", share,
             "ratio", pop_total, "égale à la part exacte à l'échelle de l'agglomération"),
        ]
        rows += [(code, k, lab, float(v), u, b, n) for k, lab, v, u, b, n in figures]
    out = pd.DataFrame(rows, columns=[EPCI, "cle", "libelle", "valeur", "unite", "base_n",
                                      "note"])
    out["base_n"] = out["base_n"].astype("Int64")
    out["valeur"] = out["valeur"].astype("float64")
    return out


def compare_indicators(data) -> pd.DataFrame:
    """:func:`cdv_lib.themes.territoire.compare_indicators` for every EPCI: one call per
    région (the région to compare with is the contract's only one), on the rows of the EPCI
    of that région; an EPCI whose indicators cover several régions gets the function's
    error (``attrs["errors"]``: ``{code_epci: message}``)."""
    from cdv_lib.themes import territoire

    rank = _rank(data)
    ind = data.indicateurs
    own = np.asarray(data.epci_of["indicateurs"], dtype=object)
    wide = ind[C.NIVEAU].isin(["departement", "region", "france"]).to_numpy(bool)
    zones = data.zones
    regions = zones[zones[C.NIVEAU] == "region"]
    present = set(zip(ind.loc[ind[C.NIVEAU] == "region", C.CODE].astype(str),))
    by_epci = {}
    for code, grp in regions.groupby(EPCI, sort=False):
        by_epci[code] = sorted({str(r) for r in grp[C.CODE] if (str(r),) in present})
    groups: dict = {}
    errors = {}
    for code in data.epci[EPCI]:
        regs = by_epci.get(code, [])
        if len(regs) > 1:
            errors[code] = ("Plusieurs territoires de niveau « region » dans les indicateurs "
                            f"({', '.join(regs)}) : préciser le paramètre « region »."
                            )
            continue
        groups.setdefault(regs[0] if regs else None, []).append(code)
    parts = []
    epci_communes = np.asarray(data.epci_of["communes"], dtype=object)
    epci_qpv = np.asarray(data.epci_of["qpv"], dtype=object)
    qpv_epci = dict(zip(data.qpv[C.CODE_QPV].astype(str), epci_qpv))
    for region, members in groups.items():
        chosen = set(members)
        keep = np.isin(own, list(chosen)) | wide
        part = territoire.compare_indicators(
            ind[keep], data.qpv[np.isin(epci_qpv, list(chosen))],
            data.communes[np.isin(epci_communes, list(chosen))], region=region)
        parts.append(split_rows(part, part[C.CODE_QPV].astype(str).map(qpv_epci)))
    out = _epci_major(pd.concat(parts, ignore_index=True), rank)
    out.attrs["errors"] = errors
    return out


def aggregate_indicator(data, indicateur: str = "population", niveau: str = "qpv"):
    """:func:`cdv_lib.themes.territoire.aggregate_indicator` (every territory of the level)
    for every EPCI."""
    codes = list(data.epci[EPCI])
    ind = data.indicateurs
    sel = ((ind[C.INDICATEUR] == indicateur) & (ind[C.NIVEAU] == niveau)).to_numpy(bool)
    rows = ind[sel]
    frame = pd.DataFrame({
        EPCI: np.asarray(data.epci_of["indicateurs"], dtype=object)[sel],
        C.ANNEE: rows[C.ANNEE].to_numpy(), C.VALEUR: rows[C.VALEUR].astype("float64").to_numpy(),
        "marqueur": rows["marqueur"].astype("string").to_numpy() if "marqueur" in rows
        else pd.array([pd.NA] * len(rows), dtype="string"),
        C.UNITE: rows[C.UNITE].astype("string").to_numpy(),
        C.SOURCE: rows[C.SOURCE].astype("string").to_numpy(),
        "sommable": rows[C.SOMMABLE].astype("boolean").fillna(False).to_numpy(bool)})
    if not frame["sommable"].all():
        raise ValueError("indicateur non sommable")

    def joined(values):
        return " ; ".join(dict.fromkeys(values.dropna().astype(str)))

    g = frame.groupby([EPCI, C.ANNEE], sort=True)
    agg = g.agg(n=(C.VALEUR, "size"), nan=(C.VALEUR, lambda v: v.isna().any()),
                secret=("marqueur", lambda v: (v.dropna().astype(str) == "s").any()),
                total=(C.VALEUR, "sum"), unite=(C.UNITE, joined), source=(C.SOURCE, joined))
    agg = agg.reset_index()
    marker = np.where(agg["secret"], "s", np.where(agg["nan"], "nd", None))
    out = pd.DataFrame({EPCI: agg[EPCI].astype(object), C.INDICATEUR: indicateur,
                        C.ANNEE: agg[C.ANNEE].astype("Int64"), C.NIVEAU: niveau,
                        "n_territoires": agg["n"].astype("Int64"),
                        "n_manquants": pd.array([0] * len(agg), dtype="Int64"),
                        C.VALEUR: np.where(pd.isna(marker), agg["total"], np.nan).astype("float64"),
                        "marqueur": pd.array(marker, dtype="string"),
                        C.UNITE: agg["unite"], C.SOURCE: agg["source"]})
    missing = sorted(set(codes) - set(out[EPCI]))
    out = _epci_major(out, _rank(data))
    out.attrs["errors"] = {c: f"Indicateur « {indicateur} » absent au niveau « {niveau} »."
                           for c in missing}
    return out


def actions_per_commune(data) -> pd.DataFrame:
    """:func:`cdv_lib.themes.sante.actions_per_commune` (with the communes) for every EPCI."""
    from cdv_lib.text import fold as normalise_label

    rank = _rank(data)
    actions = data.actions_sante
    duree = actions[C.DUREE].map(normalise_label)
    frame = pd.DataFrame({EPCI: np.asarray(data.epci_of["actions_sante"], dtype=object),
                          C.COMMUNE: actions[C.COMMUNE].astype(str).to_numpy(),
                          "ponct": (duree == "ponctuelle").to_numpy(),
                          "peren": (duree == "perenne").to_numpy()})
    per = frame.groupby([EPCI, C.COMMUNE]).agg(n=("ponct", "size"), n_ponctuelles=("ponct", "sum"),
                                               n_perennes=("peren", "sum"))
    communes = data.communes
    all_keys = pd.MultiIndex.from_arrays([np.asarray(data.epci_of["communes"], dtype=object),
                                          communes[C.CODE_INSEE].astype(str).to_numpy(object)],
                                         names=[EPCI, C.COMMUNE])
    per = per.reindex(per.index.union(all_keys), fill_value=0).reset_index()
    names = dict(zip(communes[C.CODE_INSEE].astype(str), communes[C.NOM]))
    out = pd.DataFrame({EPCI: per[EPCI].astype(object),
                        C.COMMUNE: per[C.COMMUNE].astype("string"),
                        C.NOM: per[C.COMMUNE].astype(str).map(names).astype("string")})
    for col in ["n", "n_ponctuelles", "n_perennes"]:
        out[col] = per[col].astype("Int64")
    totals = frame.groupby(EPCI).size()
    total = out[EPCI].map(totals).fillna(0).astype("int64")
    out["base_n"] = pd.array(total.to_numpy(), dtype="Int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["part"] = np.where(total > 0, out["n"].astype("float64") / total.replace(0, 1),
                               np.nan).astype("float64")
    out["_rank"] = out[EPCI].map(rank)
    out = out.sort_values(["_rank", "n", C.COMMUNE], ascending=[True, False, True],
                          kind="stable")
    return out.drop(columns="_rank").reset_index(drop=True)


def codes_by_actor(data) -> pd.DataFrame:
    """:func:`cdv_lib.themes.participation.codes_by_actor` for every EPCI in one national
    call: interview ids and actor types qualified by the EPCI's rank (so that neither
    interviews nor the bases of two contracts mix), the actor types restored after."""
    from cdv_lib.themes import participation

    rank = _rank(data)
    ent = data.entretiens.copy()
    ranks = [f"{rank[c]:05d}\x1f" for c in data.epci_of["entretiens"]]
    for col in (C.ID_ENTRETIEN, C.TYPE_ACTEUR):
        ent[col] = pd.Series([r + str(v) if not pd.isna(v) else None
                              for r, v in zip(ranks, ent[col])], index=ent.index,
                             dtype=object).astype(data.entretiens[col].dtype)
    out = participation.codes_by_actor(ent)
    codes = list(data.epci[EPCI])
    qualified = out[C.TYPE_ACTEUR].astype(str)
    out.insert(0, EPCI, [codes[int(q[:5])] for q in qualified])
    out[C.TYPE_ACTEUR] = pd.Series([q[6:] for q in qualified], index=out.index,
                                   dtype=object).astype(out[C.TYPE_ACTEUR].dtype)
    return out


def _perr_qualified(data):
    rank = _rank(data)
    perr = data.perr.copy()
    ranks = np.array([rank[c] for c in data.epci_of["perr"]], dtype="int64")
    perr[C.ID] = pd.array(ranks * 1_000_000 + perr[C.ID].astype("Int64").to_numpy("int64"),
                          dtype="Int64")
    return perr


def _perr_restore(data, out: pd.DataFrame) -> pd.DataFrame:
    codes = list(data.epci[EPCI])
    qualified = out[C.ID].astype("int64").to_numpy()
    out = out.copy()
    out[C.ID] = pd.Series(qualified % 1_000_000, index=out.index).astype(out[C.ID].dtype)
    out.insert(0, EPCI, np.array(codes, dtype=object)[qualified // 1_000_000]
               if len(out) else np.array([], dtype=object))
    return out


def perr_engagements(data) -> pd.DataFrame:
    """:func:`cdv_lib.themes.perr.engagements` for every EPCI (ids qualified by the EPCI)."""
    from cdv_lib.themes import perr

    return _perr_restore(data, perr.engagements(_perr_qualified(data)))


def perr_indicators_long(data) -> pd.DataFrame:
    """:func:`cdv_lib.themes.perr.indicators_long` for every EPCI (ids qualified)."""
    from cdv_lib.themes import perr

    return _perr_restore(data, perr.indicators_long(_perr_qualified(data)))


def _share_rows(codes: list[str], categories: list, counts: np.ndarray, bases: np.ndarray,
                name: str) -> pd.DataFrame:
    """:func:`cdv_lib.themes.share_table` of each EPCI (``counts``: EPCI × category)."""
    k = len(categories)
    out = _long(codes, k, {name: list(categories) * len(codes)})
    out["n"] = pd.array(counts.ravel(), dtype="Int64")
    base = np.repeat(bases, k)
    out["base_n"] = pd.array(base, dtype="Int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["part"] = np.where(base > 0, counts.ravel() / np.maximum(base, 1), np.nan)
    out["part"] = out["part"].astype("float64")
    return out


def perr_status_counts(data) -> pd.DataFrame:
    """:func:`cdv_lib.themes.perr.status_counts` for every EPCI."""
    from cdv_lib.themes import perr

    codes = list(data.epci[EPCI])
    status = pd.Series(perr._status(data.perr))
    frame = pd.DataFrame({EPCI: np.asarray(data.epci_of["perr"], dtype=object),
                          "s": status.astype(object).to_numpy()})
    table = pd.crosstab(frame[EPCI], frame["s"]).reindex(index=codes, columns=perr.STATUSES,
                                                         fill_value=0)
    bases = frame.groupby(EPCI).size().reindex(codes, fill_value=0).to_numpy("int64")
    out = _share_rows(codes, perr.STATUSES, table.to_numpy("int64"), bases, C.STATUT)
    out[C.STATUT] = out[C.STATUT].astype(perr.STATUS_DTYPE)
    return out


def perr_share_realised(data) -> pd.DataFrame:
    """:func:`cdv_lib.themes.perr.share_realised` for every EPCI."""
    from cdv_lib.themes import perr

    codes = list(data.epci[EPCI])
    counted = perr.STATUSES[:1]
    status = pd.Series(perr._status(data.perr))
    frame = pd.DataFrame({EPCI: np.asarray(data.epci_of["perr"], dtype=object),
                          "hit": status.isin(counted).to_numpy(bool)})
    g = frame.groupby(EPCI)["hit"]
    n = g.sum().reindex(codes, fill_value=0).to_numpy("int64")
    bases = g.size().reindex(codes, fill_value=0).to_numpy("int64")
    out = _share_rows(codes, [" + ".join(counted)], n[:, None], bases, "statuts")
    return out[[EPCI, "n", "base_n", "part", "statuts"]]


def interviews_by_actor(data) -> pd.DataFrame:
    """:func:`cdv_lib.themes.participation.interviews_by_actor` for every EPCI."""
    rank = _rank(data)
    ent = data.entretiens
    frame = pd.DataFrame({EPCI: np.asarray(data.epci_of["entretiens"], dtype=object),
                          "id": ent[C.ID_ENTRETIEN].to_numpy(object),
                          "actor": ent[C.TYPE_ACTEUR]})
    actors = frame.groupby([EPCI, "id"], sort=False)["actor"].first().reset_index()
    counts = actors.groupby([EPCI, "actor"]).size().rename("n").reset_index()
    counts["_rank"] = counts[EPCI].map(rank)
    counts = counts.sort_values(["_rank", "n", "actor"], ascending=[True, False, True],
                                kind="stable")
    bases = actors.groupby(EPCI).size()
    label_dtype = ent[C.TYPE_ACTEUR].iloc[:1].value_counts().index.dtype  # as share_table's
    out = pd.DataFrame({EPCI: counts[EPCI].to_numpy(object)})
    out[C.TYPE_ACTEUR] = pd.Series(counts["actor"].to_numpy(object), dtype=object).astype(
        label_dtype)
    out["n"] = pd.array(counts["n"].to_numpy(), dtype="Int64")
    base = counts[EPCI].map(bases).to_numpy("int64")
    out["base_n"] = pd.array(base, dtype="Int64")
    out["part"] = (counts["n"].to_numpy() / base).astype("float64")
    return out


def participation_ladder(data) -> pd.DataFrame:
    """:func:`cdv_lib.themes.participation.participation_ladder` (ladder codes of the
    ``code`` column) for every EPCI; an EPCI with an unknown level gets the function's
    error (``attrs["errors"]``)."""
    from cdv_lib.text import fold as normalise_label
    from cdv_lib.themes import participation as P

    codes = list(data.epci[EPCI])
    ent = data.entretiens
    prefix = normalise_label(P.LADDER_PREFIX)
    norm = ent[C.CODE].map(normalise_label)
    mapped = norm.map(lambda c: P._ladder_key(c[len(prefix):]) if c.startswith(prefix) else None)
    present = mapped.notna().to_numpy(bool)
    epci = np.asarray(data.epci_of["entretiens"], dtype=object)
    errors = {}
    known = mapped[present].isin(list(P._LADDER_BY_KEY)).to_numpy(bool)
    for code in dict.fromkeys(epci[present][~known]):
        here = present & (epci == code)
        unknown = sorted({str(v) for v, k in zip(ent[C.CODE][here], mapped[here])
                          if k not in P._LADDER_BY_KEY})
        errors[code] = ("Niveau(x) de l'échelle de participation inconnu(s) : "
                        + ", ".join(f"« {u} »" for u in unknown)
                        + " (attendu : " + ", ".join(P.LADDER) + ").")
    frame = pd.DataFrame({EPCI: epci[present], "id": ent[C.ID_ENTRETIEN].to_numpy(object)[present],
                          "niveau": mapped[present].map(P._LADDER_BY_KEY).to_numpy(object)})
    frame = frame[~frame[EPCI].isin(list(errors))]
    interviews = pd.crosstab(frame[EPCI], frame["niveau"], values=frame["id"],
                             aggfunc="nunique") if len(frame) else pd.DataFrame()
    interviews = interviews.reindex(index=codes, columns=P.LADDER).fillna(0).to_numpy("int64")
    mentions = pd.crosstab(frame[EPCI], frame["niveau"]) if len(frame) else pd.DataFrame()
    mentions = mentions.reindex(index=codes, columns=P.LADDER, fill_value=0).fillna(0) \
        .to_numpy("int64")
    bases = frame.groupby(EPCI)["id"].nunique().reindex(codes, fill_value=0).to_numpy("int64")
    out = _share_rows(codes, P.LADDER, interviews, bases, "niveau")
    out.insert(3, "n_mentions", pd.array(mentions.ravel(), dtype="Int64"))
    out["niveau"] = out["niveau"].astype(P.LADDER_DTYPE)
    out["source"] = f"codes « {P.LADDER_PREFIX}… »"
    out = out[~out[EPCI].isin(list(errors))].reset_index(drop=True)
    out.attrs["errors"] = errors
    return out


def health_distribution(data, column: str) -> pd.DataFrame:
    """:func:`cdv_lib.themes.sante.distribution` of *column* for every EPCI (spellings
    merged within each EPCI, first one met kept, as the function does for one contract)."""
    from cdv_lib.text import fold as normalise_label
    from cdv_lib.themes import sante

    rank = _rank(data)
    actions = data.actions_sante
    multi = column == C.PUBLIC
    fixed = {normalise_label(d): d for d in sante.DURATIONS} if column == C.DUREE else {}
    epci_rows = np.asarray(data.epci_of["actions_sante"], dtype=object)
    parsed: dict = {}
    e_l, r_l, k_l, lab_l = [], [], [], []
    for i, (code, cell) in enumerate(zip(epci_rows, actions[column].tolist())):
        key = None if cell is None or (not isinstance(cell, str) and pd.isna(cell)) else cell
        labels = parsed.get(key)
        if labels is None:
            labels = parsed[key] = [(normalise_label(v), v) for v in sante._values(cell, multi)]
        for k, v in labels:
            e_l.append(code), r_l.append(i), k_l.append(k), lab_l.append(v)
    frame = pd.DataFrame({EPCI: e_l, "row": r_l, "key": k_l, "label": lab_l})
    first = frame.drop_duplicates([EPCI, "key"])
    spelling = {(e, k): fixed.get(k, v) for e, k, v in zip(first[EPCI], first["key"], first["label"])}
    counts = frame.drop_duplicates([EPCI, "row", "key"]).groupby([EPCI, "key"]).size()
    rows_with = frame.drop_duplicates([EPCI, "row"]).groupby(EPCI).size()
    total = pd.Series(epci_rows).value_counts()
    duration_rank = {normalise_label(d): i for i, d in enumerate(sante.DURATIONS)}
    out_rows = []
    by_epci: dict = {}
    for (e, k), n in counts.items():
        by_epci.setdefault(e, []).append((k, int(n)))
    for e in sorted(set(total.index), key=lambda c: rank.get(c, len(rank))):
        items = by_epci.get(e, [])
        base = int(rows_with.get(e, 0))
        if column == C.DUREE:
            known = [(k, n) for k, n in items if spelling[(e, k)] in sante.DURATIONS]
            known.sort(key=lambda kn: duration_rank[kn[0]])
            others = sorted(((k, n) for k, n in items if spelling[(e, k)] not in sante.DURATIONS),
                            key=lambda kn: kn[0])
            items = known + others
        else:
            items = sorted(items, key=lambda kn: (-kn[1], kn[0]))
        for k, n in items:
            out_rows.append((e, spelling[(e, k)], n, base, n / base if base else np.nan))
        missing = int(total.get(e, 0)) - base
        if missing:
            out_rows.append((e, sante.NOT_GIVEN, missing, base, np.nan))
    out = pd.DataFrame(out_rows, columns=[EPCI, column, "n", "base_n", "part"])
    out[column] = out[column].astype("string")
    out["n"] = out["n"].astype("Int64")
    out["base_n"] = out["base_n"].astype("Int64")
    out["part"] = out["part"].astype("float64")
    return out


def context_indicators(data) -> pd.DataFrame:
    """:func:`cdv_lib.themes.sante.context_indicators` (every row of the EPCI, its
    département(s), région(s) and France) for every EPCI, rows in the order the function
    gives them for the contract of :func:`cdv_lib.bench.national.split_contracts`."""
    from cdv_lib.themes.territoire import LEVEL_DTYPE

    rank = _rank(data)
    ind = data.indicateurs.reset_index(drop=True)
    pos = np.arange(len(ind))
    own = np.asarray(data.epci_of["indicateurs"], dtype=object)
    level = ind[C.NIVEAU].astype(str).to_numpy(object)
    part_own = pd.DataFrame({EPCI: own[level == "epci"], "_part": 0, "_zone": 0,
                             "_pos": pos[level == "epci"]})
    zones = data.zones.reset_index(drop=True)
    zones = zones.assign(_zone=np.arange(len(zones)))
    wide = pd.DataFrame({C.NIVEAU: level, C.CODE: ind[C.CODE].astype(str).to_numpy(object),
                         "_pos": pos})
    wide = wide[np.isin(level, ["departement", "region"])]
    z = pd.DataFrame({EPCI: zones[EPCI].astype(str).to_numpy(object),
                      C.NIVEAU: zones[C.NIVEAU].astype(str).to_numpy(object),
                      C.CODE: zones[C.CODE].astype(str).to_numpy(object),
                      "_zone": zones["_zone"].to_numpy()})
    part_zone = z.merge(wide, on=[C.NIVEAU, C.CODE], how="inner")[[EPCI, "_zone", "_pos"]]
    part_zone["_part"] = 1
    france = pos[level == "france"]
    codes = list(data.epci[EPCI])
    part_fr = pd.DataFrame({EPCI: np.repeat(np.array(codes, dtype=object), len(france)),
                            "_part": 2, "_zone": 0, "_pos": np.tile(france, len(codes))})
    keys = pd.concat([part_own, part_zone, part_fr], ignore_index=True)
    cols = [C.INDICATEUR, C.ANNEE, C.NIVEAU, C.CODE, C.VALEUR, "marqueur", C.UNITE, C.SOURCE]
    cols = [c for c in cols if c in ind.columns]
    body = ind.iloc[keys["_pos"].to_numpy()][cols].reset_index(drop=True)
    body[C.NIVEAU] = body[C.NIVEAU].astype(str).astype(LEVEL_DTYPE)
    body.insert(0, EPCI, keys[EPCI].to_numpy(object))
    body["_rank"] = keys[EPCI].map(rank).to_numpy()
    for c in ("_part", "_zone", "_pos"):
        body[c] = keys[c].to_numpy()
    body = body.sort_values(["_rank", C.INDICATEUR, C.ANNEE, C.NIVEAU, "_part", "_zone", "_pos"],
                            kind="stable")
    return body.drop(columns=["_rank", "_part", "_zone", "_pos"]).reset_index(drop=True)


def verbatims(data) -> pd.DataFrame:
    """:func:`cdv_lib.themes.participation.verbatims` for every EPCI (pseudonyms numbered
    within each EPCI, as for its contract)."""
    from cdv_lib.themes import participation as P

    rank = _rank(data)
    ent = data.entretiens
    epci = np.asarray(data.epci_of["entretiens"], dtype=object)
    ids = ent[C.ID_ENTRETIEN].to_numpy(object)
    firsts = pd.DataFrame({EPCI: epci, "id": ids}).drop_duplicates()
    names: dict = {}
    for code, grp in firsts.groupby(EPCI, sort=False):
        order = list(grp["id"])
        width = max(2, len(str(len(order))))
        originals = {str(i) for i in order}
        for prefix in P.PSEUDO_PREFIXES:
            labels = [f"{prefix}{i:0{width}d}" for i in range(1, len(order) + 1)]
            if originals.isdisjoint(labels):
                names.update({(code, i): lab for i, lab in zip(order, labels)})
                break
        else:
            raise ValueError("Pseudonymes : tous les préfixes prévus sont déjà des identifiants.")
    cleared = ent[C.ANONYMISE].astype("boolean").fillna(False).astype(bool)
    text = ent[C.VERBATIM].astype("string").str.strip()
    keep = (cleared & text.notna() & (text != "")).to_numpy(bool)
    sel = ent[keep]
    out = pd.DataFrame({
        EPCI: epci[keep],
        "entretien": pd.array([names[(e, i)] for e, i in zip(epci[keep], ids[keep])],
                              dtype="string").to_numpy(),  # as the function builds it
        C.TYPE_ACTEUR: sel[C.TYPE_ACTEUR].astype("string").to_numpy(),
        C.CATEGORIE: sel[C.CATEGORIE].astype("string").to_numpy(),
        C.CODE: sel[C.CODE].astype("string").to_numpy(),
        C.VERBATIM: text[keep].to_numpy(),
    })
    return _epci_major(out, rank)


# ----------------------------------------------------------------------------- registry
def grouped_indicators() -> list[Grouped]:
    """The indicators with a grouped or national form, named as in
    :func:`cdv_lib.bench.national.indicators`."""
    from cdv_lib.themes import finances

    out = [Grouped(f"finances.totals[{by}]", GROUPED, lambda d, by=by: totals(d, by))
           for by in finances.GROUPINGS]
    out += [
        Grouped("finances.evolution", GROUPED, lambda d: evolution(d, 2016, 2022)),
        Grouped("finances.health_share", GROUPED, health_share),
        Grouped("sante.health_programming", GROUPED, health_share),
        Grouped("finances.consistency_checks", NATIONAL, consistency_checks),
        Grouped("territoire.qpv_per_commune", NATIONAL, qpv_per_commune),
        Grouped("territoire.qpv_communes_table", NATIONAL, qpv_communes_table),
        Grouped("sante.actions_by_commune", NATIONAL, actions_by_commune),
        Grouped("sante.actions_per_commune", GROUPED, actions_per_commune),
        Grouped("territoire.key_figures", GROUPED, key_figures),
        Grouped("territoire.compare_indicators", NATIONAL, compare_indicators),
        Grouped("territoire.aggregate_indicator", GROUPED, aggregate_indicator),
        Grouped("participation.codes_by_actor", NATIONAL, codes_by_actor),
        Grouped("perr.engagements", NATIONAL, perr_engagements),
        Grouped("perr.indicators_long", NATIONAL, perr_indicators_long),
        Grouped("perr.status_counts", GROUPED, perr_status_counts),
        Grouped("sante.distribution[thematique]", GROUPED,
                lambda d: health_distribution(d, C.THEMATIQUE)),
        Grouped("sante.distribution[public]", GROUPED, lambda d: health_distribution(d, C.PUBLIC)),
        Grouped("sante.distribution[duree]", GROUPED, lambda d: health_distribution(d, C.DUREE)),
        Grouped("sante.context_indicators", GROUPED, context_indicators),
        Grouped("participation.verbatims", GROUPED, verbatims),
        Grouped("perr.share_realised", GROUPED, perr_share_realised),
        Grouped("participation.interviews_by_actor", GROUPED, interviews_by_actor),
        Grouped("participation.participation_ladder", GROUPED, participation_ladder),
        Grouped("sante.partnership_grid", GROUPED, lambda d: cooperation_grid(d, "cooperation")),
        Grouped("gouvernance.cooperation_grid", GROUPED, cooperation_grid),
        Grouped("gouvernance.question_table", GROUPED, question_table),
        Grouped("participation.conseils_citoyens", GROUPED, question_table),
        Grouped("gouvernance.response_rates", GROUPED, response_rates),
        Grouped("survey.frequencies[satisfaction]", GROUPED,
                lambda d: frequencies(d, "satisfaction")),
        Grouped("survey.frequencies[domaines]", GROUPED, lambda d: frequencies(d, "domaines")),
        Grouped("survey.matrix_table[cooperation]", GROUPED,
                lambda d: matrix_table(d, "cooperation")),
        Grouped("survey.median_level[satisfaction]", GROUPED,
                lambda d: median_level(d, "satisfaction")),
        Grouped("survey.numeric_summary[age]", GROUPED, lambda d: numeric_summary(d, "age")),
        Grouped("survey.crosstab[satisfaction×commune]", GROUPED,
                lambda d: crosstab(d, "satisfaction", "commune")),
    ]
    return out


def run_all(data, contracts: dict | None = None) -> dict:
    """Every indicator of :func:`cdv_lib.bench.national.indicators` for every EPCI of
    *data*: the grouped ones in one pass each, the others contract by contract on
    *contracts* (split once when not given).

    Returns
    -------
    dict: ``results`` (name -> long table, or ``{code: result}`` for the per-EPCI ones),
    ``times`` (name -> seconds), ``methods`` (name -> method), ``errors`` (name -> text),
    ``split_seconds``.
    """
    from cdv_lib.bench.national import indicators, split_contracts

    grouped = {g.name: g for g in grouped_indicators()}
    results, times, methods, errors = {}, {}, {}, {}
    rest = []
    for ind in indicators():
        g = grouped.get(ind.name)
        if g is None:
            rest.append(ind)
            continue
        t0 = time.perf_counter()
        try:
            results[g.name] = g.fn(data)
        except Exception as exc:
            errors[g.name] = f"{type(exc).__name__}: {exc}"
        times[g.name] = time.perf_counter() - t0
        methods[g.name] = g.method
    split_seconds = 0.0
    if rest:
        t0 = time.perf_counter()
        if contracts is None:
            contracts = split_contracts(data)
        split_seconds = time.perf_counter() - t0
        for ind in rest:
            t0 = time.perf_counter()
            per: dict = {}
            for code, contract in contracts.items():
                try:
                    per[code] = ind.fn(contract)
                except Exception as exc:
                    errors.setdefault(ind.name, f"{type(exc).__name__}: "
                                      + (str(exc).splitlines()[0] if str(exc) else ""))
            results[ind.name] = per
            times[ind.name] = time.perf_counter() - t0
            methods[ind.name] = PER_EPCI
    return {"results": results, "times": times, "methods": methods, "errors": errors,
            "split_seconds": split_seconds}
