"""The incremental batch: what a report reads is recorded while it runs, and the next batch
runs again exactly the reports whose notebook, parameters, library or read inputs changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cdv_lib import dataset as ds_mod
from cdv_lib.batch import cache, manifest as mf, reads
from cdv_lib.batch.orchestrator import run_batch
from cdv_lib.batch.registry import THEMES, Theme
from cdv_lib.paths import DATA_DIR

COMMUNE = "62498"  # Lens, a signatory of the embedded data
THEME_NAMES = ("participation", "finances", "sante")  # the quicker reports


# ----------------------------------------------------------------- recording (no kernel)
def test_reads_record_the_dataset_inputs_used_and_files_opened_outside_the_loader(tmp_path):
    data = tmp_path / "donnees"
    shutil.copytree(DATA_DIR, data, ignore=shutil.ignore_patterns("reference"))
    (data / "note.txt").write_text("x", encoding="utf-8")
    ds_mod.clear_cache()
    reads.start(str(data))
    try:
        dataset = ds_mod.load_dataset(data)  # the loader opens every file: not recorded
        dataset.programmation.head()
        dataset.config.get("annee")
        (data / "note.txt").read_text(encoding="utf-8")
        ds_mod.load_dataset(data)  # a cached copy: no read either
    finally:
        got = reads.collect()
    folder = str(data.resolve())
    assert got["inputs"] == [[folder, "config"], [folder, "programmation"]]
    assert got["files"] == [str((data / "note.txt").resolve())]
    dataset.communes.head()  # recording stopped
    assert reads.collect()["inputs"] == []
    assert reads.parse(repr(reads.collect_json())) == {"inputs": [], "files": []}


def test_digests_follow_the_typed_content_not_the_bytes(tmp_path):
    data = tmp_path / "donnees"
    shutil.copytree(DATA_DIR, data, ignore=shutil.ignore_patterns("reference"))
    folder = str(data.resolve())
    before = cache.DataDigests()
    config, prog = before.input(folder, "config"), before.input(folder, "programmation")
    assert before.files_of(folder, "programmation") == ["programmation.csv"]
    with open(data / "config.yaml", "a", encoding="utf-8") as fh:
        fh.write("# un commentaire ne change rien à ce que lisent les rapports\n")
    _swap_last_rows(data / "programmation.csv")
    after = cache.DataDigests()
    assert after.input(folder, "config") == config
    assert after.input(folder, "programmation") != prog
    assert after.input(folder, "communes") == before.input(folder, "communes")


def test_force_and_resume_exclude_each_other(tmp_path):
    from cdv_lib.batch.orchestrator import BatchError

    with pytest.raises(BatchError, match="--force et --resume"):
        run_batch(out_dir=tmp_path, force=True, resume=True, quiet=True)


# ----------------------------------------------------------------- real batches
def _swap_last_rows(path: Path) -> None:
    """Swap the last two distinct data rows of a CSV: still valid, other typed content."""
    lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    if not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    j = len(lines) - 1
    i = max(k for k in range(1, j) if lines[k] != lines[j])
    lines[i], lines[j] = lines[j], lines[i]
    path.write_text("".join(lines), encoding="utf-8")


def _change(path: Path) -> None:
    """Change what a reader of *path* gets, the file staying valid."""
    if path.suffix == ".csv":
        _swap_last_rows(path)
    elif path.name == "config.yaml":
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("territoire: ", "territoire: Territoire modifié — ", 1),
                        encoding="utf-8")
    elif path.name == "ami_regles.yaml":
        text = path.read_text(encoding="utf-8")
        assert "enveloppe_annuelle: 150000" in text
        path.write_text(text.replace("enveloppe_annuelle: 150000", "enveloppe_annuelle: 150001"),
                        encoding="utf-8")
    else:  # questionnaire definitions: their digest is their bytes
        with open(path, "a", encoding="utf-8") as fh:
            fh.write("# modifié\n")


def _registry(notebooks: Path) -> dict[str, Theme]:
    from dataclasses import replace

    notebooks.mkdir()
    out = {}
    for name in THEME_NAMES:
        theme = THEMES[name]
        shutil.copy(theme.notebook, notebooks / theme.notebook.name)
        out[name] = replace(theme, notebook=notebooks / theme.notebook.name)
    return out


def _ran(out: Path) -> set[str]:
    runs = mf.load(out)["runs"]
    assert all(r["status"] == "ok" for r in runs.values()), runs
    assert all(r["statut"] == ("réutilisé" if r["reused"] else "exécuté") for r in runs.values())
    return {k for k, r in runs.items() if not r["reused"]}


def _in_process_runner(specs, *, jobs, on_start=None, on_done=None, grace=None):
    """Stands for the worker pool: runs each report notebook's code in this process (its
    parameters injected as papermill does), recording its reads as a kernel would."""
    import json
    import time

    import IPython.display
    import matplotlib

    matplotlib.use("Agg")
    results = []
    for spec in specs:
        on_start(spec)
        t0, started = time.monotonic(), mf.now_iso()
        nb = json.loads(Path(spec.notebook).read_text(encoding="utf-8"))
        reads.start(spec.parameters.get("data_dir"))
        namespace: dict = {}
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(IPython.display, "display", lambda *a, **k: None)
            for cell in nb["cells"]:
                if cell["cell_type"] != "code":
                    continue
                exec("".join(cell["source"]), namespace)
                if "parameters" in cell.get("metadata", {}).get("tags", []):
                    namespace.update(spec.parameters)
        import matplotlib.pyplot as plt

        plt.close("all")
        got = reads.collect()
        out = Path(spec.out_dir)
        (out / spec.html).parent.mkdir(parents=True, exist_ok=True)
        (out / spec.html).write_text("<html><body>rapport</body></html>\n", encoding="utf-8")
        (out / spec.ipynb).write_text(json.dumps({"cells": [], "nbformat": 4,
                                                  "nbformat_minor": 5, "metadata": {}}))
        result = {"run_id": spec.run_id, "status": "ok", "error": None, "started": started,
                  "finished": mf.now_iso(), "duration": round(time.monotonic() - t0, 3),
                  "html": spec.html, "ipynb": spec.ipynb, "attempts": 1, "pid": None,
                  "reads": got}
        on_done(spec, result)
        results.append(result)
    return results


@pytest.mark.slow
def test_each_input_file_changed_in_turn_runs_exactly_the_reports_reading_it(tmp_path,
                                                                              monkeypatch):
    """Every file of a copy of the embedded data, changed one after the other: the next batch
    runs the reports that read it, and only those (report code run in this process)."""
    from cdv_lib.batch import pool

    monkeypatch.setattr(pool, "run_local", _in_process_runner)
    data, out = tmp_path / "donnees", tmp_path / "sortie"
    shutil.copytree(DATA_DIR, data)
    themes = ["sante", "participation", "finances"]  # the quicker reports, in this process

    def batch():
        summary = run_batch(data=data, out_dir=out, communes=[COMMUNE], themes=themes,
                            excel=False, quiet=True)
        assert summary.exit_code == 0 and summary.planned == len(themes)
        return _ran(out)

    every = {f"{COMMUNE}/{t}" for t in themes}
    assert batch() == every
    assert batch() == set()
    files = sorted(p for p in data.rglob("*") if p.is_file() and p.suffix in (".csv", ".yaml"))
    assert len(files) >= 20
    readers = {}
    for path in files:
        rel = str(path.relative_to(data)).replace("\\", "/")
        before = {k: set(r["fichiers"]) for k, r in mf.load(out)["runs"].items()}
        _change(path)
        readers[rel] = batch()
        assert readers[rel] == {k for k, names in before.items() if rel in names}, rel
    # what the reports are known to read (so that the loop above can fail)
    assert readers["programmation.csv"] >= {f"{COMMUNE}/finances", f"{COMMUNE}/sante"}
    assert f"{COMMUNE}/participation" not in readers["programmation.csv"]
    assert readers["communes.csv"] == every
    assert f"{COMMUNE}/participation" in readers["questionnaires/communes.yaml"]
    assert readers["reference/published_figures.csv"] == set()


@pytest.mark.notebooks
@pytest.mark.slow
def test_real_batch_reuses_unchanged_reports(tmp_path, monkeypatch):
    """With kernels: recorded reads come back from the kernel; a data change, a comment,
    a notebook change, a library change, --force and --resume."""
    data, out = tmp_path / "donnees", tmp_path / "sortie"
    shutil.copytree(DATA_DIR, data)
    registry = _registry(tmp_path / "notebooks")

    def batch(**kwargs):
        kwargs.setdefault("excel", False)
        summary = run_batch(data=data, out_dir=out, communes=[COMMUNE], registry=registry,
                            jobs=2, quiet=True, **kwargs)
        assert summary.exit_code == 0 and summary.planned == 3
        return summary

    batch(excel=True)
    everything = {f"{COMMUNE}/{t}" for t in THEME_NAMES}
    assert _ran(out) == everything
    runs = mf.load(out)["runs"]
    reads_of = {k: set(r["fichiers"]) for k, r in runs.items()}
    assert "programmation.csv" in reads_of[f"{COMMUNE}/finances"]
    assert "programmation.csv" not in reads_of[f"{COMMUNE}/participation"]
    assert "questionnaires/communes.yaml" in reads_of[f"{COMMUNE}/participation"]
    workbook = out / "tableaux.xlsx"
    built = workbook.stat().st_mtime_ns

    summary = batch(excel=True)  # nothing changed: nothing runs, the workbook is kept
    assert _ran(out) == set() and summary.skipped == 3
    assert workbook.stat().st_mtime_ns == built

    _change(data / "programmation.csv")
    batch()
    assert _ran(out) == {k for k, names in reads_of.items() if "programmation.csv" in names}
    assert _ran(out) == {f"{COMMUNE}/finances", f"{COMMUNE}/sante"}

    # a comment in config.yaml changes nothing the reports read
    with open(data / "config.yaml", "a", encoding="utf-8") as fh:
        fh.write("# relu\n")
    batch()
    assert _ran(out) == set()

    # a report notebook changed: only its reports
    nb = registry["finances"].notebook
    nb.write_text(nb.read_text(encoding="utf-8").replace("Programmation et finances",
                                                         "Programmation et financements", 1),
                  encoding="utf-8")
    batch()
    assert _ran(out) == {f"{COMMUNE}/finances"}
    assert "Programmation et financements" in (out / COMMUNE / "finances.html").read_text(
        encoding="utf-8")

    # the library changed: everything, and the workbook is rebuilt
    monkeypatch.setattr(cache, "library_version", lambda: "cdv_lib autre version")
    batch(excel=True)
    assert _ran(out) == everything
    assert workbook.stat().st_mtime_ns != built

    batch(force=True)
    assert _ran(out) == everything
    summary = batch(resume=True)
    assert _ran(out) == set() and summary.skipped == 3
