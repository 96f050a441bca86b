"""The declaration's pure data handling: normalise_section, clean_section, to_profile.

No database: declaration.py is plain Python. Every message clean_section can give is reached
at least once, and each names the field path the forms and the API attach it to.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from jifen.applications import declaration as decl
from jifen.rules import score_profile
from jifen.rules.ruleset import _read, compile_rule_set, load_rule_set
from tests.factories import full_declaration, id_number

YEAR = 2026
RULES = load_rule_set("beijing-2020")
TODAY = date(2026, 3, 15)
ID_NUMBER = id_number("19880315", "F", 7)


def problems(key: str, raw: Any, *, today: date = TODAY) -> dict[str, list[str]]:
    """{field: [messages]} of a section as the service would store it."""
    value = decl.normalise_section(key, raw, YEAR)
    out: dict[str, list[str]] = {}
    for err in decl.clean_section(key, value, year=YEAR, rule_set=RULES, today=today):
        out.setdefault(err.field, []).append(err.message)
    return out


# --- the catalogue ---------------------------------------------------------------------------


def test_sections_follow_the_published_order_with_conditions_first() -> None:
    assert decl.SECTION_KEYS == (
        "conditions", "social_insurance", "housing", "education", "employment",
        "innovation", "tax", "honours", "violations",
    )
    assert {s.key for s in decl.SECTIONS if not s.is_list} == {"conditions", "tax"}
    assert set(decl.ROW_FIELDS) == {s.key for s in decl.SECTIONS if s.is_list}


def test_tax_years_are_the_three_calendar_years_before_the_round() -> None:
    assert decl.tax_years(2026) == ["2023", "2024", "2025"]
    assert decl.tax_years(2020) == ["2017", "2018", "2019"]
    assert decl.tax_years(2019, load_rule_set("beijing-2016")) == ["2016", "2017", "2018"]


def _changed_rule_set(section: str, key: str, value: Any) -> Any:
    """beijing-2020 with one value of ``[section]`` changed (a new policy year's file)."""
    data = _read("beijing-2020")
    table = data
    for part in section.split("."):
        table = table[part]
    table[key] = value
    return compile_rule_set(data)


def test_tax_years_and_the_retirement_age_come_from_the_rule_set() -> None:
    two_years = _changed_rule_set("indicators.tax", "year_offsets", [-2, -1])
    assert decl.tax_years(2026, two_years) == ["2024", "2025"]
    assert decl.empty_declaration(2026, two_years)["tax"] == {"2024": "", "2025": ""}
    assert decl.normalise_section("tax", {"2023": "5", "2025": "7"}, 2026, two_years) == {
        "2024": "",
        "2025": "7",
    }
    assert decl.condition_labels(RULES)["female_cadre"] == "女性干部身份（法定退休年龄55周岁）"
    later = _changed_rule_set("eligibility", "retirement_age", {"M": 63, "F": 55, "F_cadre": 58})
    assert decl.condition_labels(later) == {
        "residence_permit": "持有有效的北京市居住证",
        "criminal_record": "有刑事犯罪记录",
        "female_cadre": "女性干部身份（法定退休年龄58周岁）",
    }


def test_empty_declaration_has_every_section_and_assumes_a_residence_permit() -> None:
    data = decl.empty_declaration(YEAR)
    assert set(data) == set(decl.SECTION_KEYS)
    assert data["conditions"] == {
        "residence_permit": True, "criminal_record": False, "female_cadre": False,
    }
    assert data["tax"] == {"2023": "", "2024": "", "2025": ""}
    assert all(data[k] == [] for k in decl.ROW_FIELDS)
    assert decl.clean_declaration(data, year=YEAR, rule_set=RULES, today=TODAY) == []


def test_the_factory_declaration_is_clean() -> None:
    data = {k: decl.normalise_section(k, v, YEAR) for k, v in full_declaration(YEAR).items()}
    assert decl.clean_declaration(data, year=YEAR, rule_set=RULES, today=TODAY) == []


# --- normalise_section -----------------------------------------------------------------------


@pytest.mark.parametrize("raw", [True, "on", "true", "TRUE", "1", "yes", "是", 1])
def test_conditions_truthy_values(raw: Any) -> None:
    assert decl.normalise_section("conditions", {"criminal_record": raw}, YEAR)[
        "criminal_record"
    ] is True


@pytest.mark.parametrize("raw", [False, "", "off", "false", "0", "no", "否", None, 0])
def test_conditions_falsy_values(raw: Any) -> None:
    assert decl.normalise_section("conditions", {"criminal_record": raw}, YEAR)[
        "criminal_record"
    ] is False


def test_conditions_keep_only_known_fields_and_default_missing_ones_to_false() -> None:
    value = decl.normalise_section(
        "conditions", {"residence_permit": "on", "admin": True}, YEAR
    )
    assert value == {"residence_permit": True, "criminal_record": False, "female_cadre": False}


@pytest.mark.parametrize("raw", [None, "x", ["residence_permit"], 3])
def test_conditions_of_the_wrong_shape_become_all_false(raw: Any) -> None:
    assert decl.normalise_section("conditions", raw, YEAR) == {
        "residence_permit": False, "criminal_record": False, "female_cadre": False,
    }


def test_tax_keeps_the_three_years_as_typed_strings() -> None:
    value = decl.normalise_section(
        "tax", {"2023": " 120000 ", "2024": 80000, "2022": "999", "2025": None}, YEAR
    )
    assert value == {"2023": "120000", "2024": "80000", "2025": ""}


def test_tax_values_are_cut_to_twenty_characters_and_wrong_shapes_emptied() -> None:
    assert decl.normalise_section("tax", {"2023": "1" * 40}, YEAR)["2023"] == "1" * 20
    assert decl.normalise_section("tax", ["120000"], YEAR) == {
        "2023": "", "2024": "", "2025": "",
    }


def test_rows_keep_their_id_and_new_rows_get_one() -> None:
    value = decl.normalise_section(
        "housing",
        [
            {"id": "abc123", "kind": "owned", "from": "2016-01", "to": "2025-12",
             "district": "通州区"},
            {"kind": "rented", "from": "2008-07", "to": "2015-12", "district": "海淀区"},
        ],
        YEAR,
    )
    assert value[0]["id"] == "abc123"
    assert re.fullmatch(r"[0-9a-f]{8}", value[1]["id"])
    assert value[1] == {"id": value[1]["id"], "kind": "rented", "from": "2008-07",
                        "to": "2015-12", "district": "海淀区"}


@pytest.mark.parametrize("bad_id", ["a b", "../x", "x", "id-1", "<script>"])
def test_an_id_that_is_not_a_short_token_is_replaced(bad_id: str) -> None:
    value = decl.normalise_section("innovation", [{"id": bad_id, "code": "x"}], YEAR)
    assert value[0]["id"] != bad_id
    assert re.fullmatch(r"[0-9a-f]{8}", value[0]["id"])


def test_rows_drop_unknown_fields_strip_text_and_stringify() -> None:
    value = decl.normalise_section(
        "employment",
        [{"id": "row1", "from": " 2008-07 ", "to": 202512, "district": None, "salary": "1"}],
        YEAR,
    )
    assert value == [{"id": "row1", "from": "2008-07", "to": "202512", "district": ""}]


def test_long_text_is_cut_to_200_characters() -> None:
    value = decl.normalise_section("honours", [{"code": "x" * 500}], YEAR)
    assert value[0]["code"] == "x" * 200


def test_wholly_empty_rows_and_non_dict_rows_are_dropped() -> None:
    value = decl.normalise_section(
        "education",
        [
            {"id": "keep01", "level": "", "degree": "", "full_time": True, "from": "", "to": ""},
            "not a row",
            None,
            {"level": "bachelor"},
        ],
        YEAR,
    )
    # A row whose only value is the full-time box counts as empty.
    assert len(value) == 1
    assert value[0]["level"] == "bachelor"
    assert value[0]["full_time"] is False


@pytest.mark.parametrize("raw", [None, {"from": "2008-07"}, "rows", 5])
def test_list_sections_of_the_wrong_shape_become_empty(raw: Any) -> None:
    assert decl.normalise_section("social_insurance", raw, YEAR) == []


def test_back_paid_months_given_as_a_list_are_joined() -> None:
    value = decl.normalise_section(
        "social_insurance",
        [{"from": "2008-07", "to": "2025-12", "back_paid": ["2010-03", "2010-04"]}],
        YEAR,
    )
    assert value[0]["back_paid"] == "2010-03, 2010-04"


def test_full_time_is_a_boolean() -> None:
    value = decl.normalise_section(
        "education",
        [{"level": "bachelor", "full_time": "on"}, {"level": "master", "full_time": "off"}],
        YEAR,
    )
    assert [r["full_time"] for r in value] == [True, False]


def test_at_most_fifty_rows_are_kept() -> None:
    rows = [{"code": "model_worker"} for _ in range(decl.MAX_ROWS + 10)]
    assert len(decl.normalise_section("honours", rows, YEAR)) == decl.MAX_ROWS


def test_normalising_twice_changes_nothing() -> None:
    for key, raw in full_declaration(YEAR).items():
        once = decl.normalise_section(key, raw, YEAR)
        assert decl.normalise_section(key, once, YEAR) == once


def test_item_ids_lists_the_row_ids_of_a_section() -> None:
    data = {"housing": [{"id": "a1b2"}, {"id": "c3d4"}], "tax": {"2023": "1"}}
    assert decl.item_ids(data, "housing") == {"a1b2", "c3d4"}
    assert decl.item_ids(data, "tax") == set()
    assert decl.item_ids(data, "honours") == set()


# --- clean_section: conditions and tax -------------------------------------------------------


def test_conditions_without_residence_permit() -> None:
    assert problems("conditions", {"residence_permit": False}) == {
        "conditions.residence_permit": ["申请人须持有有效的北京市居住证"],
    }


def test_conditions_with_criminal_record() -> None:
    assert problems("conditions", {"residence_permit": True, "criminal_record": True}) == {
        "conditions.criminal_record": ["有刑事犯罪记录的不符合申请条件"],
    }


def test_conditions_ok_including_female_cadre() -> None:
    assert problems("conditions", {"residence_permit": True, "female_cadre": True}) == {}


@pytest.mark.parametrize("amount", ["0", "120000", "150000.5", "150000.50", "", "999999999999"])
def test_tax_amounts_accepted(amount: str) -> None:
    assert problems("tax", {"2024": amount}) == {}


@pytest.mark.parametrize("amount", ["-5", "abc", "1.234", "12,000", "1e5", "1234567890123"])
def test_tax_amounts_refused_name_the_year(amount: str) -> None:
    assert problems("tax", {"2024": amount}) == {
        "tax.2024": ["请填写不小于0的金额（元），最多两位小数"],
    }


# --- clean_section: periods ------------------------------------------------------------------

RANGE_SECTIONS = {
    "social_insurance": {},
    "housing": {"kind": "rented", "district": "海淀区"},
    "education": {"level": "bachelor"},
    "employment": {"district": "通州区"},
}


@pytest.mark.parametrize("key", sorted(RANGE_SECTIONS))
def test_a_valid_period_has_no_problem(key: str) -> None:
    row = {"from": "2010-01", "to": "2026-03", **RANGE_SECTIONS[key]}
    assert problems(key, [row]) == {}


@pytest.mark.parametrize("key", sorted(RANGE_SECTIONS))
@pytest.mark.parametrize("start", ["", "2010", "2010-13", "2010-00", "1899-12", "10-01", "2010/01"])
def test_a_bad_start_month(key: str, start: str) -> None:
    row = {"from": start, "to": "2020-01", **RANGE_SECTIONS[key]}
    assert problems(key, [row]) == {f"{key}[0].from": ["请按“年-月”填写起始年月，如 2015-07"]}


@pytest.mark.parametrize("key", sorted(RANGE_SECTIONS))
def test_a_bad_end_month(key: str) -> None:
    row = {"from": "2010-01", "to": "2020-1", **RANGE_SECTIONS[key]}
    assert problems(key, [row]) == {f"{key}[0].to": ["请按“年-月”填写截止年月，如 2021-12"]}


@pytest.mark.parametrize("key", sorted(RANGE_SECTIONS))
def test_an_end_before_the_start(key: str) -> None:
    row = {"from": "2015-07", "to": "2015-06", **RANGE_SECTIONS[key]}
    assert problems(key, [row]) == {f"{key}[0].to": ["截止年月不能早于起始年月"]}


@pytest.mark.parametrize("key", sorted(RANGE_SECTIONS))
def test_an_end_after_the_current_month(key: str) -> None:
    row = {"from": "2015-07", "to": "2026-04", **RANGE_SECTIONS[key]}
    assert problems(key, [row]) == {f"{key}[0].to": ["截止年月不能晚于当前月份"]}
    assert problems(key, [row], today=date(2026, 4, 1)) == {}


def test_the_field_path_counts_rows_from_zero() -> None:
    rows = [
        {"from": "2008-07", "to": "2015-12", "kind": "rented", "district": "海淀区"},
        {"from": "2016-01", "to": "2025-12", "kind": "owned", "district": "火星区"},
    ]
    assert problems("housing", rows) == {"housing[1].district": ["请选择北京市的区"]}


# --- clean_section: code tables --------------------------------------------------------------


@pytest.mark.parametrize("key", ["housing", "employment"])
@pytest.mark.parametrize("district", ["", "上海市", "海淀", "雄安新区"])
def test_a_district_outside_beijing(key: str, district: str) -> None:
    row = {"from": "2010-01", "to": "2020-01", **RANGE_SECTIONS[key], "district": district}
    assert problems(key, [row]) == {f"{key}[0].district": ["请选择北京市的区"]}


@pytest.mark.parametrize("kind", ["", "hotel", "自有产权住房"])
def test_an_unknown_housing_kind(kind: str) -> None:
    row = {"kind": kind, "from": "2010-01", "to": "2020-01", "district": "海淀区"}
    assert problems("housing", [row]) == {"housing[0].kind": ["请选择住所类型"]}


@pytest.mark.parametrize("kind", sorted(RULES.housing_kind_names))
def test_every_housing_kind_is_accepted(kind: str) -> None:
    row = {"kind": kind, "from": "2010-01", "to": "2020-01", "district": "海淀区"}
    assert problems("housing", [row]) == {}


def test_back_paid_months_inside_the_period() -> None:
    row = {"from": "2008-07", "to": "2025-12", "back_paid": "2010-03，2010-04、2011-01;2012-02"}
    assert problems("social_insurance", [row]) == {}


def test_a_back_paid_month_in_the_wrong_format() -> None:
    row = {"from": "2008-07", "to": "2025-12", "back_paid": "2010-03, 2010/04, 2010-05"}
    assert problems("social_insurance", [row]) == {
        "social_insurance[0].back_paid": ["补缴月份“2010/04”应按“年-月”填写"],
    }


def test_a_back_paid_month_outside_the_period() -> None:
    row = {"from": "2008-07", "to": "2025-12", "back_paid": "2008-06"}
    assert problems("social_insurance", [row]) == {
        "social_insurance[0].back_paid": ["补缴月份 2008-06 不在本段缴费期间内"],
    }


def test_back_paid_months_are_not_range_checked_when_the_period_is_bad() -> None:
    row = {"from": "", "to": "2025-12", "back_paid": "2030-01"}
    assert problems("social_insurance", [row]) == {
        "social_insurance[0].from": ["请按“年-月”填写起始年月，如 2015-07"],
    }


def test_education_level_and_degree_codes() -> None:
    base = {"from": "2004-09", "to": "2008-06"}
    assert problems("education", [{**base, "level": "phd"}]) == {
        "education[0].level": ["请选择学历"],
    }
    assert problems("education", [{**base, "level": "master", "degree": "mba"}]) == {
        "education[0].degree": ["请选择学位"],
    }
    assert problems("education", [{**base, "degree": "bachelor"}]) == {}
    assert problems("education", [{**base, "full_time": True}]) == {
        "education[0].level": ["学历和学位至少填写一项"],
    }


@pytest.mark.parametrize("level", sorted(RULES.level_names))
def test_every_education_level_is_accepted(level: str) -> None:
    assert problems("education", [{"level": level, "from": "2004-09", "to": "2008-06"}]) == {}


def test_innovation_codes_come_from_the_rule_set() -> None:
    assert problems("innovation", [{"code": "contest.municipal.third"}]) == {}
    assert problems("innovation", [{"code": "nobel.prize"}]) == {
        "innovation[0].code": ["请选择创新创业项目"],
    }


def test_the_declaration_keeps_no_table_of_the_rule_sets_codes() -> None:
    for name in ("HOUSING_KINDS", "LEVELS", "DEGREES", "INNOVATION_LABELS"):
        assert not hasattr(decl, name), name


def test_honour_codes_come_from_the_rule_set_and_count_once() -> None:
    assert problems("honours", [{"code": "model_worker"}, {"code": "moral_model"}]) == {}
    assert problems("honours", [{"code": "employee_of_the_month"}]) == {
        "honours[0].code": ["请选择荣誉类别"],
    }
    assert problems("honours", [{"code": "model_worker"}, {"code": "model_worker"}]) == {
        "honours[1].code": ["该荣誉已填报"],
    }


def test_violations() -> None:
    ok = {"kind": "administrative_detention", "date": "2021-03-05"}
    assert problems("violations", [ok, {"kind": "tax_offence", "date": "2026-03-15"}]) == {}
    assert problems("violations", [{**ok, "kind": "speeding"}]) == {
        "violations[0].kind": ["请选择记录类型"],
    }
    assert problems("violations", [{**ok, "date": "2021-3-5"}]) == {
        "violations[0].date": ["请按“年-月-日”填写日期，如 2021-03-05"],
    }
    assert problems("violations", [{**ok, "date": "2026-03-16"}]) == {
        "violations[0].date": ["日期不能晚于今天"],
    }
    assert problems("violations", [{**ok, "date": "2021-02-30"}]) == {
        "violations[0].date": ["日期无效"],
    }


def test_clean_declaration_collects_the_problems_of_every_section() -> None:
    data = decl.empty_declaration(YEAR)
    data["conditions"]["residence_permit"] = False
    data["tax"]["2023"] = "x"
    data["honours"] = [{"id": "h1", "code": "nope"}]
    fields = [e.field for e in decl.clean_declaration(data, year=YEAR, rule_set=RULES,
                                                       today=TODAY)]
    assert fields == ["conditions.residence_permit", "tax.2023", "honours[0].code"]


def test_clean_declaration_treats_missing_sections_as_empty() -> None:
    assert decl.clean_declaration({}, year=YEAR, rule_set=RULES, today=TODAY) == []


# --- to_profile ------------------------------------------------------------------------------


def profile(data: dict[str, Any], sex: str = "F") -> dict[str, Any]:
    return decl.to_profile(
        data, year=YEAR, rule_set="beijing-2020", application_no="26000001",
        id_number=ID_NUMBER, name="王素芳", sex=sex, birth_date="1988-03-15",
    )


def normalised(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: decl.normalise_section(k, v, YEAR) for k, v in raw.items()}


def test_to_profile_of_the_full_declaration() -> None:
    p = profile(normalised(full_declaration(YEAR)))
    assert p["format"] == "jifen.profile/1"
    assert (p["application_year"], p["rule_set"], p["application_no"]) == (
        2026, "beijing-2020", "26000001",
    )
    assert p["person"] == {
        "id_number": ID_NUMBER, "name": "王素芳", "sex": "F",
        "birth_date": "1988-03-15", "female_cadre": False, "residence_permit": True,
        "criminal_record": False,
    }
    assert p["social_insurance"] == [
        {"from": "2008-07", "to": "2025-12", "back_paid": ["2010-03", "2010-04"]},
    ]
    assert p["housing"][1] == {"kind": "owned", "from": "2016-01", "to": "2025-12",
                               "district": "通州区"}
    assert p["employment"] == [{"from": "2008-07", "to": "2025-12", "district": "通州区"}]
    assert p["education"] == [
        {"level": "bachelor", "degree": "bachelor", "full_time": True,
         "from": "2004-09", "to": "2008-06"},
    ]
    assert p["innovation"] == ["contest.municipal.third"]
    assert p["honours"] == ["model_worker"]
    assert p["violations"] == []
    # Row ids stay in the declaration: the engine never sees them.
    assert all("id" not in row for row in p["housing"] + p["social_insurance"])


def test_to_profile_gives_the_engine_numbers_for_tax_and_drops_empty_years() -> None:
    data = normalised({"tax": {"2023": "120000", "2024": "", "2025": "150000.50"}})
    assert profile(data)["tax"] == {"2023": 120000, "2025": 150000.5}
    assert isinstance(profile(data)["tax"]["2023"], int)


def test_to_profile_leaves_an_empty_level_or_degree_out() -> None:
    data = normalised({"education": [{"degree": "master", "from": "2010-09", "to": "2013-06"}]})
    assert profile(data)["education"][0]["level"] is None
    assert profile(data)["education"][0]["degree"] == "master"


def test_female_cadre_counts_only_for_women() -> None:
    data = normalised({"conditions": {"residence_permit": True, "female_cadre": True}})
    assert profile(data, sex="F")["person"]["female_cadre"] is True
    assert profile(data, sex="M")["person"]["female_cadre"] is False


def test_the_profile_of_a_clean_declaration_scores() -> None:
    result = score_profile(profile(normalised(full_declaration(YEAR))))
    assert result["eligible"] is True
    assert result["indicators"]["honours"] == 20.0
    assert result["total"] > 0


def test_an_empty_declaration_still_makes_a_valid_profile() -> None:
    # Valid for the engine, which then explains why the applicant is not eligible.
    result = score_profile(profile(decl.empty_declaration(YEAR)))
    assert result["eligible"] is False
    assert any("social insurance" in r for r in result["reasons"])


# --- issue 7: every bad back-paid month, impossible records, warnings, digits -----------------


def test_every_bad_back_paid_month_is_named() -> None:
    row = {"from": "2008-07", "to": "2025-12",
           "back_paid": "2010-03, 2010/04, 2008-01, 2010-13, 2026-02, 2011-05"}
    assert problems("social_insurance", [row]) == {
        "social_insurance[0].back_paid": [
            "补缴月份“2010/04”、“2010-13”应按“年-月”填写",
            "补缴月份 2008-01、2026-02 不在本段缴费期间内",
        ],
    }


def test_a_degree_on_a_junior_college_record_is_refused() -> None:
    row = {"level": "junior_college", "degree": "doctor", "full_time": True,
           "from": "2005-09", "to": "2008-06"}
    assert problems("education", [row]) == {
        "education[0].degree": ["大专学历不授予学位，请核对学历或学位（学位应另填一条）"],
    }
    # The same record without the degree is fine, and the degree alone on its own record.
    assert problems("education", [{**row, "degree": ""}]) == {}
    assert problems("education", [{**row, "level": "", "degree": "bachelor"}]) == {}


def warnings(raw: Any, birth: date | None = date(1988, 3, 15)) -> dict[str, list[str]]:
    value = decl.normalise_section("education", raw, YEAR)
    out: dict[str, list[str]] = {}
    for w in decl.warn_section("education", value, rule_set=RULES, birth_date=birth):
        out.setdefault(w.field, []).append(w.message)
    return out


def _record(level: str, start: str, end: str, degree: str | None = None,
            full_time: bool = True) -> dict[str, Any]:
    return {"level": level, "degree": level if degree is None and level != "junior_college"
            else (degree or ""), "full_time": full_time, "from": start, "to": end}


@pytest.mark.parametrize("level,start,end,months", [
    ("doctor", "2015-09", "2015-12", 4),          # the four-month doctorate
    ("doctor", "2015-09", "2017-05", 21),
    ("master", "2015-09", "2016-05", 9),
    ("bachelor", "2010-09", "2012-05", 21),
    ("junior_college", "2010-09", "2012-05", 21),
])
def test_study_periods_much_shorter_than_the_level_are_warned_about(
    level: str, start: str, end: str, months: int
) -> None:
    name = RULES.level_names[level]
    assert warnings([_record(level, start, end)]) == {
        "education[0].to": [
            f"{name}学习期间只有 {months} 个月，明显短于通常学制，请核对入学和毕业年月"],
    }
    # ...and the record is still valid: a warning never blocks.
    assert problems("education", [_record(level, start, end)]) == {}


@pytest.mark.parametrize("level,start,end", [
    ("doctor", "2015-09", "2017-06"),      # 22 months: the shortest accepted
    ("master", "2019-09", "2020-06"),      # a one-year master's
    ("bachelor", "2015-09", "2017-06"),    # 专升本
    ("junior_college", "2006-09", "2009-06"),
])
def test_usual_study_periods_are_not_warned_about(level: str, start: str, end: str) -> None:
    assert warnings([_record(level, start, end)]) == {}


def test_a_degree_above_the_level_is_warned_about() -> None:
    row = _record("bachelor", "2006-09", "2010-06", degree="master")
    assert warnings([row]) == {
        "education[0].degree": [
            "学位（硕士）高于学历（本科），请核对；以同等学力取得学位的请如实填写"],
    }


def test_study_before_fifteen_is_warned_about() -> None:
    row = _record("bachelor", "2002-09", "2006-06")
    assert warnings([row], birth=date(1988, 3, 15)) == {
        "education[0].from": ["入学时未满 15 周岁，请核对入学年月"],
    }
    assert warnings([row], birth=date(1987, 9, 1)) == {}
    assert warnings([row], birth=None) == {}


def test_overlapping_full_time_study_is_warned_about() -> None:
    bachelor = _record("bachelor", "2006-09", "2010-06")
    master = _record("master", "2009-09", "2012-06")
    assert warnings([bachelor, master]) == {
        "education[1].from": ["与第 1 条的全日制学习期间重叠，请核对"],
    }
    # Part-time study beside a job or a degree is common; one month's overlap is a date slip.
    assert warnings([bachelor, {**master, "full_time": False}]) == {}
    assert warnings([bachelor, {**master, "from": "2010-06"}]) == {}


def test_a_higher_level_finished_before_a_lower_one_began_is_warned_about() -> None:
    doctor = _record("doctor", "2006-09", "2010-06")
    bachelor = _record("bachelor", "2011-09", "2015-06")
    assert warnings([doctor, bachelor]) == {
        "education[1].from": ["与第 1 条相比，较高学历的毕业时间早于较低学历的入学时间，请核对"],
    }


def test_full_width_input_is_stored_as_ascii() -> None:
    value = decl.normalise_section("social_insurance", [
        {"from": "２００８－０７", "to": "２０２５－１２",
         "back_paid": "２０１０－０３，２０１０－０４"}
    ], YEAR)
    assert {k: v for k, v in value[0].items() if k != "id"} == {
        "from": "2008-07", "to": "2025-12", "back_paid": "2010-03,2010-04"}
    tax = decl.normalise_section("tax", {"2024": "１２００００．５０"}, YEAR)
    assert tax["2024"] == "120000.50"
    assert problems("social_insurance", value) == {}


ARABIC = "٢٠١٥-٠٧"  # 2015-07 in Arabic-Indic digits, which int() and \d accept


@pytest.mark.parametrize("key,raw,path", [
    ("social_insurance", [{"from": ARABIC, "to": "2020-12"}], "social_insurance[0].from"),
    ("social_insurance", [{"from": "2015-07", "to": "2020-12", "back_paid": "٢٠١٦-٠١"}],
     "social_insurance[0].back_paid"),
    ("housing", [{"kind": "owned", "from": "2015-07", "to": "२०२०-१२", "district": "海淀区"}],
     "housing[0].to"),
    ("violations", [{"kind": "tax_offence", "date": "٢٠٢٣-٠٥-١٠"}], "violations[0].date"),
    ("tax", {"2024": "١٢٠٠٠٠"}, "tax.2024"),
    ("innovation", [{"code": "award.municipal.٣"}], "innovation[0].code"),
])
def test_other_scripts_digits_are_refused_by_name(key: str, raw: Any, path: str) -> None:
    from jifen.core.text import FOREIGN_DIGIT_MESSAGE

    found = problems(key, raw)
    assert found[path] == [FOREIGN_DIGIT_MESSAGE]
    stored = decl.normalise_section(key, raw, YEAR)
    assert any(c in str(stored) for c in "٢٣२१")  # kept as typed, not read as a number
