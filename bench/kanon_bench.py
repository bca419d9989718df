"""k-anonymity benchmark: what the export loses to k = 5 on demo-like data, and how fast.

Run with `python -m bench.kanon_bench`. Two measurements:

1. Information lost on a demo-like export (400 respondents: 3 sites with their setting,
   patients / relatives / staff in the demo's proportions, 2 quarters, 4 age bands, 4 genders
   (mostly female and male), staff profession and years of experience, relatives' relation,
   and an experience pattern over 14 measures for patients and relatives), by the current
   rule (`server.workspace.export.kanon.enforce`) and by the rule it replaced (empty the age
   band, then the gender, of every respondent in a combination rarer than k; leave out who is
   still rare), both on the same quasi-identifiers. Several seeds, so one lucky draw does not
   decide.
2. Wall time of `enforce` on 100,000 such respondents (30 sites, 8 quarters).
"""

import sys
import time

import numpy as np
import pandas as pd

from server.workspace.export import kanon

SITES = (("ward-a", "general_adult"), ("ward-b", "general_adult"), ("ward-f", "forensic"))
GROUPS = {"patient": 0.6, "relative": 0.15, "staff": 0.25}
AGE_BANDS = ("18-29", "30-49", "50-64", "65+")
GENDERS = {"female": 0.52, "male": 0.42, "other": 0.03, "prefer_not_to_say": 0.03}
PROFESSIONS = ("nurse", "doctor", "psychologist", "social_care_worker", "other")
YEARS = ("under_2", "2-5", "6-10", "11-20", "over_20")
RELATIONS = ("parent", "partner", "child", "sibling", "other_relative", "friend")
MEASURES = 14


def demo_like(respondents: int, seed: int, sites: int = len(SITES), quarters: int = 2, genders: dict[str, float] = GENDERS) -> pd.DataFrame:
    """One row per respondent with every quasi-identifier, drawn as the demo draws its answers
    (4 % of background answers missing, which leaves them empty)."""
    rng = np.random.default_rng(seed)
    n = respondents
    site_names = [SITES[i % len(SITES)][0] + ("" if i < len(SITES) else f"-{i}") for i in range(sites)]
    site_index = rng.integers(0, sites, n)
    group = rng.choice(list(GROUPS), n, p=list(GROUPS.values()))

    def answer(options, p=None) -> np.ndarray:
        values = rng.choice(list(options), n, p=p).astype(object)
        values[rng.random(n) < 0.04] = None
        return values

    staff, relative = group == "staff", group == "relative"
    experience = rng.choice(["none", "witnessed", "experienced"], (n, MEASURES), p=[0.5, 0.25, 0.25])
    patterns = np.array([";".join(f"m{j:02d}={e}" for j, e in enumerate(row)) for row in experience], dtype=object)
    patterns[staff] = ""
    return pd.DataFrame(
        {
            "respondent": [f"{seed}-{i:07d}" for i in range(n)],
            "study": "demo",
            "site": np.array(site_names, dtype=object)[site_index],
            "setting": np.array([SITES[i % len(SITES)][1] for i in range(sites)], dtype=object)[site_index],
            "group": group,
            "instrument_version": np.where(staff, "staff-1", np.where(relative, "relative-1", "patient_adult-1")),
            "period": rng.choice([f"2026-Q{q + 1}" if q < 4 else f"{2026 + q // 4}-Q{q % 4 + 1}" for q in range(quarters)], n),
            "age_band": answer(AGE_BANDS),
            "gender": answer(genders, list(genders.values())),
            "profession": np.where(staff, answer(PROFESSIONS), None),
            "years_experience": np.where(staff, answer(YEARS), None),
            "relation": np.where(relative, answer(RELATIONS), None),
            kanon.EXPERIENCE_PATTERN: patterns,
        }
    )


def previous_rule(frame: pd.DataFrame, k: int) -> dict[str, int]:
    """The rule before: per respondent in a combination rarer than k (without the experience
    pattern), empty the age band, then (if still rare) the gender; leave out who is still rare.
    Returns cells emptied per field and respondents left out."""
    base = [c for c in kanon.QUASI_IDENTIFIERS if c != kanon.EXPERIENCE_PATTERN]
    frame = frame[base].astype(object).where(frame[base].notna(), "")
    lost: dict[str, int] = {}
    for column in ("age_band", "gender"):
        rare = kanon.combination_sizes(frame, base) < k
        lost[column] = int((rare & (frame[column] != "")).sum())
        frame.loc[rare, column] = ""
    rare = kanon.combination_sizes(frame, base) < k
    left_out = frame[rare]
    for column in ("profession", "years_experience", "relation"):
        lost[column] = int((left_out[column] != "").sum())
    lost["left out"] = int(rare.sum())
    return lost


def compare(title: str, seeds: int, respondents: int, k: int, **shape: object) -> None:
    """Print the mean loss over `seeds` draws by the previous and the current rule."""
    print(f"{title}: information lost to k = {k} on {respondents} respondents (mean over {seeds} seeds)")
    before, after = [], []
    for seed in range(1, seeds + 1):
        frame = demo_like(respondents, seed, **shape)  # type: ignore[arg-type]
        before.append(previous_rule(frame, k))
        _, report = kanon.enforce(frame, k)
        row: dict[str, float] = {}
        for variable in report.variables:
            if variable.field in kanon.BACKGROUND:
                row[f"{variable.field} exact"] = variable.exact
                row[f"{variable.field} wider"] = variable.generalised
                row[f"{variable.field} suppressed"] = variable.suppressed
        row["experience emptied"] = report.generalised["experience"]
        row["left out"] = report.suppressed_respondents
        row["smallest group"] = report.smallest_group_after
        after.append(row)
    print("previous rule (cells emptied; left-out respondents lose every cell):")
    print(pd.DataFrame(before).mean().round(1).to_string())
    print("current rule:")
    print(pd.DataFrame(after).mean().round(1).to_string())
    print()


def main(seeds: int = 5, respondents: int = 400, k: int = 5) -> None:
    compare("3 sites, 3 groups, 2 quarters, 4 age bands, 4 genders", seeds, respondents, k)
    compare("as the demo generator answers gender (female / male only), 1 quarter", seeds, respondents, k,
            quarters=1, genders={"female": 0.55, "male": 0.45})

    big = demo_like(100_000, 99, sites=30, quarters=8)
    start = time.perf_counter()
    _, report = kanon.enforce(big, k)
    took = time.perf_counter() - start
    print(f"100,000 respondents: {took:.1f} s; {report.suppressed_respondents} left out, "
          f"{report.cells_generalised} cells generalised, {report.cells_suppressed} suppressed, smallest group {report.smallest_group_after}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
