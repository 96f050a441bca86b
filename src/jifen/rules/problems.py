"""What is wrong with a profile, as data: a field path, a code and its parameters.

The validator (``profile``) records each problem as a :class:`Problem`; its English (the
``jifen.error/1`` lines of ``jifen score`` and ``ProfileError.errors``, a public interface:
``housing[1].district: unknown district '通县'``) and its Chinese (the web's messages:
``没有名为“通县”的区``) are both written from it, here, one entry per code.

Codes (parameters):

- ``not_an_object`` (got): the profile itself is not a JSON object (path ``profile``).
- ``unknown_field``: a key the format does not have.
- ``required``; ``required_or_null``: a missing key (the second may be null).
- ``wrong_type`` (expected, got): ``expected`` is ``object``, ``list``, ``boolean``,
  ``string``, ``year``, ``month`` or ``amount``; ``got`` the JSON type found (``null``,
  ``boolean``, ``number``, ``string``, ``list``, ``object``).
- ``wrong_format`` (expected, got): the ``format`` is another one.
- ``implausible_year`` (year); ``no_rule_set_for_year`` (year, earliest);
  ``unknown_rule_set`` (name, known).
- ``bad_month`` (text); ``month_out_of_range`` (text); ``bad_date`` (text);
  ``invalid_date`` (text); ``from_after_to`` (first, last);
  ``back_paid_outside`` (month, first, last).
- ``id_length`` (length); ``id_digits``; ``id_last_character``; ``id_check_digit`` (got,
  expected): the identity number (GB 11643).
- ``bad_sex`` (sex); ``sex_mismatch`` (sex); ``birth_mismatch`` (birth, expected);
  ``birth_after_cutoff`` (birth).
- ``unknown_housing_kind`` (kind, names); ``unknown_level`` (value, allowed, names);
  ``unknown_degree`` (value, allowed, names); ``unknown_district`` (district);
  ``unknown_innovation`` (code); ``unknown_honour`` (code, known, names);
  ``unknown_violation_kind`` (kind, known). ``names``: the Chinese names of the codes that
  are allowed, from the rule set.
- ``tax_year_key``; ``negative_amount`` (amount): a negative or non-finite amount.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem of a profile: where (``path``), what (``code``) and its ``params``."""

    path: str
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The English message (without the path)."""
        return EN[self.code](self.params)

    @property
    def text(self) -> str:
        """The English line: ``path: message``."""
        return f"{self.path}: {self.message}"

    @property
    def message_zh(self) -> str:
        """The Chinese message (without the field)."""
        return ZH[self.code](self.params)


def json_type(value: Any) -> str:
    """The JSON type of a value, as the ``got`` parameter names it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__  # not JSON at all (a caller passing Python objects)


# ---------------------------------------------------------------- English (public, exact)

_EXPECTED_EN = {
    "object": "an object",
    "list": "a list",
    "boolean": "true or false",
    "string": "a string",
    "year": "a whole year",
    "month": "a month YYYY-MM",
    "amount": "an amount in yuan",
}
_GOT_EN = {
    "null": "null",
    "boolean": "a boolean",
    "number": "a number",
    "string": "a string",
    "list": "a list",
    "object": "an object",
}

Params = Mapping[str, Any]

EN: dict[str, Callable[[Params], str]] = {
    "not_an_object": lambda p: f"expected a JSON object, got {_GOT_EN.get(p['got'], p['got'])}",
    "unknown_field": lambda p: "unknown field",
    "required": lambda p: "is required",
    "required_or_null": lambda p: "is required (null when there is none)",
    "wrong_type": lambda p: (
        f"expected {_EXPECTED_EN[p['expected']]}, got {_GOT_EN.get(p['got'], p['got'])}"
    ),
    "wrong_format": lambda p: f"expected {p['expected']!r}, got {p['got']!r}",
    "implausible_year": lambda p: f"{p['year']} is not a plausible year",
    "no_rule_set_for_year": lambda p: (
        f"no rule set for application year {p['year']} (the earliest is {p['earliest']})"
    ),
    "unknown_rule_set": lambda p: (
        f"unknown rule set {p['name']!r} (known: {', '.join(p['known'])})"
    ),
    "bad_month": lambda p: f"expected a month YYYY-MM, got {p['text']!r}",
    "month_out_of_range": lambda p: f"month out of range in {p['text']!r}",
    "bad_date": lambda p: f"expected a date YYYY-MM-DD, got {p['text']!r}",
    "invalid_date": lambda p: f"not a valid date: {p['text']!r}",
    "from_after_to": lambda p: f"{p['first']} is after to {p['last']}",
    "back_paid_outside": lambda p: (
        f"{p['month']} is outside the record ({p['first']}..{p['last']})"
    ),
    "id_length": lambda p: f"must have 18 characters, got {p['length']}",
    "id_digits": lambda p: "the first 17 characters must be digits",
    "id_last_character": lambda p: "the last character must be a digit or X",
    "id_check_digit": lambda p: f"check digit is {p['got']}, expected {p['expected']}",
    "bad_sex": lambda p: f"expected 'M' or 'F', got {p['sex']!r}",
    "sex_mismatch": lambda p: f"{p['sex']!r} does not agree with the identity number",
    "birth_mismatch": lambda p: (
        f"{p['birth']} does not agree with the identity number ({p['expected']})"
    ),
    "birth_after_cutoff": lambda p: f"{p['birth']} is after the statistics cut-off",
    "unknown_housing_kind": lambda p: f"unknown kind {p['kind']!r} (owned, rented or dormitory)",
    "unknown_level": lambda p: f"unknown level {p['value']!r} ({', '.join(p['allowed'])} or null)",
    "unknown_degree": lambda p: (
        f"unknown degree {p['value']!r} ({', '.join(p['allowed'])} or null)"
    ),
    "unknown_district": lambda p: f"unknown district {p['district']!r}",
    "unknown_innovation": lambda p: f"unknown innovation item {p['code']!r}",
    "unknown_honour": lambda p: f"unknown honour {p['code']!r} ({', '.join(p['known'])})",
    "unknown_violation_kind": lambda p: f"unknown kind {p['kind']!r} ({', '.join(p['known'])})",
    "tax_year_key": lambda p: "expected a year YYYY as the key",
    "negative_amount": lambda p: f"amount must not be negative, got {p['amount']}",
}

# ---------------------------------------------------------------- Chinese (the web's)

_EXPECTED_ZH = {
    "object": "一个对象（{…}）",
    "list": "一个列表（[…]）",
    "boolean": "布尔值（true 或 false）",
    "string": "文本",
    "year": "整数年份",
    "month": "“年-月”格式的月份（YYYY-MM）",
    "amount": "以元为单位的金额（数字）",
}
_GOT_ZH = {
    "null": "空值（null）",
    "boolean": "布尔值",
    "number": "数字",
    "string": "文本",
    "list": "列表",
    "object": "对象",
}


def _shown(value: Any) -> str:
    """A value as typed, quoted: “通县”, “5”, “["x"]”."""
    if isinstance(value, str):
        return f"“{value}”"
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return f"“{text}”"


def _choices(codes: Any, names: Mapping[str, str]) -> str:
    """Codes with their Chinese names: owned（自有产权住房）、rented（租赁住房）."""
    return "、".join(f"{c}（{names[c]}）" if c in names else c for c in codes)


def _amount_zh(p: Params) -> str:
    amount = p["amount"]
    if isinstance(amount, float) and not math.isfinite(amount):
        return "金额必须是有限的数字"
    return f"金额不能为负数，填写的是 {amount}"


ZH: dict[str, Callable[[Params], str]] = {
    "not_an_object": lambda p: (
        f"申请人信息应为一个 JSON 对象，实际是{_GOT_ZH.get(p['got'], p['got'])}"
    ),
    "unknown_field": lambda p: "没有这个字段（请检查拼写）",
    "required": lambda p: "必须填写",
    "required_or_null": lambda p: "必须填写（没有时填 null）",
    "wrong_type": lambda p: (
        f"应为{_EXPECTED_ZH[p['expected']]}，实际是{_GOT_ZH.get(p['got'], p['got'])}"
    ),
    "wrong_format": lambda p: f"格式应为 {_shown(p['expected'])}，实际是 {_shown(p['got'])}",
    "implausible_year": lambda p: f"{p['year']} 不是合理的申报年度",
    "no_rule_set_for_year": lambda p: (
        f"{p['year']} 年度没有适用的积分规则（最早为 {p['earliest']} 年度）"
    ),
    "unknown_rule_set": lambda p: (
        f"没有名为 {_shown(p['name'])} 的积分规则（可用：{'、'.join(p['known'])}）"
    ),
    "bad_month": lambda p: f"应按“年-月”填写月份，如 2021-07，填写的是 {_shown(p['text'])}",
    "month_out_of_range": lambda p: f"月份应在 01 至 12 之间，填写的是 {_shown(p['text'])}",
    "bad_date": lambda p: f"应按“年-月-日”填写日期，如 2021-03-05，填写的是 {_shown(p['text'])}",
    "invalid_date": lambda p: f"日期不存在：{_shown(p['text'])}",
    "from_after_to": lambda p: f"起始年月 {p['first']} 晚于截止年月 {p['last']}",
    "back_paid_outside": lambda p: (
        f"补缴月份 {p['month']} 不在本段缴费期间（{p['first']} 至 {p['last']}）内"
    ),
    "id_length": lambda p: f"公民身份号码应为 18 位，填写的是 {p['length']} 位",
    "id_digits": lambda p: "公民身份号码前 17 位应为数字",
    "id_last_character": lambda p: "公民身份号码最后一位应为数字或 X",
    "id_check_digit": lambda p: (
        f"公民身份号码校验位不正确（最后一位是 {p['got']}，按前 17 位应为 {p['expected']}）"
    ),
    "bad_sex": lambda p: f"性别应为 M（男）或 F（女），填写的是 {_shown(p['sex'])}",
    "sex_mismatch": lambda p: "性别与公民身份号码不一致",
    "birth_mismatch": lambda p: (
        f"出生日期 {p['birth']} 与公民身份号码不一致（按公民身份号码为 {p['expected']}）"
    ),
    "birth_after_cutoff": lambda p: f"出生日期 {p['birth']} 晚于统计截止日",
    "unknown_housing_kind": lambda p: (
        f"住所类型应为 {_choices(p['names'], p['names'])} 之一，填写的是 {_shown(p['kind'])}"
    ),
    "unknown_level": lambda p: (
        f"学历应为 {_choices(p['allowed'], p['names'])} 之一或 null，填写的是 {_shown(p['value'])}"
    ),
    "unknown_degree": lambda p: (
        f"学位应为 {_choices(p['allowed'], p['names'])} 之一或 null，填写的是 {_shown(p['value'])}"
    ),
    "unknown_district": lambda p: f"没有名为 {_shown(p['district'])} 的北京市区",
    "unknown_innovation": lambda p: f"没有代码为 {_shown(p['code'])} 的创新创业项目",
    "unknown_honour": lambda p: (
        f"没有代码为 {_shown(p['code'])} 的荣誉，应为 {_choices(p['known'], p['names'])} 之一"
    ),
    "unknown_violation_kind": lambda p: (
        f"记录类型应为 {'、'.join(p['known'])} 之一，填写的是 {_shown(p['kind'])}"
    ),
    "tax_year_key": lambda p: "应为四位年份（YYYY），如 2021",
    "negative_amount": _amount_zh,
}

# ---------------------------------------------------------------- field paths in Chinese

_SECTIONS_ZH = {
    "profile": "申请人信息",
    "format": "格式",
    "application_year": "申报年度",
    "rule_set": "积分规则",
    "application_no": "申报编号",
    "person": "申请人",
    "social_insurance": "社会保险缴费记录",
    "housing": "住所记录",
    "employment": "就业记录",
    "education": "学历（学位）记录",
    "innovation": "创新创业项目",
    "tax": "纳税记录",
    "honours": "荣誉表彰",
    "violations": "违法记录",
}
_FIELDS_ZH = {
    "id_number": "公民身份号码",
    "name": "姓名",
    "sex": "性别",
    "birth_date": "出生日期",
    "female_cadre": "女性干部身份",
    "residence_permit": "北京市居住证",
    "criminal_record": "刑事犯罪记录",
    "from": "起始年月",
    "to": "截止年月",
    "back_paid": "补缴月份",
    "kind": "类型",
    "district": "所在区",
    "level": "学历",
    "degree": "学位",
    "full_time": "全日制",
    "date": "日期",
}
_CODE_LISTS = (_SECTIONS_ZH["innovation"], _SECTIONS_ZH["honours"])
_STEP = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


def field_zh(path: str) -> str:
    """A reader's name for a field path: ``housing[1].district`` → 住所记录第 2 条的所在区."""
    words: list[str] = []
    for i, m in enumerate(_STEP.finditer(path)):
        name, index = m.group(1), m.group(2)
        if index is not None:
            # A record of a list section is a 条; an item of a list inside it, or a code, a 项.
            whole = len(words) == 1 and words[0] not in _CODE_LISTS
            words.append(f"第 {int(index) + 1} {'条' if whole else '项'}")
        elif i == 0:
            words.append(_SECTIONS_ZH.get(name, f"“{name}”"))
        elif words and words[0] == _SECTIONS_ZH["tax"] and name.isdigit():
            words.append(f"的 {name} 年度")
        else:
            words.append("的" + _FIELDS_ZH.get(name, f"“{name}”"))
    return "".join(words) if words else path


def problem_zh(problem: Problem) -> str:
    """The Chinese message naming its field.

    ``housing[1].district`` unknown: ``住所记录第 2 条的所在区：没有名为“通县”的北京市区``.
    """
    return f"{field_zh(problem.path)}：{problem.message_zh}"
