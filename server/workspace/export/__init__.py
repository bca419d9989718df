"""Anonymised export of the answers (CSV, Parquet, Stata, SPSS, codebook, manifest) as one zip."""
