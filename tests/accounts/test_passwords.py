"""Password rules: Chinese messages from every validator, trivial passwords refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jifen.accounts.models import User
from jifen.accounts.passwords import TRIVIAL_MESSAGE, password_problems
from tests.factories import id_number

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("            ", TRIVIAL_MESSAGE),
        ("\u3000" * 12, TRIVIAL_MESSAGE),
        ("aaaaaaaaaaaaaa", TRIVIAL_MESSAGE),
        ("某某某某某某某某某某某某", TRIVIAL_MESSAGE),
        ("short-Pw1", "密码太短，至少需要12个字符"),
        ("123456789012345", "密码不能全是数字"),
        ("password1234", "这个密码太常见，容易被猜中，请换一个"),
    ],
)
def test_each_rule_speaks_chinese(password: str, message: str) -> None:
    assert message in password_problems(password, User(username="wang_sufang"))


def test_a_password_like_the_user_name_is_named() -> None:
    problems = password_problems("wang_sufang88", User(username="wang_sufang88x"))
    assert problems == ["密码与用户名太相似"]


def test_a_good_password_passes() -> None:
    assert password_problems("Jifen-test-Passw0rd!", User(username="wang_sufang")) == []


def test_no_english_reaches_the_registration_page(client) -> None:
    response = client.post(
        reverse("accounts:register_applicant"),
        {"name": "王素芳", "id_number": id_number(), "phone": "13912345678",
         "username": "wang_sufang", "password": "aaaa", "password2": "aaaa"},
    )
    errors = response.context["form"].errors["password"]
    assert errors == [
        "密码太短，至少需要12个字符", "这个密码太常见，容易被猜中，请换一个", TRIVIAL_MESSAGE,
    ]
    assert not any(c.isascii() and c.isalpha() for e in errors for c in e)


def test_no_english_reaches_the_api(client) -> None:
    response = client.post(
        "/api/register/applicant",
        {"name": "王素芳", "id_number": id_number(), "phone": "13912345678",
         "username": "wang_sufang", "password": "            "},
        content_type="application/json",
    )
    assert response.status_code == 422
    messages = [e["message"] for e in response.json()["errors"] if e["field"] == "password"]
    assert messages == [TRIVIAL_MESSAGE]
