"""Statistics for the least-intrusive-means gradation.

Data flows one way through this package: a tidy answers table
(:mod:`analysis.tidy`) is hashed (:mod:`analysis.snapshot`), summarised
(:mod:`analysis.descriptives`), compared pair by pair
(:mod:`analysis.pairwise`), grouped into tiers (:mod:`analysis.tiers`) and
bundled into one result object (:mod:`analysis.result`) by
:func:`analysis.gradation.analyse`.

The package never imports the web framework or the database layer: it works on
plain pandas DataFrames and msgspec Structs only.
"""
