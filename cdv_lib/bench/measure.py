"""Measurement helpers: wall-clock timers, medians, peak memory of a process (Linux
``VmHWM``, reset between phases), command-line runs, and a cProfile summary."""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from pathlib import Path

from cdv_lib.paths import PROJ_ROOT


class Stopwatch:
    """``with Stopwatch() as sw: ...`` then ``sw.seconds``."""

    def __enter__(self) -> Stopwatch:
        self.start = time.perf_counter()
        self.seconds = float("nan")
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.start


def median_seconds(fn: Callable[[], object], repeat: int) -> tuple[float, list[float]]:
    """Run *fn* *repeat* times; return (median, all times) in seconds."""
    times = []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


# ------------------------------------------------------------------ memory (Linux)
def _status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def rss_mb() -> float:
    """Current resident set size of this process, in MB (MiB)."""
    kb = _status_kb("VmRSS")
    if kb is None:
        import psutil

        return psutil.Process().memory_info().rss / 2**20
    return kb / 1024


def peak_rss_mb() -> float:
    """High-water resident set size since start or since :func:`reset_peak_rss`, in MB."""
    kb = _status_kb("VmHWM")
    if kb is None:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return kb / 1024


def reset_peak_rss() -> bool:
    """Reset the high-water mark to the current RSS (Linux ``clear_refs`` 5). Returns False
    when the kernel does not allow it (the peak then covers the whole process)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


@contextmanager
def phase_memory():
    """Peak RSS of a phase: ``with phase_memory() as mem: ...`` then ``mem["peak_mb"]``
    (absolute high-water during the phase) and ``mem["start_mb"]`` (RSS before it)."""
    info = {"start_mb": rss_mb(), "reset": reset_peak_rss()}
    try:
        yield info
    finally:
        info["peak_mb"] = peak_rss_mb()
        info["end_mb"] = rss_mb()


def tree_rss_mb(pid: int) -> float:
    """RSS of a process and all its descendants, in MB."""
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total / 2**20


# ------------------------------------------------------------------ commands
def bin_path(name: str) -> str:
    """An executable of the running environment (``.venv/bin/papermill``), else its name."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def cli_env(extra: dict | None = None) -> dict:
    """Environment for commands: the project importable, no colour, no pager."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(PROJ_ROOT), *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])])
    env.setdefault("MPLBACKEND", "Agg")
    env.update(extra or {})
    return env


def run_timed(argv: Sequence[str], *, timeout: float | None = None, cwd: str | None = None,
              env: dict | None = None) -> tuple[float, subprocess.CompletedProcess]:
    """Run a command, return (wall seconds, completed process with text output)."""
    t0 = time.perf_counter()
    proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout,
                          cwd=cwd, env=env or cli_env())
    return time.perf_counter() - t0, proc


def tail(text: str, n: int = 15) -> str:
    return "\n".join((text or "").strip().splitlines()[-n:])


# ------------------------------------------------------------------ profile
def profile_call(fn: Callable[[], object], *, top: int = 12,
                 strip: str | None = None) -> tuple[object, list[tuple[str, float, float, int]]]:
    """Run *fn* under cProfile. Returns (result, rows) where rows are the *top* functions by
    cumulative time: (``file:line(function)``, cumulative s, own s, calls), project
    functions first in interest (paths shortened relative to the project)."""
    profiler = cProfile.Profile()
    result = profiler.runcall(fn)
    stats = pstats.Stats(profiler, stream=io.StringIO())
    rows = []
    root = strip or str(PROJ_ROOT) + os.sep
    for (filename, line, func), (cc, nc, tt, ct, _callers) in stats.stats.items():
        name = f"{filename.replace(root, '')}:{line}({func})"
        rows.append((name, ct, tt, nc))
    rows.sort(key=lambda r: r[1], reverse=True)
    return result, rows[:top]


def profile_table(rows: list[tuple[str, float, float, int]]) -> list[str]:
    """Markdown table lines of :func:`profile_call` rows."""
    from cdv_lib.bench.results import fmt_number

    out = ["| fonction | cumulé (s) | propre (s) | appels |", "|---|---|---|---|"]
    for name, cum, own, calls in rows:
        name = name.replace("|", "\\|")
        out.append(f"| `{name}` | {fmt_number(cum, 2)} | {fmt_number(own, 2)} | {calls} |")
    return out
