"""Former home of the report layer, kept as a thin alias of :mod:`cdv_lib.report` while
other modules move to it."""

from cdv_lib.report import THEMES, ReportTable, all_tables, commune_name, find, theme_tables
from cdv_lib.report.display import render, scope_header, show, to_html
from cdv_lib.report.questionnaires import survey_tables
from cdv_lib.report.table import (
    BASE_HEADER,
    DECIMAL,
    EURO,
    INTEGER,
    KINDS,
    MISSING_MARK,
    PERCENT,
    TEXT,
    format_value,
)

__all__ = ["BASE_HEADER", "DECIMAL", "EURO", "INTEGER", "KINDS", "MISSING_MARK", "PERCENT",
           "TEXT", "THEMES", "ReportTable", "all_tables", "commune_name", "find",
           "format_value", "render", "scope_header", "show", "survey_tables", "theme_tables",
           "to_html"]
