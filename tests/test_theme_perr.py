"""PERR theme: engagements, status counts, share realised, indicators exploded."""

from __future__ import annotations

import pandas as pd
import pytest

from cdv_lib.themes import perr as P


def perr():
    return pd.DataFrame({
        "id": pd.array([3, 1, 2, 4, 5], dtype="Int64"),
        "intitule": ["Trois", "Un", "Deux", "Quatre", "Cinq"],
        "statut": ["en cours", "réalisé", "Realise", "partiellement réalisé", "réalisé"],
        "indicateurs": ["a | b", "c", "", "d|e|f", pd.NA],
        "pilier": ["Emploi", "Cadre de vie", pd.NA, "Emploi", "Cohésion sociale"],
    })


def test_engagements_sorted_and_normalised():
    out = P.engagements(perr())
    assert list(out["id"]) == [1, 2, 3, 4, 5]
    assert list(out["statut"].astype(str)) == ["réalisé", "réalisé", "en cours",
                                                "partiellement réalisé", "réalisé"]
    assert list(out["n_indicateurs"]) == [1, 0, 2, 3, 0]


def test_status_counts_lists_every_status():
    out = P.status_counts(perr())
    assert list(out["statut"].astype(str)) == P.STATUSES
    assert list(out["n"]) == [3, 1, 1, 0]
    assert set(out["base_n"]) == {5}
    assert out["part"].tolist() == pytest.approx([0.6, 0.2, 0.2, 0.0])


def test_share_realised():
    strict = P.share_realised(perr())
    assert strict.loc[0, "n"] == 3 and strict.loc[0, "base_n"] == 5
    assert strict.loc[0, "part"] == pytest.approx(0.6)
    wide = P.share_realised(perr(), include_partial=True)
    assert wide.loc[0, "part"] == pytest.approx(0.8)


def test_indicators_one_per_row():
    out = P.indicators_long(perr())
    assert list(zip(out["id"], out["indicateur"])) == [
        (1, "c"), (3, "a"), (3, "b"), (4, "d"), (4, "e"), (4, "f")]


def test_unknown_status_rejected():
    bad = perr()
    bad.loc[0, "statut"] = "abandonné"
    with pytest.raises(ValueError, match="abandonné"):
        P.status_counts(bad)
