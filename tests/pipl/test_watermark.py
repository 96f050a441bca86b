"""Exports of personal data carry who exported them and when, are logged, escape formulas.

The files are opened for real: XLSX with openpyxl (header, footer, document properties), PDF
with pikepdf (the text of every page), CSV as text."""

from __future__ import annotations

import io
from datetime import date
from types import SimpleNamespace

import openpyxl
import pytest

from jifen.audit.exports import EXPORT_ACTION
from jifen.audit.models import AuditEvent
from jifen.core import watermark
from jifen.core.roles import Role
from jifen.ops import visits
from jifen.publication import exports, services
from jifen.publication.models import PublicationFile
from jifen.stats.statistics_selectors import Table
from jifen.stats.statistics_xlsx import table_xlsx
from tests.factories import make_staff, staff_client
from tests.publication.pdftext import page_texts
from tests.publication.world import listed_round

pytestmark = pytest.mark.django_db


def _exports() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=EXPORT_ACTION).order_by("seq"))


def _check_xlsx(content: bytes, who: str) -> openpyxl.Workbook:
    book = openpyxl.load_workbook(io.BytesIO(content))
    for sheet in book.worksheets:
        for part in (sheet.oddHeader.left.text, sheet.oddFooter.left.text):
            assert part is not None and f"导出人：{who}" in part and "导出时间：" in part
    assert f"导出人：{who}" in book.properties.description
    custom = {p.name: p.value for p in book.custom_doc_props.props}
    assert f"导出人：{who}" in custom[watermark.PROPERTY]
    return book


def test_the_watermark_names_the_exporter_and_beijing_time() -> None:
    from datetime import UTC, datetime

    user = SimpleNamespace(
        is_authenticated=True, full_name="张科长", get_username=lambda: "bureau-zhang"
    )
    mark = watermark.for_actor(user, at=datetime(2026, 11, 30, 16, 5, tzinfo=UTC))
    assert mark.text == (
        "导出人：张科长（bureau-zhang）　导出时间：2026-12-01 00:05:00（北京时间）　"
        "含个人信息，仅限工作使用，不得外传"
    )
    assert watermark.exporter_name(None) == "系统（定时任务）"
    anonymous = SimpleNamespace(is_authenticated=False)
    assert watermark.exporter_name(anonymous) == "公众（未登录）"


def test_published_list_files_are_watermarked_on_every_page_and_logged() -> None:
    bureau = make_staff(Role.BUREAU_ADMIN, username="bureau-li")
    w = listed_round(n=4, admitted=3)
    pub = services.publish(actor=bureau, round=w.round)
    files = {f.kind: bytes(f.content) for f in PublicationFile.objects.filter(publication=pub)}
    who = "工作人员（bureau-li）"

    first = files["csv"].decode("utf-8-sig").split("\r\n")[0]
    assert first.startswith(f"# 导出人：{who}") and "导出时间：" in first

    book = _check_xlsx(files["xlsx"], who)
    sheet = book.active
    assert sheet["E5"].value == '\'=HYPERLINK("x")有限公司' and sheet["E5"].data_type == "s"

    pages = page_texts(files["pdf"])
    assert pages and all(f"导出人：{who}" in text for text in pages)

    events = _exports()
    assert [(e.after["what"], e.after["format"], e.after["rows"]) for e in events] == [
        ("publication.list", "csv", 3),
        ("publication.list", "xlsx", 3),
        ("publication.list", "pdf", 3),
    ]
    assert all(e.actor_id == bureau.pk and e.target_id == str(pub.pk) for e in events)


def test_a_long_list_pdf_has_the_watermark_on_every_page() -> None:
    rows = [
        SimpleNamespace(
            rank=i + 1,
            name=f"测试{i + 1}",
            id_masked="110105********1234",
            birth_month="1988-03",
            employer="北京星河科技有限公司",
            scores=["1.00"] * 10,
            total="10.00",
        )
        for i in range(120)
    ]
    mark = watermark.Watermark(who="测试员（t1）", at=watermark.timezone.now())
    pages = page_texts(exports.to_pdf(rows, year=2026, watermark=mark))
    assert len(pages) > 2
    assert all("导出人：测试员（t1）" in text for text in pages)


def test_statistics_xlsx_is_watermarked_logged_and_escapes_formulas() -> None:
    bureau = make_staff(Role.BUREAU_ADMIN, username="bureau-wang")
    listed_round(n=4, admitted=3)
    client = staff_client(bureau)
    response = client.get("/stats/statistics/distribution.xlsx?year=2026")
    assert response.status_code == 200
    _check_xlsx(response.content, "工作人员（bureau-wang）")
    event = _exports()[-1]
    assert event.after["what"] == "stats.statistics.distribution"
    assert event.after["format"] == "xlsx" and event.actor_id == bureau.pk
    assert event.after["rows"] > 0

    table = Table(key="t", title="=1+1", columns=["@SUM(A1)", "人数"], rows=[["-2+3", 5]])
    sheet = openpyxl.load_workbook(io.BytesIO(table_xlsx(table))).active
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "'=1+1" in values and "'@SUM(A1)" in values and "'-2+3" in values and 5 in values


def test_adhoc_statistics_export_through_the_api_is_watermarked_and_logged() -> None:
    bureau = make_staff(Role.BUREAU_ADMIN, username="bureau-zhao")
    listed_round(n=4, admitted=3)
    client = staff_client(bureau)
    response = client.post(
        "/api/stats/adhoc/xlsx",
        {"group_by": ["year"], "measures": ["count"], "filters": []},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    _check_xlsx(response.content, "工作人员（bureau-zhao）")
    event = _exports()[-1]
    assert (event.after["what"], event.after["format"]) == ("stats.adhoc", "xlsx")
    assert event.channel == "api"


def test_service_visits_export_is_watermarked_and_logged() -> None:
    operator = make_staff(Role.OPERATOR, username="ops-chen")
    visits.visit_record(
        actor=operator,
        visited_on=date(2026, 10, 5),
        place="东城区人力社保局",
        engineer=operator,
        problem="核对申请人社保记录",
        solution="",
    )
    client = staff_client(operator)
    response = client.get("/ops/visits/export.xlsx?start=2026-10-01&end=2026-10-31")
    assert response.status_code == 200
    _check_xlsx(response.content, "工作人员（ops-chen）")
    event = _exports()[-1]
    assert (event.after["what"], event.after["rows"]) == ("ops.visits", 1)


# Files that build spreadsheets or PDFs without the watermark, and why (no personal data).
NO_PERSONAL_DATA = {
    "ops/inspection/exports.py": "巡检报告：机器、数据库与日志的汇总数字，无个人信息",
}


def test_every_spreadsheet_or_pdf_builder_uses_the_watermark() -> None:
    from pathlib import Path

    src = Path(__file__).resolve().parents[2] / "src" / "jifen"
    missing = []
    for path in src.rglob("*.py"):
        rel = path.relative_to(src).as_posix()
        if rel.startswith(("core/", "demo/")) or rel in NO_PERSONAL_DATA:
            continue
        text = path.read_text("utf-8")
        builds = "xlsxwriter.Workbook(" in text or "new_workbook(" in text
        builds |= "html_to_pdf(" in text or "csv.writer(" in text
        if builds and "watermark" not in text:
            missing.append(rel)
    assert missing == []


def test_operations_reports_carry_the_watermark() -> None:
    from jifen.ops.reports.period import parse
    from jifen.ops.reports.services import generate_report

    operator = make_staff(Role.OPERATOR, username="ops-sun")
    quarter = parse("quarter", "2026Q3")
    made = generate_report(period=quarter, fmt="xlsx", actor=operator, via="console")
    _check_xlsx(made.content, "工作人员（ops-sun）")
    made = generate_report(period=quarter, fmt="pdf", actor=None, via="schedule")
    pages = page_texts(made.content)
    assert pages and all("导出人：系统（定时任务）" in text for text in pages)


def test_an_incident_report_is_watermarked_on_every_page_and_logged() -> None:
    from jifen.ops import incidents

    operator = make_staff(Role.OPERATOR, username="ops-zhou")
    incident = incidents.register_incident(
        actor=operator, title="短信延迟", symptom="验证码短信延迟。", channel="remote"
    )
    incidents.respond(actor=operator, incident_id=incident.pk)
    incidents.record_analysis(actor=operator, incident_id=incident.pk, analysis="网关拥塞。")
    incidents.record_actions(actor=operator, incident_id=incident.pk, actions="切换通道。")
    incidents.resolve(actor=operator, incident_id=incident.pk)
    incidents.close(actor=operator, incident_id=incident.pk)
    data = staff_client(operator).get(f"/ops/incidents/{incident.number}/report.pdf").content
    pages = page_texts(data)
    assert pages and all("导出人：工作人员（ops-zhou）" in text for text in pages)
    event = _exports()[-1]
    assert (event.after["what"], event.after["format"]) == ("ops.incident_report", "pdf")
    assert event.target_id == str(incident.pk) and event.actor_id == operator.pk


def test_a_whatif_export_is_watermarked_and_logged() -> None:
    from jifen.stats import exports as stats_exports
    from jifen.stats.whatif import Scenario, compute_whatif
    from tests.stats.adhoc_world import build

    boss = make_staff(Role.BUREAU_ADMIN, username="bureau-qian")
    build(12)
    outcome = compute_whatif(actor=boss, year=2026, scenario=Scenario(quota=4))
    _check_xlsx(stats_exports.whatif_file(actor=boss, outcome=outcome), "工作人员（bureau-qian）")
    event = _exports()[-1]
    assert (event.after["what"], event.after["rows"]) == ("stats.whatif", 12)
    assert event.target_type == "rounds.round"
