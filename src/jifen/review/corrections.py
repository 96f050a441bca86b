"""A reviewer's correction: the records of one kind typed as rows with the kind's columns.

The rows are those of the department files (``department-records.md``) without ``id_number``:
the same columns, the same checks, and ``records.recorded`` makes the verified value from them,
as a comparison does from a file's rows. ``parse_correction`` is the one place these checks
live for the reviewers' pages and API.

INTEGRATOR: when ``record_files`` lands, its per-row checks (``parse_record_file``) and these
must be one: build the rows here through its row parser and keep only the Chinese field naming.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from jifen.core.errors import FieldError, InvalidInput
from jifen.core.text import FOREIGN_DIGIT_MESSAGE, foreign_digit, halfwidth
from jifen.rules.ruleset import RuleSet

from . import records
from .kinds import KINDS

# The columns of each kind's rows, as in the department files less ``id_number``.
COLUMNS: dict[str, tuple[str, ...]] = {
    "permits": (),
    "criminal_records": (),
    "detentions": ("date",),
    "social_insurance": ("from", "to", "back_paid"),
    "employment": ("from", "to", "district"),
    "housing": ("kind", "from", "to", "district"),
    "education": ("level", "degree", "full_time", "from", "to"),
    "tax": ("year", "amount"),
    "tax_offences": ("date",),
    "innovation": ("code",),
    "honours": ("code",),
}
assert tuple(COLUMNS) == KINDS

COLUMN_NAMES: dict[str, str] = {
    "date": "日期",
    "from": "起始年月",
    "to": "截止年月",
    "back_paid": "补缴月份",
    "district": "所在区",
    "kind": "住所类型",
    "level": "学历",
    "degree": "学位",
    "full_time": "全日制",
    "year": "年度",
    "amount": "金额（元）",
    "code": "项目",
}

BOOLEAN_KINDS = frozenset(k for k, cols in COLUMNS.items() if not cols)
MAX_ROWS = 500

_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_YEAR = re.compile(r"^[0-9]{4}$")
_AMOUNT = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,2})?$")
_SEPARATORS = re.compile(r"[\s;；,，、]+")
_YES = {"true", "是", "1", "yes", "y", "有"}
_NO = {"false", "否", "0", "no", "n", "无"}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return halfwidth(str(value)).strip()


def _shown(text: str) -> str:
    """What was typed, as quoted in a message (cut short)."""
    return text if len(text) <= 40 else text[:40] + "…"


def _month(text: str) -> int | None:
    m = _MONTH.match(text)
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    return None


def _by_code_or_name(text: str, names: Mapping[str, str]) -> str | None:
    """A code as it is, or the code of a Chinese name (``本科`` → ``bachelor``)."""
    if text in names:
        return text
    for code, name in names.items():
        if name == text:
            return code
    return None


class _Rows:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, index: int | None, column: str | None, message: str) -> None:
        if index is None:
            self.errors.append(FieldError("value", message))
            return
        where = f"第 {index + 1} 行"
        if column is not None:
            where += f"“{COLUMN_NAMES.get(column, column)}”"
            self.errors.append(FieldError(f"value[{index}].{column}", f"{where}：{message}"))
        else:
            self.errors.append(FieldError(f"value[{index}]", f"{where}：{message}"))


def _row_record(
    kind: str, i: int, row: Mapping[str, Any], rule_set: RuleSet, e: _Rows
) -> dict[str, Any] | None:
    """One typed record of ``kind`` from the row, or None (its problems added to ``e``)."""
    columns = COLUMNS[kind]
    before = len(e.errors)
    for column in row:
        if column not in columns:
            e.add(i, None, f"“{str(column)[:40]}”不是{'、'.join(COLUMN_NAMES[c] for c in columns)}"
                           "中的一列")
    cells = {c: _text(row.get(c)) for c in columns}
    # A cell typed with another script's digits gets that message instead of its other checks.
    skip = {c for c, text in cells.items() if foreign_digit(text)}
    for column in skip:
        e.add(i, column, FOREIGN_DIGIT_MESSAGE)
    out: dict[str, Any] = {}

    def month(column: str) -> int | None:
        text = cells[column]
        if column in skip:
            return None
        value = _month(text)
        if value is None:
            e.add(i, column, f"“{_shown(text)}”不是有效的年月，应如 2021-03" if text
                  else "请填写年月，如 2021-03")
        else:
            out[column] = text
        return value

    if "from" in columns:
        start, end = month("from"), month("to")
        if start is not None and end is not None and start > end:
            e.add(i, "to", "截止年月不能早于起始年月")
    if "date" in columns:
        text = cells["date"]
        if "date" not in skip:
            try:
                if not _DATE.match(text):
                    raise ValueError
                date.fromisoformat(text)
                out["date"] = text
            except ValueError:
                e.add(i, "date", f"“{_shown(text)}”不是有效的日期，应如 2021-03-05" if text
                      else "请填写日期，如 2021-03-05")
    if "district" in columns and "district" not in skip:
        if cells["district"] in rule_set.district_set:
            out["district"] = cells["district"]
        else:
            e.add(i, "district", f"“{_shown(cells['district'])}”不是北京市的区" if cells["district"]
                  else "请填写所在区")
    if kind == "housing" and "kind" not in skip:
        code = _by_code_or_name(cells["kind"], rule_set.housing_kind_names)
        if code is None:
            e.add(i, "kind", "请选择住所类型（" + "、".join(rule_set.housing_kind_names.values())
                  + "）")
        else:
            out["kind"] = code
    if kind == "social_insurance" and "back_paid" not in skip:
        months = list(dict.fromkeys(p for p in _SEPARATORS.split(cells["back_paid"]) if p))
        bad = [m for m in months if _month(m) is None]
        if bad:
            e.add(i, "back_paid",
                  f"补缴月份{'、'.join(f'“{_shown(m)}”' for m in bad[:5])}不是有效的年月")
        elif "from" in out and "to" in out:
            lo, hi = _month(out["from"]), _month(out["to"])
            outside = [m for m in months if not lo <= _month(m) <= hi]  # type: ignore[operator]
            if outside:
                e.add(i, "back_paid", f"补缴月份 {'、'.join(outside)} 不在本行起止年月之内")
        out["back_paid"] = months
    if kind == "education":
        for column, names in (("level", rule_set.level_names), ("degree", rule_set.degree_names)):
            text = cells[column]
            if column in skip:
                continue
            code = _by_code_or_name(text, names) if text else ""
            if code is None:
                e.add(i, column, f"“{_shown(text)}”不是可选的{COLUMN_NAMES[column]}（"
                      + "、".join(names.values()) + "）")
            else:
                out[column] = code or None
        if not cells["level"] and not cells["degree"]:
            e.add(i, "level", "学历和学位至少填写一项")
        full_time = _boolean(row.get("full_time")) if "full_time" not in skip else False
        if full_time is None:
            e.add(i, "full_time", "请填写“是”或“否”")
        out["full_time"] = bool(full_time)
    if kind == "tax":
        year, amount = cells["year"], cells["amount"]
        if "year" not in skip:
            if _YEAR.match(year) and 1900 <= int(year) <= 2100:
                out["year"] = year
            else:
                e.add(i, "year",
                      f"“{_shown(year)}”不是有效的年度，应如 2021" if year else "请填写年度")
        if "amount" not in skip:
            if _AMOUNT.match(amount):
                out["amount"] = amount
            else:
                e.add(i, "amount", "请填写不小于 0 的金额（元），最多两位小数")
    if kind in ("innovation", "honours") and "code" not in skip:
        names = rule_set.innovation_names if kind == "innovation" else rule_set.honour_codes
        code = _by_code_or_name(cells["code"], names)
        if code is None:
            e.add(i, "code", f"“{_shown(cells['code'])}”不是本年度积分规则中的项目" if cells["code"]
                  else "请选择项目")
        else:
            out["code"] = code
    return out if len(e.errors) == before else None


def blank_row(row: Mapping[str, Any], kind: str) -> bool:
    """A row left empty on the page (its select of 全日制 alone does not make it a record)."""
    return all(_text(v) == "" for c, v in row.items() if c != "full_time" or kind != "education")


def parse_correction(kind: str, rows: Any, rule_set: RuleSet) -> Any:
    """The verified value of ``kind`` that the reviewer's rows make (``records`` fragment).

    ``rows``: for ``permits`` and ``criminal_records`` a yes/no choice (a bool, or ``是``/``否``,
    ``true``/``false``); for the other kinds a list of rows, each a mapping of the kind's
    columns (``COLUMNS``) to what was typed. Wholly empty rows are left out; no rows at all is
    "no such record". Raises InvalidInput naming every bad row and column
    (``value[2].from``: ``第 3 行“起始年月”：…``).
    """
    if kind not in COLUMNS:
        raise InvalidInput(f"没有名为 {str(kind)[:40]} 的核验事项", field="kind")
    if kind in BOOLEAN_KINDS:
        choice = _boolean(rows)
        if choice is None:
            raise InvalidInput("请选择“有”或“无”", field="value")
        return choice
    if not isinstance(rows, list):
        raise InvalidInput("核验值应为若干行记录", field="value")
    if len(rows) > MAX_ROWS:
        raise InvalidInput(f"最多 {MAX_ROWS} 行记录", field="value")
    e = _Rows()
    typed: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            e.add(i, None, "每行应为一条记录（各列及其内容）")
            continue
        if blank_row(row, kind):
            continue
        record = _row_record(kind, i, row, rule_set, e)
        if record is not None:
            typed.append(record)
    if e.errors:
        raise InvalidInput(f"更正的核验值有 {len(e.errors)} 处错误，请按提示修改", errors=e.errors)
    return records.recorded(kind, typed)


def value_rows(kind: str, value: Any) -> list[dict[str, str]]:
    """A verified value as the editor's rows (the inverse of ``parse_correction``); for the
    yes/no kinds, one row ``{"value": "true"|"false"}``."""
    if kind in BOOLEAN_KINDS:
        return [{"value": "true" if value else "false"}]
    if kind in records.VIOLATION_KIND:
        return [{"date": v["date"]} for v in value or []]
    if kind == "tax":
        return [{"year": str(y), "amount": str(a)} for y, a in sorted((value or {}).items())]
    if kind in ("innovation", "honours"):
        return [{"code": code} for code in value or []]
    out = []
    for r in value or []:
        row = {}
        for column in COLUMNS[kind]:
            cell = r.get(column)
            if column == "back_paid":
                row[column] = ";".join(cell or [])
            elif column == "full_time":
                row[column] = "true" if cell else "false"
            else:
                row[column] = "" if cell is None else str(cell)
        out.append(row)
    return out
