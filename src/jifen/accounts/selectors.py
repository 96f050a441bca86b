"""Reads of user accounts, for the security administrators only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from axes.models import AccessAttempt, AccessFailureLog
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from jifen.core.errors import NotFound, NotPermitted
from jifen.core.roles import STAFF_ROLES, Role

from . import throttle
from .models import User

# The account list's state filter: value -> label.
STATES = {"active": "启用", "disabled": "停用", "locked": "已锁定"}


def _require_security_admin(user: User) -> None:
    if not user.is_authenticated or user.role != Role.SECURITY_ADMIN:
        raise NotPermitted("只有安全管理员可以查看用户账户")


def _restricted_usernames(now: datetime) -> set[str]:
    """Accounts with a login restriction in force now (any of the throttle's controls)."""
    since = now - max(throttle.pair_cooloff(), throttle.policy("ACCOUNT_WINDOW"))
    names = set(
        AccessAttempt.objects.filter(attempt_time__gte=since).values_list("username", flat=True)
    ) | set(
        AccessFailureLog.objects.filter(attempt_time__gte=since).values_list("username", flat=True)
    )
    names.discard(None)
    return set(throttle.lock_states(names, now))


def accounts_for_security_admin(
    user: User, *, role: str | None = None, state: str | None = None, query: str | None = None
) -> QuerySet[User]:
    """User accounts by username: of one ``role`` (a ``Role`` value; an unknown value matches
    none), in one ``state`` (a key of STATES), whose user name or name contains ``query``.
    Each has ``has_second_factor`` (a confirmed authenticator). NotPermitted for anyone but a
    security administrator."""
    _require_security_admin(user)
    users = User.objects.select_related("employer").order_by("username").annotate(
        has_second_factor=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
    )
    if role:
        users = users.filter(role=role)
    if query:
        users = users.filter(Q(username__icontains=query) | Q(full_name__icontains=query))
    if state == "active":
        users = users.filter(is_active=True)
    elif state == "disabled":
        users = users.filter(is_active=False)
    elif state == "locked":
        users = users.filter(username__in=_restricted_usernames(timezone.now()))
    return users


def account_for_security_admin(user: User, user_id: int) -> User:
    """One account, for the administration pages. NotFound when there is none."""
    _require_security_admin(user)
    account = User.objects.filter(pk=user_id).first()
    if account is None:
        raise NotFound("没有该用户账户")
    return account


@dataclass(frozen=True)
class AccountRow:
    """One line of the account list: the account and what may be done with it."""

    account: User
    lock: throttle.LockState | None
    is_staff_account: bool
    manageable: bool  # not the viewer, not a security administrator (三员分立)

    @property
    def state(self) -> str:
        if not self.account.is_active:
            return "disabled"
        return "locked" if self.lock is not None else "active"

    @property
    def state_label(self) -> str:
        return STATES[self.state]


def account_rows(viewer: User, accounts: list[User]) -> list[AccountRow]:
    """The list's rows for ``accounts`` (a page of :func:`accounts_for_security_admin`)."""
    _require_security_admin(viewer)
    locks = throttle.lock_states([a.username for a in accounts])
    return [
        AccountRow(
            account=a,
            lock=locks.get(a.username),
            is_staff_account=a.role in STAFF_ROLES,
            manageable=a.pk != viewer.pk and a.role != Role.SECURITY_ADMIN,
        )
        for a in accounts
    ]


def role_counts(user: User) -> dict[str, int]:
    """How many accounts each role has, ``{role value: n}`` in the database's order of the
    values; roles without accounts are absent. NotPermitted for anyone but a security
    administrator."""
    _require_security_admin(user)
    rows = User.objects.order_by("role").values("role").annotate(n=Count("id"))
    return {row["role"]: row["n"] for row in rows}
