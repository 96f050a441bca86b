"""Text messages to mobile phones: a small port, the backend chosen by ``settings.SMS_BACKEND``.

The system sends one kind of message today (the password-reset code). A real gateway plugs in
later as one more class with ``send(phone, text)``; nothing else changes.

- :class:`ConsoleBackend` (development): writes the message to the ``jifen.sms`` log, the phone
  number masked;
- :class:`MemoryBackend` (tests): keeps the messages in :data:`MemoryBackend.outbox`;
- :class:`DisabledBackend` (production until a gateway is configured): refuses, so that codes
  never end up in a production log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import ClassVar, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("jifen.sms")


class SmsUnavailable(Exception):
    """No text message can be sent (no gateway configured, or it refused)."""


class SmsBackend(Protocol):
    def send(self, phone: str, text: str) -> None: ...


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) == 11 else "*" * len(phone)


@dataclass(frozen=True)
class Message:
    phone: str
    text: str


class ConsoleBackend:
    """Development: the message goes to the console log (phone masked)."""

    def send(self, phone: str, text: str) -> None:
        logger.info("短信（开发环境，未实际发送）至 %s：%s", mask_phone(phone), text)


class MemoryBackend:
    """Tests: every message sent, in order, in the class's outbox."""

    outbox: ClassVar[list[Message]] = []

    def send(self, phone: str, text: str) -> None:
        self.outbox.append(Message(phone, text))


class DisabledBackend:
    """No gateway: every send fails with SmsUnavailable."""

    def send(self, phone: str, text: str) -> None:
        raise SmsUnavailable("no SMS gateway is configured (settings.SMS_BACKEND)")


def backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()


def available() -> bool:
    return not isinstance(backend(), DisabledBackend)


def send(phone: str, text: str) -> None:
    """Send ``text`` to ``phone`` through the configured backend."""
    backend().send(phone, text)
