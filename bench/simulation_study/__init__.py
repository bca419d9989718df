"""The simulation study of the gradation's operating characteristics (``make simulate``).

Data come from :mod:`analysis.simulate` with a known truth: 12 measures, three
groups (patients 150, relatives 100, staff 100, and 600 each), 12 sites with
random site and site x measure effects, floors and ceilings, informative
"don't know", groups recruited at different sites, neighbours exactly on the
margin, a reversed scale and renamed codes, and small cells. Each run calls
:func:`analysis.gradation.analyse` and reads only its public result
(:class:`analysis.result.GradationResult`), so the study measures whatever the
analysis does when it is run.

Modules: :mod:`.scenarios` (what is simulated and the truth), :mod:`.reading`
(what a result claims), :mod:`.metrics` (one run of one scenario, and the
targets), :mod:`.study` (runs, Monte Carlo summaries, the table and its
outputs).
"""
