"""Registration of applicants and employers, staff accounts: checks, storage, audit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection

from jifen.accounts import services
from jifen.accounts.codes import credit_code_check_char, credit_code_problem
from jifen.accounts.models import ApplicantProfile, Employer, User
from jifen.audit.context import audit_context
from jifen.audit.models import AuditEvent
from jifen.core import crypto
from jifen.core.errors import InvalidInput
from jifen.core.roles import Department, Role
from jifen.rules.identity import check_digit
from tests.factories import PASSWORD, credit_code, id_number

pytestmark = pytest.mark.django_db


def raw_column(model: Any, column: str, pk: int) -> str:
    """The value as stored in the database, bypassing the model field."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {connection.ops.quote_name(column)} FROM {table} WHERE id = %s",
            [pk],
        )
        return cursor.fetchone()[0]


@contextmanager
def refused(*fields: str) -> Iterator[pytest.ExceptionInfo[InvalidInput]]:
    """The call raises InvalidInput naming exactly ``fields`` and writes nothing."""
    counts = (User.objects.count(), Employer.objects.count(), ApplicantProfile.objects.count(),
              AuditEvent.objects.count())
    with pytest.raises(InvalidInput) as info:
        yield info
    assert {e.field for e in info.value.errors} == set(fields), info.value.errors
    assert all(e.message for e in info.value.errors)
    assert (User.objects.count(), Employer.objects.count(), ApplicantProfile.objects.count(),
            AuditEvent.objects.count()) == counts


def applicant_kwargs(**overrides: str) -> dict[str, str]:
    return {"username": "wangsufang", "password": PASSWORD, "id_number": id_number(),
            "name": "王素芳", "phone": "13912345678", **overrides}


def employer_kwargs(**overrides: str) -> dict[str, str]:
    return {"employer_name": "北京星河科技有限公司", "credit_code": credit_code(),
            "district": "通州区", "username": "xinghe_hr", "password": PASSWORD,
            "agent_name": "李经办", "phone": "13812345678", **overrides}


def id_with_check_x() -> str:
    for serial in range(1, 500):
        number = id_number("19900101", "M", serial)
        if number.endswith("X"):
            return number
    raise AssertionError("no identity number ending in X found")


# --- applicants -----------------------------------------------------------------------------


def test_register_applicant() -> None:
    number = id_number("19880315", "F", 41)
    with audit_context(ip="10.1.2.3"):
        user = services.register_applicant(**applicant_kwargs(id_number=number))
    user.refresh_from_db()
    assert user.role == Role.APPLICANT
    assert user.full_name == "王素芳"
    assert user.phone == "13912345678"
    assert user.phone_masked == "139****5678"
    # The password is hashed, never stored as given.
    assert user.password != PASSWORD and PASSWORD not in user.password
    assert user.check_password(PASSWORD)
    profile = user.applicant
    assert profile.id_number == number
    assert profile.name == "王素芳"
    assert profile.sex == "F"
    assert profile.birth_date.isoformat() == "1988-03-15"
    assert profile.id_index == crypto.blind_index(number)
    assert profile.id_number_masked == number[:6] + "********" + number[-4:]


def test_identity_and_phone_numbers_are_encrypted_at_rest() -> None:
    number = id_number("19880315", "F", 42)
    user = services.register_applicant(**applicant_kwargs(id_number=number))
    stored_id = raw_column(ApplicantProfile, "id_number", user.applicant.pk)
    assert stored_id.startswith("sm4gcm1:")
    assert number not in stored_id
    stored_phone = raw_column(User, "phone", user.pk)
    assert stored_phone.startswith("sm4gcm1:")
    assert "13912345678" not in stored_phone
    assert raw_column(ApplicantProfile, "id_index", user.applicant.pk) != number


def test_registration_writes_an_audit_event_without_the_number_in_clear() -> None:
    number = id_number("19880315", "F", 43)
    with audit_context(ip="10.1.2.3"):
        user = services.register_applicant(**applicant_kwargs(id_number=number))
    event = AuditEvent.objects.get(action="account.register_applicant")
    assert event.actor == user
    assert event.actor_role == Role.APPLICANT
    assert event.ip == "10.1.2.3"
    assert (event.target_type, event.target_id) == (
        "accounts.applicantprofile", str(user.applicant.pk),
    )
    assert event.before is None
    # Neither the name nor the identity number, not even masked: the profile is the target.
    assert event.after == {"username": "wangsufang"}
    stored = str([event.before, event.after, event.detail])
    assert number not in stored and "王素芳" not in stored
    assert user.applicant.id_number_masked not in stored


def test_input_is_trimmed_and_the_x_upper_cased() -> None:
    number = id_with_check_x()
    user = services.register_applicant(**applicant_kwargs(
        username="  wang2024 ", id_number=f" {number.lower()} ", name=" 王素芳 ",
        phone=" 13912345678 ",
    ))
    assert user.username == "wang2024"
    assert user.applicant.id_number == number
    assert user.applicant.sex == "M"


def test_bad_check_digit() -> None:
    number = id_number()
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    with refused("id_number") as info:
        services.register_applicant(**applicant_kwargs(id_number=wrong))
    assert info.value.errors[0].message == "公民身份号码校验位不正确，请核对"


@pytest.mark.parametrize("birth", ["19881345", "19880230", "19880015", "29880315"])
def test_bad_birth_date(birth: str) -> None:
    body = f"110105{birth}004"
    with refused("id_number") as info:
        services.register_applicant(**applicant_kwargs(id_number=body + check_digit(body)))
    assert info.value.errors[0].message == "公民身份号码中的出生日期无效"


@pytest.mark.parametrize("number", ["", "1101051988031500", "11010519880315002XX",
                                    "11010519880315002A", "1101051988O315002X"])
def test_malformed_identity_number(number: str) -> None:
    with refused("id_number") as info:
        services.register_applicant(**applicant_kwargs(id_number=number))
    assert info.value.errors[0].message == "公民身份号码应为18位（最后一位可为X）"


def test_duplicate_identity_number() -> None:
    number = id_number()
    services.register_applicant(**applicant_kwargs(username="first", id_number=number))
    with refused("") as info:
        services.register_applicant(**applicant_kwargs(username="second", id_number=number))
    # The same generic words as any refusal that is not a field's: the number is not named.
    assert info.value.message == services.REGISTRATION_REFUSED
    assert [e.message for e in info.value.errors] == [services.REGISTRATION_REFUSED]
    assert "已注册" not in services.REGISTRATION_REFUSED
    assert "找回密码" in services.REGISTRATION_REFUSED


@pytest.mark.parametrize("first_lower", [False, True])
def test_duplicate_identity_number_with_lower_case_x(first_lower: bool) -> None:
    number = id_with_check_x()
    first, second = (number.lower(), number) if first_lower else (number, number.lower())
    services.register_applicant(**applicant_kwargs(username="first", id_number=first))
    with refused(""):
        services.register_applicant(**applicant_kwargs(username="second", id_number=second))


def test_duplicate_username_ignores_case() -> None:
    services.register_applicant(**applicant_kwargs(username="WangSuFang"))
    with refused("username") as info:
        services.register_applicant(**applicant_kwargs(username="wangsufang"))
    assert info.value.errors[0].message == "该用户名已被注册"


@pytest.mark.parametrize("username", ["abc", "x" * 41, "王素芳123", "has space", "semi;colon"])
def test_bad_username(username: str) -> None:
    with refused("username"):
        services.register_applicant(**applicant_kwargs(username=username))


@pytest.mark.parametrize(
    "password",
    [
        "Short-1a",  # fewer than 12 characters
        "839201746528",  # only digits
        "password1234",  # a common password
        "wangsufang2024",  # too close to the username
    ],
)
def test_weak_password(password: str) -> None:
    username = "wangsufang2024" if password.startswith("wangsufang") else "wangsufang"
    with refused("password"):
        services.register_applicant(**applicant_kwargs(username=username, password=password))


def test_a_short_numeric_password_gets_every_reason() -> None:
    with refused("password") as info:
        services.register_applicant(**applicant_kwargs(password="12345678"))
    assert len(info.value.errors) >= 2  # too short, too common, entirely numeric


@pytest.mark.parametrize("phone", ["", "1391234567", "139123456789", "23912345678",
                                   "12912345678", "1391234567a", "+8613912345678"])
def test_bad_phone(phone: str) -> None:
    with refused("phone") as info:
        services.register_applicant(**applicant_kwargs(phone=phone))
    assert info.value.errors[0].message == "请输入11位手机号码"


@pytest.mark.parametrize("name", ["", "王", "王素芳1", "<b>王</b>", "王" * 31])
def test_bad_name(name: str) -> None:
    with refused("name") as info:
        services.register_applicant(**applicant_kwargs(name=name))
    assert info.value.errors[0].message == "请输入2到30个字的姓名"


@pytest.mark.parametrize("name", ["王素芳", "阿依古丽·买买提", "Anna Smith"])
def test_good_names(name: str) -> None:
    user = services.register_applicant(**applicant_kwargs(name=name))
    assert user.applicant.name == name


def test_every_bad_field_is_named_at_once() -> None:
    with refused("username", "password", "name", "phone", "id_number"):
        services.register_applicant(
            username="ab", password="123", id_number="123", name="x", phone="1"
        )


# --- employers ------------------------------------------------------------------------------


def test_register_employer() -> None:
    code = credit_code()
    with audit_context(ip="10.1.2.3"):
        user = services.register_employer(**employer_kwargs(credit_code=code.lower()))
    user.refresh_from_db()
    employer = user.employer
    assert user.role == Role.EMPLOYER_AGENT
    assert user.check_password(PASSWORD) and user.password != PASSWORD
    assert user.full_name == "李经办"
    assert raw_column(User, "phone", user.pk).startswith("sm4gcm1:")
    assert (employer.name, employer.credit_code, employer.district) == (
        "北京星河科技有限公司", code, "通州区",
    )
    # 单位注册码: DW + 8 characters that cannot be misread (no 0/O/1/I/L).
    assert re.fullmatch(r"DW[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}", employer.code)
    event = AuditEvent.objects.get(action="account.register_employer")
    assert event.actor == user
    assert event.ip == "10.1.2.3"
    assert (event.target_type, event.target_id) == ("accounts.employer", str(employer.pk))
    assert event.after == {"employer": "北京星河科技有限公司", "credit_code": code,
                           "code": employer.code, "agent": "xinghe_hr"}


def test_employer_codes_are_unique() -> None:
    codes = {
        services.register_employer(
            **employer_kwargs(username=f"hr{n:04d}", credit_code=credit_code())
        ).employer.code
        for n in range(8)
    }
    assert len(codes) == 8


def test_credit_code_check_character() -> None:
    code = credit_code()
    assert credit_code_problem(code) is None
    # 91350100M000100Y43 is a published example of a unified social credit code.
    assert credit_code_check_char("91350100M000100Y4") == "3"
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    with refused("credit_code") as info:
        services.register_employer(**employer_kwargs(credit_code=wrong))
    assert info.value.errors[0].message == "统一社会信用代码校验位不正确"


@pytest.mark.parametrize("code,message", [
    ("91110105MA0000001", "统一社会信用代码应为18位"),
    ("91110105MA00000I1X", "统一社会信用代码含有不允许的字符"),
    ("9111010AMA00000011", "统一社会信用代码含有不允许的字符"),
])
def test_malformed_credit_code(code: str, message: str) -> None:
    with refused("credit_code") as info:
        services.register_employer(**employer_kwargs(credit_code=code))
    assert info.value.errors[0].message == message


def test_duplicate_credit_code() -> None:
    code = credit_code()
    services.register_employer(**employer_kwargs(username="first_hr", credit_code=code))
    with refused("credit_code") as info:
        services.register_employer(**employer_kwargs(username="second_hr", credit_code=code))
    assert info.value.errors[0].message == "该统一社会信用代码已注册"


@pytest.mark.parametrize("district", ["", "浦东新区", "海淀", "Haidian"])
def test_unknown_district(district: str) -> None:
    with refused("district"):
        services.register_employer(**employer_kwargs(district=district))


def test_employer_fields_are_checked_like_an_applicants() -> None:
    services.register_applicant(**applicant_kwargs(username="taken_name"))
    with refused("employer_name", "username", "agent_name", "phone"):
        services.register_employer(**employer_kwargs(
            employer_name="X", username="TAKEN_NAME", agent_name="1", phone="12345",
        ))


# --- staff ----------------------------------------------------------------------------------


def test_create_reviewer_with_department() -> None:
    admin = services.create_staff_user(actor=None, username="security1", password=PASSWORD,
                                       role=Role.SECURITY_ADMIN)
    with audit_context(ip="10.1.2.3"):
        user = services.create_staff_user(
            actor=admin, username="tax_reviewer", password=PASSWORD, role=Role.REVIEWER,
            department=Department.TAX, full_name="赵审核",
        )
    assert (user.role, user.department, user.is_staff_role) == ("reviewer", "tax", True)
    assert user.check_password(PASSWORD)
    event = AuditEvent.objects.filter(action="account.create_staff").order_by("-seq").first()
    assert event.actor == admin
    assert event.ip == "10.1.2.3"
    assert (event.target_type, event.target_id) == ("accounts.user", str(user.pk))
    assert event.after == {"username": "tax_reviewer", "role": "reviewer", "department": "tax"}


def test_created_by_the_system_has_no_actor() -> None:
    services.create_staff_user(actor=None, username="auditor1", password=PASSWORD,
                               role=Role.AUDITOR)
    event = AuditEvent.objects.get(action="account.create_staff")
    assert event.actor is None and event.actor_ref == ""


@pytest.mark.parametrize("department", ["", "finance"])
def test_reviewer_needs_a_department(department: str) -> None:
    with refused("department") as info:
        services.create_staff_user(actor=None, username="reviewer1", password=PASSWORD,
                                   role=Role.REVIEWER, department=department)
    assert info.value.errors[0].message == "部门审核员必须指定部门"


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.EMPLOYER_AGENT, "superuser", ""])
def test_public_and_unknown_roles_are_refused(role: str) -> None:
    with refused("role"):
        services.create_staff_user(actor=None, username="someone1", password=PASSWORD, role=role)


def test_only_reviewers_keep_a_department() -> None:
    user = services.create_staff_user(actor=None, username="bureau1", password=PASSWORD,
                                      role=Role.BUREAU_ADMIN, department=Department.TAX)
    assert user.department == ""


def test_staff_passwords_and_usernames_are_checked() -> None:
    services.create_staff_user(actor=None, username="Operator1", password=PASSWORD,
                               role=Role.OPERATOR)
    with refused("username", "password"):
        services.create_staff_user(actor=None, username="operator1", password="short",
                                   role=Role.OPERATOR)
