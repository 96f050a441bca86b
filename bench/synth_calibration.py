"""How close does `jifen synth` come to the published lists?

Generates a year's applicant pool, scores it with the engine (`score_profile`), ranks the
eligible by total and prints, next to the published figures in ../shared/data/, the line
(the Q-th total), the admitted count and, for the admitted, the distribution of the total and
of each indicator, education tiers, a few shares and birth years. The other published years
follow with totals only.

    .venv/bin/python bench/synth_calibration.py --year 2020 --applicants 122852 --seed 1
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from jifen.published import data_dir
from jifen.rules import INDICATORS, score_profile
from jifen.synth import generate
from jifen.synth.generator import ApplicantModel
from jifen.synth.params import parameters, published_years, round_facts

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
POOL_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)


@dataclass
class Admitted:
    """The admitted of one list, synthetic or published: enough to compare distributions."""

    totals: list[float] = field(default_factory=list)
    birth_years: list[int] = field(default_factory=list)
    indicators: dict[str, list[float]] = field(default_factory=dict)


@dataclass
class PoolOutcome:
    year: int
    applicants: int
    quota: int
    eligible: int
    line: float | None
    reasons: dict[str, int]
    admitted: Admitted
    seconds: float
    pool_quantiles: list[float]


def quantile(values: Sequence[float], p: float) -> float:
    """Nearest-rank quantile on sorted values (the same rule for both sides)."""
    return values[int(p * (len(values) - 1))]


def simulate(year: int, applicants: int, seed: int, quota: int, detail: bool) -> PoolOutcome:
    start = time.perf_counter()
    rows: list[tuple[float, int, dict[str, float] | None]] = []
    reasons: dict[str, int] = {}
    for profile in generate(applicants, year, seed):
        result = score_profile(profile)
        if not result["eligible"]:
            for reason in result["reasons"]:
                key = _reason_kind(reason)
                reasons[key] = reasons.get(key, 0) + 1
            continue
        birth_year = int(profile["person"]["birth_date"][:4])
        rows.append((result["total"], birth_year, result["indicators"] if detail else None))
    rows.sort(key=lambda row: -row[0])
    line = rows[quota - 1][0] if len(rows) >= quota else None
    admitted = Admitted()
    if line is not None:
        for total, birth_year, indicators in rows:
            if total < line:
                break
            admitted.totals.append(total)
            admitted.birth_years.append(birth_year)
            if indicators is not None:
                for code in INDICATORS:
                    admitted.indicators.setdefault(code, []).append(indicators[code])
    ascending = [row[0] for row in reversed(rows)]
    pool_quantiles = [quantile(ascending, p) for p in POOL_QUANTILES] if ascending else []
    return PoolOutcome(
        year,
        applicants,
        quota,
        len(rows),
        line,
        reasons,
        admitted,
        time.perf_counter() - start,
        pool_quantiles,
    )


def line_with_tilt(year: int, tilt: float, applicants: int, seed: int, quota: int) -> float:
    """The Q-th eligible total of a pool drawn with arrival.tilt set to `tilt`."""
    params = parameters(year)
    params["arrival"]["tilt"] = tilt
    model = ApplicantModel(year, seed, params)
    totals = []
    for index in range(applicants):
        result = score_profile(model.applicant(index))
        if result["eligible"]:
            totals.append(result["total"])
    totals.sort(reverse=True)
    return totals[quota - 1]


def fit_tilt(task: tuple[int, int, int, int, bool]) -> tuple[int, float, float]:
    """Bisection on arrival.tilt until the pool's line meets the published one."""
    year, applicants, seed, quota, _detail = task
    target = round_facts(year).line
    if target is None:
        raise SystemExit(f"{year}: no published line to fit")
    low, high = -0.6, 0.3
    for _ in range(7):
        middle = (low + high) / 2
        if line_with_tilt(year, middle, applicants, seed, quota) < target:
            low = middle
        else:
            high = middle
    tilt = round((low + high) / 2, 3)
    return year, tilt, line_with_tilt(year, tilt, applicants, seed, quota)


def _reason_kind(reason: str) -> str:
    lowered = reason.lower()
    for key in ("back-paid", "insurance", "residence permit", "retirement", "criminal"):
        if key in lowered:
            return key
    return reason[:40]


def _simulate_star(args: tuple[int, int, int, int, bool]) -> PoolOutcome:
    return simulate(*args)


def read_published(data_dir: Path, year: int) -> Admitted | None:
    """The published list of a year, if shared/data has one."""
    for name in (f"beijing-settled-{year}.csv", f"beijing-settled-{year}-totals.csv"):
        path = data_dir / name
        if path.exists():
            break
    else:
        return None
    admitted = Admitted()
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            admitted.totals.append(float(row["total"]))
            admitted.birth_years.append(int(row["birth_month"][:4]))
            for code in INDICATORS:
                if code in row:
                    admitted.indicators.setdefault(code, []).append(float(row[code]))
    return admitted


# -- printing ---------------------------------------------------------------------------------
def _fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _summary(values: list[float] | list[int], digits: int = 2) -> str:
    if not values:
        return "—"
    ordered = sorted(values)
    parts = [f"{statistics.fmean(ordered):.{digits}f}"]
    parts += [f"{quantile(ordered, p):.{digits}f}" for p in QUANTILES]
    return " ".join(f"{p:>7}" for p in parts)


def _share(values: list[float], test) -> str:
    return f"{sum(1 for v in values if test(v)) / len(values):.3f}" if values else "—"


def print_detail(outcome: PoolOutcome, published: Admitted | None) -> None:
    facts = round_facts(outcome.year)
    syn = outcome.admitted
    pub = published or Admitted()
    print(
        f"== {outcome.year}: {outcome.applicants:,} synthetic applicants, quota "
        f"{outcome.quota:,} ({outcome.seconds:.0f} s) =="
    )
    ineligible = outcome.applicants - outcome.eligible
    print(
        f"eligible {outcome.eligible:,}; ineligible {ineligible:,} "
        f"({ineligible / outcome.applicants:.1%}): "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(outcome.reasons.items(), key=lambda kv: -kv[1]))
    )
    print(
        "totals of the eligible pool (synthetic only): "
        + " ".join(
            f"q{round(p * 100):02d} {v:.2f}"
            for p, v in zip(POOL_QUANTILES, outcome.pool_quantiles, strict=True)
        )
    )
    print(f"{'':26}{'synthetic':>12}{'published':>12}")
    print(f"{'line (Q-th total)':26}{_fmt(outcome.line):>12}{_fmt(facts.line):>12}")
    published_admitted = facts.admitted if facts.admitted is not None else None
    print(
        f"{'admitted':26}{len(syn.totals):>12,}"
        f"{published_admitted if published_admitted is not None else '—':>12}"
    )
    print()
    header = " ".join(f"{h:>7}" for h in ("mean", "q05", "q25", "q50", "q75", "q95"))
    print(f"admitted: {'':18} {header}")
    rows = [("total", syn.totals, pub.totals)]
    rows += [
        (code, syn.indicators.get(code, []), pub.indicators.get(code, [])) for code in INDICATORS
    ]
    for name, s_values, p_values in rows:
        print(f"  {name:<16} synthetic {_summary(s_values)}")
        if p_values:
            print(f"  {'':<16} published {_summary(p_values)}")
    print()
    s_edu, p_edu = syn.indicators.get("education", []), pub.indicators.get("education", [])
    print(f"{'shares among the admitted':34}{'synthetic':>10}{'published':>10}")
    for tier in (0.0, 10.5, 15.0, 26.0, 37.0):
        label = f"education = {tier:g}"
        print(
            f"  {label:32}{_share(s_edu, lambda v, t=tier: v == t):>10}"
            f"{_share(p_edu, lambda v, t=tier: v == t):>10}"
        )
    tests = (
        ("tax > 0", "tax", lambda v: v > 0),
        ("area > 0", "area", lambda v: v > 0),
        ("study_deduction < 0", "study_deduction", lambda v: v < 0),
        ("innovation > 0", "innovation", lambda v: v > 0),
        ("honours > 0", "honours", lambda v: v > 0),
        ("age < 20", "age", lambda v: v < 20),
        ("law < 0", "law", lambda v: v < 0),
    )
    for label, code, test in tests:
        print(
            f"  {label:32}{_share(syn.indicators.get(code, []), test):>10}"
            f"{_share(pub.indicators.get(code, []), test):>10}"
        )
    print()
    print(f"birth year of the admitted {'':8}{'q05':>6}{'q25':>6}{'q50':>6}{'q75':>6}{'q95':>6}")
    for label, years in (("synthetic", syn.birth_years), ("published", pub.birth_years)):
        if years:
            ordered = sorted(years)
            print(f"  {label:33}" + "".join(f"{quantile(ordered, p):>6}" for p in QUANTILES))
    print()


def print_years(outcomes: list[PoolOutcome], data_dir: Path) -> None:
    print("== all years: totals of the admitted (synthetic / published) ==")
    print(
        f"{'year':>5}{'pool':>9}{'line':>16}{'admitted':>14}{'mean total':>16}"
        f"{'median total':>16}{'median birth':>14}"
    )
    for outcome in outcomes:
        facts = round_facts(outcome.year)
        pub = read_published(data_dir, outcome.year)
        syn = outcome.admitted
        s_tot = sorted(syn.totals)
        p_tot = sorted(pub.totals) if pub else []
        mean = f"{statistics.fmean(s_tot):.2f}/" + (
            f"{statistics.fmean(p_tot):.2f}" if p_tot else "—"
        )
        median = f"{quantile(s_tot, 0.5):.2f}/" + (f"{quantile(p_tot, 0.5):.2f}" if p_tot else "—")
        births = sorted(syn.birth_years)
        birth = f"{quantile(births, 0.5)}/" + (
            f"{quantile(sorted(pub.birth_years), 0.5)}" if pub else "—"
        )
        line = f"{_fmt(outcome.line)}/{_fmt(facts.line)}"
        admitted = f"{len(s_tot)}/{facts.admitted if facts.admitted is not None else '—'}"
        print(
            f"{outcome.year:>5}{outcome.applicants:>9,}{line:>16}{admitted:>14}{mean:>16}"
            f"{median:>16}{birth:>14}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--year", type=int, default=2020)
    parser.add_argument(
        "--applicants",
        type=int,
        default=None,
        help="pool size for --year (default: the round's applicant count)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--quota",
        type=int,
        default=None,
        help="default: the round's quota, scaled when --applicants is smaller",
    )
    parser.add_argument(
        "--years",
        default="published",
        help="other years, totals only: 'published' (default), 'none' or a comma-separated list",
    )
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--fit-tilt",
        action="store_true",
        help="instead of comparing, fit arrival.tilt for --year and the other "
        "years (--applicants per pool, default 30000) and print the "
        "[adjust] lines for calibration.toml",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="the published lists (default: $JIFEN_SHARED_DIR/data or ../shared/data)",
    )
    args = parser.parse_args(argv)
    args.data_dir = args.data_dir or data_dir()

    def pool_of(year: int, applicants: int | None) -> tuple[int, int, int, int, bool]:
        facts = round_facts(year)
        size = applicants or facts.applicants
        quota = args.quota or max(1, round(facts.quota * size / facts.applicants))
        return (year, size, args.seed, quota, year == args.year)

    if args.years == "published":
        others = [y for y in published_years() if y != args.year]
    elif args.years == "none":
        others = []
    else:
        others = [int(y) for y in args.years.split(",") if int(y) != args.year]
    ratio = (args.applicants or round_facts(args.year).applicants) / round_facts(
        args.year
    ).applicants
    tasks = [pool_of(args.year, args.applicants)]
    tasks += [pool_of(y, round(round_facts(y).applicants * ratio)) for y in others]

    if args.fit_tilt:
        size = args.applicants or 30000
        fits = [
            (
                y,
                size,
                args.seed,
                max(1, round(round_facts(y).quota * size / round_facts(y).applicants)),
                False,
            )
            for y in [args.year, *others]
        ]
        with multiprocessing.get_context("spawn").Pool(max(1, args.jobs)) as pool:
            for year, tilt, line in sorted(pool.map(fit_tilt, fits, chunksize=1)):
                print(
                    f"[adjust.{year}]\narrival.tilt = {tilt}    # line {line:.2f}, "
                    f"published {round_facts(year).line:.2f}"
                )
        return 0

    if args.jobs > 1 and len(tasks) > 1:
        with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
            outcomes = pool.map(_simulate_star, tasks, chunksize=1)
    else:
        outcomes = [_simulate_star(task) for task in tasks]

    print(f"command: {' '.join(['bench/synth_calibration.py', *sys.argv[1:]])}")
    print_detail(outcomes[0], read_published(args.data_dir, args.year))
    print_years(sorted(outcomes, key=lambda o: o.year), args.data_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
