"""The English of the result format: each indicator's ``basis`` and each eligibility reason.

Written from the facts (``facts``); the wording is part of ``jifen.result/1`` as the
specification shows it ("282 months × 0.25", "owned 144 months × 1/12 = 12.00; ...") and stays
byte for byte what it has always been. Chinese terms in brackets name the official documents'
words.
"""

from __future__ import annotations

from collections.abc import Callable

from .facts import POINTS, RATES, SHORT_POINTS, Fact


def _employment(f: Fact) -> str:
    text = f"{f['months']} months × {RATES[f['rate']]}"
    if f["back_paid"]:
        text += f"; {f['back_paid']} back-paid months earn nothing"
    first, last = f["window"]
    return f"{text} ({first}..{last})"


def _housing(f: Fact) -> str:
    parts = [
        f"{home} {months} months × {RATES[rate]} = {POINTS[cents]}"
        for home, months, rate, cents in f["homes"]
    ]
    text = "; ".join(parts) if parts else "no housing months"
    cap = f["cap"]
    if cap is not None:
        text += (
            f"; capped at {cap['insured_months']} insured months × {RATES[cap['rate']]}"
            f" = {POINTS[cap['cents']]} ({cap['rounding'].replace('_', ' ')})"
        )
    return text


def _education(f: Fact) -> str:
    first, last = f["study"]
    return (
        f"level {f['level'] or 'none'}, degree {f['degree'] or 'none'}"
        f" ({first}..{last}, {'full-time' if f['full_time'] else 'part-time'}):"
        f" {SHORT_POINTS[f['cents']]}"
    )


def _study_deduction(f: Fact) -> str:
    first, last = f["study"]
    text = f"study {first}..{last}: {f['insured_months']} insured months × {RATES[f['rate']]}"
    for home, months, rate in f["homes"]:
        text += f" + {home} {months} months × {RATES[rate]}"
    if f["capped"]:
        return f"{text} ≥ cap {POINTS[f['cap_cents']]}"
    return f"{text} = {POINTS[f['cents']]} (cap {POINTS[f['cap_cents']]})"


def _area_none(f: Fact) -> str:
    return (
        f"no {'/'.join(f['home_kinds'])} home outside the six central districts"
        f" in the cut-off month {f['month']}"
    )


def _area(f: Fact) -> str:
    first, last = f["window"]
    return (
        f"home and job outside the six central districts {f['both_months']} months"
        f" → {f['both_years']} full years × {SHORT_POINTS[f['both_per_year_cents']]}"
        f" = {SHORT_POINTS[f['both_cents']]};"
        f" home only {f['home_months']} months → {f['home_years']} full years"
        f" × {SHORT_POINTS[f['home_per_year_cents']]} = {SHORT_POINTS[f['home_cents']]};"
        f" at most {SHORT_POINTS[f['cap_cents']]} ({first}..{last})"
    )


def _offences(o: Fact) -> str:
    first, last = o["window"]
    return f"; {o['count']} tax offences in {first}..{last} × {SHORT_POINTS[o['each_cents']]}"


def _tax_per_year(f: Fact) -> str:
    threshold = f["threshold"]
    words = [
        f"{year}: {amount} ≥ {threshold}"
        if reached
        else f"{year}: {'missing' if amount is None else amount}"
        for year, amount, reached in f["years"]
    ]
    words.append(f"{f['qualifying']} × {SHORT_POINTS[f['per_year_cents']]}")
    offences = f["offences"]
    return "; ".join(words) + ("" if offences is None else _offences(offences))


def _tax_average(f: Fact) -> str:
    first, last = f["years"]
    offences = f["offences"]
    return (
        f"average of {first}..{last} {f['average']:.2f}"
        f" {'≥' if f['reached'] else '<'} {f['threshold']}"
        + ("" if offences is None else _offences(offences))
    )


def _tax_not_declared(f: Fact) -> str:
    offences = f["offences"]
    return f"not declared for {', '.join(str(y) for y in f['missing'])}" + (
        "" if offences is None else _offences(offences)
    )


def _law(f: Fact) -> str:
    first, last = f["window"]
    return (
        f"{f['count']} administrative detentions in {first}..{last}"
        f" × {SHORT_POINTS[f['each_cents']]}"
    )


BASIS: dict[str, Callable[[Fact], str]] = {
    "employment": _employment,
    "housing": _housing,
    "education.none": lambda f: "no qualifying education record",
    "education": _education,
    "study_deduction.none": lambda f: "no education points, nothing to deduct",
    "study_deduction.part_time": lambda f: "part-time study: nothing deducted",
    "study_deduction": _study_deduction,
    "area.none": _area_none,
    "area": _area,
    "innovation.none": lambda f: "no innovation item",
    "innovation": lambda f: f"{f['code']}: {SHORT_POINTS[f['cents']]}",
    "tax.per_year": _tax_per_year,
    "tax.average": _tax_average,
    "tax.not_declared": _tax_not_declared,
    "age": lambda f: f"age {f['age']} on {f['on']}: {SHORT_POINTS[f['cents']]}",
    "honours.none": lambda f: "no honour",
    "honours": lambda f: f"{f['code']}: {SHORT_POINTS[f['cents']]} (not cumulative)",
    "law": _law,
}

_GROUPS = {"M": "men", "F_cadre": "women cadres", "F": "women workers"}


def _retirement(f: Fact) -> str:
    return (
        f"age {f['age']} on {f['on']} is not below the retirement age"
        f" ({f['limit']} for {_GROUPS[f['group']]})"
    )


def _continuity(f: Fact) -> str:
    first, last = f["window"]
    return (
        f"social insurance not continuous for the {f['months']} months {first}..{last}:"
        f" {f['not_covered']} months not covered (first {f['first_gap']})"
    )


def _back_paid(f: Fact) -> str:
    first, last = f["window"]
    return (
        f"{f['back_paid']} back-paid months in the continuity window {first}..{last}"
        f" (at most {f['max']})"
    )


REASONS: dict[str, Callable[[Fact], str]] = {
    "eligibility.residence_permit": lambda f: "no valid Beijing residence permit (居住证)",
    "eligibility.retirement": _retirement,
    "eligibility.continuity": _continuity,
    "eligibility.back_paid": _back_paid,
    "eligibility.criminal_record": lambda f: "criminal record (刑事犯罪记录)",
}


def basis_en(fact: Fact) -> str:
    """The ``basis`` of one indicator."""
    return BASIS[fact["kind"]](fact)


def reason_en(fact: Fact) -> str:
    """One eligibility reason."""
    return REASONS[fact["kind"]](fact)
