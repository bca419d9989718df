"""Benchmark of the gradation analysis: time and peak memory by respondents.

Runs the full analysis (1000-resample bootstrap, mixed and ordinal models,
Bradley-Terry) on simulated data with 14 measures and 3 groups, in a fresh
subprocess per size so peak memory (ru_maxrss) belongs to that size alone.
Prints a table and the time ratio per tenfold increase in respondents
(10 would be linear).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

SIZES = (1_000, 10_000, 100_000)


def run_one(respondents: int) -> dict[str, float]:
    """Simulate and analyse ``respondents`` in this process; return seconds and peak MiB."""
    import resource

    from analysis.gradation import GradationSettings, analyse
    from analysis.simulate import Simulation, simulate_answers

    df = simulate_answers(Simulation(respondents_per_group=respondents // 3, seed=7))
    start = time.perf_counter()
    result = analyse(df, GradationSettings())
    result.to_json()
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"respondents": respondents, "answers": len(df), "seconds": seconds, "peak_mib": peak_kib / 1024}


def main(sizes: tuple[int, ...] = SIZES) -> None:
    """Print a table of respondents, answers, seconds and peak MiB per size."""
    print("analysis benchmark: 14 measures x 3 groups, bootstrap 1000, models on")
    print(f"{'respondents':>12} {'answers':>10} {'seconds':>9} {'peak MiB':>9} {'time ratio':>10}")
    previous: float | None = None
    for n in sizes:
        out = subprocess.run(
            [sys.executable, "-c", f"import json, bench.analysis_bench as b; print(json.dumps(b.run_one({n})))"],
            check=True,
            capture_output=True,
            text=True,
        )
        row = json.loads(out.stdout.strip().splitlines()[-1])
        ratio = f"{row['seconds'] / previous:.1f}" if previous else "-"
        previous = row["seconds"]
        print(f"{row['respondents']:>12,} {row['answers']:>10,} {row['seconds']:>9.1f} {row['peak_mib']:>9.0f} {ratio:>10}", flush=True)


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or SIZES)
