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
        (("indicators", "housing", "kind_names"), {"owned": "自有", "rented": "租"}, "kind_names"),
        (("indicators", "education", "degree_names", "doctor"), "", "degree_names"),
        (("innovation_items", "award.national.first"), {"points": 11}, "Chinese name"),
        (("indicators", "age", "name"), " ", "indicators.age: needs a Chinese name"),
        (("districts", "all"), ["东城区", "东城区"], "twice"),
        (("districts", "central"), ["东城区", "通县"], "among districts.all"),
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


OFFICIAL_ORDER = (
    "东城区", "西城区", "朝阳区", "丰台区", "石景山区", "海淀区", "门头沟区", "房山区",
    "通州区", "顺义区", "昌平区", "大兴区", "怀柔区", "平谷区", "密云区", "延庆区",
)  # fmt: skip


@pytest.mark.parametrize("name", ["beijing-2016", "beijing-2020"])
def test_the_chinese_names_are_in_the_rule_set(name: str) -> None:
    rs = load_rule_set(name)
    assert rs.districts == OFFICIAL_ORDER
    assert rs.district_set == frozenset(OFFICIAL_ORDER)
    assert rs.central_districts == {"东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区"}
    assert rs.indicator_names == {
        "employment": "合法稳定就业",
        "housing": "合法稳定住所",
        "education": "教育背景",
        "study_deduction": "扣除取得学历(学位)期间累计的居住及就业分数",
        "area": "职住区域",
        "innovation": "创新创业",
        "tax": "纳税",
        "age": "年龄",
        "honours": "荣誉表彰",
        "law": "守法记录",
    }
    assert list(rs.housing_kind_names) == ["owned", "rented", "dormitory"]
    assert rs.level_names == {
        "junior_college": "大专",
        "bachelor": "本科",
        "master": "研究生（硕士）",
        "doctor": "研究生（博士）",
    }
    assert rs.degree_names == {"bachelor": "学士", "master": "硕士", "doctor": "博士"}
    assert set(rs.innovation_names) == set(rs.innovation_items)
    assert len(set(rs.innovation_names.values())) == len(rs.innovation_names)  # no name twice
    assert rs.innovation_names["contest.district.third"] == "区级创新创业大赛三等奖"
    assert rs.innovation_items["contest.district.third"] == 100
    assert rs.honour_codes["heroic_model"] == "全国见义勇为英雄模范/首都见义勇为好市民"


def test_profile_names_its_rule_set() -> None:
    result = score_profile(spec_example(rule_set="beijing-2016"))
    assert result["rule_set"] == "beijing-2016"
    # The command's override wins over the profile's own choice.
    assert score_profile(spec_example(rule_set="beijing-2016"), "beijing-2020")["rule_set"] == (
        "beijing-2020"
    )
