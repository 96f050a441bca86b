"""Every action of the earlier issues obeys its phase (jifen.rounds.phases.require_open), in
the services, so that pages, the API and the commands give the same refusal: 409
``outside_window`` with a Chinese message naming the phase and its window."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jifen.applications import services as app_services
from jifen.applications.models import Application, EmploymentLink, Status
from jifen.core.errors import NotFound, OutsideWindow
from jifen.core.roles import Department, Role
from jifen.review import decisions, recheck
from jifen.review.models import Dispute, VerificationItem
from jifen.rounds import phases
from jifen.rounds.models import Round
from jifen.rounds.phases import Phase
from tests.api.conftest import ApiClient, token_for
from tests.factories import (
    employer_submitted,
    fill_declaration,
    linked_pair,
    make_applicant,
    make_employer,
    make_round,
    make_staff,
    staff_client,
)
from tests.review.results_world import open_recheck, world

pytestmark = pytest.mark.django_db


def move(rnd: Round, phase: Phase, state: str) -> Round:
    """Put ``phase``'s window of ``rnd`` so that it is ``state`` now (update(): no save)."""
    now = timezone.now()
    window = {
        "open": (now - timedelta(days=1), now + timedelta(days=1)),
        "upcoming": (now + timedelta(days=1), now + timedelta(days=2)),
        "closed": (now - timedelta(days=2), now - timedelta(days=1)),
    }[state]
    o, c = phases.field_names(phase)
    Round.objects.filter(pk=rnd.pk).update(**{o: window[0], c: window[1]})
    rnd.refresh_from_db()
    return rnd


def expected(rnd: Round, phase: Phase, state: str) -> str:
    when = {"upcoming": "尚未开始", "closed": "已经结束"}[state]
    return f"{phase.label}阶段{when}：{phases.describe(rnd, phase)}"


# --- registration: links ------------------------------------------------------------------


@pytest.mark.parametrize("state", ["upcoming", "closed"])
def test_a_link_is_asked_for_only_in_the_registration_phase(state: str) -> None:
    rnd = move(make_round(2026), Phase.REGISTRATION, state)
    applicant, agent = make_applicant(), make_employer()
    with pytest.raises(OutsideWindow) as exc:
        app_services.link_request(actor=applicant, employer_code=agent.employer.code)
    assert exc.value.message == expected(rnd, Phase.REGISTRATION, state)
    when = "尚未开始" if state == "upcoming" else "已经结束"
    assert exc.value.message.startswith(f"注册与单位关联阶段{when}：2026年度注册与单位关联阶段为 ")
    assert exc.value.code == "outside_window" and exc.value.status == 409
    assert not EmploymentLink.objects.exists()


def test_the_employer_decides_a_link_only_in_the_registration_phase() -> None:
    rnd = make_round(2026)
    applicant, agent = make_applicant(), make_employer()
    link = app_services.link_request(actor=applicant, employer_code=agent.employer.code)
    move(rnd, Phase.REGISTRATION, "closed")
    for decide in (
        lambda: app_services.link_confirm(actor=agent, link_id=link.pk),
        lambda: app_services.link_refuse(actor=agent, link_id=link.pk, reason="非本单位职工"),
    ):
        with pytest.raises(OutsideWindow) as exc:
            decide()
        assert exc.value.message == expected(rnd, Phase.REGISTRATION, "closed")
    link.refresh_from_db()
    assert link.status == "pending"
    # The applicant may still take back their own request.
    assert app_services.link_cancel(actor=applicant, link_id=link.pk).status == "cancelled"


def test_without_any_round_there_is_nothing_to_link_for() -> None:
    applicant, agent = make_applicant(), make_employer()
    with pytest.raises(NotFound) as exc:
        app_services.link_request(actor=applicant, employer_code=agent.employer.code)
    assert exc.value.message == "目前没有积分落户年度，暂不能办理单位关联"


def test_the_api_refuses_a_link_outside_the_phase_with_409() -> None:
    rnd = move(make_round(2026), Phase.REGISTRATION, "closed")
    applicant, agent = make_applicant(), make_employer()
    response = ApiClient(token_for(applicant)).post(
        "/api/links", {"employer_code": agent.employer.code}
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "outside_window"
    assert body["message"] == expected(rnd, Phase.REGISTRATION, "closed")


# --- declaration and employer review ------------------------------------------------------


def test_the_declaration_is_saved_only_in_its_phase() -> None:
    rnd = make_round(2026)
    applicant, _ = linked_pair()
    app = app_services.application_start(actor=applicant)
    move(rnd, Phase.DECLARATION, "closed")
    with pytest.raises(OutsideWindow) as exc:
        app_services.application_save_section(
            actor=applicant, application_id=app.pk, section="employment", value=[],
            version=app.version,
        )
    assert exc.value.message == expected(rnd, Phase.DECLARATION, "closed")
    assert exc.value.message.startswith("个人申报阶段已经结束：2026年度个人申报阶段为 ")


def test_the_employer_review_phase_gates_the_employer_over_the_api() -> None:
    rnd = make_round(2026)
    applicant, agent = linked_pair()
    app = fill_declaration(applicant, app_services.application_start(actor=applicant))
    app = app_services.application_submit(actor=applicant, application_id=app.pk,
                                          version=app.version)
    move(rnd, Phase.EMPLOYER_REVIEW, "upcoming")
    client = ApiClient(token_for(agent))
    response = client.post(f"/api/employer/applications/{app.pk}/submit",
                           {"version": app.version})
    assert response.status_code == 409
    assert response.json()["code"] == "outside_window"
    assert response.json()["message"] == expected(rnd, Phase.EMPLOYER_REVIEW, "upcoming")
    assert Application.objects.get(pk=app.pk).status == Status.SUBMITTED
    move(rnd, Phase.EMPLOYER_REVIEW, "open")
    response = client.post(f"/api/employer/applications/{app.pk}/submit",
                           {"version": app.version})
    assert response.status_code == 200
    assert Application.objects.get(pk=app.pk).status == Status.EMPLOYER_SUBMITTED


# --- verification -------------------------------------------------------------------------


def _an_item(kind: str = "housing") -> tuple[Round, VerificationItem]:
    _, _, app = employer_submitted(2026)
    return app.round, VerificationItem.objects.get(application=app, kind=kind)


def test_department_decisions_only_in_the_verification_phase() -> None:
    rnd, item = _an_item()
    reviewer = make_staff(Role.REVIEWER, Department.HOUSING)
    move(rnd, Phase.VERIFICATION, "closed")
    for act in (
        lambda: decisions.item_confirm(actor=reviewer, item_id=item.pk),
        lambda: decisions.item_reject(actor=reviewer, item_id=item.pk, reason="无此记录"),
    ):
        with pytest.raises(OutsideWindow) as exc:
            act()
        assert exc.value.message == expected(rnd, Phase.VERIFICATION, "closed")
    item.refresh_from_db()
    assert item.latest_decision_id is None


def test_bulk_confirmation_only_in_the_verification_phase() -> None:
    rnd, item = _an_item()
    VerificationItem.objects.filter(pk=item.pk).update(state="matched")
    reviewer = make_staff(Role.REVIEWER, Department.HOUSING)
    move(rnd, Phase.VERIFICATION, "upcoming")
    with pytest.raises(OutsideWindow) as exc:
        decisions.items_bulk_confirm(actor=reviewer, item_ids=[item.pk])
    assert exc.value.message == expected(rnd, Phase.VERIFICATION, "upcoming")


def test_the_review_page_and_api_say_the_phase_is_over() -> None:
    rnd, item = _an_item()
    reviewer = make_staff(Role.REVIEWER, Department.HOUSING)
    move(rnd, Phase.VERIFICATION, "closed")
    client = staff_client(reviewer)
    response = client.post(reverse("review:item_confirm", args=[item.pk]), {"reason": ""},
                           follow=True)
    assert expected(rnd, Phase.VERIFICATION, "closed") in response.content.decode()
    response = client.post(f"/api/review/items/{item.pk}/confirm", {},
                           content_type="application/json")
    assert response.status_code == 409
    assert response.json() == {
        "code": "outside_window",
        "message": expected(rnd, Phase.VERIFICATION, "closed"),
        "errors": [],
    }


def test_compare_records_refuses_outside_verification_in_chinese(tmp_path: Path) -> None:
    rnd = move(make_round(2026), Phase.VERIFICATION, "closed")
    path = tmp_path / "tax.csv"
    path.write_text("id_number,name,year,amount\r\n", encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("compare_records", "--year", "2026", "--kind", "tax", str(path),
                     stdout=io.StringIO())
    assert exc.value.returncode == 1
    assert str(exc.value) == expected(rnd, Phase.VERIFICATION, "closed")


def test_import_applications_refuses_outside_verification(tmp_path: Path) -> None:
    rnd = move(make_round(2026), Phase.VERIFICATION, "upcoming")
    path = tmp_path / "round.jsonl"
    path.write_text("{}\n", encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("import_applications", str(path), "--year", "2026",
                     stdout=io.StringIO(), stderr=io.StringIO())
    assert exc.value.returncode == 1
    assert str(exc.value) == expected(rnd, Phase.VERIFICATION, "upcoming")


# --- re-check -----------------------------------------------------------------------------


def test_recheck_answers_only_in_the_recheck_phase() -> None:
    w = world()
    request = recheck.recheck_request(
        actor=w.applicant, application_id=w.app.pk,
        disputes=[{"kind": "housing", "statement": "我有租房合同"}],
    )
    dispute = Dispute.objects.get(request=request)
    reviewer = make_staff(Role.REVIEWER, Department.HOUSING)
    rnd = move(w.app.round, Phase.RECHECK, "closed")
    with pytest.raises(OutsideWindow) as exc:
        recheck.dispute_answer(actor=reviewer, dispute_id=dispute.pk, outcome="upheld",
                               reason="记录无误")
    assert exc.value.message == expected(rnd, Phase.RECHECK, "closed")
    with pytest.raises(OutsideWindow):
        recheck.dispute_send_onsite(actor=reviewer, dispute_id=dispute.pk, reason="请核验原件")
    open_recheck(w.app)
    answered = recheck.dispute_answer(actor=reviewer, dispute_id=dispute.pk, outcome="upheld",
                                      reason="记录无误")
    assert answered.outcome == "upheld"


# --- what pages and the API say -------------------------------------------------------------


def test_the_round_presentation_lists_every_phase() -> None:
    rnd = make_round(2026)
    move(rnd, Phase.SCORING, "closed")
    body = Client().get("/api/rounds/current").json()
    assert [p["phase"] for p in body["phases"]] == [p.value for p in phases.ORDER]
    assert [p["label"] for p in body["phases"]][:3] == ["注册与单位关联", "个人申报", "单位审核"]
    by_phase = {p["phase"]: p for p in body["phases"]}
    assert by_phase["declaration"]["state"] == "open"
    assert by_phase["declaration"]["state_label"] == "进行中"
    assert by_phase["recheck"]["state"] == "upcoming"
    assert by_phase["scoring"]["state"] == "closed"
    assert by_phase["scoring"]["state_label"] == "已结束"
    assert body["open_phases"] == ["registration", "declaration", "employer_review",
                                   "verification"]
    closes = datetime.fromisoformat(by_phase["declaration"]["closes"].replace("Z", "+00:00"))
    assert abs(closes - rnd.declaration_closes) < timedelta(milliseconds=1)  # JSON: ms


def test_pages_show_the_phase_timeline() -> None:
    make_round(2026)
    applicant, agent = linked_pair()
    bureau = make_staff(Role.BUREAU_ADMIN)
    reviewer = make_staff(Role.REVIEWER, Department.TAX)
    person = Client()
    person.force_login(applicant)
    employer = Client()
    employer.force_login(agent)
    pages = [
        (person, reverse("applications:applicant_home")),
        (employer, reverse("applications:employer_home")),
        (staff_client(bureau), reverse("staff:home")),
        (staff_client(reviewer), reverse("staff:home")),
        (staff_client(reviewer), reverse("review:queue")),
    ]
    for client, url in pages:
        html = client.get(url).content.decode()
        assert 'id="phase-timeline"' in html, url
        assert "2026 年度工作阶段" in html
        assert '<tr data-phase="declaration" data-state="open">' in html
        assert "当前进行中：注册与单位关联（至 " in html
        assert ">未开始</span>" in html and ">进行中</span>" in html
