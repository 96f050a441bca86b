"""The departments' record files (department-records.md), read from real CSV and XLSX files."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from jifen.review.record_files import (
    KIND_COLUMNS,
    ParsedRecords,
    RecordFileError,
    RowError,
    parse_record_file,
)
from jifen.review.sources import FileSource, RecordSource
from jifen.rules import load_rule_set, validate_profile
from jifen.rules.identity import check_digit

RS = load_rule_set("beijing-2020")


def ident(seq: int, birth: str = "19760115") -> str:
    """A valid synthetic identity number (GB 11643 check digit)."""
    first = f"110105{birth}{seq:03d}"
    return first + check_digit(first)


def wrong_check(number: str) -> tuple[str, str]:
    """The number with a wrong last character, and the right one."""
    right = number[17]
    wrong = "0" if right != "0" else "1"
    return number[:17] + wrong, right


A, B, C = ident(234), ident(101, "19850615"), ident(11, "19900228")
X = next(n for n in (ident(s) for s in range(1, 999)) if n.endswith("X"))


def write_csv(
    tmp_path: Path, text: str, *, bom: bool = False, crlf: bool = False, name: str = "f.csv"
) -> Path:
    if crlf:
        text = text.replace("\n", "\r\n")
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def write_xlsx(tmp_path: Path, rows: list[list[Any]], name: str = "f.xlsx") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def parse(source: Any, kind: str, **kwargs: Any) -> ParsedRecords:
    return parse_record_file(source, kind, rule_set=RS, **kwargs)


def refusal(source: Any, kind: str, **kwargs: Any) -> list[RowError]:
    with pytest.raises(RecordFileError) as caught:
        parse(source, kind, **kwargs)
    return caught.value.errors


def one_row_errors(tmp_path: Path, kind: str, header: str, row: str) -> list[tuple]:
    errors = refusal(write_csv(tmp_path, f"{header}\n{row}\n"), kind)
    return [(e.line, e.column, e.message, e.message_zh) for e in errors]


# ---------------------------------------------------------------- every kind, read right

GOOD_CSV: dict[str, tuple[str, dict[str, list[dict[str, Any]]]]] = {
    "permits": (f"id_number\n{A}\n{B}\n", {A: [{}], B: [{}]}),
    "criminal_records": (f"id_number\n{A}\n", {A: [{}]}),
    "detentions": (
        f"date,id_number\n2020-03-05,{A}\n2021-12-31,{A}\n",
        {
            A: [
                {"kind": "administrative_detention", "date": "2020-03-05"},
                {"kind": "administrative_detention", "date": "2021-12-31"},
            ]
        },
    ),
    "tax_offences": (
        f"id_number,date\n{B},2019-02-28\n",
        {B: [{"kind": "tax_offence", "date": "2019-02-28"}]},
    ),
    "social_insurance": (
        f"id_number,from,to,back_paid\n{A},1998-07,2005-12,\n"
        f'{A},2006-01,2021-12," 2006-01 ;2006-02; 2007-05 "\n{B},2010-01,2010-01,2010-01\n',
        {
            A: [
                {"from": "1998-07", "to": "2005-12", "back_paid": []},
                {"from": "2006-01", "to": "2021-12",
                 "back_paid": ["2006-01", "2006-02", "2007-05"]},
            ],
            B: [{"from": "2010-01", "to": "2010-01", "back_paid": ["2010-01"]}],
        },
    ),
    "employment": (
        f"district,to,id_number,from\n通州区,2021-12,{A},2016-05\n",
        {A: [{"from": "2016-05", "to": "2021-12", "district": "通州区"}]},
    ),
    "housing": (
        f"id_number,kind,from,to,district\n{A},rented,2002-03,2009-12,海淀区\n"
        f"{A},owned,2010-01,2021-12,通州区\n{C},dormitory,2015-01,2015-06,延庆区\n",
        {
            A: [
                {"kind": "rented", "from": "2002-03", "to": "2009-12", "district": "海淀区"},
                {"kind": "owned", "from": "2010-01", "to": "2021-12", "district": "通州区"},
            ],
            C: [{"kind": "dormitory", "from": "2015-01", "to": "2015-06", "district": "延庆区"}],
        },
    ),
    "education": (
        f"id_number,level,degree,full_time,from,to\n{A},bachelor,bachelor,true,1994-09,1998-06\n"
        f"{A},master,,FALSE,1999-09,2002-06\n{B},,doctor,是,2005-09,2009-06\n"
        f"{C},junior_college,,否,2008-09,2011-06\n",
        {
            A: [
                {"level": "bachelor", "degree": "bachelor", "full_time": True,
                 "from": "1994-09", "to": "1998-06"},
                {"level": "master", "degree": None, "full_time": False,
                 "from": "1999-09", "to": "2002-06"},
            ],
            B: [{"level": None, "degree": "doctor", "full_time": True,
                 "from": "2005-09", "to": "2009-06"}],
            C: [{"level": "junior_college", "degree": None, "full_time": False,
                 "from": "2008-09", "to": "2011-06"}],
        },
    ),
    "tax": (
        f"id_number,year,amount\n{A},2019,1200\n{A},2020,1200.50\n{A},2021,99.00\n{B},2021,0.05\n",
        {
            A: [
                {"year": "2019", "amount": 1200},
                {"year": "2020", "amount": 1200.5},
                {"year": "2021", "amount": 99},
            ],
            B: [{"year": "2021", "amount": 0.05}],
        },
    ),
    "innovation": (
        f"id_number,code\n{A},award.municipal.first\n{A},award.national.second\n",
        {A: [{"code": "award.municipal.first"}, {"code": "award.national.second"}]},
    ),
    "honours": (f"code,id_number\nmodel_worker,{C}\n", {C: [{"code": "model_worker"}]}),
}


def test_the_table_covers_every_kind_of_the_spec() -> None:
    assert set(KIND_COLUMNS) == set(GOOD_CSV)
    assert KIND_COLUMNS["housing"] == ("id_number", "kind", "from", "to", "district")
    assert KIND_COLUMNS["education"] == (
        "id_number", "level", "degree", "full_time", "from", "to"
    )


@pytest.mark.parametrize("kind", sorted(GOOD_CSV))
@pytest.mark.parametrize(("bom", "crlf"), [(False, False), (True, True), (True, False)])
def test_every_kind_is_read_into_profile_shaped_records(
    tmp_path: Path, kind: str, bom: bool, crlf: bool
) -> None:
    text, expected = GOOD_CSV[kind]
    parsed = parse(write_csv(tmp_path, text, bom=bom, crlf=crlf), kind)
    assert parsed.kind == kind
    assert parsed.by_person == expected
    assert parsed.rows == sum(len(records) for records in expected.values())


def test_the_records_make_a_valid_profile(tmp_path: Path) -> None:
    """Records of every kind drop into a profile as they are: the profile's own validation
    accepts them (the shapes agree)."""
    got = {kind: parse(write_csv(tmp_path, text), kind).by_person for kind, (text, _) in
           GOOD_CSV.items()}
    profile = {
        "format": "jifen.profile/1",
        "application_year": 2022,
        "person": {
            "id_number": A, "sex": "F", "birth_date": "1976-01-15",
            "residence_permit": A in got["permits"],
            "criminal_record": A in got["criminal_records"],
        },
        "social_insurance": got["social_insurance"][A],
        "housing": got["housing"][A],
        "employment": got["employment"][A],
        "education": got["education"][A] + got["education"][B],
        "innovation": [r["code"] for r in got["innovation"][A]],
        "honours": [r["code"] for r in got["honours"][C]],
        "tax": {r["year"]: r["amount"] for r in got["tax"][A]},
        "violations": got["detentions"][A] + got["tax_offences"][B],
    }
    assert validate_profile(profile).id_number == A


def test_amounts_are_ints_when_whole_and_floats_otherwise(tmp_path: Path) -> None:
    records = parse(write_csv(tmp_path, GOOD_CSV["tax"][0]), "tax").by_person[A]
    assert [type(r["amount"]) for r in records] == [int, float, int]


def test_lower_case_x_is_read_as_upper_case(tmp_path: Path) -> None:
    parsed = parse(write_csv(tmp_path, f"id_number\n{X.lower()}\n{X}\n"), "permits")
    assert parsed.by_person == {X: [{}, {}]}


def test_quoted_fields_blank_rows_and_spaces(tmp_path: Path) -> None:
    text = (
        '"district","id_number","from","to"\n\n'
        f'"通州区",{A},"2016-05", 2021-12 \n,,,\n  ,\n'
        f'" 海淀区 ","{B}",2010-01,2010-02\n\n'
    )
    parsed = parse(write_csv(tmp_path, text, crlf=True), "employment")
    assert parsed.rows == 2
    assert parsed.by_person == {
        A: [{"from": "2016-05", "to": "2021-12", "district": "通州区"}],
        B: [{"from": "2010-01", "to": "2010-02", "district": "海淀区"}],
    }


def test_a_quoted_comma_stays_in_its_cell(tmp_path: Path) -> None:
    # "1,200.00" is one cell (so it is not an amount), and the row has no stray fourth cell.
    errors = refusal(write_csv(tmp_path, f'id_number,year,amount\n{A},2019,"1,200.00"\n'), "tax")
    assert [str(e) for e in errors] == [
        "line 2, column amount: amount '1,200.00' is not an amount in yuan (at most 2 decimals)"
    ]


def test_line_numbers_count_records_blank_ones_included(tmp_path: Path) -> None:
    text = (
        "id_number,date\n"
        f'{A},"2020-01-01"\n'
        "\n"
        f"{A},2020-02-30\n"
        ",,\n"
        f"{A},2020-03-01\n"
        f"{B},2020-13-01\n"
    )
    errors = refusal(write_csv(tmp_path, text, bom=True, crlf=True), "detentions")
    assert [(e.line, e.column) for e in errors] == [(4, "date"), (7, "date")]


def test_a_header_only_file_is_valid_and_empty(tmp_path: Path) -> None:
    parsed = parse(write_csv(tmp_path, "id_number,year,amount\n", bom=True), "tax")
    assert parsed.rows == 0
    assert parsed.by_person == {}


# ---------------------------------------------------------------- bad rows, one check each

LEVELS = (
    "junior_college（大专）、bachelor（本科）、master（研究生（硕士））、doctor（研究生（博士））"
)
BAD_CELLS = [
    # kind, header, row, column, English, Chinese
    ("detentions", "id_number,date", ",2021-03-05", "id_number", "is empty", "不能为空"),
    (
        "permits", "id_number", A[:17], "id_number",
        "not a valid identity number: must have 18 characters, got 17",
        "公民身份号码应为 18 位，填写的是 17 位",
    ),
    (
        "permits", "id_number", A[:16] + "AX", "id_number",
        "not a valid identity number: the first 17 characters must be digits",
        "公民身份号码前 17 位应为数字",
    ),
    (
        "permits", "id_number", A[:17] + "Y", "id_number",
        "not a valid identity number: the last character must be a digit or X",
        "公民身份号码最后一位应为数字或 X",
    ),
    (
        "detentions", "id_number,date", f"{A},2021-02-30", "date",
        "date '2021-02-30' is not a date", "“2021-02-30”不是有效的日期（应为 YYYY-MM-DD）",
    ),
    (
        "tax_offences", "id_number,date", f"{A},2021-3-5", "date",
        "date '2021-3-5' is not a date", "“2021-3-5”不是有效的日期（应为 YYYY-MM-DD）",
    ),
    ("tax_offences", "id_number,date", f"{A},", "date", "is empty", "不能为空"),
    (
        "social_insurance", "id_number,from,to,back_paid", f"{A},2021-13,2021-12,", "from",
        "month '2021-13' is not a month", "“2021-13”不是有效的年月（应为 YYYY-MM）",
    ),
    (
        "social_insurance", "id_number,from,to,back_paid", f"{A},2021-01,2021/12,", "to",
        "month '2021/12' is not a month", "“2021/12”不是有效的年月（应为 YYYY-MM）",
    ),
    (
        "social_insurance", "id_number,from,to,back_paid", f"{A},2021-06,2021-05,", "from",
        "from 2021-06 is after to 2021-05", "起始年月 2021-06 晚于截止年月 2021-05",
    ),
    (
        "social_insurance", "id_number,from,to,back_paid", f"{A},2021-01,2021-12,2021-02;2022-01",
        "back_paid", "back-paid month 2022-01 is outside 2021-01..2021-12",
        "补缴月份 2022-01 不在本行的缴费期间（2021-01 至 2021-12）内",
    ),
    (
        "social_insurance", "id_number,from,to,back_paid", f"{A},2021-01,2021-12,2021-02;2021-00",
        "back_paid", "month '2021-00' is not a month", "“2021-00”不是有效的年月（应为 YYYY-MM）",
    ),
    (
        "employment", "id_number,from,to,district", f"{A},2021-01,2021-12,通县", "district",
        "unknown district '通县'", "没有名为“通县”的北京市区",
    ),
    ("employment", "id_number,from,to,district", f"{A},2021-01,2021-12,", "district",
     "is empty", "不能为空"),
    (
        "housing", "id_number,kind,from,to,district", f"{A},leased,2021-01,2021-12,通州区",
        "kind", "unknown housing kind 'leased' (owned, rented, dormitory)",
        "住所类型应为 owned（自有产权住房）、rented（租赁住房）、dormitory（单位宿舍） 之一，"
        "填写的是“leased”",
    ),
    (
        "education", "id_number,level,degree,full_time,from,to",
        f"{A},phd,,true,2001-09,2005-06", "level",
        "unknown level 'phd' (junior_college, bachelor, master, doctor or empty)",
        f"学历应为 {LEVELS} 之一或留空，填写的是“phd”",
    ),
    (
        "education", "id_number,level,degree,full_time,from,to",
        f"{A},,junior_college,true,2001-09,2005-06", "degree",
        "unknown degree 'junior_college' (bachelor, master, doctor or empty)",
        "学位应为 bachelor（学士）、master（硕士）、doctor（博士） 之一或留空，"
        "填写的是“junior_college”",
    ),
    (
        "education", "id_number,level,degree,full_time,from,to",
        f"{A},bachelor,bachelor,yes,2001-09,2005-06", "full_time",
        "'yes' is not true or false", "“yes”应为 true 或 false（也可填 是 或 否）",
    ),
    (
        "education", "id_number,level,degree,full_time,from,to",
        f"{A},bachelor,bachelor,,2001-09,2005-06", "full_time", "is empty", "不能为空",
    ),
    (
        "tax", "id_number,year,amount", f"{A},19,100", "year",
        "year '19' is not a year", "“19”不是有效的年份（应为四位数字，如 2021）",
    ),
    (
        "tax", "id_number,year,amount", f"{A},2019,12.345", "amount",
        "amount '12.345' is not an amount in yuan (at most 2 decimals)",
        "“12.345”不是有效的金额（以元为单位，最多两位小数）",
    ),
    (
        "tax", "id_number,year,amount", f"{A},2019,-5", "amount",
        "amount -5 is negative", "金额不能为负数，填写的是 -5",
    ),
    ("tax", "id_number,year,amount", f"{A},2019,", "amount", "is empty", "不能为空"),
    (
        "innovation", "id_number,code", f"{A},award.city.first", "code",
        "unknown innovation item 'award.city.first'", "没有代码为“award.city.first”的创新创业项目",
    ),
    (
        "honours", "id_number,code", f"{A},hero", "code",
        "unknown honour 'hero' (model_worker, moral_model, heroic_model)",
        "没有代码为“hero”的荣誉，应为 model_worker（省部级以上劳动模范）、"
        "moral_model（全国/首都道德模范）、"
        "heroic_model（全国见义勇为英雄模范/首都见义勇为好市民） 之一",
    ),
]


@pytest.mark.parametrize(("kind", "header", "row", "column", "en", "zh"), BAD_CELLS)
def test_each_bad_cell_is_named_by_line_and_column(
    tmp_path: Path, kind: str, header: str, row: str, column: str, en: str, zh: str
) -> None:
    assert one_row_errors(tmp_path, kind, header, row) == [(2, column, en, zh)]


def test_a_wrong_check_digit_says_which_is_expected(tmp_path: Path) -> None:
    bad, right = wrong_check(A)
    assert one_row_errors(tmp_path, "permits", "id_number", bad) == [
        (
            2,
            "id_number",
            f"not a valid identity number: check digit is {bad[17]}, expected {right}",
            f"公民身份号码校验位不正确（最后一位是 {bad[17]}，按前 17 位应为 {right}）",
        )
    ]


def test_the_error_lines_in_english_and_chinese(tmp_path: Path) -> None:
    errors = refusal(
        write_csv(tmp_path, f"id_number,from,to,back_paid\n{A},2021-01,2021-12,\n"
                            f"{A},2021-13,2021-12,\n"),
        "social_insurance",
    )
    assert [str(e) for e in errors] == ["line 3, column from: month '2021-13' is not a month"]
    assert [e.zh() for e in errors] == ["第 3 行，from 列：“2021-13”不是有效的年月（应为 YYYY-MM）"]
    whole = RowError(1, None, "the file is empty", "文件为空")
    assert (str(whole), whole.zh()) == ("line 1: the file is empty", "第 1 行：文件为空")


def test_every_bad_cell_of_every_bad_row_is_reported_in_order(tmp_path: Path) -> None:
    bad_id, _ = wrong_check(B)
    text = (
        "district,kind,id_number,from,to\n"
        f"通州区,owned,{A},2010-01,2021-12\n"
        f"通县,leased,{bad_id},2021-13,\n"
        f"海淀区,rented,{A},2015-01,2014-12\n"
        f"海淀区,rented,{B},2015-01,2015-12\n"
        f",owned,{C},2015-01,2015-12\n"
    )
    errors = refusal(write_csv(tmp_path, text), "housing")
    assert [(e.line, e.column) for e in errors] == [
        (3, "district"), (3, "kind"), (3, "id_number"), (3, "from"), (3, "to"),
        (4, "from"), (6, "district"),
    ]
    assert errors[4].message == "is empty"
    assert errors[5].message == "from 2015-01 is after to 2014-12"


def test_a_value_under_no_column_refuses_the_row(tmp_path: Path) -> None:
    text = f"id_number,,code\n{A},,model_worker\n{B},x,model_worker\n{C},,model_worker,extra\n"
    errors = refusal(write_csv(tmp_path, text), "honours")
    assert [str(e) for e in errors] == [
        "line 3: cell 2 has a value but the header names no column there",
        "line 4: cell 4 has a value but the header names no column there",
    ]
    assert errors[0].zh() == "第 3 行：第 2 个单元格有内容，但表头在此处没有列名"


def test_a_short_row_has_empty_cells(tmp_path: Path) -> None:
    errors = refusal(write_csv(tmp_path, f"id_number,year,amount\n{A},2019\n"), "tax")
    assert [str(e) for e in errors] == ["line 2, column amount: is empty"]


@pytest.mark.parametrize("level", ["", *RS.education_tiers])
@pytest.mark.parametrize("degree", ["", "bachelor", "master", "doctor"])
def test_education_accepts_every_combination_the_profile_accepts(
    tmp_path: Path, level: str, degree: str
) -> None:
    text = f"id_number,level,degree,full_time,from,to\n{A},{level},{degree},true,2001-09,2005-06\n"
    record = parse(write_csv(tmp_path, text), "education").by_person[A][0]
    assert (record["level"], record["degree"]) == (level or None, degree or None)
    profile = {
        "format": "jifen.profile/1", "application_year": 2022,
        "person": {"id_number": A, "sex": "F", "birth_date": "1976-01-15",
                   "residence_permit": True, "criminal_record": False},
        "education": [record],
    }
    validate_profile(profile)


# ---------------------------------------------------------------- header and file problems


def test_every_header_problem_is_reported_on_line_1(tmp_path: Path) -> None:
    text = f" id_numbr ,from,from ,kind, district\n{A},2021-01,2021-02,owned,通州区\n"
    errors = refusal(write_csv(tmp_path, text), "housing")
    listed = "id_number, kind, from, to, district"
    assert [str(e) for e in errors] == [
        f"line 1, column id_numbr: unknown column (the columns of housing: {listed})",
        "line 1, column from: column named twice",
        "line 1, column id_number: missing column",
        "line 1, column to: missing column",
    ]
    assert errors[0].zh() == (
        "第 1 行，id_numbr 列："
        "没有这一列（housing 文件的列为：id_number、kind、from、to、district）"
    )
    assert errors[2].zh() == "第 1 行，id_number 列：缺少此列"
    assert errors[1].zh() == "第 1 行，from 列：列名重复"


def test_a_file_in_another_encoding_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes(f"id_number,from,to,district\n{A},2021-01,2021-12,通州区\n".encode("gbk"))
    errors = refusal(path, "employment")
    assert [str(e) for e in errors] == [
        "line 2: the file is not UTF-8 text (save it as CSV UTF-8)"
    ]
    assert errors[0].column is None
    assert "UTF-8" in errors[0].zh() and errors[0].zh().startswith("第 2 行：文件不是 UTF-8")


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    for content in (b"", b"\xef\xbb\xbf", b"\r\n\r\n"):
        path = tmp_path / "empty.csv"
        path.write_bytes(content)
        assert [str(e) for e in refusal(path, "permits")] == [
            "line 1: the file is empty: its first row must name the columns"
        ]


def test_an_unclosed_quote_is_a_file_problem(tmp_path: Path) -> None:
    errors = refusal(write_csv(tmp_path, f'id_number,code\n{A},"model_worker\n'), "honours")
    assert len(errors) == 1
    assert errors[0].line == 2 and errors[0].column is None
    assert errors[0].message.startswith("not a readable CSV file")
    assert errors[0].message_zh.startswith("无法按 CSV 格式读取")


def test_not_an_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "records.xlsx"
    path.write_text("id_number\n", encoding="utf-8")
    zipped = tmp_path / "other.xlsx"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    for bad in (path, zipped):
        errors = refusal(bad, "permits")
        assert [(e.line, e.column) for e in errors] == [(1, None)]
        assert errors[0].message.startswith("not a readable XLSX file")
        assert errors[0].message_zh.startswith("无法读取该 XLSX 文件")


def test_an_old_excel_file_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "records.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    errors = refusal(path, "permits")
    assert [str(e) for e in errors] == [
        "line 1: an Excel 97-2003 (.xls) or password-protected file: save it as .xlsx or CSV UTF-8"
    ]


def test_an_unknown_kind_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown kind of record 'cars'"):
        parse(write_csv(tmp_path, "id_number\n"), "cars")


# ---------------------------------------------------------------- XLSX


def test_xlsx_with_date_datetime_number_and_bool_cells(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path,
        [
            ["to", "full_time", "id_number", "degree", "from", "level"],
            [dt.date(1998, 6, 30), True, A, "bachelor", dt.datetime(1994, 9, 1, 8, 30), "bachelor"],
            ["2002-06", False, X.lower(), None, "1999-09", "master"],
            [],
            ["2005-06", "是", B, "doctor", dt.date(2001, 9, 1), None],
        ],
    )
    parsed = parse(path, "education")
    assert parsed.rows == 3
    assert parsed.by_person == {
        A: [{"level": "bachelor", "degree": "bachelor", "full_time": True,
             "from": "1994-09", "to": "1998-06"}],
        X: [{"level": "master", "degree": None, "full_time": False,
             "from": "1999-09", "to": "2002-06"}],
        B: [{"level": None, "degree": "doctor", "full_time": True,
             "from": "2001-09", "to": "2005-06"}],
    }


def test_xlsx_dates_and_numbers(tmp_path: Path) -> None:
    dates = write_xlsx(tmp_path, [["date", "id_number"], [dt.datetime(2021, 3, 5, 14, 0), A],
                                  [dt.date(2020, 1, 2), A], ["2019-12-31", A]], "d.xlsx")
    assert [r["date"] for r in parse(dates, "detentions").by_person[A]] == [
        "2021-03-05", "2020-01-02", "2019-12-31"
    ]
    tax = write_xlsx(tmp_path, [["year", "amount", "id_number"], [2019, 1234.5, A],
                                [2020.0, 100, A], ["2021", 0.1 + 0.2, A], [2021, 99.0, A]])
    records = parse(tax, "tax").by_person[A]
    assert records == [
        {"year": "2019", "amount": 1234.5},
        {"year": "2020", "amount": 100},
        {"year": "2021", "amount": 0.3},
        {"year": "2021", "amount": 99},
    ]
    assert [type(r["amount"]) for r in records] == [float, int, float, int]
    months = write_xlsx(tmp_path, [["id_number", "from", "to", "back_paid"],
                                   [A, dt.date(2019, 1, 15), dt.datetime(2019, 12, 31),
                                    dt.date(2019, 3, 1)]], "m.xlsx")
    assert parse(months, "social_insurance").by_person[A] == [
        {"from": "2019-01", "to": "2019-12", "back_paid": ["2019-03"]}
    ]


def test_xlsx_errors_name_the_sheet_row(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id_number", "year", "amount"])
    sheet.append([A, 2019, 100])
    # Rows 3..9 are empty; row 10 is bad in every cell, row 12 in one.
    for col, value in enumerate([float(A), 2019.5, 1.005], 1):
        sheet.cell(row=10, column=col, value=value)
    for col, value in enumerate([B, 2020, -3], 1):
        sheet.cell(row=12, column=col, value=value)
    path = tmp_path / "tax.xlsx"
    book.save(path)
    errors = refusal(path, "tax")
    assert [str(e) for e in errors] == [
        "line 10, column id_number: is a number cell: identity numbers must be text cells "
        "(a number loses digits)",
        "line 10, column year: year '2019.5' is not a year",
        "line 10, column amount: amount '1.005' is not an amount in yuan (at most 2 decimals)",
        "line 12, column amount: amount -3 is negative",
    ]
    assert errors[0].zh() == (
        "第 10 行，id_number 列：公民身份号码应为文本格式的单元格（数字格式会丢失末几位）"
    )


def test_xlsx_header_problems_and_bool_text(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path, [["id_number", "level", "degree", "fulltime", "from", "to"]])
    assert [str(e) for e in refusal(path, "education")] == [
        "line 1, column fulltime: unknown column (the columns of education: "
        "id_number, level, degree, full_time, from, to)",
        "line 1, column full_time: missing column",
    ]
    bad = write_xlsx(tmp_path, [["id_number", "level", "degree", "full_time", "from", "to"],
                                [A, "bachelor", None, 1, "2001-09", "2005-06"]], "b.xlsx")
    assert [str(e) for e in refusal(bad, "education")] == [
        "line 2, column full_time: '1' is not true or false"
    ]


def test_xlsx_header_only_and_empty_sheet(tmp_path: Path) -> None:
    assert parse(write_xlsx(tmp_path, [["code", "id_number"]]), "honours").rows == 0
    empty = write_xlsx(tmp_path, [], "e.xlsx")
    assert [str(e) for e in refusal(empty, "honours")] == [
        "line 1: the file is empty: its first row must name the columns"
    ]


def test_xlsx_rows_beyond_a_wrong_dimension_are_read(tmp_path: Path) -> None:
    """The size an XLSX states is only a hint: a file whose <dimension> is stale must not be
    cut short (openpyxl's streaming reader would stop at it)."""
    path = write_xlsx(tmp_path, [["id_number"], [A], [B], [C]])
    patched = tmp_path / "stale.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(patched, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b'<dimension ref="A1:A4"/>' in data
                data = data.replace(b'<dimension ref="A1:A4"/>', b'<dimension ref="A1:A2"/>')
            dst.writestr(item, data)
    assert parse(patched, "permits").by_person == {A: [{}], B: [{}], C: [{}]}


# ---------------------------------------------------------------- formats, streams, progress


def test_the_format_comes_from_the_name_or_the_content(tmp_path: Path) -> None:
    xlsx = write_xlsx(tmp_path, [["id_number"], [A]]).read_bytes()
    csv_bytes = f"id_number\n{B}\n".encode()
    assert parse(io.BytesIO(xlsx), "permits").by_person == {A: [{}]}  # sniffed
    assert parse(io.BytesIO(csv_bytes), "permits").by_person == {B: [{}]}
    assert parse(io.BytesIO(xlsx), "permits", file_name="UPLOAD.XLSX").by_person == {A: [{}]}
    # A named CSV is read as CSV whatever it holds.
    errors = refusal(io.BytesIO(xlsx), "permits", file_name="records.csv")
    assert errors[0].message == "the file is not UTF-8 text (save it as CSV UTF-8)"
    # A path without a known suffix is sniffed too.
    odd = tmp_path / "records.dat"
    odd.write_bytes(xlsx)
    assert parse(odd, "permits").rows == 1


def test_text_that_is_not_utf8_but_decodes_is_still_refused_as_not_utf8() -> None:
    """A file with NUL bytes is no text, whatever its first line decodes to: UTF-16 (Excel's
    "Unicode text"), or a binary file named .csv whose first bytes happen to be valid UTF-8 —
    the check above depended on the XLSX's compressed bytes, which change with its time."""
    utf16 = f"id_number\n{B}\n".encode("utf-16-le")
    errors = refusal(io.BytesIO(utf16), "permits", file_name="records.csv")
    assert [(e.line, e.message) for e in errors] == [
        (1, "the file is not UTF-8 text (save it as CSV UTF-8)")
    ]
    zip_like = b"PK\x03\x04\x14\x00\x00\x00id_number\n" + f"{B}\n".encode()
    errors = refusal(io.BytesIO(zip_like), "permits", file_name="records.csv")
    assert [(e.line, e.message) for e in errors] == [
        (1, "the file is not UTF-8 text (save it as CSV UTF-8)")
    ]
    # A NUL further down is found at its line.
    late = f"id_number\n{B}\n{A}\x00\n".encode()
    assert [e.line for e in refusal(io.BytesIO(late), "permits", file_name="r.csv")] == [3]


class _Stream(io.RawIOBase):
    """A stream that cannot seek (an upload piped through)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_streams_that_cannot_seek(tmp_path: Path) -> None:
    xlsx = write_xlsx(tmp_path, [["id_number"], [A]]).read_bytes()
    assert parse(io.BufferedReader(_Stream(xlsx)), "permits").by_person == {A: [{}]}
    stream = io.BufferedReader(_Stream(f"id_number\n{B}\n".encode()))
    assert parse(stream, "permits", file_name="x.csv").by_person == {B: [{}]}


def test_progress_is_reported_with_increasing_values(tmp_path: Path) -> None:
    rows = "".join(f"{ident(i % 1000)},2020-01,2020-12,2020-03\n" for i in range(10_000))
    path = write_csv(tmp_path, "id_number,from,to,back_paid\n" + rows, bom=True)
    calls: list[tuple[int, int]] = []
    parsed = parse(path, "social_insurance", progress=lambda done, total: calls.append(
        (done, total)))
    assert parsed.rows == 10_000 and len(parsed.by_person) == 1000
    size = path.stat().st_size
    assert len(calls) >= 3
    assert all(total == size for _, total in calls)
    dones = [done for done, _ in calls]
    assert dones == sorted(dones) and len(set(dones)) == len(dones)
    assert 0 < dones[0] < size and dones[-1] == size

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["id_number", "code"])
    for i in range(9_000):
        sheet.append([ident(i % 1000), "model_worker"])
    xlsx = tmp_path / "h.xlsx"
    book.save(xlsx)
    calls.clear()
    parse(xlsx, "honours", progress=lambda done, total: calls.append((done, total)))
    assert len(calls) >= 3
    assert calls[-1] == (9_001, 9_001)
    assert [d for d, _ in calls] == sorted({d for d, _ in calls})


def test_nothing_is_returned_from_a_refused_file(tmp_path: Path) -> None:
    rows = "".join(f"{ident(i)},model_worker\n" for i in range(500))
    errors = refusal(write_csv(tmp_path, f"id_number,code\n{rows}{A},hero\n{rows}"), "honours")
    assert [(e.line, e.column) for e in errors] == [(502, "code")]


# ---------------------------------------------------------------- the source seam


def test_a_file_source_is_a_record_source(tmp_path: Path) -> None:
    path = write_csv(tmp_path, GOOD_CSV["housing"][0])
    source = FileSource(path, "housing")
    assert isinstance(source, RecordSource)
    assert source.fetch(rule_set=RS).by_person == GOOD_CSV["housing"][1]
    with path.open("rb") as handle:
        named = FileSource(handle, "housing", file_name="upload.csv")
        assert named.fetch(rule_set=RS, progress=lambda d, t: None).rows == 3
    with pytest.raises(ValueError, match="unknown kind"):
        FileSource(path, "cars")
