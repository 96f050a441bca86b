"""The bureau sets a round up and changes it (年度设置): services, pages and API. Every change
is a RoundChange row (field, old → new, reason, actor, time) and an audit event."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from jifen.audit.models import AuditEvent
from jifen.core.errors import InvalidInput, NotPermitted
from jifen.core.roles import Department, Role
from jifen.rounds import phases
from jifen.rounds.models import Round, RoundChange, ScoringRun
from jifen.rounds.services import RERUN_WARNING, round_create, round_update, schedule_errors
from tests.factories import make_round, make_staff, staff_client

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


@pytest.fixture
def bureau():
    return make_staff(Role.BUREAU_ADMIN, username="bureau1")


def at(text: str) -> datetime:
    """A Beijing time."""
    return timezone.make_aware(datetime.fromisoformat(text))


def fields_of(exc: pytest.ExceptionInfo[InvalidInput]) -> dict[str, str]:
    return {e.field: e.message for e in exc.value.errors}


# --- validation of the schedule -----------------------------------------------------------


def test_a_window_must_close_after_it_opens_and_each_error_names_its_field() -> None:
    values = {f: None for p in phases.ORDER for f in phases.field_names(p)}
    values.update(declaration_opens=at("2026-05-01 09:00"), declaration_closes=at("2026-05-31"),
                  scoring_opens=at("2026-09-10"), scoring_closes=at("2026-09-01"))
    errors = {e.field: e.message for e in schedule_errors(values)}
    assert errors == {"scoring_closes": "积分评定截止时间必须晚于开始时间"}


def test_the_phases_order_is_checked() -> None:
    values = {
        "registration_opens": at("2026-05-01"), "registration_closes": at("2026-06-01"),
        "declaration_opens": at("2026-05-01"), "declaration_closes": at("2026-06-01"),
        "employer_review_opens": at("2026-05-01"), "employer_review_closes": at("2026-06-05"),
        "verification_opens": at("2026-05-01"), "verification_closes": at("2026-07-30"),
        "recheck_opens": at("2026-07-30"), "recheck_closes": at("2026-08-15"),
        # scoring before the re-checks are over; publication before scoring; settlement
        # before publication
        "scoring_opens": at("2026-08-10"), "scoring_closes": at("2026-08-30"),
        "publication_opens": at("2026-08-01"), "publication_closes": at("2026-09-07"),
        "settlement_opens": at("2026-07-01"), "settlement_closes": at("2027-03-01"),
    }
    errors = {e.field: e.message for e in schedule_errors(values)}
    assert errors == {
        "scoring_opens": "积分评定不能早于复查结束（2026-08-15 00:00）",
        "publication_opens": "公示不能早于积分评定开始（2026-08-10 00:00）",
        "settlement_opens": "落户办理不能早于公示开始（2026-08-01 00:00）",
    }


# --- round_create ---------------------------------------------------------------------------


def test_round_create_takes_windows_and_the_departments_days(bureau) -> None:
    opens, closes = at("2026-05-01 09:00"), at("2026-05-31 17:00")
    rnd = round_create(
        actor=bureau, year=2026, opens=opens, closes=closes,
        windows={"recheck_opens": at("2026-08-01"), "recheck_closes": at("2026-08-14 17:00")},
        verification_days={"housing": 15, "tax": "7"},
    )
    rnd.refresh_from_db()
    assert (rnd.recheck_opens, rnd.recheck_closes) == (at("2026-08-01"), at("2026-08-14 17:00"))
    # the others by the default schedule
    assert rnd.scoring_opens == closes + timedelta(days=75)
    assert rnd.verification_days == {"housing": 15, "tax": 7}


def test_round_create_names_each_bad_field(bureau) -> None:
    with pytest.raises(InvalidInput) as exc:
        round_create(
            actor=bureau, year=2026, opens=at("2026-05-01"), closes=at("2026-05-31"),
            windows={"publication_opens": at("2026-05-02"),
                     "publication_closes": at("2026-05-01")},
            verification_days={"housing": 0, "pets": 3},
        )
    assert fields_of(exc) == {
        "publication_closes": "公示与异议截止时间必须晚于开始时间",
        "verification_days.housing": "住房城乡建设的核验时限应为 1 至 60 个工作日",
        "verification_days.pets": "没有名为 pets 的核验部门",
    }
    assert not Round.objects.exists()


def test_only_the_bureau_sets_rounds_up() -> None:
    reviewer = make_staff(Role.REVIEWER, Department.TAX)
    with pytest.raises(NotPermitted) as exc:
        round_create(actor=reviewer, year=2026, opens=at("2026-05-01"),
                     closes=at("2026-05-31"))
    assert exc.value.message == "只有市人社局管理员可以设置积分落户年度"
    rnd = make_round(2026)
    with pytest.raises(NotPermitted):
        round_update(actor=reviewer, round=rnd, changes={"quota": 1}, reason="试一试")


# --- round_update ---------------------------------------------------------------------------


def test_each_change_is_recorded_with_its_reason(bureau) -> None:
    rnd = make_round(2026)
    old_quota, old_closes = rnd.quota, rnd.scoring_closes
    new_closes = old_closes + 3 * DAY
    result = round_update(
        actor=bureau, round=rnd,
        changes={"quota": 6100, "scoring_closes": new_closes, "rule_set": rnd.rule_set},
        reason="市政府批准增加落户指标",
    )
    assert result.warnings == []
    rnd.refresh_from_db()
    assert (rnd.quota, rnd.scoring_closes) == (6100, new_closes)
    rows = list(RoundChange.objects.filter(round=rnd).order_by("id").values(
        "field", "old", "new", "reason", "actor"
    ))
    # the unchanged rule set is not a change
    assert rows == [
        {"field": "quota", "old": old_quota, "new": 6100, "reason": "市政府批准增加落户指标",
         "actor": bureau.pk},
        {"field": "scoring_closes", "old": old_closes.isoformat(),
         "new": new_closes.isoformat(), "reason": "市政府批准增加落户指标", "actor": bureau.pk},
    ]
    event = AuditEvent.objects.get(action="round.update")
    assert event.actor == bureau
    assert event.before == {"quota": old_quota, "scoring_closes": old_closes.isoformat()}
    assert event.after["quota"] == 6100 and event.after["reason"] == "市政府批准增加落户指标"
    assert event.after["changes"] == [c.pk for c in result.changes]


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_reason_is_required(bureau, reason: Any) -> None:
    rnd = make_round(2026)
    with pytest.raises(InvalidInput) as exc:
        round_update(actor=bureau, round=rnd, changes={"quota": 5000}, reason=reason)
    assert fields_of(exc) == {"reason": "请填写变更理由"}
    assert not RoundChange.objects.exists() and Round.objects.get().quota == 6000


def test_a_bad_change_writes_nothing(bureau) -> None:
    rnd = make_round(2026)
    with pytest.raises(InvalidInput) as exc:
        round_update(
            actor=bureau, round=rnd, reason="调整",
            changes={"quota": 6100, "settlement_opens": rnd.publication_opens - DAY,
                     "rule_set": "shanghai-2020", "verification_closes": None, "year": 2027},
        )
    assert fields_of(exc) == {
        "year": "不是可变更的年度参数",
        "rule_set": "没有名为 shanghai-2020 的积分规则",
        "verification_closes": "请填写部门核验截止时间",
        "settlement_opens": exc.value.errors[-1].message,
    }
    assert fields_of(exc)["settlement_opens"].startswith("落户办理不能早于公示开始（")
    assert not RoundChange.objects.exists() and Round.objects.get().quota == 6000


def test_nothing_changed_is_said(bureau) -> None:
    rnd = make_round(2026)
    with pytest.raises(InvalidInput) as exc:
        round_update(actor=bureau, round=rnd, changes={"quota": rnd.quota}, reason="核对")
    assert exc.value.message == "没有需要变更的参数（填写的与现有设置相同）"


def test_changing_the_quota_after_a_scoring_run_warns_to_re_run(bureau) -> None:
    rnd = make_round(2026)
    ScoringRun.objects.create(round=rnd, kind="score", state="done")
    result = round_update(actor=bureau, round=rnd, changes={"quota": 6001}, reason="调整")
    assert result.warnings == [RERUN_WARNING]
    # a window's change needs no re-run
    result = round_update(actor=bureau, round=rnd,
                          changes={"settlement_closes": rnd.settlement_closes + DAY},
                          reason="延长落户办理")
    assert result.warnings == []


# --- pages ------------------------------------------------------------------------------------


def test_the_pages_are_the_bureaus() -> None:
    make_round(2026)
    for role, dept in ((Role.REVIEWER, Department.TAX), (Role.AUDITOR, "")):
        client = staff_client(make_staff(role, dept))
        for url in ("/staff/rounds/", "/staff/rounds/new/", "/staff/rounds/2026/edit/"):
            response = client.get(url)
            assert response.status_code == 403, url
            assert "年度设置仅供市人社局管理员使用" in response.content.decode()


def test_without_the_second_factor_the_bureau_is_sent_to_it(bureau) -> None:
    client = Client()
    client.force_login(bureau)
    response = client.get("/staff/rounds/")
    assert response.status_code == 302 and "/staff/rounds/" not in response.url.split("?")[0]


def test_the_new_round_form_is_prefilled(bureau) -> None:
    html = staff_client(bureau).get("/staff/rounds/new/").content.decode()
    year = timezone.localdate().year
    assert f'name="year" value="{year}"' in html
    assert 'value="6000"' in html  # the rule set's quota
    assert '<option value="beijing-2020" selected>' in html
    assert 'name="scoring_opens"' in html and 'type="datetime-local"' in html


def _post_data(rnd: Round, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"rule_set": rnd.rule_set, "quota": rnd.quota, "reason": ""}
    for p in phases.ORDER:
        for f in phases.field_names(p):
            data[f] = timezone.localtime(getattr(rnd, f)).strftime("%Y-%m-%dT%H:%M")
    data.update(overrides)
    return data


def test_edit_with_a_reason_and_the_history_shows_it(bureau) -> None:
    rnd = make_round(2026)
    earlier = timezone.localtime(rnd.recheck_closes - DAY)
    client = staff_client(bureau)
    response = client.post("/staff/rounds/2026/edit/", _post_data(
        rnd, quota=6200, recheck_closes=earlier.strftime("%Y-%m-%dT%H:%M"), days_housing="12",
        reason="市政府批准增加指标",
    ), follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == "/staff/rounds/2026/"
    assert "已变更 2026 年度的落户指标数、复查申请截止时间、部门核验时限（工作日）" in html
    assert 'id="round-history"' in html
    assert "<td data-label=\"原值\">6000</td>" in html
    assert "<td data-label=\"新值\">6200</td>" in html
    assert earlier.strftime("%Y-%m-%d %H:%M") in html and "住房城乡建设 12 个工作日" in html
    assert html.count("市政府批准增加指标") == 3
    assert RoundChange.objects.count() == 3


def test_a_rejected_edit_keeps_what_was_typed(bureau) -> None:
    rnd = make_round(2026)
    response = staff_client(bureau).post("/staff/rounds/2026/edit/", _post_data(
        rnd, quota="6300", publication_opens="2020-01-01T09:00", reason="",
    ))
    html = response.content.decode()
    assert response.status_code == 200
    assert "请填写变更理由" in html
    assert "公示不能早于积分评定开始（" in html
    assert 'value="6300"' in html and 'value="2020-01-01T09:00"' in html
    assert not RoundChange.objects.exists()


def test_the_edit_page_warns_when_results_exist(bureau) -> None:
    rnd = make_round(2026)
    ScoringRun.objects.create(round=rnd, kind="score", state="done")
    html = staff_client(bureau).get("/staff/rounds/2026/edit/").content.decode()
    assert RERUN_WARNING in html


def test_create_a_round_in_the_browser_form(bureau) -> None:
    draft = Round(year=2031, rule_set="beijing-2020", quota=6000,
                  declaration_opens=at("2031-05-01 09:00"),
                  declaration_closes=at("2031-05-31 17:00"))
    draft.fill_default_windows()
    data = _post_data(draft, year="2031", quota="", days_tax="8")
    response = staff_client(bureau).post("/staff/rounds/new/", data, follow=True)
    html = response.content.decode()
    assert "已创建 2031 年度积分落户" in html
    rnd = Round.objects.get(year=2031)
    assert (rnd.quota, rnd.verification_days) == (6000, {"tax": 8})
    assert rnd.declaration_opens == at("2031-05-01 09:00")
    assert 'id="phase-timeline"' in html and "尚无参数变更" in html
    assert AuditEvent.objects.filter(action="round.create", actor=bureau).count() == 1


# --- API ----------------------------------------------------------------------------------------


def test_the_api_creates_changes_and_lists_changes(bureau) -> None:
    client = staff_client(bureau)
    response = client.post("/api/rounds", {
        "year": 2031, "declaration_opens": "2031-05-01T09:00:00+08:00",
        "declaration_closes": "2031-05-31T17:00:00+08:00",
        "recheck_opens": "2031-08-01T09:00:00+08:00",
        "recheck_closes": "2031-08-14T17:00:00+08:00",
        "verification_days": {"housing": 9},
    }, content_type="application/json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["year"], body["quota"], body["rule_set"]) == (2031, 6000, "beijing-2020")
    assert body["verification_days"] == {"housing": 9}
    recheck = next(p for p in body["phases"] if p["phase"] == "recheck")
    assert recheck["state"] == "upcoming" and recheck["label"] == "初核结果与复查"

    response = client.patch("/api/rounds/2031", {"quota": 6050}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "reason", "message": "此项必填"}]
    response = client.patch("/api/rounds/2031", {"quota": 6050, "reason": "  "},
                            content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "reason", "message": "请填写变更理由"}]

    response = client.patch("/api/rounds/2031", {"quota": 6050, "reason": "增加指标"},
                            content_type="application/json")
    assert response.status_code == 200
    out = response.json()
    assert out["round"]["quota"] == 6050 and out["warnings"] == []
    assert [(c["field"], c["old"], c["new"], c["reason"], c["actor"]) for c in out["changes"]] \
        == [("quota", 6000, 6050, "增加指标", "bureau1")]

    history = client.get("/api/rounds/2031/changes").json()
    assert [(c["field"], c["label"]) for c in history] == [("quota", "落户指标数")]
    assert client.get("/api/rounds/2031").json()["quota"] == 6050


def test_the_api_refuses_others(bureau) -> None:
    make_round(2026)
    client = staff_client(make_staff(Role.REVIEWER, Department.TAX))
    response = client.patch("/api/rounds/2026", {"quota": 1, "reason": "x"},
                            content_type="application/json")
    assert response.status_code == 403
    assert response.json()["message"] == "只有市人社局管理员可以设置积分落户年度"
    assert client.get("/api/rounds/2026/changes").status_code == 403
    assert Client().get("/api/rounds/2026").status_code == 200  # the phases are public
    response = Client().get("/api/rounds/2099")
    assert response.status_code == 404
    assert response.json()["message"] == "没有 2099 年度的积分落户年度"
