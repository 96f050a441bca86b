"""Validation problems as data: every message the validator can give, in English and Chinese.

Each case below breaks the spec's example profile in one way and names the one problem the
validator must report: its path and code, the English line (``ProfileError.errors``, the
``jifen.error/1`` lines: a public interface, unchanged) and the Chinese the web shows.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import pytest

from jifen.rules import ProfileError, validate_profile
from jifen.rules.problems import EN, ZH, Problem, field_zh, json_type, problem_zh

from .profiles import person, spec_example

Change = Callable[[dict[str, Any]], Any]


def _set(path: tuple[Any, ...], value: Any) -> Change:
    def change(p: dict[str, Any]) -> None:
        for key in path[:-1]:
            p = p[key]
        p[path[-1]] = value

    return change


def _drop(path: tuple[Any, ...]) -> Change:
    def change(p: dict[str, Any]) -> None:
        for key in path[:-1]:
            p = p[key]
        del p[path[-1]]

    return change


def _person(**values: Any) -> Change:
    def change(p: dict[str, Any]) -> None:
        p["person"].update(values)

    return change


EDUCATION = {"level": "bachelor", "degree": "bachelor", "full_time": True,
             "from": "1994-09", "to": "1998-06"}  # fmt: skip

# (name, change, path, code, English message, Chinese message)
CASES: list[tuple[str, Change, str, str, str, str]] = [
    ("unknown top-level key", _set(("nickname",), "小王"), "nickname", "unknown_field",
     "unknown field", "没有这个字段（请检查拼写）"),
    ("missing person", _drop(("person",)), "person", "required", "is required", "必须填写"),
    ("missing level", _drop(("education", 0, "level")), "education[0].level",
     "required_or_null", "is required (null when there is none)", "必须填写（没有时填 null）"),
    ("housing not a list", _set(("housing",), "owned"), "housing", "wrong_type",
     "expected a list, got a string", "应为一个列表（[…]），实际是文本"),
    ("housing null", _set(("housing",), None), "housing", "wrong_type",
     "expected a list, got null", "应为一个列表（[…]），实际是空值（null）"),
    ("record not an object", _set(("housing", 0), ["owned"]), "housing[0]", "wrong_type",
     "expected an object, got a list", "应为一个对象（{…}），实际是列表"),
    ("number for a bool", _person(criminal_record=0), "person.criminal_record", "wrong_type",
     "expected true or false, got a number", "应为布尔值（true 或 false），实际是数字"),
    ("bool for a string", _person(sex=True), "person.sex", "wrong_type",
     "expected a string, got a boolean", "应为文本，实际是布尔值"),
    ("string for a year", _set(("application_year",), "2022"), "application_year",
     "wrong_type", "expected a whole year, got a string", "应为整数年份，实际是文本"),
    ("number for a back-paid month", _set(("social_insurance", 0, "back_paid"), [202001]),
     "social_insurance[0].back_paid[0]", "wrong_type", "expected a month YYYY-MM, got a number",
     "应为“年-月”格式的月份（YYYY-MM），实际是数字"),
    ("string for an amount", _set(("tax", "2021"), "100000"), "tax.2021", "wrong_type",
     "expected an amount in yuan, got a string", "应为以元为单位的金额（数字），实际是文本"),
    ("object for a name", _person(name={"a": 1}), "person.name", "wrong_type",
     "expected a string, got an object", "应为文本，实际是对象"),
    ("another format", _set(("format",), "jifen.profile/2"), "format", "wrong_format",
     "expected 'jifen.profile/1', got 'jifen.profile/2'",
     "格式应为 “jifen.profile/1”，实际是 “jifen.profile/2”"),
    ("implausible year", _set(("application_year",), 1800), "application_year",
     "implausible_year", "1800 is not a plausible year", "1800 不是合理的申报年度"),
    ("a year before the first round", _set(("application_year",), 2017), "application_year",
     "no_rule_set_for_year", "no rule set for application year 2017 (the earliest is 2018)",
     "2017 年度没有适用的积分规则（最早为 2018 年度）"),
    ("unknown rule set", _set(("rule_set",), "shanghai-2020"), "rule_set", "unknown_rule_set",
     "unknown rule set 'shanghai-2020' (known: beijing-2016, beijing-2020)",
     "没有名为 “shanghai-2020” 的积分规则（可用：beijing-2016、beijing-2020）"),
    ("not a month", _set(("housing", 0, "from"), "2002-3"), "housing[0].from", "bad_month",
     "expected a month YYYY-MM, got '2002-3'",
     "应按“年-月”填写月份，如 2021-07，填写的是 “2002-3”"),
    ("month 13", _set(("employment", 0, "to"), "2021-13"), "employment[0].to",
     "month_out_of_range", "month out of range in '2021-13'",
     "月份应在 01 至 12 之间，填写的是 “2021-13”"),
    ("a month for a date", _set(("violations",), [{"kind": "tax_offence", "date": "2021-02"}]),
     "violations[0].date", "bad_date", "expected a date YYYY-MM-DD, got '2021-02'",
     "应按“年-月-日”填写日期，如 2021-03-05，填写的是 “2021-02”"),
    ("no such day", _set(("violations",), [{"kind": "tax_offence", "date": "2021-02-30"}]),
     "violations[0].date", "invalid_date", "not a valid date: '2021-02-30'",
     "日期不存在：“2021-02-30”"),
    ("from after to", _set(("housing", 1, "from"), "2022-01"), "housing[1].from",
     "from_after_to", "2022-01 is after to 2021-12", "起始年月 2022-01 晚于截止年月 2021-12"),
    ("back-paid month outside", _set(("social_insurance", 0, "back_paid"), ["1998-06"]),
     "social_insurance[0].back_paid[0]", "back_paid_outside",
     "1998-06 is outside the record (1998-07..2021-12)",
     "补缴月份 1998-06 不在本段缴费期间（1998-07 至 2021-12）内"),
    ("short identity number", _person(id_number="11010519760115234"), "person.id_number",
     "id_length", "must have 18 characters, got 17", "公民身份号码应为 18 位，填写的是 17 位"),
    ("letters in the identity number", _person(id_number="1101051976011523A7"),
     "person.id_number", "id_digits", "the first 17 characters must be digits",
     "公民身份号码前 17 位应为数字"),
    ("bad last character", _person(id_number="11010519760115234Y"), "person.id_number",
     "id_last_character", "the last character must be a digit or X",
     "公民身份号码最后一位应为数字或 X"),
    ("bad check digit", _person(id_number="110105197601152348"), "person.id_number",
     "id_check_digit", "check digit is 8, expected 7",
     "公民身份号码校验位不正确（最后一位是 8，按前 17 位应为 7）"),
    ("unknown sex", _person(sex="X"), "person.sex", "bad_sex", "expected 'M' or 'F', got 'X'",
     "性别应为 M（男）或 F（女），填写的是 “X”"),
    ("sex against the number", _person(sex="M"), "person.sex", "sex_mismatch",
     "'M' does not agree with the identity number", "性别与公民身份号码不一致"),
    ("birth date against the number", _person(birth_date="1976-01-16"), "person.birth_date",
     "birth_mismatch", "1976-01-16 does not agree with the identity number (1976-01-15)",
     "出生日期 1976-01-16 与公民身份号码不一致（按公民身份号码为 1976-01-15）"),
    ("born after the cut-off", _set(("person",), person("2022-03-01", "F")),
     "person.birth_date", "birth_after_cutoff", "2022-03-01 is after the statistics cut-off",
     "出生日期 2022-03-01 晚于统计截止日"),
    ("unknown housing kind", _set(("housing", 0, "kind"), "bought"), "housing[0].kind",
     "unknown_housing_kind", "unknown kind 'bought' (owned, rented or dormitory)",
     "住所类型应为 owned（自有产权住房）、rented（租赁住房）、dormitory（单位宿舍） 之一，"
     "填写的是 “bought”"),
    ("unknown level", _set(("education", 0, "level"), "phd"), "education[0].level",
     "unknown_level", "unknown level 'phd' (junior_college, bachelor, master, doctor or null)",
     "学历应为 junior_college（大专）、bachelor（本科）、master（研究生（硕士））、"
     "doctor（研究生（博士）） 之一或 null，填写的是 “phd”"),
    ("unknown degree", _set(("education", 0, "degree"), "junior_college"),
     "education[0].degree", "unknown_degree",
     "unknown degree 'junior_college' (bachelor, master, doctor or null)",
     "学位应为 bachelor（学士）、master（硕士）、doctor（博士） 之一或 null，"
     "填写的是 “junior_college”"),
    ("unknown district", _set(("housing", 1, "district"), "通县"), "housing[1].district",
     "unknown_district", "unknown district '通县'", "没有名为 “通县” 的北京市区"),
    ("unknown innovation item", _set(("innovation",), ["award.galactic.first"]),
     "innovation[0]", "unknown_innovation", "unknown innovation item 'award.galactic.first'",
     "没有代码为 “award.galactic.first” 的创新创业项目"),
    ("a number for an innovation item", _set(("innovation",), [7]), "innovation[0]",
     "unknown_innovation", "unknown innovation item 7", "没有代码为 “7” 的创新创业项目"),
    ("unknown honour", _set(("honours",), ["nobel_prize"]), "honours[0]", "unknown_honour",
     "unknown honour 'nobel_prize' (model_worker, moral_model, heroic_model)",
     "没有代码为 “nobel_prize” 的荣誉，应为 model_worker（省部级以上劳动模范）、"
     "moral_model（全国/首都道德模范）、heroic_model（全国见义勇为英雄模范/首都见义勇为好市民）"
     " 之一"),
    ("unknown violation kind", _set(("violations",), [{"kind": "speeding",
                                                       "date": "2021-01-01"}]),
     "violations[0].kind", "unknown_violation_kind",
     "unknown kind 'speeding' (administrative_detention, tax_offence)",
     "记录类型应为 administrative_detention、tax_offence 之一，填写的是 “speeding”"),
    ("tax key not a year", _set(("tax", "last year"), 5), "tax.last year", "tax_year_key",
     "expected a year YYYY as the key", "应为四位年份（YYYY），如 2021"),
    ("negative tax", _set(("tax", "2021"), -1), "tax.2021", "negative_amount",
     "amount must not be negative, got -1", "金额不能为负数，填写的是 -1"),
    ("infinite tax", _set(("tax", "2021"), math.inf), "tax.2021", "negative_amount",
     "amount must not be negative, got inf", "金额必须是有限的数字"),
    ("negative fractional tax", _set(("tax", "2021"), -1.5), "tax.2021", "negative_amount",
     "amount must not be negative, got -1.5", "金额不能为负数，填写的是 -1.5"),
    ("a list for a district", _set(("housing", 0, "district"), ["通县"]), "housing[0].district",
     "wrong_type", "expected a string, got a list", "应为文本，实际是列表"),
    ("a list for an innovation item", _set(("innovation",), [["通县", 1]]), "innovation[0]",
     "unknown_innovation", "unknown innovation item ['通县', 1]",
     "没有代码为 “[\"通县\", 1]” 的创新创业项目"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "path", "code", "english", "chinese"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_problem_in_both_languages(
    change: Change, path: str, code: str, english: str, chinese: str
) -> None:
    profile = copy.deepcopy(spec_example(education=[dict(EDUCATION)]))
    change(profile)
    with pytest.raises(ProfileError) as caught:
        validate_profile(profile)
    problems = caught.value.problems
    assert [(p.path, p.code) for p in problems] == [(path, code)], caught.value.errors
    assert caught.value.errors == [f"{path}: {english}"]
    assert problems[0].message_zh == chinese
    assert problem_zh(problems[0]) == f"{field_zh(path)}：{chinese}"


def test_a_profile_that_is_not_an_object() -> None:
    with pytest.raises(ProfileError) as caught:
        validate_profile(["not", "a", "profile"])
    assert caught.value.errors == ["profile: expected a JSON object, got a list"]
    assert problem_zh(caught.value.problems[0]) == (
        "申请人信息：申请人信息应为一个 JSON 对象，实际是列表"
    )


def test_every_code_is_tested_and_has_both_languages() -> None:
    tested = {case[3] for case in CASES} | {"not_an_object"}
    assert tested == set(EN) == set(ZH)


def test_every_problem_is_reported_at_once() -> None:
    profile = spec_example()
    profile["housing"][1]["district"] = "通县"
    profile["honours"] = ["nobel_prize"]
    profile["person"]["sex"] = "M"
    with pytest.raises(ProfileError) as caught:
        validate_profile(profile)
    assert [p.path for p in caught.value.problems] == [
        "person.sex",
        "housing[1].district",
        "honours[0]",
    ]
    assert str(caught.value) == "; ".join(caught.value.errors)


@pytest.mark.parametrize(
    ("path", "chinese"),
    [
        ("housing[1].district", "住所记录第 2 条的所在区"),
        ("social_insurance[0].back_paid[2]", "社会保险缴费记录第 1 条的补缴月份第 3 项"),
        ("person.id_number", "申请人的公民身份号码"),
        ("tax.2021", "纳税记录的 2021 年度"),
        ("innovation[0]", "创新创业项目第 1 项"),
        ("honours[2]", "荣誉表彰第 3 项"),
        ("violations[1].kind", "违法记录第 2 条的类型"),
        ("education[0].level", "学历（学位）记录第 1 条的学历"),
        ("application_year", "申报年度"),
        ("nickname", "“nickname”"),
        ("housing[0].kinds", "住所记录第 1 条的“kinds”"),
        ("profile", "申请人信息"),
        ("person.2021", "申请人的“2021”"),  # a year is a year only in the tax table
        ("[]", "[]"),  # no field at all: the path as it is
    ],
)
def test_field_names_in_chinese(path: str, chinese: str) -> None:
    assert field_zh(path) == chinese


def test_values_that_are_not_json_are_still_named() -> None:
    """Python callers may pass anything: the messages still say what they got."""
    assert json_type((1, 2)) == "tuple"
    problem = Problem("innovation[0]", "unknown_innovation", {"code": {1, 2}})
    assert problem.message == "unknown innovation item {1, 2}"
    assert problem.message_zh == "没有代码为 “{1, 2}” 的创新创业项目"
    unnamed = Problem("housing[0].kind", "unknown_housing_kind", {"kind": "x", "names": {}})
    assert unnamed.message_zh == "住所类型应为  之一，填写的是 “x”"
    some = Problem("education[0].level", "unknown_level",
                   {"value": "x", "allowed": ["bachelor", "phd"], "names": {"bachelor": "本科"}})
    assert some.message_zh == "学历应为 bachelor（本科）、phd 之一或 null，填写的是 “x”"


def test_a_problem_is_plain_data() -> None:
    problem = Problem("housing[1].district", "unknown_district", {"district": "通县"})
    assert problem.text == "housing[1].district: unknown district '通县'"
    assert problem.message_zh == "没有名为 “通县” 的北京市区"
