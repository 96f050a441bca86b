"""Account writes: registration of applicants and employers, staff accounts.

Every write records its audit event in the same transaction.
"""

from __future__ import annotations

import re
from datetime import date

from django.db import IntegrityError, transaction

from jifen.audit.services import record_event
from jifen.core import crypto
from jifen.core.errors import FieldError, InvalidInput
from jifen.core.roles import Department, Role
from jifen.core.text import FOREIGN_DIGIT_MESSAGE, foreign_digit, halfwidth
from jifen.rules.identity import birth_date_of, identity_problem, sex_of
from jifen.rules.ruleset import newest_rule_set

from .codes import credit_code_problem, new_employer_code
from .models import ApplicantProfile, Employer, User
from .passwords import password_problems

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@+-]{4,40}$")
NAME_RE = re.compile(r"^[\u3400-\u9fff·A-Za-z ]{2,30}$")

# Not a field's problem, and the same words whatever the reason: a registration must not tell
# an anonymous visitor that an identity number is registered (enumeration).
NON_FIELD = ""
REGISTRATION_REFUSED = (
    "无法使用这些信息完成注册。如果您以前注册过，请直接登录；忘记密码请使用“找回密码”。"
)
REGISTRATION_INVALID = "注册信息有误，请按提示修改"


def plain(text: str | None) -> str:
    """What was typed, with full-width characters (a Chinese input method) as ASCII and the
    surrounding spaces removed."""
    return halfwidth(text or "").strip()


def _foreign_digits(errors: list[FieldError], values: dict[str, str]) -> set[str]:
    """Refuse the fields typed with another script's digits (Arabic-Indic ...); returns their
    names, so that their other checks are skipped."""
    bad = {field for field, value in values.items() if foreign_digit(value)}
    errors.extend(FieldError(field, FOREIGN_DIGIT_MESSAGE) for field in sorted(bad))
    return bad


def _refuse(errors: list[FieldError]) -> None:
    if errors:
        only_generic = all(e.field == NON_FIELD for e in errors)
        raise InvalidInput(REGISTRATION_REFUSED if only_generic else REGISTRATION_INVALID,
                           errors=errors)


def _check_login(
    errors: list[FieldError],
    username: str,
    password: str,
    *,
    skip_username: bool = False,
    **user_attrs: str,
) -> None:
    if skip_username:
        pass
    elif not USERNAME_RE.match(username):
        errors.append(FieldError("username", "用户名为4到40位字母、数字或 _ . @ + - 符号"))
    elif User.objects.filter(username__iexact=username).exists():
        errors.append(FieldError("username", "该用户名已被注册"))
    errors.extend(
        FieldError("password", m)
        for m in password_problems(password, User(username=username, **user_attrs))
    )


def _check_phone(errors: list[FieldError], phone: str) -> None:
    if not PHONE_RE.match(phone):
        errors.append(FieldError("phone", "请输入11位手机号码"))


def _check_name(errors: list[FieldError], field: str, name: str) -> None:
    if not NAME_RE.match(name):
        errors.append(FieldError(field, "请输入2到30个字的姓名"))


def identity_number_problem_zh(number: str) -> str | None:
    """The engine's identity check, in Chinese for the forms, plus the birth date."""
    problem = identity_problem(number)
    if problem is None:
        # The engine checks the form and the check digit only; a number can pass those
        # with a birth date that does not exist (1988-02-30) or has not come yet.
        try:
            born = date.fromisoformat(birth_date_of(number))
        except ValueError:
            return "公民身份号码中的出生日期无效"
        if not date(1900, 1, 1) <= born <= date.today():
            return "公民身份号码中的出生日期无效"
        return None
    if "check digit" in problem:
        return "公民身份号码校验位不正确，请核对"
    return "公民身份号码应为18位（最后一位可为X）"


def applicant_registration_problems(
    *, username: str, password: str, id_number: str, name: str, phone: str
) -> list[FieldError]:
    """Every problem of an applicant's registration, without registering (the page shows them
    all at once next to its own required-field checks)."""
    username, id_number, name, phone = (
        plain(username), plain(id_number).upper(), name.strip(), plain(phone)
    )
    errors: list[FieldError] = []
    bad = _foreign_digits(errors, {"username": username, "id_number": id_number, "phone": phone})
    _check_login(errors, username, password, full_name=name, skip_username="username" in bad)
    _check_name(errors, "name", name)
    if "phone" not in bad:
        _check_phone(errors, phone)
    if "id_number" not in bad:
        problem = identity_number_problem_zh(id_number)
        if problem:
            errors.append(FieldError("id_number", problem))
        elif ApplicantProfile.objects.filter(id_index=crypto.blind_index(id_number)).exists():
            errors.append(FieldError(NON_FIELD, REGISTRATION_REFUSED))
    return errors


@transaction.atomic
def register_applicant(
    *, username: str, password: str, id_number: str, name: str, phone: str
) -> User:
    """Create an applicant account. Raises InvalidInput naming every bad field; an identity
    number already registered gets the generic REGISTRATION_REFUSED (no field)."""
    _refuse(applicant_registration_problems(
        username=username, password=password, id_number=id_number, name=name, phone=phone
    ))
    username, id_number, name, phone = (
        plain(username), plain(id_number).upper(), name.strip(), plain(phone)
    )
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username=username,
                password=password,
                role=Role.APPLICANT,
                full_name=name,
                phone=phone,
            )
            profile = ApplicantProfile.objects.create(
                user=user,
                id_number=id_number,
                id_index=crypto.blind_index(id_number),
                name=name,
                sex=sex_of(id_number),
                birth_date=birth_date_of(id_number),
            )
    except IntegrityError as exc:  # a concurrent registration won the race
        raise InvalidInput(
            REGISTRATION_REFUSED, errors=[FieldError(NON_FIELD, REGISTRATION_REFUSED)]
        ) from exc
    record_event(
        actor=user,
        action="account.register_applicant",
        target=profile,
        # No name, no identity number (not even masked): the profile is the target.
        after={"username": username},
    )
    return user


def employer_registration_problems(
    *,
    employer_name: str,
    credit_code: str,
    district: str,
    username: str,
    password: str,
    agent_name: str,
    phone: str,
) -> list[FieldError]:
    """Every problem of an employer's registration, without registering."""
    employer_name, credit_code, district = (
        employer_name.strip(), plain(credit_code).upper(), district.strip()
    )
    username, agent_name, phone = plain(username), agent_name.strip(), plain(phone)
    errors: list[FieldError] = []
    bad = _foreign_digits(
        errors, {"credit_code": credit_code, "username": username, "phone": phone}
    )
    if not 2 <= len(employer_name) <= 200:
        errors.append(FieldError("employer_name", "请输入单位名称"))
    if "credit_code" not in bad:
        problem = credit_code_problem(credit_code)
        if problem:
            errors.append(FieldError("credit_code", problem))
        elif Employer.objects.filter(credit_code=credit_code).exists():
            errors.append(FieldError("credit_code", "该统一社会信用代码已注册"))
    if district not in newest_rule_set().districts:
        errors.append(FieldError("district", "请选择北京市的区"))
    _check_login(errors, username, password, full_name=agent_name,
                 skip_username="username" in bad)
    _check_name(errors, "agent_name", agent_name)
    if "phone" not in bad:
        _check_phone(errors, phone)
    return errors


@transaction.atomic
def register_employer(
    *,
    employer_name: str,
    credit_code: str,
    district: str,
    username: str,
    password: str,
    agent_name: str,
    phone: str,
) -> User:
    """Register an employer and its first agent; the employer gets its 单位注册码."""
    _refuse(employer_registration_problems(
        employer_name=employer_name, credit_code=credit_code, district=district,
        username=username, password=password, agent_name=agent_name, phone=phone,
    ))
    employer_name, credit_code, district = (
        employer_name.strip(), plain(credit_code).upper(), district.strip()
    )
    username, agent_name, phone = plain(username), agent_name.strip(), plain(phone)
    for _ in range(5):  # a random code can collide; try again
        code = new_employer_code()
        if not Employer.objects.filter(code=code).exists():
            break
    employer = Employer.objects.create(
        name=employer_name, credit_code=credit_code, code=code, district=district
    )
    user = User.objects.create_user(
        username=username,
        password=password,
        role=Role.EMPLOYER_AGENT,
        employer=employer,
        full_name=agent_name,
        phone=phone,
    )
    record_event(
        actor=user,
        action="account.register_employer",
        target=employer,
        after={
            "employer": employer_name,
            "credit_code": credit_code,
            "code": code,
            "agent": username,
        },
    )
    return user


@transaction.atomic
def create_staff_user(
    *,
    actor: User | None,
    username: str,
    password: str,
    role: str,
    full_name: str = "",
    department: str = "",
    phone: str = "",
) -> User:
    """Create a staff account (bureau, departments, operators, auditors, security)."""
    errors: list[FieldError] = []
    if role not in {r.value for r in Role} or role in (Role.APPLICANT, Role.EMPLOYER_AGENT):
        errors.append(FieldError("role", "不是工作人员角色"))
    if role == Role.REVIEWER and department not in Department.values:
        errors.append(FieldError("department", "部门审核员必须指定部门"))
    _check_login(errors, username, password, full_name=full_name)
    if errors:
        raise InvalidInput("账户信息有误", errors=errors)
    user = User.objects.create_user(
        username=username,
        password=password,
        role=role,
        full_name=full_name,
        department=department if role == Role.REVIEWER else "",
        phone=phone,
    )
    record_event(
        actor=actor,
        action="account.create_staff",
        target=user,
        after={"username": username, "role": role, "department": user.department},
    )
    return user
