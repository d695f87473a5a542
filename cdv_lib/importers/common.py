"""What every importer shares: the report of what was read, kept, dropped and mapped, and
the all-or-nothing write of its files into a data folder.

An importer is a pure function from input files to an :class:`ImportResult` (the files of
the data contract it produces, as bytes, plus its :class:`ImportReport`). Writing is done
here, once, for every importer:

1. refuse to overwrite an existing file unless asked (``replace=True``);
2. check the new files with the contract's own loaders, in an *overlay* of the data folder
   (a temporary folder holding links to the folder's files and the new files in place of
   theirs), so that cross-table checks (communes, QPV) apply;
3. only then move each file into place (temporary file ``<nom>.tmp-<pid>`` in the
   destination folder, then :func:`os.replace`); if a move fails, the files already moved
   are put back.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cdv_lib.errors import DataError, Problem


@dataclass
class ImportReport:
    """What an importer understood, in French, for the person who runs it.

    ``read``: one line per input (file, rows, layout detected); ``kept``: what goes into
    the data folder; ``dropped``: ``(what, why)`` for everything left out; ``mapped``:
    ``(source, target)`` correspondences; ``notes``: anything else worth knowing.
    """

    kind: str
    read: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    mapped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_text(self, *, max_items: int = 60) -> str:
        """The report as French text, one section per heading, long lists shortened."""
        lines: list[str] = []

        def section(title: str, items: list[str]) -> None:
            if not items:
                return
            lines.append(title)
            shown = items[:max_items]
            lines.extend(f"  - {item}" for item in shown)
            if len(items) > max_items:
                lines.append(f"  - … et {len(items) - max_items} autre(s)")

        section("Lu :", self.read)
        section("Correspondances :", [f"{src} → {dst}" for src, dst in self.mapped])
        section("Gardé :", self.kept)
        section("Écarté :", [f"{what} : {why}" for what, why in self.dropped])
        section("À savoir :", self.notes)
        return "\n".join(lines)


@dataclass
class ImportResult:
    """Files produced by an importer: path relative to the data folder → content."""

    files: dict[str, bytes]
    report: ImportReport
    #: files the importer checked itself and that cannot be checked in the data folder
    #: yet (a questionnaire definition written without its responses)
    checked_apart: set[str] = field(default_factory=set)
    #: existing files the importer read and rewrites on purpose (``--ajouter``)
    overwrite_ok: set[str] = field(default_factory=set)


def fail(file: str, expected: str, *, row=None, column=None, value=None) -> DataError:
    """A :class:`DataError` with one problem."""
    return DataError([Problem(file, row, column, value, expected)])


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as the contract's CSV: UTF-8 without BOM, ``;``-separated, quotes only where
    needed, empty cells for missing values, no index."""
    buffer = io.StringIO()
    frame.to_csv(buffer, sep=";", index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    return buffer.getvalue().encode("utf-8")


def read_input(path: str | Path, **kwargs) -> pd.DataFrame:
    """Read a CSV/xlsx input with the contract's reader (encodings, separators, BOM
    sniffed; every cell a string). Raises :class:`DataError` when it is not readable."""
    from cdv_lib.readers import read_table

    path = Path(path)
    if not path.is_file():
        raise fail(path.name, f"un fichier existant ({path})")
    return read_table(path, **kwargs)


# --------------------------------------------------------------------------- writing
def existing_conflicts(data_dir: Path, files: dict[str, bytes]) -> list[Problem]:
    """One problem per file that already exists in *data_dir* (overwrite not asked)."""
    problems = []
    for rel in files:
        target = data_dir / rel
        if target.exists():
            problems.append(Problem(
                rel, None, None, None,
                f"un fichier absent du dossier {data_dir} (il existe déjà : ajouter --remplacer "
                "pour le remplacer)"))
    return problems


def validate_overlay(data_dir: Path, files: dict[str, bytes]) -> tuple[list[Problem], list[Problem]]:
    """Check *files* as if they were in *data_dir*, without touching it.

    Returns
    -------
    (own, others) : problems of the new files, problems of the folder's other files
        (already there before the import; reported, not blocking).
    """
    from cdv_lib.validation import validate_dir

    with tempfile.TemporaryDirectory(prefix="cdv-import-") as tmp:
        overlay = Path(tmp) / "donnees"
        _build_overlay(data_dir, overlay, files)
        problems = validate_dir(overlay)
    new_names = {Path(rel).name for rel in files}
    own = [p for p in problems if _problem_file(p) in new_names]
    others = [p for p in problems if _problem_file(p) not in new_names]
    return own, others


def _problem_file(problem: Problem) -> str:
    # "x.xlsx (feuille « y »)" -> "x.xlsx"
    return str(problem.file).split(" (feuille", 1)[0]


def _build_overlay(source: Path, overlay: Path, files: dict[str, bytes]) -> None:
    """*overlay* = links to every file of *source*, with *files* written in place of theirs."""
    replaced = {Path(rel) for rel in files}
    replaced_dirs = {p.parent for p in replaced}
    overlay.mkdir(parents=True)
    if source.is_dir():
        for root, dirs, names in os.walk(source):
            rel_root = Path(root).relative_to(source)
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            # link whole folders the import does not write into
            linked = []
            for d in dirs:
                rel = rel_root / d
                if not any(rel == r or rel in r.parents for r in replaced_dirs):
                    (overlay / rel).symlink_to((Path(root) / d).resolve(), target_is_directory=True)
                    linked.append(d)
                else:
                    (overlay / rel).mkdir(parents=True, exist_ok=True)
            dirs[:] = [d for d in dirs if d not in linked]
            for name in names:
                rel = rel_root / name
                if rel in replaced or name.startswith("."):
                    continue
                (overlay / rel).symlink_to((Path(root) / name).resolve())
    for rel, data in files.items():
        target = overlay / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def commit_files(data_dir: Path, files: dict[str, bytes]) -> list[Path]:
    """Move *files* into *data_dir*, all or nothing.

    Every file is first written as a temporary sibling of its destination; then each is
    renamed onto its destination, the previous content kept aside until all are in place.
    On any failure, files already moved are restored and temporaries removed.
    """
    written: list[tuple[Path, Path]] = []  # (tmp, target)
    try:
        for rel, data in files.items():
            target = data_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            # suffix after the extension: a file left by a killed import is never read as
            # a table or a questionnaire (questionnaires/*.yaml)
            tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            written.append((tmp, target))
    except OSError:
        for tmp, _ in written:
            tmp.unlink(missing_ok=True)
        raise
    backups: list[tuple[Path, Path | None]] = []  # (target, backup or None if it was new)
    try:
        for tmp, target in written:
            backup = None
            if target.exists():
                backup = target.with_name(f"{target.name}.avant-import-{os.getpid()}")
                shutil.copy2(target, backup)
            os.replace(tmp, target)
            backups.append((target, backup))
    except OSError:
        for target, backup in reversed(backups):
            if backup is not None:
                os.replace(backup, target)
            else:
                target.unlink(missing_ok=True)
        for tmp, _ in written:
            tmp.unlink(missing_ok=True)
        raise
    for _, backup in backups:
        if backup is not None:
            backup.unlink(missing_ok=True)
    return [target for _, target in written]


def write_result(data_dir: str | Path, result: ImportResult, *, replace: bool = False,
                 dry_run: bool = False) -> tuple[list[Path], list[Problem]]:
    """Check then write *result* into *data_dir* (see the module docstring).

    Returns
    -------
    (written paths — empty for a dry run, problems of the folder's other files)

    Raises
    ------
    DataError
        a file exists and *replace* is false, or the new files break the contract; nothing
        is written.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise fail(str(data_dir), "un dossier de données existant (option --to)")
    if not replace:
        conflicts = existing_conflicts(
            data_dir, {rel: b"" for rel in result.files if rel not in result.overwrite_ok})
        if conflicts:
            raise DataError(conflicts)
    own, others = validate_overlay(
        data_dir, {rel: data for rel, data in result.files.items() if rel not in result.checked_apart})
    if own:
        raise DataError(own)
    if dry_run:
        return [], others
    return commit_files(data_dir, result.files), others


# --------------------------------------------------------------------------- communes
#: column added to a questionnaire's responses when its commune question's answers name
#: communes (by name or answer code) rather than give their INSEE code
COMMUNE_CODE_COLUMN = "commune (code INSEE)"


def commune_lookup(data_dir: str | Path) -> dict[str, str]:
    """Folded name *and* code of each commune of *data_dir* → its ``code_insee`` (empty
    when the folder has no readable communes file)."""
    from cdv_lib import columns as C
    from cdv_lib.readers import find_table, read_table
    from cdv_lib.survey.matching import fold

    path = find_table(Path(data_dir), "communes")
    if path is None:
        return {}
    try:
        frame = read_table(path)
    except DataError:
        return {}
    if C.CODE_INSEE not in frame:
        return {}
    out = {}
    for code, name in zip(frame[C.CODE_INSEE], frame.get(C.NOM, [None] * len(frame))):
        if isinstance(code, str):
            out[fold(code)] = code.strip().upper()
            if isinstance(name, str):
                out.setdefault(fold(name), code.strip().upper())
    return out


def communes_of_choices(choices: list[dict], data_dir: str | Path,
                        ignore=("-oth-", "other")) -> dict[str, str] | None:
    """Choice code → ``code_insee`` when every choice of a commune question (but « Autre »)
    names a commune of *data_dir*, by its code or by its label; None otherwise."""
    from cdv_lib.survey.matching import fold

    lookup = commune_lookup(data_dir)
    if not lookup:
        return None
    out = {}
    for choice in choices:
        if choice["code"] in ignore:
            continue
        code = lookup.get(fold(choice["code"])) or lookup.get(fold(choice["libelle"]))
        if code is None:
            return None
        out[choice["code"]] = code
    return out or None


def survey_result(definition: dict, *, survey_id: str, yaml_rel: str, header_comment: str,
                  responses: pd.DataFrame | None, responses_label: str, files_out: dict,
                  report: ImportReport, mapping, attr_specs: dict, theme: str | None,
                  checked_apart: set) -> ImportResult:
    """The end of every questionnaire import (LimeSurvey, XLSForm): the definition checked
    with the contract's own loaders (so that problems name the input file and its rows,
    before it is checked again as written in the data folder), written as YAML under its
    header comment, and the report completed with the mapping."""
    import yaml

    from cdv_lib.survey.definition import definition_from_dict
    from cdv_lib.survey.normalize import normalize_responses

    text = yaml.safe_dump(definition, allow_unicode=True, sort_keys=False, width=100)
    checked = definition_from_dict(yaml.load(text, Loader=yaml.BaseLoader),
                                   file_label=f"{survey_id}.yaml")
    if responses is not None:
        normalize_responses(checked, responses, file_label=responses_label)
    files_out[yaml_rel] = (header_comment + text).encode("utf-8")
    report.kept.insert(0, f"{yaml_rel} : {len(mapping.questions)} questions, "
                          f"{len(attr_specs)} attribut(s)")
    report.mapped.extend(mapping.mapped)
    report.dropped.extend(mapping.dropped)
    report.notes.extend(mapping.notes)
    if not theme:
        report.notes.append("aucun thème donné (--theme) : les rapports thématiques ne montrent "
                            "pas ces questions")
    return ImportResult(files_out, report, checked_apart)
