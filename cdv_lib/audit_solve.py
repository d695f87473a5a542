"""Recover masked cells from what a table shows, as an outsider would.

From each table read by :mod:`cdv_lib.audit_read` (never from the library's table objects),
the relations a reader knows are written as linear constraints over the masked cells:

* **additivity**: the counts of a single-choice distribution add up to its base
  (« Effectif » … « Base (n) »), non-response row excluded or included (both tried when the
  caption does not say); one block per group of a grid (« Élément »);
* **total row / total column**: a « Total » / « Ensemble » row (column) is the sum of the
  others;
* **share × base**: a shown share, rounded, with its base bounds the count
  (``42,1 %`` of 19 is an integer in [7,99 ; 8,01]); a hidden share comes back once its
  count and base are known;
* **sub-totals**: a count is at most its base, a « dont … » column or row at most its parent;
* **two scopes**: the tables of the same question in the agglomeration's and the communes'
  files: the communes' counts add up to at most the agglomeration's, exactly when the
  communes' bases add up to the agglomeration's base (the communes then cover every
  respondent).

A masked cell is *recovered* when every non-negative (integer, for counts) solution of the
constraints gives it the same value. Guards against false positives: no additivity for a
multiple-choice question (« Plusieurs réponses possibles », « dépasse 100 % », shown counts
or shares adding up to more than the base), for a grid with one base per row, or for any
question of which a fully shown table at another scope does not add up; a several-block
table is taken as additive only when one of its fully shown blocks (or of the same
question elsewhere) adds up exactly. A relation contradicted by the shown figures is
dropped.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from cdv_lib.audit_read import Cell, Table, fold, is_commune_scope

INF = math.inf
EPS = 1e-7

_MULTIPLE = re.compile(r"plusieurs reponses|reponses multiples|choix multiples|"
                       r"depasse(?:r)? 100|compte pour chacun|plusieurs fois", re.IGNORECASE)
_NR_EXCLUDED = re.compile(r"non[- ]?reponses? (?:sont |est )?exclue", re.IGNORECASE)
_NR_INCLUDED = re.compile(r"non[- ]?reponses? (?:sont |est )?(?:incluse|comprise)|"
                          r"y compris (?:les )?non[- ]?reponse", re.IGNORECASE)
_NR_LABEL = re.compile(r"^(?:non[- ]?reponses?|sans reponse|non renseigne(?:e|s|es)?|nr)$")
_TOTAL_LABEL = re.compile(r"^(?:total|ensemble|total general|ensemble des repondants|"
                          r"tous|toutes|total \S.*)$")
_BASE_HEADERS = {"n (base)", "effectif de base", "repondants", "nombre de repondants"}
_SHARE_HEADER = re.compile(r"^(?:part|taux|%|pourcentage|proportion)\b")
_EURO_HEADER = re.compile(r"montant|\(€\)|euros?\b")


# --- column roles ------------------------------------------------------------------------

@dataclass
class Roles:
    """What each column of a table is."""

    labels: list[int]  # label columns (row label last)
    kinds: dict[int, str]  # numeric column → share, base, euro, int, dec
    dont: set[int]  # « dont … » columns
    pairs: list[tuple[int | None, int, int | None]]  # (count, base, share) tied together
    groups: list[int]  # label columns that group rows into blocks (a grid's « Élément »)
    row_label: int | None
    runs: list[tuple[list[int], int]] = field(default_factory=list)  # wide grid: shares, base
    witnessed: set[tuple[int, int]] = field(default_factory=set)  # (count, base) seen agree


def _is_base_header(header: str) -> bool:
    h = fold(header)
    return h.startswith("base") or h in _BASE_HEADERS


def column_roles(table: Table) -> Roles:
    width = len(table.headers)
    kinds: dict[int, str] = {}
    labels: list[int] = []
    for j in range(width):
        cells = [r[j] for r in table.rows]
        numbers = [c for c in cells if c.kind == "number"]
        secret = any(c.kind == "secret" for c in cells)
        texts = [c for c in cells if c.kind == "text"]
        header = table.headers[j]
        if (j == 0 and not secret) or (texts and len(texts) >= len(numbers)) or (
                not numbers and not secret):
            labels.append(j)
            continue
        if _is_base_header(header):
            kind = "base_euro" if any(c.unit == "€" for c in numbers) or "€" in header else "base"
        elif any(c.unit == "%" for c in numbers) or (not numbers and _SHARE_HEADER.match(
                fold(header))):
            kind = "share"
        elif any(c.unit == "€" for c in numbers) or (not numbers and _EURO_HEADER.search(
                fold(header))):
            kind = "euro"
        elif all(c.is_integer or (c.unit == "" and c.decimals == 0) for c in numbers):
            kind = "int"
        else:
            kind = "dec"
        kinds[j] = kind
    dont = {j for j in kinds if fold(table.headers[j]).startswith("dont ")}
    numeric = sorted(kinds)
    first_numeric = numeric[0] if numeric else width
    leading = [j for j in labels if j < first_numeric]
    row_label = leading[-1] if leading else (labels[0] if labels else None)
    groups = []
    for j in leading[:-1]:
        values = [fold(r[j].text) for r in table.rows]
        if any(a == b for a, b in itertools.pairwise(values)):
            groups.append(j)

    pairs: list[tuple[int | None, int, int | None]] = []
    runs: list[tuple[list[int], int]] = []
    tied_bases = set()
    j = 0
    while j < width:
        if kinds.get(j) != "share":
            j += 1
            continue
        run = [j]
        while run[-1] + 1 < width and kinds.get(run[-1] + 1) == "share":
            run.append(run[-1] + 1)
        after = run[-1] + 1
        base = after if kinds.get(after) in ("base", "base_euro") else None
        if base is not None and len(run) > 1:
            runs.append((run, base))
        if base is not None:
            for share in run:
                count = None
                k = share - 1
                while k >= 0 and k in dont:
                    k -= 1
                if k >= 0 and kinds.get(k) in ("int", "euro", "dec") and (
                        (kinds[k] == "euro") == (kinds[base] == "base_euro")) and len(run) == 1:
                    count = k
                pairs.append((count, base, share))
            tied_bases.add(base)
        j = after
    for base in [k for k, v in kinds.items() if v in ("base", "base_euro") and k not in tied_bases]:
        k = base - 1
        while k >= 0 and k in dont:
            k -= 1
        if k >= 0 and kinds.get(k) in ("int", "euro"):
            pairs.append((k, base, None))
    return Roles(labels, kinds, dont, pairs, groups, row_label, runs)


# --- slots, relations --------------------------------------------------------------------

Slot = tuple  # (table id, row, column) or ("latent", table id, row, column)


@dataclass
class Relation:
    """A linear relation between cells: ``target = Σ terms`` (``op`` ``=``),
    ``Σ terms ≤ target`` (``<=``) or, for a share, ``count = share × base``."""

    kind: str  # somme, total, inferieur, part, partition, meme_base
    target: Slot
    terms: list[Slot]
    op: str = "="
    # (what, "excl"/"incl"): holds if non-responses are excluded from / included in the
    # base ("base") or the total row ("total")
    hyp: tuple[str, str] | None = None
    assumed: bool = False  # true when it rests on a reading (additivity), not on arithmetic
    share: Cell | None = None
    text: str = ""  # what the reader knows, in French


@dataclass
class Model:
    tables: list[Table]
    roles: list[Roles]
    relations: list[Relation] = field(default_factory=list)
    latent: dict[Slot, bool] = field(default_factory=dict)  # latent slot → integer

    def cell(self, slot: Slot) -> Cell | None:
        if slot[0] == "latent":
            return None
        t, r, c = slot
        return self.tables[t].rows[r][c]

    def is_var(self, slot: Slot) -> bool:
        return slot[0] == "latent" or self.cell(slot).kind == "secret"

    def integer(self, slot: Slot) -> bool:
        if slot[0] == "latent":
            return self.latent[slot]
        t, _r, c = slot
        return self.roles[t].kinds.get(c) in ("int", "base")

    def usable(self, slot: Slot) -> bool:
        return slot[0] == "latent" or self.cell(slot).kind in ("number", "secret")


def _row_label(table: Table, roles: Roles, r: int) -> str:
    if roles.row_label is None:
        return f"ligne {r + 1}"
    parts = [table.rows[r][j].text for j in roles.groups] + [table.rows[r][roles.row_label].text]
    return " / ".join(p for p in parts if p)


def _blocks(table: Table, roles: Roles) -> list[list[int]]:
    blocks: list[list[int]] = []
    previous = None
    for r, row in enumerate(table.rows):
        key = tuple(fold(row[j].text) for j in roles.groups)
        if blocks and key == previous:
            blocks[-1].append(r)
        else:
            blocks.append([r])
        previous = key
    return blocks


def _label(table: Table, roles: Roles, r: int) -> str:
    return fold(table.rows[r][roles.row_label].text) if roles.row_label is not None else ""


def question_key(table: Table) -> tuple:
    return (fold(table.title), tuple(fold(h) for h in table.headers))


@dataclass
class Evidence:
    """What fully shown blocks of one question say about its additivity."""

    additive: int = 0
    not_additive: int = 0
    nr_excluded: int = 0
    nr_included: int = 0


def _interval_sum(cells: Sequence[Cell]) -> tuple[float, float]:
    return sum(c.lo for c in cells), sum(c.hi for c in cells)


def _block_parts(table: Table, roles: Roles, rows: list[int]):
    nr = [r for r in rows if _NR_LABEL.match(_label(table, roles, r))]
    total = [r for r in rows if _TOTAL_LABEL.match(_label(table, roles, r))]
    sub = [r for r in rows if _label(table, roles, r).startswith("dont ")]
    choices = [r for r in rows if r not in nr and r not in total and r not in sub]
    return choices, nr, total, sub


def collect_evidence(tables: Sequence[Table], roles: Sequence[Roles]) -> dict[tuple, Evidence]:
    evidence: dict[tuple, Evidence] = defaultdict(Evidence)
    for table, role in zip(tables, roles):
        ev = evidence[question_key(table)]
        multiple = bool(_MULTIPLE.search(fold(table.notes)))
        for count, base, _share in role.pairs:
            if count is None:
                continue
            for rows in _blocks(table, role):
                choices, nr, _total, _sub = _block_parts(table, role, rows)
                bases = [table.rows[r][base] for r in rows]
                counts = [table.rows[r][count] for r in choices]
                nr_cells = [table.rows[r][count] for r in nr]
                if not counts or any(c.kind != "number" for c in bases + counts + nr_cells):
                    continue
                if len({(b.lo, b.hi) for b in bases}) != 1 or bases[0].hi <= 0:
                    continue
                b = bases[0]
                lo, hi = _interval_sum(counts)
                excl = lo <= b.hi + EPS and hi >= b.lo - EPS
                nlo, nhi = _interval_sum(nr_cells)
                incl = bool(nr_cells) and lo + nlo <= b.hi + EPS and hi + nhi >= b.lo - EPS
                if (excl or incl) and not multiple:
                    ev.additive += 1
                    if excl and not incl and nr_cells and nhi > 0:
                        ev.nr_excluded += 1
                    if incl and not excl:
                        ev.nr_included += 1
                elif not (excl or incl):
                    ev.not_additive += 1
    return evidence


def _share_relations(model: Model, t: int) -> None:
    table, roles = model.tables[t], model.roles[t]
    for count, base, share in roles.pairs:
        if share is None:
            continue
        # a share that disagrees with its count and base is not that count's share
        ok, witnesses = True, 0
        for row in table.rows:
            c = row[count] if count is not None else None
            s, b = row[share], row[base]
            if c is not None and c.kind == "number" and s.kind == "number" and b.kind == "number":
                if c.lo > s.hi * b.hi + EPS or c.hi < s.lo * b.lo - EPS:
                    ok = False
                elif b.lo > 0:
                    witnesses += 1
        if ok and witnesses and count is not None:
            roles.witnessed.add((count, base))
        if not ok:
            roles.pairs[roles.pairs.index((count, base, share))] = (None, base, None)
            continue
        for r, row in enumerate(table.rows):
            s, b = row[share], row[base]
            if b.kind not in ("number", "secret"):
                continue
            if count is None:
                if roles.kinds[base] != "base" or s.kind not in ("number", "secret"):
                    continue
                slot = ("latent", t, r, share)
                model.latent[slot] = True
            else:
                if row[count].kind not in ("number", "secret"):
                    continue
                slot = (t, r, count)
            # a base without its non-responses can be smaller than their count
            if not _NR_LABEL.match(_label(table, roles, r)):
                model.relations.append(Relation(
                    "inferieur", (t, r, base), [slot], "<=",
                    text=f"« {table.headers[count] if count is not None else 'effectif'} » ≤ "
                         f"« {table.headers[base]} »"))
            if s.kind == "number":
                model.relations.append(Relation(
                    "part", (t, r, base), [slot], share=s,
                    text=f"« {table.headers[share]} » × « {table.headers[base]} »"))


def _additivity_relations(model: Model, t: int, evidence: dict[tuple, Evidence]) -> None:
    table, roles = model.tables[t], model.roles[t]
    if _MULTIPLE.search(fold(table.notes)):
        return
    ev = evidence.get(question_key(table), Evidence())
    if ev.not_additive:
        return
    blocks = _blocks(table, roles)
    if len(blocks) > 1 and not ev.additive:
        return
    notes = fold(table.notes)
    if _NR_EXCLUDED.search(notes) or (ev.nr_excluded and not ev.nr_included):
        nr_rule = "excl"
    elif _NR_INCLUDED.search(notes) or (ev.nr_included and not ev.nr_excluded):
        nr_rule = "incl"
    else:
        nr_rule = None
    in_runs = {j for run, _base in roles.runs for j in run}
    for count, base, share in roles.pairs:
        if count is None and share in in_runs:
            continue  # a wide grid's columns are levels, their counts run along the rows
        for rows in blocks:
            choices, nr, total, _sub = _block_parts(table, roles, rows)
            if len(choices) < 2:
                continue
            base_rows = [r for r in rows if r not in total]
            bases = [table.rows[r][base] for r in base_rows]
            shown = [b for b in bases if b.kind == "number"]
            if any(b.kind not in ("number", "secret") for b in bases):
                continue
            if shown:
                if len({(b.lo, b.hi) for b in shown}) != 1:
                    continue  # one base per row: not a distribution
                base_slot = (t, base_rows[bases.index(shown[0])], base)
            else:
                base_slot = (t, base_rows[0], base)
                for r in base_rows[1:]:
                    model.relations.append(Relation(
                        "meme_base", (t, r, base), [base_slot], assumed=True,
                        text="même base pour toutes les lignes"))
            if count is None:
                if share is None:
                    continue
                slots = [("latent", t, r, share) for r in choices]
                nr_slots = [("latent", t, r, share) for r in nr]
                if any(s not in model.latent for s in slots):
                    continue
                nr_slots = [s for s in nr_slots if s in model.latent]
                if len(nr_slots) != len(nr):
                    nr_slots = None
            else:
                slots = [(t, r, count) for r in choices]
                nr_slots = [(t, r, count) for r in nr]
                if not all(model.usable(s) for s in slots):
                    continue
                if not all(model.usable(s) for s in nr_slots):
                    nr_slots = None
            b = model.cell(base_slot)
            known = [model.cell(s) for s in slots if s[0] != "latent" and not model.is_var(s)]
            if b.kind == "number" and known and _interval_sum(known)[0] > b.hi + EPS:
                continue  # the shown counts already exceed the base
            if share is not None:
                shares = [table.rows[r][share] for r in choices]
                if sum(c.lo for c in shares if c.kind == "number") > 1 + EPS:
                    continue
            what = (f"les « {table.headers[count]} » s'additionnent à « {table.headers[base]} »"
                    if count is not None else
                    f"les « {table.headers[share]} » s'additionnent à 100 %")
            if not nr:
                model.relations.append(Relation("somme", base_slot, slots, assumed=True,
                                                text=what))
                continue
            if nr_rule in (None, "excl"):
                model.relations.append(Relation(
                    "somme", base_slot, slots, assumed=True,
                    hyp=("base", "excl") if nr_rule is None else None,
                    text=what + " (non-réponses exclues)"))
            if nr_rule in (None, "incl") and nr_slots is not None:
                model.relations.append(Relation(
                    "somme", base_slot, slots + nr_slots, assumed=True,
                    hyp=("base", "incl") if nr_rule is None else None,
                    text=what + " (non-réponses comprises)"))


def _grid_relations(model: Model, t: int) -> None:
    """A wide grid (one row per item, one share column per level, then the row's base):
    the levels' counts add up to the row's base when every fully shown row says so."""
    table, roles = model.tables[t], model.roles[t]
    if _MULTIPLE.search(fold(table.notes)):
        return
    for run, base in roles.runs:
        if roles.kinds[base] != "base":
            continue
        witnesses, broken = 0, False
        for row in table.rows:
            cells = [row[j] for j in run]
            if all(c.kind == "number" for c in cells) and row[base].kind == "number" \
                    and row[base].lo > 0:
                lo, hi = _interval_sum(cells)
                if lo <= 1 + EPS and hi >= 1 - EPS:
                    witnesses += 1
                else:
                    broken = True
        if broken or not witnesses:
            continue
        for r, row in enumerate(table.rows):
            slots = [("latent", t, r, j) for j in run]
            if not all(s in model.latent for s in slots) or row[base].kind not in (
                    "number", "secret"):
                continue
            if not any(row[j].kind == "secret" for j in run) and row[base].kind != "secret":
                continue
            model.relations.append(Relation(
                "somme", (t, r, base), slots, assumed=True,
                text=f"les parts de la ligne s'additionnent à 100 % de « {table.headers[base]} »"))


def _total_relations(model: Model, t: int) -> None:
    table, roles = model.tables[t], model.roles[t]
    figures = [j for j, k in roles.kinds.items() if k in ("int", "euro", "dec")]
    # a « Total » row: the sum of the rows of its block, non-responses in or out; a reading
    # that a fully shown column contradicts is out, and the row with it if none holds
    blocks = []
    holds = {"excl": True, "incl": True}
    for rows in _blocks(table, roles):
        choices, nr, total, _sub = _block_parts(table, roles, rows)
        if len(total) != 1 or not choices:
            continue
        blocks.append((choices, nr, total[0]))
        for j in figures:
            cells = [table.rows[r][j] for r in choices]
            nr_cells = [table.rows[r][j] for r in nr]
            tcell = table.rows[total[0]][j]
            if not all(c.kind == "number" for c in cells + nr_cells + [tcell]):
                continue
            for hyp, terms in (("excl", cells), ("incl", cells + nr_cells)):
                lo, hi = _interval_sum(terms)
                if not (lo <= tcell.hi + EPS and hi >= tcell.lo - EPS):
                    holds[hyp] = False
    readings = [h for h, ok in holds.items() if ok]
    for choices, nr, total_row in blocks:
        for j in figures:
            target = (t, total_row, j)
            variants = [(None, [(t, r, j) for r in choices])] if not nr else [
                (h, [(t, r, j) for r in (choices if h == "excl" else choices + nr)])
                for h in readings]
            for hyp, slots in variants:
                if not model.usable(target) or not all(model.usable(s) for s in slots):
                    continue
                if not any(model.is_var(s) for s in slots + [target]):
                    continue
                hyp = None if not nr or len(readings) == 1 else ("total", hyp)
                model.relations.append(Relation(
                    "total", target, slots, hyp=hyp, assumed=True,
                    text=f"la ligne « {table.rows[total_row][roles.row_label].text} » est la "
                         f"somme des lignes (colonne « {table.headers[j]} »)"))
    # a « Total » column: the sum of the figure columns before it, checked on shown rows
    for jt in figures:
        if not _TOTAL_LABEL.match(fold(table.headers[jt])):
            continue
        parts = [j for j in figures if j < jt and j not in roles.dont
                 and roles.kinds[j] == roles.kinds[jt]]
        if len(parts) < 2:
            continue
        witnesses, broken = 0, False
        for row in table.rows:
            cells = [row[j] for j in parts] + [row[jt]]
            if all(c.kind == "number" for c in cells):
                lo, hi = _interval_sum(cells[:-1])
                if lo <= cells[-1].hi + EPS and hi >= cells[-1].lo - EPS:
                    witnesses += 1
                else:
                    broken = True
        if broken or not witnesses:
            continue
        for r, row in enumerate(table.rows):
            slots = [(t, r, j) for j in parts]
            target = (t, r, jt)
            if all(model.usable(s) for s in slots + [target]) and any(
                    model.is_var(s) for s in slots + [target]):
                model.relations.append(Relation(
                    "total", target, slots, assumed=True,
                    text=f"la colonne « {table.headers[jt]} » est la somme des colonnes"))


def _dont_relations(model: Model, t: int) -> None:
    table, roles = model.tables[t], model.roles[t]
    for j in roles.dont:
        k = j - 1
        while k in roles.dont:
            k -= 1
        if roles.kinds.get(k) not in ("int", "euro", "dec"):
            continue
        for r in range(len(table.rows)):
            if model.usable((t, r, j)) and model.usable((t, r, k)) and (
                    model.is_var((t, r, j)) or model.is_var((t, r, k))):
                model.relations.append(Relation(
                    "inferieur", (t, r, k), [(t, r, j)], "<=",
                    text=f"« {table.headers[j]} » ≤ « {table.headers[k]} »"))


def _scope_relations(model: Model) -> None:
    groups: dict[tuple, list[int]] = defaultdict(list)
    for t, table in enumerate(model.tables):
        if table.scope is not None:
            groups[(table.family, *question_key(table))].append(t)
    for members in groups.values():
        by_scope: dict[str, list[int]] = defaultdict(list)
        for t in members:
            by_scope[model.tables[t].scope].append(t)
        if any(len(v) > 1 for v in by_scope.values()):
            continue  # the same title twice in one scope: cannot tell which is which
        agglo = [v[0] for s, v in by_scope.items() if not is_commune_scope(s)]
        communes = [v[0] for s, v in by_scope.items() if is_commune_scope(s)]
        if len(agglo) != 1 or not communes:
            continue
        a = agglo[0]
        roles = model.roles[a]
        if not roles.pairs:
            continue
        # counts of respondents only: a count shown with its share and base somewhere
        columns = {}
        for count, base in roles.witnessed:
            if roles.kinds[base] == "base" and roles.kinds[count] == "int":
                columns[base] = base
                columns[count] = base
        if not columns:
            continue
        index = {}
        for t in communes + [a]:
            rows = {}
            for r in range(len(model.tables[t].rows)):
                key = tuple(fold(model.tables[t].rows[r][j].text) for j in roles.labels)
                rows[key] = r
            index[t] = rows
        if not any(model.is_var((t, r, c)) for t in communes + [a] for r in index[t].values()
                   for c in columns):
            continue
        agglo_table = model.tables[a]
        for key, ra in index[a].items():
            for col, base in columns.items():
                target = (a, ra, col)
                parts = [(t, index[t][key], col) for t in communes if key in index[t]]
                if not model.usable(target) or not all(model.usable(s) for s in parts):
                    continue
                if not any(model.is_var(s) for s in parts + [target]):
                    continue
                exact = len(parts) == len(communes) and _partition(model, a, communes, index,
                                                                    key, base)
                model.relations.append(Relation(
                    "partition" if exact else "echelle", target, parts,
                    "=" if exact else "<=",
                    text=(f"« {agglo_table.headers[col]} » de l'agglomération = somme des "
                          "communes (leurs bases font celle de l'agglomération)") if exact else
                    (f"« {agglo_table.headers[col]} » : la somme des communes ne dépasse pas "
                     "celle de l'agglomération")))


def _link_relations(model: Model) -> None:
    """Two tables of one file about the same people: a table grouped by a label (codes per
    actor type, with a base per type) and a distribution over the same labels (interviews
    per actor type). When every group whose base and count are both shown agrees (two at
    least), a group's base is that label's count."""
    by_file: dict[tuple, list[int]] = defaultdict(list)
    for t, table in enumerate(model.tables):
        by_file[(table.file, table.sheet, table.scope)].append(t)
    for members in by_file.values():
        for b in members:
            rb = model.roles[b]
            if not rb.groups:
                continue
            group_col = rb.groups[0]
            bases = {base for _c, base, _s in rb.pairs if rb.kinds[base] == "base"}
            for base in bases:
                groups: dict[str, list[int]] = defaultdict(list)
                for r, row in enumerate(model.tables[b].rows):
                    groups[fold(row[group_col].text)].append(r)
                shown_ok = True
                for rows in groups.values():
                    shown = {(model.cell((b, r, base)).lo) for r in rows
                             if model.cell((b, r, base)).kind == "number"}
                    if len(shown) > 1:
                        shown_ok = False
                if not shown_ok or len(groups) < 3:
                    continue
                for a in members:
                    if a == b:
                        continue
                    ra = model.roles[a]
                    if ra.row_label is None or ra.groups:
                        continue
                    labels = {fold(row[ra.row_label].text): r
                              for r, row in enumerate(model.tables[a].rows)}
                    if not set(groups) <= set(labels):
                        continue
                    for count, _base, _share in ra.pairs:
                        if count is None or (count, _base) not in ra.witnessed:
                            continue
                        agree, disagree = 0, 0
                        for g, rows in groups.items():
                            cells = [model.cell((b, r, base)) for r in rows]
                            shown = [c for c in cells if c.kind == "number"]
                            c_a = model.cell((a, labels[g], count))
                            if shown and c_a.kind == "number":
                                if abs(shown[0].lo - c_a.lo) < EPS:
                                    agree += 1
                                else:
                                    disagree += 1
                        if disagree or agree < 2:
                            continue
                        ta, tb = model.tables[a], model.tables[b]
                        for g, rows in groups.items():
                            slot_a = (a, labels[g], count)
                            for r in rows:
                                slot_b = (b, r, base)
                                if model.usable(slot_b) and model.usable(slot_a) and (
                                        model.is_var(slot_a) or model.is_var(slot_b)):
                                    model.relations.append(Relation(
                                        "lien", slot_b, [slot_a], assumed=True,
                                        text=f"« {tb.headers[base]} » du groupe dans « {tb.title} »"
                                             f" = « {ta.headers[count]} » de la même ligne dans "
                                             f"« {ta.title} »"))


def _partition(model: Model, a: int, communes: list[int], index, key, base: int) -> bool:
    """Whether the communes' bases for the block of row *key* add up to the agglomeration's
    (all shown): the communes then hold every respondent of that block."""
    ra = index[a][key]
    agglo_base = model.tables[a].rows[ra][base]
    if agglo_base.kind != "number":
        return False
    total_lo = total_hi = 0.0
    for t in communes:
        cell = model.tables[t].rows[index[t][key]][base]
        if cell.kind != "number":
            return False
        total_lo += cell.lo
        total_hi += cell.hi
    return abs(total_lo - agglo_base.lo) < EPS and abs(total_hi - agglo_base.hi) < EPS


def build_model(tables: Sequence[Table]) -> Model:
    """Every relation a reader can write between the cells of *tables*."""
    tables = list(tables)
    roles = [column_roles(t) for t in tables]
    model = Model(tables, roles)
    for t in range(len(tables)):
        _share_relations(model, t)
    evidence = collect_evidence(tables, roles)
    for t in range(len(tables)):
        _additivity_relations(model, t, evidence)
        _grid_relations(model, t)
        _total_relations(model, t)
        _dont_relations(model, t)
    _scope_relations(model)
    _link_relations(model)
    return model


# --- solving -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Recovery:
    """A masked cell whose value follows from what is shown."""

    table: int  # position in the model's tables
    row: int
    column: int
    lo: float
    hi: float
    equation: str  # French


def _constraints(model: Model, relations: Sequence[Relation], index: dict[Slot, int]):
    """Rows ``(coefs, lo, hi, relation)`` of ``lo ≤ Σ coef·x ≤ hi``, known cells moved to
    the bounds (interval arithmetic)."""
    out = []
    for rel in relations:
        if rel.kind == "part":
            (slot,) = rel.terms
            for p, sense in ((rel.share.lo, ">="), (rel.share.hi, "<=")):
                terms = [(1.0, slot), (-p, rel.target)]
                out.append(_substitute(model, terms, 0.0 if sense == ">=" else -INF,
                                       INF if sense == ">=" else 0.0, rel, index))
            continue
        terms = [(1.0, rel.target)] + [(-1.0, s) for s in rel.terms]
        hi = 0.0 if rel.op == "=" else INF
        out.append(_substitute(model, terms, 0.0, hi, rel, index))
    return out


def _substitute(model, terms, lo, hi, rel, index):
    coefs: dict[int, float] = {}
    klo = khi = 0.0
    for coef, slot in terms:
        if model.is_var(slot):
            coefs[index[slot]] = coefs.get(index[slot], 0.0) + coef
        else:
            cell = model.cell(slot)
            a, b = coef * cell.lo, coef * cell.hi
            klo += min(a, b)
            khi += max(a, b)
    return coefs, lo - khi, hi - klo, rel


def _pinned(lo: float, hi: float, integer: bool) -> bool:
    if math.isinf(lo) or math.isinf(hi):
        return False
    if integer:
        return math.floor(hi + EPS) == math.ceil(lo - EPS)
    return hi - lo <= max(1.0, 0.001 * abs(hi))


class _Program:
    """``lo ≤ A·x ≤ hi``, ``x ≥ 0``, some ``x`` integer: optimised for several objectives."""

    def __init__(self, n: int, integer: list[bool], rows, lo=None, hi=None) -> None:
        from scipy.optimize import Bounds, LinearConstraint

        self.n = n
        self.integrality = np.asarray(integer, dtype=int)
        self.bounds = Bounds(0 if lo is None else np.asarray(lo, dtype=float),
                             np.inf if hi is None else np.asarray(hi, dtype=float))
        self.constraints = []
        if rows:
            a = np.zeros((len(rows), n))
            for i, (coefs, _l, _h, _rel) in enumerate(rows):
                for j, v in coefs.items():
                    a[i, j] = v
            self.constraints = [LinearConstraint(a, np.array([r[1] for r in rows]),
                                                 np.array([r[2] for r in rows]))]

    def optimum(self, c: np.ndarray):
        from scipy.optimize import milp

        return milp(c, integrality=self.integrality, bounds=self.bounds,
                    constraints=self.constraints, options={"time_limit": 5.0})


def _propagate(rows, n: int, integer: list[bool]):
    """Bounds of each variable implied constraint by constraint (interval propagation),
    or ``None`` when the constraints cannot hold together."""
    lo = [0.0] * n
    hi = [INF] * n
    for _ in range(50):
        changed = False
        for coefs, low, high, _rel in rows:
            items = list(coefs.items())
            mins = [min(a * lo[j], a * hi[j]) if a else 0.0 for j, a in items]
            maxs = [max(a * lo[j], a * hi[j]) if a else 0.0 for j, a in items]
            for k, (i, a) in enumerate(items):
                if not a:
                    continue
                rest_min = sum(m for q, m in enumerate(mins) if q != k)
                rest_max = sum(m for q, m in enumerate(maxs) if q != k)
                top = (high - rest_min) if not math.isinf(rest_min) else INF
                bottom = (low - rest_max) if not math.isinf(rest_max) else -INF
                if math.isnan(top):
                    top = INF
                if math.isnan(bottom):
                    bottom = -INF
                new_lo, new_hi = (bottom / a, top / a) if a > 0 else (top / a, bottom / a)
                if integer[i]:
                    new_lo = math.ceil(new_lo - EPS) if not math.isinf(new_lo) else new_lo
                    new_hi = math.floor(new_hi + EPS) if not math.isinf(new_hi) else new_hi
                if new_lo > lo[i] + EPS:
                    lo[i], changed = new_lo, True
                if new_hi < hi[i] - EPS:
                    hi[i], changed = new_hi, True
                if lo[i] > hi[i] + EPS:
                    return None
        if not changed:
            break
    return lo, hi


def _solve(model: Model, relations: list[Relation], variables: list[Slot]):
    """Bounds of each variable over the solutions, or ``None`` when there is none.

    Interval propagation over every relation first. Then integer programs, one per group
    of variables tied by the relations other than the two-scope inequalities (those enter
    through the propagated bounds, which keeps the programs small): a feasibility check, a
    few objectives that spread the variables, then, for each variable no solution moved
    yet, its minimum and maximum. Dropping constraints only widens the bounds: a variable
    is never said pinned when it is not."""
    index = {s: i for i, s in enumerate(variables)}
    n = len(variables)
    integer = [model.integer(s) for s in variables]
    rows = []
    for coefs, lo, hi, rel in _constraints(model, relations, index):
        if coefs:
            rows.append((coefs, lo, hi, rel))
        elif lo > EPS or hi < -EPS:
            return None  # the shown figures contradict the relation
    propagated = _propagate(rows, n, integer)
    if propagated is None:
        return None
    p_lo, p_hi = propagated
    bounds = {i: (p_lo[i], p_hi[i]) for i in range(n)}
    open_ = {i for i in range(n) if not _pinned(p_lo[i], p_hi[i], integer[i])}
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    local = [r for r in rows if r[3].kind != "echelle"]
    for coefs, *_rest in local:
        keys = list(coefs)
        for k in keys[1:]:
            parent[find(k)] = find(keys[0])
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        groups[find(i)].append(i)
    group_rows: dict[int, list] = defaultdict(list)
    for row in local:
        group_rows[find(next(iter(row[0])))].append(row)
    hard = []
    for root, members in groups.items():
        if not open_.intersection(members):
            continue
        coupling = [r for r in group_rows[root]
                    if sum(1 for k in r[0] if k in open_) >= 2]
        if len(coupling) <= 1 and all(abs(abs(v) - 1) < EPS for r in coupling
                                      for v in r[0].values()):
            # one sum over bounded variables: the propagated bounds are exact
            continue
        hard.append(root)
    if not hard:
        return bounds
    # all the hard groups in one program: one solution spreads every group at once
    members = [i for root in hard for i in groups[root]]
    spans = _solve_group(members, [r for root in hard for r in group_rows[root]], integer,
                         p_lo, p_hi, open_)
    if spans is None:
        return None
    bounds.update(spans)
    return bounds


def _solve_group(members, rows, integer, p_lo, p_hi, open_all):
    """Bounds of the open variables of one group (indices of the component)."""
    local_index = {g: k for k, g in enumerate(members)}
    n = len(members)
    local_rows = [({local_index[g]: v for g, v in coefs.items()}, lo, hi, rel)
                  for coefs, lo, hi, rel in rows]
    program = _Program(n, [integer[g] for g in members], local_rows,
                       [p_lo[g] for g in members], [p_hi[g] for g in members])
    open_ = [local_index[g] for g in members if g in open_all]
    ints = [integer[g] for g in members]
    first = program.optimum(np.zeros(n))
    if first.status == 2:
        return None
    if first.x is None:
        return {members[k]: (-INF, INF) for k in open_}
    points = [first.x]

    def moved(k):
        tol = 0.5 if ints[k] else 1.0
        return any(abs(p[k] - points[0][k]) > tol for p in points[1:])

    rng = np.random.default_rng(0)
    for _ in range(3 if len(open_) > 1 else 0):
        c = np.zeros(n)
        c[open_] = rng.choice([-1.0, 1.0], len(open_)) * rng.uniform(0.5, 1.5, len(open_))
        result = program.optimum(c)
        if result.x is not None:
            points.append(result.x)
    spans = {}
    for k in open_:
        if moved(k):
            spans[members[k]] = (-INF, INF)
            continue
        found = []
        for sign in (-1.0, 1.0):
            c = np.zeros(n)
            c[k] = sign
            result = program.optimum(c)
            if result.status == 2:
                return None
            if result.status != 0 or result.x is None:
                break
            points.append(result.x)
            found.append(result.x[k])
            if moved(k):
                break
        spans[members[k]] = (min(found), max(found)) if len(found) == 2 else (-INF, INF)
    return spans


def _components(model: Model) -> list[tuple[list[Slot], list[Relation]]]:
    parent: dict[Slot, Slot] = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for rel in model.relations:
        slots = [s for s in [rel.target, *rel.terms] if model.is_var(s)]
        for s in slots:
            find(s)
        for s in slots[1:]:
            parent[find(s)] = find(slots[0])
    members: dict[Slot, list[Slot]] = defaultdict(list)
    for s in parent:
        members[find(s)].append(s)
    rels: dict[Slot, list[Relation]] = defaultdict(list)
    for rel in model.relations:
        slots = [s for s in [rel.target, *rel.terms] if model.is_var(s)]
        if slots:
            rels[find(slots[0])].append(rel)
    return [(sorted(v, key=str), rels[k]) for k, v in members.items()]


def solve(model: Model) -> list[Recovery]:
    """The masked cells of the model's tables that only one value fits."""
    recoveries: list[Recovery] = []
    found: dict[Slot, tuple[float, float]] = {}
    contradicted = set()
    for rel in model.relations:
        if rel.hyp and not any(model.is_var(s) for s in [rel.target, *rel.terms]):
            _coefs, lo, hi, _ = _constraints(model, [rel], {})[0]
            if lo > EPS or hi < -EPS:
                contradicted.add((rel.target[0], rel.hyp))
    for variables, relations in _components(model):
        if not any(s[0] != "latent" or model.cell(s[1:]).kind == "secret" for s in variables):
            continue  # only counts behind shown shares: nothing hidden to recover
        # one reading of non-responses for the whole component (the same question at
        # several scopes); a reading the shown figures contradict is out
        # (sums to the base, total rows): each reading is tried
        dims = sorted({r.hyp[0] for r in relations if r.hyp})
        combos = [{(d, v) for d, v in zip(dims, values)}
                  for values in itertools.product(("excl", "incl"), repeat=len(dims))]
        touched = {s[1] if s[0] == "latent" else s[0] for s in variables}
        results = []
        for combo in combos:
            if any((t, h) in contradicted for t in touched for h in combo):
                continue
            chosen = [r for r in relations if r.hyp is None or r.hyp in combo]
            bounds = _solve(model, chosen, variables)
            if bounds is not None:
                results.append((chosen, bounds))
        if not results:
            certain = [r for r in relations if not r.assumed]
            bounds = _solve(model, certain, variables)
            if bounds is None:
                continue
            results = [(certain, bounds)]
        values: dict[Slot, tuple[float, float]] = {}
        for i, slot in enumerate(variables):
            spans = [b[i] for _rels, b in results]
            lo = min(s[0] for s in spans)
            hi = max(s[1] for s in spans)
            if lo > -INF and hi < INF and _pinned(lo, hi, model.integer(slot)):
                if model.integer(slot):
                    lo = hi = float(round((lo + hi) / 2))
                values[slot] = (lo, hi)
        explained = _explain(model, results[0][0], values)
        for slot, (lo, hi) in values.items():
            if slot[0] == "latent":
                continue
            recoveries.append(Recovery(slot[0], slot[1], slot[2], lo, hi, explained[slot]))
        found.update(values)
    recoveries += _hidden_shares(model, found)
    unique = {}
    for rec in recoveries:
        unique.setdefault((rec.table, rec.row, rec.column), rec)
    return sorted(unique.values(), key=lambda r: (r.table, r.row, r.column))


def _hidden_shares(model: Model, values: dict[Slot, tuple[float, float]]) -> list[Recovery]:
    """Masked shares whose count and base are shown or recovered."""
    out = []
    for t, (table, roles) in enumerate(zip(model.tables, model.roles)):
        for count, base, share in roles.pairs:
            if share is None:
                continue
            for r, row in enumerate(table.rows):
                if row[share].kind != "secret":
                    continue
                cslot = (t, r, count) if count is not None else ("latent", t, r, share)
                bslot = (t, r, base)
                known = []
                for slot in (cslot, bslot):
                    cell = model.cell(slot)
                    if cell is not None and cell.kind == "number":
                        known.append((cell.lo, cell.hi, cell.text, False))
                    elif slot in values:
                        known.append((*values[slot], _fr(values[slot][0]), True))
                    else:
                        break
                if len(known) != 2 or known[1][0] <= 0:
                    continue
                (clo, chi, ctext, _), (blo, bhi, btext, _) = known
                lo, hi = clo / bhi, chi / blo
                if hi - lo > 0.0015:
                    continue
                out.append(Recovery(t, r, share, lo, hi,
                                    f"« {table.headers[share]} » = {ctext} / {btext} = "
                                    f"{_fr_percent((lo + hi) / 2)}"))
    return out


# --- explanations ------------------------------------------------------------------------

def _fr(value: float, decimals: int = 0) -> str:
    if value is None or math.isinf(value):
        return "?"
    text = f"{abs(value):,.{decimals}f}".replace(",", "\u00a0").replace(".", ",")
    return ("-" if value < 0 and round(abs(value), decimals) else "") + text


def _fr_percent(share: float) -> str:
    return _fr(share * 100, 1) + "\u00a0%"


def _show(model: Model, slot: Slot, values) -> str:
    cell = model.cell(slot)
    if cell is not None and cell.kind == "number":
        return cell.text if cell.ref == "" else _fr(cell.value, 0 if cell.is_integer else 2)
    if slot in values:
        lo, hi = values[slot]
        return _fr((lo + hi) / 2)
    return "?"


def _explain(model: Model, relations: list[Relation], values) -> dict[Slot, str]:
    """For each recovered slot, the equation a reader writes, solved in order: a relation
    with one unknown left gives it."""
    known = dict(values)
    explained: dict[Slot, str] = {}
    unknown = set(values)
    progress = True
    while unknown and progress:
        progress = False
        for rel in relations:
            slots = [rel.target, *rel.terms]
            if rel.op != "=":
                text = _render_bound(model, rel, known, unknown)
                if text:
                    explained[text[0]] = text[1]
                    unknown.discard(text[0])
                    progress = True
                continue
            open_ = [s for s in slots if model.is_var(s) and s not in explained]
            if len(open_) != 1 or open_[0] not in unknown:
                continue
            if any(model.is_var(s) and s not in known for s in slots):
                continue
            slot = open_[0]
            if rel.kind == "part" and not _part_pins(model, rel, slot, known):
                continue
            explained[slot] = _render(model, rel, slot, known)
            unknown.discard(slot)
            progress = True
    for slot in unknown:
        involved = [r.text for r in relations if slot in (r.target, *r.terms)]
        explained[slot] = ("seule valeur compatible avec : " + " ; ".join(
            dict.fromkeys(involved)) + f" → {_show(model, slot, known)}")
    return explained


def _render_bound(model: Model, rel: Relation, known, unknown):
    """``x ≤ T − (shown others) = 0`` for a term pinned at zero by an upper bound."""
    target = _num(model, rel.target, known)
    if math.isnan(target[1]):
        return None
    for slot in rel.terms:
        if slot not in unknown or known[slot][1] > EPS:
            continue
        others = [s for s in rel.terms if s != slot]
        shown = [s for s in others if not model.is_var(s) or s in known]
        rest = sum(_num(model, s, known)[0] for s in shown)
        if target[1] - rest > EPS:
            continue
        if rel.kind == "echelle":
            head = f"{_show(model, rel.target, known)} (agglomération)"
            minus = f" − {_fr(rest)} (autres communes)" if shown else ""
            where = f" ; agglomération : {_place(model.tables[rel.target[0]])}"
        else:
            head = _show(model, rel.target, known)
            listed = _listing([_show(model, s, known) for s in shown], rest)
            minus = f" − ({listed})" if len(shown) > 1 else (f" − {listed}" if shown else "")
            where = ""
        return slot, (f"{_name(model, slot)} ≤ {head}{minus} = 0 ({rel.text}{where}) → 0")
    return None


def _name(model: Model, slot: Slot) -> str:
    if slot[0] == "latent":
        _, t, r, c = slot
        return f"effectif « {_row_label(model.tables[t], model.roles[t], r)} »"
    t, r, c = slot
    table = model.tables[t]
    return f"{table.headers[c]} « {_row_label(table, model.roles[t], r)} »"


def _part_interval(model: Model, rel: Relation, slot: Slot, known) -> tuple[float, float]:
    """Interval of *slot* (the count or the base) given the share and the other one."""
    if slot == rel.target:
        c_lo, c_hi = _num(model, rel.terms[0], known)
        return (c_lo / rel.share.hi if rel.share.hi > 0 else INF,
                c_hi / rel.share.lo if rel.share.lo > 0 else INF)
    b_lo, b_hi = _num(model, rel.target, known)
    return rel.share.lo * b_lo, rel.share.hi * b_hi


def _part_pins(model: Model, rel: Relation, slot: Slot, known) -> bool:
    lo, hi = _part_interval(model, rel, slot, known)
    return not math.isinf(hi) and _pinned(lo, hi, model.integer(slot))


def _render(model: Model, rel: Relation, slot: Slot, known) -> str:
    value = _show(model, slot, known)
    name = _name(model, slot)
    if rel.kind == "part":
        lo, hi = _part_interval(model, rel, slot, known)
        share = rel.share.text or _fr_percent(rel.share.value)
        if slot == rel.target:
            formula = f"{_show(model, rel.terms[0], known)} / {share}"
        else:
            formula = f"{share} × {_show(model, rel.target, known)}"
        return (f"{name} = {formula} : seul entier entre {_fr(lo, 2)} et {_fr(hi, 2)} "
                f"(part arrondie) → {value}")
    terms = [_show(model, s, known) for s in rel.terms]
    scope_note = ""
    if rel.kind in ("partition", "echelle"):
        total = sum(_num(model, s, known)[0] for s in rel.terms if s != slot)
    if rel.kind == "partition":
        files = sorted({_place(model.tables[s[0]]) for s in rel.terms})
        scope_note = (f" (agglomération : {_place(model.tables[rel.target[0]])} ; communes : "
                      f"{', '.join(files)})")
    if len(rel.terms) == 1 and rel.kind in ("lien", "meme_base"):
        other = rel.terms[0] if slot == rel.target else rel.target
        return f"{name} = {_show(model, other, known)} ({rel.text})"
    if slot == rel.target:
        total = sum(_num(model, s, known)[0] for s in rel.terms)
        return f"{name} = {_listing(terms, total)} = {value} ({rel.text}){scope_note}"
    others = [_show(model, s, known) for s in rel.terms if s != slot]
    total = sum(_num(model, s, known)[0] for s in rel.terms if s != slot)
    target = _show(model, rel.target, known)
    rest = f" − ({_listing(others, total)})" if len(others) > 1 else (
        f" − {others[0]}" if others else "")
    if rel.kind == "partition":
        target = f"{target} (agglomération)"
        rest = f" − {_fr(total)} (autres communes : {_listing(others, total)})"
    return f"{name} = {target}{rest} = {value} ({rel.text}){scope_note}"


def _place(table: Table) -> str:
    return f"{table.file}, feuille « {table.sheet} »" if table.sheet else table.file


def _listing(values: list[str], total: float) -> str:
    """``14 + 12 + 10``, or the sum alone for long lists."""
    if len(values) <= 8:
        return " + ".join(values)
    return f"somme de {len(values)} valeurs, {_fr(total)}"


def _num(model: Model, slot: Slot, known) -> tuple[float, float]:
    cell = model.cell(slot)
    if cell is not None and cell.kind == "number":
        return cell.lo, cell.hi
    return known.get(slot, (math.nan, math.nan))
