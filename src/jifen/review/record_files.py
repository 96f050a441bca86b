"""The departments' record files (``department-records.md``): streaming readers, per-row checks.

One file holds one kind of record. ``parse_record_file`` reads a CSV (UTF-8, a byte-order mark
tolerated, RFC 4180 quoting) or an XLSX (the first sheet, read in openpyxl's streaming mode) and
returns every record, grouped by identity number, in the profile's shape
(``profile-format.md``); or it raises :class:`RecordFileError` listing every bad cell of every
bad row, by line and column, in English and in Chinese. Nothing partial is ever returned: a
department's file is its complete data, so half of it would silently decide the rest as "none".

Memory follows the records kept, not the file: rows are read one at a time, the month and date
texts that repeat across rows are kept once, and once a row is bad no record is kept any more
(only the errors are).

No Django here: the command, the upload page and the service that compares all call this.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from jifen.rules.identity import identity_issue
from jifen.rules.months import MONTH_INDEX, MonthError
from jifen.rules.problems import EN as PROBLEM_EN
from jifen.rules.problems import ZH as PROBLEM_ZH
from jifen.rules.ruleset import DEGREES, HOUSING_KINDS, RuleSet

KIND_COLUMNS: dict[str, tuple[str, ...]] = {
    "permits": ("id_number",),
    "criminal_records": ("id_number",),
    "detentions": ("id_number", "date"),
    "social_insurance": ("id_number", "from", "to", "back_paid"),
    "employment": ("id_number", "from", "to", "district"),
    "housing": ("id_number", "kind", "from", "to", "district"),
    "education": ("id_number", "level", "degree", "full_time", "from", "to"),
    "tax": ("id_number", "year", "amount"),
    "tax_offences": ("id_number", "date"),
    "innovation": ("id_number", "code"),
    "honours": ("id_number", "code"),
}
# Columns whose cell may be empty (an empty value, not a missing one).
OPTIONAL_COLUMNS = frozenset({"back_paid", "level", "degree"})

PROGRESS_EVERY = 4096  # rows between two progress calls
_XLSX_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls), or an encrypted .xlsx
_BOM = b"\xef\xbb\xbf"


# ---------------------------------------------------------------- errors


@dataclass(frozen=True)
class RowError:
    """One problem of a file: where (line, column) and why, in English and in Chinese."""

    line: int  # the header is line 1; for XLSX the sheet's row number
    column: str | None  # None for a problem of the whole file (or of a row, not of a cell)
    message: str
    message_zh: str

    def __str__(self) -> str:
        if self.column is None:
            return f"line {self.line}: {self.message}"
        return f"line {self.line}, column {self.column}: {self.message}"

    def zh(self) -> str:
        """The Chinese line for the web page: ``第 17 行，from 列：…``."""
        if self.column is None:
            return f"第 {self.line} 行：{self.message_zh}"
        return f"第 {self.line} 行，{self.column} 列：{self.message_zh}"


class RecordFileError(Exception):
    """A refused file: ``errors`` lists every problem, in line order."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        shown = "\n".join(str(e) for e in errors[:20])
        more = f"\n… and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(shown + more)


@dataclass
class ParsedRecords:
    """A file's records: ``by_person`` maps an identity number to its records, in file order."""

    kind: str
    rows: int  # data rows read (not the header, not blank rows)
    by_person: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def persons(self) -> int:
        return len(self.by_person)


class _Bad(Exception):
    """A bad cell value: its English and Chinese messages."""

    def __init__(self, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh


class _FileProblem(Exception):
    """A problem of the whole file, found at ``line``: it stops the reading."""

    def __init__(self, line: int, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.error = RowError(line, None, message, message_zh)


def _not_utf8(line: int) -> _FileProblem:
    return _FileProblem(
        line,
        "the file is not UTF-8 text (save it as CSV UTF-8)",
        "文件不是 UTF-8 编码的文本（请在 Excel 中另存为“CSV UTF-8（逗号分隔）”格式）",
    )


def _not_xlsx(line: int) -> _FileProblem:
    return _FileProblem(
        line,
        "not a readable XLSX file (damaged, password-protected or another format)",
        "无法读取该 XLSX 文件（文件已损坏、已加密或不是 XLSX 格式）",
    )


def _old_excel() -> _FileProblem:
    return _FileProblem(
        1,
        "an Excel 97-2003 (.xls) or password-protected file: save it as .xlsx or CSV UTF-8",
        "这是旧版 Excel（.xls）文件或已加密的文件，请另存为 .xlsx 或 CSV UTF-8 格式",
    )


def _empty_file() -> _FileProblem:
    return _FileProblem(
        1,
        "the file is empty: its first row must name the columns",
        "文件为空：第一行应为列名",
    )


# ---------------------------------------------------------------- cell values


def _text(value: Any) -> str:
    """A cell as text: CSV cells are already; XLSX numbers as written (2019.0 as 2019)."""
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if type(value) is float and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    return str(value).strip()


def _shown(text: str) -> str:
    return f"“{text}”"


def _choices(codes: Iterable[str], names: dict[str, str]) -> str:
    return "、".join(f"{c}（{names[c]}）" if c in names else c for c in codes)


_AMOUNT = re.compile(r"(-?)([0-9]+)(?:\.([0-9]{1,2}))?")
_TRUE = frozenset({"true", "是"})
_FALSE = frozenset({"false", "否"})


class _Cells:
    """The checks of one file's cells under one rule set; each returns the record's value,
    None for an empty cell, or raises :class:`_Bad`. Month and date texts are checked once and
    kept once (a file of 200,000 rows names a few hundred months)."""

    def __init__(self, rule_set: RuleSet) -> None:
        self.rs = rule_set
        self.months: dict[str, str] = {}
        self.dates: dict[str, str] = {}
        self.districts = {d: d for d in rule_set.districts}

    # identity numbers -------------------------------------------------------------
    def id_number(self, value: Any) -> str | None:
        if type(value) is float:
            # An XLSX number cell keeps 15 significant digits: the number read back is another
            # one, and may even have a valid check digit.
            raise _Bad(
                "is a number cell: identity numbers must be text cells (a number loses digits)",
                "公民身份号码应为文本格式的单元格（数字格式会丢失末几位）",
            )
        text = _text(value)
        if not text:
            return None
        if len(text) == 18 and text[17] == "x":
            text = text[:17] + "X"
        issue = identity_issue(text)
        if issue is not None:
            # The number itself is not repeated: line and column find it, and messages travel.
            code, params = issue
            raise _Bad(
                f"not a valid identity number: {PROBLEM_EN[code](params)}",
                PROBLEM_ZH[code](params),
            )
        return text

    # months and dates -------------------------------------------------------------
    def month(self, value: Any) -> str | None:
        if type(value) is str:
            known = self.months.get(value)
            if known is not None:
                return known
            text = value.strip()
            if not text:
                return None
            try:
                MONTH_INDEX[text]
            except MonthError:
                raise _month_error(text) from None
            self.months[value] = text
            return text
        if value is None:
            return None
        if isinstance(value, dt.date):  # an XLSX date or date-time cell: its month
            text = f"{value.year:04d}-{value.month:02d}"
            return self.months.setdefault(text, text)
        raise _month_error(_text(value))

    def date(self, value: Any) -> str | None:
        if type(value) is str:
            known = self.dates.get(value)
            if known is not None:
                return known
            text = value.strip()
            if not text:
                return None
            if not (
                len(text) == 10
                and text[4] == "-"
                and text[7] == "-"
                and text.isascii()
                and (text[:4] + text[5:7] + text[8:]).isdigit()
            ):
                raise _date_error(text)
            try:
                dt.date(int(text[:4]), int(text[5:7]), int(text[8:]))
            except ValueError:
                raise _date_error(text) from None
            self.dates[value] = text
            return text
        if value is None:
            return None
        if isinstance(value, dt.date):  # an XLSX date or date-time cell: its day
            text = f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
            return self.dates.setdefault(text, text)
        raise _date_error(_text(value))

    def months_list(self, value: Any) -> list[str] | None:
        """``back_paid``: months separated by ``;`` (spaces tolerated); a cell with bad months
        is reported once, by its first bad month."""
        if isinstance(value, dt.date):
            return [self.month(value)]  # type: ignore[list-item]
        text = _text(value)
        if not text:
            return None
        months = []
        for piece in text.split(";"):
            piece = piece.strip()
            if piece:
                months.append(self.month(piece))
        return months

    # codes --------------------------------------------------------------------------
    def district(self, value: Any) -> str | None:
        text = _text(value)
        if not text:
            return None
        known = self.districts.get(text)
        if known is None:
            raise _Bad(f"unknown district {text!r}", f"没有名为{_shown(text)}的北京市区")
        return known

    def housing_kind(self, value: Any) -> str | None:
        text = _text(value)
        if not text:
            return None
        if text not in HOUSING_KINDS:
            raise _Bad(
                f"unknown housing kind {text!r} ({', '.join(HOUSING_KINDS)})",
                f"住所类型应为 {_choices(HOUSING_KINDS, self.rs.housing_kind_names)} 之一，"
                f"填写的是{_shown(text)}",
            )
        return text

    def level(self, value: Any) -> str | None:
        text = _text(value)
        if not text:
            return None
        tiers = self.rs.education_tiers
        if text not in tiers:
            raise _Bad(
                f"unknown level {text!r} ({', '.join(tiers)} or empty)",
                f"学历应为 {_choices(tiers, self.rs.level_names)} 之一或留空，"
                f"填写的是{_shown(text)}",
            )
        return text

    def degree(self, value: Any) -> str | None:
        text = _text(value)
        if not text:
            return None
        if text not in DEGREES:
            raise _Bad(
                f"unknown degree {text!r} ({', '.join(DEGREES)} or empty)",
                f"学位应为 {_choices(DEGREES, self.rs.degree_names)} 之一或留空，"
                f"填写的是{_shown(text)}",
            )
        return text

    def innovation(self, value: Any) -> str | None:
        text = _text(value)
        if not text:
            return None
        if text not in self.rs.innovation_items:
            raise _Bad(
                f"unknown innovation item {text!r}",
                f"没有代码为{_shown(text)}的创新创业项目",
            )
        return text

    def honour(self, value: Any) -> str | None:
        text = _text(value)
        if not text:
            return None
        codes = self.rs.honour_codes
        if text not in codes:
            raise _Bad(
                f"unknown honour {text!r} ({', '.join(codes)})",
                f"没有代码为{_shown(text)}的荣誉，应为 {_choices(codes, codes)} 之一",
            )
        return text

    # other values -------------------------------------------------------------------
    def full_time(self, value: Any) -> bool | None:
        if type(value) is bool:  # an XLSX boolean cell
            return value
        text = _text(value)
        if not text:
            return None
        folded = text.lower()
        if folded in _TRUE:
            return True
        if folded in _FALSE:
            return False
        raise _Bad(
            f"{text!r} is not true or false",
            f"{_shown(text)}应为 true 或 false（也可填 是 或 否）",
        )

    def year(self, value: Any) -> str | None:
        if type(value) is int or (type(value) is float and value.is_integer()):
            text = str(int(value))  # an XLSX number cell: 2019 or 2019.0
        else:
            text = _text(value)
            if not text:
                return None
        if len(text) == 4 and text.isascii() and text.isdigit() and text[0] != "0":
            return text
        raise _Bad(
            f"year {text!r} is not a year",
            f"{_shown(text)}不是有效的年份（应为四位数字，如 2021）",
        )

    def amount(self, value: Any) -> int | float | None:
        if type(value) is int:
            if value < 0:
                raise _negative(str(value))
            return value
        if type(value) is float:  # an XLSX number cell: whole cents only
            if not math.isfinite(value):
                raise _amount_error(str(value))
            if value < 0:
                raise _negative(_text(value))
            cents = round(value * 100)
            if abs(value * 100 - cents) > 1e-6 * max(1.0, abs(value * 100)):
                raise _amount_error(repr(value))
            return cents // 100 if cents % 100 == 0 else cents / 100
        text = _text(value)
        if not text:
            return None
        m = _AMOUNT.fullmatch(text)
        if m is None:
            raise _amount_error(text)
        if m.group(1):
            raise _negative(text)
        whole, decimals = m.group(2), m.group(3)
        if not decimals or int(decimals) == 0:
            return int(whole)
        return float(f"{whole}.{decimals}")


def _month_error(text: str) -> _Bad:
    return _Bad(
        f"month {text!r} is not a month",
        f"{_shown(text)}不是有效的年月（应为 YYYY-MM）",
    )


def _date_error(text: str) -> _Bad:
    return _Bad(
        f"date {text!r} is not a date",
        f"{_shown(text)}不是有效的日期（应为 YYYY-MM-DD）",
    )


def _amount_error(text: str) -> _Bad:
    return _Bad(
        f"amount {text!r} is not an amount in yuan (at most 2 decimals)",
        f"{_shown(text)}不是有效的金额（以元为单位，最多两位小数）",
    )


def _negative(text: str) -> _Bad:
    return _Bad(f"amount {text} is negative", f"金额不能为负数，填写的是 {text}")


_EMPTY = ("is empty", "不能为空")


# ---------------------------------------------------------------- records of each kind

# The check of each column (a method of _Cells, by name) ...
_CHECKS: dict[str, dict[str, str]] = {
    "permits": {},
    "criminal_records": {},
    "detentions": {"date": "date"},
    "tax_offences": {"date": "date"},
    "social_insurance": {"from": "month", "to": "month", "back_paid": "months_list"},
    "employment": {"from": "month", "to": "month", "district": "district"},
    "housing": {"kind": "housing_kind", "from": "month", "to": "month", "district": "district"},
    "education": {
        "level": "level",
        "degree": "degree",
        "full_time": "full_time",
        "from": "month",
        "to": "month",
    },
    "tax": {"year": "year", "amount": "amount"},
    "innovation": {"code": "innovation"},
    "honours": {"code": "honour"},
}

Values = dict[str, Any]
Complaint = tuple[str, str, str]  # column, English, Chinese


def _span(v: Values, complaints: list[Complaint]) -> None:
    first, last = v.get("from"), v.get("to")
    if first is not None and last is not None and first > last:  # YYYY-MM compares as text
        complaints.append(
            ("from", f"from {first} is after to {last}", f"起始年月 {first} 晚于截止年月 {last}")
        )


def _insurance(v: Values, complaints: list[Complaint]) -> dict[str, Any]:
    _span(v, complaints)
    first, last = v.get("from"), v.get("to")
    back = v.get("back_paid") or []
    if first is not None and last is not None and first <= last:
        outside = [month for month in back if not first <= month <= last]
        if outside:
            listed = ", ".join(outside)
            en = (
                f"back-paid month {listed} is outside {first}..{last}"
                if len(outside) == 1
                else f"back-paid months {listed} are outside {first}..{last}"
            )
            zh = f"补缴月份 {'、'.join(outside)} 不在本行的缴费期间（{first} 至 {last}）内"
            complaints.append(("back_paid", en, zh))
    return {"from": first, "to": last, "back_paid": back}


def _spanned(*keys: str) -> Callable[[Values, list[Complaint]], dict[str, Any]]:
    def build(v: Values, complaints: list[Complaint]) -> dict[str, Any]:
        _span(v, complaints)
        return {k: v.get(k) for k in keys}

    return build


def _violation(kind: str) -> Callable[[Values, list[Complaint]], dict[str, Any]]:
    return lambda v, complaints: {"kind": kind, "date": v.get("date")}


# ... and how a row's checked values become its record (adding the checks across columns).
_BUILDERS: dict[str, Callable[[Values, list[Complaint]], dict[str, Any]]] = {
    "permits": lambda v, c: {},
    "criminal_records": lambda v, c: {},
    "detentions": _violation("administrative_detention"),
    "tax_offences": _violation("tax_offence"),
    "social_insurance": _insurance,
    "employment": _spanned("from", "to", "district"),
    "housing": _spanned("kind", "from", "to", "district"),
    "education": _spanned("level", "degree", "full_time", "from", "to"),
    "tax": lambda v, c: {"year": v.get("year"), "amount": v.get("amount")},
    "innovation": lambda v, c: {"code": v.get("code")},
    "honours": lambda v, c: {"code": v.get("code")},
}


# ---------------------------------------------------------------- the header


@dataclass(frozen=True)
class _Layout:
    """Where each column is in the file's rows, and the positions that have no name."""

    columns: tuple[tuple[str, int], ...]  # (column, position), in file order
    width: int  # the header's cells
    unnamed: tuple[int, ...]  # positions inside the header whose cell is empty


def _read_header(cells: Iterable[Any], kind: str, line: int) -> _Layout:
    expected = KIND_COLUMNS[kind]
    names = [_text(c) for c in cells]
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    unnamed: list[int] = []
    listed = ", ".join(expected)
    for pos, name in enumerate(names):
        if not name:
            unnamed.append(pos)
        elif name not in expected:
            errors.append(
                RowError(
                    line,
                    name,
                    f"unknown column (the columns of {kind}: {listed})",
                    f"没有这一列（{kind} 文件的列为：{'、'.join(expected)}）",
                )
            )
        elif name in seen:
            if seen[name] >= 0:  # report a column named three times once
                errors.append(RowError(line, name, "column named twice", "列名重复"))
                seen[name] = -1
        else:
            seen[name] = pos
    for name in expected:
        if name not in seen:
            errors.append(RowError(line, name, "missing column", "缺少此列"))
    if errors:
        raise RecordFileError(errors)
    columns = tuple(sorted(seen.items(), key=lambda item: item[1]))
    return _Layout(columns, len(names), tuple(unnamed))


# ---------------------------------------------------------------- the rows


# A valid identity number standing for the one person of ``check_rows``.
_ANYONE = "11010519491231002X"


class _Reader:
    """Checks rows one by one, keeping the records until the first bad row, then only errors."""

    def __init__(self, kind: str, rule_set: RuleSet) -> None:
        self.kind = kind
        self.cells = _Cells(rule_set)
        self.build = _BUILDERS[kind]
        self.errors: list[RowError] = []
        self.rows = 0
        self.by_person: dict[str, list[dict[str, Any]]] = {}
        self.layout: _Layout | None = None
        self.plan: list[tuple[str, int, Callable[[Any], Any], bool]] = []
        self.order: dict[str, int] = {}

    def header(self, cells: Iterable[Any], line: int) -> None:
        self.layout = layout = _read_header(cells, self.kind, line)
        checks = {"id_number": "id_number", **_CHECKS[self.kind]}
        self.plan = [
            (
                column,
                pos,
                getattr(self.cells, checks[column]),
                column not in OPTIONAL_COLUMNS,
            )
            for column, pos in layout.columns
        ]
        self.order = {column: i for i, (column, _) in enumerate(layout.columns)}

    def row(self, cells: tuple[Any, ...] | list[Any], line: int) -> None:
        n = len(cells)
        values: Values = {}
        complaints: list[Complaint] = []
        for column, pos, check, required in self.plan:
            try:
                value = check(cells[pos] if pos < n else None)
            except _Bad as bad:
                complaints.append((column, bad.message, bad.message_zh))
                continue
            if value is None and required:
                complaints.append((column, *_EMPTY))
            values[column] = value
        record = self.build(values, complaints)
        layout = self.layout
        assert layout is not None
        stray = self._stray(cells, layout, line) if n > layout.width or layout.unnamed else None
        self.rows += 1
        if complaints or stray is not None:
            self.by_person.clear()  # the file is refused: keep nothing more
            if stray is not None:
                self.errors.append(stray)
            order = self.order
            complaints.sort(key=lambda c: order[c[0]])  # as the columns stand in the file
            self.errors.extend(RowError(line, column, en, zh) for column, en, zh in complaints)
            return
        if self.errors:
            return
        person = values["id_number"]
        records = self.by_person.get(person)
        if records is None:
            self.by_person[person] = [record]
        else:
            records.append(record)

    @staticmethod
    def _stray(cells: tuple[Any, ...] | list[Any], layout: _Layout, line: int) -> RowError | None:
        """A value in a column that the header does not name (not an empty trailing cell)."""
        positions = [*layout.unnamed, *range(layout.width, len(cells))]
        for pos in positions:
            if pos < len(cells) and _text(cells[pos]):
                return RowError(
                    line,
                    None,
                    f"cell {pos + 1} has a value but the header names no column there",
                    f"第 {pos + 1} 个单元格有内容，但表头在此处没有列名",
                )
        return None

    def result(self) -> ParsedRecords:
        if self.errors:
            self.errors.sort(key=lambda e: e.line)  # stable: a row's cells stay in order
            raise RecordFileError(self.errors)
        return ParsedRecords(self.kind, self.rows, self.by_person)


def check_rows(
    kind: str, rows: Sequence[Mapping[str, Any]], *, rule_set: RuleSet
) -> tuple[list[dict[str, Any]], list[tuple[int, str | None, str]]]:
    """One person's rows of ``kind`` typed elsewhere (a reviewer's correction), each a mapping
    of the kind's columns but ``id_number``, checked exactly as a file's rows are.

    Returns the records and the problems as (row index, column, Chinese message).
    """
    columns = [c for c in KIND_COLUMNS[kind] if c != "id_number"]
    reader = _Reader(kind, rule_set)
    reader.header(["id_number", *columns], 1)
    for i, row in enumerate(rows):
        reader.row([_ANYONE, *(row.get(c) for c in columns)], i + 2)
    if reader.errors:
        return [], [(e.line - 2, e.column, e.message_zh) for e in reader.errors]
    return [r for person in reader.by_person.values() for r in person], []


# ---------------------------------------------------------------- CSV


def _csv_lines(binary: BinaryIO, counter: list[int]) -> Iterator[str]:
    """The file's lines decoded one by one (a UTF-8 character never contains a newline byte),
    so that a byte that is not UTF-8 is found at its line; ``counter[0]`` counts bytes read."""
    first = True
    for raw in binary:
        counter[0] += len(raw)
        if first:
            first = False
            if raw.startswith(_BOM):
                raw = raw[3:]
        # A NUL byte is UTF-8 but never text: a UTF-16 file, or a binary one (an XLSX named
        # .csv) whose first bytes happen to decode.
        if b"\x00" in raw:
            raise _NotUtf8Here
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _NotUtf8Here from None


class _NotUtf8Here(Exception):
    """Raised through the csv reader; the caller knows the line."""


def _read_csv(
    binary: BinaryIO,
    reader: _Reader,
    progress: Callable[[int, int], None] | None,
) -> None:
    total = _size(binary)
    counter = [0]
    rows = csv.reader(_csv_lines(binary, counter), strict=True)
    line = 0
    header = False
    try:
        for cells in rows:
            line += 1
            if not cells or not "".join(cells).strip():
                continue  # a wholly empty row
            if not header:
                reader.header(cells, line)
                header = True
                continue
            reader.row(cells, line)
            if progress is not None and line % PROGRESS_EVERY == 0:
                progress(counter[0], max(total, counter[0]))
    except _NotUtf8Here:
        raise _not_utf8(line + 1) from None
    except csv.Error as exc:
        raise _FileProblem(
            line + 1,
            f"not a readable CSV file: {exc}",
            f"无法按 CSV 格式读取（{exc}）",
        ) from None
    if not header:
        raise _empty_file()
    if progress is not None:
        progress(counter[0], max(total, counter[0]))


def _size(binary: BinaryIO) -> int:
    try:
        return os.fstat(binary.fileno()).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        pass
    try:
        if binary.seekable():
            here = binary.tell()
            end = binary.seek(0, os.SEEK_END)
            binary.seek(here)
            return end - here
    except (AttributeError, OSError):
        pass
    return 0


# ---------------------------------------------------------------- XLSX


def _read_xlsx(
    binary: BinaryIO,
    reader: _Reader,
    progress: Callable[[int, int], None] | None,
) -> None:
    import openpyxl  # only an XLSX needs it (and its import takes a while)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no default style" and the like: not the user's
            book = openpyxl.load_workbook(binary, read_only=True, data_only=True)
    except Exception as exc:  # zipfile, XML and openpyxl's own errors: the file is unreadable
        raise _not_xlsx(1) from exc
    try:
        if not book.worksheets:
            raise _not_xlsx(1)
        sheet = book.worksheets[0]
        total = sheet.max_row or 0
        # The dimension written in the file only sizes the progress bar: a wrong one must not
        # cut the reading short (openpyxl stops at it), the rows are the data.
        sheet.reset_dimensions()
        header = False
        line = 0
        for line, cells in enumerate(_sheet_rows(sheet), 1):
            if not cells or all(c is None or (type(c) is str and not c.strip()) for c in cells):
                continue
            if not header:
                reader.header(cells, line)
                header = True
                continue
            reader.row(cells, line)
            if progress is not None and line % PROGRESS_EVERY == 0:
                progress(line, max(total, line))
        if not header:
            raise _empty_file()
        if progress is not None:
            progress(line, max(total, line))
    finally:
        book.close()


def _sheet_rows(sheet: Any) -> Iterator[tuple[Any, ...]]:
    """The sheet's rows (values); a damaged part of the file is a file problem, not a defect."""
    rows = sheet.iter_rows(values_only=True)
    line = 0
    while True:
        try:
            cells = next(rows)
        except StopIteration:
            return
        except Exception as exc:
            raise _not_xlsx(line + 1) from exc
        line += 1
        yield cells


# ---------------------------------------------------------------- the entry point


def parse_record_file(
    source: str | Path | BinaryIO,
    kind: str,
    *,
    rule_set: RuleSet,
    file_name: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ParsedRecords:
    """Read one department file of ``kind``: every record, grouped by identity number.

    The format comes from ``file_name`` (or the path's) suffix, ``.csv`` or ``.xlsx``; with
    neither, from the content. Raises :class:`RecordFileError` listing every problem; nothing
    partial is returned. ``progress(done, total)`` is called every few thousand rows and at the
    end: bytes read of the file's size for a CSV, rows read of the sheet's size for an XLSX
    (total 0 when unknown). A ``source`` file object is read from where it stands and not
    closed.
    """
    if kind not in KIND_COLUMNS:
        raise ValueError(f"unknown kind of record {kind!r} (known: {', '.join(KIND_COLUMNS)})")
    if file_name is None and isinstance(source, str | Path):
        file_name = str(source)
    suffix = Path(file_name).suffix.lower() if file_name else ""
    reader = _Reader(kind, rule_set)
    try:
        if isinstance(source, str | Path):
            with open(source, "rb") as binary:
                _read(binary, suffix, reader, progress)
        else:
            _read(source, suffix, reader, progress)
    except _FileProblem as problem:
        raise RecordFileError([problem.error]) from None
    return reader.result()


def _read(
    binary: BinaryIO,
    suffix: str,
    reader: _Reader,
    progress: Callable[[int, int], None] | None,
) -> None:
    if suffix != ".csv":
        if not _seekable(binary):
            # Sniffing and XLSX (a zip) both need to go back: spool a stream to disk first.
            with tempfile.SpooledTemporaryFile(max_size=16 << 20) as spool:
                shutil.copyfileobj(binary, spool)
                spool.seek(0)
                _read(spool, suffix, reader, progress)  # type: ignore[arg-type]
            return
        start = binary.tell()
        magic = binary.read(8)
        binary.seek(start)
        if magic.startswith(_OLE2_MAGIC):
            raise _old_excel()
        if suffix == ".xlsx" or magic.startswith(_XLSX_MAGIC):
            _read_xlsx(binary, reader, progress)
            return
    _read_csv(binary, reader, progress)


def _seekable(binary: BinaryIO) -> bool:
    try:
        return bool(binary.seekable())
    except (AttributeError, OSError):
        return False
