"""Login throttling that an attacker cannot turn against the account's owner (OWASP ASVS 2.2.1).

Three controls, all kept in the database (django-axes' tables), so every application process
sees the same state:

1. **the account from one address** (axes' own lock-out, ``AXES_LOCKOUT_PARAMETERS`` the pair
   username + address): 5 failures within 30 minutes stop that address from trying that
   account for 30 minutes. The owner signing in from another address is not affected.
2. **one address trying many accounts**: 20 failures within 10 minutes, whatever the accounts,
   stop the address from trying any login for 15 minutes after its last failure.
3. **one account attacked from many addresses** (a soft control): once the account has had 10
   failures within an hour, an address that never signed in to it successfully must wait
   before each try, 30 seconds doubling with every further failure, at most 10 minutes.
   Addresses the account signed in from within 90 days are never delayed, so its owner at
   their usual place is never shut out; elsewhere they wait minutes at worst, or reset the
   password by SMS, which clears the counters.

Refused attempts are not counted (the password is not even checked), so retrying during a
refusal never prolongs it. The records: ``AccessAttempt`` (per username, address and browser),
``AccessFailureLog`` (one row per failure: the sliding windows of 2 and 3) and ``AccessLog``
(successful sign-ins: the known addresses of 3). The numbers are the setting ``LOGIN_THROTTLE``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.db.models import Count, Max, Sum
from django.http import HttpRequest
from django.utils import timezone

from jifen.audit.redact import text_fact
from jifen.audit.services import record_event

from .signals import user_named

PAIR = "account_address"
ADDRESS = "address"
ACCOUNT = "account"

DEFAULTS: dict[str, Any] = {
    "ADDRESS_FAILURE_LIMIT": 20,
    "ADDRESS_WINDOW": timedelta(minutes=10),
    "ADDRESS_BLOCK": timedelta(minutes=15),
    "ACCOUNT_FAILURE_LIMIT": 10,
    "ACCOUNT_WINDOW": timedelta(hours=1),
    "ACCOUNT_DELAY": timedelta(seconds=30),
    "ACCOUNT_DELAY_MAX": timedelta(minutes=10),
    "KNOWN_ADDRESS_DAYS": 90,
    # Failure rows older than this are deleted (none of the windows looks further back).
    "FAILURE_LOG_KEEP": timedelta(days=1),
}


def policy(name: str) -> Any:
    return {**DEFAULTS, **getattr(settings, "LOGIN_THROTTLE", {})}[name]


def pair_cooloff() -> timedelta:
    return settings.AXES_COOLOFF_TIME


def wait_text(seconds: int) -> str:
    """``95`` → ``2分钟``, ``40`` → ``40秒``: how long to wait, rounded up."""
    if seconds >= 60:
        return f"{math.ceil(seconds / 60)}分钟"
    return f"{max(1, seconds)}秒"


@dataclass(frozen=True)
class Refusal:
    """Why a login attempt is refused before its password is checked, and for how long."""

    scope: str  # PAIR, ADDRESS or ACCOUNT
    retry_after: int  # seconds

    @property
    def message(self) -> str:
        wait = wait_text(self.retry_after)
        if self.scope == ADDRESS:
            return f"您当前的网络地址登录失败次数过多，已暂停登录，请{wait}后再试"
        if self.scope == ACCOUNT:
            return (
                f"该账户近期登录失败次数较多，为保护账户安全，请{wait}后再试"
                "（在您以前成功登录过的网络地址登录不受影响）"
            )
        return (
            f"该账户在您当前的网络地址连续登录失败{settings.AXES_FAILURE_LIMIT}次，"
            f"已暂停从该地址登录，请{wait}后再试；忘记密码可通过“找回密码”重置"
        )


def _seconds(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


# --- the three checks ------------------------------------------------------------------------


def _pair_refusal(username: str | None, ip: str | None, now: datetime) -> Refusal | None:
    rows = AccessAttempt.objects.filter(
        username=username, ip_address=ip, attempt_time__gte=now - pair_cooloff()
    ).aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
    if (rows["failures"] or 0) < settings.AXES_FAILURE_LIMIT:
        return None
    return Refusal(PAIR, _seconds(rows["last"] + pair_cooloff(), now))


def address_blocked_until(ip: str | None, now: datetime) -> datetime | None:
    """When the address may try again, if it failed too often on any accounts."""
    failures = AccessFailureLog.objects.filter(ip_address=ip)
    newest = failures.aggregate(last=Max("attempt_time"))["last"]
    if newest is None or newest + policy("ADDRESS_BLOCK") <= now:
        return None
    recent = failures.filter(
        attempt_time__gt=newest - policy("ADDRESS_WINDOW"), attempt_time__lte=newest
    ).count()
    if recent < policy("ADDRESS_FAILURE_LIMIT"):
        return None
    return newest + policy("ADDRESS_BLOCK")


def _account_delay(failures: int) -> timedelta:
    steps = failures - policy("ACCOUNT_FAILURE_LIMIT")
    delay = policy("ACCOUNT_DELAY") * (2 ** min(steps, 20))
    return min(delay, policy("ACCOUNT_DELAY_MAX"))


def account_delayed_until(username: str | None, now: datetime) -> datetime | None:
    """Until when addresses unknown to the account must wait (many recent failures)."""
    stats = AccessFailureLog.objects.filter(
        username=username, attempt_time__gt=now - policy("ACCOUNT_WINDOW")
    ).aggregate(n=Count("id"), last=Max("attempt_time"))
    return _delayed_until(stats["n"], stats["last"], now)


def _delayed_until(failures: int, last: datetime | None, now: datetime) -> datetime | None:
    if last is None or failures < policy("ACCOUNT_FAILURE_LIMIT"):
        return None
    until = last + _account_delay(failures)
    return until if until > now else None


def is_known_address(username: str | None, ip: str | None, now: datetime) -> bool:
    """Whether the account signed in successfully from ``ip`` within KNOWN_ADDRESS_DAYS."""
    if not username or not ip:
        return False
    since = now - timedelta(days=policy("KNOWN_ADDRESS_DAYS"))
    return AccessLog.objects.filter(
        username=username, ip_address=ip, attempt_time__gte=since
    ).exists()


def refusal_for(
    username: str | None, ip: str | None, now: datetime | None = None
) -> Refusal | None:
    """Whether a login attempt on ``username`` from ``ip`` is refused now, and why."""
    now = now or timezone.now()
    refusal = _pair_refusal(username, ip, now)
    if refusal is not None:
        return refusal
    until = address_blocked_until(ip, now)
    if until is not None:
        return Refusal(ADDRESS, _seconds(until, now))
    if not is_known_address(username, ip, now):
        until = account_delayed_until(username, now)
        if until is not None:
            return Refusal(ACCOUNT, _seconds(until, now))
    return None


def request_refusal(request: HttpRequest, credentials: dict[str, Any] | None) -> Refusal | None:
    """:func:`refusal_for` the attempt ``request`` makes (axes has set its attributes)."""
    return refusal_for(
        get_client_username(request, credentials),
        getattr(request, "axes_ip_address", None),
        getattr(request, "axes_attempt_time", None),
    )


# --- the handler django-axes calls (settings.AXES_HANDLER) ---------------------------------------


class LoginThrottleHandler(AxesDatabaseHandler):
    """axes' database handler with the address and account controls added to its lock-out."""

    def is_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        refusal = request_refusal(request, credentials)
        request.jifen_login_refusal = refusal  # type: ignore[attr-defined]
        return refusal is not None

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None,
        **kwargs: Any,
    ) -> None:
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or getattr(request, "jifen_login_refusal", None) is not None:
            return  # refused before the password was checked: nothing counted
        self._audit_new_blocks(request, credentials)
        self._prune(request, credentials)

    def user_logged_in(self, sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
        super().user_logged_in(sender, request, user, **kwargs)
        # The known addresses of control 3: axes' access log is off (AXES_DISABLE_ACCESS_LOG:
        # it would start a session for every API token request); the row is written here.
        username = user.get_username()
        AccessLog.objects.create(
            username=username,
            ip_address=request.axes_ip_address,  # type: ignore[attr-defined]
            user_agent=request.axes_user_agent,  # type: ignore[attr-defined]
            http_accept=request.axes_http_accept,  # type: ignore[attr-defined]
            path_info=request.axes_path_info,  # type: ignore[attr-defined]
        )
        # Keep the known addresses of this account to the period that counts.
        since = timezone.now() - timedelta(days=policy("KNOWN_ADDRESS_DAYS"))
        AccessLog.objects.filter(username=username, attempt_time__lt=since).delete()

    def _audit_new_blocks(self, request: HttpRequest, credentials: dict[str, Any]) -> None:
        """The failure that starts an address block or the account's delays is a lock-out in
        the audit log (the pair's is recorded by jifen.accounts.signals)."""
        username = get_client_username(request, credentials)
        ip = request.axes_ip_address  # type: ignore[attr-defined]
        now = request.axes_attempt_time  # type: ignore[attr-defined]
        limit = policy("ADDRESS_FAILURE_LIMIT")
        recent = AccessFailureLog.objects.filter(
            ip_address=ip, attempt_time__gt=now - policy("ADDRESS_WINDOW")
        ).count()
        if recent == limit:
            record_event(
                actor=None, action="account.locked_out",
                after={"scope": ADDRESS, "failures": recent,
                       "minutes": int(policy("ADDRESS_BLOCK").total_seconds() // 60),
                       "typed_username": text_fact(str(username or ""),
                                                   scope="account.login:username")},
            )
        on_account = AccessFailureLog.objects.filter(
            username=username, attempt_time__gt=now - policy("ACCOUNT_WINDOW")
        ).count()
        if on_account == policy("ACCOUNT_FAILURE_LIMIT"):
            user = user_named(str(username or ""))
            record_event(
                actor=None, action="account.locked_out", target=user,
                after={"scope": ACCOUNT, "failures": on_account},
            )

    def _prune(self, request: HttpRequest, credentials: dict[str, Any]) -> None:
        before = timezone.now() - policy("FAILURE_LOG_KEEP")
        AccessFailureLog.objects.filter(
            ip_address=request.axes_ip_address, attempt_time__lt=before  # type: ignore[attr-defined]
        ).delete()
        AccessFailureLog.objects.filter(
            username=get_client_username(request, credentials), attempt_time__lt=before
        ).delete()


# --- for the security administrator and the password services --------------------------------


def clear_account(username: str) -> int:
    """Forget every failure on ``username`` (all addresses): its pair lock-outs end and its
    delays for unknown addresses stop. Returns how many records were removed."""
    attempts, _ = AccessAttempt.objects.filter(username=username).delete()
    failures, _ = AccessFailureLog.objects.filter(username=username).delete()
    return attempts + failures


@dataclass(frozen=True)
class LockState:
    """What the account list shows about one account's login restrictions."""

    locked_addresses: int = 0  # addresses that may not try the account now (control 1)
    locked_until: datetime | None = None  # the last of those lock-outs ends then
    delayed_until: datetime | None = None  # unknown addresses wait until then (control 3)

    @property
    def restricted(self) -> bool:
        return bool(self.locked_addresses or self.delayed_until)

    @property
    def until(self) -> datetime | None:
        times = [t for t in (self.locked_until, self.delayed_until) if t is not None]
        return max(times) if times else None


def lock_states(usernames: Iterable[str], now: datetime | None = None) -> dict[str, LockState]:
    """The login restrictions in force now on each of ``usernames`` (absent: none)."""
    now = now or timezone.now()
    names = list(usernames)
    limit = get_failure_limit(None, None)
    pairs: dict[tuple[str, Any], dict[str, Any]] = defaultdict(lambda: {"n": 0, "last": None})
    rows = AccessAttempt.objects.filter(
        username__in=names, attempt_time__gte=now - pair_cooloff()
    ).values_list("username", "ip_address", "failures_since_start", "attempt_time")
    for username, ip, failures, at in rows:
        pair = pairs[(username, ip)]
        pair["n"] += failures
        pair["last"] = at if pair["last"] is None else max(pair["last"], at)
    locked: dict[str, list[datetime]] = defaultdict(list)
    for (username, _ip), pair in pairs.items():
        if pair["n"] >= limit:
            locked[username].append(pair["last"] + pair_cooloff())
    per_account = (
        AccessFailureLog.objects.filter(
            username__in=names, attempt_time__gt=now - policy("ACCOUNT_WINDOW")
        )
        .values("username")
        .annotate(n=Count("id"), last=Max("attempt_time"))
    )
    delays = {row["username"]: _delayed_until(row["n"], row["last"], now) for row in per_account}
    states = {}
    for username in names:
        delayed = delays.get(username)
        if locked[username] or delayed:
            states[username] = LockState(
                locked_addresses=len(locked[username]),
                locked_until=max(locked[username]) if locked[username] else None,
                delayed_until=delayed,
            )
    return states
