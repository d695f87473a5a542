"""``cdv bench``: performance measurements written to ``benchmarks/results.md``.

Modules: :mod:`.results` (figures, ratios, targets, the markdown report), :mod:`.machine`,
:mod:`.measure` (timers, peak memory, commands, profiles), :mod:`.synthetic` (the national
synthetic dataset), :mod:`.national` (national scale), :mod:`.grouped` (every indicator
of every EPCI in grouped passes), :mod:`.floor` (kernel start + imports), :mod:`.batch` (batch against the
naive loop, Dask), :mod:`.voila` (dashboard timings and concurrent sessions),
:mod:`.runner` (the sub-benchmarks and their targets).
"""
