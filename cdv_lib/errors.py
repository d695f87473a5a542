"""Problems found in input data, reported in French with file, row, column, value and
what was expected."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One problem in one input file.

    ``row`` is the row number as a spreadsheet shows it (header = 1, first data row = 2),
    or ``None`` when the problem concerns the whole file or a whole column.
    """

    file: str
    row: int | None
    column: str | None
    value: object
    expected: str

    def message(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"ligne {self.row}")
        if self.column is not None:
            parts.append(f"colonne « {self.column} »")
        where = ", ".join(parts)
        value = "" if self.value is None else f"valeur « {_short(self.value)} » — "
        return f"{where} : {value}attendu : {self.expected}"

    __str__ = message


def _short(value: object, limit: int = 60) -> str:
    text = str(value).replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class DataError(Exception):
    """Raised when input data breaks the contract; carries every problem found."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        n = len(self.problems)
        head = f"{n} problème{'s' if n > 1 else ''} dans les données d'entrée :"
        return "\n".join([head, *("- " + p.message() for p in self.problems)])
