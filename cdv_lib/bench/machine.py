"""The machine a benchmark ran on, read from ``/proc`` (Linux), and the versions that matter."""

from __future__ import annotations

import os
import platform
import sys
from datetime import datetime
from importlib import metadata

from cdv_lib.cores import usable_cores

PACKAGES = ("pandas", "numpy", "papermill", "nbclient", "nbconvert", "jupyter_client",
            "ipykernel", "voila", "dask", "distributed", "pandera", "matplotlib", "seaborn",
            "playwright")


def _proc_cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "inconnu"


def _proc_memory_kb() -> int | None:
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def package_versions(names=PACKAGES) -> dict[str, str]:
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def machine_info() -> dict:
    """``date``, ``cpu_model``, ``cores``, ``usable_cores``, ``memory`` (French text),
    ``load``, ``system``, ``python``, ``packages`` (name -> version)."""
    mem_kb = _proc_memory_kb()
    try:
        load = ", ".join(f"{x:.2f}".replace(".", ",") for x in os.getloadavg())
    except OSError:
        load = "inconnue"
    return {
        "date": datetime.now().astimezone().strftime("%d/%m/%Y %H:%M %Z"),
        "cpu_model": _proc_cpu_model(),
        "cores": os.cpu_count() or 1,
        "usable_cores": usable_cores(),
        "memory": (f"{mem_kb / 1024 / 1024:.1f} Go".replace(".", ",") if mem_kb
                   else "inconnue"),
        "load": load,
        "system": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
        "packages": package_versions(),
    }
