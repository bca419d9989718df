"""Running the study: every scenario x design x run, on several processes, summarised with Monte Carlo errors.

Each run has its own seed, derived from the study seed, the scenario, the
design and the run number, so a study is reproducible and any single run can
be repeated. A run that raises is counted as an error of its scenario (and
reported), not silently dropped.

Pass rules, with ``R`` runs and ``se0 = sqrt(t (1 - t) / R)`` the Monte Carlo
error a rate exactly at its target ``t`` would have:

* at most ``t``: the estimate is at most ``t + 1.645 se0``;
* at least ``t``: the estimate is at least ``t - 1.645 se0``;
* a range: the estimate lies within the range widened by 1.645 of its own
  Monte Carlo standard error;
* 100%: every run.

So a rate fails when it is above its target by more than one-sided 5%
Monte Carlo noise would explain.
"""

from __future__ import annotations

import datetime as dt
import math
import multiprocessing
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import msgspec
import numpy as np

from bench.simulation_study.metrics import METRICS, RUN_SHARE, RUNS, Metric, study_settings
from bench.simulation_study.scenarios import DESIGNS, Design

ROOT: Final = Path(__file__).resolve().parents[2]
JSON_PATH: Final = ROOT / "docs" / "simulation-study.json"
METHODS_PATH: Final = ROOT / "docs" / "methods.md"
BEGIN: Final = "<!-- simulation-study:begin -->"
END: Final = "<!-- simulation-study:end -->"
Z_ONE_SIDED: Final = 1.645


class RunOutcome(msgspec.Struct, frozen=True):
    """One run of one scenario at one design."""

    scenario: str
    design: str
    run: int
    seed: int
    seconds: float
    metrics: dict[str, float | None]
    error: str | None


class Row(msgspec.Struct, frozen=True):
    """One line of the study table."""

    scenario: str
    metric: str
    label: str
    design: str
    n_per_group: str
    runs: int
    estimate: float | None
    mcse: float | None
    target: str
    passed: bool | None
    unit: str


class StudyReport(msgspec.Struct, frozen=True):
    """Everything a study run produced, as written to JSON."""

    schema: str
    date_utc: str
    commit: str
    analysis_changed: bool
    software_version: str
    quick: bool
    runs: int
    seed: int
    processes: int
    seconds: float
    alpha: float
    margin: float
    settings: dict[str, Any]
    errors: dict[str, int]
    first_errors: list[str]
    rows: list[Row]
    #: Runs done of those planned, when a time budget stopped the study early ("" otherwise).
    stopped_early: str = ""


def run_seed(seed: int, scenario: str, design: str, run: int) -> int:
    """The seed of one run: independent streams per scenario, design and run."""
    keys = [seed, list(RUNS).index(scenario), [d.name for d in DESIGNS].index(design), run]
    return int(np.random.SeedSequence(keys).generate_state(1)[0])


def _design(name: str) -> Design:
    return next(d for d in DESIGNS if d.name == name)


def one_run(task: tuple[str, str, int, int, float]) -> RunOutcome:
    """Run one scenario once (the unit of work of the process pool)."""
    scenario, design, run, seed, margin = task
    start = time.perf_counter()
    try:
        metrics = RUNS[scenario](_design(design), seed, margin)
        error = None
    except Exception as exc:  # noqa: BLE001 - a failing analysis is a finding of the study, reported per scenario
        metrics, error = {}, f"{type(exc).__name__}: {exc}"
    return RunOutcome(scenario, design, run, seed, time.perf_counter() - start, metrics, error)


def tasks(runs: int, seed: int, scenario_names: Sequence[str], design_names: Sequence[str], margin: float) -> list[tuple[str, str, int, int, float]]:
    """Every (scenario, design, run) of the study, interleaved so slow and fast work mix."""
    out = []
    for run in range(runs):
        for design in design_names:
            for scenario in scenario_names:
                wanted = [m for m in METRICS if m.scenario == scenario and (not m.designs or design in m.designs)]
                if wanted and run < runs_of(scenario, runs):
                    out.append((scenario, design, run, run_seed(seed, scenario, design, run), margin))
    return out


def runs_of(scenario: str, runs: int) -> int:
    """Runs of ``scenario`` when the study has ``runs`` (see :data:`RUN_SHARE`)."""
    return max(2, round(runs * RUN_SHARE.get(scenario, 1.0)))


def execute(work: list[tuple[str, str, int, int, float]], processes: int, progress: bool = True, max_seconds: float | None = None) -> list[RunOutcome]:
    """Run the tasks on ``processes`` processes (1: in this process).

    With ``max_seconds``, no result is awaited after that time: the runs done
    so far are returned (the tasks are ordered by run number, so every
    scenario has about the same number of runs) and the rest are cancelled.
    """
    outcomes: list[RunOutcome] = []
    stopped = False
    step = max(1, len(work) // 20)
    start = time.perf_counter()
    if processes <= 1:
        iterator: Any = map(one_run, work)
        pool = None
    else:
        pool = multiprocessing.get_context("fork").Pool(processes, maxtasksperchild=200)
        iterator = pool.imap_unordered(one_run, work, chunksize=1)
    try:
        for k, outcome in enumerate(iterator, start=1):
            outcomes.append(outcome)
            if progress and (k % step == 0 or k == len(work)):
                print(f"  {k}/{len(work)} runs, {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
            if max_seconds is not None and time.perf_counter() - start > max_seconds and k < len(work):
                stopped = True
                print(f"  time budget reached: {k} of {len(work)} runs done; the rest are cancelled", file=sys.stderr, flush=True)
                break
    finally:
        if pool is not None:
            if stopped:
                pool.terminate()
            else:
                pool.close()
            pool.join()
    return sorted(outcomes, key=lambda o: (o.scenario, o.design, o.run))


def passed(metric: Metric, estimate: float | None, mcse: float | None, runs: int, alpha: float) -> bool | None:
    """Whether ``estimate`` meets the metric's target (None: no target or nothing measured)."""
    if estimate is None or metric.kind == "info" or runs == 0:
        return None
    if metric.kind == "all":
        return estimate >= 1.0
    if metric.kind == "range":
        se = mcse or 0.0
        return bool(metric.target - Z_ONE_SIDED * se <= estimate <= metric.upper + Z_ONE_SIDED * se)
    target = alpha if metric.target is None else metric.target
    se0 = math.sqrt(target * (1 - target) / runs)
    if metric.kind == "max":
        return estimate <= target + Z_ONE_SIDED * se0
    return estimate >= target - Z_ONE_SIDED * se0


def summarise(outcomes: list[RunOutcome], alpha: float, design_names: Sequence[str]) -> list[Row]:
    """One row per metric and design: mean over runs and its Monte Carlo standard error."""
    rows: list[Row] = []
    for metric in METRICS:
        for design in design_names:
            if metric.designs and design not in metric.designs:
                continue
            values = [
                o.metrics.get(metric.key)
                for o in outcomes
                if o.scenario == metric.scenario and o.design == design and o.error is None
            ]
            if not any(o.scenario == metric.scenario and o.design == design for o in outcomes):
                continue
            got = np.array([v for v in values if v is not None], dtype=float)
            got = got[np.isfinite(got)]
            estimate = float(got.mean()) if got.size else None
            mcse = float(got.std(ddof=1) / math.sqrt(got.size)) if got.size > 1 else None
            rows.append(
                Row(
                    scenario=metric.scenario,
                    metric=metric.key,
                    label=metric.label,
                    design=design,
                    n_per_group=_design(design).label(),
                    runs=int(got.size),
                    estimate=estimate,
                    mcse=mcse,
                    target=metric.target_text(alpha),
                    passed=passed(metric, estimate, mcse, int(got.size), alpha),
                    unit=metric.unit,
                )
            )
    return rows


def _value(row: Row) -> str:
    if row.estimate is None:
        return "not available"
    if row.unit == "points":
        return f"{row.estimate:.1f}" + (f" ({row.mcse:.1f})" if row.mcse is not None else "")
    return f"{100 * row.estimate:.1f}%" + (f" ({100 * row.mcse:.1f})" if row.mcse is not None else "")


def _verdict(row: Row) -> str:
    return {True: "pass", False: "FAIL", None: "-"}[row.passed]


def table(rows: list[Row]) -> str:
    """The study table in Markdown: scenario, n, runs, estimate (MCSE), target, pass/fail."""
    lines = [
        "| scenario | what is measured | n per group | runs | estimate (MCSE) | target | result |",
        "|---|---|---|---:|---:|---|---|",
    ]
    for r in rows:
        label = r.label.strip()
        label = ("&nbsp;&nbsp;" + label) if r.label.startswith("  ") else label
        lines.append(f"| {r.scenario} | {label} | {r.n_per_group} | {r.runs} | {_value(r)} | {r.target} | {_verdict(r)} |")
    return "\n".join(lines)


def text_table(rows: list[Row]) -> str:
    """The study table for a terminal."""
    out = [f"{'scenario':<10} {'what is measured':<72} {'n/group':>11} {'runs':>5} {'estimate (MCSE)':>17} {'target':>9} {'result':>6}"]
    for r in rows:
        out.append(f"{r.scenario:<10} {r.label:<72.72} {r.n_per_group:>11} {r.runs:>5} {_value(r):>17} {r.target:>9} {_verdict(r):>6}")
    return "\n".join(out)


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def run_study(
    runs: int,
    seed: int = 20261130,
    processes: int = 2,
    quick: bool = False,
    scenario_names: Sequence[str] | None = None,
    design_names: Sequence[str] | None = None,
    progress: bool = True,
    max_minutes: float | None = None,
) -> StudyReport:
    """Run the study and return its report (nothing is written)."""
    from analysis.gradation import software_version

    scenario_names = list(scenario_names or RUNS)
    design_names = list(design_names or [d.name for d in DESIGNS])
    unknown = sorted(set(scenario_names) - set(RUNS)) + sorted(set(design_names) - {d.name for d in DESIGNS})
    if unknown:
        raise ValueError(f"unknown scenario or design: {unknown} (scenarios: {list(RUNS)}; designs: {[d.name for d in DESIGNS]})")
    settings = study_settings()
    margin = float(getattr(settings, "margin", 5.0))
    alpha = float(getattr(settings, "alpha", 0.05))
    start = time.perf_counter()
    work = tasks(runs, seed, scenario_names, design_names, margin)
    outcomes = execute(work, processes, progress, None if max_minutes is None else 60 * max_minutes)
    errors: dict[str, int] = {}
    first: list[str] = []
    for o in outcomes:
        if o.error is not None:
            key = f"{o.scenario}/{o.design}"
            errors[key] = errors.get(key, 0) + 1
            if errors[key] == 1:
                first.append(f"{key} run {o.run} (seed {o.seed}): {o.error}")
    status = _git("status", "--porcelain", "--", "analysis")
    return StudyReport(
        schema="leastmeans.simulation-study/1",
        date_utc=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        commit=_git("rev-parse", "--short", "HEAD") or "unknown",
        analysis_changed=bool(status),
        software_version=software_version(),
        quick=quick,
        runs=runs,
        seed=seed,
        processes=processes,
        seconds=round(time.perf_counter() - start, 1),
        alpha=alpha,
        margin=margin,
        settings=msgspec.to_builtins(settings),
        errors=errors,
        first_errors=first,
        rows=summarise(outcomes, alpha, design_names),
        stopped_early=f"{len(outcomes)} of {len(work)}" if len(outcomes) < len(work) else "",
    )


def provenance(report: StudyReport) -> str:
    """One paragraph saying when, on what code and how the figures were made."""
    code = f"commit `{report.commit}`" + (" with uncommitted changes to `analysis/`" if report.analysis_changed else "")
    mode = "quick mode" if report.quick else "full study"
    if report.stopped_early:
        mode += f", stopped by its time budget after {report.stopped_early} scenario runs (the runs column gives the count per row)"
    errors = (
        "Runs that raised an error: " + ", ".join(f"{k} {v}" for k, v in sorted(report.errors.items())) + "."
        if report.errors
        else "No run raised an error."
    )
    return (
        f"Measured on {report.date_utc}, {code} (software {report.software_version}), {mode}: "
        f"{report.runs} runs per scenario and sample size ("
        + ", ".join(f"{name} {runs_of(name, report.runs)}" for name in RUN_SHARE)
        + f"), seed {report.seed}, {report.processes} processes, "
        f"{report.seconds / 60:.1f} minutes; alpha {report.alpha:g}, margin {report.margin:g}. {errors}"
    )


def findings(report: StudyReport) -> list[str]:
    """Plain sentences on what the measured analysis can and cannot tell, from the report's figures."""
    by = {(r.scenario, r.metric, r.design): r for r in report.rows}
    out: list[str] = []
    failed = [r for r in report.rows if r.passed is False]
    if failed:
        out.append("Targets missed:")
        out += [f"  - {r.scenario}: {r.label.strip()} at {r.n_per_group}: {_value(r)}, target {r.target}" for r in failed]
    else:
        out.append("Every target with a measured estimate was met.")
    missing = sorted({r.label.strip() for r in report.rows if r.estimate is None})
    if missing:
        out.append("Not reported by the analysis, so not measured: " + "; ".join(missing) + ".")
    for design in DESIGNS:
        p5, p10 = by.get(("ceiling", "power_5", design.name)), by.get(("ceiling", "power_10", design.name))
        mdd = by.get(("ceiling", "detectable_difference", design.name))
        if p5 is None or p10 is None or p5.estimate is None or p10.estimate is None:
            continue
        stated = f"; the analysis states a minimum detectable difference of {mdd.estimate:.1f} points" if mdd is not None and mdd.estimate is not None else ""
        out.append(
            f"At {design.label()} respondents per group a true 5-point difference mid-scale is established in "
            f"{100 * p5.estimate:.0f}% of cells and a 10-point difference in {100 * p10.estimate:.0f}%{stated}."
        )
    for design in DESIGNS:
        bias, kept = by.get(("mnar", "bias", design.name)), by.get(("mnar", "correct_less", design.name))
        if bias is not None and kept is not None and bias.estimate is not None and kept.estimate is not None:
            out.append(
                f"With 40% informative \"don't know\" at {design.label()}, the measure's reported mean is "
                f"{bias.estimate:+.1f} points off the truth and its correct verdict against a measure 12 points "
                f"below survives in {100 * kept.estimate:.0f}% of cells."
            )
    return out


def write_outputs(report: StudyReport, json_path: Path = JSON_PATH, methods_path: Path | None = METHODS_PATH) -> None:
    """Write the JSON report and replace the table in the methods text (between its markers)."""
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_bytes(msgspec.json.format(msgspec.json.encode(report), indent=2) + b"\n")
    if methods_path is None:
        return
    notes = "\n".join(line if line.startswith("  - ") else f"- {line}" for line in findings(report))
    block = f"{BEGIN}\n{provenance(report)}\n\n{table(report.rows)}\n\nWhat the figures say:\n\n{notes}\n{END}"
    text = methods_path.read_text(encoding="utf-8") if methods_path.exists() else ""
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + "## Simulation study\n\n" + block + "\n"
    methods_path.write_text(text, encoding="utf-8")


def print_report(report: StudyReport) -> None:
    """The table and its provenance on stdout."""
    print(provenance(report))
    print()
    print(text_table(report.rows))
    print()
    for line in findings(report):
        print(line if line.startswith("  - ") else f"- {line}")
    for line in report.first_errors:
        print(f"error: {line}")


__all__ = ["StudyReport", "findings", "print_report", "run_study", "table", "write_outputs"]
