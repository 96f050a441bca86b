"""manage.py compare_records on XLSX files written with openpyxl: date cells, columns in any
order, a bad cell refusing the workbook; and a second run of a kind while one runs."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from datetime import date, datetime

import orjson
import pytest
from django.core.management import CommandError, call_command

from jifen.review.comparisons import start_run
from jifen.review.models import Decision, ItemState, VerificationItem
from jifen.rounds.models import Round
from tests.review.compare_helpers import two_submitted, xlsx_bytes

pytestmark = pytest.mark.django_db


def _run(*args: str) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = 0
    with redirect_stdout(out):
        try:
            call_command("compare_records", *args, stdout=out)
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, [line for line in out.getvalue().splitlines() if line]


def test_xlsx_with_date_cells_and_columns_in_any_order(tmp_path):
    a, b = two_submitted()
    path = tmp_path / "education.xlsx"
    path.write_bytes(xlsx_bytes(
        ["to", "full_time", "id_number", "degree", "from", "level"],
        [
            [date(2008, 6, 30), "是", a.applicant.id_number, "bachelor", date(2004, 9, 1),
             "bachelor"],
            # b studied part-time on record
            [datetime(2008, 6, 1, 0, 0), False, b.applicant.id_number, "bachelor",
             datetime(2004, 9, 1), "bachelor"],
        ],
    ))
    code, lines = _run("--year", "2026", "--kind", "education", str(path))
    assert code == 0, lines
    assert orjson.loads(lines[-1]) == {
        "kind": "education", "rows": 2, "persons": 2, "applications": 2,
        "matched": 1, "different": 1, "not_in_round": 0,
    }
    item_b = VerificationItem.objects.get(application=b, kind="education")
    assert item_b.state == ItemState.DIFFERENT
    assert item_b.latest_decision.value == [
        {"level": "bachelor", "degree": "bachelor", "full_time": False,
         "from": "2004-09", "to": "2008-06"}
    ]


def test_xlsx_detention_dates_and_a_bad_cell_refuse_the_workbook(tmp_path):
    a, _ = two_submitted()
    good = tmp_path / "detentions.xlsx"
    good.write_bytes(xlsx_bytes(["date", "id_number"], [[date(2019, 5, 4),
                                                         a.applicant.id_number]]))
    code, lines = _run("--year", "2026", "--kind", "detentions", str(good))
    assert code == 0 and orjson.loads(lines[-1])["different"] == 1
    assert VerificationItem.objects.get(application=a, kind="detentions").latest_decision.value \
        == [{"kind": "administrative_detention", "date": "2019-05-04"}]

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx_bytes(["id_number", "date"], [
        [a.applicant.id_number, "2019-02-30"],
        [a.applicant.id_number, date(2020, 1, 1)],
        [a.applicant.id_number, "昨天"],
    ]))
    before = Decision.objects.count()
    code, lines = _run("--year", "2026", "--kind", "detentions", str(bad))
    assert code == 1
    assert [line.split(":")[0] for line in lines] == ["line 2, column date",
                                                      "line 4, column date"]
    assert Decision.objects.count() == before


def test_the_command_refuses_while_a_comparison_of_the_kind_runs(tmp_path):
    two_submitted()
    start_run(round_=Round.objects.get(), kind="permits")
    path = tmp_path / "p.xlsx"
    path.write_bytes(xlsx_bytes(["id_number"], []))
    with pytest.raises(CommandError, match="2026 年度的居住证数据比对正在进行中"):
        call_command("compare_records", "--year", "2026", "--kind", "permits", str(path))
