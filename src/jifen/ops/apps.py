from django.apps import AppConfig


class OpsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "jifen.ops"
    label = "ops"
    verbose_name = "运维管理"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from jifen.core.cache_table import create_cache_table_after_migrate

        from . import observability
        from .cmdb import discover_after_migrate

        # The CMDB registers the system's own software and versions after each migrate.
        post_migrate.connect(discover_after_migrate, sender=self, dispatch_uid="ops_cmdb_discover")
        # The database cache's table with every migrate (an app without models is never a
        # post_migrate sender, hence here).
        post_migrate.connect(
            create_cache_table_after_migrate, sender=self, dispatch_uid="core_cache_table"
        )
        # The login log's signal receivers (and the other observability hooks).
        observability.connect()
