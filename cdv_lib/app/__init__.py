"""The Voilà app for elected officials: ``App.from_data().container``."""

from cdv_lib.app.dashboard import App, Unavailable

__all__ = ["App", "Unavailable"]
