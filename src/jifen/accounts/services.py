"""Account writes: registration of applicants and employers, staff accounts.

Every write records its audit event in the same transaction.
"""

from __future__ import annotations

import re
from datetime import date

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from jifen.audit.services import record_event
from jifen.core import crypto
from jifen.core.errors import FieldError, InvalidInput
from jifen.core.roles import Department, Role
from jifen.rules.identity import birth_date_of, identity_problem, sex_of
from jifen.rules.ruleset import newest_rule_set

from .codes import credit_code_problem, new_employer_code
from .models import ApplicantProfile, Employer, User

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@+-]{4,40}$")
NAME_RE = re.compile(r"^[\u3400-\u9fff·A-Za-z ]{2,30}$")


def _check_login(errors: list[FieldError], username: str, password: str, **user_attrs: str) -> None:
    if not USERNAME_RE.match(username):
        errors.append(FieldError("username", "用户名为4到40位字母、数字或 _ . @ + - 符号"))
    elif User.objects.filter(username__iexact=username).exists():
        errors.append(FieldError("username", "该用户名已被注册"))
    try:
        validate_password(password, User(username=username, **user_attrs))
    except ValidationError as exc:
        errors.extend(FieldError("password", m) for m in exc.messages)


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


@transaction.atomic
def register_applicant(
    *, username: str, password: str, id_number: str, name: str, phone: str
) -> User:
    """Create an applicant account. Raises InvalidInput naming every bad field."""
    username, id_number, name, phone = (
        username.strip(),
        id_number.strip().upper(),
        name.strip(),
        phone.strip(),
    )
    errors: list[FieldError] = []
    _check_login(errors, username, password, full_name=name)
    _check_name(errors, "name", name)
    _check_phone(errors, phone)
    problem = identity_number_problem_zh(id_number)
    if problem:
        errors.append(FieldError("id_number", problem))
    elif ApplicantProfile.objects.filter(id_index=crypto.blind_index(id_number)).exists():
        errors.append(FieldError("id_number", "该公民身份号码已注册，请直接登录"))
    if errors:
        raise InvalidInput("注册信息有误，请按提示修改", errors=errors)
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
            "该用户名或公民身份号码已注册", errors=[FieldError("id_number", "该公民身份号码已注册")]
        ) from exc
    record_event(
        actor=user,
        action="account.register_applicant",
        target=profile,
        # No name, no identity number (not even masked): the profile is the target.
        after={"username": username},
    )
    return user


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
    employer_name, credit_code, district = (
        employer_name.strip(),
        credit_code.strip().upper(),
        district.strip(),
    )
    username, agent_name, phone = username.strip(), agent_name.strip(), phone.strip()
    errors: list[FieldError] = []
    if not 2 <= len(employer_name) <= 200:
        errors.append(FieldError("employer_name", "请输入单位名称"))
    problem = credit_code_problem(credit_code)
    if problem:
        errors.append(FieldError("credit_code", problem))
    elif Employer.objects.filter(credit_code=credit_code).exists():
        errors.append(FieldError("credit_code", "该统一社会信用代码已注册"))
    if district not in newest_rule_set().districts:
        errors.append(FieldError("district", "请选择北京市的区"))
    _check_login(errors, username, password, full_name=agent_name)
    _check_name(errors, "agent_name", agent_name)
    _check_phone(errors, phone)
    if errors:
        raise InvalidInput("注册信息有误，请按提示修改", errors=errors)
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
