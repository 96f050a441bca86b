"""The declaration (积分填报): its sections, their checks in Chinese, and the profile it makes.

A draft stores what the applicant typed, as typed (strings and booleans), so that nothing is
lost when a value is wrong; ``clean_section`` reports the problems, field by field, and
``to_profile`` turns a clean declaration into the rules engine's ``jifen.profile/1``.
No Django imports: this is plain data handling, tested on its own.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from jifen.core.errors import FieldError
from jifen.core.text import FOREIGN_DIGIT_MESSAGE, foreign_digit, halfwidth
from jifen.rules.ruleset import RuleSet, load_rule_set, rule_set_name_for_year


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    indicator: str  # the published indicator the section feeds
    help: str
    is_list: bool = True


# In the order of the published list (employment, housing, education, area, innovation, tax,
# age, honours, law), with the eligibility conditions first.
SECTIONS: tuple[Section, ...] = (
    Section(
        "conditions",
        "申请条件",
        "eligibility",
        "居住证、刑事犯罪记录等申请条件；女性干部身份影响法定退休年龄。",
        is_list=False,
    ),
    Section(
        "social_insurance",
        "合法稳定就业（社会保险）",
        "employment",
        "在本市连续缴纳社会保险的期间，按月填写起止年月；补缴月份另行列出。",
    ),
    Section(
        "housing",
        "合法稳定住所",
        "housing",
        "自有产权住房、租赁住房（已登记备案）或单位宿舍的居住期间及所在区。",
    ),
    Section(
        "education", "教育背景", "education", "取得的学历、学位及学习起止年月，注明是否全日制。"
    ),
    Section(
        "employment",
        "职住区域（就业地）",
        "area",
        "社会保险缴纳单位所在区的期间，用于计算职住区域指标。",
    ),
    Section(
        "innovation",
        "创新创业",
        "innovation",
        "获得的奖项、创新创业大赛名次或股权融资情况，取最高一项。",
    ),
    Section(
        "tax", "纳税", "tax", "积分规则计入的各纳税年度缴纳的个人所得税（元）。", is_list=False
    ),
    Section(
        "honours",
        "荣誉表彰",
        "honours",
        "省部级以上劳动模范、全国/首都道德模范、见义勇为英雄模范等荣誉。",
    ),
    Section(
        "violations", "守法记录", "law", "统计期内的行政拘留记录和涉税违法行为记录，如实填报。"
    ),
)
SECTION_KEYS = tuple(s.key for s in SECTIONS)
SECTIONS_BY_KEY = {s.key: s for s in SECTIONS}

# The Chinese names of housing kinds, education levels and degrees, innovation items and
# honours are the rule set's (RuleSet.housing_kind_names, level_names, degree_names,
# innovation_names, honour_codes): one table, read through the application's round.
VIOLATION_KINDS = {"administrative_detention": "行政拘留", "tax_offence": "涉税违法行为"}
# The conditions and their labels; the retirement age in the female cadre's label is the rule
# set's (see condition_labels).
CONDITION_FIELDS = {
    "residence_permit": "持有有效的北京市居住证",
    "criminal_record": "有刑事犯罪记录",
    "female_cadre": "女性干部身份",
}
# Fields of one row of each list section (besides its "id").
ROW_FIELDS: dict[str, tuple[str, ...]] = {
    "social_insurance": ("from", "to", "back_paid"),
    "housing": ("kind", "from", "to", "district"),
    "education": ("level", "degree", "full_time", "from", "to"),
    "employment": ("from", "to", "district"),
    "innovation": ("code",),
    "honours": ("code",),
    "violations": ("kind", "date"),
}
BOOL_ROW_FIELDS = {"full_time"}
MAX_ROWS = 50

# ASCII digits only: ``\d`` would also match other scripts' digits (Arabic-Indic ``٢``), which
# int() accepts; those are refused by name (FOREIGN_DIGIT_MESSAGE) instead.
_MONTH_RE = re.compile(r"^([0-9]{4})-([0-9]{2})$")
_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_AMOUNT_RE = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,2})?$")
_ID_RE = re.compile(r"^[A-Za-z0-9]{4,16}$")


def new_item_id() -> str:
    return secrets.token_hex(4)


def rule_set_in_force(year: int) -> RuleSet:
    """The rule set chosen by the application year (when the round's is not at hand)."""
    return load_rule_set(rule_set_name_for_year(year))


def tax_years(year: int, rule_set: RuleSet | None = None) -> list[str]:
    """The calendar years whose tax counts: the rule set's tax year offsets from ``year``
    (Y-3, Y-2, Y-1 in both Beijing rule sets). ``rule_set``: the round's; by default the one
    in force for ``year``."""
    rs = rule_set or rule_set_in_force(year)
    return [str(year + offset) for offset in rs.tax_year_offsets]


def condition_labels(rule_set: RuleSet) -> dict[str, str]:
    """The labels of the conditions, the female cadre's with the rule set's retirement age."""
    labels = dict(CONDITION_FIELDS)
    age = rule_set.retirement_age["F_cadre"]
    labels["female_cadre"] = f"{CONDITION_FIELDS['female_cadre']}（法定退休年龄{age}周岁）"
    return labels


def empty_declaration(year: int, rule_set: RuleSet | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {key: [] for key in ROW_FIELDS}
    data["conditions"] = {key: False for key in CONDITION_FIELDS}
    data["conditions"]["residence_permit"] = True
    data["tax"] = {y: "" for y in tax_years(year, rule_set)}
    return data


def _text(value: Any, limit: int = 200) -> str:
    """A typed value as stored: full-width forms (a Chinese input method's ``２０１５－０７``)
    folded to ASCII, trimmed, cut at ``limit``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return halfwidth(str(value)).strip()[:limit]


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return _text(value).lower() in {"1", "true", "on", "yes", "是"}


def normalise_section(key: str, raw: Any, year: int, rule_set: RuleSet | None = None) -> Any:
    """What is stored for a section: the typed values as strings/booleans, shape enforced.

    Never rejects: a value in the wrong shape becomes an empty value (the caller's checks
    still name the field). Full-width digits and signs become ASCII here, so every channel
    (page, autosave, API) stores ``2015-07`` for ``２０１５－０７``; other scripts' digits are
    kept as typed and refused by ``clean_section``. Rows keep their ``id`` (new rows get one)
    so evidence stays attached to its item.
    """
    if key == "conditions":
        raw = raw if isinstance(raw, dict) else {}
        return {f: _boolean(raw.get(f, False)) for f in CONDITION_FIELDS}
    if key == "tax":
        raw = raw if isinstance(raw, dict) else {}
        return {y: _text(raw.get(y, ""), 20) for y in tax_years(year, rule_set)}
    rows = raw if isinstance(raw, list) else []
    out = []
    for row in rows[:MAX_ROWS]:
        if not isinstance(row, dict):
            continue
        item_id = _text(row.get("id"), 16)
        clean: dict[str, Any] = {"id": item_id if _ID_RE.match(item_id) else new_item_id()}
        for f in ROW_FIELDS[key]:
            value = row.get(f)
            if f in BOOL_ROW_FIELDS:
                clean[f] = _boolean(value)
            elif f == "back_paid" and isinstance(value, list):
                clean[f] = ", ".join(_text(v, 7) for v in value)
            else:
                clean[f] = _text(value)
        if any(v not in ("", False) for f, v in clean.items() if f not in ("id", "full_time")):
            out.append(clean)  # wholly empty rows are dropped
    return out


def _month(text: str) -> int | None:
    m = _MONTH_RE.match(text)
    if not m:
        return None
    y, mo = int(m.group(1)), int(m.group(2))
    if not (1900 <= y <= 2100 and 1 <= mo <= 12):
        return None
    return y * 12 + mo - 1


def _back_paid_months(text: str) -> list[str]:
    return [p for p in re.split(r"[\s,，、;；]+", text) if p]


class _Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        self.items.append(FieldError(field, message))


def _check_range(e: _Errors, path: str, row: dict[str, Any], now_month: int) -> None:
    start, end = _month(row.get("from", "")), _month(row.get("to", ""))
    if start is None:
        e.add(f"{path}.from", "请按“年-月”填写起始年月，如 2015-07")
    if end is None:
        e.add(f"{path}.to", "请按“年-月”填写截止年月，如 2021-12")
    if start is not None and end is not None and start > end:
        e.add(f"{path}.to", "截止年月不能早于起始年月")
    if end is not None and end > now_month:
        e.add(f"{path}.to", "截止年月不能晚于当前月份")


def clean_section(
    key: str, value: Any, *, year: int, rule_set: RuleSet, today: date | None = None
) -> list[FieldError]:
    """The problems of one (normalised) section, each naming its field path."""
    today = today or date.today()
    now_month = today.year * 12 + today.month - 1
    e = _Errors()
    if key == "conditions":
        if not value.get("residence_permit"):
            e.add("conditions.residence_permit", "申请人须持有有效的北京市居住证")
        if value.get("criminal_record"):
            e.add("conditions.criminal_record", "有刑事犯罪记录的不符合申请条件")
        return e.items
    if key == "tax":
        for y, amount in value.items():
            if amount and not _AMOUNT_RE.match(amount):
                e.add(f"tax.{y}", "请填写不小于0的金额（元），最多两位小数")
        return _foreign_digits_first(e.items, {f"tax.{y}": a for y, a in value.items()})
    typed: dict[str, Any] = {}
    for i, row in enumerate(value):
        typed.update({f"{key}[{i}].{f}": v for f, v in row.items() if f != "id"})
    for i, row in enumerate(value):
        path = f"{key}[{i}]"
        if key in ("social_insurance", "housing", "employment", "education"):
            _check_range(e, path, row, now_month)
        if key in ("housing", "employment") and row.get("district") not in rule_set.districts:
            e.add(f"{path}.district", "请选择北京市的区")
        if key == "housing" and row.get("kind") not in rule_set.housing_kind_names:
            e.add(f"{path}.kind", "请选择住所类型")
        if key == "social_insurance":
            _check_back_paid(e, path, row)
        if key == "education":
            if row.get("level") and row["level"] not in rule_set.level_names:
                e.add(f"{path}.level", "请选择学历")
            if row.get("degree") and row["degree"] not in rule_set.degree_names:
                e.add(f"{path}.degree", "请选择学位")
            if not row.get("level") and not row.get("degree"):
                e.add(f"{path}.level", "学历和学位至少填写一项")
            if row.get("level") == "junior_college" and row.get("degree"):
                e.add(f"{path}.degree", "大专学历不授予学位，请核对学历或学位（学位应另填一条）")
        if key == "innovation" and row.get("code") not in rule_set.innovation_items:
            e.add(f"{path}.code", "请选择创新创业项目")
        if key == "honours" and row.get("code") not in rule_set.honour_codes:
            e.add(f"{path}.code", "请选择荣誉类别")
        if key == "violations":
            if row.get("kind") not in VIOLATION_KINDS:
                e.add(f"{path}.kind", "请选择记录类型")
            d = row.get("date", "")
            if not _DATE_RE.match(d):
                e.add(f"{path}.date", "请按“年-月-日”填写日期，如 2021-03-05")
            else:
                try:
                    if date.fromisoformat(d) > today:
                        e.add(f"{path}.date", "日期不能晚于今天")
                except ValueError:
                    e.add(f"{path}.date", "日期无效")
    if key == "honours":
        seen: set[str] = set()
        for i, row in enumerate(value):
            if row.get("code") in seen:
                e.add(f"honours[{i}].code", "该荣誉已填报")
            seen.add(row.get("code", ""))
    return _foreign_digits_first(e.items, typed)


def _foreign_digits_first(errors: list[FieldError], typed: dict[str, Any]) -> list[FieldError]:
    """A field typed with another script's digits (``٢٠١٥-٠٧``) gets FOREIGN_DIGIT_MESSAGE
    instead of its other problems (which would only say the format is wrong)."""
    foreign = [path for path, v in typed.items() if isinstance(v, str) and foreign_digit(v)]
    if not foreign:
        return errors
    kept = [err for err in errors if err.field not in foreign]
    return [FieldError(path, FOREIGN_DIGIT_MESSAGE) for path in foreign] + kept


def _check_back_paid(e: _Errors, path: str, row: dict[str, Any]) -> None:
    """Every back-paid month that is not a month, and every one outside the row's period,
    named in one message each."""
    start, end = _month(row.get("from", "")), _month(row.get("to", ""))
    malformed, outside = [], []
    for m in _back_paid_months(row.get("back_paid", "")):
        mi = _month(m)
        if mi is None:
            malformed.append(m)
        elif start is not None and end is not None and not start <= mi <= end:
            outside.append(m)
    if malformed:
        quoted = "、".join(f"“{m}”" for m in malformed)
        e.add(f"{path}.back_paid", f"补缴月份{quoted}应按“年-月”填写")
    if outside:
        e.add(f"{path}.back_paid", f"补缴月份 {'、'.join(outside)} 不在本段缴费期间内")


# Warnings: shown beside the fields, never blocking a save or the submission (unusual records
# exist: part-time study, 专升本, 同等学力 degrees, a second degree later in life).
#
# The shortest regular programme of each level (博士, 本科 including 专升本, 大专: two years;
# 硕士: one year), less the two summer months at its ends, counted in calendar months from
# the first to the last inclusive: a shorter record is warned about.
MIN_STUDY_MONTHS = {"junior_college": 22, "bachelor": 22, "master": 10, "doctor": 22}
LEVEL_RANK = {"junior_college": 0, "bachelor": 1, "master": 2, "doctor": 3}
# Starting tertiary study before this age is warned about.
MIN_STUDY_AGE = 15


def _tier(row: dict[str, Any]) -> int | None:
    """The rank of a record's level (or of its degree when it names no level)."""
    return LEVEL_RANK.get(row.get("level") or row.get("degree") or "")


def warn_section(
    key: str, value: Any, *, rule_set: RuleSet, birth_date: date | None = None
) -> list[FieldError]:
    """What is possible but unlikely in a (normalised) section: each warning names its field.
    Only the education records have such checks."""
    if key != "education" or not isinstance(value, list):
        return []
    levels, degrees = rule_set.level_names, rule_set.degree_names
    w = _Errors()
    periods: list[tuple[int, int, int | None, dict[str, Any]]] = []
    for i, row in enumerate(value):
        path = f"education[{i}]"
        start, end = _month(row.get("from", "")), _month(row.get("to", ""))
        level, degree = row.get("level", ""), row.get("degree", "")
        if start is None or end is None or start > end:
            continue
        months = end - start + 1
        shortest = MIN_STUDY_MONTHS.get(level)
        if shortest is not None and months < shortest:
            w.add(f"{path}.to", f"{levels[level]}学习期间只有 {months} 个月，明显短于通常学制，"
                                "请核对入学和毕业年月")
        if level in LEVEL_RANK and degree in LEVEL_RANK and LEVEL_RANK[degree] > LEVEL_RANK[level]:
            w.add(f"{path}.degree", f"学位（{degrees[degree]}）高于学历（{levels[level]}），"
                                    "请核对；以同等学力取得学位的请如实填写")
        if birth_date is not None:
            age_months = start - (birth_date.year * 12 + birth_date.month - 1)
            if age_months < MIN_STUDY_AGE * 12:
                w.add(f"{path}.from", f"入学时未满 {MIN_STUDY_AGE} 周岁，请核对入学年月")
        tier = _tier(row)
        for j, (other_start, other_end, other_tier, other) in enumerate(periods):
            both_full_time = row.get("full_time") and other.get("full_time")
            if both_full_time and min(end, other_end) - max(start, other_start) >= 1:
                w.add(f"{path}.from", f"与第 {j + 1} 条的全日制学习期间重叠，请核对")
            if tier is not None and other_tier is not None and tier != other_tier:
                higher_first = (tier > other_tier and end < other_start) or (
                    other_tier > tier and other_end < start
                )
                if higher_first:
                    w.add(f"{path}.from", f"与第 {j + 1} 条相比，较高学历的毕业时间早于较低学历"
                                          "的入学时间，请核对")
        periods.append((start, end, tier, row))
    return w.items


def clean_declaration(
    data: dict[str, Any], *, year: int, rule_set: RuleSet, today: date | None = None
) -> list[FieldError]:
    errors: list[FieldError] = []
    for key in SECTION_KEYS:
        errors.extend(
            clean_section(
                key,
                data.get(key, empty_declaration(year, rule_set)[key]),
                year=year,
                rule_set=rule_set,
                today=today,
            )
        )
    return errors


def _amount(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


def to_profile(
    data: dict[str, Any],
    *,
    year: int,
    rule_set: str,
    application_no: str,
    id_number: str,
    name: str,
    sex: str,
    birth_date: str,
) -> dict[str, Any]:
    """The rules engine's profile (jifen.profile/1) for a declaration that passed its checks."""
    cond = data.get("conditions", {})
    tax = {y: _amount(a) for y, a in data.get("tax", {}).items() if a}
    return {
        "format": "jifen.profile/1",
        "application_year": year,
        "rule_set": rule_set,
        "application_no": application_no,
        "person": {
            "id_number": id_number,
            "name": name,
            "sex": sex,
            "birth_date": birth_date,
            "female_cadre": bool(cond.get("female_cadre")) and sex == "F",
            "residence_permit": bool(cond.get("residence_permit")),
            "criminal_record": bool(cond.get("criminal_record")),
        },
        "social_insurance": [
            {
                "from": r["from"],
                "to": r["to"],
                "back_paid": _back_paid_months(r.get("back_paid", "")),
            }
            for r in data.get("social_insurance", [])
        ],
        "housing": [
            {"kind": r["kind"], "from": r["from"], "to": r["to"], "district": r["district"]}
            for r in data.get("housing", [])
        ],
        "employment": [
            {"from": r["from"], "to": r["to"], "district": r["district"]}
            for r in data.get("employment", [])
        ],
        "education": [
            {
                "level": r.get("level") or None,
                "degree": r.get("degree") or None,
                "full_time": bool(r.get("full_time")),
                "from": r["from"],
                "to": r["to"],
            }
            for r in data.get("education", [])
        ],
        "innovation": [r["code"] for r in data.get("innovation", [])],
        "tax": tax,
        "honours": [r["code"] for r in data.get("honours", [])],
        "violations": [{"kind": r["kind"], "date": r["date"]} for r in data.get("violations", [])],
    }


# Where ``from_profile`` keeps the tax years a profile names outside the rule set's window:
# the engine ignores them, the tax section has no field for them, and ``to_profile`` leaves
# them out (so the declared profile is the one the web would give); kept, so nothing is lost.
TAX_OUTSIDE_WINDOW = "tax_outside_window"


def _typed_amount(amount: int | float) -> str:
    """An amount as a person would type it: ``100000`` for 100000 and 100000.0, ``99999.99``."""
    if isinstance(amount, float) and amount.is_integer():
        return str(int(amount))
    return repr(amount) if isinstance(amount, float) else str(amount)


def from_profile(profile: dict[str, Any], *, year: int, rule_set: RuleSet | str) -> dict[str, Any]:
    """The stored declaration of a valid ``jifen.profile/1`` (the inverse of ``to_profile``).

    Strings as typed, a fresh row id per row, the conditions, and the tax dict of the rule
    set's tax years (``""`` for a year the profile leaves out); years outside that window go
    to ``TAX_OUTSIDE_WINDOW``. The person (identity number, name, sex, birth date) is the
    applicant's, not the declaration's. ``to_profile`` of the result gives ``profile`` back
    with its defaults filled in (empty lists, ``back_paid: []``, ``female_cadre: false``),
    an identity number's ``x`` as ``X`` and, for a man, ``female_cadre`` false.
    """
    rs = load_rule_set(rule_set) if isinstance(rule_set, str) else rule_set
    person = profile.get("person") or {}
    # One random draw for all the row ids (a bulk import makes millions of them).
    count = sum(len(profile.get(key) or ()) for key in ROW_FIELDS)
    random_hex = os.urandom(4 * count).hex()
    ids = iter(random_hex[i : i + 8] for i in range(0, 8 * count, 8))

    def rows(key: str, fields: tuple[str, ...]) -> list[dict[str, Any]]:
        return [{"id": next(ids), **{f: r[f] for f in fields}} for r in profile.get(key) or ()]

    window = tax_years(year, rs)
    declared_tax = profile.get("tax") or {}
    data: dict[str, Any] = {
        "conditions": {
            "residence_permit": bool(person.get("residence_permit")),
            "criminal_record": bool(person.get("criminal_record")),
            "female_cadre": bool(person.get("female_cadre")),
        },
        "social_insurance": [
            {
                "id": next(ids),
                "from": r["from"],
                "to": r["to"],
                "back_paid": ", ".join(r.get("back_paid") or ()),
            }
            for r in profile.get("social_insurance") or ()
        ],
        "housing": rows("housing", ROW_FIELDS["housing"]),
        "education": [
            {
                "id": next(ids),
                "level": r.get("level") or "",
                "degree": r.get("degree") or "",
                "full_time": bool(r.get("full_time")),
                "from": r["from"],
                "to": r["to"],
            }
            for r in profile.get("education") or ()
        ],
        "employment": rows("employment", ROW_FIELDS["employment"]),
        "innovation": [{"id": next(ids), "code": c} for c in profile.get("innovation") or ()],
        "tax": {
            y: _typed_amount(declared_tax[y]) if y in declared_tax else "" for y in window
        },
        "honours": [{"id": next(ids), "code": c} for c in profile.get("honours") or ()],
        "violations": rows("violations", ROW_FIELDS["violations"]),
    }
    outside = {y: _typed_amount(a) for y, a in declared_tax.items() if y not in window}
    if outside:
        data[TAX_OUTSIDE_WINDOW] = outside
    return data


def item_ids(data: dict[str, Any], section: str) -> set[str]:
    value = data.get(section)
    if isinstance(value, list):
        return {r.get("id", "") for r in value if isinstance(r, dict)}
    return set()
