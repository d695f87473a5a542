"""National scale: every indicator of the theme modules for every Contrat de Ville of the
synthetic national dataset (:mod:`cdv_lib.bench.synthetic`), timed, with peak memory.

Run in its own process (``python -m cdv_lib.bench.national``) so that the peak resident
memory is this computation's alone; phases are separated by resetting the Linux high-water
mark (``/proc/self/clear_refs``). The parent (``cdv bench``) reads the JSON it writes.

Phases
------
``generation``   build the national frames in memory (typed contract form);
``csv``          optionally write them as one CSV folder and read it back with
                 :func:`cdv_lib.dataset.load_dataset` (reading, typing, checks, survey);
``national``     every agglomeration-level indicator once on the national frames;
``grouped``      every agglomeration-level indicator for every EPCI in grouped passes
                 (:mod:`cdv_lib.bench.grouped`);
``per_epci``     the same, contract by contract (frames pre-split once with a groupby), on a
                 sample of EPCI (``--max-epci``, default 45), extrapolated to all; the
                 grouped tables are compared with these results (``same``);
``epci``         every indicator for the one EPCI given by ``--epci``, for the agglomeration
                 and for each signatory commune, as its reports compute them.

The indicators are the public functions of ``cdv_lib.themes`` and ``cdv_lib.survey`` as the
report notebooks call them; nothing here recomputes an indicator.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdv_lib import columns as C
from cdv_lib.bench.measure import phase_memory

DEFAULT_EPCI = "246200364"
QUICK_SIZES = {"n_epci": 8, "n_qpv": 40, "n_programmation": 4_000, "n_respondents": 800}


@dataclass(frozen=True)
class Indicator:
    """One computation: ``name`` (``theme.function``), ``fn(contract)``, ``per_commune``
    (computed for each signatory commune too, as the per-commune reports do)."""

    name: str
    fn: Callable[[dict], object]
    per_commune: Callable[[dict, str], object] | None = None


def _signatories(contract: dict) -> list[str]:
    communes = contract["communes"]
    return list(communes.loc[communes[C.SIGNATAIRE].astype(bool), C.CODE_INSEE])


def indicators() -> list[Indicator]:
    """The indicators of every theme, as calls on a contract dict (tables, ``survey``,
    ``config``). Themes not yet in the code base are left out (listed by
    :func:`missing_themes`)."""
    out: list[Indicator] = []
    from cdv_lib.themes import finances, territoire

    out += [
        Indicator("territoire.key_figures",
                  lambda c: territoire.key_figures(c["communes"], c["qpv"]),
                  lambda c, com: territoire.key_figures(c["communes"], c["qpv"], commune=com)),
        Indicator("territoire.qpv_per_commune",
                  lambda c: territoire.qpv_per_commune(c["communes"], c["qpv"])),
        Indicator("territoire.qpv_communes_table",
                  lambda c: territoire.qpv_communes_table(c["communes"], c["qpv"])),
        Indicator("territoire.compare_indicators",
                  lambda c: territoire.compare_indicators(c["indicateurs"], c["qpv"],
                                                          c["communes"])),
        Indicator("territoire.aggregate_indicator",
                  lambda c: territoire.aggregate_indicator(c["indicateurs"], "population",
                                                           niveau="qpv")),
    ]
    for by in finances.GROUPINGS:
        out.append(Indicator(
            f"finances.totals[{by}]",
            lambda c, by=by: finances.totals(c["programmation"], by),
            (lambda c, com, by=by: finances.totals(c["programmation"], by, commune=com))
            if by != C.COMMUNE else None))
    out += [
        Indicator("finances.evolution",
                  lambda c: finances.evolution(c["programmation"], 2016, 2022)),
        Indicator("finances.health_share",
                  lambda c: finances.health_share(c["programmation"]),
                  lambda c, com: finances.health_share(c["programmation"], commune=com)),
        Indicator("finances.consistency_checks",
                  lambda c: finances.consistency_checks(c["programmation"])),
    ]
    try:
        from cdv_lib.themes import sante
    except ImportError:
        sante = None
    if sante is not None:
        out += [
            Indicator("sante.distribution[thematique]",
                      lambda c: sante.distribution(c["actions_sante"], C.THEMATIQUE),
                      lambda c, com: sante.distribution(c["actions_sante"], C.THEMATIQUE,
                                                        commune=com)),
            Indicator("sante.distribution[public]",
                      lambda c: sante.distribution(c["actions_sante"], C.PUBLIC)),
            Indicator("sante.distribution[duree]",
                      lambda c: sante.distribution(c["actions_sante"], C.DUREE)),
            Indicator("sante.actions_by_commune",
                      lambda c: sante.actions_by_commune(c["actions_sante"],
                                                         communes=c["communes"])),
            Indicator("sante.actions_per_commune",
                      lambda c: sante.actions_per_commune(c["actions_sante"],
                                                          communes=c["communes"])),
            Indicator("sante.health_programming",
                      lambda c: sante.health_programming(c["programmation"])),
            Indicator("sante.partnership_grid",
                      lambda c: sante.partnership_grid(c["survey"], "cooperation")),
            Indicator("sante.context_indicators",
                      lambda c: sante.context_indicators(c["indicateurs"])),
        ]
    from cdv_lib.themes import gouvernance, participation, perr

    out += [
        Indicator("participation.interviews_by_actor",
                  lambda c: participation.interviews_by_actor(c["entretiens"])),
        Indicator("participation.codes_by_actor",
                  lambda c: participation.codes_by_actor(c["entretiens"])),
        Indicator("participation.verbatims",
                  lambda c: participation.verbatims(c["entretiens"])),
        Indicator("participation.participation_ladder",
                  lambda c: participation.participation_ladder(c["entretiens"])),
        Indicator("participation.conseils_citoyens",
                  lambda c: participation.conseils_citoyens(c["survey"])),
        Indicator("perr.engagements", lambda c: perr.engagements(c["perr"])),
        Indicator("perr.status_counts", lambda c: perr.status_counts(c["perr"])),
        Indicator("perr.share_realised", lambda c: perr.share_realised(c["perr"])),
        Indicator("perr.indicators_long", lambda c: perr.indicators_long(c["perr"])),
        Indicator("gouvernance.question_table",
                  lambda c: gouvernance.question_table(c["survey"])),
        Indicator("gouvernance.cooperation_grid",
                  lambda c: gouvernance.cooperation_grid(c["survey"])),
        Indicator("gouvernance.response_rates",
                  lambda c: gouvernance.response_rates({"habitants": c["survey"]})),
    ]
    from cdv_lib import survey as sv

    out += [
        Indicator("survey.frequencies[satisfaction]",
                  lambda c: sv.frequencies(c["survey"], "satisfaction"),
                  lambda c, com: sv.frequencies(c["survey"], "satisfaction",
                                                where={"commune": com})),
        Indicator("survey.frequencies[domaines]",
                  lambda c: sv.frequencies(c["survey"], "domaines")),
        Indicator("survey.matrix_table[cooperation]",
                  lambda c: sv.matrix_table(c["survey"], "cooperation")),
        Indicator("survey.median_level[satisfaction]",
                  lambda c: sv.median_level(c["survey"], "satisfaction")),
        Indicator("survey.numeric_summary[age]",
                  lambda c: sv.numeric_summary(c["survey"], "age")),
        Indicator("survey.crosstab[satisfaction×commune]",
                  lambda c: sv.crosstab(c["survey"], "satisfaction", "commune")),
    ]
    return out


def missing_themes() -> list[str]:
    """Theme modules of the evaluation not importable yet."""
    import importlib

    out = []
    for name in ["territoire", "finances", "sante", "participation", "perr", "gouvernance",
                 "ami"]:
        try:
            importlib.import_module(f"cdv_lib.themes.{name}")
        except ImportError:
            out.append(name)
    return out


# ------------------------------------------------------------------ computing
def compute_contract(contract: dict, inds: list[Indicator], times: dict[str, float],
                     errors: dict[str, str], *, communes: bool = True) -> int:
    """Compute every indicator for one contract (and each of its signatory communes);
    add each indicator's time to *times*. Returns the number of tables computed."""
    n = 0
    signatories = _signatories(contract) if communes else []
    for ind in inds:
        t0 = time.perf_counter()
        try:
            ind.fn(contract)
            n += 1
            if ind.per_commune is not None:
                for com in signatories:
                    ind.per_commune(contract, com)
                    n += 1
        except Exception as exc:  # recorded: a theme refusing national data is a finding
            errors.setdefault(ind.name, f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
                              if str(exc) else type(exc).__name__)
        times[ind.name] += time.perf_counter() - t0
    return n


def national_contract(data) -> dict:
    """The national frames as one contract dict."""
    return dict(data.tables(), survey=data.survey,
                config={"territoire": "France (synthétique)", "code_epci": None})


def split_contracts(data) -> dict[str, dict]:
    """Every EPCI's contract, split once (one groupby per table) rather than filtered 450
    times."""
    codes = list(data.epci["code_epci"])
    parts: dict[str, dict] = {code: {} for code in codes}
    frames = dict(data.tables(), respondents=data.survey.respondents,
                  answers=data.survey.answers)
    for name, frame in frames.items():
        keys = pd.Series(data.epci_of[name])
        for code, positions in keys.groupby(keys, sort=False).indices.items():
            if code in parts:
                part = frame.iloc[positions]
                if name in data.TABLES:
                    part.index = pd.RangeIndex(2, len(part) + 2, name="ligne")
                else:
                    part = part.reset_index(drop=True)
                parts[code][name] = part
    # indicators of the wider levels (département, région, France) each contract compares with
    ind = data.indicateurs
    zones = data.zones
    wide_rows = ind[ind[C.NIVEAU].isin(["departement", "region", "france"])]
    by_zone = {key: grp for key, grp in wide_rows.groupby([C.NIVEAU, C.CODE], sort=False)}
    france = wide_rows[wide_rows[C.NIVEAU] == "france"]
    zones_by_epci = {code: grp for code, grp in zones.groupby("code_epci", sort=False)}
    Survey = type(data.survey)
    out = {}
    for code in codes:
        p = parts[code]
        for name in data.TABLES:
            if name not in p:
                p[name] = data.tables()[name].iloc[0:0]
        z = zones_by_epci.get(code)
        extra = [by_zone[(n, c)] for n, c in zip(z[C.NIVEAU], z[C.CODE])
                 if (n, c) in by_zone] if z is not None else []
        own = p["indicateurs"]
        ind_epci = pd.concat([own, *extra, france])
        ind_epci.index = pd.RangeIndex(2, len(ind_epci) + 2, name="ligne")
        p["indicateurs"] = ind_epci
        p["survey"] = Survey(data.survey.definition,
                             p.pop("respondents", data.survey.respondents.iloc[0:0]),
                             p.pop("answers", data.survey.answers.iloc[0:0]))
        p["config"] = {"code_epci": code}
        out[code] = p
    return out


def frames_equal(got: pd.DataFrame, expected: pd.DataFrame) -> bool:
    """Same columns, rows, order, dtypes and values (floats to 1e-9); two empty tables with
    the same columns are equal whatever their columns' dtypes (no value to compare)."""
    expected = expected.reset_index(drop=True)
    expected.attrs = {}
    if got.empty and expected.empty:
        return list(got.columns) == list(expected.columns)
    try:
        pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9)
        return True
    except AssertionError:
        return False


def same_results(results: dict, contracts: dict, codes: list[str],
                 inds: list[Indicator]) -> dict:
    """Compare, for the EPCI *codes*, each grouped table of *results*
    (:func:`cdv_lib.bench.grouped.run_all`) with the indicator computed on the contract.

    Returns ``{"compared": n, "equal": n, "differing": [names], "codes": len(codes)}``."""
    from cdv_lib.bench import grouped

    by_name = {i.name: i for i in inds}
    compared = equal = 0
    differing: list[str] = []
    for name, table in results.items():
        if not isinstance(table, pd.DataFrame):
            continue  # computed per EPCI: nothing to compare
        errors = table.attrs.get("errors", {})
        for code in codes:
            compared += 1
            try:
                expected = by_name[name].fn(contracts[code])
            except Exception:
                ok = code in errors or ("erreur" in table and bool(
                    table.loc[table[grouped.EPCI] == code, "erreur"].iloc[0]))
            else:
                if "valeur" in table.columns and not isinstance(expected, pd.DataFrame):
                    got = table.loc[table[grouped.EPCI] == code, "valeur"].iloc[0]
                    ok = bool((pd.isna(got) and pd.isna(expected)) or got == expected or (
                        isinstance(expected, float) and np.isclose(got, expected)))
                else:
                    ok = frames_equal(grouped.epci_slice(table, code), expected)
            equal += ok
            if not ok and name not in differing:
                differing.append(name)
    return {"compared": compared, "equal": equal, "differing": differing, "codes": len(codes)}


def vectorised_breakdowns() -> list[Indicator]:
    """Per-commune breakdowns of the programmation computed in one call on the national
    frames, through the ``by`` path :func:`cdv_lib.themes.finances.totals` offers (no loop
    over communes). The other per-commune tables (``qpv_per_commune``, ``actions_by_commune``,
    ``crosstab`` by commune) are already in :func:`indicators`."""
    from cdv_lib.themes import finances

    return [Indicator(f"finances.totals[commune, {by}]",
                      lambda c, by=by: finances.totals(c["programmation"], [C.COMMUNE, by]))
            for by in (C.ANNEE, C.FINANCEUR, C.PILIER, C.THEMATIQUE)]


def run(*, seed: int = 0, quick: bool = False, epci: str = DEFAULT_EPCI, csv_dir=None,
        max_epci: int | None = None) -> dict:
    """Every phase (see the module docstring). Returns a JSON-able dict of figures.

    *max_epci* is the size of the per-EPCI sample (``None``: 45, every EPCI in quick
    mode)."""
    from cdv_lib.bench import synthetic

    sizes = QUICK_SIZES if quick else {}
    res: dict = {"quick": quick, "seed": seed, "epci": epci, "phases": {}}

    with phase_memory() as mem:
        t0 = time.perf_counter()
        data = synthetic.generate(seed, **sizes)
        seconds = time.perf_counter() - t0
    res["sizes"] = data.sizes()
    res["phases"]["generation"] = {"seconds": seconds, **mem}
    if epci not in set(data.epci["code_epci"]):
        # the reduced set keeps the largest EPCI: take the smallest one instead
        epci = str(data.epci["code_epci"].iloc[-1])
        res["epci_note"] = f"EPCI {res['epci']} absent du jeu réduit : {epci} retenu"
        res["epci"] = epci

    if csv_dir is not None:
        from cdv_lib.dataset import clear_cache, load_dataset

        t0 = time.perf_counter()
        data.write_csv(csv_dir)
        written = time.perf_counter() - t0
        clear_cache()
        with phase_memory() as mem:
            t0 = time.perf_counter()
            try:
                loaded = load_dataset(csv_dir)
                read_error = None
                n_read = len(loaded.programmation)
            except Exception as exc:
                read_error = f"{type(exc).__name__}: {str(exc)[:300]}"
                n_read = 0
            seconds = time.perf_counter() - t0
        res["phases"]["csv"] = {"seconds": seconds, "write_seconds": written,
                                "error": read_error, "rows": n_read, **mem}
        loaded = None
        clear_cache()

    inds = indicators()
    res["indicators"] = [i.name for i in inds]
    res["missing_themes"] = missing_themes()

    # national: every indicator once on the national frames, and the per-commune
    # breakdowns through groupby paths
    nat = national_contract(data)
    times: dict[str, float] = defaultdict(float)
    errors: dict[str, str] = {}
    with phase_memory() as mem:
        t0 = time.perf_counter()
        n = compute_contract(nat, inds + vectorised_breakdowns(), times, errors,
                             communes=False)
        seconds = time.perf_counter() - t0
    res["phases"]["national"] = {"seconds": seconds, "tables": n, "times": dict(times),
                                 "errors": errors, **mem}

    # every indicator of every EPCI in grouped passes (cdv_lib.bench.grouped)
    from cdv_lib.bench import grouped

    with phase_memory() as mem:
        t0 = time.perf_counter()
        done = grouped.run_all(data)
        seconds = time.perf_counter() - t0
    methods = done["methods"]
    res["phases"]["grouped"] = {
        "seconds": seconds, "times": done["times"], "methods": methods,
        "errors": done["errors"], "split_seconds": done["split_seconds"],
        "contracts": len(data.epci), "indicators": len(methods), **mem}

    # every EPCI, contract by contract, on a sample: the time it would take, and the check
    # that the grouped tables hold the same results
    with phase_memory() as mem:
        t0 = time.perf_counter()
        contracts = split_contracts(data)
        split_seconds = time.perf_counter() - t0
        codes = list(contracts)
        n_sample = len(codes) if max_epci is None and quick else min(len(codes), max_epci or 45)
        step = max(1, len(codes) // n_sample)
        chosen_codes = codes[::step][:n_sample]
        chosen = [contracts[c] for c in chosen_codes]
        times = defaultdict(float)
        errors = {}
        n = 0
        t1 = time.perf_counter()
        for contract in chosen:
            n += compute_contract(contract, inds, times, errors, communes=False)
        loop_seconds = time.perf_counter() - t1
    per_contract = loop_seconds / max(len(chosen), 1)
    res["phases"]["per_epci"] = {"seconds": split_seconds + per_contract * len(codes),
                                 "extrapolated": len(chosen) < len(codes),
                                 "split_seconds": split_seconds, "loop_seconds": loop_seconds,
                                 "tables": n, "contracts": len(chosen),
                                 "contracts_total": len(contracts),
                                 "times": dict(times), "errors": errors, **mem}
    res["phases"]["same"] = same_results(done["results"], contracts, chosen_codes, inds)
    contracts = None

    # one EPCI: agglomeration and each signatory commune, as its reports compute them
    times = defaultdict(float)
    errors = {}
    with phase_memory() as mem:
        t0 = time.perf_counter()
        one = data.for_epci(epci)
        n = compute_contract(one, inds, times, errors)
        seconds = time.perf_counter() - t0
    res["phases"]["epci"] = {"seconds": seconds, "tables": n, "times": dict(times),
                             "errors": errors, "signataires": len(_signatories(one)), **mem}
    return res


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cdv_lib.bench.national")
    parser.add_argument("--json", required=True, help="fichier JSON des résultats")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--epci", default=DEFAULT_EPCI)
    parser.add_argument("--csv-dir", default=None)
    parser.add_argument("--max-epci", type=int, default=None)
    args = parser.parse_args(argv)
    try:
        res = run(seed=args.seed, quick=args.quick, epci=args.epci, csv_dir=args.csv_dir,
                  max_epci=args.max_epci)
    except Exception:
        res = {"error": traceback.format_exc()}
    with open(args.json, "w", encoding="utf-8") as fh:
        json.dump(res, fh, ensure_ascii=False, indent=1, default=_json_default)
    return 0 if "error" not in res else 1


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
