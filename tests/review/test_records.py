"""What a kind decides, and when declared and recorded are the same (the spec's table)."""

from __future__ import annotations

import pytest

from jifen.review import records
from jifen.review.kinds import KIND_DEPARTMENT, KINDS, kinds_of
from jifen.rules import load_rule_set

PROFILE = {
    "format": "jifen.profile/1",
    "application_year": 2022,
    "application_no": "252984",
    "person": {
        "id_number": "110105197601152347",
        "name": "王素芳",
        "sex": "F",
        "birth_date": "1976-01-15",
        "female_cadre": True,
        "residence_permit": True,
        "criminal_record": False,
    },
    "social_insurance": [{"from": "1998-07", "to": "2021-12", "back_paid": ["2001-03"]}],
    "housing": [
        {"kind": "rented", "from": "2002-03", "to": "2009-12", "district": "海淀区"},
        {"kind": "owned", "from": "2010-01", "to": "2021-12", "district": "通州区"},
    ],
    "employment": [{"from": "2016-05", "to": "2021-12", "district": "通州区"}],
    "education": [
        {"level": "bachelor", "degree": "bachelor", "full_time": True,
         "from": "1994-09", "to": "1998-06"}
    ],
    "innovation": ["award.municipal.first"],
    "tax": {"2019": 0, "2020": 1200.5, "2021": 0},
    "honours": [],
    "violations": [
        {"kind": "administrative_detention", "date": "2019-04-01"},
        {"kind": "tax_offence", "date": "2020-02-02"},
    ],
}


def test_every_kind_has_a_department_and_the_police_own_three() -> None:
    assert set(KIND_DEPARTMENT) == set(KINDS) and len(KINDS) == 11
    assert kinds_of("police") == ("permits", "criminal_records", "detentions")
    assert kinds_of("tax") == ("tax", "tax_offences")
    assert kinds_of("service_window") == ()


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("permits", True),
        ("criminal_records", False),
        ("detentions", [{"kind": "administrative_detention", "date": "2019-04-01"}]),
        ("tax_offences", [{"kind": "tax_offence", "date": "2020-02-02"}]),
        ("innovation", ["award.municipal.first"]),
        ("tax", {"2019": 0, "2020": 1200.5, "2021": 0}),
        ("honours", []),
    ],
)
def test_declared_takes_the_kinds_fragment(kind: str, expected: object) -> None:
    assert records.declared(kind, PROFILE) == expected


def test_split_insurance_records_match_one_record() -> None:
    split = records.recorded(
        "social_insurance",
        [
            {"from": "1998-07", "to": "2005-12", "back_paid": ["2001-03"]},
            {"from": "2006-01", "to": "2021-12", "back_paid": []},
        ],
    )
    assert records.same("social_insurance", records.declared("social_insurance", PROFILE), split)


def test_insurance_differs_on_back_paid_months_alone() -> None:
    recorded = [{"from": "1998-07", "to": "2021-12", "back_paid": []}]
    declared = records.declared("social_insurance", PROFILE)
    assert not records.same("social_insurance", declared, recorded)
    diff = records.differences("social_insurance", declared, recorded)
    assert diff.only_declared == ["补缴 2001-03"] and diff.only_recorded == []


def test_insurance_gap_is_shown_as_a_range() -> None:
    recorded = [
        {"from": "1998-07", "to": "2003-12", "back_paid": ["2001-03"]},
        {"from": "2004-07", "to": "2021-12", "back_paid": []},
    ]
    diff = records.differences(
        "social_insurance", records.declared("social_insurance", PROFILE), recorded
    )
    assert diff.only_declared == ["缴费 2004-01～2004-06"] and diff.only_recorded == []


def test_employment_needs_the_same_district_every_month() -> None:
    same_months_other_district = [{"from": "2016-05", "to": "2021-12", "district": "海淀区"}]
    assert not records.same("employment", PROFILE["employment"], same_months_other_district)
    split = [
        {"from": "2016-05", "to": "2018-12", "district": "通州区"},
        {"from": "2019-01", "to": "2021-12", "district": "通州区"},
    ]
    assert records.same("employment", PROFILE["employment"], split)


def test_housing_compares_month_kind_and_district() -> None:
    rs = load_rule_set("beijing-2020")
    other_kind = [
        {"kind": "rented", "from": "2002-03", "to": "2009-12", "district": "海淀区"},
        {"kind": "rented", "from": "2010-01", "to": "2021-12", "district": "通州区"},
    ]
    assert not records.same("housing", PROFILE["housing"], other_kind)
    diff = records.differences(
        "housing", PROFILE["housing"], other_kind, names=records.code_names(rs)
    )
    assert diff.only_declared == [f"2010-01～2021-12 {rs.housing_kind_names['owned']} 通州区"]
    assert diff.only_recorded == [f"2010-01～2021-12 {rs.housing_kind_names['rented']} 通州区"]


def test_education_is_a_multiset() -> None:
    one = PROFILE["education"]
    assert records.same("education", one, [dict(one[0])])
    assert not records.same("education", one, one + one)
    assert not records.same("education", one, [{**one[0], "full_time": False}])


def test_tax_missing_year_is_zero_and_rows_of_a_year_are_summed() -> None:
    rows = [{"year": "2020", "amount": 1000}, {"year": "2020", "amount": 200.5}]
    value = records.recorded("tax", rows)
    assert value == {"2020": 1200.5}
    assert records.same("tax", PROFILE["tax"], value)
    assert not records.same("tax", PROFILE["tax"], {"2020": 1200.51})
    diff = records.differences("tax", PROFILE["tax"], {"2020": 1000})
    assert diff.only_declared == ["2020年 1200.50 元"]
    assert diff.only_recorded == ["2020年 1000.00 元"]


def test_sets_of_dates_and_codes() -> None:
    assert records.recorded("permits", []) is False
    assert records.recorded("permits", [{}]) is True
    assert records.same("detentions", [], records.recorded("detentions", []))
    two = records.recorded("detentions", [{"date": "2019-04-01"}, {"date": "2019-04-01"}])
    assert records.same("detentions", PROFILE["violations"][:1], two)
    assert records.recorded("honours", [{"code": "model_worker"}, {"code": "model_worker"}]) == [
        "model_worker"
    ]


def test_verified_profile_replaces_only_the_decided_kinds() -> None:
    verified = records.verified_profile(
        PROFILE,
        {
            "permits": False,
            "tax_offences": [],
            "tax": {"2021": 300},
            "housing": [],
        },
    )
    assert verified["person"]["residence_permit"] is False
    assert verified["person"]["female_cadre"] is True  # in no department's records
    assert verified["violations"] == [{"kind": "administrative_detention", "date": "2019-04-01"}]
    assert verified["tax"] == {"2021": 300}
    assert verified["housing"] == [] and verified["employment"] == PROFILE["employment"]
    assert PROFILE["housing"]  # the declared profile is untouched


def test_value_lines_in_chinese() -> None:
    rs = load_rule_set("beijing-2020")
    names = records.code_names(rs)
    assert records.value_lines("permits", True) == ["有"]
    assert records.value_lines("social_insurance", PROFILE["social_insurance"]) == [
        "1998-07～2021-12（补缴 2001-03）"
    ]
    line = records.value_lines("education", PROFILE["education"], names=names)[0]
    assert rs.level_names["bachelor"] in line and "全日制" in line
