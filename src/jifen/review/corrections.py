"""A reviewer's correction: the records of one kind typed as rows with the kind's columns.

The rows are those of the department files (``department-records.md``) without ``id_number``:
the same columns, the same checks, and ``records.recorded`` makes the verified value from them,
as a comparison does from a file's rows. ``parse_correction`` is the one place these checks
live for the reviewers' pages and API.

The cells are checked by ``record_files.check_rows``, the very checks of the files.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from jifen.core.errors import FieldError, InvalidInput
from jifen.core.text import halfwidth
from jifen.rules.ruleset import RuleSet

from . import records
from .kinds import KINDS
from .record_files import check_rows

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






def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
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


def _names_to_codes(kind: str, rule_set: RuleSet) -> dict[str, dict[str, str]]:
    """The Chinese names a reviewer may type for a code, by column."""
    tables = {
        "housing": {"kind": rule_set.housing_kind_names},
        "education": {"level": rule_set.level_names, "degree": rule_set.degree_names},
        "innovation": {"code": rule_set.innovation_names},
        "honours": {"code": rule_set.honour_codes},
    }.get(kind, {})
    return {column: {name: code for code, name in t.items()} for column, t in tables.items()}


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
    kept: list[Mapping[str, Any]] = []
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            e.add(i, None, "每行应为一条记录（各列及其内容）")
            continue
        if blank_row(row, kind):
            continue
        for column in row:
            if column not in COLUMNS[kind]:
                e.add(i, None, f"“{str(column)[:40]}”不是"
                               f"{'、'.join(COLUMN_NAMES[c] for c in COLUMNS[kind])}中的一列")
        cells = {c: _text(row.get(c)) for c in COLUMNS[kind]}
        for column, names in _names_to_codes(kind, rule_set).items():
            cells[column] = names.get(cells[column], cells[column])  # a name read as its code
        kept.append((i, cells))  # type: ignore[arg-type]
    # The same checks as the department files' rows (one implementation: record_files).
    typed, problems = check_rows(kind, [row for _, row in kept], rule_set=rule_set)
    for index, column, message in problems:
        e.add(kept[index][0], column, message)  # type: ignore[index]
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
