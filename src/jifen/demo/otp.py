"""The demo staff accounts' second factor: authenticators whose secrets are published.

Each demo staff account gets a confirmed TOTP device whose secret is derived from its
username (docs/web-system.md), so anyone can compute its codes: ``manage.py demo_otp_code``
prints them. Demo only; this app is not installed with the production settings.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.utils import timezone
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from jifen.audit.services import record_event

DEMO_DEVICE_NAME = "演示身份验证器"
DEMO_KEY_SALT = b"jifen-demo-totp:"


def demo_key(username: str) -> str:
    """The demo account's TOTP secret (hex, 20 bytes), derived from its username."""
    return hashlib.sha1(DEMO_KEY_SALT + username.encode()).hexdigest()


def install_demo_device(user: Any) -> TOTPDevice:
    """A confirmed authenticator with the published demo secret (for demo accounts only)."""
    device = TOTPDevice.objects.create(
        user=user, name=DEMO_DEVICE_NAME, key=demo_key(user.get_username()), confirmed=True
    )
    record_event(
        actor=None, action="account.second_factor_enrolled", target=user,
        after={"device": device.pk, "demo": True},
    )
    return device


def is_demo_device(device: TOTPDevice) -> bool:
    return device.key == demo_key(device.user.get_username())


def next_code(device: TOTPDevice) -> str | None:
    """The code the device would accept now: the current time step's, or the next one's when
    the current code was used already (a code works once). None if neither is acceptable."""
    totp_now = (int(timezone.now().timestamp()) - device.t0) // device.step + device.drift
    t = max(totp_now, device.last_t + 1)
    if t > totp_now + device.tolerance:
        return None
    return f"{hotp(device.bin_key, t, device.digits):0{device.digits}d}"
