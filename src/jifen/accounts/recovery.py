"""Changing a password, and resetting a forgotten one with a code sent by SMS.

- **change** (:func:`change_password`): a signed-in person, with the old password.
- **reset** (:func:`request_reset`, then :func:`complete_reset`): an applicant or employer agent
  gives their user name (or, for an applicant, identity number) and registered mobile number.
  The answer is the same whether or not they match an account (no enumeration); when they do,
  a 6-digit code goes to that phone, valid 10 minutes, 5 tries; then a new password. Staff
  accounts cannot use it: the security administrator resets their passwords.

After a reset or a change every other session of the account ends (Django's session hash
follows the password), its API tokens are revoked and its login restrictions cleared. Every
step is audited; codes and passwords never are.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from jifen.audit.redact import text_fact
from jifen.audit.services import record_event
from jifen.core import crypto
from jifen.core.errors import FieldError, InvalidInput, Throttled, Unavailable
from jifen.core.roles import Role
from jifen.core.text import FOREIGN_DIGIT_MESSAGE, foreign_digit

from . import sms, throttle
from .models import ApplicantProfile, PasswordReset, User
from .passwords import password_problems
from .services import PHONE_RE, identity_number_problem_zh, plain

RESET_ROLES = frozenset({Role.APPLICANT, Role.EMPLOYER_AGENT})
CODE_RE = re.compile(r"^\d{6}$")

SENT_MESSAGE = (
    "如果您填写的信息与账户相符，验证码短信已发送到该手机号码，10分钟内有效。"
    "请在下方输入验证码并设置新密码。"
)
WRONG_CODE = "验证码不正确"
VOID_CODE = "验证码已失效，请重新获取"
CODE_FORMAT = "请输入短信中的6位数字验证码"
SMS_DOWN = "短信服务暂不可用，请稍后再试或到区服务窗口办理"



def _policy(name: str) -> Any:
    return settings.PASSWORD_RESET[name]


def _token_hash(token: str) -> str:
    return crypto.sm3_hex(token.encode("utf-8", "surrogatepass"))


def _code_hash(token: str, code: str) -> str:
    return salted_hmac("jifen.accounts.recovery", f"{token}:{code}", algorithm="sha256").hexdigest()


def _end_sessions_and_tokens(user: User, *, keep_token_id: int | None = None) -> int:
    """Revoke the account's API tokens (but the one in use); sessions end by themselves as
    the password hash they carry no longer matches. Returns how many tokens were revoked."""
    tokens = user.api_tokens.filter(revoked_at__isnull=True)
    if keep_token_id is not None:
        tokens = tokens.exclude(pk=keep_token_id)
    return tokens.update(revoked_at=timezone.now())


# --- change -----------------------------------------------------------------------------------


@transaction.atomic
def change_password(
    *, user: User, old_password: str, new_password: str, keep_token_id: int | None = None
) -> None:
    """A signed-in person's new password. InvalidInput names ``old_password`` or
    ``new_password``."""
    errors: list[FieldError] = []
    if not user.check_password(old_password):
        errors.append(FieldError("old_password", "原密码不正确"))
    elif new_password == old_password:
        errors.append(FieldError("new_password", "新密码不能与原密码相同"))
    errors.extend(FieldError("new_password", m) for m in password_problems(new_password, user))
    if errors:
        raise InvalidInput("密码未修改，请按提示修改", errors=errors)
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    revoked = _end_sessions_and_tokens(user, keep_token_id=keep_token_id)
    cleared = throttle.clear_account(user.username)
    record_event(
        actor=user, action="account.password_change", target=user,
        after={"tokens_revoked": revoked, "lockout_records_cleared": cleared},
    )


# --- reset ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResetRequest:
    token: str  # the handle of the next step (in the session, or returned by the API)
    message: str = SENT_MESSAGE


def _find_account(identifier: str) -> User | None:
    """The account an identifier names: an applicant's identity number, or a user name."""
    if len(identifier) == 18 and identity_number_problem_zh(identifier.upper()) is None:
        profile = (
            ApplicantProfile.objects.select_related("user")
            .filter(id_index=crypto.blind_index(identifier.upper()))
            .first()
        )
        return profile.user if profile else None
    return User.objects.filter(username=identifier).first()


def request_reset(*, identifier: str, phone: str, ip: str | None) -> ResetRequest:
    """Start a reset: the same answer whether or not ``identifier`` and ``phone`` match an
    account; when they do, a code is sent to the phone (at most PER_ACCOUNT_PER_HOUR an hour).
    InvalidInput for a malformed phone number; Throttled after PER_ADDRESS_PER_HOUR requests
    from one address within an hour."""
    identifier, phone = plain(identifier), plain(phone)
    errors: list[FieldError] = []
    for field, value in (("identifier", identifier), ("phone", phone)):
        if foreign_digit(value):
            errors.append(FieldError(field, FOREIGN_DIGIT_MESSAGE))
    if not identifier:
        errors.append(FieldError("identifier", "请输入用户名或公民身份号码"))
    elif len(identifier) > 150:
        errors.append(FieldError("identifier", "用户名或公民身份号码过长"))
    if not errors and not PHONE_RE.match(phone):
        errors.append(FieldError("phone", "请输入11位手机号码"))
    if errors:
        raise InvalidInput("信息有误，请按提示修改", errors=errors)
    if not sms.available():
        raise Unavailable(SMS_DOWN, code="sms_unavailable")

    now = timezone.now()
    hour_ago = now - timezone.timedelta(hours=1)
    if PasswordReset.objects.filter(ip=ip, created_at__gte=hour_ago).count() >= _policy(
        "PER_ADDRESS_PER_HOUR"
    ):
        raise Throttled("找回密码的请求过于频繁，请1小时后再试")

    user = _find_account(identifier)
    outcome = "sent"
    if user is None or user.phone != phone:
        outcome = "no_match"
    elif user.role not in RESET_ROLES:
        outcome = "staff"
    elif not user.is_active:
        outcome = "inactive"
    elif PasswordReset.objects.filter(
        user=user, created_at__gte=hour_ago
    ).exclude(code_hash="").count() >= _policy("PER_ACCOUNT_PER_HOUR"):
        outcome = "rate_limited"
    matched = outcome == "sent"

    token = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        PasswordReset.objects.create(
            token_hash=_token_hash(token),
            user=user if matched else None,
            code_hash=_code_hash(token, code) if matched else "",
            ip=ip,
            expires_at=now + _policy("CODE_LIFETIME"),
        )
        known = outcome != "no_match"
        record_event(
            actor=None, action="account.password_reset_requested",
            target=user if known else None,
            # What was typed only as a keyed fingerprint (it may be an identity number).
            after={"sent": matched, "outcome": outcome,
                   "identifier": text_fact(identifier, scope="account.password_reset:identifier")},
        )
    if matched:  # once the request is on record
        minutes = int(_policy("CODE_LIFETIME").total_seconds() // 60)
        sms.send(
            phone,
            f"【北京市积分落户】您正在找回密码，验证码{code}，{minutes}分钟内有效。"
            "请勿告诉他人；如非本人操作，请忽略本短信。",
        )
    return ResetRequest(token=token)


def complete_reset(*, token: str, code: str, new_password: str) -> User:
    """Set a new password with the code of :func:`request_reset`. InvalidInput names ``code``
    (wrong, expired, used, too many tries) or ``new_password``."""
    code = "".join(plain(code).split())
    if foreign_digit(code):
        raise InvalidInput(FOREIGN_DIGIT_MESSAGE, field="code")
    if not CODE_RE.match(code):
        raise InvalidInput(CODE_FORMAT, field="code")
    wrong: str | None = None
    with transaction.atomic():
        row = (
            # No select_related: PostgreSQL cannot lock the nullable side of an outer join.
            PasswordReset.objects.select_for_update()
            .filter(token_hash=_token_hash(token or "")).first()
        )
        if row is None:
            raise InvalidInput(VOID_CODE, field="code")
        now = timezone.now()
        if row.used_at or row.expires_at <= now or row.attempts >= _policy("CODE_ATTEMPTS"):
            raise InvalidInput(VOID_CODE, field="code")
        row.attempts += 1
        row.save(update_fields=["attempts"])
        right = bool(row.code_hash) and hmac.compare_digest(row.code_hash, _code_hash(token, code))
        if not right or row.user is None:
            left = _policy("CODE_ATTEMPTS") - row.attempts
            wrong = f"{WRONG_CODE}，还可以再试{left}次" if left else VOID_CODE
            record_event(
                actor=None, action="account.password_reset_failed", target=row.user,
                after={"attempts": row.attempts},
            )
    if wrong is not None:  # after the transaction: the try stays counted
        raise InvalidInput(wrong, field="code")
    return _set_new_password(row.pk, new_password)


@transaction.atomic
def _set_new_password(reset_id: int, new_password: str) -> User:
    row = PasswordReset.objects.select_for_update().get(pk=reset_id)
    user = row.user
    problems = password_problems(new_password, user)
    if problems:
        raise InvalidInput(
            "新密码不符合要求", errors=[FieldError("new_password", m) for m in problems]
        )
    now = timezone.now()
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    # This code, and any other still open for the account, cannot be used again.
    PasswordReset.objects.filter(user=user, used_at__isnull=True).update(used_at=now)
    revoked = _end_sessions_and_tokens(user)
    cleared = throttle.clear_account(user.username)
    record_event(
        actor=user, action="account.password_reset", target=user,
        after={"tokens_revoked": revoked, "lockout_records_cleared": cleared},
    )
    return user
