"""Questionnaires: definitions (YAML), normalised responses, tables.

>>> survey = load_survey("data/questionnaires/associations.yaml")   # doctest: +SKIP
>>> frequencies(survey, "cooperations")                              # doctest: +SKIP
"""

from cdv_lib.survey.definition import (
    QUESTION_TYPES,
    Choice,
    MatrixRow,
    Question,
    SurveyDefinition,
    definition_from_dict,
    load_definition,
)
from cdv_lib.survey.normalize import Survey, load_survey, normalize_responses, read_responses
from cdv_lib.survey.tables import (
    NON_RESPONSE_CODE,
    NON_RESPONSE_LABEL,
    filter_survey,
    frequencies,
    matrix_frequencies,
    matrix_table,
    median_level,
    numeric_summary,
    ordered_median,
    response_rate,
    selected_ids,
    text_answers,
)
from cdv_lib.survey.crosstab import (
    choice_tests,
    matrix_test,
    counts_matrix,
    crosstab,
    group_of,
    independence_test,
    pivot_crosstab,
)

__all__ = [
    "NON_RESPONSE_CODE",
    "NON_RESPONSE_LABEL",
    "counts_matrix",
    "crosstab",
    "filter_survey",
    "frequencies",
    "group_of",
    "choice_tests",
    "independence_test",
    "matrix_test",
    "matrix_frequencies",
    "matrix_table",
    "median_level",
    "numeric_summary",
    "ordered_median",
    "pivot_crosstab",
    "response_rate",
    "selected_ids",
    "text_answers",
    "QUESTION_TYPES",
    "Choice",
    "MatrixRow",
    "Question",
    "Survey",
    "SurveyDefinition",
    "definition_from_dict",
    "load_definition",
    "load_survey",
    "normalize_responses",
    "read_responses",
]
