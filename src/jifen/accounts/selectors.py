"""Reads of user accounts, for the security administrators only."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from jifen.core.errors import NotPermitted
from jifen.core.roles import Role

from .models import User


def _require_security_admin(user: User) -> None:
    if not user.is_authenticated or user.role != Role.SECURITY_ADMIN:
        raise NotPermitted("只有安全管理员可以查看用户账户")


def accounts_for_security_admin(user: User, *, role: str | None = None) -> QuerySet[User]:
    """Every user account by username, or those of one ``role`` (a ``Role`` value; an unknown
    value matches none). NotPermitted for anyone but a security administrator."""
    _require_security_admin(user)
    users = User.objects.order_by("username")
    return users.filter(role=role) if role else users


def role_counts(user: User) -> dict[str, int]:
    """How many accounts each role has, ``{role value: n}`` in the database's order of the
    values; roles without accounts are absent. NotPermitted for anyone but a security
    administrator."""
    _require_security_admin(user)
    rows = User.objects.order_by("role").values("role").annotate(n=Count("id"))
    return {row["role"]: row["n"] for row in rows}
