"""Questionnaire definitions: the YAML that maps questions to the columns of an export.

The YAML keys are French (they are written by analysts, see ``data/README.md``,
section « Questionnaires »); the dataclasses use English attribute names. Question
*types* keep their French names because they are values of the data contract:
``unique``, ``multiple``, ``echelle``, ``matrice``, ``numerique``, ``texte``.

The YAML is read with :class:`yaml.BaseLoader`: every scalar stays a string, so a code
``01`` stays ``"01"`` and ``non`` never becomes ``False``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from cdv_lib.errors import DataError, Problem
from cdv_lib.survey.matching import fold

QUESTION_TYPES = ("unique", "multiple", "echelle", "matrice", "numerique", "texte")
#: types whose answers are choice codes
CHOICE_TYPES = ("unique", "multiple", "echelle", "matrice")
#: types whose choices are ordered from the lowest to the highest level
ORDERED_TYPES = ("echelle", "matrice")
#: types answered in one column of the export
SINGLE_COLUMN_TYPES = ("unique", "echelle", "numerique", "texte")
MULTIPLE_FORMATS = ("limesurvey", "forms")
DEFAULT_SEPARATOR = ";"

_TOP_KEYS = {
    "id", "titre", "reponses", "identifiant", "envoyes", "exhaustif", "valeurs_manquantes",
    "attributs", "questions",
}
_TRUE = {"oui", "vrai", "true", "1", "o", "x"}
_FALSE = {"non", "faux", "false", "0", "n"}
_QUESTION_KEYS = {
    "id", "libelle", "type", "theme", "axe", "filtre", "colonne", "format",
    "separateur", "choix", "lignes",
}
_CHOICE_KEYS = {"code", "libelle", "colonne"}
_ATTRIBUTE_KEYS = {"colonne", "valeurs"}


@dataclass(frozen=True)
class Choice:
    """One possible answer: ``code`` (what tables report), ``label`` (what readers see),
    ``column`` (only for ``multiple`` questions in LimeSurvey format)."""

    code: str
    label: str
    column: str | None = None


@dataclass(frozen=True)
class MatrixRow:
    """One row (item) of a ``matrice`` question, answered in its own column."""

    code: str
    label: str
    column: str


@dataclass(frozen=True)
class Question:
    """One question of a questionnaire.

    ``choices`` are in definition order, which for ``echelle`` and ``matrice`` is the
    order of the levels, from the lowest to the highest.
    """

    id: str
    label: str
    type: str
    column: str | None = None
    choices: tuple[Choice, ...] = ()
    rows: tuple[MatrixRow, ...] = ()
    theme: str | None = None
    axis: str | None = None
    filter: str | None = None
    format: str = "limesurvey"
    separator: str = DEFAULT_SEPARATOR

    @property
    def ordered(self) -> bool:
        return self.type in ORDERED_TYPES

    @property
    def choice_codes(self) -> list[str]:
        return [c.code for c in self.choices]

    def choice(self, code: str) -> Choice:
        for c in self.choices:
            if c.code == code:
                return c
        raise KeyError(f"question « {self.id} » : pas de choix de code « {code} »")

    def columns(self) -> list[str]:
        """Columns of the export this question reads, in definition order."""
        if self.type == "matrice":
            return [r.column for r in self.rows]
        if self.type == "multiple" and self.format == "limesurvey":
            return [c.column for c in self.choices if c.column]
        return [self.column] if self.column else []


@dataclass(frozen=True)
class SurveyDefinition:
    """A questionnaire: questions and the columns of its response file.

    ``attributes`` maps an attribute name (``commune``, ``taille``...) to the column of the
    export holding it; attributes are the variables used for breakdowns and filters.
    ``responses_path`` is absolute (resolved against the YAML's folder).
    ``census`` is the ``exhaustif`` flag: True when the respondents are declared to be the
    whole population (no sampling error), False when declared a sample, None when not
    said (then :func:`cdv_lib.survey.uncertainty.is_census` compares ``sent`` with the
    respondents).
    """

    id: str
    title: str
    responses_path: Path
    id_column: str
    questions: tuple[Question, ...]
    sent: int | None = None
    missing_values: tuple[str, ...] = ()
    attributes: dict[str, str] = field(default_factory=dict)
    source: Path | None = None
    #: allowed values of an attribute (``valeurs`` in the YAML), in definition order; an
    #: attribute absent from this mapping accepts any value
    attribute_values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    census: bool | None = None

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        known = ", ".join(q.id for q in self.questions)
        raise KeyError(
            f"questionnaire « {self.id} » : pas de question « {question_id} » (questions : {known})"
        )

    def questions_by_theme(self, theme: str) -> list[Question]:
        return [q for q in self.questions if q.theme == theme]


def _text(value) -> str | None:
    """A YAML scalar as a stripped string, ``None`` when empty or absent."""
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


class _Collector:
    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def add(self, where: str, value, expected: str) -> None:
        self.problems.append(Problem(self.file, None, where, value, expected))


def load_definition(path: str | Path) -> SurveyDefinition:
    """Read and validate a questionnaire YAML.

    Parameters
    ----------
    path : the YAML file (``questionnaires/<nom>.yaml``).

    Returns
    -------
    SurveyDefinition

    Raises
    ------
    DataError
        listing every problem found; the ``column`` of each problem names the YAML key
        concerned (``questions[3].choix``...).
    """
    path = Path(path)
    label = path.name
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise DataError([Problem(label, None, None, str(path), f"fichier lisible ({exc})")]) from exc
    try:
        data = yaml.load(raw, Loader=yaml.BaseLoader)
    except yaml.YAMLError as exc:
        raise DataError([Problem(label, None, None, None, f"YAML valide ({exc})")]) from exc
    return definition_from_dict(data, base_dir=path.parent, file_label=label, source=path)


def definition_from_dict(
    data, *, base_dir: str | Path = ".", file_label: str = "questionnaire", source: Path | None = None
) -> SurveyDefinition:
    """Build a :class:`SurveyDefinition` from the YAML structure (all scalars strings, as
    :class:`yaml.BaseLoader` gives them; ints are accepted too). Raises :class:`DataError`."""
    out = _Collector(file_label)
    if not isinstance(data, dict):
        out.add(None, None, "un dictionnaire YAML (id, titre, reponses, identifiant, questions…)")
        raise DataError(out.problems)

    for key in sorted(set(data) - _TOP_KEYS):
        out.add(str(key), None, "clé connue : " + ", ".join(sorted(_TOP_KEYS)))

    survey_id = _text(data.get("id"))
    if survey_id is None:
        out.add("id", data.get("id"), "identifiant du questionnaire non vide")
    responses = _text(data.get("reponses"))
    if responses is None:
        out.add("reponses", data.get("reponses"), "nom du fichier de réponses (relatif au YAML)")
    id_column = _text(data.get("identifiant"))
    if id_column is None:
        out.add("identifiant", data.get("identifiant"), "colonne identifiant le répondant")

    sent = None
    if data.get("envoyes") not in (None, ""):
        text = _text(data.get("envoyes"))
        if text is not None and text.isdigit():
            sent = int(text)
        else:
            out.add("envoyes", data.get("envoyes"), "entier ≥ 0 (questionnaires envoyés)")

    census = None
    if data.get("exhaustif") not in (None, ""):
        flag = (_text(data.get("exhaustif")) or "").lower()
        if flag in _TRUE:
            census = True
        elif flag in _FALSE:
            census = False
        else:
            out.add("exhaustif", data.get("exhaustif"),
                    "oui ou non (les répondants sont-ils toute la population interrogée ?)")

    missing = data.get("valeurs_manquantes", [])
    if missing is None or missing == "":
        missing = []
    if not isinstance(missing, list) or any(isinstance(m, (dict, list)) for m in missing):
        out.add("valeurs_manquantes", missing, "liste de valeurs, ex. [\"\", \"NA\"]")
        missing = []
    missing_values = tuple(str(m) for m in missing)

    attributes: dict[str, str] = {}
    attribute_values: dict[str, tuple[str, ...]] = {}
    raw_attrs = data.get("attributs") or {}
    if not isinstance(raw_attrs, dict):
        out.add("attributs", raw_attrs, "dictionnaire nom: {colonne: …}")
        raw_attrs = {}
    for name, spec in raw_attrs.items():
        column = _text(spec.get("colonne")) if isinstance(spec, dict) else _text(spec)
        if column is None:
            out.add(f"attributs.{name}", spec, "{colonne: nom de colonne du fichier de réponses}")
        elif name == "respondent_id":
            out.add(f"attributs.{name}", name, "un autre nom d'attribut (réservé)")
        else:
            attributes[str(name)] = column
            if isinstance(spec, dict):
                for key in sorted(set(spec) - _ATTRIBUTE_KEYS):
                    out.add(f"attributs.{name}.{key}", None, "clé connue : colonne, valeurs")
                if "valeurs" in spec:
                    values = _attribute_values(spec.get("valeurs"), f"attributs.{name}.valeurs", out)
                    if values:
                        attribute_values[str(name)] = values

    questions: list[Question] = []
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        out.add("questions", raw_questions, "liste non vide de questions")
        raw_questions = []
    seen: dict[str, int] = {}
    for i, raw_q in enumerate(raw_questions):
        q = _question(raw_q, f"questions[{i + 1}]", out)
        if q is None:
            continue
        if q.id in seen:
            out.add(f"questions[{i + 1}].id", q.id,
                    f"identifiant de question unique (déjà utilisé par questions[{seen[q.id]}])")
            continue
        seen[q.id] = i + 1
        questions.append(q)

    if out.problems:
        raise DataError(out.problems)
    return SurveyDefinition(
        id=survey_id,
        title=_text(data.get("titre")) or survey_id,
        responses_path=(Path(base_dir) / responses).resolve(),
        id_column=id_column,
        questions=tuple(questions),
        sent=sent,
        missing_values=missing_values,
        attributes=attributes,
        source=source,
        attribute_values=attribute_values,
        census=census,
    )


def _attribute_values(raw, where: str, out: _Collector) -> tuple[str, ...]:
    """The ``valeurs`` list of an attribute: non-empty strings, unique once folded."""
    if not isinstance(raw, list) or not raw or any(isinstance(v, (dict, list)) for v in raw):
        out.add(where, raw, "liste non vide de valeurs admises, ex. [Association, Commune]")
        return ()
    values: list[str] = []
    seen: set[str] = set()
    for value in raw:
        text = _text(value)
        if text is None:
            out.add(where, value, "valeur admise non vide")
            continue
        if fold(text) in seen:
            out.add(where, text, "valeur admise unique (casse et accents ignorés)")
            continue
        seen.add(fold(text))
        values.append(text)
    return tuple(values)


def _question(raw, where: str, out: _Collector) -> Question | None:
    if not isinstance(raw, dict):
        out.add(where, raw, "une question : {id, libelle, type, …}")
        return None
    n_before = len(out.problems)
    qid = _text(raw.get("id"))
    if qid is None:
        out.add(f"{where}.id", raw.get("id"), "identifiant de question non vide")
    else:
        where = f"{where} ({qid})"
    for key in sorted(set(raw) - _QUESTION_KEYS):
        out.add(f"{where}.{key}", None, "clé connue : " + ", ".join(sorted(_QUESTION_KEYS)))
    label = _text(raw.get("libelle"))
    if label is None:
        out.add(f"{where}.libelle", raw.get("libelle"), "libellé de la question non vide")
    qtype = _text(raw.get("type"))
    if qtype not in QUESTION_TYPES:
        out.add(f"{where}.type", raw.get("type"), "un type parmi " + ", ".join(QUESTION_TYPES))
        return None

    fmt = (_text(raw.get("format")) or "limesurvey").lower()
    if qtype == "multiple" and fmt not in MULTIPLE_FORMATS:
        out.add(f"{where}.format", raw.get("format"), "limesurvey ou forms")
    separator = raw.get("separateur")
    separator = DEFAULT_SEPARATOR if separator in (None, "") else str(separator)
    if separator.strip() == "":
        out.add(f"{where}.separateur", separator, "un séparateur visible, ex. « ; »")

    column = _text(raw.get("colonne"))
    needs_column = qtype in SINGLE_COLUMN_TYPES or (qtype == "multiple" and fmt == "forms")
    if needs_column and column is None:
        out.add(f"{where}.colonne", raw.get("colonne"), "colonne du fichier de réponses")

    choices: list[Choice] = []
    if qtype in CHOICE_TYPES:
        raw_choices = raw.get("choix")
        if not isinstance(raw_choices, list) or not raw_choices:
            out.add(f"{where}.choix", raw_choices, "liste non vide de choix {code, libelle}")
            raw_choices = []
        codes: set[str] = set()
        labels: set[str] = set()
        for j, rc in enumerate(raw_choices):
            cw = f"{where}.choix[{j + 1}]"
            if not isinstance(rc, dict):
                out.add(cw, rc, "{code, libelle}")
                continue
            for key in sorted(set(rc) - _CHOICE_KEYS):
                out.add(f"{cw}.{key}", None, "clé connue : code, libelle, colonne")
            code, clabel = _text(rc.get("code")), _text(rc.get("libelle"))
            ccol = _text(rc.get("colonne"))
            if code is None:
                out.add(f"{cw}.code", rc.get("code"), "code du choix non vide")
                continue
            if code in codes:
                out.add(f"{cw}.code", code, "code de choix unique dans la question")
            codes.add(code)
            clabel = clabel or code
            if fold(clabel) in labels:
                out.add(f"{cw}.libelle", clabel, "libellé de choix unique dans la question")
            labels.add(fold(clabel))
            if qtype == "multiple" and fmt == "limesurvey" and ccol is None:
                out.add(f"{cw}.colonne", None,
                        "colonne du choix (format limesurvey : une colonne par choix)")
            choices.append(Choice(code, clabel, ccol))

    rows: list[MatrixRow] = []
    if qtype == "matrice":
        raw_rows = raw.get("lignes")
        if not isinstance(raw_rows, list) or not raw_rows:
            out.add(f"{where}.lignes", raw_rows, "liste non vide de lignes {code, libelle, colonne}")
            raw_rows = []
        row_codes: set[str] = set()
        for j, rr in enumerate(raw_rows):
            rw = f"{where}.lignes[{j + 1}]"
            if not isinstance(rr, dict):
                out.add(rw, rr, "{code, libelle, colonne}")
                continue
            for key in sorted(set(rr) - _CHOICE_KEYS):
                out.add(f"{rw}.{key}", None, "clé connue : code, libelle, colonne")
            code, rlabel, rcol = _text(rr.get("code")), _text(rr.get("libelle")), _text(rr.get("colonne"))
            if code is None:
                out.add(f"{rw}.code", rr.get("code"), "code de ligne non vide")
                continue
            if code in row_codes:
                out.add(f"{rw}.code", code, "code de ligne unique dans la question")
            row_codes.add(code)
            if rcol is None:
                out.add(f"{rw}.colonne", None, "colonne du fichier de réponses pour cette ligne")
                continue
            rows.append(MatrixRow(code, rlabel or code, rcol))

    if len(out.problems) > n_before:
        return None
    return Question(
        id=qid,
        label=label,
        type=qtype,
        column=column,
        choices=tuple(choices),
        rows=tuple(rows),
        theme=_text(raw.get("theme")),
        axis=_text(raw.get("axe")),
        filter=_text(raw.get("filtre")),
        format=fmt,
        separator=separator,
    )
