"""Importers: real exported files (LimeSurvey, XLSForm/Kobo, INSEE, subsidies, the ANCT QPV list...) into the
files of the data contract (``data/README.md``).

Each kind is one module of this package exposing

* ``DESCRIPTION`` (French, one line) and ``FILES_HELP`` (French, the files it takes);
* ``add_arguments(parser)``: its own options;
* ``build(files, args, data_dir) -> ImportResult``: read the inputs, never write.

:data:`KINDS` maps the name used on the command line to the module name; a new importer is
one entry (the ``cdv import`` command reads this registry).
"""

from __future__ import annotations

import importlib

#: command-line name -> module of cdv_lib.importers
KINDS: dict[str, str] = {
    "limesurvey": "limesurvey",
    "xlsform": "xlsform",
    "insee": "insee",
    "subventions": "subventions",
    "qpv-anct": "qpv_anct",
}


def importer(kind: str):
    """The module implementing *kind* (see :data:`KINDS`)."""
    return importlib.import_module(f"cdv_lib.importers.{KINDS[kind]}")
