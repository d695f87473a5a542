"""The kernel of the app's sessions (``cdv serve``): IPython's kernel without its debugger.

``ipykernel`` imports ``debugpy`` at start-up for JupyterLab's visual debugger, about 7 MB
in every kernel; a Voilà session never debugs. Voilà finds this kernel through the
``python3`` kernelspec of ``cdv_lib/app/share/kernels`` (on ``JUPYTER_PATH`` for the
server only: JupyterLab and the batch keep the standard kernel).
"""

from __future__ import annotations

import sys


def main() -> None:
    # ``None`` in sys.modules makes ``import debugpy`` raise ImportError, which ipykernel
    # reads as "debugger not available"
    sys.modules["debugpy"] = None
    from ipykernel.kernelapp import launch_new_instance

    launch_new_instance()


if __name__ == "__main__":
    main()
