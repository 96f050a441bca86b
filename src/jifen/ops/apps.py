from django.apps import AppConfig


class OpsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "jifen.ops"
    label = "ops"
    verbose_name = "运维管理"

    def ready(self) -> None:
        from . import observability

        observability.connect()
