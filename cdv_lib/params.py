"""Parameter safety for the report notebooks, and the papermill parameter files of
``params/``.

papermill writes parameter *names* into the injected cell unchecked and only warns about an
unknown one; its inspection also misses annotated parameters such as
``commune: str | None = None``. Here a notebook's declared parameters are read from its
``parameters`` cell (papermill's inspection, completed by parsing the cell), and a run's
parameters are refused before any kernel starts when a name is not declared or is not an
identifier. Values are never code: papermill writes them as escaped literals.
"""

from __future__ import annotations

import ast
import io
import keyword
import os
import tokenize
from collections.abc import Iterable, Mapping
from pathlib import Path

PARAMETERS_TAG = "parameters"


class ParameterError(ValueError):
    """A parameter refused for a notebook (message in French)."""


def _parameters_source(notebook_path: str | os.PathLike) -> str | None:
    import nbformat

    nb = nbformat.read(str(notebook_path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and PARAMETERS_TAG in (cell.metadata.get("tags") or []):
            return cell.source
    return None


def _comments(source: str) -> dict[int, str]:
    out: dict[int, str] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                out[tok.start[0]] = tok.string.lstrip("#").strip()
    except (tokenize.TokenError, IndentationError):
        pass
    return out


def _parse_cell(source: str) -> dict[str, dict]:
    """Top-level ``name = value`` / ``name: type = value`` of a parameters cell."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    comments = _comments(source)
    found: dict[str, dict] = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names, annotation, value = [node.target.id], ast.unparse(node.annotation), node.value
        elif isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            annotation, value = None, node.value
        else:
            continue
        for name in names:
            found[name] = {
                "type": annotation,
                "default": ast.unparse(value) if value is not None else None,
                "help": comments.get(node.end_lineno or node.lineno, ""),
            }
    return found


def declared_parameters(notebook_path: str | os.PathLike) -> dict[str, dict]:
    """Parameters declared in the ``parameters`` cell of a notebook.

    Returns
    -------
    dict ``name -> {"type": str | None, "default": str (source text) | None, "help": str}``,
    in cell order; empty when the notebook has no ``parameters`` cell.
    """
    import logging

    import papermill as pm

    # papermill warns on lines it cannot parse (a `=` in a help comment); the cell is parsed
    # below anyway
    pm_logger = logging.getLogger("papermill")
    level = pm_logger.level
    pm_logger.setLevel(logging.ERROR)
    try:
        inspected = pm.inspect_notebook(str(notebook_path))
    finally:
        pm_logger.setLevel(level)
    source = _parameters_source(notebook_path)
    parsed = _parse_cell(source) if source else {}
    out: dict[str, dict] = {}
    for name, info in parsed.items():
        pm_info = inspected.get(name) or {}
        out[name] = {
            "type": info["type"] or _none_str(pm_info.get("inferred_type_name")),
            "default": info["default"],
            "help": info["help"] or pm_info.get("help", ""),
        }
    for name, pm_info in inspected.items():
        out.setdefault(name, {"type": _none_str(pm_info.get("inferred_type_name")),
                              "default": pm_info.get("default"), "help": pm_info.get("help", "")})
    return out


def _none_str(value):
    return None if value in (None, "None", "") else value


def check_parameters(notebook_path: str | os.PathLike, params: Mapping[str, object],
                     declared: Mapping[str, dict] | None = None) -> None:
    """Refuse parameters that *notebook_path* does not declare.

    Raises
    ------
    ParameterError
        (French) for a name that is not a Python identifier (or is a keyword), or that the
        notebook's ``parameters`` cell does not declare, or when there is no such cell.
    """
    name_of = Path(notebook_path).name
    bad = [n for n in params if not isinstance(n, str) or not n.isidentifier() or keyword.iskeyword(n)]
    if bad:
        raise ParameterError(
            f"Nom(s) de paramètre invalide(s) pour {name_of} : "
            + ", ".join(repr(n) for n in bad)
            + " (un nom de paramètre est un identifiant Python : lettres, chiffres, _)."
        )
    if declared is None:
        declared = declared_parameters(notebook_path)
    if params and not declared:
        raise ParameterError(f"{name_of} n'a pas de cellule marquée « {PARAMETERS_TAG} ».")
    unknown = [n for n in params if n not in declared]
    if unknown:
        raise ParameterError(
            f"Paramètre(s) non déclaré(s) dans {name_of} : " + ", ".join(unknown)
            + ". Paramètres déclarés : " + (", ".join(declared) or "aucun") + "."
        )


# ----------------------------------------------------------------------------- params/ files
def _yaml_scalar(value) -> str:
    """YAML scalar; strings always double-quoted so that ``01004`` stays a string."""
    import json

    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a YAML string


def _yaml_mapping(values: Mapping[str, object], header: Iterable[str] = ()) -> str:
    lines = [f"# {h}" for h in header]
    lines += [f"{key}: {_yaml_scalar(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def write_params_files(params_dir: str | os.PathLike, *, communes, themes: Iterable,
                       annee: int | None = None) -> list[Path]:
    """Write the papermill parameter files, each atomically.

    - ``defaults.yaml``: ``commune: null``, ``annee``, ``data_dir: null`` (embedded data);
    - ``themes/<theme>.yaml``: ``commune: null`` (agglomeration) for a theme rendered at that
      level, no key for a commune-only theme (combine with a commune file);
    - ``communes/<code>.yaml``: ``commune: "<code>"`` (quoted), the name as a comment.

    Parameters
    ----------
    params_dir : the ``params/`` folder.
    communes : DataFrame with columns ``code_insee`` and ``nom`` (signatory communes).
    themes : :class:`cdv_lib.batch.registry.Theme` objects.
    annee : year of the evaluation (omitted from the files when ``None``).

    Returns
    -------
    list of written paths. Files of communes no longer signatory are removed.
    """
    from cdv_lib import columns as C
    from cdv_lib import atomic

    root = Path(params_dir)
    base: dict[str, object] = {"commune": None}
    if annee is not None:
        base["annee"] = int(annee)
    base["data_dir"] = None
    written = [atomic.write_text(root / "defaults.yaml", _yaml_mapping(
        base, ["Paramètres par défaut des rapports (papermill -f params/defaults.yaml).",
               "commune: null = toute l'agglomération ; data_dir: null = données embarquées.",
               "Fichier généré par `cdv params`."]))]
    for theme in themes:
        if theme.agglomeration:
            values, note = {"commune": None}, f"Thème {theme.name} pour toute l'agglomération."
        else:
            values, note = {}, (f"Thème {theme.name} : par commune seulement, à combiner avec "
                                "params/communes/<code>.yaml.")
        written.append(atomic.write_text(root / "themes" / f"{theme.name}.yaml", _yaml_mapping(
            values, [note, "Fichier généré par `cdv params`."])))
    keep = set()
    for code, name in zip(communes[C.CODE_INSEE], communes[C.NOM]):
        code = str(code)
        if not code.isalnum():
            raise ParameterError(f"Code INSEE invalide pour un nom de fichier : {code!r}")
        keep.add(f"{code}.yaml")
        label = " ".join(str(name).split())
        written.append(atomic.write_text(root / "communes" / f"{code}.yaml", _yaml_mapping(
            {"commune": code}, [f"{label} ({code}). Fichier généré par `cdv params`."])))
    communes_dir = root / "communes"
    for old in communes_dir.glob("*.yaml"):
        if old.name not in keep:
            old.unlink()
    return written


def read_params_file(path: str | os.PathLike) -> dict:
    """A parameter file as papermill reads it (``yaml.safe_load``)."""
    import yaml

    return yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}


def params_files_problems(params_dir: str | os.PathLike, registry: Mapping) -> list[str]:
    """Keys of the files of *params_dir* that a notebook would not accept.

    ``defaults.yaml`` applies to every notebook of *registry* (theme -> ``Theme``),
    ``themes/<theme>.yaml`` to that theme's notebook, ``communes/*.yaml`` to every notebook
    rendered per commune. Returns French messages (empty list: all keys declared); a
    notebook missing from disk is reported too.
    """
    root = Path(params_dir)
    problems: list[str] = []
    declared: dict[str, dict] = {}
    for theme in registry.values():
        if not Path(theme.notebook).exists():
            problems.append(f"Notebook introuvable pour le thème {theme.name} : {theme.notebook}")
            continue
        declared[theme.name] = declared_parameters(theme.notebook)

    def check(path: Path, themes) -> None:
        if not path.exists():
            return
        values = read_params_file(path)
        for theme in themes:
            if theme.name not in declared:
                continue
            try:
                check_parameters(theme.notebook, values, declared=declared[theme.name])
            except ParameterError as exc:
                problems.append(f"{path.relative_to(root)} : {exc}")

    check(root / "defaults.yaml", registry.values())
    for theme in registry.values():
        check(root / "themes" / f"{theme.name}.yaml", [theme])
    for path in sorted((root / "communes").glob("*.yaml")):
        check(path, [t for t in registry.values() if t.communes])
    return problems
