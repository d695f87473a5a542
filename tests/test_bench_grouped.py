"""Every indicator of every EPCI in grouped passes: the rows of one EPCI in each grouped
table are the theme function's result on that EPCI's contract."""

from __future__ import annotations

import pandas as pd
import pytest

from cdv_lib.bench import grouped as G
from cdv_lib.bench import national as N
from cdv_lib.bench import synthetic


@pytest.fixture(scope="module")
def national():
    data = synthetic.generate(5, **N.QUICK_SIZES)
    return data, N.split_contracts(data)


def test_every_grouped_indicator_equals_the_per_epci_result(national):
    data, contracts = national
    per_epci = {i.name: i for i in N.indicators()}
    checked = 0
    for g in G.grouped_indicators():
        table = g.fn(data)
        errors = table.attrs.get("errors", {})
        for code, contract in contracts.items():
            try:
                expected = per_epci[g.name].fn(contract)
            except Exception as exc:  # the grouped form says the same
                assert code in errors or (g.name == "finances.evolution" and table.loc[
                    table[G.EPCI] == code, "erreur"].iloc[0]), (g.name, code, exc)
                continue
            assert code not in errors, (g.name, code)
            if g.name in ("finances.evolution", "survey.median_level[satisfaction]"):
                got = table.loc[table[G.EPCI] == code, "valeur"].iloc[0]
                assert (pd.isna(got) and pd.isna(expected)) or got == pytest.approx(expected)
                checked += 1
                continue
            got = G.epci_slice(table, code)
            expected = expected.reset_index(drop=True)
            attrs, expected.attrs = dict(expected.attrs), {}
            if got.empty and expected.empty:  # no value: the columns only
                assert list(got.columns) == list(expected.columns)
            else:
                pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9,
                                              obj=f"{g.name} {code}")
            if "test" in attrs:  # the cross table's independence test
                test = table.attrs["tests"].set_index(G.EPCI).loc[code].to_dict()
                for key, value in {**attrs["test"], "sans_groupe": attrs["sans_groupe"]}.items():
                    assert (pd.isna(value) and pd.isna(test[key])) or test[key] == pytest.approx(value), key
            checked += 1
    assert checked >= len(G.grouped_indicators()) * len(contracts) // 2


def test_run_all_covers_every_indicator_and_says_how(national):
    data, contracts = national
    res = G.run_all(data, contracts)
    names = [i.name for i in N.indicators()]
    assert set(res["results"]) | set(res["errors"]) == set(names)
    assert set(res["methods"].values()) <= {G.GROUPED, G.NATIONAL, G.PER_EPCI}
    grouped = [n for n, m in res["methods"].items() if m != G.PER_EPCI]
    assert len(grouped) == len(names)  # every indicator in grouped passes
    table = res["results"]["finances.totals[annee]"]
    assert set(table[G.EPCI]) <= set(data.epci[G.EPCI])
    assert table["montant_accorde"].sum() == pytest.approx(
        float(data.programmation["montant_accorde"].astype("float64").fillna(0).sum()))


def test_frames_equal_compares_values_and_treats_empty_tables_by_their_columns():
    from cdv_lib.bench.national import frames_equal

    a = pd.DataFrame({"x": [1.0, 2.0], "y": ["a", "b"]})
    assert frames_equal(a, a.copy())
    assert not frames_equal(a, a.assign(x=[1.0, 2.5]))
    assert not frames_equal(a, a.iloc[::-1])
    empty = a.iloc[0:0]
    assert frames_equal(empty, empty.astype(object))
    assert not frames_equal(empty, empty.rename(columns={"y": "z"}))


@pytest.mark.parametrize("matrix, valid", [
    ([[30, 12, 8], [10, 25, 15], [9, 11, 40]], True),
    ([[3, 1, 0], [1, 2, 0]], None),                   # small counts: the library decides
    ([[5, 0], [0, 0]], False),                        # less than two groups with answers
    ([[12, 0, 20], [15, 0, 11]], None),               # an empty choice dropped
])
def test_independence_of_the_grouped_cross_table_is_the_library_test(matrix, valid):
    import numpy as np

    from cdv_lib.survey.crosstab import GROUP, independence_test

    observed = np.array(matrix, dtype="int64")
    rows = [{GROUP: f"g{i}", "code": f"c{j}", "libelle": f"c{j}", "effectif": int(v),
             "part": np.nan, "base": 0} for i, row in enumerate(observed) for j, v in enumerate(row)]
    rows += [{GROUP: f"g{i}", "code": "_nr", "libelle": "Non-réponse", "effectif": 0,
              "part": np.nan, "base": 0} for i in range(len(observed))]
    expected = independence_test(pd.DataFrame(rows))
    got = G._independence(observed, multiple=False)
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert (pd.isna(value) and pd.isna(got[key])) or got[key] == pytest.approx(value), key
    if valid is not None:
        assert got["valide"] is valid
    assert G._independence(observed, multiple=True)["note"] == independence_test(
        pd.DataFrame(rows), multiple=True)["note"]
