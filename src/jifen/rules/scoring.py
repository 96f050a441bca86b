"""Scoring a validated profile: eligibility, the ten indicators, and the facts behind them.

Sets of months are bit masks (see ``months``); points are exact integers — a rate is a
numerator over the rule set's common denominator — and each indicator is rounded once, to
whole hundredths (cents), exactly as the rules say. Nothing here reads a number of the policy
from anywhere but the rule set, and nothing here writes a sentence: each indicator and each
failed eligibility condition is recorded as a fact (``facts``), from which ``render_en``
writes the result format's English and ``render_zh`` the pages' Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .facts import Fact
from .months import month_label, span_mask
from .render_en import BASIS, REASONS
from .ruleset import INDICATORS, RoundDates, RuleSet
from .schema import Profile


def _half_up(num: int, den: int) -> int:
    """Cents of num/den (num >= 0), half up."""
    return (200 * num + den) // (2 * den)


def _ceiling(num: int, den: int) -> int:
    return -((-100 * num) // den)


def _date_label(yyyymmdd: int) -> str:
    return f"{yyyymmdd // 10000:04d}-{yyyymmdd // 100 % 100:02d}-{yyyymmdd % 100:02d}"


@dataclass(slots=True)
class Breakdown:
    """The outcome of scoring one profile: points in cents and the facts behind them.

    ``facts`` holds one fact per indicator and ``reason_facts`` one per failed eligibility
    condition (see ``facts`` for the vocabulary; facts may be shared with other profiles:
    read them, never modify them); ``basis`` and ``reasons`` are their English as the result
    format has it, written by ``render_en``.
    """

    rule_set: RuleSet
    application_no: str | None
    eligible: bool
    cents: dict[str, int]
    facts: dict[str, Fact]
    basis: dict[str, str]
    reason_facts: list[Fact]

    @property
    def total_cents(self) -> int:
        return sum(self.cents.values())

    @property
    def reasons(self) -> list[str]:
        return [REASONS[f["kind"]](f) for f in self.reason_facts]


class _Memo(dict):  # type: ignore[type-arg]
    """Facts of one indicator in one round, with their English, by what determines them.

    A batch repeats facts: a million profiles hold about as many distinct employment facts as
    there are months. The key is every value the fact depends on beside the round's
    constants, so equal keys mean equal facts; a hit reuses both the fact and its English
    (cheaper than building and writing them again). Cleared when full: bounded memory in a
    long-running process.
    """

    __slots__ = ()
    LIMIT = 4096

    def put(self, key: object, fact: Fact) -> tuple[Fact, str]:
        if len(self) >= self.LIMIT:
            self.clear()
        found = self[key] = (fact, BASIS[fact["kind"]](fact))
        return found


@dataclass(frozen=True, slots=True)
class _Round:
    """What depends only on the rule set and the application year, computed once."""

    base: int  # bit 0 of every mask is this month
    hi: int  # the cut-off month
    counting: int  # earliest month .. cut-off
    area_window: int
    window: int  # the continuity window
    years: tuple[int, ...]  # tax years
    # Parts of facts, shared by every profile of the round.
    rate: dict[str, str]  # exact rates as text: housing kinds, employment, cap
    counting_span: tuple[str, str]
    area_span: tuple[str, str]
    continuity_span: tuple[str, str]
    lookback: tuple[str, str]  # the look-back window's dates
    age_reference: str
    threshold: int | str  # the tax threshold: an int when whole, else the fraction as text
    area_none: tuple[Fact, str]  # with its English
    no_detentions: tuple[Fact, str]
    memo: dict[str, _Memo]  # by indicator


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
    lookback = (_date_label(d.lookback_start), _date_label(d.lookback_end))
    threshold = rs.tax_threshold
    made = _ROUNDS[key] = _Round(
        base=base,
        hi=hi,
        counting=span_mask(lo, hi, base, hi),
        area_window=span_mask(rs.area_from, hi, base, hi),
        window=span_mask(window_first, hi, base, hi),
        years=tuple(d.year + offset for offset in rs.tax_year_offsets),
        rate={
            **{kind: str(value) for kind, value in rs.housing_rate.items()},
            "employment": str(rs.employment_rate),
            "cap": str(rs.housing_cap_rate),
        },
        counting_span=(month_label(lo), month_label(hi)),
        area_span=(month_label(rs.area_from), month_label(hi)),
        continuity_span=(month_label(window_first), month_label(hi)),
        lookback=lookback,
        age_reference=d.age_reference_label,
        threshold=threshold if isinstance(threshold, int) else str(threshold),
        area_none=_with_english(
            {
                "kind": "area.none",
                "home_kinds": tuple(k for k in rs.housing_precedence if k in rs.area_home_kinds),
                "month": month_label(hi),
            }
        ),
        no_detentions=_with_english(
            {
                "kind": "law",
                "count": 0,
                "window": lookback,
                "each_cents": rs.law_detention_points,
            }
        ),
        memo={code: _Memo() for code in INDICATORS},
    )
    return made


def _with_english(fact: Fact) -> tuple[Fact, str]:
    return fact, BASIS[fact["kind"]](fact)


# Facts that depend on nothing, with their English (shared: never modified).
_NO_EDUCATION = _with_english({"kind": "education.none"})
_NOTHING_TO_DEDUCT = _with_english({"kind": "study_deduction.none"})
_PART_TIME_STUDY = _with_english({"kind": "study_deduction.part_time"})
_NO_INNOVATION = _with_english({"kind": "innovation.none"})
_NO_HONOUR = _with_english({"kind": "honours.none"})
_NO_RESIDENCE_PERMIT: Fact = {"kind": "eligibility.residence_permit"}
_CRIMINAL_RECORD: Fact = {"kind": "eligibility.criminal_record"}


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
    facts: dict[str, Fact] = {}
    basis: dict[str, str] = {}
    rate = r.rate
    memo = r.memo
    # Each indicator below: a key of what its fact depends on (beside the round), then the
    # memo's fact and English, or the fact built here (only when the key is new).

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
    known = memo["employment"]
    key = (n_counted, n_late)
    facts["employment"], basis["employment"] = known.get(key) or known.put(
        key,
        {
            "kind": "employment",
            "months": n_counted,
            "rate": rate["employment"],
            "back_paid": n_late,
            "window": r.counting_span,
        },
    )

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
    months_by_kind = []
    for kind in rs.housing_precedence:
        n = effective[kind].bit_count()
        months_by_kind.append(n)
        if n:
            raw += _half_up(n * rs.housing_num[kind], den)
    cap_num = n_counted * rs.housing_cap_num
    cap = _ceiling(cap_num, den) if d.cap_rounding == "ceiling" else _half_up(cap_num, den)
    capped = raw > cap
    cents["housing"] = cap if capped else raw
    known = memo["housing"]
    months_by_kind.append(n_counted if capped else -1)
    key = tuple(months_by_kind)
    found = known.get(key)
    if found is None:
        homes = []
        for kind in rs.housing_precedence:
            n = effective[kind].bit_count()
            if n:
                homes.append((kind, n, rate[kind], _half_up(n * rs.housing_num[kind], den)))
        cap_fact = (
            {"insured_months": n_counted, "rate": rate["cap"], "cents": cap,
             "rounding": d.cap_rounding}
            if capped
            else None
        )  # fmt: skip
        found = known.put(key, {"kind": "housing", "homes": homes, "cap": cap_fact})
    facts["housing"], basis["housing"] = found

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
        facts["education"], basis["education"] = _NO_EDUCATION
    else:
        known = memo["education"]
        level, degree, full_time, first, last = best
        facts["education"], basis["education"] = known.get(best) or known.put(
            best,
            {
                "kind": "education",
                "level": level,
                "degree": degree,
                "full_time": full_time,
                "study": (month_label(first), month_label(last)),
                "cents": best_points,
            },
        )

    # ---- study deduction: points earned during the scoring record's full-time study
    deduction = 0
    if best is None:
        facts["study_deduction"], basis["study_deduction"] = _NOTHING_TO_DEDUCT
    elif rs.study_full_time_only and not best[2]:
        facts["study_deduction"], basis["study_deduction"] = _PART_TIME_STUDY
    else:
        study = span_mask(best[3], best[4], base, hi) & counting
        n_ins = (study & counted).bit_count()
        exact = n_ins * rs.employment_num
        study_months = []
        for kind in rs.housing_precedence:
            n = (study & effective[kind]).bit_count()
            study_months.append(n)
            exact += n * rs.housing_num[kind]
        limit = rs.study_cap_by_points.get(best_points, best_points)
        reached = exact * 100 >= limit * den
        deduction = limit if reached else _half_up(exact, den)
        known = memo["study_deduction"]
        study_months.extend((best_points, best[3], best[4], n_ins))
        key = tuple(study_months)
        found = known.get(key)
        if found is None:
            study_homes = []
            for kind in rs.housing_precedence:
                n = (study & effective[kind]).bit_count()
                if n:
                    study_homes.append((kind, n, rate[kind]))
            found = known.put(
                key,
                {
                    "kind": "study_deduction",
                    "study": (month_label(best[3]), month_label(best[4])),
                    "insured_months": n_ins,
                    "rate": rate["employment"],
                    "homes": study_homes,
                    "cap_cents": limit,
                    "capped": reached,
                    "cents": deduction,
                },
            )
        facts["study_deduction"], basis["study_deduction"] = found
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
        known = memo["area"]
        key = (n_both, n_home)
        facts["area"], basis["area"] = known.get(key) or known.put(
            key,
            {
                "kind": "area",
                "both_months": n_both,
                "both_years": n_both // 12,
                "both_per_year_cents": rs.area_both_per_year,
                "both_cents": both_points,
                "home_months": n_home,
                "home_years": n_home // 12,
                "home_per_year_cents": rs.area_home_per_year,
                "home_cents": home_points,
                "cap_cents": rs.area_cap,
                "window": r.area_span,
            },
        )
    else:
        facts["area"], basis["area"] = r.area_none
    cents["area"] = area

    # ---- innovation: the single best item
    if p.innovation:
        code = max(p.innovation, key=rs.innovation_items.__getitem__)
        points = cents["innovation"] = min(rs.innovation_cap, rs.innovation_items[code])
        known = memo["innovation"]
        facts["innovation"], basis["innovation"] = known.get(code) or known.put(
            code, {"kind": "innovation", "code": code, "cents": points}
        )
    else:
        cents["innovation"] = 0
        facts["innovation"], basis["innovation"] = _NO_INNOVATION

    # ---- tax (not memoised: amounts rarely repeat)
    years = r.years
    threshold = rs.tax_threshold
    if rs.tax_formula == "per_year":
        qualifying = 0
        year_facts = []
        for y in years:
            amount = p.tax.get(y)
            reached = amount is not None and amount >= threshold
            if reached:
                qualifying += 1
            year_facts.append((y, amount, reached))
        tax = min(rs.tax_cap, qualifying * rs.tax_points_per_year)
        tax_fact: Fact = {
            "kind": "tax.per_year",
            "years": year_facts,
            "threshold": r.threshold,
            "qualifying": qualifying,
            "per_year_cents": rs.tax_points_per_year,
            "offences": None,
        }
    else:
        amounts = [p.tax.get(y) for y in years]
        present = [a for a in amounts if a is not None]
        tax = 0
        if len(present) == len(years):
            average = sum(Fraction(a) for a in present) / len(years)
            ok = average >= threshold
            tax = rs.tax_points if ok else 0
            tax_fact = {
                "kind": "tax.average",
                "years": (years[0], years[-1]),
                "average": round(float(average), 2),
                "threshold": r.threshold,
                "reached": ok,
                "offences": None,
            }
        else:
            tax_fact = {
                "kind": "tax.not_declared",
                "missing": [y for y, a in zip(years, amounts, strict=True) if a is None],
                "offences": None,
            }
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
        tax_fact["offences"] = {
            "count": offences,
            "window": r.lookback,
            "each_cents": rs.tax_offence_points,
        }
    cents["tax"] = tax
    facts["tax"] = tax_fact
    basis["tax"] = BASIS[tax_fact["kind"]](tax_fact)

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
    known = memo["age"]
    facts["age"], basis["age"] = known.get(age) or known.put(
        age, {"kind": "age", "age": age, "on": r.age_reference, "cents": points}
    )

    # ---- honours: one counts, not cumulative
    if p.honours:
        code = p.honours[0]
        cents["honours"] = rs.honours_points
        known = memo["honours"]
        facts["honours"], basis["honours"] = known.get(code) or known.put(
            code, {"kind": "honours", "code": code, "cents": rs.honours_points}
        )
    else:
        cents["honours"] = 0
        facts["honours"], basis["honours"] = _NO_HONOUR

    # ---- law: administrative detentions in the look-back window
    cents["law"] = detentions * rs.law_detention_points
    if detentions:
        known = memo["law"]
        facts["law"], basis["law"] = known.get(detentions) or known.put(
            detentions,
            {
                "kind": "law",
                "count": detentions,
                "window": r.lookback,
                "each_cents": rs.law_detention_points,
            },
        )
    else:
        facts["law"], basis["law"] = r.no_detentions

    # ---- eligibility
    reasons: list[Fact] = []
    if rs.residence_permit_required and not p.residence_permit:
        reasons.append(_NO_RESIDENCE_PERMIT)
    group = "M" if p.sex == "M" else "F_cadre" if p.female_cadre else "F"
    limit = rs.retirement_age[group]
    if age >= limit:
        reasons.append(
            {
                "kind": "eligibility.retirement",
                "age": age,
                "on": r.age_reference,
                "limit": limit,
                "group": group,
            }
        )
    window = r.window
    gaps = window & ~covered
    if gaps:
        reasons.append(
            {
                "kind": "eligibility.continuity",
                "months": rs.continuity_months,
                "window": r.continuity_span,
                "not_covered": gaps.bit_count(),
                "first_gap": month_label(base + (gaps & -gaps).bit_length() - 1),
            }
        )
    late = (window & covered & ~paid).bit_count()
    if late > rs.continuity_max_back_paid:
        reasons.append(
            {
                "kind": "eligibility.back_paid",
                "back_paid": late,
                "window": r.continuity_span,
                "max": rs.continuity_max_back_paid,
            }
        )
    if rs.criminal_record_excludes and p.criminal_record:
        reasons.append(_CRIMINAL_RECORD)

    return Breakdown(
        rule_set=rs,
        application_no=p.application_no,
        eligible=not reasons,
        cents=cents,
        facts=facts,
        basis=basis,
        reason_facts=reasons,
    )


RESULT_FORMAT = "jifen.result/1"


def to_result(b: Breakdown) -> dict:
    """The ``jifen.result/1`` object: numbers as JSON numbers rounded to 2 decimals."""
    rs = b.rule_set
    cents = b.cents
    basis = b.basis
    references = rs.references
    # Integer cents / 100 is the correctly rounded float, and never -0.0 (int 0 has no sign).
    indicators = {}
    explanation = []
    for code in INDICATORS:
        points = indicators[code] = cents[code] / 100
        explanation.append(
            {
                "indicator": code,
                "points": points,
                "basis": basis[code],
                "reference": references[code],
            }
        )
    return {
        "format": RESULT_FORMAT,
        "application_no": b.application_no,
        "rule_set": rs.id,
        "eligible": b.eligible,
        "reasons": [REASONS[f["kind"]](f) for f in b.reason_facts] if b.reason_facts else [],
        "total": b.total_cents / 100,
        "indicators": indicators,
        "explanation": explanation,
    }
