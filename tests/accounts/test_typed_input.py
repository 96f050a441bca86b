"""What people type through a Chinese input method, and every registration error at once.

Full-width digits and letters (全角) are folded to ASCII; other scripts' digits are refused
with a message that says why; a refused registration names every problem in one round, each
under its field, and never sends a password back; an identity number already registered gets
a generic answer that does not say so.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from jifen.accounts import services
from jifen.accounts.models import Employer, User
from jifen.applications import services as app_services
from jifen.core.text import FOREIGN_DIGIT_MESSAGE
from tests.factories import (
    PASSWORD,
    credit_code,
    id_number,
    make_applicant,
    make_employer,
    make_round,
)

pytestmark = pytest.mark.django_db

_ASCII = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-"
_FULL = {c: chr(ord(c) + 0xFEE0) for c in _ASCII}
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def full_width(text: str) -> str:
    return "".join(_FULL.get(c, c) for c in text)


def applicant_form(**changes: str) -> dict[str, str]:
    form = {"name": "张晓明", "id_number": id_number("19900101", "M"), "phone": "13912345678",
            "username": "zhangxm", "password": PASSWORD, "password2": PASSWORD}
    form.update(changes)
    return form


def employer_form(**changes: str) -> dict[str, str]:
    form = {"employer_name": "北京测试科技有限公司", "credit_code": credit_code(),
            "district": "通州区", "agent_name": "李经办", "phone": "13812345678",
            "username": "lijb", "password": PASSWORD, "password2": PASSWORD}
    form.update(changes)
    return form


# --- full width in, ASCII stored -------------------------------------------------------------


def test_full_width_registration_is_stored_as_ascii(client: Client) -> None:
    number = id_number("19900101", "M")
    response = client.post(reverse("accounts:register_applicant"), applicant_form(
        id_number=full_width(number), phone=full_width("13912345678"),
        username=full_width("zhangxm"),
    ))
    assert response.status_code == 302, response.context["form"].errors
    user = User.objects.get(username="zhangxm")
    assert user.phone == "13912345678"
    assert user.applicant.id_number == number


def test_full_width_credit_code_and_api_registration() -> None:
    code = credit_code()
    user = services.register_employer(
        employer_name="北京测试科技有限公司", credit_code=full_width(code), district="通州区",
        username=full_width("lijb"), password=PASSWORD, agent_name="李经办",
        phone=full_width("13812345678"),
    )
    assert (user.username, user.phone, user.employer.credit_code) == ("lijb", "13812345678", code)


def test_full_width_login_username(client: Client) -> None:
    user = make_applicant("wangsf2024")
    response = client.post(reverse("accounts:login"),
                           {"username": full_width("wangsf2024"), "password": PASSWORD})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk


def test_full_width_token_username(client: Client) -> None:
    make_applicant("wangsf2025")
    response = client.post("/api/auth/token", {"username": full_width("wangsf2025"),
                                               "password": PASSWORD},
                           content_type="application/json")
    assert response.status_code == 200


def test_full_width_employer_code_links() -> None:
    make_round(2026)  # links are made in a round's registration phase
    applicant, agent = make_applicant(), make_employer()
    link = app_services.link_request(actor=applicant,
                                     employer_code=full_width(agent.employer.code.lower()))
    assert link.employer == agent.employer


# --- other scripts' digits refused ------------------------------------------------------------


def test_arabic_indic_digits_are_refused_by_name(client: Client) -> None:
    response = client.post(reverse("accounts:register_applicant"), applicant_form(
        id_number=id_number().translate(ARABIC_INDIC), phone="13912345678".translate(ARABIC_INDIC),
        username="zhang٢٠٢٤",
    ))
    errors = response.context["form"].errors
    assert errors["id_number"] == [FOREIGN_DIGIT_MESSAGE]
    assert errors["phone"] == [FOREIGN_DIGIT_MESSAGE]
    assert errors["username"] == [FOREIGN_DIGIT_MESSAGE]
    assert not User.objects.exists()


def test_arabic_indic_credit_code_is_refused() -> None:
    with pytest.raises(services.InvalidInput) as info:
        form = employer_form(credit_code=credit_code().translate(ARABIC_INDIC))
        del form["password2"]
        services.register_employer(**form)
    assert [(e.field, e.message) for e in info.value.errors] == [
        ("credit_code", FOREIGN_DIGIT_MESSAGE)
    ]


def test_api_refuses_arabic_indic_phone(client: Client) -> None:
    response = client.post("/api/register/applicant", {
        "username": "zhangxm", "password": PASSWORD, "id_number": id_number(),
        "name": "张晓明", "phone": "13912345678".translate(ARABIC_INDIC),
    }, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "phone", "message": FOREIGN_DIGIT_MESSAGE}]


# --- every error at once -----------------------------------------------------------------------


def test_every_registration_error_shows_at_once(client: Client) -> None:
    """Empty required fields, a 17-digit identity number, a bad phone and mismatched
    passwords: all named in one answer, each under its field, in the service's words."""
    response = client.post(reverse("accounts:register_applicant"), applicant_form(
        name="", id_number=id_number()[:17], phone="12345", username="",
        password="Another-Passw0rd!",
    ))
    errors = response.context["form"].errors
    assert errors["name"] == ["这个字段是必填项。"]
    assert errors["username"] == ["这个字段是必填项。"]
    assert errors["id_number"] == ["公民身份号码应为18位（最后一位可为X）"]
    assert errors["phone"] == ["请输入11位手机号码"]
    assert errors["password2"] == ["两次输入的密码不一致"]
    assert not User.objects.exists()


def test_every_employer_registration_error_shows_at_once(client: Client) -> None:
    code = credit_code()
    response = client.post(reverse("accounts:register_employer"), employer_form(
        employer_name="", credit_code=code[:17], district="", phone="1381234",
        password="aaaaaaaaaaaaaa", password2="aaaaaaaaaaaaaa",
    ))
    errors = response.context["form"].errors
    assert errors["employer_name"] == ["这个字段是必填项。"]
    assert errors["credit_code"] == ["统一社会信用代码应为18位"]
    assert errors["district"] == ["这个字段是必填项。"]
    assert errors["phone"] == ["请输入11位手机号码"]
    assert errors["password"] == ["密码不能全是空格，也不能由同一个字符重复组成"]
    assert not Employer.objects.exists()


def test_a_refused_form_never_sends_the_password_back(client: Client) -> None:
    secret = "Typed-Secret-Passw0rd!"
    response = client.post(reverse("accounts:register_applicant"),
                           applicant_form(phone="123", password=secret, password2=secret))
    html = response.content.decode()
    assert response.status_code == 200
    assert secret not in html
    assert "张晓明" in html  # what else was typed is kept


# --- enumeration ----------------------------------------------------------------------------


def test_a_registered_identity_number_gets_a_generic_answer(client: Client) -> None:
    number = id_number("19900101", "M")
    client.post(reverse("accounts:register_applicant"), applicant_form(id_number=number))
    response = Client().post(reverse("accounts:register_applicant"),
                             applicant_form(id_number=number, username="another1"))
    form = response.context["form"]
    assert "id_number" not in form.errors
    assert form.non_field_errors() == [services.REGISTRATION_REFUSED]
    html = response.content.decode()
    assert reverse("accounts:login") in html
    assert reverse("accounts:password_reset") in html
    assert "已注册" not in html


def test_the_api_answer_for_a_registered_number_is_the_generic_refusal(client: Client) -> None:
    number = id_number("19900101", "M")
    body = {"username": "first1", "password": PASSWORD, "id_number": number,
            "name": "张晓明", "phone": "13912345678"}
    assert client.post("/api/register/applicant", body,
                       content_type="application/json").status_code == 201
    response = client.post("/api/register/applicant", {**body, "username": "second2"},
                           content_type="application/json")
    assert response.status_code == 422
    assert response.json() == {
        "code": "invalid", "message": services.REGISTRATION_REFUSED,
        "errors": [{"field": "", "message": services.REGISTRATION_REFUSED}],
    }


def test_the_otp_code_form_folds_full_width_and_refuses_other_digits() -> None:
    from jifen.accounts.forms import OTPCodeForm

    form = OTPCodeForm({"code": full_width("123 456")})
    assert form.is_valid() and form.cleaned_data["code"] == "123456"
    form = OTPCodeForm({"code": "123456".translate(ARABIC_INDIC)})
    assert not form.is_valid()
    assert form.errors["code"] == [FOREIGN_DIGIT_MESSAGE]
