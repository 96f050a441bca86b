"""The registration pages: success signs the person in; a rejected form keeps what was typed."""

import pytest
from django.urls import reverse

from jifen.accounts.models import Employer, User
from tests.factories import PASSWORD, credit_code, id_number

pytestmark = pytest.mark.django_db


def applicant_form(**changes: str) -> dict[str, str]:
    form = {
        "name": "张晓明",
        "id_number": id_number("19900101", "M"),
        "phone": "13912345678",
        "username": "zhangxm",
        "password": PASSWORD,
        "password2": PASSWORD,
    }
    form.update(changes)
    return form


def test_applicant_registers_and_is_signed_in(client):
    response = client.post(reverse("accounts:register_applicant"), applicant_form())
    assert response.status_code == 302 and response["Location"] == reverse("web:dashboard")
    user = User.objects.get(username="zhangxm")
    assert user.role == "applicant" and user.applicant.name == "张晓明"
    assert int(client.session["_auth_user_id"]) == user.pk


def test_mismatched_passwords_are_named_and_the_form_keeps_what_was_typed(client):
    form = applicant_form(password2="Another-Passw0rd!")
    response = client.post(reverse("accounts:register_applicant"), form)
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["form"].errors["password2"] == ["两次输入的密码不一致"]
    assert form["id_number"] in html and "张晓明" in html and "13912345678" in html
    assert not User.objects.filter(username="zhangxm").exists()


def test_service_errors_land_under_their_fields(client):
    bad = applicant_form(phone="12345")
    bad["id_number"] = bad["id_number"][:17] + ("0" if bad["id_number"][17] != "0" else "1")
    response = client.post(reverse("accounts:register_applicant"), bad)
    errors = response.context["form"].errors
    assert errors["id_number"] == ["公民身份号码校验位不正确，请核对"]
    assert errors["phone"] == ["请输入11位手机号码"]


def test_employer_registers_and_sees_its_code(client):
    response = client.post(
        reverse("accounts:register_employer"),
        {
            "employer_name": "北京测试科技有限公司",
            "credit_code": credit_code(),
            "district": "通州区",
            "agent_name": "李经办",
            "phone": "13812345678",
            "username": "lijb",
            "password": PASSWORD,
            "password2": PASSWORD,
        },
        follow=True,
    )
    employer = Employer.objects.get()
    assert employer.code in response.content.decode()
    assert User.objects.get(username="lijb").employer == employer


def test_bad_credit_code_is_named(client):
    code = credit_code()
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    response = client.post(
        reverse("accounts:register_employer"),
        {
            "employer_name": "北京测试科技有限公司",
            "credit_code": wrong,
            "district": "通州区",
            "agent_name": "李经办",
            "phone": "13812345678",
            "username": "lijb",
            "password": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.context["form"].errors["credit_code"] == ["统一社会信用代码校验位不正确"]
    assert "北京测试科技有限公司" in response.content.decode()
    assert not Employer.objects.exists()


def test_the_districts_are_offered_in_the_official_order(client):
    page = client.get(reverse("accounts:register_employer")).content.decode()
    offered = [d for d in ("东城区", "西城区", "朝阳区", "丰台区", "石景山区", "海淀区", "通州区",
                           "延庆区") if f'value="{d}"' in page]  # fmt: skip
    assert sorted(offered, key=lambda d: page.index(f'value="{d}"')) == offered
    assert len(offered) == 8
