"""The app's log: to the process's real stderr (the server console). Inside a kernel,
``sys.stderr`` is sent to the page, which must never show a traceback."""

from __future__ import annotations

import logging
import sys
import warnings
from contextlib import contextmanager

NAME = "cdv_lib.app"


def logger() -> logging.Logger:
    log = logging.getLogger(NAME)
    if not log.handlers:
        handler = logging.StreamHandler(sys.__stderr__)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log


@contextmanager
def quiet():
    """Warnings raised inside go to the log, not to the page."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        logger().warning("%s: %s", w.category.__name__, w.message)
