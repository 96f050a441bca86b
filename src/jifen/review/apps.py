from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ReviewConfig(AppConfig):
    name = "jifen.review"
    label = "review"
    verbose_name = "部门核验"

    def ready(self) -> None:
        from jifen.applications.events import passed_to_departments
        from jifen.core import append_only

        from . import ledger_triggers, services

        append_only.register("review_decision", ledger_triggers.triggers_lifted)
        # SQLite loses a table's triggers when a migration rebuilds it: put them back.
        post_migrate.connect(
            ledger_triggers.ensure_triggers_after_migrate,
            sender=self,
            dispatch_uid="jifen.review.ensure_triggers",
        )
        # An employer's submission opens the application's verification items.
        passed_to_departments.connect(services._on_passed, dispatch_uid="jifen.review.open_items")
