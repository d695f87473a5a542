"""Meetings journal: counts of meetings, people and hours by type."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdv_lib.themes.reunions import find_meetings, meeting_counts


def reunions():
    return pd.DataFrame({
        "date": pd.to_datetime(["2022-03-01", "2022-03-02", "2022-03-08", "2021-09-15",
                                "2021-10-15", "2022-05-01"]),
        "dispositif": ["Évaluation", "Evaluation", "Évaluation", "ASV", "ASV", "CLS"],
        "instance": ["audition commune", "Audition  commune", "audition association",
                     "groupe de travail", "groupe de travail", "groupe de travail"],
        "groupe": [np.nan, np.nan, np.nan, "Méthodologie", "methodologie", "Jeunes"],
        "participant": ["01004", "01053", "association", np.nan, np.nan, np.nan],
        "duree_heures": [1.5, 2.0, np.nan, 2.0, 2.5, 1.0],
        "elus": pd.array([2, 1, pd.NA, pd.NA, pd.NA, pd.NA], dtype="Int64"),
        "techniciens": pd.array([3, pd.NA, 1, pd.NA, pd.NA, 4], dtype="Int64"),
    })


def test_counts_by_instance_merge_spellings():
    out = meeting_counts(reunions(), "instance")
    assert list(out.columns) == ["instance", "n_reunions", "elus", "techniciens",
                                 "personnes", "heures"]
    assert out["instance"].tolist() == ["audition association", "audition commune",
                                        "groupe de travail"]
    assert out["n_reunions"].tolist() == [1, 2, 3]
    assert out["elus"].tolist() == [0, 3, 0]
    assert out["techniciens"].tolist() == [1, 3, 4]
    assert out["personnes"].tolist() == [1, 6, 4]
    assert out["heures"].tolist() == [0.0, 3.5, 5.5]


def test_default_grouping_keeps_groups_and_empty_group():
    out = meeting_counts(reunions())
    assert list(out.columns[:3]) == ["dispositif", "instance", "groupe"]
    assert len(out) == 4
    asv = find_meetings(out, dispositif="asv", groupe="METHODOLOGIE")
    assert asv["groupe"].tolist() == ["Méthodologie"]  # first spelling shown
    assert asv["n_reunions"].tolist() == [2] and asv["heures"].tolist() == [4.5]
    hearings = find_meetings(out, instance="audition commune")
    assert hearings["groupe"].isna().all() and hearings["n_reunions"].tolist() == [2]
    assert int(out["n_reunions"].sum()) == len(reunions())


def test_empty_journal_gives_typed_empty_table():
    out = meeting_counts(reunions().iloc[:0], ("instance", "groupe"))
    assert out.empty
    assert list(out.columns) == ["instance", "groupe", "n_reunions", "elus", "techniciens",
                                 "personnes", "heures"]
    assert out["n_reunions"].dtype == "int64" and out["heures"].dtype == "float64"


def test_find_meetings_without_match_is_empty():
    out = find_meetings(meeting_counts(reunions(), "instance"), instance="restitution")
    assert out.empty
