"""Hand-computed checks of the month-by-month oracle itself.

Every expected number below was worked out by hand from beijing-rules.md and
profile-format.md (the working is in the comments), never copied from the oracle's output.
"""

from __future__ import annotations

import math
from datetime import date

import pytest

from .month_by_month import score
from .random_profiles import id_number


def person(birth: str = "1980-05-20", sex: str = "M", female_cadre: bool = False) -> dict:
    return {
        "id_number": id_number("110105", date.fromisoformat(birth), 123, sex),
        "name": "测试甲",
        "sex": sex,
        "birth_date": birth,
        "female_cadre": female_cadre,
        "residence_permit": True,
        "criminal_record": False,
    }


def profile(year: int, **fields: object) -> dict:
    """An eligible 35-to-44-year-old man insured without a break from 1998-07 to the cut-off."""
    base = {
        "format": "jifen.profile/1",
        "application_year": year,
        "application_no": "000001",
        "person": person(),
        "social_insurance": [{"from": "1998-07", "to": f"{year - 1}-12", "back_paid": []}],
    }
    base.update(fields)
    return base


def test_spec_example_profile() -> None:
    example = {
        "format": "jifen.profile/1",
        "application_year": 2022,
        "application_no": "252984",
        "person": person("1976-01-15", "F"),
        "social_insurance": [{"from": "1998-07", "to": "2021-12", "back_paid": []}],
        "housing": [
            {"kind": "rented", "from": "2002-03", "to": "2009-12", "district": "海淀区"},
            {"kind": "owned", "from": "2010-01", "to": "2021-12", "district": "通州区"},
        ],
        "employment": [{"from": "2016-05", "to": "2021-12", "district": "通州区"}],
        "education": [
            {"level": "bachelor", "degree": "bachelor", "full_time": True,
             "from": "1994-09", "to": "1998-06"},
        ],
        "innovation": [],
        "tax": {"2019": 0, "2020": 0, "2021": 0},
        "honours": [],
        "violations": [],
    }
    result = score(example)
    # employment: 1998-07..2021-12 = 6 + 23*12 = 282 months * 0.25 = 70.5
    # housing: owned 2010-01..2021-12 = 144 months / 12 = 12.00;
    #   rented 2002-03..2009-12 = 10 + 7*12 = 94 months / 24 = 3.9166.. -> 3.92; sum 15.92,
    #   cap 282/12 = 23.5 does not bite
    # education: bachelor with bachelor 15; the study ended 1998-06, before 1998-07 -> no deduction
    # area: 2018-01..2021-12 = 48 months owned in 通州 with the job in 通州 -> 4 years * 3 = 12
    # age on 2021-01-01: 44 -> 20
    assert result["indicators"] == {
        "employment": 70.5, "housing": 15.92, "education": 15.0, "study_deduction": 0.0,
        "area": 12.0, "innovation": 0.0, "tax": 0.0, "age": 20.0, "honours": 0.0, "law": 0.0,
    }
    assert result["total"] == 133.42
    assert result["eligible"] is True and result["reasons"] == []
    assert result["rule_set"] == "beijing-2020"
    assert result["format"] == "jifen.result/1" and result["application_no"] == "252984"


@pytest.mark.parametrize(
    ("birth", "expected"),
    [
        ("1976-01-02", 20.0),  # 44 on 2021-01-01 (45 the next day)
        ("1975-01-02", 20.0),  # 45
        ("1975-01-01", 16.0),  # 46 on the reference date itself
        ("1974-01-01", 12.0),  # 47
        ("1972-06-30", 8.0),   # 48
        ("1971-12-31", 4.0),   # 49
        ("1971-01-01", 0.0),   # 50
    ],
)
def test_age_bands_2020(birth: str, expected: float) -> None:
    assert score(profile(2022, person=person(birth)))["indicators"]["age"] == expected


def test_age_2016_is_all_or_nothing() -> None:
    # reference date 2018-01-01: born 1972-01-02 is 45 (20 points), born 1974-01-01 is 44,
    # born 1972-01-01 is 46 and 1970-06-01 is 47 -> 0 under beijing-2016 (16 and 12 in 2020)
    ages = {b: score(profile(2019, person=person(b)))["indicators"]["age"]
            for b in ("1972-01-02", "1974-01-01", "1972-01-01", "1970-06-01")}
    assert ages == {"1972-01-02": 20.0, "1974-01-01": 20.0, "1972-01-01": 0.0, "1970-06-01": 0.0}
    assert score(profile(2019, person=person("1972-01-01")))["rule_set"] == "beijing-2016"
    as_2020 = score(profile(2019, person=person("1970-06-01")), rule_set="beijing-2020")
    assert as_2020["indicators"]["age"] == 12.0


@pytest.mark.parametrize(
    ("birth", "sex", "cadre", "eligible"),
    [
        ("1971-01-02", "F", False, True),   # 49 on 2021-01-01
        ("1971-01-01", "F", False, False),  # 50: a worker's limit
        ("1971-01-01", "F", True, True),    # 50: a cadre may go on to 55
        ("1966-01-01", "F", True, False),   # 55
        ("1961-01-02", "M", False, True),   # 59
        ("1961-01-01", "M", False, False),  # 60
    ],
)
def test_retirement_age(birth: str, sex: str, cadre: bool, eligible: bool) -> None:
    result = score(profile(2022, person=person(birth, sex, cadre)))
    assert result["eligible"] is eligible
    assert len(result["reasons"]) == (0 if eligible else 1)


def capped_profile(year: int, **fields: object) -> dict:
    # Insured (Y-7)-01..(Y-1)-12 = 84 months, 5 of them back-paid -> 79 counted months.
    insurance = [{"from": f"{year - 7}-01", "to": f"{year - 1}-12",
                  "back_paid": [f"{year - 2}-0{m}" for m in range(1, 6)]}]
    housing = [{"kind": "owned", "from": "2000-01", "to": f"{year - 1}-12", "district": "海淀区"}]
    return profile(year, social_insurance=insurance, housing=housing, **fields)


def test_housing_cap_half_up_until_2021_ceiling_from_2022() -> None:
    # cap = 79/12 = 6.58333..: half up 6.58, ceiling 6.59; raw (owned since 2000) is far above
    r2021, r2022 = score(capped_profile(2021)), score(capped_profile(2022))
    assert r2021["indicators"]["housing"] == 6.58
    assert r2022["indicators"]["housing"] == 6.59
    # employment 79 * 0.25 = 19.75; five back-paid months are within the limit
    assert r2021["indicators"]["employment"] == r2022["indicators"]["employment"] == 19.75
    assert r2021["eligible"] and r2022["eligible"]
    # beijing-2016 rounds its cap half up whatever the year
    assert score(capped_profile(2022), rule_set="beijing-2016")["indicators"]["housing"] == 6.58


def test_six_back_paid_months_or_a_gap_break_continuity() -> None:
    six = capped_profile(2022)
    six["social_insurance"][0]["back_paid"].append("2020-06")
    assert score(six)["eligible"] is False
    gap = profile(2022, social_insurance=[
        {"from": "1998-07", "to": "2017-05", "back_paid": []},
        {"from": "2017-07", "to": "2021-12", "back_paid": []},
    ])
    result = score(gap)
    assert result["eligible"] is False
    # 1998-07..2017-05 = 6 + 18*12 + 5 = 227 months, 2017-07..2021-12 = 54 -> 281 * 0.25
    assert result["indicators"]["employment"] == 70.25


def test_overlapping_insurance_counts_once_and_paid_beats_back_paid() -> None:
    p = profile(2020, social_insurance=[
        {"from": "1998-07", "to": "2019-12", "back_paid": ["2015-03", "2016-04"]},
        {"from": "2015-01", "to": "2015-12", "back_paid": []},
    ])
    # 258 months; 2015-03 is paid by the second record, only 2016-04 earns nothing -> 257/4
    assert score(p)["indicators"]["employment"] == 64.25


def test_negative_study_deduction_rounds_its_magnitude_half_up() -> None:
    # Full-time bachelor 1998-07..1999-03: 9 months each earning 0.25 + 1/24 (rented) = 7/24;
    # 9 * 7/24 = 2.625 exactly -> magnitude half up 2.63 -> -2.63 (not -2.62)
    p = profile(
        2020,
        person=person("1977-03-10"),
        housing=[{"kind": "rented", "from": "1998-07", "to": "2019-12", "district": "通州区"}],
        education=[{"level": "bachelor", "degree": "bachelor", "full_time": True,
                    "from": "1995-09", "to": "1999-03"}],
    )
    result = score(p)
    # employment 258/4 = 64.5; housing 258/24 = 10.75 (cap 21.5); education 15; area 0 (rented)
    # age 41 -> 20; total 64.5 + 10.75 + 15 - 2.63 + 20 = 107.62
    assert result["indicators"]["study_deduction"] == -2.63
    assert result["indicators"]["housing"] == 10.75
    assert result["indicators"]["area"] == 0.0
    assert result["total"] == 107.62


def test_study_deduction_caps_and_part_time() -> None:
    def deduction(level: str, months_to: str, full_time: bool = True) -> float:
        p = profile(
            2020,
            housing=[{"kind": "owned", "from": "1998-07", "to": "2019-12", "district": "海淀区"}],
            education=[{"level": level, "degree": level, "full_time": full_time,
                        "from": "1998-07", "to": months_to}],
        )
        return score(p)["indicators"]["study_deduction"]

    # each month earns 0.25 + 1/12 = 1/3
    assert deduction("master", "2001-06") == -10.5   # 36 months = 12 > cap 10.5 for 26 points
    assert deduction("bachelor", "2002-06") == -14.0  # 48 months = 16 > cap 14 for 15 points
    assert deduction("bachelor", "2000-06") == -8.0   # 24 months = 8, under the cap
    assert deduction("doctor", "2000-06", full_time=False) == 0.0
    assert deduction("doctor", "2000-06") == -8.0     # 37 points, cap 10.5 not reached


def test_education_record_choice() -> None:
    def points(*records: dict) -> dict:
        return score(profile(2020, education=list(records)))["indicators"]

    def rec(level: str | None, degree: str | None, to: str = "2005-06", ft: bool = True) -> dict:
        return {"level": level, "degree": degree, "full_time": ft, "from": "2003-09", "to": to}

    assert points(rec("doctor", "master"))["education"] == 26.0      # better "alone": doctor 26
    assert points(rec("junior_college", "bachelor"))["education"] == 10.5
    assert points(rec("master", None), rec("bachelor", "bachelor"))["education"] == 15.0
    assert points(rec(None, None))["education"] == 0.0
    assert points(rec("doctor", "doctor"), rec("master", "master"))["education"] == 37.0
    # Equal points (15 and 15): the record whose study ended last decides the deduction.
    # Insured all along, no housing: 0.25 a month. 2003-09..2005-06 = 22 months -> 5.5;
    # 2003-09..2004-06 = 10 months -> 2.5.
    later_part_time = points(rec("master", None, "2005-06", ft=False), rec("bachelor", "bachelor",
                                                                           "2004-06"))
    assert later_part_time["study_deduction"] == 0.0
    later_full_time = points(rec("master", None, "2004-06", ft=False), rec("bachelor", "bachelor"))
    assert later_full_time["study_deduction"] == -5.5


def test_area_2020_rules() -> None:
    def area(year: int, housing: list[dict], employment: list[dict]) -> float:
        return score(profile(year, housing=housing, employment=employment))["indicators"]["area"]

    owned_out = [{"kind": "owned", "from": "2010-01", "to": "2021-12", "district": "大兴区"}]
    # 48 home-out months, job in 朝阳 (central) -> 4 full years * 2 = 8
    assert area(2022, owned_out, [{"from": "2010-01", "to": "2021-12", "district": "朝阳区"}]) == 8
    # job outside only from 2020-01: 24 both-out (2*3) + 24 home-only (2*2) = 10
    assert area(2022, owned_out, [{"from": "2020-01", "to": "2021-12", "district": "通州区"}]) == 10
    # 2017 months do not count in 2020 rules: 2018-01..2019-12 = 24 both-out -> 6
    assert area(2020, owned_out, [{"from": "2010-01", "to": "2021-12", "district": "通州区"}]) == 6
    # a rented home outside earns nothing under the 2020 rules
    rented_out = [{"kind": "rented", "from": "2010-01", "to": "2021-12", "district": "大兴区"}]
    assert area(2022, rented_out, []) == 0
    # not home-out in the cut-off month (2021-12) -> 0 although 47 months were
    ended = [{"kind": "owned", "from": "2010-01", "to": "2021-11", "district": "大兴区"}]
    assert area(2022, ended, []) == 0
    # overlapping owned homes: the one that started last (2019-01, in 西城) is the home from then
    central = {"kind": "owned", "from": "2019-01", "to": "2021-12", "district": "西城区"}
    moved = [*owned_out, central]
    assert area(2022, moved, []) == 0


def test_area_2016_rules() -> None:
    def area(year: int, housing: list[dict], employment: list[dict]) -> float:
        return score(profile(year, housing=housing, employment=employment))["indicators"]["area"]

    rented_out = [{"kind": "rented", "from": "2015-01", "to": "2020-12", "district": "通州区"}]
    job_out = [{"from": "2015-01", "to": "2020-12", "district": "昌平区"}]
    # 2019 (beijing-2016): 2017-01..2018-12 = 24 both-out months, rented counts -> 2 * 4 = 8
    assert area(2019, rented_out, job_out) == 8
    # 2018: 2017-01..2017-12 = 12 months -> 4
    assert area(2018, rented_out, job_out) == 4
    # 2019, job central: 24 home-out-only months -> 2 * 2 = 4
    assert area(2019, rented_out, [{"from": "2015-01", "to": "2020-12", "district": "西城区"}]) == 4
    # 2021 scored with beijing-2016: 48 both-out months -> min(16, 12) = 12
    p = profile(2021, housing=rented_out, employment=job_out)
    assert score(p, rule_set="beijing-2016")["indicators"]["area"] == 12
    # home-only part at most 6: 2017-01..2020-12 = 48 home-only months -> min(8, 6) = 6
    p = profile(2021, housing=rented_out, employment=[], rule_set="beijing-2016")
    assert score(p)["indicators"]["area"] == 6
    # an owned home in 海淀 takes precedence over the rented one outside -> never home-out
    owned_in = {"kind": "owned", "from": "2016-01", "to": "2020-12", "district": "海淀区"}
    assert area(2019, [*rented_out, owned_in], job_out) == 0


def test_tax_rules_2016_and_2020() -> None:
    def tax(year: int, amounts: dict, rule_set: str | None = None) -> float:
        return score(profile(year, tax=amounts), rule_set=rule_set)["indicators"]["tax"]

    amounts = {"2019": 100000, "2020": 99999.99, "2021": 150000, "2017": 900000}
    # 2020 rules: 2019 and 2021 reach 100,000, 2020 does not; 2017 is outside Y-3..Y-1 -> 4
    assert tax(2022, amounts) == 4.0
    # 2016 rules: average (100000 + 99999.99 + 150000) / 3 >= 100000 -> 6
    assert tax(2022, amounts, "beijing-2016") == 6.0
    # 2016 rules: a missing year is not "present" -> 0; in 2020 it counts as 0 -> 2 + 2
    assert tax(2019, {"2016": 300000, "2017": 100000}) == 0.0
    assert tax(2019, {"2016": 300000, "2017": 100000}, "beijing-2020") == 4.0
    # 2016 rules: 0 is present; (300000 + 0 + 0) / 3 = 100000 -> 6
    assert tax(2019, {"2016": 300000, "2017": 0, "2018": 0}) == 6.0


def test_violations_look_back_window_and_total() -> None:
    # 2022: window 2017-01-01..2021-12-31, both ends included
    p = profile(2022, tax={"2021": 200000}, honours=["moral_model", "model_worker"],
                innovation=["award.municipal.third", "contest.district.first"], violations=[
        {"kind": "administrative_detention", "date": "2016-12-31"},
        {"kind": "administrative_detention", "date": "2017-01-01"},
        {"kind": "administrative_detention", "date": "2021-12-31"},
        {"kind": "tax_offence", "date": "2019-05-01"},
        {"kind": "tax_offence", "date": "2022-01-01"},
    ])
    ind = score(p)["indicators"]
    assert ind["law"] == -60.0      # two detentions inside the window
    assert ind["tax"] == -10.0      # +2 for 2021, -12 for one offence inside
    assert ind["honours"] == 20.0   # not cumulative
    assert ind["innovation"] == 5.0  # the highest item only
    # employment 282/4 = 70.5, age (born 1980-05-20, 40 on 2021-01-01) 20:
    # 70.5 + 5 - 10 + 20 + 20 - 60 = 45.5
    assert score(p)["total"] == 45.5


def test_zero_is_never_negative_zero() -> None:
    # No deduction, no detention: the negative indicators are zero, and must be +0.0
    result = score(profile(2022, person=person("1960-01-01")))
    zeros = [v for v in result["indicators"].values() if v == 0]
    assert len(zeros) == 9  # only employment (70.5) is earned; age 61 -> 0
    assert all(math.copysign(1.0, v) == 1.0 for v in zeros)


def test_housing_precedence_owned_rented_dormitory() -> None:
    p = profile(2020, housing=[
        {"kind": "dormitory", "from": "2000-01", "to": "2019-12", "district": "朝阳区"},
        {"kind": "rented", "from": "2005-01", "to": "2014-12", "district": "朝阳区"},
        {"kind": "owned", "from": "2010-01", "to": "2019-12", "district": "朝阳区"},
    ])
    # owned 2010-01..2019-12 = 120 months -> 10.00; rented only 2005-01..2009-12 = 60 -> 2.50;
    # dormitory only 2000-01..2004-12 = 60 -> 2.50; cap 258/12 = 21.5 -> 15.00
    assert score(p)["indicators"]["housing"] == 15.0


def test_months_before_1998_07_earn_nothing() -> None:
    p = profile(
        2020,
        social_insurance=[{"from": "1996-01", "to": "2019-12", "back_paid": []}],
        housing=[{"kind": "rented", "from": "1996-01", "to": "2019-12", "district": "通州区"}],
        education=[{"level": "bachelor", "degree": None, "full_time": True,
                    "from": "1997-09", "to": "1998-12"}],
    )
    ind = score(p)["indicators"]
    # only 1998-07..2019-12 = 258 months count: employment 64.5, housing 258/24 = 10.75;
    # study months 1998-07..1998-12 = 6 * (1/4 + 1/24) = 1.75; bachelor level alone 10.5
    assert (ind["employment"], ind["housing"]) == (64.5, 10.75)
    assert (ind["education"], ind["study_deduction"]) == (10.5, -1.75)


def test_rule_set_choice() -> None:
    assert score(profile(2018))["rule_set"] == "beijing-2016"
    assert score(profile(2020))["rule_set"] == "beijing-2020"
    assert score(profile(2020, rule_set="beijing-2016"))["rule_set"] == "beijing-2016"
    assert score(profile(2020, rule_set="beijing-2016"), "beijing-2020")["rule_set"] == (
        "beijing-2020"
    )
    with pytest.raises(ValueError):
        score(profile(2017))
