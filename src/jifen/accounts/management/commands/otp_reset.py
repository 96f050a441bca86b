"""manage.py otp_reset USERNAME — delete a staff account's second-factor devices (lost phone)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jifen.accounts import second_factor
from jifen.accounts.models import User
from jifen.audit.context import audit_context


class Command(BaseCommand):
    help = (
        "The security administrator's procedure for a lost or replaced authenticator: delete "
        "every second-factor device of USERNAME. The account binds a new one at its next sign-in "
        "(its sessions must pass the second factor again). Audited as "
        "account.second_factor_reset on the cli channel."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="the account whose authenticator is reset")
        parser.add_argument(
            "--reason", default="", help="why (e.g. the ticket number), kept in the audit log"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no account named {username!r}")
        with audit_context(channel="cli"):
            count = second_factor.reset(actor=None, user=user, reason=options["reason"])
        self.stdout.write(
            f"{username}: {count} second-factor device(s) deleted; the account binds a new "
            "authenticator at its next sign-in."
        )
