"""The papermill batch: every report notebook for the agglomeration and each signatory
commune, as HTML without code, with a manifest, an index and an Excel workbook.

Modules: :mod:`.registry` (theme -> notebook), :mod:`.communes`, :mod:`.plan`, :mod:`.run`
(one run, in a worker), :mod:`.pool` (local worker processes), :mod:`.dask_runner`,
:mod:`.manifest`, :mod:`.index`, :mod:`.excel`, :mod:`.orchestrator` (the whole batch).
"""
