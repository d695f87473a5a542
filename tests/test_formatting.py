"""French formatting: one no-break space (U+00A0) everywhere, half-up rounding."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cdv_lib.formatting import (
    NA_TEXT,
    fmt_date,
    fmt_euro,
    fmt_evolution,
    fmt_int,
    fmt_number,
    fmt_percent,
    french_table,
)

S = "\u00a0"


def test_percent():
    assert fmt_percent(8 / 19) == f"42,1{S}%"
    assert fmt_percent(0.5) == f"50,0{S}%"
    assert fmt_percent(13 / 18) == f"72,2{S}%"
    assert fmt_percent(9 / 16) == f"56,3{S}%"     # 56,25 rounded half-up
    assert fmt_percent(1 / 3, 0) == f"33{S}%"
    assert fmt_percent(1) == f"100,0{S}%"


def test_numbers_and_euros():
    assert fmt_euro(5760000) == f"5{S}760{S}000{S}€"
    assert fmt_euro(12337) == f"12{S}337{S}€"
    assert fmt_euro(207654.5, 2) == f"207{S}654,50{S}€"
    assert fmt_int(241934) == f"241{S}934"
    assert fmt_int(2.5) == "3"
    assert fmt_number(1234.56, 1) == f"1{S}234,6"
    assert fmt_number(-3.25, 1) == "-3,3"
    assert fmt_number(-0.01, 1) == "0,0"
    assert "\u202f" not in fmt_int(1_000_000)


def test_evolution_and_dates():
    assert fmt_evolution(0.47) == f"+47,0{S}%"
    assert fmt_evolution(-0.125) == f"-12,5{S}%"
    assert fmt_evolution(0) == f"0,0{S}%"
    assert fmt_date(dt.date(2022, 4, 25)) == "25/04/2022"
    assert fmt_date(pd.Timestamp("2022-05-06 10:00")) == "06/05/2022"
    assert fmt_date("2022-04-25") == "25/04/2022"


@pytest.mark.parametrize("fn", [fmt_percent, fmt_number, fmt_int, fmt_euro, fmt_evolution, fmt_date])
def test_missing_values(fn):
    for missing in (None, np.nan, pd.NA, pd.NaT):
        assert fn(missing) == NA_TEXT


def test_french_table_with_secret_cells():
    df = pd.DataFrame({
        "libelle": ["Insuffisants", "Suffisants", "Non-réponse"],
        "effectif": [3.0, np.nan, 1.0],
        "part": [3 / 19, np.nan, np.nan],
        "effectif__secret": [False, True, False],
        "part__secret": [False, True, False],
    })
    out = french_table(df, {"effectif": "int", "part": "percent"})
    assert list(out.columns) == ["libelle", "effectif", "part"]
    assert out.to_dict("list") == {
        "libelle": ["Insuffisants", "Suffisants", "Non-réponse"],
        "effectif": ["3", "s", "1"],
        "part": [f"15,8{S}%", "s", NA_TEXT],
    }
    custom = french_table(df[["part"]], {"part": "percent:0"})
    assert custom["part"].iloc[0] == f"16{S}%"
    with pytest.raises(KeyError, match="absentes"):
        french_table(df, {"montant": "euro"})
    with pytest.raises(ValueError, match="format inconnu"):
        french_table(df, {"part": "pourcent"})
