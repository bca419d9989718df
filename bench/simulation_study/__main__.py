"""`make simulate`: run the simulation study, print its table and write docs/methods.md and docs/simulation-study.json.

    python -m bench.simulation_study [--quick] [--runs N] [--processes P] [--seed S]
                                     [--scenarios a,b] [--designs realistic,large] [--no-write]
"""

from __future__ import annotations

import os

# One BLAS thread per process: the study parallelises over runs, and nested
# threads would only compete for the same cores.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402 - after the thread settings, which must precede numpy
from pathlib import Path  # noqa: E402

#: Runs per scenario and sample size (the confound and small-cell scenarios get
#: a share of them): about 15 minutes on 2 otherwise idle cores for the
#: analysis as of the first baseline; the Monte Carlo error of a 5% rate is
#: then about 2.8 points per run-level rate, less for per-cell rates.
DEFAULT_RUNS = 60
QUICK_RUNS = 8


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, run the study, print and write its outputs."""
    from bench.simulation_study.study import JSON_PATH, METHODS_PATH, print_report, run_study, write_outputs

    parser = argparse.ArgumentParser(prog="python -m bench.simulation_study", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_RUNS} runs per scenario and size (a first look, wide Monte Carlo errors)")
    parser.add_argument("--runs", type=int, help=f"runs per scenario and size (default {DEFAULT_RUNS})")
    parser.add_argument("--processes", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--scenarios", help="comma-separated subset of scenarios")
    parser.add_argument("--designs", help="comma-separated subset of sample sizes (realistic, large)")
    parser.add_argument("--max-minutes", type=float, help="stop after this many minutes and report the runs done so far")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/ unchanged")
    parser.add_argument("--json", type=Path, default=JSON_PATH, help="where the JSON report goes")
    parser.add_argument("--methods", type=Path, default=METHODS_PATH, help="the methods text whose table is replaced")
    args = parser.parse_args(argv)
    runs = args.runs or (QUICK_RUNS if args.quick else DEFAULT_RUNS)
    if runs < 2:
        parser.error("--runs: at least 2 runs are needed for a Monte Carlo standard error")
    report = run_study(
        runs,
        seed=args.seed,
        processes=args.processes,
        quick=args.quick or runs < DEFAULT_RUNS,
        scenario_names=args.scenarios.split(",") if args.scenarios else None,
        design_names=args.designs.split(",") if args.designs else None,
        max_minutes=args.max_minutes,
    )
    print_report(report)
    if not args.no_write:
        write_outputs(report, args.json, args.methods)
        print(f"\nwritten: {args.json} and the table in {args.methods}")


if __name__ == "__main__":
    main()
