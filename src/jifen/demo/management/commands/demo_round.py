"""manage.py demo_round — load the demo round and print the URL and the demo logins."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jifen.audit.context import audit_context
from jifen.core.errors import ServiceError
from jifen.demo.loader import DEFAULT_URL, DemoError, format_summary, load_demo
from jifen.stats.history import import_shipped_lists


class Command(BaseCommand):
    help = (
        "Load the demo: a round open for declaration (dates relative to today), two employers, "
        "applicants in every state and one account per staff role, all with one shared "
        "password; and, as past rounds, the published lists found in shared/data "
        "(import_published; --no-history skips them). Idempotent: when the demo is there it "
        "changes nothing. Prints the logins. "
        "Refuses unless DEBUG is on (or --force)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--year", type=int, default=None,
            help="application year of the demo round (default: the current year)",
        )
        parser.add_argument(
            "--url", default=DEFAULT_URL, help=f"the address to print (default {DEFAULT_URL})"
        )
        parser.add_argument(
            "--force", action="store_true",
            help="load even though DEBUG is off (the demo password would then be a way in)",
        )
        parser.add_argument(
            "--no-history", dest="history", action="store_false",
            help="do not import the published lists of past years (shared/data)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off: refusing to load demo accounts with a published password into "
                "what may be a production system (use --force if this really is a demo)."
            )
        try:
            summary = load_demo(year=options["year"], stdout=self.stdout)
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        except ServiceError as exc:
            details = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
            raise CommandError(f"{exc.message} {details}".strip()) from exc
        if options["history"]:
            # Past rounds from the published lists, each year once (quick when loaded).
            with audit_context(channel="cli"):
                for outcome in import_shipped_lists():
                    self.stdout.write(
                        f"Imported the published list of {outcome.year}: {outcome.rows} rows, "
                        f"line {outcome.line}, {outcome.admitted} admitted."
                    )
        self.stdout.write(format_summary(summary, url=options["url"]))
