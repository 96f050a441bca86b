"""Publishing the admitted list: the snapshot, its masking, the gate, re-publication, the
downloads (real files read back) and the notifications."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pikepdf
import pytest

from jifen.audit.models import AuditEvent
from jifen.core.errors import Conflict, NotPermitted, OutsideWindow
from jifen.core.roles import Role
from jifen.inbox.models import Message
from jifen.publication import exports, services
from jifen.publication.models import ListedEntry, PublicationFile
from jifen.rounds.models import RunState
from jifen.rules import INDICATORS
from tests.factories import make_staff

from .pdftext import page_texts, pdf_text
from .world import listed_round, make_run

pytestmark = pytest.mark.django_db


def test_snapshot_holds_the_admitted_with_masked_numbers(bureau):
    w = listed_round(n=4, admitted=3)
    pub = services.publish(actor=bureau, round=w.round)
    entries = list(ListedEntry.objects.filter(publication=pub))
    assert [e.rank for e in entries] == [1, 2, 3]
    assert pub.rows == 3 and pub.version == 1
    first = entries[0]
    number = w.applicants[0].applicant.id_number
    assert first.id_masked == number[:6] + "********" + number[-4:]
    assert len(first.id_masked) == 18 and first.id_masked[6:14] == "********"
    assert first.name == "王素芳"
    assert first.employer == "北京星河科技有限公司"
    assert first.birth_month == "1988-03"
    assert len(first.scores) == len(INDICATORS) == 10
    assert first.scores[0] == "60.50" and first.scores[3] == "-10.21"
    assert first.total == Decimal("111.96")
    assert first.application_id == w.apps[0].pk
    # The fourth (not admitted) is not listed; no full number is stored anywhere.
    assert not ListedEntry.objects.filter(application=w.apps[3]).exists()
    assert not ListedEntry.objects.filter(id_masked=number).exists()
    event = AuditEvent.objects.get(action="publication.publish")
    assert event.after["rows"] == 3


def test_only_the_bureau_publishes(bureau):
    w = listed_round()
    for role in (Role.REVIEWER, Role.AUDITOR):
        user = make_staff(role, department="tax" if role == Role.REVIEWER else "")
        with pytest.raises(NotPermitted):
            services.publish(actor=user, round=w.round)
    with pytest.raises(NotPermitted):
        services.publish(actor=w.applicants[0], round=w.round)


@pytest.mark.parametrize("window", ["upcoming", "closed"])
def test_publish_only_in_the_publication_window(bureau, window):
    w = listed_round(publication=window)
    with pytest.raises(OutsideWindow) as exc:
        services.publish(actor=bureau, round=w.round)
    assert "公示与异议阶段" in exc.value.message


def test_publish_needs_a_done_run(bureau):
    w = listed_round()
    w.run.state = RunState.RUNNING
    w.run.save()
    with pytest.raises(Conflict) as exc:
        services.publish(actor=bureau, round=w.round)
    assert exc.value.message == "该年度尚无已完成的积分评定结果，不能公示"


def test_republish_replaces_the_snapshot_and_files_atomically(bureau):
    w = listed_round(n=4, admitted=3)
    pub = services.publish(actor=bureau, round=w.round)
    old_files = set(PublicationFile.objects.filter(publication=pub).values_list("pk", flat=True))
    # A re-run after a correction: the fourth now admitted instead of the third.
    order = [w.apps[0], w.apps[1], w.apps[3], w.apps[2]]
    make_run(w.round, order, admitted=3)
    pub = services.publish(actor=bureau, round=w.round)
    assert pub.version == 2
    listed = list(
        ListedEntry.objects.filter(publication=pub).values_list("application_id", flat=True)
    )
    assert listed == [w.apps[0].pk, w.apps[1].pk, w.apps[3].pk]
    assert ListedEntry.objects.count() == 3
    files = PublicationFile.objects.filter(publication=pub)
    assert files.count() == 3 and not old_files & set(files.values_list("pk", flat=True))
    event = AuditEvent.objects.get(action="publication.republish")
    assert event.before["version"] == 1 and event.after["version"] == 2


def test_republish_that_fails_leaves_the_old_list(bureau, monkeypatch):
    w = listed_round(n=4, admitted=3)
    services.publish(actor=bureau, round=w.round)

    def broken(*args, **kwargs):
        raise RuntimeError("PDF failed")

    monkeypatch.setattr(exports, "to_pdf", broken)
    make_run(w.round, w.apps, admitted=2)
    with pytest.raises(RuntimeError):
        services.publish(actor=bureau, round=w.round)
    assert ListedEntry.objects.count() == 3
    assert PublicationFile.objects.count() == 3


def test_admitted_applicants_are_notified(bureau):
    w = listed_round(n=4, admitted=3)
    services.publish(actor=bureau, round=w.round)
    told = set(
        Message.objects.filter(subject="2026年积分落户公示名单已公示").values_list(
            "recipient_id", flat=True
        )
    )
    assert told == {a.pk for a in w.applicants[:3]}


def _file(pub, kind):
    return bytes(PublicationFile.objects.get(publication=pub, kind=kind).content)


def test_csv_has_a_bom_the_layout_and_escaped_formulas(bureau):
    w = listed_round(n=4, admitted=3)
    pub = services.publish(actor=bureau, round=w.round)
    data = _file(pub, "csv")
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").split("\r\n", 1)
    # The watermark first, as a comment line (docs/personal-data.md).
    assert lines[0].startswith("# 导出人：工作人员（") and "导出时间：" in lines[0]
    rows = list(csv.reader(io.StringIO(lines[1])))
    assert rows[0] == list(exports.HEADERS)
    assert rows[0][:5] == ["排名", "姓名", "公民身份号码", "出生年月", "单位名称"]
    assert rows[1][0] == "1" and rows[1][1] == "王素芳" and rows[1][2].count("*") == 8
    assert rows[1][-1] == "111.96" and rows[1][8] == "-10.21"
    assert rows[3][4] == '\'=HYPERLINK("x")有限公司'  # a formula shown as text
    assert len(rows) == 4


def test_xlsx_reads_back_with_numbers_and_no_formulas(bureau):
    w = listed_round(n=4, admitted=3)
    pub = services.publish(actor=bureau, round=w.round)
    book = openpyxl.load_workbook(io.BytesIO(_file(pub, "xlsx")))
    sheet = book.active
    assert sheet.title == "公示名单"
    assert sheet["A1"].value == "北京市2026年积分落户公示名单"
    assert [c.value for c in sheet[2]] == list(exports.HEADERS)
    assert sheet["A3"].value == 1 and sheet["B3"].value == "王素芳"
    assert sheet["P3"].value == pytest.approx(111.96)
    assert sheet["E5"].value == '\'=HYPERLINK("x")有限公司'
    assert sheet["E5"].data_type == "s"
    assert sheet.max_row == 5


def test_pdf_is_a4_landscape_with_chinese_text(bureau):
    w = listed_round(n=4, admitted=3)
    pub = services.publish(actor=bureau, round=w.round)
    data = _file(pub, "pdf")
    assert data.startswith(b"%PDF-")
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert str(pdf.docinfo["/Title"]) == "北京市2026年积分落户公示名单"
        box = [float(v) for v in pdf.pages[0].MediaBox]
        assert box[2] > box[3]  # landscape
        assert round(box[2]) == 842 and round(box[3]) == 595  # A4 in points
        fonts = [str(f.get("/BaseFont")) for f in pdf.pages[0].Resources.Font.values()]
    assert any("CJK" in f for f in fonts), fonts
    text = pdf_text(data)
    assert "北京市2026年积分落户公示名单" in text
    # The header's column names wrap within their columns: 合法稳 / 定就业.
    assert "王素芳" in text and "合法稳" in text and "定就业" in text and "111.96" in text
    assert "第 1 页 / 共 1 页" in text


def test_pdf_repeats_the_header_on_every_page_with_page_numbers():
    from types import SimpleNamespace

    rows = [
        SimpleNamespace(
            rank=i + 1,
            name=f"测试{i + 1}",
            id_masked="110105********2346",
            birth_month="1980-01",
            employer="北京星河科技有限公司",
            scores=["1.00"] * 10,
            total="10.00",
        )
        for i in range(120)
    ]
    pages = page_texts(exports.to_pdf(rows, year=2025))
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert "排名" in text and "公民身份号码" in text  # the header row on each page
        assert f"第 {number} 页 / 共 {len(pages)} 页" in text
    assert "测试1 " in pages[0] and "测试120" in pages[-1]


def test_pdf_columns_line_up_with_chinese_and_long_names():
    assert exports.display_width("王素芳") == 6 and exports.display_width("60.50") == 5
    assert exports.display_width("买买提·艾力") == 12
    cells = ["1", "王素芳", "110105********2346", "1980-01", "中" * 30, *["60.50"] * 10, "124.17"]
    first, second = exports._grid_row(cells, 5).split("\n")
    # The employer wraps onto a second line within its column; the scores keep their place.
    assert second.strip() == "中" * 8
    assert exports.display_width(first) == sum(exports.PDF_COLUMNS) + len(cells) - 1
    assert first.endswith(" 124.17")
