"""Statistical secrecy: thresholds, primary and secondary masking, markers.

The brute-force helpers enumerate every non-negative integer table consistent with what
is shown (unmasked cells, row and column totals) and check that every masked cell takes
at least two different values: no masked figure can be recomputed.
"""

import itertools
import random

import numpy as np
import pandas as pd
import pytest

from cdv_lib.secrecy import (
    exposed_cells,
    mask_counts,
    mask_crosstab,
    mask_frequencies,
    mask_grid,
    secret_column,
    threshold,
)


def possible_values_1d(counts, mask):
    """Every value each masked cell can take, given shown cells and the total."""
    total = sum(counts)
    hidden = [i for i, m in enumerate(mask) if m]
    rest = total - sum(c for c, m in zip(counts, mask) if not m)
    seen = {i: set() for i in hidden}
    for combo in itertools.product(range(rest + 1), repeat=len(hidden)):
        if sum(combo) == rest:
            for i, v in zip(hidden, combo):
                seen[i].add(v)
    return seen


def possible_values_2d(grid, mask):
    """Every value each masked cell can take, given shown cells, row and column totals
    (backtracking: the last masked cell of a row is fixed by the row's remainder)."""
    grid = np.asarray(grid)
    mask = np.asarray(mask, dtype=bool)
    row_left = [int(grid[i].sum() - grid[i][~mask[i]].sum()) for i in range(grid.shape[0])]
    col_left = [int(grid[:, j].sum() - grid[:, j][~mask[:, j]].sum()) for j in range(grid.shape[1])]
    hidden = [tuple(h) for h in zip(*np.nonzero(mask))]
    last_in_row = {i: max(j for r, j in hidden if r == i) for i, _ in hidden}
    seen = {h: set() for h in hidden}
    chosen = []

    def walk(k):
        if k == len(hidden):
            if not any(col_left) and not any(row_left):
                for h, v in zip(hidden, chosen):
                    seen[h].add(v)
            return
        i, j = hidden[k]
        options = [row_left[i]] if last_in_row[i] == j else range(min(row_left[i], col_left[j]) + 1)
        for v in options:
            if v < 0 or v > col_left[j]:
                continue
            row_left[i] -= v
            col_left[j] -= v
            chosen.append(v)
            walk(k + 1)
            chosen.pop()
            row_left[i] += v
            col_left[j] += v

    walk(0)
    return seen


def test_threshold_from_config():
    assert threshold() == 5
    cfg = {"secret": {"seuil_defaut": 5, "seuils": {"fiscal": 11}}}
    assert threshold(cfg) == 5
    assert threshold(cfg, "fiscal") == 11
    assert threshold(cfg, "questionnaire") == 5
    assert threshold({"seuil_defaut": "7"}) == 7  # the secret section alone, YAML string
    with pytest.raises(ValueError, match="entier ≥ 1"):
        threshold({"seuil_defaut": 0})


def test_one_dimension_primary_and_secondary():
    # 3 is under 5: masked; alone it would be 20 - 12 - 5 = 3, so the next smallest (5) goes too
    assert mask_counts([3, 12, 5, 0], threshold=5) == [True, False, True, False]
    # zeros are never primary; a lone primary cell takes the smallest positive one
    assert mask_counts([0, 2, 9, 7], threshold=5) == [False, True, False, True]
    # two primary cells already protect each other
    assert mask_counts([2, 3, 10], threshold=5) == [True, True, False]
    # nothing under the threshold: nothing masked
    assert mask_counts([5, 6, 0], threshold=5) == [False, False, False]
    # without a shown total, no secondary masking is needed
    assert mask_counts([3, 12], threshold=5, total_shown=False) == [True, False]


def test_one_dimension_brute_force():
    rng = random.Random(7)
    for _ in range(200):
        counts = [rng.choice([0, 0, 1, 2, 3, 4, 6, 8]) for _ in range(rng.randint(2, 4))]
        mask = mask_counts(counts, threshold=5)
        for i, c in enumerate(counts):
            if 0 < c < 5:
                assert mask[i], (counts, mask)
        for cell, values in possible_values_1d(counts, mask).items():
            assert len(values) >= 2, (counts, mask, cell, values)


def test_two_dimensions_hand_made():
    grid = pd.DataFrame([[3, 10, 8], [7, 9, 12], [6, 11, 2]],
                        index=["Lens", "Liévin", "Avion"], columns=["a", "b", "c"])
    mask = mask_grid(grid, threshold=5)
    assert mask.loc["Lens", "a"] and mask.loc["Avion", "c"]  # primary
    # no row or column with exactly one masked cell
    assert not (mask.sum(axis=1) == 1).any()
    assert not (mask.sum(axis=0) == 1).any()
    for cell, values in possible_values_2d(grid.to_numpy(), mask.to_numpy()).items():
        assert len(values) >= 2, (cell, values)


def test_two_dimensions_brute_force():
    rng = random.Random(3)
    checked = 0
    for _ in range(60):
        shape = rng.choice([(2, 3), (3, 3), (3, 4)])
        grid = np.array([[rng.choice([0, 1, 2, 3, 5, 6, 9]) for _ in range(shape[1])] for _ in range(shape[0])])
        mask = mask_grid(pd.DataFrame(grid), threshold=4).to_numpy()
        assert all(mask[i, j] for i, j in zip(*np.nonzero((grid > 0) & (grid < 4))))
        for cell, values in possible_values_2d(grid, mask).items():
            # a zero pinned by a zero total discloses nothing; every positive figure must be uncertain
            assert len(values) >= 2 or grid[cell] == 0, (grid, mask, cell, values)
        checked += 1
    assert checked == 60


def test_exposed_cells_detects_bounds():
    # a + b = 1, a + c = 1, b + d = 1, c + d = 1 is not unique (a = 0 or 1) ...
    values = [1, 0, 0, 1, 1, 1, 1, 1]
    eqs = [[(0, 1), (1, 1), (4, -1)], [(2, 1), (3, 1), (5, -1)], [(0, 1), (2, 1), (6, -1)], [(1, 1), (3, 1), (7, -1)]]
    assert not exposed_cells(values, [1, 1, 1, 1, 0, 0, 0, 0], eqs).any()
    # ... but with b + d = 0 non-negativity forces b = d = 0, then a = c = 1 are exposed
    # (b and d, zeros pinned at zero, disclose nothing and are not reported)
    values = [1, 0, 1, 0, 1, 1, 2, 0]
    exposed = exposed_cells(values, [1, 1, 1, 1, 0, 0, 0, 0], eqs)
    assert exposed[:4].tolist() == [True, False, True, False]


FREQ = pd.DataFrame({
    "code": ["a", "b", "c", "_nr"],
    "libelle": ["A", "B", "C", "Non-réponse"],
    "effectif": [3, 12, 5, 1],
    "part": [3 / 20, 12 / 20, 5 / 20, np.nan],
    "base": [20, 20, 20, 20],
})


def test_mask_frequencies():
    out = mask_frequencies(FREQ, threshold=5)
    assert list(out[secret_column("effectif")]) == [True, False, True, True]
    assert list(out["part__secret"]) == [True, False, True, True]
    assert not out["base__secret"].any()
    assert out["effectif"].isna().tolist() == [True, False, True, True]
    assert out["part"].iloc[1] == pytest.approx(0.6)
    # base under the threshold: the whole table goes
    small = FREQ.assign(effectif=[1, 2, 0, 0], base=3, part=[1 / 3, 2 / 3, 0, np.nan])
    out = mask_frequencies(small, threshold=5)
    assert out["effectif__secret"].all() and out["base__secret"].all() and out["base"].isna().all()
    single = mask_frequencies(FREQ.assign(base=1), threshold=5)
    assert single["base__secret"].all() and single["base"].isna().all()
    # multiple choice: counts do not add up to the base, primary only
    multi = FREQ.assign(effectif=[3, 12, 15, 0])
    assert list(mask_frequencies(multi, threshold=5)["effectif__secret"]) == [True, False, False, False]


def visible_small_counts(table, columns, *, threshold):
    """Cells of *columns* shown (not flagged) with 0 < value < threshold: what an outside
    reader would see."""
    found = []
    for column in columns:
        flag = table.get(secret_column(column))
        for idx, value in table[column].items():
            hidden = flag is not None and bool(flag.loc[idx])
            if not hidden and pd.notna(value) and 0 < value < threshold:
                found.append((column, idx, value))
    return pd.DataFrame(found, columns=["colonne", "ligne", "valeur"])


def crosstab_table(groups):
    rows = []
    for group, counts, nr in groups:
        base = sum(counts)
        for code, n in zip(["x", "y", "z"], counts):
            rows.append((group, code, code.upper(), n, n / base if base else np.nan, base))
        rows.append((group, "_nr", "Non-réponse", nr, np.nan, base))
    return pd.DataFrame(rows, columns=["groupe", "code", "libelle", "effectif", "part", "base"])


def test_mask_crosstab_small_group_and_secondary():
    table = crosstab_table([
        ("Avion", [1, 1, 1], 0),     # base 3 < 5: masked whole
        ("Lens", [6, 7, 8], 0),
        ("Liévin", [9, 6, 10], 0),
    ])
    out = mask_crosstab(table, threshold=5)
    av = out[out["groupe"] == "Avion"]
    assert av["base__secret"].all() and av["effectif__secret"].all() and av["part"].isna().all()
    # Avion's base would be the overall base minus the others: another group's base goes too
    assert out.groupby("groupe")["base__secret"].first().sum() >= 2
    # brute force on the counts grid with group bases and column totals shown or masked
    grid = np.array([[1, 1, 1], [6, 7, 8], [9, 6, 10]])
    mask = out[out["code"] != "_nr"]["effectif__secret"].to_numpy().reshape(3, 3)
    for cell, values in possible_values_2d(grid, mask).items():
        assert len(values) >= 2
    assert visible_small_counts(out, ["effectif", "base"], threshold=5).empty
    assert not visible_small_counts(table, ["effectif"], threshold=5).empty


def test_survey_crosstab_masked_end_to_end():
    """A real crosstab of normalised answers, masked, then formatted for display."""
    import io

    import yaml

    from cdv_lib.formatting import french_table
    from cdv_lib.survey import crosstab, definition_from_dict, normalize_responses

    definition = definition_from_dict(yaml.load(
        "id: t\nreponses: t.csv\nidentifiant: id\nattributs: {commune: {colonne: commune}}\n"
        "questions:\n  - {id: q, libelle: Q, type: unique, colonne: q, "
        "choix: [{code: oui, libelle: Oui}, {code: non, libelle: Non}]}\n",
        Loader=yaml.BaseLoader))
    # Lens: 6 oui, 6 non; Liévin: 7 oui, 1 non; Avion: 2 oui (a group of 2 associations)
    pattern = [("Lens", "oui")] * 6 + [("Lens", "non")] * 6 + [("Liévin", "oui")] * 7 \
        + [("Liévin", "non")] + [("Avion", "oui")] * 2
    csv = "id;commune;q\n" + "\n".join(f"a{i};{c};{v}" for i, (c, v) in enumerate(pattern)) + "\n"
    frame = pd.read_csv(io.StringIO(csv), sep=";", dtype=str)
    survey = normalize_responses(definition, frame)
    table = crosstab(survey, "q", "commune")
    out = mask_crosstab(table, threshold=5)
    avion = out[out["groupe"] == "Avion"]
    assert avion["base__secret"].all() and avion["effectif__secret"].all()
    lievin = out[(out["groupe"] == "Liévin") & (out["code"] != "_nr")]
    assert lievin["effectif__secret"].all()  # 1 "non" masked, so its partner "oui" too
    assert visible_small_counts(out, ["effectif", "base"], threshold=5).empty
    shown = french_table(out, {"effectif": "int", "part": "percent", "base": "int"})
    assert set(shown.loc[avion.index, "effectif"]) == {"s"}
    assert "base__secret" not in shown.columns
