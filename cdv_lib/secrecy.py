"""Statistical secrecy: no figure about fewer than *threshold* respondents, and no masked
figure that can be recomputed from what is shown.

Representation of a masked cell
-------------------------------
Masking functions return a **copy** of the table where every masked value is NaN and, for
each column that can be masked, a boolean companion column ``<column>__secret``
(:func:`secret_column`). :class:`cdv_lib.report.table.ReportTable` shows such cells as
``s``. A NaN without the flag is an absent value (shown ``–``), never zero.

Rules
-----
* Primary masking: a count ``0 < n < threshold`` is masked. **Zeros are not masked**:
  they say nothing about anybody (the output audit, ``cdv_lib.audit``, follows the
  same rule).
* A sub-population (a group of a cross tab, a filtered table) whose base is under the
  threshold is masked whole: counts, shares, base and non-responses.
* Secondary masking: when a masked cell could be recomputed from totals (a row or column
  with a single masked cell...), the next smallest cell of that row or column is masked
  too (positive cells first), until stable. Then an exact check — each masked cell's
  range under the published sums, by linear programming — adds cells until no masked
  cell has a single possible value. Row/column sums of counts tables are unimodular, so
  a range with two distinct ends means at least two integer solutions.
* Shares are masked wherever their count is (share × base gives the count back).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

DEFAULT_THRESHOLD = 5
SECRET_SUFFIX = "__secret"
SECRET_MARK = "s"
INSEE_SECRET = "s"
INSEE_NOT_AVAILABLE = "nd"
MARKER = "marqueur"
NON_RESPONSE_CODE = "_nr"


def threshold(config: Mapping | None = None, source: str | None = None) -> int:
    """Secrecy threshold for *source* (``fiscal``...).

    *config* is the content of ``config.yaml`` (with a ``secret`` key) or its ``secret``
    section: ``{seuil_defaut: 5, seuils: {fiscal: 11}}``. Default: 5.
    """
    section = config or {}
    if "secret" in section:
        section = section["secret"] or {}
    value = section.get("seuil_defaut", DEFAULT_THRESHOLD)
    per_source = section.get("seuils") or {}
    if source is not None and source in per_source:
        value = per_source[source]
    try:
        result = int(str(value).strip())
    except ValueError:
        raise ValueError(f"seuil de secret statistique : entier ≥ 1 attendu, reçu « {value} »") from None
    if result < 1:
        raise ValueError(f"seuil de secret statistique : entier ≥ 1 attendu, reçu « {value} »")
    return result


def secret_column(column: str) -> str:
    """Name of the boolean companion column flagging masked cells of *column*."""
    return f"{column}{SECRET_SUFFIX}"


def is_primary(value: float, threshold: int) -> bool:
    """True for a count ``0 < value < threshold`` (NaN and zero are not masked)."""
    return bool(pd.notna(value) and 0 < value < threshold)


# --- exact disclosure check ---------------------------------------------------------------

Equation = Sequence[tuple[int, float]]  # sum(coef * cell[index]) == 0


def exposed_cells(values: Sequence[float], masked: Sequence[bool], equations: Iterable[Equation]) -> np.ndarray:
    """Masked cells whose value is determined by the shown cells and the equations.

    Parameters
    ----------
    values : true values of every cell (flat).
    masked : which cells are hidden.
    equations : linear identities a reader knows, each a list of ``(cell index, coef)``
        summing to zero, e.g. ``[(0, 1), (1, 1), (2, -1)]`` for cell0 + cell1 = cell2.

    Returns
    -------
    boolean array: True for a masked **positive** cell whose minimum and maximum over the
    non-negative solutions coincide (it can be recomputed). A masked zero forced to zero
    is not reported: it discloses nothing.
    """
    values = np.asarray(values, dtype=float)
    masked = np.asarray(masked, dtype=bool)
    hidden = np.flatnonzero(masked)
    out = np.zeros(len(values), dtype=bool)
    if hidden.size == 0:
        return out
    position = {cell: k for k, cell in enumerate(hidden)}
    rows, rhs = [], []
    for eq in equations:
        coefs = np.zeros(hidden.size)
        const = 0.0
        for cell, coef in eq:
            if masked[cell]:
                coefs[position[cell]] += coef
            else:
                const += coef * values[cell]
        if coefs.any():
            rows.append(coefs)
            rhs.append(-const)
    if not rows:
        return out
    a_eq, b_eq = np.array(rows), np.array(rhs)
    # Fast exact path. The equations are row and column sums (a totally unimodular system):
    # a hidden cell is determined iff its row of the null space of the equations is zero;
    # when it is not and every hidden value is >= 1, an integral circulation through it
    # gives a second non-negative integer solution. Linear programming only otherwise.
    # imported here: scipy.optimize weighs about 35 MB in every kernel that imports secrecy
    from scipy.linalg import null_space
    from scipy.optimize import linprog

    kernel = null_space(a_eq)
    interior = bool((values[hidden] >= 1).all())
    truth = values[hidden]
    undecided = []
    for k, cell in enumerate(hidden):
        if not a_eq[:, k].any():
            continue
        free = kernel.size and np.abs(kernel[k]).max() > 1e-9
        if not free:
            out[cell] = values[cell] > 0
        elif not interior and values[cell] > 0:
            undecided.append(k)
    if not undecided:
        return out
    # a few vertices of the solution set, in random directions: a cell whose value differs
    # there from the true one has two integer solutions (vertices of a totally unimodular
    # system are integral); only the cells never seen to move get their own two programs
    rng = np.random.default_rng(0)
    moved = set()
    for _ in range(4):
        c = np.zeros(hidden.size)
        c[undecided] = rng.uniform(-1.0, 1.0, len(undecided))
        for sign in (1.0, -1.0):
            res = linprog(sign * c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
            if res.status == 0:
                moved.update(k for k in undecided if abs(res.x[k] - truth[k]) > 0.5)
        undecided = [k for k in undecided if k not in moved]
        if not undecided:
            return out
    for k in undecided:
        cell = hidden[k]
        c = np.zeros(hidden.size)
        c[k] = 1.0
        low = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        high = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        if high.status == 3:  # unbounded above
            continue
        # a masked zero pinned at zero (e.g. by a zero total) tells nothing about anybody
        if low.status == 0 and high.status == 0 and (-high.fun) - low.fun < 0.5:
            out[cell] = True
    return out


def protect(
    values: Sequence[float],
    primary: Sequence[bool],
    equations: Sequence[Equation],
    *,
    fixed: Iterable[int] = (),
) -> np.ndarray:
    """Primary mask plus the secondary cells needed so that no masked cell can be
    recomputed from the equations.

    *fixed* cells (published totals) are never masked. Secondary cells are chosen in an
    equation holding an exposed cell: the smallest positive unmasked cell, else the
    smallest (zero) one. Returns the final boolean mask.
    """
    values = np.asarray(values, dtype=float)
    masked = np.asarray(primary, dtype=bool).copy()
    fixed = set(fixed)
    equations = [list(eq) for eq in equations]

    def pick(cells: Iterable[int]) -> int | None:
        free = [c for c in cells if not masked[c] and c not in fixed]
        if not free:
            return None
        positive = [c for c in free if values[c] > 0]
        pool = positive or free
        return min(pool, key=lambda c: (values[c], c))

    while True:
        changed = True
        while changed:  # the classic rule: never a single masked cell in a sum
            changed = False
            for eq in equations:
                cells = [c for c, _ in eq]
                if sum(masked[c] for c in cells) == 1:
                    cand = pick(cells)
                    if cand is not None:
                        masked[cand] = True
                        changed = True
        exposed = exposed_cells(values, masked, equations)
        if not exposed.any():
            return masked
        progress = False
        for cell in np.flatnonzero(exposed):
            for eq in equations:
                cells = [c for c, _ in eq]
                if cell in cells:
                    cand = pick(cells)
                    if cand is not None:
                        masked[cand] = True
                        progress = True
                        break
            if progress:
                break
        if not progress:  # nothing left to mask: caller's totals expose it anyway
            return masked


def mask_counts(counts: Sequence[float], *, threshold: int, total_shown: bool = True) -> list[bool]:
    """Mask of a one-dimensional table of counts whose total (their sum) is shown."""
    values = [0.0 if pd.isna(v) else float(v) for v in counts]
    primary = [is_primary(v, threshold) for v in counts]
    if not total_shown:
        return primary
    n = len(values)
    equation = [(i, 1.0) for i in range(n)] + [(n, -1.0)]
    mask = protect([*values, sum(values)], [*primary, False], [equation], fixed=[n])
    return [bool(m) for m in mask[:n]]


def mask_grid(
    counts: pd.DataFrame,
    *,
    threshold: int,
    row_totals: bool = True,
    column_totals: bool = True,
    primary: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Mask of a two-dimensional table of counts (e.g. communes × themes) whose row sums
    and/or column sums (and grand total) are shown.

    Parameters
    ----------
    counts : numeric cells, NaN read as 0.
    primary : optional extra primary mask (same shape), e.g. whole small groups.

    Returns
    -------
    boolean DataFrame of the same shape: True = masked.
    """
    values = counts.fillna(0).to_numpy(dtype=float)
    r, k = values.shape
    first = np.vectorize(lambda v: is_primary(v, threshold))(values) if values.size else np.zeros((r, k), bool)
    if primary is not None:
        first = first | primary.to_numpy(dtype=bool)
    cells = list(values.ravel())
    index = lambda i, j: i * k + j  # noqa: E731
    equations, fixed = [], []
    if row_totals:
        for i in range(r):
            cells.append(values[i].sum())
            fixed.append(len(cells) - 1)
            equations.append([(index(i, j), 1.0) for j in range(k)] + [(len(cells) - 1, -1.0)])
    if column_totals:
        for j in range(k):
            cells.append(values[:, j].sum())
            fixed.append(len(cells) - 1)
            equations.append([(index(i, j), 1.0) for i in range(r)] + [(len(cells) - 1, -1.0)])
    mask = protect(cells, [*first.ravel(), *([False] * (len(cells) - r * k))], equations, fixed=fixed)
    return pd.DataFrame(mask[: r * k].reshape(r, k), index=counts.index, columns=counts.columns)


# --- survey tables -----------------------------------------------------------------------

def apply_mask(table: pd.DataFrame, flags: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Copy of *table* where, for each ``column: boolean array`` of *flags*, flagged
    values become NaN (column cast to float) and ``<column>__secret`` holds the flags."""
    out = table.copy()
    for column, flag in flags.items():
        flag = np.asarray(flag, dtype=bool)
        out[column] = out[column].astype("float64").where(~flag)
        out[secret_column(column)] = flag
    return out




def mask_frequencies(table: pd.DataFrame, *, threshold: int) -> pd.DataFrame:
    """Mask a frequency table (:func:`cdv_lib.survey.frequencies`, or the long
    :func:`cdv_lib.survey.matrix_frequencies` whose blocks are the ``ligne`` values).

    Each block: if ``0 < base < threshold`` everything is masked (including ``base`` and
    the ``_nr`` count); otherwise choice counts under the threshold are masked, with
    secondary masking when the counts add up to the base (single-choice questions; for
    multiple-choice questions the counts do not add up and only primary masking applies);
    the ``_nr`` count is masked if under the threshold.

    Returns
    -------
    copy with ``effectif``, ``part``, ``base`` NaN where masked and boolean
    ``effectif__secret``, ``part__secret``, ``base__secret``.
    """
    n = len(table)
    flag_count = np.zeros(n, dtype=bool)
    flag_base = np.zeros(n, dtype=bool)
    blocks = table.groupby("ligne", sort=False).indices if "ligne" in table.columns else {None: np.arange(n)}
    for positions in blocks.values():
        block = table.iloc[positions]
        base = block["base"].iloc[0]
        if is_primary(base, threshold):
            flag_count[positions] = True
            flag_base[positions] = True
            continue
        is_nr = (block["code"] == NON_RESPONSE_CODE).to_numpy()
        choices = block[~is_nr]
        additive = choices["effectif"].sum() == base
        mask = mask_counts(list(choices["effectif"]), threshold=threshold, total_shown=bool(additive))
        flag_count[positions[~is_nr]] = mask
        flag_count[positions[is_nr]] = [is_primary(v, threshold) for v in block.loc[is_nr, "effectif"]]
    return apply_mask(table, {"effectif": flag_count, "part": flag_count, "base": flag_base})


def mask_crosstab(table: pd.DataFrame, *, threshold: int,
                  hidden_groups: Sequence[str] = ()) -> pd.DataFrame:
    """Mask a :func:`cdv_lib.survey.crosstab` table (``groupe`` blocks).

    Groups whose base is under the threshold are masked whole; then cells under the
    threshold; then secondary cells so that nothing can be recomputed from the group
    bases, the overall count of each choice (column totals, published in the overall
    tri à plat) and the overall base. The ``_nr`` counts form a column like the choices
    (its total is known) but are not part of the group's base.

    *hidden_groups* are never shown (e.g. the respondents without a commune, whose counts
    are the overall counts minus those of the communes): they are masked whole, and the
    other groups are protected against differencing with them.

    Returns
    -------
    copy with ``effectif``, ``part``, ``base`` NaN where masked and their
    ``__secret`` companion columns.
    """
    groups = list(dict.fromkeys(table["groupe"]))
    codes = list(dict.fromkeys(table["code"]))
    choice_codes = [c for c in codes if c != NON_RESPONSE_CODE]
    pos = {(g, c): i for i, (g, c) in enumerate(zip(table["groupe"], table["code"]))}
    body = table[table["code"] != NON_RESPONSE_CODE]
    bases = table.groupby("groupe", sort=False)["base"].first().reindex(groups).astype(float).to_numpy()
    additive = all(
        body.loc[body["groupe"] == g, "effectif"].sum() == b for g, b in zip(groups, bases)
    )
    r, k = len(groups), len(codes)
    grid = np.zeros((r, k))
    for (g, c), i in pos.items():
        grid[groups.index(g), codes.index(c)] = table["effectif"].iloc[i]
    # flat cells: grid (r*k), group bases (r), column totals (k), grand base (1)
    cell = lambda i, j: i * k + j  # noqa: E731
    base_cell = lambda i: r * k + i  # noqa: E731
    col_cell = lambda j: r * k + r + j  # noqa: E731
    grand = r * k + r + k
    values = [*grid.ravel(), *bases, *grid.sum(axis=0), bases.sum()]
    primary = [is_primary(v, threshold) for v in grid.ravel()] + [is_primary(b, threshold) for b in bases]
    primary += [False] * (k + 1)
    hidden = {groups.index(g) for g in hidden_groups if g in groups}
    for i, b in enumerate(bases):
        # a hidden group's base is known by difference anyway: only its cells are hidden
        if is_primary(b, threshold) or i in hidden:
            for j in range(k):
                primary[cell(i, j)] = True
    equations = []
    if additive:
        for i in range(r):
            equations.append([(cell(i, j), 1.0) for j, c in enumerate(codes) if c in choice_codes]
                             + [(base_cell(i), -1.0)])
    for j in range(k):
        equations.append([(cell(i, j), 1.0) for i in range(r)] + [(col_cell(j), -1.0)])
    equations.append([(base_cell(i), 1.0) for i in range(r)] + [(grand, -1.0)])
    fixed = [col_cell(j) for j in range(k)] + [grand] + [base_cell(i) for i in hidden]
    for i in hidden:
        primary[base_cell(i)] = False
    mask = protect(values, primary, equations, fixed=fixed)
    flag_count = np.zeros(len(table), dtype=bool)
    flag_base = np.zeros(len(table), dtype=bool)
    for (g, c), i in pos.items():
        gi = groups.index(g)
        flag_count[i] = mask[cell(gi, codes.index(c))]
        flag_base[i] = mask[base_cell(gi)]
    # a masked base makes every share of its group recomputable into counts: hide them
    flag_share = flag_count | flag_base
    return apply_mask(table, {"effectif": flag_count | flag_base, "part": flag_share, "base": flag_base})


# --- the policies of the displayed tables --------------------------------------------------
# Every table shown to a reader (report, workbook, app, document) declares the rule that
# protected it (``cdv_lib.report.table.ReportTable.secret_rule``): an undeclared table
# cannot be built.

RULE_PUBLIC = "public"
RULE_POPULATION = "population"
RULE_SCOPE = "perimetre"
RULE_COUNTS = "effectifs"
RULE_GROUPS = "groupes"
RULE_MARKERS = "marqueurs"
RULE_VERBATIMS = "verbatims"
RULE_OWN_ANSWERS = "reponses_propres"
RULES: dict[str, str] = {
    RULE_PUBLIC: "aucun chiffre sur des personnes (montants, actions, règles, engagements)",
    RULE_POPULATION: "question posée à toute la population : un bloc dont la base est sous "
                     "le seuil est masqué en entier",
    RULE_SCOPE: "question restreinte à une commune : cases protégées conjointement avec "
                "toutes les communes et les résultats de l'agglomération",
    RULE_COUNTS: "effectifs de personnes dont le total est publié : masquage primaire et "
                 "secondaire",
    RULE_GROUPS: "effectifs par groupe : groupe sous le seuil ou masqué ailleurs masqué en "
                 "entier, effectifs sous le seuil masqués",
    RULE_MARKERS: "marqueurs INSEE « s » conservés",
    RULE_VERBATIMS: "verbatims marqués anonymisés seulement, entretiens sous pseudonyme",
    RULE_OWN_ANSWERS: "réponses de la commune elle-même, dans son seul rapport, sur décision "
                      "de l'agglomération (config.yaml : secret.reponses_propres)",
}


def _as_float(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce").astype("float64")


def protect_counts(table: pd.DataFrame, *, threshold: int, count: str = "n",
                   share: str = "part", base: str = "base_n") -> pd.DataFrame:
    """Counts of persons (interviews per actor type, levels of the participation ladder)
    shown with their shares and their base.

    A base under the threshold masks everything. Otherwise counts under the threshold
    are masked; when the counts add up to the base (each person counted once), the base
    is a published total and secondary masking keeps every masked count from being
    recomputed from it. A share is masked with its count (share × base gives it back).

    Returns
    -------
    copy with *count*, *share*, *base* NaN where masked and their ``__secret`` flags.
    """
    counts = _as_float(table[count])
    bases = _as_float(table[base]).dropna().unique()
    n = len(table)
    if len(bases) and is_primary(float(bases[0]), threshold):
        every = np.ones(n, dtype=bool)
        return apply_mask(table, {count: every, share: every, base: every})
    additive = len(bases) == 1 and counts.fillna(0).sum() == bases[0]
    flag = np.asarray(mask_counts(list(counts.fillna(0)), threshold=threshold,
                                  total_shown=bool(additive)), dtype=bool)
    return apply_mask(table, {count: flag, share: flag, base: np.zeros(n, dtype=bool)})


def protect_groups(table: pd.DataFrame, *, group: str, threshold: int,
                   hidden: Iterable[str] = (), count: str = "n", share: str = "part",
                   base: str = "base_n") -> pd.DataFrame:
    """Counts within groups that do not add up (codes cited in interviews, per actor
    type), each with its group's base.

    A group whose base is under the threshold, or listed in *hidden* (its size is masked
    in another table, e.g. by :func:`protect_counts`), is masked whole; in the other
    groups, counts under the threshold are masked with their share.
    """
    hidden = {str(g) for g in hidden}
    groups = table[group].astype("string").fillna("")
    bases = _as_float(table[base])
    whole = (groups.isin(hidden) | bases.map(lambda v: is_primary(v, threshold))).to_numpy(bool)
    small = _as_float(table[count]).map(lambda v: is_primary(v, threshold)).to_numpy(bool)
    return apply_mask(table, {count: whole | small, share: whole | small, base: whole})


def protect_question(block: pd.DataFrame, *, threshold: int, count: str = "n",
                     share: str = "part", base: str = "base_n") -> pd.DataFrame:
    """One question block (one matrix row) about the whole population: masked whole when
    its base is under the threshold. Counts of the whole population are not a
    sub-population's and stay shown."""
    small = _as_float(block[base]).map(lambda v: is_primary(v, threshold)).to_numpy(bool)
    return apply_mask(block, {count: small, share: small, base: small})


def protect_question_in_scope(block: pd.DataFrame, scope: pd.DataFrame, group: str, *,
                              threshold: int, hidden_groups: Sequence[str] = (),
                              count: str = "n", share: str = "part",
                              base: str = "base_n") -> pd.DataFrame:
    """One question block restricted to one group (a commune's respondents).

    *scope* is the cross tab of the question by every group
    (:func:`cdv_lib.survey.crosstab`, columns ``groupe``, ``code``, ``effectif``,
    ``part``, ``base``), plus the *hidden_groups* (respondents without a group, whose
    counts are the overall ones minus the groups'). It is masked as a whole with
    :func:`mask_crosstab`, the overall counts being published, so that no cell of
    *group* can be recomputed by differencing the overall table with the other groups'
    reports. The block of *group* takes the mask of its row, by ``code``.
    """
    masked = mask_crosstab(scope, threshold=threshold, hidden_groups=hidden_groups)
    mine = masked[masked["groupe"].astype(str) == str(group)]
    by_code = dict(zip(mine["code"].astype(str), mine[secret_column("effectif")]))
    share_by_code = dict(zip(mine["code"].astype(str), mine[secret_column("part")]))
    base_flag = bool(mine[secret_column("base")].any()) if len(mine) else False
    codes = block["code"].astype(str)
    flag_count = codes.map(lambda c: bool(by_code.get(c, False))).to_numpy(bool)
    flag_share = codes.map(lambda c: bool(share_by_code.get(c, False))).to_numpy(bool)
    flag_base = np.full(len(block), base_flag, dtype=bool)
    return apply_mask(block, {count: flag_count | flag_base, share: flag_share | flag_base,
                              base: flag_base})
