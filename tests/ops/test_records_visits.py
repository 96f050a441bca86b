"""On-site service records: the life cycle (recorded, solved, signed off), refusals naming the
field, the month's figures, the XLSX export and who may do what."""

from __future__ import annotations

import io
from datetime import date, timedelta

import openpyxl
import pytest
from django.utils import timezone

from jifen.audit.models import AuditEvent
from jifen.core.errors import ServiceError
from jifen.core.roles import Role
from jifen.ops import visits
from jifen.ops.models import ServiceVisit
from tests.factories import make_staff, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def engineer():
    return make_staff(Role.OPERATOR)


def _visit(engineer, day: date, *, solution: str = "", rating: int | None = None) -> ServiceVisit:
    visit = visits.visit_record(
        actor=engineer,
        visited_on=day,
        place="东城区人力社保局",
        engineer=engineer,
        problem="核对申请人社保记录",
        solution=solution,
    )
    if rating is not None:
        visit = visits.visit_sign_off(
            actor=engineer, visit=visit, signed_off_by="王老师", satisfaction=rating
        )
    return visit


def test_a_visit_is_complete_only_when_solved_and_signed_off(engineer) -> None:
    day = timezone.localdate()
    visit = _visit(engineer, day)
    assert not visits.is_complete(visit)
    with pytest.raises(ServiceError) as caught:
        visits.visit_sign_off(actor=engineer, visit=visit, signed_off_by="王老师", satisfaction=5)
    assert "请先填写解决方法" in caught.value.message
    visits.visit_solve(actor=engineer, visit=visit, solution="现场重新比对后修正")
    visit.refresh_from_db()
    assert not visits.is_complete(visit)
    visit = visits.visit_sign_off(
        actor=engineer, visit=visit, signed_off_by="王老师", satisfaction="4"
    )
    assert visits.is_complete(visit) and visit.satisfaction == 4
    assert visit.signed_off_by == "王老师" and visit.signed_off_at is not None
    actions = list(
        AuditEvent.objects.filter(action__startswith="ops.visit").values_list("action", flat=True)
    )
    assert sorted(actions) == ["ops.visit_record", "ops.visit_sign_off", "ops.visit_solve"]
    # The signer's name stays on the record, never in the audit log.
    assert not AuditEvent.objects.filter(after__icontains="王老师").exists()
    with pytest.raises(ServiceError) as caught:
        visits.visit_solve(actor=engineer, visit=visit, solution="改写")
    assert "已由甲方确认" in caught.value.message


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"visited_on": None}, "visited_on", "请填写服务日期"),
        ({"visited_on": date.today() + timedelta(days=3)}, "visited_on", "不能晚于今天"),
        ({"place": "  "}, "place", "请填写服务地点"),
        ({"problem": ""}, "problem", "请填写问题描述"),
        ({"engineer": "auditor"}, "engineer", "请选择服务人员"),
    ],
)
def test_recording_refusals_name_the_field(engineer, changes, field, text) -> None:
    values = {
        "visited_on": timezone.localdate(),
        "place": "朝阳区",
        "engineer": engineer,
        "problem": "问题",
    }
    values.update(changes)
    if values["engineer"] == "auditor":
        values["engineer"] = make_staff(Role.AUDITOR)
    with pytest.raises(ServiceError) as caught:
        visits.visit_record(actor=engineer, **values)
    assert text in caught.value.message and caught.value.errors[0].field == field
    assert not ServiceVisit.objects.exists()


@pytest.mark.parametrize(
    ("rating", "name", "field"),
    [
        (0, "王老师", "satisfaction"),
        (6, "王老师", "satisfaction"),
        ("很好", "王老师", "satisfaction"),
        (5, " ", "signed_off_by"),
    ],
)
def test_sign_off_refusals(engineer, rating, name, field) -> None:
    visit = _visit(engineer, timezone.localdate(), solution="已解决")
    with pytest.raises(ServiceError) as caught:
        visits.visit_sign_off(actor=engineer, visit=visit, signed_off_by=name, satisfaction=rating)
    assert caught.value.errors[0].field == field
    visit.refresh_from_db()
    assert visit.signed_off_at is None


def test_visit_stats_counts_and_average(engineer) -> None:
    _visit(engineer, date(2026, 9, 3), solution="已解决", rating=5)
    _visit(engineer, date(2026, 10, 5), solution="已解决", rating=4)
    _visit(engineer, date(2026, 10, 12), solution="已解决", rating=3)
    _visit(engineer, date(2026, 10, 20), solution="已解决")  # solved, not signed off
    _visit(engineer, date(2026, 10, 28))  # open
    stats = visits.visit_stats(date(2026, 10, 1), date(2026, 10, 31))
    assert (stats["total"], stats["completed"], stats["open"], stats["rated"]) == (4, 2, 2, 2)
    assert stats["average_satisfaction"] == 3.5
    assert stats["completion_rate"] == 0.5
    assert stats["satisfaction_counts"] == {1: 0, 2: 0, 3: 1, 4: 1, 5: 0}
    assert stats["target_per_month"] == 10
    year = visits.visit_stats(date(2026, 1, 1), date(2026, 12, 31))
    assert [(m["month"], m["total"], m["completed"]) for m in year["months"]] == [
        ("2026-09", 1, 1),
        ("2026-10", 4, 2),
    ]
    assert year["average_satisfaction"] == 4.0
    empty = visits.visit_stats(date(2025, 1, 1), date(2025, 1, 31))
    assert empty["total"] == 0 and empty["average_satisfaction"] is None
    assert empty["completion_rate"] is None


def test_month_page_export_and_permissions(engineer) -> None:
    _visit(engineer, date(2026, 10, 5), solution='=HYPERLINK("x")', rating=5)
    _visit(engineer, date(2026, 10, 9))
    client = staff_client(engineer)
    page = client.get("/ops/visits/?month=2026-10").content.decode()
    assert "服务次数</dt><dd>2 次（约定每月约 10 次）" in page
    assert "平均满意度</dt><dd>5.0 分（1 次评价" in page
    response = client.get("/ops/visits/export.xlsx?start=2026-10-01&end=2026-10-31")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2][:3] == ("服务日期", "服务地点", "服务人员")
    assert rows[3][0] == "2026-10-05" and rows[3][4] == '\'=HYPERLINK("x")'
    assert rows[3][8] == "已完成" and rows[4][8] == "未完成"
    assert ("合计", 2) in [r[:2] for r in rows]
    bad = client.get("/ops/visits/export.xlsx?start=2026-10-31&end=2026-10-01")
    assert "截止日期不能早于起始日期" in bad.content.decode()

    auditor = staff_client(make_staff(Role.AUDITOR))
    assert auditor.get("/ops/visits/?month=2026-10").status_code == 200
    visit = ServiceVisit.objects.get(visited_on=date(2026, 10, 9))
    refused = auditor.post(f"/ops/visits/{visit.pk}/solve/", {"solution": "审计员不能写"})
    assert refused.status_code == 403
    assert staff_client(make_staff(Role.BUREAU_ADMIN)).get("/ops/visits/").status_code == 403
    visit.refresh_from_db()
    assert visit.solution == ""


def test_sign_off_form_keeps_what_was_typed(engineer) -> None:
    visit = _visit(engineer, timezone.localdate(), solution="已解决")
    client = staff_client(engineer)
    response = client.post(
        f"/ops/visits/{visit.pk}/sign-off/", {"signed_off_by": "李科长", "satisfaction": ""}
    )
    page = response.content.decode()
    assert "请选择满意度（1–5 分）" in page and 'value="李科长"' in page
    response = client.post(
        f"/ops/visits/{visit.pk}/sign-off/",
        {"signed_off_by": "李科长", "satisfaction": "5"},
        follow=True,
    )
    assert "甲方已确认，本次现场服务已完成" in response.content.decode()
    visit.refresh_from_db()
    assert visit.satisfaction == 5
