"""Code run *inside* a reused batch kernel, between two reports, so that each report starts
as in a fresh kernel while the imported libraries (and their caches) stay loaded.

:func:`snapshot` is called once, right after the kernel starts; :func:`reset` before every
report. What a fresh kernel would not have is removed: the user namespace and its history
(execution counts start again at 1), open figures, matplotlib settings, warning filters,
the working directory. Imported modules are kept on purpose: that is the saving.
"""

from __future__ import annotations

import os
import sys
import warnings

_STATE: dict = {}


def snapshot() -> None:
    """Record the state of a freshly started kernel (matplotlib inline backend loaded)."""
    import matplotlib
    import matplotlib.pyplot as plt

    plt.close(plt.figure())  # loads the inline backend, which may adjust rcParams
    _STATE["rc"] = matplotlib.rcParams.copy()
    _STATE["warnings"] = list(warnings.filters)
    _STATE["path"] = list(sys.path)


def reset(cwd: str, data_dir: str | None = None) -> None:
    """Bring the kernel back to the state recorded by :func:`snapshot`, in *cwd*; then start
    recording what the next report reads from *data_dir* (:mod:`cdv_lib.batch.reads`)."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        shell.reset(new_session=True)
    if "rc" in _STATE:
        import matplotlib
        import matplotlib.pyplot as plt

        plt.close("all")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            matplotlib.rcParams.update(_STATE["rc"])
    if "warnings" in _STATE:
        warnings.filters[:] = _STATE["warnings"]
        mutated = getattr(warnings, "_filters_mutated", None)  # invalidates "once" caches
        if mutated is not None:
            mutated()
    if "path" in _STATE:
        sys.path[:] = _STATE["path"]
    os.chdir(cwd)
    from cdv_lib.batch import reads

    reads.start(data_dir)
