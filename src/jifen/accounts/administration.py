"""The security administrator's account administration (安全管理员).

Create staff accounts, unlock, disable and enable, reset an account's second factor or (for
staff) its password. Each action is audited in its transaction. The duties stay apart
(三员分立): only a security administrator administers accounts (not the auditor, the operator
or anyone else); never their own account nor another security administrator's; and they
cannot create security administrators (those are made on the command line, outside the
system's own roles). They read no declarations and no audit log (the selectors refuse them).
"""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from jifen.audit.services import record_event
from jifen.core.errors import FieldError, InvalidInput, NotFound, NotPermitted
from jifen.core.roles import STAFF_ROLES, Role

from . import second_factor, throttle
from .models import User
from .passwords import password_problems
from .services import create_staff_user, plain

ONLY_SECURITY_ADMIN = "只有安全管理员可以管理用户账户"
NOT_YOURSELF = "不能管理自己的账户，请由其他安全管理员办理"
NOT_SECURITY_ADMINS = "不能管理安全管理员账户（三员分立）"
NO_NEW_SECURITY_ADMINS = "安全管理员不能创建安全管理员账户（三员分立）"
REASON_REQUIRED = "请填写原因（如工单号），将记入审计日志"
# Roles a security administrator may create: every staff role but their own.
CREATABLE_ROLES = tuple(r for r in STAFF_ROLES if r != Role.SECURITY_ADMIN)

_PASSWORD_CHARS = "ABCDEFGHJKMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"


def temporary_password(user: User) -> str:
    """A random password to hand over once (four groups of four, no look-alike characters)."""
    while True:
        groups = ("".join(secrets.choice(_PASSWORD_CHARS) for _ in range(4)) for _ in range(4))
        password = "-".join(groups)
        if not password_problems(password, user):
            return password


def _require_security_admin(actor: User) -> None:
    if not getattr(actor, "is_authenticated", False) or actor.role != Role.SECURITY_ADMIN:
        raise NotPermitted(ONLY_SECURITY_ADMIN)


def _reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise InvalidInput(REASON_REQUIRED, field="reason")
    if len(reason) > 200:
        raise InvalidInput("原因最多200个字", field="reason")
    return reason


def _target(actor: User, user_id: int) -> User:
    """The account acted upon, locked for the transaction; the separation of duties checked."""
    _require_security_admin(actor)
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound("没有该用户账户")
    if user.pk == actor.pk:
        raise NotPermitted(NOT_YOURSELF)
    if user.role == Role.SECURITY_ADMIN:
        raise NotPermitted(NOT_SECURITY_ADMINS)
    return user


def _revoke_tokens(user: User) -> int:
    return user.api_tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


@transaction.atomic
def create_staff_account(
    *, actor: User, username: str, role: str, department: str = "", full_name: str = "",
    phone: str = "",
) -> tuple[User, str]:
    """A new staff account with a temporary password, returned to be shown once."""
    _require_security_admin(actor)
    if role == Role.SECURITY_ADMIN:
        raise NotPermitted(NO_NEW_SECURITY_ADMINS)
    username, full_name, phone = plain(username), full_name.strip(), plain(phone)
    if not full_name:
        raise InvalidInput("账户信息有误", errors=[FieldError("full_name", "请输入姓名")])
    password = temporary_password(User(username=username, full_name=full_name, phone=phone))
    user = create_staff_user(
        actor=actor, username=username, password=password, role=role,
        department=department, full_name=full_name, phone=phone,
    )
    user.must_change_password = True  # a temporary password: its owner sets their own
    user.save(update_fields=["must_change_password"])
    return user, password


@transaction.atomic
def unlock(*, actor: User, user_id: int, reason: str = "") -> int:
    """End every login restriction on the account (all addresses). Returns the records
    removed."""
    user = _target(actor, user_id)
    reason = _reason(reason, required=False)
    removed = throttle.clear_account(user.username)
    record_event(
        actor=actor, action="account.unlock", target=user, after={"records": removed},
        detail=reason,
    )
    return removed


@transaction.atomic
def set_active(*, actor: User, user_id: int, active: bool, reason: str) -> User:
    """Disable (a reason required; its sessions end and its API tokens are revoked) or enable
    an account."""
    user = _target(actor, user_id)
    reason = _reason(reason, required=not active)
    if user.is_active == active:
        raise InvalidInput("该账户已启用" if active else "该账户已停用", field="reason")
    user.is_active = active
    user.save(update_fields=["is_active"])
    revoked = 0 if active else _revoke_tokens(user)
    after: dict[str, object] = {"is_active": active}
    if not active:
        after["tokens_revoked"] = revoked
    record_event(
        actor=actor, action="account.enable" if active else "account.disable", target=user,
        before={"is_active": not active}, after=after, detail=reason,
    )
    return user


@transaction.atomic
def reset_second_factor(*, actor: User, user_id: int, reason: str) -> int:
    """Delete the account's authenticators (a lost phone); it binds a new one at its next
    sign-in. Returns how many were deleted."""
    user = _target(actor, user_id)
    reason = _reason(reason, required=True)
    return second_factor.reset(actor=actor, user=user, reason=reason)


@transaction.atomic
def reset_password(*, actor: User, user_id: int, reason: str) -> str:
    """A staff account's new temporary password, returned to be shown once; its sessions end,
    its login restrictions are cleared. Applicants and employer agents reset theirs by SMS."""
    user = _target(actor, user_id)
    reason = _reason(reason, required=True)
    if user.role not in STAFF_ROLES:
        raise NotPermitted("申请人和单位经办人请通过“找回密码”用手机验证码自行重置")
    password = temporary_password(user)
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    cleared = throttle.clear_account(user.username)
    record_event(
        actor=actor, action="account.password_reset_by_admin", target=user,
        after={"lockout_records_cleared": cleared}, detail=reason,
    )
    return password
