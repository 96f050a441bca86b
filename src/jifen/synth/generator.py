"""The latent-population model: one synthetic applicant at a time, as a `jifen.profile/1` dict.

Each applicant is drawn from a small causal story (education -> graduation -> arrival in
Beijing and start of social insurance -> jobs, housing, income), so that the indicators come
out correlated the way the published lists show. Every parameter comes from
calibration.toml (see params.py). Months are handled as integers (year * 12 + month - 1) and
turned into strings through a precomputed table: this is the hot loop of a benchmark that
draws a million profiles.
"""

from __future__ import annotations

import calendar
import math
from bisect import bisect
from collections.abc import Iterator, Sequence
from itertools import accumulate
from random import Random
from typing import Any

from jifen.rules.ruleset import load_rule_set, rule_set_name_for_year
from jifen.synth.identity import IdentityFactory
from jifen.synth.names import NamePool
from jifen.synth.params import parameters, published_years, round_facts

FORMAT = "jifen.profile/1"
FIRST_YEAR = 2018  # the first round; earlier years have no rule set
LAST_YEAR = 2040
COUNTING_START = 1998 * 12 + 6  # 1998-07: the earliest insurance month that counts

_MONTH_BASE = 1930 * 12
_MONTHS = [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(_MONTH_BASE, (LAST_YEAR + 1) * 12)]
_DAYS = [
    calendar.monthrange(m // 12, m % 12 + 1)[1] for m in range(_MONTH_BASE, (LAST_YEAR + 1) * 12)
]


def month_str(m: int) -> str:
    return _MONTHS[m - _MONTH_BASE]


def _cumulative(weights: Sequence[float]) -> list[float]:
    """Normalised cumulative weights for draws with bisect(cum, random())."""
    cum = list(accumulate(float(w) for w in weights))
    total = cum[-1]
    out = [c / total for c in cum]
    out[-1] = 1.0 + 1e-12  # random() < 1 always lands inside
    return out


class ApplicantModel:
    """Draws applicants for one application year; all randomness from one seeded Random."""

    def __init__(
        self, year: int, seed: int, params: dict[str, dict[str, Any]] | None = None
    ) -> None:
        """`params` replaces calibration.toml's sections for this year (used for fitting)."""
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValueError(f"year must be between {FIRST_YEAR} and {LAST_YEAR}, not {year}")
        self.year = year
        # A string seed is hashed with SHA-512 by Random: stable across runs and platforms.
        self.rng = Random(f"jifen-synth:{seed}:{year}")
        self.names = NamePool(seed)
        self.ids = IdentityFactory()
        lines = [(y, f.line) for y in published_years() if (f := round_facts(y)).line]
        self._load(params if params is not None else parameters(year), lines)

    # -- parameters -------------------------------------------------------------------------
    def _load(self, p: dict[str, dict[str, Any]], earlier_lines: list[tuple[int, float]]) -> None:
        year = self.year
        # The policy's own numbers come from the rule set of the year, never from here.
        rules = load_rule_set(rule_set_name_for_year(year))
        self.cutoff = rules.dates(year).cutoff  # December of Y-1
        self.window = self.cutoff - rules.continuity_months + 1  # first continuity month

        d = p["districts"]
        self.inner, self.outer = list(d["inner"]), list(d["outer"])
        self.inner_home_cum = _cumulative(d["inner_home_weights"])
        self.inner_job_cum = _cumulative(d["inner_job_weights"])
        self.outer_home_cum = _cumulative(d["outer_home_weights"])
        self.outer_job_cum = _cumulative(d["outer_job_weights"])

        pe = p["person"]
        self.male_share = pe["male_share"]
        self.female_cadre_share = pe["female_cadre_share"]
        self.no_permit = pe["no_residence_permit"]
        self.criminal = pe["criminal_record"]

        ar = p["arrival"]
        years = [y for y in ar["years"] if y <= year - 8]
        if not years:
            raise ValueError(f"calibration has no arrival years up to {year - 8}")
        self.arrival_years = years
        tilt = ar["tilt"]
        self.arrival_cum = _cumulative(
            [w * math.exp(tilt * (2000 - y)) for y, w in zip(years, ar["weights"], strict=False)]
        )
        self.short_tenure = ar["short_tenure_share"]
        self.lag_quick_share = ar["lag_quick_share"]
        self.lag_quick_rate = 1.0 / ar["lag_quick_mean_years"]
        self.lag_slow_rate = 1.0 / ar["lag_slow_mean_years"]
        self.lag_max = ar["lag_max_years"]
        self.pre_grad = ar["pre_graduation_share"]

        ed = p["education"]
        if len(ed["tiers"]) != 5:
            raise ValueError("education.tiers must list the five tiers")
        early, late = ed["early_weights"], ed["late_weights"]
        span = max(1, ed["late_year"] - ed["early_year"])
        self.edu_cum_by_arrival = {}
        for y in range(min(ar["years"]), year):
            f = min(1.0, max(0.0, (y - ed["early_year"]) / span))
            self.edu_cum_by_arrival[y] = _cumulative(
                [e + (lt - e) * f for e, lt in zip(early, late, strict=True)]
            )
        self.grad_age = list(ed["graduation_age"])
        self.grad_spread = int(ed["graduation_age_spread"])
        self.bachelor_no_degree = ed["bachelor_without_degree"]
        self.none_ft_junior = ed["none_full_time_junior_college"]
        self.none_pt_junior = ed["none_part_time_junior_college"]
        self.junior_pt = ed["junior_part_time_bachelor"]
        self.pt_degree = ed["part_time_bachelor_degree"]
        self.pt_master = ed["bachelor_part_time_master"]
        self.ft_master = ed["bachelor_full_time_master"]
        self.ft_doctor = ed["master_full_time_doctor"]
        self.study_min = int(ed["in_service_min_months"])
        self.study_span = int(ed["in_service_max_months"]) - self.study_min + 1

        ins = p["insurance"]
        self.change_rate = ins["job_change_per_year"]
        self.change_cum = _cumulative(ins["change_weights"])
        kinds = list(ins["change_kinds"])
        if kinds != ["continuous", "overlap", "back_paid_gap", "gap"]:
            raise ValueError("insurance.change_kinds must list the four kinds in order")
        self.gap_max = int(ins["gap_max_months"])
        self.overlap_max = int(ins["overlap_max_months"])
        self.gap_kept = ins["unpaid_gap_in_window_kept"]
        self.long_break = ins["long_break_share"]
        self.long_min = int(ins["long_break_min_months"])
        self.long_span = int(ins["long_break_max_months"]) - self.long_min + 1

        h = p["housing"]
        self.dorm = h["dormitory_share"]
        self.dorm_min = int(h["dormitory_min_months"])
        self.dorm_span = int(h["dormitory_max_months"]) - self.dorm_min + 1
        self.rent_reg = h["rent_registered_share"]
        self.rent_delay_rate = 1.0 / h["rent_registration_delay_mean_years"]
        self.rent_from = int(h["rent_registration_from_year"]) * 12
        self.rent_move = h["rent_move_share"]
        self.rent_after = h["rent_after_purchase_share"]
        self.rent_after_max = int(h["rent_after_purchase_max_months"])
        self.owner_share = list(h["owner_share"])
        self.owner_bonus = h["owner_high_earner_bonus"]
        self.purchase_mu = math.log(h["purchase_delay_median_years"] * 12)
        self.purchase_sigma = h["purchase_delay_sigma"]
        self.bought_before = h["bought_before_arrival_share"]
        self.bought_before_max = int(h["bought_before_arrival_max_months"])
        self.second_home = h["second_home_share"]
        self.keep_first = h["keep_first_home_share"]
        self.owned_outer = h["owned_outer_share"]
        self.rented_outer = h["rented_outer_share"]
        self.dorm_outer = h["dormitory_outer_share"]
        self.job_outer = h["job_outer_share"]
        self.job_outer_home_out = h["job_outer_share_if_home_out"]

        t = p["tax"]
        self.tax_years = [str(year + offset) for offset in rules.tax_year_offsets]
        self.high_share = list(t["high_earner_share"])
        self.high_mu = math.log(t["high_median_yuan"])
        self.high_sigma = t["high_sigma"]
        self.normal_mu = math.log(t["normal_median_yuan"])
        self.normal_sigma = t["normal_sigma"]
        self.normal_cap = int(t["normal_cap_yuan"])
        self.zero_tax = t["zero_share"]
        self.missing_tax = t["missing_year_share"]

        inn = p["innovation"]
        self.innovation = inn["share"]
        self.innovation_items = list(inn["items"])
        self.innovation_cum = _cumulative(inn["weights"])
        ho = p["honours"]
        self.honours = ho["share"]
        self.honour_codes = list(ho["codes"])
        self.honour_cum = _cumulative(ho["weights"])
        v = p["violations"]
        self.detention = v["administrative_detention"]
        self.tax_offence = v["tax_offence"]
        self.old_violation = v["old_violation"]
        self.old_detention = v["old_violation_detention_share"]

        dp = p["depletion"]
        self.depletion = bool(dp["enabled"])
        self.applied_share = dp["applied_share"]
        self.proxy_noise = dp["proxy_noise"]
        self.proxy_education = [float(x) for x in dp["education_points"]]
        self.proxy_age_points = dp["age_points"]
        self.proxy_age_steps = [float(x) for x in dp["age_steps_46_up"]]
        self.proxy_age_steps_2016 = [float(x) for x in dp["age_steps_46_up_2016"]]
        self.proxy_area_per_year = dp["area_per_year"]
        self.proxy_area_cap = dp["area_cap"]
        self.proxy_high_earner = dp["high_earner_points"]
        self.earlier_lines = [(y, line) for y, line in earlier_lines if y < year]

        ap = p["application"]
        self.apply_scale = ap["scale"]
        self.apply_floor = ap["floor"]
        self.past_retirement_factor = ap["past_retirement_factor"]
        ra = rules.retirement_age
        self.retirement_age = (ra["M"], ra["F_cadre"], ra["F"])
        before = [(y, line) for y, line in earlier_lines if y < year]
        if not before:
            self.apply_reference = ap["first_round_reference"]
        else:
            last_year, last_line = before[-1]
            self.apply_reference = (
                last_line
                + ap["reference_offset"]
                + ap["line_growth_per_year"] * (year - 1 - last_year)
            )

    # -- small draws --------------------------------------------------------------------------
    def _district(self, outer: bool, home: bool) -> str:
        r = self.rng.random()
        if outer:
            return self.outer[bisect(self.outer_home_cum if home else self.outer_job_cum, r)]
        return self.inner[bisect(self.inner_home_cum if home else self.inner_job_cum, r)]

    def _date(self, first_year: int, years: int) -> str:
        r = self.rng.random
        m = (first_year + int(r() * years)) * 12 + int(r() * 12)
        return f"{month_str(m)}-{1 + int(r() * _DAYS[m - _MONTH_BASE]):02d}"

    # -- one applicant ------------------------------------------------------------------------
    def applicant(self, index: int) -> dict[str, Any]:
        """The profile of applicant number `index` (its application number is index + 1)."""
        return self._profile(self._draw(), index)

    def _draw(self) -> _Person:
        """Draw people from the population until one applies: the pool is self-selected."""
        r = self.rng.random
        chance = self._chance
        while True:
            p = self._arrival()
            # Two-stage thinning: an upper bound of the estimate from arrival and education
            # alone rejects most people before the rest of them is drawn.
            bound = chance(self._bound(p))
            if r() >= bound:
                continue
            self._core(p)
            # People apply when their own estimate is near last round's published line; few
            # apply past the retirement age (the rules make them ineligible).
            wanted = chance(self._proxy(p, self.year))
            if self.year - 2 - p.birth_m // 12 >= self.retirement_age[p.retirement_group]:
                wanted *= self.past_retirement_factor
            if r() * bound >= wanted:
                continue
            # Someone who would have been admitted in an earlier round has settled since.
            if self.depletion and self._settled_earlier(p):
                continue
            break
        grad_year = p.grad_year
        p.education = self._education(p, grad_year, grad_year * 12 + 5, p.arrival)
        p.insurance = self._insurance(p.arrival)
        p.housing, p.home_out, p.owned_out_since = self._housing(p)
        return p

    def _chance(self, estimate: float | None) -> float:
        """The chance of applying with this estimate (None: could not apply anyway)."""
        odds = ((estimate or 0.0) - self.apply_reference) / self.apply_scale
        return self.apply_floor + (1.0 - self.apply_floor) / (1.0 + math.exp(-odds))

    def _bound(self, p: _Person) -> float:
        """No estimate of `p` can exceed this, whatever the draws after arrival and tier."""
        insured = self.cutoff - max(p.arrival, COUNTING_START) + 1
        return (
            insured * (0.25 + 1.0 / 12.0)
            + self.proxy_education[p.tier]
            + self.proxy_age_points
            + self.proxy_area_cap
            + self.proxy_high_earner
        )

    def _arrival(self) -> _Person:
        r = self.rng.random
        cutoff, window = self.cutoff, self.window
        p = _Person()
        # Arrival = first month of Beijing social insurance.
        if r() < self.short_tenure:
            arrival = window + 1 + int(r() * (cutoff - 12 - window))
        else:
            arrival = self.arrival_years[bisect(self.arrival_cum, r())] * 12 + int(r() * 12)
        p.arrival = arrival
        p.tier = bisect(self.edu_cum_by_arrival[arrival // 12], r())
        return p

    def _core(self, p: _Person) -> None:
        """The rest of what decides whether someone applies: age, income, home."""
        rng = self.rng
        r = rng.random
        cutoff = self.cutoff
        arrival, tier = p.arrival, p.tier
        p.male = r() < self.male_share

        # Graduation in June; usually before arrival, sometimes just after (an internship).
        if r() < self.pre_grad:
            grad_year = (arrival - 5) // 12 + 1
        else:
            rate = self.lag_quick_rate if r() < self.lag_quick_share else self.lag_slow_rate
            lag = int(min(rng.expovariate(rate), self.lag_max) * 12)
            grad_year = (arrival - lag - 5) // 12
        p.grad_year = grad_year
        spread = self.grad_spread
        birth_year = grad_year - self.grad_age[tier] - int(r() * (2 * spread + 1)) + spread
        p.birth_m = birth_year * 12 + int(r() * 12)
        p.birth_day = 1 + int(r() * _DAYS[p.birth_m - _MONTH_BASE])
        p.high_earner = r() < self.high_share[tier]
        cadre = (not p.male) and r() < self.female_cadre_share
        p.retirement_group = 0 if p.male else (1 if cadre else 2)

        purchase = None
        if r() < self.owner_share[tier] + (self.owner_bonus if p.high_earner else 0.0):
            if r() < self.bought_before:  # owned a home before the first job here
                purchase = arrival - int(r() * self.bought_before_max)
            else:
                purchase = arrival + int(math.exp(rng.gauss(self.purchase_mu, self.purchase_sigma)))
            if purchase > cutoff:
                purchase = None
        p.purchase = purchase
        p.owned_outer = purchase is not None and r() < self.owned_outer

    def _profile(self, p: _Person, index: int) -> dict[str, Any]:
        rng = self.rng
        r = rng.random
        ms = month_str
        male = p.male
        birth_year, birth_month = divmod(p.birth_m, 12)
        job_outer = self.job_outer_home_out if p.home_out else self.job_outer
        insurance = []
        employment = []
        for start, end, back in p.insurance:
            f, t = ms(start), ms(end)
            insurance.append(
                {"from": f, "to": t, "back_paid": [ms(m) for m in back] if back else []}
            )
            employment.append(
                {"from": f, "to": t, "district": self._district(r() < job_outer, False)}
            )

        tax: dict[str, int] = {}
        gauss = rng.gauss
        for y in self.tax_years:
            if r() < self.missing_tax:
                continue
            if p.high_earner:
                tax[y] = int(math.exp(self.high_mu + self.high_sigma * gauss()))
            elif r() < self.zero_tax:
                tax[y] = 0
            else:
                tax[y] = min(
                    int(math.exp(self.normal_mu + self.normal_sigma * gauss())), self.normal_cap
                )

        profile: dict[str, Any] = {
            "format": FORMAT,
            "application_year": self.year,
            "application_no": f"{index + 1:07d}",
            "person": {
                "id_number": self.ids.make(rng, birth_year, birth_month + 1, p.birth_day, male),
                "name": self.names.draw(rng, male),
                "sex": "M" if male else "F",
                "birth_date": f"{ms(p.birth_m)}-{p.birth_day:02d}",
                "female_cadre": p.retirement_group == 1,
                "residence_permit": r() >= self.no_permit,
                "criminal_record": r() < self.criminal,
            },
            "social_insurance": insurance,
            "housing": [
                {"kind": kind, "from": ms(start), "to": ms(end), "district": district}
                for kind, start, end, district in p.housing
            ],
            "employment": employment,
        }
        if p.education:
            profile["education"] = [
                {
                    "level": level,
                    "degree": degree,
                    "full_time": full_time,
                    "from": ms(start),
                    "to": ms(end),
                }
                for level, degree, full_time, start, end in p.education
            ]
        if r() < self.innovation:
            profile["innovation"] = [self.innovation_items[bisect(self.innovation_cum, r())]]
        profile["tax"] = tax
        if r() < self.honours:
            profile["honours"] = [self.honour_codes[bisect(self.honour_cum, r())]]
        violations = self._violations()
        if violations:
            profile["violations"] = violations
        return profile

    # -- parts --------------------------------------------------------------------------------
    def _education(self, p: _Person, grad_year: int, grad: int, arrival: int) -> list[tuple]:
        """(level, degree, full_time, from, to) per record, oldest first."""
        r = self.rng.random
        tier = p.tier
        records: list[tuple] = []
        # Full-time study before work; each earlier stage ends in June of the year the next
        # one starts.
        if tier == 1:
            records.append(("junior_college", None, True, (grad_year - 3) * 12 + 8, grad))
        elif tier >= 2:
            bachelor_end = grad_year - (0, 0, 0, 3, 7)[tier]
            degree = None if tier == 2 and r() < self.bachelor_no_degree else "bachelor"
            records.append(
                ("bachelor", degree, True, (bachelor_end - 4) * 12 + 8, bachelor_end * 12 + 5)
            )
            if tier >= 3:
                master_end = grad_year - (4 if tier == 4 else 0)
                records.append(
                    ("master", "master", True, (master_end - 3) * 12 + 8, master_end * 12 + 5)
                )
            if tier == 4:
                records.append(("doctor", "doctor", True, (grad_year - 4) * 12 + 8, grad))

        # Study while working (after arrival). Full-time study while insured is what the
        # study deduction takes back; part-time study is not deducted.
        start = (max(arrival, grad) + 12 + int(r() * 72)) // 12 * 12 + 8  # a September
        length = self.study_min + int(r() * self.study_span)
        if start + length + 11 >= self.cutoff:
            return records
        if tier == 0:
            u = r()
            if u < self.none_ft_junior:
                records.append(("junior_college", None, True, start, start + length - 1))
            elif u < self.none_ft_junior + self.none_pt_junior:
                records.append(("junior_college", None, False, start, start + 29))
        elif tier == 1 and r() < self.junior_pt:
            degree = "bachelor" if r() < self.pt_degree else None
            records.append(("bachelor", degree, False, start, start + 29))
        elif tier == 2 and records[0][1] and r() < self.ft_master + self.pt_master:
            if r() * (self.ft_master + self.pt_master) < self.ft_master:
                records.append(("master", "master", True, start, start + length - 1))
            else:
                records.append((None, "master", False, start, start + 29))
        elif tier == 3 and r() < self.ft_doctor:
            records.append(("doctor", "doctor", True, start, start + length + 11))
        return records

    def _insurance(self, arrival: int) -> list[tuple[int, int, list[int] | None]]:
        """Insurance records (one per employer): (from, to, back-paid months or None)."""
        rng = self.rng
        r = rng.random
        cutoff, window = self.cutoff, self.window
        long_break = r() < self.long_break
        records: list[tuple[int, int, list[int] | None]] = []
        start, back = arrival, None
        t = arrival
        while True:
            t += 3 + int(rng.expovariate(self.change_rate) * 12)
            if t > cutoff - 3:
                break
            kind = bisect(self.change_cum, r())
            if long_break and t + self.long_min + self.long_span < window:
                long_break = False
                gap = self.long_min + int(r() * self.long_span)
                records.append((start, t - 1, back))
                start, back, t = t + gap, None, t + gap
                continue
            if kind == 0:  # continuous
                records.append((start, t - 1, back))
                start, back = t, None
            elif kind == 1:  # overlapping records
                records.append((start, t + int(r() * self.overlap_max), back))
                start, back = t, None
            else:
                gap = 1 + int(r() * self.gap_max)
                if t + gap > cutoff - 3:
                    break
                unpaid = kind == 3 and (t + gap - 1 < window or r() < self.gap_kept)
                records.append((start, t - 1, back))
                if unpaid:  # a hole: continuity may break
                    start, back = t + gap, None
                else:  # the hole was paid late (补缴)
                    start, back = t, list(range(t, t + gap))
                t += gap
        records.append((start, cutoff, back))
        return records

    def _housing(self, p: _Person) -> tuple[list[tuple[str, int, int, str]], bool, int | None]:
        """Housing records, whether the current home is owned outside the centre, and since
        when an owned home outside the centre has been the home (None if it is not)."""
        rng = self.rng
        r = rng.random
        cutoff = self.cutoff
        district = self._district
        records: list[tuple[str, int, int, str]] = []
        arrival, purchase = p.arrival, p.purchase
        before_home = cutoff if purchase is None else purchase - 1

        cursor = arrival
        if r() < self.dorm:
            end = min(arrival + self.dorm_min + int(r() * self.dorm_span) - 1, before_home)
            if end >= arrival:
                records.append(("dormitory", arrival, end, district(r() < self.dorm_outer, True)))
                cursor = end + 1

        if r() < self.rent_reg:
            start = max(
                cursor, arrival + int(rng.expovariate(self.rent_delay_rate) * 12), self.rent_from
            )
            # Some kept the tenancy registered for a few months after buying: overlap.
            end = (
                before_home
                if purchase is None or r() >= self.rent_after
                else min(before_home + 1 + int(r() * self.rent_after_max), cutoff)
            )
            if start <= end:
                if end - start > 24 and r() < self.rent_move:
                    move = start + 12 + int(r() * (end - start - 23))
                    records.append(
                        ("rented", start, move - 1, district(r() < self.rented_outer, True))
                    )
                    start = move
                records.append(("rented", start, end, district(r() < self.rented_outer, True)))

        if purchase is None:
            return records, False, None
        outer = p.owned_outer
        since = purchase
        if cutoff - purchase > 36 and r() < self.second_home:
            second = purchase + 24 + int(r() * (cutoff - purchase - 30))
            first_end = cutoff if r() < self.keep_first else second - 1
            records.append(("owned", purchase, first_end, district(outer, True)))
            second_outer = r() < self.owned_outer
            records.append(("owned", second, cutoff, district(second_outer, True)))
            if second_outer != outer:
                since = second
            outer = second_outer
        else:
            records.append(("owned", purchase, cutoff, district(outer, True)))
        return records, outer, since if outer else None

    # -- earlier rounds -----------------------------------------------------------------------
    def _settled_earlier(self, p: _Person) -> bool:
        """True when a rough proxy of the applicant's score in an earlier round reached that
        round's published line (and the applicant applied then): they settled and left."""
        rng = self.rng
        now = self._proxy_parts(p, self.year)
        if now is None:
            return False
        # Going back a year takes 3 points of insurance away and adds at most the full age
        # points: a cheap bound that skips most rounds without computing their proxy.
        reach = now[0] + self.proxy_age_points + 5.0 * self.proxy_noise
        for year, line in self.earlier_lines:
            if reach - 3.0 * (self.year - year) < line:
                continue
            parts = self._proxy_parts(p, year)
            if parts is None or parts[0] + parts[1] + self.proxy_noise * rng.gauss() < line:
                continue
            if rng.random() < self.applied_share:
                return True
        return False

    def _proxy(self, p: _Person, year: int) -> float | None:
        parts = self._proxy_parts(p, year)
        return None if parts is None else parts[0] + parts[1]

    def _proxy_parts(self, p: _Person, year: int) -> tuple[float, float] | None:
        """A rough estimate of the score in round `year` from the core draws, as (all but
        age, age); None when the person could not apply then. What the applicant would
        expect, not the engine's score."""
        cutoff = (year - 1) * 12 + 11
        if p.arrival > cutoff - 83:
            return None
        insured = cutoff - max(p.arrival, COUNTING_START) + 1
        score = 0.25 * insured
        purchase = p.purchase
        if purchase is not None and purchase <= cutoff:
            score += min(cutoff - max(purchase, COUNTING_START) + 1, insured) / 12.0
            if p.owned_outer:
                first = max(purchase, (2017 if year < 2020 else 2018) * 12)
                if cutoff >= first:
                    score += min(
                        self.proxy_area_per_year * ((cutoff - first + 1) // 12), self.proxy_area_cap
                    )
        score += self.proxy_education[p.tier]
        if p.high_earner:
            score += self.proxy_high_earner
        age = year - 2 - p.birth_m // 12  # completed years on Y-1-01-01, roughly
        if age <= 45:
            return score, self.proxy_age_points
        steps = self.proxy_age_steps_2016 if year < 2020 else self.proxy_age_steps
        return score, (steps[age - 46] if age - 46 < len(steps) else 0.0)

    def _violations(self) -> list[dict]:
        r = self.rng.random
        y = self.year
        out: list[dict] = []
        if r() < self.detention:
            out.append({"kind": "administrative_detention", "date": self._date(y - 5, 5)})
        if r() < self.tax_offence:
            out.append({"kind": "tax_offence", "date": self._date(y - 5, 5)})
        if r() < self.old_violation:
            kind = "administrative_detention" if r() < self.old_detention else "tax_offence"
            out.append({"kind": kind, "date": self._date(y - 10, 5)})
        return out


class _Person:
    """The latent draws of one applicant, before they are written out as a profile."""

    __slots__ = (
        "arrival",
        "birth_day",
        "birth_m",
        "education",
        "grad_year",
        "high_earner",
        "home_out",
        "housing",
        "insurance",
        "male",
        "owned_out_since",
        "owned_outer",
        "purchase",
        "retirement_group",
        "tier",
    )


def generate(applicants: int, year: int, seed: int) -> Iterator[dict]:
    """Return an iterator over `applicants` synthetic profiles for `year`, reproducible from
    `seed`. Arguments are checked at once; profiles are drawn only as they are consumed."""
    if applicants < 0:
        raise ValueError("applicants must not be negative")
    return _stream(ApplicantModel(year, seed), applicants)


def _stream(model: ApplicantModel, applicants: int) -> Iterator[dict]:
    applicant = model.applicant
    for index in range(applicants):
        yield applicant(index)
