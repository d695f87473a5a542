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

__all__ = [
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
