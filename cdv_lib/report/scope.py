"""What a report is about: the scope (the agglomeration or one commune) and its threshold."""

from __future__ import annotations

from cdv_lib import columns as C
from cdv_lib.secrecy import threshold as secret_threshold


def threshold(dataset) -> int:
    """The default secrecy threshold of the data folder (``config.yaml``)."""
    return secret_threshold(dataset.config)


def territory_name(dataset) -> str:
    """The territory's name from ``config.yaml`` (``Agglomération`` when not given)."""
    return str(dataset.config.get("territoire") or "Agglomération")


def commune_name(dataset, commune: str | None) -> str:
    """``Lens (62498)`` for a commune code, the territory's name for ``None``; an unknown
    code raises ``ValueError``."""
    if commune is None:
        return territory_name(dataset)
    match = dataset.communes[dataset.communes[C.CODE_INSEE].astype("string") == str(commune)]
    if match.empty:
        raise ValueError(f"Commune « {commune} » absente de la table des communes.")
    return f"{match[C.NOM].iloc[0]} ({commune})"


def check_commune(dataset, commune) -> str | None:
    """*commune* as a code string (``None`` kept), after checking it is in the communes
    table."""
    if commune is None:
        return None
    commune = str(commune)
    commune_name(dataset, commune)
    return commune
