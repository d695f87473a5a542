"""Which masked cells the relations of :mod:`cdv_lib.audit_relations` pin to one value.

A masked cell is *recovered* when every non-negative (integer, for counts) solution of the
relations gives it the same value. Interval propagation first (exact for a single sum
over bounded cells), then small integer programs (:func:`scipy.optimize.milp`) for the
cells it leaves open. Where the reading of non-responses is not stated (excluded from or
included in the base, in a total row), every reading the shown figures do not contradict
is tried, and a cell is recovered only if all of them give it the same value. Each
recovery comes with the French equation a reader writes.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cdv_lib.audit_read import Table
from cdv_lib.audit_relations import (
    EPS,
    INF,
    Model,
    Relation,
    Slot,
    row_label,
)

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
                        known.append((*values[slot], fr_number(values[slot][0]), True))
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
                                    f"{fr_percent((lo + hi) / 2)}"))
    return out


# --- explanations ------------------------------------------------------------------------

def fr_number(value: float, decimals: int = 0) -> str:
    """``1234.5`` → ``1 234`` (no-break space), ``decimals`` after a comma."""
    if value is None or math.isinf(value):
        return "?"
    text = f"{abs(value):,.{decimals}f}".replace(",", "\u00a0").replace(".", ",")
    return ("-" if value < 0 and round(abs(value), decimals) else "") + text


def fr_percent(share: float) -> str:
    """``0.036`` → ``3,6 %``."""
    return fr_number(share * 100, 1) + "\u00a0%"


def _show(model: Model, slot: Slot, values) -> str:
    cell = model.cell(slot)
    if cell is not None and cell.kind == "number":
        return cell.text if cell.ref == "" else fr_number(cell.value, 0 if cell.is_integer else 2)
    if slot in values:
        lo, hi = values[slot]
        return fr_number((lo + hi) / 2)
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
            minus = f" − {fr_number(rest)} (autres communes)" if shown else ""
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
        return f"effectif « {row_label(model.tables[t], model.roles[t], r)} »"
    t, r, c = slot
    table = model.tables[t]
    return f"{table.headers[c]} « {row_label(table, model.roles[t], r)} »"


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
        share = rel.share.text or fr_percent(rel.share.value)
        if slot == rel.target:
            formula = f"{_show(model, rel.terms[0], known)} / {share}"
        else:
            formula = f"{share} × {_show(model, rel.target, known)}"
        return (f"{name} = {formula} : seul entier entre {fr_number(lo, 2)} et {fr_number(hi, 2)} "
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
        rest = f" − {fr_number(total)} (autres communes : {_listing(others, total)})"
    return f"{name} = {target}{rest} = {value} ({rel.text}){scope_note}"


def _place(table: Table) -> str:
    return f"{table.file}, feuille « {table.sheet} »" if table.sheet else table.file


def _listing(values: list[str], total: float) -> str:
    """``14 + 12 + 10``, or the sum alone for long lists."""
    if len(values) <= 8:
        return " + ".join(values)
    return f"somme de {len(values)} valeurs, {fr_number(total)}"


def _num(model: Model, slot: Slot, known) -> tuple[float, float]:
    cell = model.cell(slot)
    if cell is not None and cell.kind == "number":
        return cell.lo, cell.hi
    return known.get(slot, (math.nan, math.nan))
