"""The report notebooks the batch renders, as :mod:`cdv_lib.report.registry` lists them
(the one list of reports: the batch plan, the params files and the command-line help are
derived from it)."""

from __future__ import annotations

from cdv_lib.report.registry import AGGLOMERATION, REPORTS, Report

Theme = Report  # a report notebook rendered by the batch
THEMES: dict[str, Report] = REPORTS

__all__ = ["AGGLOMERATION", "THEMES", "Theme"]
