"""Fidelity to a published report: every printed figure recomputed from the data
(:mod:`.engine`), with the recipes of the 2022 report (:mod:`.recipes_2022`)."""

from cdv_lib.fidelity.engine import (
    EXPLAINED,
    FAILED,
    REPRODUCED,
    Computed,
    compare,
    fidelity_table,
    load_explanations,
    load_published,
    printed_decimals,
    summary,
)

__all__ = [
    "EXPLAINED",
    "FAILED",
    "REPRODUCED",
    "Computed",
    "compare",
    "fidelity_table",
    "load_explanations",
    "load_published",
    "printed_decimals",
    "summary",
]
