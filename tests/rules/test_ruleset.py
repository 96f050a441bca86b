"""Rule sets are data: complete, referenced, dated, chosen by year, and extensible by a file."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from jifen.rules import (
    INDICATORS,
    RuleSetError,
    available_rule_sets,
    load_rule_set,
    rule_set_name_for_year,
    score,
    score_profile,
    validate_profile,
)
from jifen.rules.ruleset import _read, compile_rule_set

from .profiles import spec_example


def test_both_rule_sets_load() -> None:
    assert set(available_rule_sets()) >= {"beijing-2016", "beijing-2020"}
    for name in available_rule_sets():
        rs = load_rule_set(name)
        assert rs.id == name


@pytest.mark.parametrize("name", ["beijing-2016", "beijing-2020"])
def test_every_indicator_names_its_reference_and_date(name: str) -> None:
    data = _read(name)
    for code in INDICATORS:
        table = data["indicators"][code]
        assert table["reference"], code
        assert isinstance(table["since"], dt.date), code
    for section in ("dates", "eligibility", "ranking", "districts", "innovation_items"):
        assert data[section]["reference"], section


def test_2016_inherits_and_overrides() -> None:
    old, new = load_rule_set("beijing-2016"), load_rule_set("beijing-2020")
    assert old.reference == "京政办发〔2016〕39号"
    assert old.references["age"] == "京政办发〔2016〕39号"
    assert old.age_bands == ((45, 2000),)
    assert new.age_bands[1] == (46, 1600)
    assert old.area_from != new.area_from
    assert old.innovation_items == new.innovation_items  # inherited
    assert old.tax_formula == "average" and new.tax_formula == "per_year"


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2018, "beijing-2016"),
        (2019, "beijing-2016"),
        (2020, "beijing-2020"),
        (2030, "beijing-2020"),
    ],
)
def test_rule_set_by_application_year(year: int, expected: str) -> None:
    assert rule_set_name_for_year(year) == expected


def test_year_before_the_first_round_is_an_error() -> None:
    with pytest.raises(RuleSetError, match="2017"):
        rule_set_name_for_year(2017)


def test_unknown_rule_set() -> None:
    with pytest.raises(RuleSetError, match="unknown rule set"):
        load_rule_set("shanghai-2020")


@pytest.mark.parametrize(
    ("name", "year", "mode"),
    [
        ("beijing-2020", 2020, "half_up"),
        ("beijing-2020", 2021, "half_up"),
        ("beijing-2020", 2022, "ceiling"),
        ("beijing-2020", 2026, "ceiling"),
        ("beijing-2016", 2019, "half_up"),
        ("beijing-2016", 2022, "half_up"),
    ],
)
def test_cap_rounding_is_dated_by_application_year(name: str, year: int, mode: str) -> None:
    assert load_rule_set(name).dates(year).cap_rounding == mode


def test_round_dates() -> None:
    d = load_rule_set("beijing-2020").dates(2022)
    assert d.cutoff == 2021 * 12 + 11
    assert d.age_reference == (2021, 1, 1)
    assert d.lookback_label == "2017-01-01..2021-12-31"


def test_a_new_year_is_a_data_file() -> None:
    """A hypothetical beijing-2026 that changes numbers only: no engine change needed."""
    data = copy.deepcopy(_read("beijing-2020"))
    data["id"] = "beijing-2026"
    data["first_year"] = 2026
    data["indicators"]["employment"]["points_per_month"] = "1/3"
    data["indicators"]["age"]["bands"] = [[40, 20], [45, 10]]
    rs = compile_rule_set(data)
    profile = validate_profile(spec_example())
    profile.rule_set = rs
    breakdown = score(profile)
    assert breakdown.cents["employment"] == 9400  # 282 months × 1/3
    assert breakdown.cents["age"] == 1000  # 45 on 2021-01-01
    assert rs.denominator == 24  # lcm(3, 12, 24)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("indicators", "housing", "cap_rounding"), [{"from_year": 2018, "mode": "floor"}], "mode"),
        (("indicators", "education", "with", "doctor"), 37.125, "more than 2 decimals"),
        (("indicators", "employment", "points_per_month"), "a quarter", "not a number"),
        (("indicators", "housing", "precedence"), ["owned", "rented"], "precedence"),
        (("ranking", "method"), "threshold_then_ties", "ranking.method"),
    ],
)
def test_inconsistent_rule_set_data_is_refused(path, value, message) -> None:  # type: ignore[no-untyped-def]
    data = copy.deepcopy(_read("beijing-2020"))
    table = data
    for key in path[:-1]:
        table = table[key]
    table[path[-1]] = value
    with pytest.raises(RuleSetError, match=message):
        compile_rule_set(data)


def test_profile_names_its_rule_set() -> None:
    result = score_profile(spec_example(rule_set="beijing-2016"))
    assert result["rule_set"] == "beijing-2016"
    # The command's override wins over the profile's own choice.
    assert score_profile(spec_example(rule_set="beijing-2016"), "beijing-2020")["rule_set"] == (
        "beijing-2020"
    )
