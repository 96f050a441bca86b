"""The applicant's pages through the Django test client: status, sections, autosave,
evidence, self-assessment, submission and withdrawal."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from jifen.accounts.models import User
from jifen.applications import services
from jifen.applications.models import Application, EmploymentLink, Evidence, Status
from jifen.audit.models import AuditEvent
from jifen.rounds.models import Round
from tests.factories import (
    attach_required_evidence,
    fill_declaration,
    full_declaration,
    linked_pair,
    make_applicant,
    make_employer,
    make_round,
)
from tests.files import PDF, PNG

pytestmark = pytest.mark.django_db

HOME = reverse("applications:applicant_home")


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


@pytest.fixture(autouse=True)
def evidence_root(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "evidence"
    with override_settings(EVIDENCE_ROOT=root):
        yield root


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def section_url(app: Application, key: str) -> str:
    return reverse("applications:declaration_section", args=[app.pk, key])


def autosave_url(app: Application, key: str) -> str:
    return reverse("applications:declaration_autosave", args=[app.pk, key])


def html_of(response) -> str:
    return response.content.decode()


def block(html: str, marker: str) -> str:
    """The <div> that contains ``marker`` in its opening tag, up to its closing tag."""
    start = html.index(marker)
    start = html.rindex("<div", 0, start)
    depth, pos = 0, start
    for m in re.finditer(r"<div\b|</div>", html[start:]):
        depth += 1 if m.group(0) == "<div" else -1
        if depth == 0:
            pos = start + m.end()
            break
    return html[start:pos]


def field_block(html: str, name: str) -> str:
    return block(html, f'data-field="{name}"')


def element_by_id(html: str, element_id: str) -> str:
    m = re.search(rf'<[a-z]+[^>]*\bid="{re.escape(element_id)}"[^>]*>', html)
    assert m, f"no element #{element_id}"
    return m.group(0)


@pytest.fixture
def app(applicant) -> Application:
    return services.application_start(actor=applicant)


@pytest.fixture
def client(applicant) -> Client:
    return signed_in(applicant)


# --- the status page ---------------------------------------------------------------------------


def current_step(html: str) -> str:
    m = re.search(r'<li class="step step-current" aria-current="step">([^<]+)', html)
    assert m, "no current step"
    return m.group(1)


def test_status_page_without_a_link_offers_the_employer_code_form(rnd):
    person = make_applicant()
    html = html_of(signed_in(person).get(HOME))
    assert "尚未关联用人单位" in html
    assert 'for="id_employer_code"' in html and ">单位注册码<" in html
    assert ">关联单位</button>" in html
    assert current_step(html) == "关联单位"
    assert "2026 年积分落户" in html and "申报期内" in html
    # Own identity number, masked.
    profile = person.applicant
    assert profile.id_number_masked in html
    assert profile.id_number not in html


def test_link_request_with_an_unknown_code_shows_the_error_under_the_field(rnd):
    person = make_applicant()
    response = signed_in(person).post(reverse("applications:link_request"),
                                      {"employer_code": "NOPE0000"})
    assert response.status_code == 422
    html = html_of(response)
    assert "没有找到该单位注册码对应的单位" in html
    assert 'value="NOPE0000"' in html


def test_link_request_then_pending_then_cancel(rnd):
    person, agent = make_applicant(), make_employer()
    client = signed_in(person)
    response = client.post(reverse("applications:link_request"),
                           {"employer_code": agent.employer.code.lower()})
    assert response.status_code == 302
    html = html_of(client.get(HOME))
    assert "待单位确认" in html and agent.employer.name in html
    assert ">撤销关联申请</button>" in html
    assert 'id="id_employer_code"' not in html
    assert current_step(html) == "关联单位"
    link = EmploymentLink.objects.get(applicant=person.applicant)
    client.post(reverse("applications:link_cancel", args=[link.pk]))
    link.refresh_from_db()
    assert link.status == "cancelled"
    assert "尚未关联用人单位" in html_of(client.get(HOME))


def test_refused_link_shows_the_reason_and_the_form_again(rnd):
    person, agent = make_applicant(), make_employer()
    link = services.link_request(actor=person, employer_code=agent.employer.code)
    services.link_refuse(actor=agent, link_id=link.pk, reason="本单位无此员工")
    html = html_of(signed_in(person).get(HOME))
    assert "单位已拒绝" in html and "拒绝理由：本单位无此员工" in html
    assert 'id="id_employer_code"' in html


def test_confirmed_link_offers_to_start(client, agent):
    html = html_of(client.get(HOME))
    assert "单位已确认" in html and agent.employer.name in html
    assert ">开始填报</button>" in html
    assert current_step(html) == "填报"
    response = client.post(reverse("applications:application_start"))
    app = Application.objects.get()
    assert response["Location"] == section_url(app, "conditions")


def test_draft_status_shows_number_status_and_buttons_but_no_version(client, app):
    html = html_of(client.get(HOME))
    assert app.number in html
    assert "badge-draft" in html and "填报中" in html
    # The version counter is the system's, not the applicant's business.
    assert "版本" not in html and not re.search(r"第\s*\d+\s*版", html)
    assert ">继续填报</a>" in html and ">查看自评</a>" in html and ">提交申报</a>" in html
    assert "撤回申报" not in html
    assert current_step(html) == "填报"


def test_submitted_status_then_withdraw(client, applicant, app):
    app = fill_declaration(applicant, app)
    services.application_submit(actor=applicant, application_id=app.pk, version=app.version)
    html = html_of(client.get(HOME))
    status = r'id="application-status"><span class="badge badge-submitted">已提交，待单位审核'
    assert re.search(status, html)
    assert "badge-submitted" in html
    assert ">撤回申报</button>" in html
    assert current_step(html) == "单位审核/提交"
    app.refresh_from_db()
    response = client.post(reverse("applications:withdraw", args=[app.pk]),
                           {"version": app.version})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == Status.DRAFT
    html = html_of(client.get(HOME))
    assert "申报已撤回" in html and "badge-draft" in html


def test_withdraw_with_a_stale_version_is_refused_with_the_message(client, applicant, app):
    app = fill_declaration(applicant, app)
    services.application_submit(actor=applicant, application_id=app.pk, version=app.version)
    response = client.post(reverse("applications:withdraw", args=[app.pk]), {"version": 1},
                           follow=True)
    assert "已在其他页面或设备上修改" in html_of(response)
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED


def test_returned_status_shows_the_reason(client, applicant, agent, app):
    app = fill_declaration(applicant, app)
    app = services.application_submit(actor=applicant, application_id=app.pk,
                                      version=app.version)
    services.application_return(actor=agent, application_id=app.pk, reason="请补充租房合同",
                                version=app.version)
    html = html_of(client.get(HOME))
    assert "badge-returned" in html and "单位退回修改" in html
    assert "退回理由：请补充租房合同" in html
    assert ">继续填报</a>" in html


# --- access ------------------------------------------------------------------------------------


def test_pages_need_a_login_and_come_back_after_it(app):
    anonymous = Client()
    url = section_url(app, "housing")
    response = anonymous.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"
    # The autosave answers 401 (not a redirect) so the page can keep what was typed.
    response = anonymous.post(autosave_url(app, "housing"), {"version": 1})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_another_applicant_gets_404_on_sections_and_pages(app):
    other = make_applicant()
    client = signed_in(other)
    for url in (section_url(app, "housing"),
                reverse("applications:assessment", args=[app.pk]),
                reverse("applications:submit", args=[app.pk]),
                reverse("applications:declaration", args=[app.pk])):
        assert client.get(url).status_code == 404, url
    assert client.post(section_url(app, "housing"), {"version": 1}).status_code == 404
    assert client.post(autosave_url(app, "housing"), {"version": 1}).status_code == 404
    assert client.post(reverse("applications:withdraw", args=[app.pk]),
                       {"version": 1}).status_code == 404
    app.refresh_from_db()
    assert app.version == 1


def test_an_employer_agent_gets_403_on_applicant_pages(agent, app):
    client = signed_in(agent)
    assert client.get(HOME).status_code == 403
    assert client.get(section_url(app, "housing")).status_code == 403
    assert client.post(autosave_url(app, "housing"), {"version": 1}).status_code == 403
    assert client.post(reverse("applications:application_start")).status_code == 403


def test_unknown_section_is_404(client, app):
    assert client.get(section_url(app, "nonsense")).status_code == 404


# --- a section ---------------------------------------------------------------------------------


def test_section_page_lists_every_section_and_labels_every_input(client, app):
    html = html_of(client.get(section_url(app, "housing")))
    assert 'class="section-nav"' in html
    for key in ("conditions", "social_insurance", "housing", "education", "employment",
                "innovation", "tax", "honours", "violations"):
        assert section_url(app, key) in html
    assert 'aria-current="page">合法稳定住所' in html
    for name in ("kind", "from", "to", "district"):
        assert f'<label for="id_rows-0-{name}">' in html
        assert f'name="rows-0-{name}" id="id_rows-0-{name}"' in html
    assert 'placeholder="2015-07"' in html and 'inputmode="numeric"' in html
    assert 'type="month"' not in html
    # Districts in the official order, from the round's rule set.
    district = field_block(html, "rows-0-district")
    assert district.index("东城区") < district.index("西城区") < district.index("延庆区")
    assert 'id="autosave-status"' in html and 'id="conflict-banner"' in html
    assert '<template id="row-template">' in html and "rows-__i__-from" in html
    assert "declaration.js" in html
    assert "<script>" not in html and "style=" not in html


def test_conditions_show_female_cadre_only_for_women(rnd):
    woman, _ = linked_pair()
    app = services.application_start(actor=woman)
    assert 'name="female_cadre"' in html_of(signed_in(woman).get(section_url(app, "conditions")))
    man = make_applicant(sex="M", name="张伟")
    agent = make_employer()
    link = services.link_request(actor=man, employer_code=agent.employer.code)
    services.link_confirm(actor=agent, link_id=link.pk)
    app2 = services.application_start(actor=man)
    html = html_of(signed_in(man).get(section_url(app2, "conditions")))
    assert 'name="residence_permit"' in html and 'name="female_cadre"' not in html


def test_tax_section_has_the_three_years(client, app):
    html = html_of(client.get(section_url(app, "tax")))
    for year in ("2023", "2024", "2025"):
        assert f'<label for="id_tax-{year}">' in html


def test_section_save_keeps_what_was_typed_and_shows_errors_under_the_fields(client, app):
    response = client.post(section_url(app, "housing"), {
        "version": app.version, "action": "save",
        "rows-0-id": "", "rows-0-kind": "rented", "rows-0-from": "2019-05",
        "rows-0-to": "2018-01", "rows-0-district": "火星区",
    })
    assert response.status_code == 200
    html = html_of(response)
    assert "已保存。以下标出的内容需要修改" in html
    district = field_block(html, "rows-0-district")
    assert "请选择北京市的区" in district and "has-error" in district
    assert "火星区（不是有效选项）" in district  # kept, not silently dropped
    to = field_block(html, "rows-0-to")
    assert 'value="2018-01"' in to and "截止年月不能早于起始年月" in to
    assert 'value="2019-05"' in field_block(html, "rows-0-from")
    assert "请选择北京市的区" not in field_block(html, "rows-0-from")
    # Saved as typed, with a new version and an item id.
    app.refresh_from_db()
    assert app.version == 2
    row = app.data["housing"][0]
    assert row["district"] == "火星区" and row["from"] == "2019-05" and row["id"]
    assert f'value="{row["id"]}"' in html
    # The nav marks the section as having problems.
    start = html.index('class="section-nav"')
    nav = html[start:html.index("</nav>", start)]
    assert re.search(r'data-section="housing"[^>]*>[^<]*<span class="mark mark-error"', nav)


def test_section_save_without_problems_redirects_and_a_month_typed_on_a_keypad_is_tidied(
    client, app
):
    response = client.post(section_url(app, "employment"), {
        "version": app.version, "rows-0-from": "201807", "rows-0-to": "2025年12月",
        "rows-0-district": "通州区",
    })
    assert response.status_code == 302 and response["Location"] == section_url(app, "employment")
    app.refresh_from_db()
    assert app.data["employment"][0]["from"] == "2018-07"
    assert app.data["employment"][0]["to"] == "2025-12"
    assert "“职住区域（就业地）”已保存" in html_of(client.get(response["Location"]))


def test_add_row_saves_and_renders_an_extra_empty_row(client, app):
    response = client.post(section_url(app, "employment"), {
        "version": app.version, "action": "add",
        "rows-0-from": "2018-07", "rows-0-to": "2025-12", "rows-0-district": "通州区",
    })
    assert response.status_code == 200
    html = html_of(response)
    assert 'value="2018-07"' in field_block(html, "rows-0-from")
    assert 'name="rows-1-from"' in html and 'value=""' in field_block(html, "rows-1-from")
    assert "第 2 条" in html
    app.refresh_from_db()
    assert len(app.data["employment"]) == 1 and app.version == 2


def test_remove_checkbox_drops_the_row(client, applicant, app):
    app = fill_declaration(applicant, app)
    rows = app.data["housing"]
    response = client.post(section_url(app, "housing"), {
        "version": app.version,
        "rows-0-id": rows[0]["id"], "rows-0-kind": rows[0]["kind"], "rows-0-from": rows[0]["from"],
        "rows-0-to": rows[0]["to"], "rows-0-district": rows[0]["district"], "rows-0-remove": "on",
        "rows-1-id": rows[1]["id"], "rows-1-kind": rows[1]["kind"], "rows-1-from": rows[1]["from"],
        "rows-1-to": rows[1]["to"], "rows-1-district": rows[1]["district"],
    })
    assert response.status_code == 302
    app.refresh_from_db()
    assert [r["id"] for r in app.data["housing"]] == [rows[1]["id"]]


def test_conditions_and_tax_errors_land_under_their_fields(client, app):
    response = client.post(section_url(app, "conditions"), {
        "version": app.version, "criminal_record": "on",
    })
    html = html_of(response)
    assert "申请人须持有有效的北京市居住证" in field_block(html, "residence_permit")
    assert "有刑事犯罪记录的不符合申请条件" in field_block(html, "criminal_record")
    app.refresh_from_db()
    response = client.post(section_url(app, "tax"), {
        "version": app.version, "tax-2023": "12万", "tax-2024": "80000", "tax-2025": "",
    })
    html = html_of(response)
    assert "请填写不小于0的金额" in field_block(html, "tax-2023")
    assert 'value="12万"' in field_block(html, "tax-2023")
    assert "请填写不小于0的金额" not in field_block(html, "tax-2024")


def test_next_button_saves_and_moves_on(client, app):
    response = client.post(section_url(app, "conditions"), {
        "version": app.version, "action": "next", "residence_permit": "on",
    })
    assert response["Location"] == section_url(app, "social_insurance")
    app.refresh_from_db()
    assert app.version == 2


# --- autosave and conflicts --------------------------------------------------------------------


def test_autosave_returns_version_errors_with_their_inputs_and_new_ids(client, app):
    response = client.post(autosave_url(app, "housing"), {
        "version": app.version,
        # Form rows need not be dense; an empty row is dropped.
        "rows-0-kind": "", "rows-0-from": "", "rows-0-to": "", "rows-0-district": "",
        "rows-3-kind": "owned", "rows-3-from": "2016-01", "rows-3-to": "2020-12",
        "rows-3-district": "火星区",
    }, HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 2
    assert re.fullmatch(r"\d{2}:\d{2}:\d{2}", body["saved_at"])
    assert body["errors"] == [{"field": "housing[0].district", "message": "请选择北京市的区",
                               "input": "rows-3-district"}]
    app.refresh_from_db()
    assert list(body["ids"]) == ["3"] and body["ids"]["3"] == app.data["housing"][0]["id"]
    # The next autosave sends the id back: the row keeps it.
    response = client.post(autosave_url(app, "housing"), {
        "version": 2, "rows-3-id": body["ids"]["3"], "rows-3-kind": "owned",
        "rows-3-from": "2016-01", "rows-3-to": "2020-12", "rows-3-district": "通州区",
    })
    assert response.json()["errors"] == [] and response.json()["version"] == 3
    app.refresh_from_db()
    assert app.data["housing"][0]["id"] == body["ids"]["3"]


def test_autosave_with_a_stale_version_is_409_and_changes_nothing(client, app):
    client.post(autosave_url(app, "tax"), {"version": 1, "tax-2023": "1"})
    response = client.post(autosave_url(app, "tax"), {"version": 1, "tax-2023": "2"})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "stale_version" and body["current_version"] == 2
    assert "其他页面或设备" in body["message"]
    app.refresh_from_db()
    assert app.data["tax"]["2023"] == "1"


def test_stale_form_post_keeps_what_was_typed_and_offers_to_overwrite(client, applicant, app):
    # Another tab saved first.
    services.application_save_section(
        actor=applicant, application_id=app.pk, section="employment",
        value=[{"from": "2010-01", "to": "2012-12", "district": "海淀区"}], version=1,
    )
    typed = {
        "version": 1, "action": "save",
        "rows-0-id": "", "rows-0-from": "2018-07", "rows-0-to": "2025-12",
        "rows-0-district": "通州区",
    }
    response = client.post(section_url(app, "employment"), typed)
    assert response.status_code == 409
    html = html_of(response)
    banner = block(html, 'id="conflict-banner"')
    assert "hidden" not in element_by_id(html, "conflict-banner")
    assert "该申报已在其他页面或设备上修改" in banner
    assert ">以我的内容覆盖</button>" in banner
    assert "海淀区" in banner and "2010-01" in banner  # the saved version, for comparison
    # The form shows what was typed, not the database.
    assert 'value="2018-07"' in field_block(html, "rows-0-from")
    assert 'value="1"' in element_by_id(html, "id_version")
    assert 'value="2"' in element_by_id(html, "id_current_version")
    app.refresh_from_db()
    assert app.data["employment"][0]["district"] == "海淀区" and app.version == 2
    # A plain save again is still stale; "以我的内容覆盖" posts with the current version.
    assert client.post(section_url(app, "employment"),
                       {**typed, "current_version": 2}).status_code == 409
    response = client.post(section_url(app, "employment"),
                           {**typed, "current_version": 2, "action": "overwrite"})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.data["employment"][0]["district"] == "通州区" and app.version == 3


# --- outside the window, read-only ---------------------------------------------------------------


def test_outside_the_window_the_section_is_read_only_and_post_is_refused(client, rnd, app):
    Round.objects.filter(pk=rnd.pk).update(
        declaration_opens=timezone.now() - timedelta(days=60),
        declaration_closes=timezone.now() - timedelta(days=30),
    )
    html = html_of(client.get(section_url(app, "employment")))
    assert "不在2026年度申报期内" in html
    assert 'id="section-form"' not in html and "<input" not in html.split("</header>")[1]
    response = client.post(section_url(app, "employment"), {
        "version": app.version, "rows-0-from": "2018-07", "rows-0-to": "2025-12",
        "rows-0-district": "通州区",
    })
    assert response.status_code == 409
    assert "不在2026年度申报期内" in html_of(response)
    response = client.post(autosave_url(app, "employment"), {"version": app.version})
    assert response.status_code == 409 and response.json()["code"] == "outside_window"
    app.refresh_from_db()
    assert app.version == 1 and app.data["employment"] == []
    home = html_of(client.get(HOME))
    assert "不在申报期内" in home and ">查看填报内容</a>" in home


def test_closed_round_from_the_start_cannot_be_started(rnd):
    Round.objects.filter(pk=rnd.pk).delete()
    make_round(2026, open_now=False)
    person, _ = linked_pair()
    client = signed_in(person)
    html = html_of(client.get(HOME))
    assert "不在申报期内" in html and ">开始填报</button>" not in html
    response = client.post(reverse("applications:application_start"), follow=True)
    # The gate's message names the phase and its window (jifen.rounds.phases.require_open).
    assert "个人申报阶段已经结束：2026年度个人申报阶段为 " in html_of(response)
    assert not Application.objects.exists()


def test_submitted_declaration_is_read_only(client, applicant, app):
    app = fill_declaration(applicant, app)
    services.application_submit(actor=applicant, application_id=app.pk, version=app.version)
    html = html_of(client.get(section_url(app, "housing")))
    assert "如需修改请先撤回申报" in html
    assert 'id="section-form"' not in html and "海淀区" in html and "租赁住房" in html


def test_typing_kept_when_another_tab_submitted_meanwhile(client, applicant, app):
    app = fill_declaration(applicant, app)
    typed = {"version": app.version, "rows-0-from": "2009-01", "rows-0-to": "2025-12",
             "rows-0-district": "顺义区"}
    # Another tab submits while this one still holds the form.
    services.application_submit(actor=applicant, application_id=app.pk, version=app.version)
    response = client.post(section_url(app, "employment"), typed)
    assert response.status_code == 409
    html = html_of(response)
    assert 'id="unsaved-content"' in html
    unsaved = html.split('id="unsaved-content"')[1].split('id="summary-employment"')[0]
    assert "2009-01" in unsaved and "顺义区" in unsaved
    app.refresh_from_db()
    assert app.data["employment"][0]["district"] == "通州区"


# --- evidence -------------------------------------------------------------------------------------


def saved_housing(applicant, app) -> tuple[Application, str]:
    app = fill_declaration(applicant, app, evidence=False)
    return app, app.data["housing"][0]["id"]


def test_upload_a_pdf_then_the_owner_downloads_it(client, applicant, app):
    app, item = saved_housing(applicant, app)
    html = html_of(client.get(section_url(app, "housing")))
    assert f'<form id="upload-{item}"' in html and 'form="upload-' + item + '"' in html
    assert "PDF、JPG、PNG" in html and "10 MB" in html
    response = client.post(reverse("applications:evidence_upload", args=[app.pk]), {
        "section": "housing", "item_id": item,
        "file": SimpleUploadedFile("租房合同.pdf", PDF, content_type="application/pdf"),
    })
    assert response.status_code == 302
    assert response["Location"] == section_url(app, "housing") + f"#item-{item}"
    ev = Evidence.objects.get()
    assert (ev.section, ev.item_id, ev.content_type) == ("housing", item, "application/pdf")
    html = html_of(client.get(section_url(app, "housing")))
    download_url = reverse("applications:evidence_download", args=[ev.pk])
    assert f'href="{download_url}"' in html and "租房合同.pdf" in html
    response = client.get(download_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert disposition == (
        f'attachment; filename="evidence-{ev.pk}.pdf"; '
        "filename*=UTF-8''%E7%A7%9F%E6%88%BF%E5%90%88%E5%90%8C.pdf"
    )
    # The owner's own download is not an access to someone else's data.
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCESS).exists()


def test_upload_a_png_for_the_whole_section(client, applicant, app):
    app, _ = saved_housing(applicant, app)
    response = client.post(reverse("applications:evidence_upload", args=[app.pk]), {
        "section": "conditions", "item_id": "",
        "file": SimpleUploadedFile("居住证.png", PNG, content_type="image/png"),
    })
    assert response.status_code == 302
    ev = Evidence.objects.get()
    assert ev.item_id == "" and ev.content_type == "image/png"
    download = client.get(reverse("applications:evidence_download", args=[ev.pk]))
    assert b"".join(download.streaming_content) == PNG


@pytest.mark.parametrize("name,content", [("setup.exe", EXE), ("scan.pdf", PNG)])
def test_upload_refuses_other_types_and_names_the_field(client, applicant, app, name, content):
    app, item = saved_housing(applicant, app)
    response = client.post(reverse("applications:evidence_upload", args=[app.pk]), {
        "section": "housing", "item_id": item,
        "file": SimpleUploadedFile(name, content, content_type="application/pdf"),
    })
    assert response.status_code == 422
    html = html_of(response)
    assert "上传失败。证明材料文件：" in html
    expected = "只能上传 PDF、JPG 或 PNG 文件" if name.endswith(".exe") else "文件内容与扩展名不符"
    assert expected in html
    upload_field = block(html, f'for="id_file-{item}"')
    assert expected in upload_field and "has-error" in upload_field
    assert not Evidence.objects.exists()


def test_upload_without_a_file_names_the_problem(client, applicant, app):
    app, item = saved_housing(applicant, app)
    response = client.post(reverse("applications:evidence_upload", args=[app.pk]),
                           {"section": "housing", "item_id": item})
    assert response.status_code == 422
    assert "请选择要上传的文件" in html_of(response)


def test_another_applicant_cannot_download_or_delete(client, applicant, app):
    app, item = saved_housing(applicant, app)
    ev = services.evidence_add(
        actor=applicant, application_id=app.pk, section="housing", item_id=item,
        upload=SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf"),
    )
    other = signed_in(make_applicant())
    assert other.get(reverse("applications:evidence_download", args=[ev.pk])).status_code == 404
    assert other.post(reverse("applications:evidence_delete", args=[ev.pk])).status_code == 404
    assert other.post(reverse("applications:evidence_upload", args=[app.pk]), {
        "section": "housing", "item_id": item,
        "file": SimpleUploadedFile("b.pdf", PDF, content_type="application/pdf"),
    }).status_code == 404
    assert Evidence.objects.count() == 1


def test_the_employer_downloads_after_submission_and_the_view_is_logged(
    client, applicant, agent, app
):
    app, item = saved_housing(applicant, app)
    ev = services.evidence_add(
        actor=applicant, application_id=app.pk, section="housing", item_id=item,
        upload=SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf"),
    )
    employer = signed_in(agent)
    url = reverse("applications:evidence_download", args=[ev.pk])
    assert employer.get(url).status_code == 404  # a draft stays private
    app = attach_required_evidence(applicant, app)
    services.application_submit(actor=applicant, application_id=app.pk, version=app.version)
    response = employer.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.ACCESS)
    assert event.field == f"evidence:{ev.pk}" and event.actor_id == agent.pk


def test_delete_evidence(client, applicant, app):
    app, item = saved_housing(applicant, app)
    ev = services.evidence_add(
        actor=applicant, application_id=app.pk, section="housing", item_id=item,
        upload=SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf"),
    )
    html = html_of(client.get(section_url(app, "housing")))
    assert f'<form id="evidence-delete-{ev.pk}"' in html
    assert f'form="evidence-delete-{ev.pk}"' in html
    response = client.post(reverse("applications:evidence_delete", args=[ev.pk]))
    assert response["Location"] == section_url(app, "housing")
    assert not Evidence.objects.exists()


# --- self-assessment, submission -----------------------------------------------------------


def test_assessment_shows_the_not_verified_banner_and_the_total(client, applicant, app):
    app = fill_declaration(applicant, app)
    html = html_of(client.get(reverse("applications:assessment", args=[app.pk])))
    assert 'class="not-verified"' in html and "自评结果，未经部门核验，仅供参考" in html
    assert '<strong class="mono">140.75</strong>' in html
    assert "符合积分落户申请条件" in html
    table = html[html.index('class="table score-table table-cards"'):html.index("</table>")]
    order = [m.group(1) for m in re.finditer(r'data-indicator="([a-z_]+)"', table)]
    assert order == ["employment", "housing", "education", "study_deduction", "area",
                     "innovation", "tax", "age", "honours", "law"]
    assert "合法稳定就业" in table and "缴费月" in table  # names and basis in Chinese


def test_assessment_with_problems_lists_them_with_links_instead_of_a_score(client, app):
    client.post(section_url(app, "housing"), {
        "version": 1, "rows-0-kind": "rented", "rows-0-from": "2019-05", "rows-0-to": "2020-01",
        "rows-0-district": "火星区",
    })
    html = html_of(client.get(reverse("applications:assessment", args=[app.pk])))
    assert "自评结果，未经部门核验，仅供参考" in html
    assert "暂不能计算积分" in html and "请选择北京市的区" in html
    assert f'<a href="{section_url(app, "housing")}">合法稳定住所 第 1 条 所在区</a>' in html
    assert "score-table" not in html


def test_ineligible_assessment_gives_the_reasons_in_chinese(client, applicant, app):
    data = full_declaration(2026)
    data["conditions"] = {"residence_permit": False, "criminal_record": False,
                          "female_cadre": False}
    app = fill_declaration(applicant, app, data)
    html = html_of(client.get(reverse("applications:assessment", args=[app.pk])))
    assert "不符合积分落户申请条件" in html and "未持有有效的北京市居住证" in html


def test_submit_with_problems_lists_every_one_with_links(client, applicant, app):
    data = full_declaration(2026)
    data["housing"][0]["district"] = "火星区"
    data["tax"]["2023"] = "abc"
    app = fill_declaration(applicant, app, data)
    page = html_of(client.get(reverse("applications:submit", args=[app.pk])))
    assert "提交前请修改以下 2 处" in page
    # The score box says why it is empty.
    assert "暂不能计算自评积分：申报信息尚有 2 处需要修改" in page
    response = client.post(reverse("applications:submit", args=[app.pk]),
                           {"version": app.version})
    assert response.status_code == 422
    html = html_of(response)
    assert "申报信息尚有问题，请修改后再提交" in html
    problems = html[html.index('id="problem-list"'):]
    row = app.data["housing"][0]["id"]
    assert f'href="{section_url(app, "housing")}#item-{row}"' in problems
    assert f'href="{section_url(app, "tax")}"' in problems
    assert "请选择北京市的区" in problems and "请填写不小于0的金额" in problems
    app.refresh_from_db()
    assert app.status == Status.DRAFT


def test_submit_ok_then_status_page_says_submitted(client, applicant, app):
    app = fill_declaration(applicant, app)
    page = html_of(client.get(reverse("applications:submit", args=[app.pk])))
    assert ">提交申报</button>" in page and "140.75" in page
    response = client.post(reverse("applications:submit", args=[app.pk]),
                           {"version": app.version})
    assert response.status_code == 302 and response["Location"] == HOME
    html = html_of(client.get(HOME))
    assert "已提交" in html and "申报已提交，等待用人单位审核" in html
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED


def test_submit_with_a_stale_version_shows_the_message(client, applicant, app):
    app = fill_declaration(applicant, app)
    response = client.post(reverse("applications:submit", args=[app.pk]), {"version": 1})
    assert response.status_code == 409
    assert "已在其他页面或设备上修改" in html_of(response)


def test_autosave_of_conditions_names_the_checkbox(client, app):
    response = client.post(autosave_url(app, "conditions"), {"version": app.version},
                           HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 200
    assert response.json()["errors"] == [{
        "field": "conditions.residence_permit", "message": "申请人须持有有效的北京市居住证",
        "input": "residence_permit",
    }]
    app.refresh_from_db()
    assert app.data["conditions"]["residence_permit"] is False
