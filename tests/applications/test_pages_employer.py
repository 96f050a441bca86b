"""The employer agent's pages: links to decide, declarations to review, return or submit."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from jifen.accounts.models import User
from jifen.applications import services
from jifen.applications.models import Application, EmploymentLink, LinkStatus, Status
from jifen.audit.models import AuditEvent
from tests.factories import (
    fill_declaration,
    linked_pair,
    make_applicant,
    make_employer,
    make_round,
)
from tests.files import PDF

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _registration_open() -> None:
    """Links are made in a round's registration phase (注册与单位关联): one open now."""
    make_round(2025)


def submitted_application() -> tuple[User, User, Application]:
    """An applicant whose full declaration is submitted to their (confirmed) employer."""
    make_round(2026)
    applicant, agent = linked_pair()
    app = services.application_start(actor=applicant)
    app = fill_declaration(applicant, app)
    app = services.application_submit(actor=applicant, application_id=app.pk, version=app.version)
    return applicant, agent, app


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def home_url() -> str:
    return reverse("applications:employer_home")


def review_url(app: Application) -> str:
    return reverse("applications:employer_application", args=[app.pk])


# --- the home page ----------------------------------------------------------------------------


def test_home_shows_code_pending_links_and_applications():
    applicant, agent, app = submitted_application()
    newcomer = make_applicant(name="赵新来")
    link = services.link_request(actor=newcomer, employer_code=agent.employer.code)

    response = signed_in(agent).get(home_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert agent.employer.name in html
    assert agent.employer.code in html
    # The pending request: name, masked identity number (never the full one), its buttons.
    assert f'id="link-{link.pk}"' in html
    assert "赵新来" in html
    assert newcomer.applicant.id_number_masked in html
    assert newcomer.applicant.id_number not in html
    assert ">确认</button>" in html
    assert ">拒绝</button>" in html
    # The submitted application and its status; the confirmed employee.
    assert app.number in html
    assert "已提交，待单位审核" in html
    assert review_url(app) in html
    assert applicant.applicant.id_number not in html


def test_home_counts_and_filters_by_status():
    _applicant, agent, app = submitted_application()
    # A second employee, whose declaration the agent already returned.
    other = make_applicant()
    link = services.link_request(actor=other, employer_code=agent.employer.code)
    services.link_confirm(actor=agent, link_id=link.pk)
    app2 = fill_declaration(other, services.application_start(actor=other))
    app2 = services.application_submit(actor=other, application_id=app2.pk, version=app2.version)
    services.application_return(actor=agent, application_id=app2.pk, reason="请补充材料",
                                version=app2.version)
    client = signed_in(agent)

    html = client.get(home_url()).content.decode()
    assert app.number in html and app2.number in html

    returned = client.get(home_url(), {"status": "returned"}).content.decode()
    assert app2.number in returned
    assert app.number not in returned
    assert re.search(r"单位退回修改 <span class=\"badge\">1</span>", returned)

    unknown = client.get(home_url(), {"status": "bogus"}).content.decode()
    assert app.number in unknown and app2.number in unknown


def test_draft_is_not_listed_for_the_employer():
    make_round(2026)
    applicant, agent = linked_pair()
    draft = services.application_start(actor=applicant)

    html = signed_in(agent).get(home_url()).content.decode()
    assert draft.number not in html
    assert signed_in(agent).get(review_url(draft)).status_code == 404


def test_only_employer_agents_see_the_pages():
    applicant, _agent, app = submitted_application()
    assert signed_in(applicant).get(home_url()).status_code == 403
    assert signed_in(applicant).get(review_url(app)).status_code == 403
    anonymous = Client().get(home_url())
    assert anonymous.status_code == 302
    assert anonymous.url.startswith(reverse("accounts:login"))


# --- links --------------------------------------------------------------------------------------


def test_confirm_a_link():
    agent = make_employer()
    applicant = make_applicant()
    link = services.link_request(actor=applicant, employer_code=agent.employer.code)

    response = signed_in(agent).post(
        reverse("applications:employer_link_confirm", args=[link.pk]), follow=True
    )

    assert response.status_code == 200
    link.refresh_from_db()
    assert link.status == LinkStatus.CONFIRMED
    assert link.decided_by == agent
    assert "已确认" in response.content.decode()


def test_refuse_a_link_with_a_reason():
    agent = make_employer()
    applicant = make_applicant()
    link = services.link_request(actor=applicant, employer_code=agent.employer.code)

    response = signed_in(agent).post(
        reverse("applications:employer_link_refuse", args=[link.pk]),
        {"reason": "非本单位职工"},
    )

    assert response.status_code == 302
    link.refresh_from_db()
    assert link.status == LinkStatus.REFUSED
    assert link.reason == "非本单位职工"


def test_refuse_without_a_reason_keeps_the_form_with_an_error():
    agent = make_employer()
    applicant = make_applicant(name="钱待定")
    link = services.link_request(actor=applicant, employer_code=agent.employer.code)

    response = signed_in(agent).post(
        reverse("applications:employer_link_refuse", args=[link.pk]), {"reason": "   "}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "请填写拒绝理由" in html
    assert f'id="refuse-reason-{link.pk}"' in html
    assert 'aria-invalid="true"' in html
    # Still pending, still listed with its buttons.
    link.refresh_from_db()
    assert link.status == LinkStatus.PENDING
    assert "钱待定" in html


def test_a_refusal_that_fails_later_keeps_the_typed_reason():
    """The reason typed stays in its row when the form comes back (here: the other row's
    error must not copy it, and a second refusal of a decided link only shows a message)."""
    agent = make_employer()
    first, second = make_applicant(), make_applicant()
    link1 = services.link_request(actor=first, employer_code=agent.employer.code)
    link2 = services.link_request(actor=second, employer_code=agent.employer.code)
    client = signed_in(agent)

    html = client.post(
        reverse("applications:employer_link_refuse", args=[link1.pk]), {"reason": ""}
    ).content.decode()
    row1 = html[html.index(f'id="link-{link1.pk}"'):]
    row2 = html[html.index(f'id="link-{link2.pk}"'):]
    assert "请填写拒绝理由" in row1[: row1.index("</article>")]
    assert "请填写拒绝理由" not in row2[: row2.index("</article>")]

    services.link_confirm(actor=agent, link_id=link2.pk)
    response = client.post(
        reverse("applications:employer_link_refuse", args=[link2.pk]),
        {"reason": "弄错了"}, follow=True,
    )
    assert "不能重复处理" in response.content.decode()
    link2.refresh_from_db()
    assert link2.status == LinkStatus.CONFIRMED


def test_another_employers_agent_cannot_decide_a_link():
    agent, stranger = make_employer(), make_employer(name="北京其他有限公司")
    applicant = make_applicant()
    link = services.link_request(actor=applicant, employer_code=agent.employer.code)
    client = signed_in(stranger)

    assert client.post(
        reverse("applications:employer_link_confirm", args=[link.pk])
    ).status_code == 404
    assert client.post(
        reverse("applications:employer_link_refuse", args=[link.pk]), {"reason": "x"}
    ).status_code == 404
    link.refresh_from_db()
    assert link.status == LinkStatus.PENDING
    assert applicant.applicant.name not in client.get(home_url()).content.decode()


def test_confirm_needs_post():
    agent = make_employer()
    link = services.link_request(actor=make_applicant(), employer_code=agent.employer.code)
    url = reverse("applications:employer_link_confirm", args=[link.pk])
    assert signed_in(agent).get(url).status_code == 405
    assert EmploymentLink.objects.get(pk=link.pk).status == LinkStatus.PENDING


# --- reviewing one application -------------------------------------------------------------------


def test_review_page_shows_the_declaration_masked_id_and_assessment():
    applicant, agent, app = submitted_application()

    response = signed_in(agent).get(review_url(app))

    assert response.status_code == 200
    html = response.content.decode()
    profile = applicant.applicant
    assert profile.id_number_masked in html
    assert profile.id_number not in html
    assert "显示完整号码" in html
    # The declaration (the shared summary) and the unverified self-assessment.
    assert 'id="summary-housing"' in html
    assert "海淀区" in html
    assert "自评结果，未经核验" in html
    assert 'id="assessment-total"' in html
    # Both decisions, each carrying the version the agent saw.
    assert ">退回修改</button>" in html
    assert ">提交至审核部门</button>" in html
    assert f'name="version" value="{app.version}"' in html


def test_reveal_logs_an_access_event_and_shows_the_number_once():
    applicant, agent, app = submitted_application()
    client = signed_in(agent)
    profile = applicant.applicant
    before = AuditEvent.objects.filter(kind="access", field="id_number").count()

    response = client.post(
        reverse("applications:employer_reveal_id", args=[app.pk]), follow=True
    )

    assert response.status_code == 200
    assert profile.id_number in response.content.decode()
    events = AuditEvent.objects.filter(kind="access", field="id_number")
    assert events.count() == before + 1
    event = events.get()
    assert event.actor == agent
    assert event.target_type == "accounts.applicantprofile"
    assert event.target_id == str(profile.pk)
    # Only once: the next render is masked again.
    again = client.get(review_url(app)).content.decode()
    assert profile.id_number not in again
    assert profile.id_number_masked in again


def test_reveal_needs_post_and_access():
    _applicant, agent, app = submitted_application()
    url = reverse("applications:employer_reveal_id", args=[app.pk])
    assert signed_in(agent).get(url).status_code == 405
    stranger = make_employer(name="北京其他有限公司")
    assert signed_in(stranger).post(url).status_code == 404
    assert not AuditEvent.objects.filter(kind="access", field="id_number").exists()


def test_another_employers_agent_cannot_open_or_decide_the_application():
    _applicant, _agent, app = submitted_application()
    stranger = make_employer(name="北京其他有限公司")
    client = signed_in(stranger)

    assert client.get(review_url(app)).status_code == 404
    assert client.post(
        reverse("applications:employer_application_submit", args=[app.pk]),
        {"version": app.version},
    ).status_code == 404
    assert client.post(
        reverse("applications:employer_application_return", args=[app.pk]),
        {"version": app.version, "reason": "x"},
    ).status_code == 404
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED


def test_return_with_a_reason():
    _applicant, agent, app = submitted_application()

    response = signed_in(agent).post(
        reverse("applications:employer_application_return", args=[app.pk]),
        {"version": app.version, "reason": "住房起止时间与合同不符"},
        follow=True,
    )

    assert response.status_code == 200
    app.refresh_from_db()
    assert app.status == Status.RETURNED
    assert app.return_reason == "住房起止时间与合同不符"
    html = response.content.decode()
    assert "住房起止时间与合同不符" in html
    # Returned: no more decisions on the page.
    assert ">提交至审核部门</button>" not in html


def test_return_without_a_reason_shows_the_error():
    _applicant, agent, app = submitted_application()

    response = signed_in(agent).post(
        reverse("applications:employer_application_return", args=[app.pk]),
        {"version": app.version, "reason": ""},
    )

    assert response.status_code == 200
    assert "请填写退回理由" in response.content.decode()
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED


def test_submit_to_the_departments():
    _applicant, agent, app = submitted_application()

    response = signed_in(agent).post(
        reverse("applications:employer_application_submit", args=[app.pk]),
        {"version": app.version},
        follow=True,
    )

    assert response.status_code == 200
    app.refresh_from_db()
    assert app.status == Status.EMPLOYER_SUBMITTED
    assert app.employer_submitted_at is not None
    html = response.content.decode()
    assert "已提交至审核部门" in html
    assert "单位已提交" in html


def test_stale_version_shows_a_conflict_and_the_fresh_page():
    applicant, agent, app = submitted_application()
    seen = app.version
    # The applicant takes it back and submits again meanwhile: same status, newer version.
    app = services.application_withdraw(actor=applicant, application_id=app.pk, version=seen)
    app = services.application_submit(actor=applicant, application_id=app.pk, version=app.version)
    client = signed_in(agent)

    submit = client.post(
        reverse("applications:employer_application_submit", args=[app.pk]), {"version": seen}
    )
    assert submit.status_code == 200
    html = submit.content.decode()
    assert "申请人已修改该申报" in html
    assert f'name="version" value="{app.version}"' in html

    returned = client.post(
        reverse("applications:employer_application_return", args=[app.pk]),
        {"version": seen, "reason": "请核对纳税金额"},
    )
    assert returned.status_code == 200
    html = returned.content.decode()
    assert "申请人已修改该申报" in html
    assert "请核对纳税金额</textarea>" in html  # what was typed is kept
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED


@pytest.fixture
def evidence_dir(tmp_path, settings):
    """Evidence files in a temporary folder instead of var/evidence."""
    settings.EVIDENCE_ROOT = tmp_path
    return tmp_path


def test_review_page_links_the_evidence_files(evidence_dir):
    from django.core.files.uploadedfile import SimpleUploadedFile

    make_round(2026)
    applicant, agent = linked_pair()
    app = fill_declaration(applicant, services.application_start(actor=applicant))
    row_id = app.data["housing"][0]["id"]
    ev = services.evidence_add(
        actor=applicant, application_id=app.pk, section="housing", item_id=row_id,
        upload=SimpleUploadedFile("租房合同.pdf", PDF, content_type="application/pdf"),
    )
    app.refresh_from_db()
    services.application_submit(actor=applicant, application_id=app.pk, version=app.version)
    client = signed_in(agent)

    html = client.get(review_url(app)).content.decode()
    url = reverse("applications:evidence_download", args=[ev.pk])
    assert f'href="{url}"' in html
    assert "租房合同.pdf" in html
    download = client.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
