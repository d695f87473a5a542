"""Exploration for analysts in JupyterLab: the questionnaire explorer (tables, chart,
export, widgets) and the checks of a year's data folder."""

from cdv_lib.explore.tables import Exploration, crossing_variables, explorable_questions, explore

__all__ = ["Exploration", "ExplorerApp", "crossing_variables", "explorable_questions", "explore"]


def __getattr__(name):
    # ipywidgets only when the app itself is asked for
    if name == "ExplorerApp":
        from cdv_lib.explore.app import ExplorerApp

        return ExplorerApp
    raise AttributeError(name)
