"""The declaration's pages after issue 7: what each item needs uploaded, warnings beside
errors, sections marked done only once saved, digits typed through an input method, the
upload limit's label, and the status page's steps that are not open yet."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from jifen.applications import services
from jifen.applications.models import Application
from jifen.core.text import FOREIGN_DIGIT_MESSAGE
from tests.factories import attach_required_evidence, fill_declaration, full_declaration
from tests.files import PDF

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def evidence_root(tmp_path: Path) -> Iterator[Path]:
    with override_settings(EVIDENCE_ROOT=tmp_path / "evidence"):
        yield tmp_path / "evidence"


@pytest.fixture
def app(applicant) -> Application:
    return services.application_start(actor=applicant)


@pytest.fixture
def client(applicant) -> Client:
    client = Client()
    client.force_login(applicant)
    return client


def section_url(app: Application, key: str) -> str:
    return reverse("applications:declaration_section", args=[app.pk, key])


def nav_marks(html: str) -> dict[str, str]:
    """Each section's mark in the section list: "!", "待传材料", "✓" or ""."""
    out = {}
    for m in re.finditer(r'<a href="[^"]*" data-section="([a-z_]+)"[^>]*>(.*?)</a>', html):
        mark = re.search(r'class="mark mark-[a-z]+" aria-hidden="true">([^<]+)<', m.group(2))
        out[m.group(1)] = mark.group(1) if mark else ""
    return out


# --- sections are done only once saved ------------------------------------------------------


def test_untouched_sections_show_no_tick(client, applicant, app):
    marks = nav_marks(client.get(section_url(app, "conditions")).content.decode())
    # Nothing is done; the residence permit (ticked by default) already needs its file.
    assert marks == {key: "待传材料" if key == "conditions" else "" for key in marks}
    assert len(marks) == 9
    services.application_save_section(actor=applicant, application_id=app.pk, section="tax",
                                      value={}, version=app.version)
    marks = nav_marks(client.get(section_url(app, "conditions")).content.decode())
    # Saved (even empty) and nothing wrong: done. Conditions were never saved.
    assert marks["tax"] == "✓" and marks["housing"] == "" and marks["employment"] == ""
    assert Application.objects.get(pk=app.pk).saved_sections == ["tax"]


def test_a_saved_section_without_its_evidence_is_marked_so(client, applicant, app):
    app = fill_declaration(applicant, app, evidence=False)
    marks = nav_marks(client.get(section_url(app, "tax")).content.decode())
    assert marks == {
        "conditions": "待传材料", "social_insurance": "✓", "housing": "待传材料",
        "education": "待传材料", "employment": "✓", "innovation": "待传材料", "tax": "✓",
        "honours": "待传材料", "violations": "✓",
    }
    attach_required_evidence(applicant, app)
    marks = nav_marks(client.get(section_url(app, "tax")).content.decode())
    assert set(marks.values()) == {"✓"}


# --- what to upload -------------------------------------------------------------------------


def test_each_row_says_what_to_upload_and_whether_it_is_there(client, applicant, app):
    app = fill_declaration(applicant, app, evidence=False)
    rented, owned = (r["id"] for r in app.data["housing"])
    services.evidence_add(actor=applicant, application_id=app.pk, section="housing",
                          item_id=owned, upload=SimpleUploadedFile("房产证.pdf", PDF))
    html = client.get(section_url(app, "housing")).content.decode()
    first = html[html.index(f'id="item-{rented}"'):html.index(f'id="item-{owned}"')]
    second = html[html.index(f'id="item-{owned}"'):]
    assert re.search(r'class="evidence-needed evidence-missing" data-evidence-needed>'
                     r"<strong>须上传：</strong>租赁合同及登记备案证明（尚未上传，提交前须上传）",
                     first)
    assert re.search(r'class="evidence-needed" data-evidence-needed><strong>须上传：</strong>'
                     r"不动产权证书或房屋所有权证（已上传）", second)


def test_sections_that_need_nothing_say_why(client, app):
    html = client.get(section_url(app, "tax")).content.decode()
    assert ('id="section-evidence-needed">个人所得税缴纳记录由税务部门比对核验，无须上传。'
            in html)
    html = client.get(section_url(app, "conditions")).content.decode()
    assert "<strong>须上传：</strong>北京市居住证（尚未上传，提交前须上传）" in html


def test_submit_page_lists_each_missing_item_with_a_link_to_it(client, applicant, app):
    app = fill_declaration(applicant, app, evidence=False)
    page = client.get(reverse("applications:submit", args=[app.pk])).content.decode()
    assert "提交前请修改以下 6 处" in page  # both homes, the permit, school, prize, title
    rented = app.data["housing"][0]["id"]
    assert (f'<li data-field="housing[0]"><a href="{section_url(app, "housing")}#item-{rented}">'
            "合法稳定住所 第 1 条</a>：请上传 租赁合同及登记备案证明</li>") in page
    assert ('<li data-field="conditions"><a href="' + section_url(app, "conditions")
            + '">申请条件</a>：请上传 北京市居住证</li>') in page
    # The data is fine: the score is shown although submission waits for the files.
    assert 'id="submit-total"' in page
    response = client.post(reverse("applications:submit", args=[app.pk]),
                           {"version": app.version})
    assert response.status_code == 422
    assert Application.objects.get(pk=app.pk).status == "draft"


def test_a_returned_declaration_cannot_be_resubmitted_without_the_file(applicant, agent, app):
    """The issue's case: returned with "请补充租赁合同备案证明"; the file was removed and the
    declaration is resubmitted without one."""
    from jifen.core.errors import InvalidInput

    app = fill_declaration(applicant, app)
    app = services.application_submit(actor=applicant, application_id=app.pk,
                                      version=app.version)
    app = services.application_return(actor=agent, application_id=app.pk,
                                      reason="请补充租赁合同备案证明", version=app.version)
    rented = app.data["housing"][0]["id"]
    for ev in app.evidence.filter(item_id=rented):
        services.evidence_delete(actor=applicant, evidence_id=ev.pk)
    app = Application.objects.get(pk=app.pk)
    with pytest.raises(InvalidInput) as info:
        services.application_submit(actor=applicant, application_id=app.pk,
                                    version=app.version)
    assert [(e.field, e.message) for e in info.value.errors] == [
        ("housing[0]", "请上传 租赁合同及登记备案证明")]


# --- warnings ------------------------------------------------------------------------------


FOUR_MONTH_DOCTORATE = {"level": "doctor", "degree": "doctor", "full_time": "on",
                        "from": "2015-09", "to": "2015-12"}


def _education_post(app: Application, row: dict[str, str]) -> dict[str, str]:
    return {"version": str(app.version), "action": "save",
            **{f"rows-0-{k}": v for k, v in row.items()}}


def test_warnings_are_shown_beside_the_field_and_do_not_block(client, app):
    response = client.post(section_url(app, "education"),
                           _education_post(app, FOUR_MONTH_DOCTORATE))
    assert response.status_code == 302  # saved: a warning is not an error
    html = client.get(section_url(app, "education")).content.decode()
    assert ('<p class="field-warning" id="id_rows-0-to-warning">请核对：'
            "研究生（博士）学习期间只有 4 个月，明显短于通常学制，请核对入学和毕业年月</p>") in html
    assert 'class="field-error"' not in html


def test_autosave_answers_warnings_apart_from_errors(client, app):
    response = client.post(reverse("applications:declaration_autosave",
                                   args=[app.pk, "education"]),
                           _education_post(app, {**FOUR_MONTH_DOCTORATE, "level": "bachelor"}))
    body = response.json()
    assert body["errors"] == []
    assert body["warnings"] == [
        {"field": "education[0].to", "input": "rows-0-to",
         "message": "本科学习期间只有 4 个月，明显短于通常学制，请核对入学和毕业年月"},
        {"field": "education[0].degree", "input": "rows-0-degree",
         "message": "学位（博士）高于学历（本科），请核对；以同等学力取得学位的请如实填写"},
    ]
    assert body["evidence_missing"] == 1


def test_the_api_save_answers_warnings(applicant, app):
    from jifen.api.models import ApiToken

    token = ApiToken.issue(applicant)[1]
    response = Client().put(
        f"/api/applications/{app.pk}/sections/education",
        json.dumps({"version": app.version, "value": [
            {"level": "junior_college", "degree": "bachelor", "full_time": True,
             "from": "2010-09", "to": "2011-06"}]}),
        content_type="application/json", headers={"Authorization": f"Bearer {token}"})
    body = response.json()
    assert response.status_code == 200
    assert body["errors"] == [{"field": "education[0].degree",
                               "message": "大专学历不授予学位，请核对学历或学位（学位应另填一条）"}]
    assert body["warnings"] == [
        {"field": "education[0].to",
         "message": "大专学习期间只有 10 个月，明显短于通常学制，请核对入学和毕业年月"},
        {"field": "education[0].degree",
         "message": "学位（学士）高于学历（大专），请核对；以同等学力取得学位的请如实填写"},
    ]
    detail = Client().get(f"/api/applications/{app.pk}",
                          headers={"Authorization": f"Bearer {token}"}).json()
    assert detail["warnings"]["education"] == body["warnings"]
    assert detail["problems"]["education"] == body["errors"]


def test_submit_page_lists_warnings_without_blocking(client, applicant, app):
    data = full_declaration(2026)
    data["education"][0].update({"from": "2008-01", "to": "2008-06"})
    app = fill_declaration(applicant, app, data)
    page = client.get(reverse("applications:submit", args=[app.pk])).content.decode()
    assert "请核对以下 1 处（不影响提交）" in page
    assert "教育背景 第 1 条 毕业年月</a>：本科学习期间只有 6 个月" in page
    response = client.post(reverse("applications:submit", args=[app.pk]),
                           {"version": app.version})
    assert response.status_code == 302
    assert Application.objects.get(pk=app.pk).status == "submitted"


# --- digits typed through an input method ----------------------------------------------------


def test_full_width_digits_are_stored_as_ascii_from_the_page(client, app):
    response = client.post(section_url(app, "housing"), {
        "version": str(app.version), "action": "save",
        "rows-0-kind": "rented", "rows-0-district": "海淀区",
        "rows-0-from": "２０１５年７月", "rows-0-to": "２０２０－１２",
    })
    assert response.status_code == 302
    row = Application.objects.get(pk=app.pk).data["housing"][0]
    assert (row["from"], row["to"]) == ("2015-07", "2020-12")


def test_other_digits_are_refused_by_name_from_the_page(client, app):
    response = client.post(section_url(app, "tax"), {
        "version": str(app.version), "action": "save",
        "tax-2025": "١٢٠٠٠٠", "tax-2024": "１２００００．５０",
    })
    html = response.content.decode()
    assert response.status_code == 200
    stored = Application.objects.get(pk=app.pk).data["tax"]
    assert stored["2024"] == "120000.50" and stored["2025"] == "١٢٠٠٠٠"  # kept, as typed
    assert f'<p class="field-error" id="id_tax-2025-error">{FOREIGN_DIGIT_MESSAGE}</p>' in html
    assert 'id="id_tax-2024-error"' not in html


def test_other_digits_are_not_read_as_a_month_by_the_page(client, app):
    """"٢٠١٥-٠٧" would have become 2015-07 through int(); it is refused instead."""
    client.post(section_url(app, "social_insurance"), {
        "version": str(app.version), "action": "save",
        "rows-0-from": "٢٠١٥-٠٧", "rows-0-to": "2020-12",
    })
    row = Application.objects.get(pk=app.pk).data["social_insurance"][0]
    assert row["from"] == "٢٠١٥-٠٧"


# --- labels and steps ----------------------------------------------------------------------


def test_the_upload_limit_label_follows_the_setting(client, applicant, app):
    app = fill_declaration(applicant, app, evidence=False)
    with override_settings(EVIDENCE_MAX_BYTES=3 * 1024 * 1024):
        html = client.get(section_url(app, "housing")).content.decode()
    assert "每个文件不超过 3 MB" in html and "10 MB" not in html
    with override_settings(EVIDENCE_MAX_BYTES=1536 * 1024):
        html = client.get(section_url(app, "housing")).content.decode()
    assert "每个文件不超过 1.5 MB" in html


def test_the_status_page_marks_the_steps_not_yet_open(client, app):
    html = client.get(reverse("applications:applicant_home")).content.decode()
    closed = re.findall(r'<li class="step step-closed">([^<]+)<span class="step-note">（尚未开放）',
                        html)
    assert closed == []  # every step is handled now (publication too)
    assert 'aria-current="step">填报<' in html
