"""manage.py demo_otp_code USERNAME — the current second-factor code of a demo staff account."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jifen.accounts import second_factor
from jifen.accounts.models import User
from jifen.demo import otp as demo_otp


class Command(BaseCommand):
    help = (
        "Print the 6-digit code a demo staff account's authenticator shows now (the demo "
        "accounts' TOTP secrets are derived from their usernames). Only for the demo's own "
        "devices; refuses unless DEBUG is on (or --force)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="a demo staff account, e.g. demo-bureau")
        parser.add_argument(
            "--force", action="store_true", help="print even though DEBUG is off"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off: refusing to print second-factor codes on what may be a "
                "production system (use --force if this really is a demo)."
            )
        username = options["username"]
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no account named {username!r}")
        device = second_factor.confirmed_device(user)
        if device is None or not demo_otp.is_demo_device(device):
            raise CommandError(
                f"{username} has no demo authenticator (only the demo's staff accounts have "
                "one; a device bound by scanning a QR code is never printed)"
            )
        code = demo_otp.next_code(device)
        if code is None:
            raise CommandError("the current code was used already; try again in 30 seconds")
        self.stdout.write(code)
