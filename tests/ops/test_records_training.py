"""Training: the yearly plan, sessions held or cancelled, material checked and stored encrypted,
downloaded by staff, and the plan-vs-held figures."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from jifen.audit.models import AuditEvent
from jifen.core.errors import ServiceError
from jifen.core.roles import Role
from jifen.ops import parameters, training
from jifen.ops.models import TrainingSession
from tests.factories import make_staff, staff_client
from tests.files import pdf

pytestmark = pytest.mark.django_db


def ooxml(kind: str, *, macro: bool = False) -> bytes:
    """A minimal Office Open XML package of ``kind`` ("pptx" or "docx")."""
    main = "ppt/presentation.xml" if kind == "pptx" else "word/document.xml"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        package.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        package.writestr(main, '<?xml version="1.0"?><root>培训</root>')
        if macro:
            package.writestr("ppt/vbaProject.bin", b"\x00" * 64)
    return out.getvalue()


@pytest.fixture
def operator():
    return make_staff(Role.OPERATOR)


@pytest.fixture
def session(operator) -> TrainingSession:
    return training.training_plan(
        actor=operator,
        year=2026,
        title="积分评定功能培训",
        audience="市级工作人员",
        planned_on=date(2026, 3, 10),
        function="积分评定",
    )


def test_plan_held_and_cancelled_life_cycle(operator, session) -> None:
    other = training.training_plan(
        actor=operator,
        year=2026,
        title="复查流程培训",
        audience="区级工作人员",
        planned_on=date(2026, 6, 1),
    )
    held = training.training_mark_held(
        actor=operator, session=session, held_on=date(2026, 3, 11), attendees="35", trainer="张工"
    )
    assert (held.status, held.attendees, held.trainer) == ("held", 35, "张工")
    cancelled = training.training_cancel(actor=operator, session=other, reason="与申报期冲突")
    assert cancelled.status == "cancelled"
    assert training.cancel_reason(cancelled) == "与申报期冲突"
    with pytest.raises(ServiceError) as caught:
        training.training_mark_held(
            actor=operator, session=other, held_on=date(2026, 6, 1), attendees=10, trainer="张工"
        )
    assert "已取消" in caught.value.message
    with pytest.raises(ServiceError) as caught:
        training.training_cancel(actor=operator, session=session, reason="晚了")
    assert "已举办" in caught.value.message
    assert AuditEvent.objects.filter(action="ops.training_held").count() == 1
    assert AuditEvent.objects.get(action="ops.training_cancel").detail == "与申报期冲突"


@pytest.mark.parametrize(
    ("values", "field", "text"),
    [
        ({"title": ""}, "title", "请填写培训主题"),
        ({"audience": " "}, "audience", "请填写培训对象"),
        ({"planned_on": date(2027, 1, 5)}, "planned_on", "应在 2026 年内"),
        ({"planned_on": None}, "planned_on", "请填写计划日期"),
    ],
)
def test_plan_refusals_name_the_field(operator, values, field, text) -> None:
    args = {"title": "培训", "audience": "市级工作人员", "planned_on": date(2026, 4, 1)}
    args.update(values)
    with pytest.raises(ServiceError) as caught:
        training.training_plan(actor=operator, year=2026, **args)
    assert text in caught.value.message and caught.value.errors[0].field == field


@pytest.mark.parametrize(
    ("attendees", "trainer", "field"),
    [("0", "张工", "attendees"), ("多", "张工", "attendees"), (10, "", "trainer")],
)
def test_held_refusals(operator, session, attendees, trainer, field) -> None:
    with pytest.raises(ServiceError) as caught:
        training.training_mark_held(
            actor=operator,
            session=session,
            held_on=date(2026, 3, 11),
            attendees=attendees,
            trainer=trainer,
        )
    assert caught.value.errors[0].field == field
    session.refresh_from_db()
    assert session.status == "planned"


def test_material_is_stored_encrypted_and_downloaded_by_staff(operator, session) -> None:
    content = ooxml("pptx")
    training.training_upload_material(
        actor=operator,
        session=session,
        upload=SimpleUploadedFile("积分评定操作.pptx", content),
    )
    session.refresh_from_db()
    assert session.material_name == "积分评定操作.pptx"
    stored = Path(settings.TRAINING_ROOT) / session.material_path
    assert stored.read_bytes()[:8] == b"jifenEF1" and content not in stored.read_bytes()
    assert "积分评定" not in session.material_path  # a random stored name
    reviewer = staff_client(make_staff(Role.REVIEWER, department="service_window"))
    response = reviewer.get(f"/ops/training/{session.pk}/material/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert "attachment" in response["Content-Disposition"]
    assert response["Content-Type"].endswith("presentationml.presentation")
    # The stored file damaged: never served.
    raw = bytearray(stored.read_bytes())
    raw[40] ^= 0xFF
    stored.write_bytes(bytes(raw))
    damaged = reviewer.get(f"/ops/training/{session.pk}/material/")
    assert damaged.status_code == 500 and "校验未通过" in damaged.content.decode()


@pytest.mark.parametrize(
    ("name", "content", "text"),
    [
        ("课件.exe", b"MZ....", "只能是 PDF、PPTX 或 DOCX"),
        ("课件.pptx", ooxml("docx"), "不是 PPTX 演示文稿"),
        ("课件.docx", pdf(), "不是 DOCX 文档"),
        ("课件.pptx", ooxml("pptx", macro=True), "含有宏代码"),
        ("课件.pdf", b"%PDF-1.4 not really", "培训材料未通过检查"),
        ("课件.pdf", b"", "文件为空"),
    ],
)
def test_material_refusals(operator, session, name, content, text) -> None:
    with pytest.raises(ServiceError) as caught:
        training.training_upload_material(
            actor=operator, session=session, upload=SimpleUploadedFile(name, content)
        )
    assert text in caught.value.message and caught.value.errors[0].field == "material"
    session.refresh_from_db()
    assert session.material_path == ""


def test_material_size_follows_the_parameter(operator, session) -> None:
    parameters.set_parameter(
        actor=operator, key="training_material_max_mb", value="1", reason="测试上限"
    )
    big = pdf() + b"\n" * (1024 * 1024)
    with pytest.raises(ServiceError) as caught:
        training.training_upload_material(
            actor=operator, session=session, upload=SimpleUploadedFile("大.pdf", big)
        )
    assert "不能超过 1 MB" in caught.value.message
    ok = training.training_upload_material(
        actor=operator, session=session, upload=SimpleUploadedFile("讲义.pdf", pdf())
    )
    assert ok.material_name == "讲义.pdf"


def test_training_stats_plan_versus_held(operator) -> None:
    sessions = [
        training.training_plan(
            actor=operator,
            year=2026,
            title=f"培训{i}",
            audience="区级工作人员",
            planned_on=date(2026, i + 1, 5),
            function=f"功能{i}" if i < 3 else "",
        )
        for i in range(6)
    ]
    training.training_plan(
        actor=operator, year=2025, title="去年", audience="市级", planned_on=date(2025, 5, 1)
    )
    for s, n in zip(sessions[:4], (20, 30, 25, 15), strict=True):
        training.training_mark_held(
            actor=operator, session=s, held_on=s.planned_on, attendees=n, trainer="张工"
        )
    for s in sessions[:2]:
        training.training_upload_material(
            actor=operator, session=s, upload=SimpleUploadedFile("讲义.docx", ooxml("docx"))
        )
    training.training_cancel(actor=operator, session=sessions[5], reason="改期")
    stats = training.training_stats(2026)
    assert (stats["planned"], stats["held"], stats["cancelled"], stats["pending"]) == (6, 4, 1, 1)
    assert stats["attendees"] == 90 and stats["held_rate"] == round(4 / 6, 4)
    assert (stats["with_material"], stats["held_without_material"]) == (2, 2)
    assert stats["target"] == 8
    assert [(f["function"], f["material"]) for f in stats["functions"]] == [
        ("功能0", True),
        ("功能1", True),
        ("功能2", False),
    ]
    assert training.training_stats(2030)["held_rate"] is None


def test_pages_upload_form_and_permissions(operator, session) -> None:
    client = staff_client(operator)
    page = client.get("/ops/training/?year=2026").content.decode()
    assert "积分评定功能培训" in page and "计划场次</dt><dd>1 场（约定每年 8 场）" in page
    refused = client.post(
        f"/ops/training/{session.pk}/upload/",
        {"material": SimpleUploadedFile("课件.txt", b"hello")},
    )
    assert "培训材料只能是 PDF、PPTX 或 DOCX 文件" in refused.content.decode()
    kept = client.post(
        f"/ops/training/{session.pk}/held/",
        {"held_on": "2026-03-11", "attendees": "0", "trainer": "刘老师"},
    )
    text = kept.content.decode()
    assert "参训人数应为正整数" in text and 'value="刘老师"' in text
    auditor = staff_client(make_staff(Role.AUDITOR))
    assert auditor.get(f"/ops/training/{session.pk}/").status_code == 200
    assert auditor.post(f"/ops/training/{session.pk}/cancel/", {"reason": "x"}).status_code == 403
    applicant_like = staff_client(make_staff(Role.BUREAU_ADMIN))
    assert applicant_like.get("/ops/training/").status_code == 403
    session.refresh_from_db()
    assert session.status == "planned"


def test_staff_find_the_material_from_their_home(operator, session) -> None:
    training.training_upload_material(
        actor=operator, session=session, upload=SimpleUploadedFile("手册.docx", ooxml("docx"))
    )
    cancelled = training.training_plan(
        actor=operator,
        year=2026,
        title="已取消的培训",
        audience="区级工作人员",
        planned_on=date(2026, 5, 1),
    )
    training.training_cancel(actor=operator, session=cancelled, reason="改期")
    reviewer = staff_client(make_staff(Role.REVIEWER, department="tax"))
    home = reviewer.get("/staff/").content.decode()
    assert 'href="/ops/training/materials/"' in home
    page = reviewer.get("/ops/training/materials/").content.decode()
    assert "积分评定功能培训" in page and "手册.docx" in page and "已取消的培训" not in page
    assert f"/ops/training/{session.pk}/material/" in page
    # Reading the list is not the console: the plan itself stays with operators and auditors.
    assert reviewer.get("/ops/training/").status_code == 403
