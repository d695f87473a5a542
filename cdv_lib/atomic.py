"""Whole-or-nothing file writes: write a temporary file in the same folder, then
``os.replace`` it. Temporary names carry the writer's pid (``name.tmp-<pid>.ext``) so that
files left by a killed batch are recognised and removed by the next one."""

from __future__ import annotations

import os
import re
from pathlib import Path

import psutil

TMP_MARK = ".tmp-"
# stem.tmp-<pid>.ext (or stem.tmp-<pid> without extension)
TMP_RE = re.compile(r"\.tmp-(?P<pid>\d+)(\.[^.]*)?$")


def tmp_path(path: str | os.PathLike, pid: int | None = None) -> Path:
    """Temporary sibling of *path*: ``gouvernance.html`` -> ``gouvernance.tmp-<pid>.html``.

    The extension is kept last because some writers (papermill) check it."""
    path = Path(path)
    pid = os.getpid() if pid is None else pid
    return path.with_name(f"{path.stem}{TMP_MARK}{pid}{path.suffix}")


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write *data* to *path* atomically (readers see the old file or the whole new one)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_path(path)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write *text* (UTF-8) to *path* atomically."""
    return write_bytes(path, text.encode("utf-8"))


def commit(tmp: str | os.PathLike, path: str | os.PathLike) -> Path:
    """Move an already written temporary file onto *path* (atomic on one file system)."""
    os.replace(tmp, path)
    return Path(path)


def _alive(pid: int) -> bool:
    """True when *pid* is a running process (a zombie, never reaped in some containers, is
    dead)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def clean_stale_tmp(folder: str | os.PathLike) -> list[Path]:
    """Remove temporary files under *folder* whose writer process no longer exists.

    Returns the removed paths. Files of a live process (a run still writing) are kept."""
    removed: list[Path] = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    for path in folder.rglob(f"*{TMP_MARK}*"):
        match = TMP_RE.search(path.name)
        if not match or not path.is_file():
            continue
        pid = int(match["pid"])
        if pid != os.getpid() and _alive(pid):
            continue
        try:
            path.unlink()
            removed.append(path)
        except FileNotFoundError:
            pass
    return removed
