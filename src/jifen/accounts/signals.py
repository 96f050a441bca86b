"""Audit events of signing in and out, failed logins and lock-outs.

Connected in :meth:`jifen.accounts.apps.AccountsConfig.ready`. Passwords never reach the log,
nor does a user name as typed (people type passwords or their own names into that field): a
failed attempt names the account as its target when it exists, otherwise it keeps a keyed
fingerprint of what was typed (the same name gives the same fingerprint, so repeated attempts
on one unknown name can still be counted).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest

from jifen.audit.redact import text_fact
from jifen.audit.services import record_event

# The username as typed is attacker-controlled: keep the audit trail's copy short.
MAX_USERNAME_IN_LOG = 150


def _clip(username: Any) -> str:
    return str(username or "")[:MAX_USERNAME_IN_LOG]


def user_named(username: str) -> Any:
    """The account ``username`` names, or None (unknown names are recorded too)."""
    if not username:
        return None
    model = get_user_model()
    return model._default_manager.filter(**{model.USERNAME_FIELD: username}).first()


def _typed_name(username: str, user: Any) -> dict[str, Any]:
    """Nothing when the name is an account's (the event's target says which); otherwise the
    typed name's length and keyed fingerprint."""
    if user is not None:
        return {}
    return {"typed_username": text_fact(username, scope="account.login:username")}


def audit_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """``user_logged_in``: a successful login (the login page, the API, after registration)."""
    record_event(actor=user, action="account.login", target=user)


def audit_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """``user_logged_out``: an explicit logout (sent with user None when nobody was signed in)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return
    record_event(actor=user, action="account.logout", target=user)


def audit_login_failed(
    sender: Any,
    credentials: dict[str, Any],
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    """``user_login_failed``: a wrong password, an unknown username or a locked-out account.

    No actor (nobody proved who they are); the target is the account named, if it exists.
    axes' receiver runs first (its app is listed before ours), so ``axes_locked_out`` tells
    whether the account is locked after this attempt.
    """
    username = _clip(credentials.get(get_user_model().USERNAME_FIELD))
    user = user_named(username)
    locked_out = bool(getattr(request, "axes_locked_out", False))
    after: dict[str, Any] = {"locked_out": locked_out}
    refusal = getattr(request, "jifen_login_refusal", None)
    if refusal is not None:  # refused by the throttle before the password was checked
        after["refused"] = refusal.scope
    record_event(
        actor=None,
        action="account.login_failed",
        target=user,
        after={**after, **_typed_name(username, user)},
    )


def audit_locked_out(
    sender: Any,
    request: HttpRequest | None = None,
    username: str | None = None,
    ip_address: str | None = None,
    **kwargs: Any,
) -> None:
    """axes' ``user_locked_out``: the failure that locked the account for the address it came
    from (``scope`` ``account_address``; the throttle's other lock-outs are recorded by
    :mod:`jifen.accounts.throttle`).

    axes sends the signal again for every attempt refused during the lock-out; those are
    recorded as ``account.login_failed`` with ``locked_out`` true, not as new lock-outs. Only
    on the locking failure has axes counted the failures (``axes_failures_since_start``).
    """
    failures = getattr(request, "axes_failures_since_start", None)
    if failures is None:
        return
    name = _clip(username)
    user = user_named(name)
    record_event(
        actor=user,
        action="account.locked_out",
        target=user,
        after={"failures": failures, "scope": "account_address", **_typed_name(name, user)},
    )


def connect() -> None:
    """Connect the receivers (idempotent: each has a dispatch_uid)."""
    from axes.signals import user_locked_out
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

    from .middleware import remember_login_time

    user_logged_in.connect(audit_login, dispatch_uid="jifen.accounts.audit_login")
    user_logged_in.connect(remember_login_time, dispatch_uid="jifen.accounts.login_time")
    user_logged_out.connect(audit_logout, dispatch_uid="jifen.accounts.audit_logout")
    user_login_failed.connect(audit_login_failed, dispatch_uid="jifen.accounts.audit_login_failed")
    user_locked_out.connect(audit_locked_out, dispatch_uid="jifen.accounts.audit_locked_out")
