"""Scoring a validated profile: eligibility, the ten indicators, and their explanation.

Sets of months are bit masks (see ``months``); points are exact integers — a rate is a
numerator over the rule set's common denominator — and each indicator is rounded once, to
whole hundredths (cents), exactly as the rules say. Nothing here reads a number of the policy
from anywhere but the rule set.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .months import month_label, span_mask
from .ruleset import INDICATORS, RoundDates, RuleSet
from .schema import Profile


def _half_up(num: int, den: int) -> int:
    """Cents of num/den (num >= 0), half up."""
    return (200 * num + den) // (2 * den)


def _ceiling(num: int, den: int) -> int:
    return -((-100 * num) // den)


_PTS: dict[int, str] = {}
_SHORT: dict[int, str] = {}


def _pts(cents: int) -> str:
    """Points with two decimals: 12.00, -10.21 (memoised: few distinct values recur)."""
    text = _PTS.get(cents)
    if text is None:
        sign = "-" if cents < 0 else ""
        text = _PTS[cents] = f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"
    return text


def _short(cents: int) -> str:
    """Points without trailing zeros: 10.5, 20, 3.92."""
    text = _SHORT.get(cents)
    if text is None:
        text = _SHORT[cents] = _pts(cents).rstrip("0").rstrip(".")
    return text


def _rate(rate: Fraction) -> str:
    """0.25 when it has an exact short decimal form, else 1/12."""
    return _short(int(rate * 100)) if 100 % rate.denominator == 0 else str(rate)


@dataclass(slots=True)
class Breakdown:
    """The outcome of scoring one profile: points in cents and their explanation."""

    rule_set: RuleSet
    application_no: str | None
    eligible: bool
    reasons: list[str]
    cents: dict[str, int]
    basis: dict[str, str]

    @property
    def total_cents(self) -> int:
        return sum(self.cents.values())


@dataclass(frozen=True, slots=True)
class _Round:
    """What depends only on the rule set and the application year, computed once."""

    base: int  # bit 0 of every mask is this month
    hi: int  # the cut-off month
    counting: int  # earliest month .. cut-off
    area_window: int
    window: int  # the continuity window
    years: tuple[int, ...]  # tax years
    rate: dict[str, str]  # rates as written in explanations: housing kinds, employment, cap
    employment_span: str
    area_tail: str
    area_none: str
    continuity_span: str
    no_detentions: str


# Keyed by the rule set itself (hashed by identity) rather than its id(): the key keeps the
# object alive, so a rule set compiled later can never be served another one's constants.
_ROUNDS: dict[tuple[RuleSet, int], _Round] = {}


def _round(rs: RuleSet, d: RoundDates) -> _Round:
    key = (rs, d.year)
    found = _ROUNDS.get(key)
    if found is not None:
        return found
    lo, hi = rs.earliest_month, d.cutoff
    window_first = hi - rs.continuity_months + 1
    base = min(lo, window_first, rs.area_from)
    kinds = "/".join(k for k in rs.housing_precedence if k in rs.area_home_kinds)
    made = _ROUNDS[key] = _Round(
        base=base,
        hi=hi,
        counting=span_mask(lo, hi, base, hi),
        area_window=span_mask(rs.area_from, hi, base, hi),
        window=span_mask(window_first, hi, base, hi),
        years=tuple(d.year + offset for offset in rs.tax_year_offsets),
        rate={
            **{kind: _rate(value) for kind, value in rs.housing_rate.items()},
            "employment": _rate(rs.employment_rate),
            "cap": _rate(rs.housing_cap_rate),
        },
        employment_span=f" ({month_label(lo)}..{month_label(hi)})",
        area_tail=(
            f"; at most {_short(rs.area_cap)} ({month_label(rs.area_from)}..{month_label(hi)})"
        ),
        area_none=(
            f"no {kinds} home outside the six central districts"
            f" in the cut-off month {month_label(hi)}"
        ),
        continuity_span=f"{month_label(window_first)}..{month_label(hi)}",
        no_detentions=(
            f"0 administrative detentions in {d.lookback_label} × {_short(rs.law_detention_points)}"
        ),
    )
    return made


def _paint_out(records: list[tuple[int, int, int, bool]], base: int, hi: int) -> int:
    """Months whose governing record lies outside the centre.

    ``records`` are ``(first, order, last, outside)``; where records overlap, the one that
    started last governs (on equal starts, the later in the list).
    """
    if len(records) == 1:
        first, _order, last, outside = records[0]
        return span_mask(first, last, base, hi) if outside else 0
    out = 0
    for first, _order, last, outside in sorted(records):
        m = span_mask(first, last, base, hi)
        out = (out | m) if outside else (out & ~m)
    return out


def score(p: Profile) -> Breakdown:
    rs = p.rule_set
    d = p.dates
    r = _round(rs, d)
    den = rs.denominator
    hi = r.hi
    base = r.base
    counting = r.counting
    cents: dict[str, int] = {}
    basis: dict[str, str] = {}
    rate = r.rate

    # ---- social insurance: covered months, and counted (paid on time) months
    covered = 0
    paid = 0
    for first, last, back in p.insurance:
        m = span_mask(first, last, base, hi)
        covered |= m
        if back:
            late = 0
            for month in back:
                if base <= month <= hi:
                    late |= 1 << (month - base)
            m &= ~late
        paid |= m
    counted = paid & counting
    n_counted = counted.bit_count()
    n_late = (covered & ~paid & counting).bit_count()

    cents["employment"] = _half_up(n_counted * rs.employment_num, den)
    text = f"{n_counted} months × {rate['employment']}"
    if n_late:
        text += f"; {n_late} back-paid months earn nothing"
    basis["employment"] = text + r.employment_span

    # ---- housing: each month once, by precedence of kind
    cover_by_kind = dict.fromkeys(rs.housing_precedence, 0)
    for kind, first, last, _district in p.housing:
        cover_by_kind[kind] |= span_mask(first, last, base, hi)
    effective: dict[str, int] = {}
    taken = 0
    for kind in rs.housing_precedence:
        effective[kind] = cover_by_kind[kind] & counting & ~taken
        taken |= cover_by_kind[kind]
    raw = 0
    parts = []
    for kind in rs.housing_precedence:
        n = effective[kind].bit_count()
        if n:
            kind_cents = _half_up(n * rs.housing_num[kind], den)
            raw += kind_cents
            parts.append(f"{kind} {n} months × {rate[kind]} = {_pts(kind_cents)}")
    cap_num = n_counted * rs.housing_cap_num
    cap = _ceiling(cap_num, den) if d.cap_rounding == "ceiling" else _half_up(cap_num, den)
    text = "; ".join(parts) if parts else "no housing months"
    if raw > cap:
        cents["housing"] = cap
        text += (
            f"; capped at {n_counted} insured months × {rate['cap']}"
            f" = {_pts(cap)} ({d.cap_rounding.replace('_', ' ')})"
        )
    else:
        cents["housing"] = raw
    basis["housing"] = text

    # ---- education: the best single record
    best_points = 0
    best = None
    for record in p.education:
        level, degree, _full_time, _first, last = record
        if level is not None and level == degree:
            points = rs.education_with[level]
        else:
            points = max(
                rs.education_alone[level] if level else 0,
                rs.education_alone[degree] if degree else 0,
            )
        if points > best_points or (points == best_points and best and last > best[4]):
            best_points, best = points, record
    cents["education"] = best_points
    if best is None:
        basis["education"] = "no qualifying education record"
    else:
        level, degree, full_time, first, last = best
        basis["education"] = (
            f"level {level or 'none'}, degree {degree or 'none'}"
            f" ({month_label(first)}..{month_label(last)}, "
            f"{'full-time' if full_time else 'part-time'}): {_short(best_points)}"
        )

    # ---- study deduction: points earned during the scoring record's full-time study
    deduction = 0
    if best is None:
        basis["study_deduction"] = "no education points, nothing to deduct"
    elif rs.study_full_time_only and not best[2]:
        basis["study_deduction"] = "part-time study: nothing deducted"
    else:
        study = span_mask(best[3], best[4], base, hi) & counting
        n_ins = (study & counted).bit_count()
        exact = n_ins * rs.employment_num
        parts = [f"{n_ins} insured months × {rate['employment']}"]
        for kind in rs.housing_precedence:
            n = (study & effective[kind]).bit_count()
            if n:
                exact += n * rs.housing_num[kind]
                parts.append(f"{kind} {n} months × {rate[kind]}")
        limit = rs.study_cap_by_points.get(best_points, best_points)
        if exact * 100 >= limit * den:
            deduction = limit
            tail = f" ≥ cap {_pts(limit)}"
        else:
            deduction = _half_up(exact, den)
            tail = f" = {_pts(deduction)} (cap {_pts(limit)})"
        basis["study_deduction"] = (
            f"study {month_label(best[3])}..{month_label(best[4])}: " + " + ".join(parts) + tail
        )
    cents["study_deduction"] = -deduction

    # ---- job/residence area
    home_out = 0
    taken = 0
    for kind in rs.housing_precedence:
        if kind in rs.area_home_kinds:
            records = [
                (first, i, last, district not in rs.central_districts)
                for i, (k, first, last, district) in enumerate(p.housing)
                if k == kind
            ]
            if records:
                home_out |= _paint_out(records, base, hi) & ~taken
        taken |= cover_by_kind[kind]
    home_out &= r.area_window
    area = 0
    if home_out and (not rs.area_require_home_out_at_cutoff or home_out >> (hi - base) & 1):
        job_out = _paint_out(
            [
                (first, i, last, district not in rs.central_districts)
                for i, (first, last, district) in enumerate(p.employment)
            ],
            base,
            hi,
        )
        n_both = (home_out & job_out).bit_count()
        n_home = (home_out & ~job_out).bit_count()
        both_points = min(rs.area_both_cap, n_both // 12 * rs.area_both_per_year)
        home_points = min(rs.area_home_cap, n_home // 12 * rs.area_home_per_year)
        area = min(rs.area_cap, both_points + home_points)
        basis["area"] = (
            f"home and job outside the six central districts {n_both} months"
            f" → {n_both // 12} full years × {_short(rs.area_both_per_year)}"
            f" = {_short(both_points)};"
            f" home only {n_home} months → {n_home // 12} full years"
            f" × {_short(rs.area_home_per_year)} = {_short(home_points)}" + r.area_tail
        )
    else:
        basis["area"] = r.area_none
    cents["area"] = area

    # ---- innovation: the single best item
    if p.innovation:
        code = max(p.innovation, key=rs.innovation_items.__getitem__)
        cents["innovation"] = min(rs.innovation_cap, rs.innovation_items[code])
        basis["innovation"] = f"{code}: {_short(cents['innovation'])}"
    else:
        cents["innovation"] = 0
        basis["innovation"] = "no innovation item"

    # ---- tax
    years = r.years
    threshold = rs.tax_threshold
    tax_words = []
    if rs.tax_formula == "per_year":
        qualifying = 0
        for y in years:
            amount = p.tax.get(y)
            if amount is not None and amount >= threshold:
                qualifying += 1
                tax_words.append(f"{y}: {amount} ≥ {threshold}")
            else:
                tax_words.append(f"{y}: {'missing' if amount is None else amount}")
        tax = min(rs.tax_cap, qualifying * rs.tax_points_per_year)
        tax_words.append(f"{qualifying} × {_short(rs.tax_points_per_year)}")
    else:
        amounts = [p.tax.get(y) for y in years]
        present = [a for a in amounts if a is not None]
        tax = 0
        if len(present) == len(years):
            average = sum(Fraction(a) for a in present) / len(years)
            ok = average >= threshold
            tax = rs.tax_points if ok else 0
            tax_words.append(
                f"average of {years[0]}..{years[-1]} {float(average):.2f}"
                f" {'≥' if ok else '<'} {threshold}"
            )
        else:
            missing = [str(y) for y, a in zip(years, amounts, strict=True) if a is None]
            tax_words.append(f"not declared for {', '.join(missing)}")
    lb_start, lb_end = d.lookback_start, d.lookback_end
    offences = detentions = 0
    for kind, when in p.violations:
        if lb_start <= when <= lb_end:
            if kind == "tax_offence":
                offences += 1
            elif kind == "administrative_detention":
                detentions += 1
    if offences:
        tax += offences * rs.tax_offence_points
        tax_words.append(
            f"{offences} tax offences in {d.lookback_label} × {_short(rs.tax_offence_points)}"
        )
    cents["tax"] = tax
    basis["tax"] = "; ".join(tax_words)

    # ---- age on the reference date
    ry, rm, rd = d.age_reference
    by, bm, bday = p.birth
    age = ry - by - ((rm, rd) < (bm, bday))
    points = rs.age_otherwise
    for highest, band_points in rs.age_bands:
        if age <= highest:
            points = band_points
            break
    cents["age"] = points
    basis["age"] = f"age {age} on {d.age_reference_label}: {_short(points)}"

    # ---- honours: one counts, not cumulative
    if p.honours:
        cents["honours"] = rs.honours_points
        basis["honours"] = f"{p.honours[0]}: {_short(rs.honours_points)} (not cumulative)"
    else:
        cents["honours"] = 0
        basis["honours"] = "no honour"

    # ---- law: administrative detentions in the look-back window
    cents["law"] = detentions * rs.law_detention_points
    basis["law"] = (
        f"{detentions} administrative detentions in {d.lookback_label}"
        f" × {_short(rs.law_detention_points)}"
        if detentions
        else r.no_detentions
    )

    # ---- eligibility
    reasons = []
    if rs.residence_permit_required and not p.residence_permit:
        reasons.append("no valid Beijing residence permit (居住证)")
    if p.sex == "M":
        limit, who = rs.retirement_age["M"], "men"
    elif p.female_cadre:
        limit, who = rs.retirement_age["F_cadre"], "women cadres"
    else:
        limit, who = rs.retirement_age["F"], "women workers"
    if age >= limit:
        reasons.append(
            f"age {age} on {d.age_reference_label} is not below the retirement age"
            f" ({limit} for {who})"
        )
    window = r.window
    gaps = window & ~covered
    span_text = r.continuity_span
    if gaps:
        first_gap = month_label(base + (gaps & -gaps).bit_length() - 1)
        reasons.append(
            f"social insurance not continuous for the {rs.continuity_months} months {span_text}:"
            f" {gaps.bit_count()} months not covered (first {first_gap})"
        )
    late = (window & covered & ~paid).bit_count()
    if late > rs.continuity_max_back_paid:
        reasons.append(
            f"{late} back-paid months in the continuity window {span_text}"
            f" (at most {rs.continuity_max_back_paid})"
        )
    if rs.criminal_record_excludes and p.criminal_record:
        reasons.append("criminal record (刑事犯罪记录)")

    return Breakdown(
        rule_set=rs,
        application_no=p.application_no,
        eligible=not reasons,
        reasons=reasons,
        cents=cents,
        basis=basis,
    )


RESULT_FORMAT = "jifen.result/1"


def to_result(b: Breakdown) -> dict:
    """The ``jifen.result/1`` object: numbers as JSON numbers rounded to 2 decimals."""
    rs = b.rule_set
    cents = b.cents
    basis = b.basis
    references = rs.references
    # Integer cents / 100 is the correctly rounded float, and never -0.0 (int 0 has no sign).
    indicators = {code: cents[code] / 100 for code in INDICATORS}
    return {
        "format": RESULT_FORMAT,
        "application_no": b.application_no,
        "rule_set": rs.id,
        "eligible": b.eligible,
        "reasons": b.reasons,
        "total": b.total_cents / 100,
        "indicators": indicators,
        "explanation": [
            {
                "indicator": code,
                "points": indicators[code],
                "basis": basis[code],
                "reference": references[code],
            }
            for code in INDICATORS
        ],
    }
