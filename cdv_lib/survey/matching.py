"""Matching raw export cells to the codes of a questionnaire definition.

Everything is compared after :func:`fold` (case, accents and spaces ignored), because the
same label comes back from LimeSurvey, Forms or a hand-edited spreadsheet as ``Santé``,
``SANTE`` or ``santé ``.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from cdv_lib.text import fold, parse_number


#: cell values meaning "ticked" in a LimeSurvey one-column-per-choice export
TICKED = ("y", "oui", "1", "x")
#: cell values meaning "not ticked" (besides empty cells and the survey's missing values)
UNTICKED = ("n", "non", "0")


def is_blank(value: object) -> bool:
    """True for ``None``, NaN, ``pd.NA`` and whitespace-only strings."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def number_text(value: float) -> str:
    """Canonical string of a parsed number: ``12`` for 12.0, ``12.5`` for 12.5."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class ChoiceMatcher:
    """Find the code of a choice from a cell holding its code or its label.

    Codes win over labels (a label equal to another choice's code is read as that code).
    A numeric cell matches a numeric code of the same value (``3.0`` → ``"3"``), which is
    how spreadsheets often return scale levels.
    """

    def __init__(self, choices: Iterable):
        self.by_code: dict[str, str] = {}
        self.by_label: dict[str, str] = {}
        self.by_number: dict[float, str] = {}
        for choice in choices:
            self.by_code.setdefault(fold(choice.code), choice.code)
            self.by_label.setdefault(fold(choice.label), choice.code)
            number = parse_number(choice.code)
            if number is not None:
                self.by_number.setdefault(number, choice.code)

    def match(self, value: object) -> str | None:
        key = fold(value)
        if key in self.by_code:
            return self.by_code[key]
        if key in self.by_label:
            return self.by_label[key]
        number = parse_number(value)
        if number is not None and number in self.by_number:
            return self.by_number[number]
        return None

    def split(self, cell: object, separator: str) -> tuple[list[str], list[str]]:
        """Split a Forms-style cell (choices joined by *separator*) into codes.

        Known labels and codes are matched greedily, longest first, at each position and
        only when followed by the separator or the end of the cell, so that a label that
        itself contains the separator (``Emploi; insertion``) is read whole.

        Returns ``(codes, unknown_parts)``; codes in order of appearance, without repeats.
        """
        text = fold(cell)
        sep = fold(separator) or separator
        candidates = sorted(
            {**self.by_label, **self.by_code}.items(), key=lambda kv: len(kv[0]), reverse=True
        )
        codes: list[str] = []
        unknown: list[str] = []
        pos, n = 0, len(text)
        while pos < n:
            while pos < n and text[pos] == " ":
                pos += 1
            if text.startswith(sep, pos):
                pos += len(sep)
                continue
            if pos >= n:
                break
            for key, code in candidates:
                if not key or not text.startswith(key, pos):
                    continue
                end = pos + len(key)
                rest = text[end:].lstrip(" ")
                if rest == "" or rest.startswith(sep):
                    if code not in codes:
                        codes.append(code)
                    pos = end
                    break
            else:
                nxt = text.find(sep, pos)
                stop = n if nxt < 0 else nxt
                unknown.append(text[pos:stop].strip())
                pos = stop
        return codes, unknown
