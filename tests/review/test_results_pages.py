"""The applicant's result page (/review/my/<year>/), the link from their home page, the
re-check form; the departments' and the service window's re-check pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client, override_settings

from jifen.audit.models import AuditEvent
from jifen.core.roles import Department, Role
from jifen.review import ledger, recheck
from jifen.review.models import Action, Dispute, RecheckState, VerificationItem
from jifen.review.results import score_completed
from tests.factories import employer_submitted, make_applicant, make_staff, staff_client
from tests.files import PDF
from tests.review.results_world import (
    HOUSING_DECLARED_ROWS,
    TAX_REASON,
    World,
    close_recheck,
    decide,
    pdf_upload,
    world,
)

pytestmark = pytest.mark.django_db

RESULT_URL = "/review/my/2026/"


@pytest.fixture(autouse=True)
def evidence_root(tmp_path: Path) -> Iterator[Path]:
    with override_settings(EVIDENCE_ROOT=tmp_path / "evidence"):
        yield tmp_path / "evidence"


@pytest.fixture
def w() -> World:
    return world()


def signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(html: str) -> str:
    """The page's text, tags removed and white space collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def section(html: str, element_id: str) -> str:
    """The text of the element with ``id`` up to its closing article, row or section."""
    start = html.index(f'id="{element_id}"')
    end = min(i for i in (html.find(f"</{tag}>", start) for tag in ("article", "tr", "section"))
              if i != -1)
    return text(html[start:end])


def access_events() -> int:
    return AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCESS).count()


# --- the applicant's result -----------------------------------------------------------------


def test_the_result_shows_declared_beside_verified_with_the_reasons(w: World) -> None:
    client = signed_in(w.applicant)
    before = access_events()
    html = client.get(RESULT_URL).content.decode()
    assert access_events() == before  # one's own result: not an access to personal data
    page = text(html)
    assert "初核总分 135.00 分" in page and "自评总分（按申报内容） 140.75 分" in page
    assert "与申报不一致的核验事项 2 项" in page
    assert "按核验后的信息，符合积分落户申请条件。" in page
    # Indicators: self-assessed beside verified, the two that differ marked.
    rows = dict(re.findall(r'<tr data-indicator="(\w+)"( class="row-differs")?', html))
    assert sorted(k for k, v in rows.items() if v) == ["housing", "tax"]
    housing = section(html, "kind-housing")
    assert "与申报不一致" in housing
    assert "申报内容中与核验不同的： 2008-07～2015-12 租赁住房 海淀区" in housing
    assert "部门理由： 与部门数据比对不一致" in housing
    assert "核验认定 （数据比对" in housing
    tax = section(html, "kind-tax")
    assert "申报内容中与核验不同的： 2025年 150000.50 元" in tax
    assert "核验认定中与申报不同的： 2025年 90000.00 元" in tax
    assert f"部门理由： {TAX_REASON}" in tax
    # What agrees is listed briefly, after what differs.
    plain = html[html.index('id="plain-kinds"'):]
    assert "与申报一致的核验事项（9 项）" in text(plain) and 'id="kind-permits"' in plain
    assert 'id="kind-housing"' not in plain
    permits = section(html, "kind-permits")
    assert re.search(r"居住证 公安 有 审核员，\d{4}-\d{2}-\d{2}", permits), permits
    assert "部门理由" not in permits
    # The verified basis is the engine's Chinese for the verified profile.
    assert "自有产权住房 120 个月 × 1/12 = 10.00 分" in page
    assert "2025 年度个人所得税 90000 元，未达 100000 元" in page


def test_an_ineligible_result_names_its_reasons() -> None:
    applicant, _, app = employer_submitted()
    decide(app, differ=False)
    permits = VerificationItem.objects.get(application=app, kind="permits")
    ledger.append(permits, action=Action.CORRECT, source="reviewer", value=False,
                  reason="公安部门无该申请人的有效居住证记录")
    [result] = score_completed([app.pk])
    assert not result.eligible
    page = text(signed_in(applicant).get(RESULT_URL).content.decode())
    assert "按核验后的信息，不符合积分落户申请条件：" in page
    assert result.reasons_zh and result.reasons_zh[0] in page
    assert "部门理由： 公安部门无该申请人的有效居住证记录" in page


def test_before_the_result_the_pages_say_how_far_verification_is() -> None:
    applicant, _, app = employer_submitted()
    for item in VerificationItem.objects.filter(application=app, kind__in=[
            "permits", "criminal_records", "detentions"]):
        ledger.append(item, action=Action.CONFIRM, source="reviewer", value=False)
    client = signed_in(applicant)
    page = text(client.get(RESULT_URL).content.decode())
    assert "部门核验中（已核验 3 / 11 项）" in page and "初核总分" not in page
    home = client.get("/my/").content.decode()
    assert "部门核验中（已核验 3 / 11 项）" in text(home)
    assert 'id="result-link"' not in home


def test_the_home_page_links_to_the_result(w: World) -> None:
    home = signed_in(w.applicant).get("/my/").content.decode()
    assert f'href="{RESULT_URL}" id="result-link"' in home
    assert "初核总分 135.00 分" in text(home)
    steps = re.findall(r'<li class="step step-closed">([^<]+)<', home)
    assert steps == []  # publication is handled too now (jifen.publication)


def test_my_results_opens_the_one_result(w: World) -> None:
    response = signed_in(w.applicant).get("/review/my/")
    assert response.status_code == 302 and response["Location"] == RESULT_URL


def test_only_the_applicant_reads_their_result(w: World) -> None:
    stranger = make_applicant()
    assert signed_in(stranger).get(RESULT_URL).status_code == 404
    assert signed_in(w.applicant).get("/review/my/2031/").status_code == 404
    for staff in (make_staff(Role.REVIEWER, Department.HOUSING), make_staff(Role.BUREAU_ADMIN)):
        assert staff_client(staff).get(RESULT_URL).status_code == 403
    assert signed_in(w.agent).get(RESULT_URL).status_code == 403
    response = Client().get(RESULT_URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- the applicant's re-check form ----------------------------------------------------------


def test_the_re_check_form_files_the_request(w: World) -> None:
    client = signed_in(w.applicant)
    response = client.post(f"{RESULT_URL}recheck/", {
        "kind": ["housing", "tax"],
        "statement-housing": "租赁合同已备案，请复查",
        "statement-tax": "附2025年度完税证明",
        "files-tax": [pdf_upload("完税证明.pdf")],
    })
    assert response.status_code == 302 and response["Location"] == RESULT_URL + "#recheck"
    disputes = Dispute.objects.filter(request__application=w.app).order_by("id")
    assert [(d.item.kind, d.statement) for d in disputes] == [
        ("housing", "租赁合同已备案，请复查"), ("tax", "附2025年度完税证明")]
    html = client.get(RESULT_URL).content.decode()
    page = text(html)
    assert "已申请复查" in page and "申请复查 2 项" in page
    assert 'id="recheck-form"' not in html
    assert "您的复查申请： 附2025年度完税证明" in section(html, "kind-tax")
    assert "完税证明.pdf" in section(html, "kind-tax") and "复查中" in section(html, "kind-tax")


def test_the_re_check_form_comes_back_with_what_is_missing(w: World) -> None:
    client = signed_in(w.applicant)
    response = client.post(f"{RESULT_URL}recheck/", {
        "kind": ["housing", "tax"], "statement-housing": "请复查", "statement-tax": "",
    })
    assert response.status_code == 422
    html = response.content.decode()
    assert "复查申请未提交：请填写对“个人所得税”申请复查的理由" in text(html)
    choice = html[html.index('id="choice-tax"'):]
    choice = choice[:choice.index("</fieldset>")]
    assert "请填写对“个人所得税”申请复查的理由" in choice and "checked" in choice
    assert ">请复查</textarea>" in html  # what was typed stays
    response = client.post(f"{RESULT_URL}recheck/", {})
    assert "请至少选择一项申请复查的核验事项" in response.content.decode()
    assert not Dispute.objects.exists()


def test_outside_the_window_there_is_no_form(w: World) -> None:
    close_recheck(w.app)
    client = signed_in(w.applicant)
    html = client.get(RESULT_URL).content.decode()
    assert 'id="recheck-form"' not in html and "目前不在复查申请期内" in text(html)
    response = client.post(f"{RESULT_URL}recheck/", {"kind": "tax", "statement-tax": "x"})
    assert response.status_code == 409
    assert "不在复查申请期内" in text(response.content.decode())


def test_more_files_for_a_dispute_from_the_page(w: World) -> None:
    recheck.recheck_request(actor=w.applicant, application_id=w.app.pk,
                            disputes=[{"kind": "housing", "statement": "请复查"}])
    dispute = Dispute.objects.get()
    client = signed_in(w.applicant)
    url = f"{RESULT_URL}disputes/{dispute.pk}/evidence/"
    response = client.post(url, {"file": pdf_upload("备案证明.pdf")})
    assert response.status_code == 302
    html = client.get(RESULT_URL).content.decode()
    assert "备案证明.pdf" in section(html, "kind-housing")
    response = client.post(url, {})
    assert response.status_code == 422 and "请选择要上传的文件" in response.content.decode()
    stranger = signed_in(make_applicant())
    assert stranger.post(url, {"file": pdf_upload()}).status_code == 404


# --- the departments' and the service window's pages ----------------------------------------


@pytest.fixture
def asked(w: World) -> Dispute:
    recheck.recheck_request(
        actor=w.applicant, application_id=w.app.pk,
        disputes=[{"kind": "housing", "statement": "2008年至2015年在海淀区租房，合同已备案",
                   "files": [pdf_upload("租赁合同.pdf")]}],
    )
    return Dispute.objects.select_related("item").get()


def test_the_department_lists_and_opens_its_disputes(w: World, asked: Dispute) -> None:
    housing = staff_client(make_staff(Role.REVIEWER, Department.HOUSING))
    html = housing.get("/review/recheck/").content.decode()
    assert f'data-dispute="{asked.pk}"' in html and w.app.number in html
    assert "待部门答复（1）" in text(html)
    # Other departments, and the service window before it is asked, see none of it.
    for department in (Department.TAX, Department.SERVICE_WINDOW):
        other = staff_client(make_staff(Role.REVIEWER, department))
        assert f'data-dispute="{asked.pk}"' not in other.get("/review/recheck/").content.decode()
        assert other.get(f"/review/recheck/{asked.pk}/").status_code == 404
    before = access_events()
    html = housing.get(f"/review/recheck/{asked.pk}/").content.decode()
    page = text(html)
    assert "2008年至2015年在海淀区租房，合同已备案" in page
    assert "租赁合同.pdf" in page
    assert "申报内容中与核验不同的： 2008-07～2015-12 租赁住房 海淀区" in page
    assert "核验理由： 与部门数据比对不一致" in page
    assert 'id="answer-form"' in html and 'id="onsite-form"' in html
    event = AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCESS).order_by("-seq").first()
    assert access_events() == before + 1 and event.detail == "housing"
    # The item in the department's queue leads to its dispute.
    item_page = housing.get(f"/review/items/{asked.item_id}/").content.decode()
    assert f'href="/review/recheck/{asked.pk}/" id="dispute-link"' in item_page
    # Applicants and employers have no business here.
    assert signed_in(w.applicant).get("/review/recheck/").status_code == 403


def test_the_department_answers_from_the_page(w: World, asked: Dispute) -> None:
    housing = staff_client(make_staff(Role.REVIEWER, Department.HOUSING))
    url = f"/review/recheck/{asked.pk}/answer/"
    response = housing.post(url, {"outcome": "upheld", "reason": ""})
    assert response.status_code == 422
    assert "请填写复查答复的理由" in response.content.decode()
    # The editor starts from the declaration: a change to it posts those rows back.
    html = housing.get(f"/review/recheck/{asked.pk}/").content.decode()
    assert 'name="rows-0-from" value="2008-07"' in html
    response = housing.post(url, {"outcome": "changed", "reason": "备案属实", **editor_rows(
        HOUSING_DECLARED_ROWS)})
    assert response.status_code == 302
    item = VerificationItem.objects.get(pk=asked.item_id)
    assert item.recheck == RecheckState.ANSWERED and item.latest_decision.action == "correct"
    html = housing.get(f"/review/recheck/{asked.pk}/").content.decode()
    assert "变更核验结果" in text(html) and 'id="answer-form"' not in html
    mine = text(signed_in(w.applicant).get(RESULT_URL).content.decode())
    assert "复查答复" in mine and "变更核验结果 备案属实" in mine
    assert "初核总分 138.75 分" in mine and "复查后结果" in mine


def test_a_bad_row_of_a_change_is_shown_under_it(asked: Dispute) -> None:
    housing = staff_client(make_staff(Role.REVIEWER, Department.HOUSING))
    rows = [{**HOUSING_DECLARED_ROWS[0], "district": "通县"}, HOUSING_DECLARED_ROWS[1]]
    response = housing.post(f"/review/recheck/{asked.pk}/answer/", {
        "outcome": "changed", "reason": "x", **editor_rows(rows)})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'name="rows-0-district"' in html and "通县" in text(html)
    assert 'id="answer-alert"' in html
    assert VerificationItem.objects.get(pk=asked.item_id).recheck == RecheckState.OPEN


def editor_rows(rows: list[dict[str, str]]) -> dict[str, str]:
    """The editor's inputs for ``rows`` (rows-<i>-<column>)."""
    return {f"rows-{i}-{c}": v for i, row in enumerate(rows) for c, v in row.items()}


def test_the_on_site_check_from_the_pages(w: World, asked: Dispute) -> None:
    housing = staff_client(make_staff(Role.REVIEWER, Department.HOUSING))
    window = staff_client(make_staff(Role.REVIEWER, Department.SERVICE_WINDOW))
    response = housing.post(f"/review/recheck/{asked.pk}/onsite/", {"reason": ""})
    assert response.status_code == 422
    assert "请填写转交现场核验的理由" in response.content.decode()
    housing.post(f"/review/recheck/{asked.pk}/onsite/", {"reason": "请核验租赁合同原件"})
    html = window.get("/review/recheck/").content.decode()
    assert f'data-dispute="{asked.pk}"' in html and "待现场核验（1）" in text(html)
    html = window.get(f"/review/recheck/{asked.pk}/").content.decode()
    assert 'id="onsite-record-form"' in html and 'id="answer-form"' not in html
    assert "请核验租赁合同原件" in text(html)
    response = window.post(f"/review/recheck/{asked.pk}/onsite-record/",
                           {"consistent": "yes", "note": ""})
    assert response.status_code == 422 and "请填写现场核验意见" in response.content.decode()
    response = window.post(f"/review/recheck/{asked.pk}/onsite-record/",
                           {"consistent": "no", "note": "原件租赁期为2010年起"})
    assert response.status_code == 302
    asked.refresh_from_db()
    assert asked.onsite_consistent is False and asked.onsite_note == "原件租赁期为2010年起"
    page = text(housing.get(f"/review/recheck/{asked.pk}/").content.decode())
    assert "原件与申报内容 不一致" in page and "原件租赁期为2010年起" in page


def test_a_re_check_file_is_downloaded_by_whoever_sees_the_dispute(w: World,
                                                                   asked: Dispute) -> None:
    from jifen.applications.models import Evidence

    ev = Evidence.objects.get(section="recheck")
    url = f"/review/recheck/evidence/{ev.pk}/"
    before = access_events()
    response = signed_in(w.applicant).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert access_events() == before  # their own file
    housing = staff_client(make_staff(Role.REVIEWER, Department.HOUSING))
    assert housing.get(url).status_code == 200
    event = AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCESS).order_by("-seq").first()
    assert event.field == f"evidence:{ev.pk}"
    for outsider in (signed_in(make_applicant()),
                     staff_client(make_staff(Role.REVIEWER, Department.TAX))):
        assert outsider.get(url).status_code == 404
    # Declaration evidence is not a re-check file.
    other = Evidence.objects.exclude(section="recheck").first()
    assert housing.get(f"/review/recheck/evidence/{other.pk}/").status_code == 404
