"""The kernels of the app's sessions (``cdv serve``).

- :func:`main` starts IPython's kernel without its debugger: ``ipykernel`` imports ``debugpy``
  at start-up for JupyterLab's visual debugger, about 7 MB in every kernel, and a Voilà
  session never debugs. Voilà finds it through the ``python3`` kernelspec of
  ``cdv_lib/app/share/kernels`` (on ``JUPYTER_PATH`` for the server only: JupyterLab and the
  batch keep the standard kernel).
- :func:`preheat_turn` lets the kernels that Voilà preheats for its pool build the app one
  (or a few) at a time. When officials open the app together, each takes a preheated kernel
  and Voilà starts as many again at once to refill the pool: without turns those start-ups
  take every core while the officials' own sessions connect and change commune. With turns,
  a refilling kernel waits (asleep) for a free turn, and the sessions keep the other cores.

Nothing here imports more than the standard library: the notebook takes its turn before it
imports pandas and the app.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

#: Folder of the turn files (``tour-1.lock``...), made by :func:`cdv_lib.serve.start`.
TURNS_ENV = "CDV_PREHEAT_TURNS"
#: Set by Voilà in the environment of the kernels it preheats.
PREHEAT_ENV = "VOILA_PREHEAT"
TURN_PATTERN = "tour-*.lock"
#: A kernel never waits longer than this for a turn (then builds anyway).
MAX_WAIT_S = 120.0


def turn_count(cores: int) -> int:
    """Kernels that may build the app together: one core stays for the sessions."""
    return max(1, cores - 1)


def make_turns(folder: str | os.PathLike, count: int) -> list[Path]:
    """Create the *count* turn files in *folder*."""
    paths = []
    for i in range(1, max(1, count) + 1):
        path = Path(folder) / f"tour-{i}.lock"
        path.touch()
        paths.append(path)
    return paths


@contextmanager
def preheat_turn(*, max_wait: float = MAX_WAIT_S, poll: float = 0.05):
    """Hold one of the server's turns while building the app, in a kernel Voilà preheats.

    Yields ``True`` when a turn was taken, ``False`` otherwise: not a preheating kernel (a
    visitor's own kernel never waits), no turns set up (JupyterLab, tests), or none free
    within *max_wait* seconds. A turn is an exclusive ``flock`` on a file: the system frees
    it when the kernel exits, even if it is killed.
    """
    folder = os.environ.get(TURNS_ENV)
    preheating = os.environ.get(PREHEAT_ENV, "").strip().lower() == "true"
    turns = sorted(Path(folder).glob(TURN_PATTERN)) if folder and preheating else []
    if not turns:
        yield False
        return
    import fcntl

    deadline = time.monotonic() + max_wait
    held = None
    while held is None and time.monotonic() < deadline:
        for path in turns:
            fd = os.open(path, os.O_RDWR)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            held = fd
            break
        else:
            time.sleep(poll)
    try:
        yield held is not None
    finally:
        if held is not None:
            fcntl.flock(held, fcntl.LOCK_UN)
            os.close(held)


def main() -> None:
    # ``None`` in sys.modules makes ``import debugpy`` raise ImportError, which ipykernel
    # reads as "debugger not available"
    sys.modules["debugpy"] = None
    from ipykernel.kernelapp import launch_new_instance

    launch_new_instance()


if __name__ == "__main__":
    main()
