"""The relations a reader knows between the cells of the tables read from the outputs.

From each table read by :mod:`cdv_lib.audit_read` (never from the library's table objects),
the relations a reader knows are written as linear relations over the masked cells
(:class:`Relation`; :mod:`cdv_lib.audit_solve` finds the cells they pin):

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

Guards against false positives: no additivity for a
multiple-choice question (« Plusieurs réponses possibles », « dépasse 100 % », shown counts
or shares adding up to more than the base), for a grid with one base per row, or for any
question of which a fully shown table at another scope does not add up; a several-block
table is taken as additive only when one of its fully shown blocks (or of the same
question elsewhere) adds up exactly; a single table of counts with one base and no such
mention is read as a complete distribution. A relation contradicted by the shown figures is
dropped.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

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


def row_label(table: Table, roles: Roles, r: int) -> str:
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
