from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class AuditConfig(AppConfig):
    name = "jifen.audit"
    label = "audit"
    verbose_name = "审计日志"

    def ready(self) -> None:
        from .migration_guard import refuse_unapplying
        from .triggers import ensure_triggers_after_migrate

        # SQLite rebuilds a table (and silently loses its triggers) for many schema changes;
        # after every migrate the append-only triggers are checked and put back if needed.
        post_migrate.connect(
            ensure_triggers_after_migrate,
            sender=self,
            dispatch_uid="jifen.audit.ensure_triggers",
        )
        # migrate audit zero (or any plan unapplying an audit migration) stops before it starts.
        pre_migrate.connect(
            refuse_unapplying,
            sender=self,
            dispatch_uid="jifen.audit.refuse_unapplying",
        )
