"""Shared fixtures: a small valid data directory and a snapshot of a directory's files."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

BASE_DATA = Path(__file__).parent / "bad_inputs" / "base"


def tree_snapshot(root: Path) -> dict[str, tuple[int, int, str]]:
    """Relative path -> (size, mtime_ns, sha256) of every file under *root*."""
    out = {}
    for path in sorted(Path(root).rglob("*")):
        if path.is_file():
            st = path.stat()
            out[str(path.relative_to(root))] = (
                st.st_size, st.st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())
    return out


@pytest.fixture
def snapshot():
    """The :func:`tree_snapshot` function."""
    return tree_snapshot


@pytest.fixture
def base_data(tmp_path) -> Path:
    """A copy of the minimal valid data directory ``tests/bad_inputs/base``."""
    target = tmp_path / "donnees"
    shutil.copytree(BASE_DATA, target)
    return target
