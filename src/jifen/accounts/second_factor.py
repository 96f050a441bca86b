"""The staff's second factor: a TOTP authenticator app (django-otp's ``otp_totp`` plugin).

Staff accounts (``STAFF_ROLES``) sign in with their password, then with a 6-digit code from
the app; until then their session reaches only the second-factor pages
(:class:`jifen.accounts.middleware.StaffSecondFactorMiddleware`). Applicants and employer
agents are never asked.

- enrolment (``accounts:otp_setup``): an unconfirmed device is created, its secret shown as a
  QR code; the first correct code confirms it and verifies the session;
- every later sign-in (``accounts:otp_verify``): a code verifies the session;
- a lost phone: the security administrator runs ``manage.py otp_reset USERNAME``, which deletes
  the account's devices; at the next sign-in the account enrols again.

Wrong codes are throttled by django-otp per device (1, 2, 4 ... seconds; setting
``OTP_TOTP_THROTTLE_FACTOR``). Every enrolment, verification, failure and reset is audited;
codes themselves never reach the log.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Any

import segno
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.models import VerifyNotAllowed
from django_otp.plugins.otp_totp.models import TOTPDevice

from jifen.audit.services import record_event

DEVICE_NAME = "身份验证器"

WRONG_CODE = "验证码不正确或已过期"


def needs_second_factor(user: Any) -> bool:
    """True for a signed-in staff user whose session has not passed the second factor."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if not getattr(user, "is_staff_role", False):
        return False
    is_verified = getattr(user, "is_verified", None)
    return not (callable(is_verified) and is_verified())


def confirmed_device(user: Any) -> TOTPDevice | None:
    """The user's confirmed authenticator (the newest one if there were several)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def has_confirmed_device(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user: Any) -> TOTPDevice:
    """The unconfirmed device being enrolled (created on first use, then reused so the QR code
    stays the same until the user types a code)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


@dataclass(frozen=True)
class Provisioning:
    """What the enrolment page shows: the QR code and the secret for manual entry."""

    qr_data_uri: str  # data:image/svg+xml;base64,...
    secret_groups: str  # base32, in groups of four
    config_url: str  # otpauth://totp/...


def provisioning(device: TOTPDevice) -> Provisioning:
    url = device.config_url
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=5, border=2, xmldecl=False)
    data_uri = "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    groups = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return Provisioning(qr_data_uri=data_uri, secret_groups=groups, config_url=url)


@dataclass(frozen=True)
class CodeCheck:
    ok: bool
    message: str = ""  # why not, in Chinese, for the form


def _wait_message(data: dict[str, Any] | None) -> str:
    locked_until = (data or {}).get("locked_until")
    if locked_until is None:
        return WRONG_CODE
    seconds = max(1, int((locked_until - timezone.now()).total_seconds() + 0.999))
    return f"验证失败次数过多，请 {seconds} 秒后再试"


def _check(device: TOTPDevice, token: str) -> CodeCheck:
    """Verify ``token`` on ``device`` (locked for the check; throttling applies)."""
    allowed, data = device.verify_is_allowed()
    if not allowed:
        if data and data.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
            return CodeCheck(False, _wait_message(data))
        return CodeCheck(False, WRONG_CODE)
    if device.verify_token(token):
        return CodeCheck(True)
    return CodeCheck(False, WRONG_CODE)


def _failed(user: Any, device: TOTPDevice, step: str, check: CodeCheck) -> None:
    record_event(
        actor=user, action="account.second_factor_failed", target=user,
        after={"step": step, "device": device.pk,
               "throttled": check.message != WRONG_CODE,
               "failures": device.throttling_failure_count},
    )


def _use_code(request: HttpRequest, token: str, *, confirmed: bool) -> CodeCheck:
    """Check a code against the signed-in user's newest device of the given kind (pending
    for enrolment, confirmed for verification); on success verify the session."""
    user = request.user
    step = "verify" if confirmed else "setup"
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=confirmed).order_by("-pk").first()
        )
        if device is None:
            missing = "该账户尚未绑定身份验证器" if confirmed else "请刷新页面，重新扫描二维码"
            return CodeCheck(False, missing)
        check = _check(device, token)
        if not check.ok:
            _failed(user, device, step, check)
            return check
        if not confirmed:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            # Any other half-finished enrolment is void now.
            TOTPDevice.objects.filter(user=user, confirmed=False).exclude(pk=device.pk).delete()
        otp_login(request, device)
        # A new session key for the session's new privileges (session fixation), as at login.
        request.session.cycle_key()
        # Literal action names (jifen.audit.actions labels every one).
        action = "account.second_factor_verified" if confirmed else "account.second_factor_enrolled"
        record_event(actor=user, action=action, target=user, after={"device": device.pk})
    return check


def enrol(request: HttpRequest, token: str) -> CodeCheck:
    """Confirm the signed-in user's pending device with its first code and verify the session."""
    return _use_code(request, token, confirmed=False)


def verify(request: HttpRequest, token: str) -> CodeCheck:
    """Check a code against the signed-in user's confirmed device; verify the session."""
    return _use_code(request, token, confirmed=True)


def reset(*, actor: Any, user: Any, reason: str = "") -> int:
    """Delete every second-factor device of ``user`` (a lost or replaced phone); the account
    enrols again at its next sign-in. Returns how many devices were deleted."""
    with transaction.atomic():
        devices = list(devices_for_user(user, confirmed=None))
        for device in devices:
            device.delete()
        record_event(
            actor=actor, action="account.second_factor_reset", target=user,
            after={"devices": len(devices)}, detail=reason[:200],
        )
    return len(devices)
