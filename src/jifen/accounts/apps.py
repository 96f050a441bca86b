from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "jifen.accounts"
    label = "accounts"
    verbose_name = "账户与角色"

    def ready(self) -> None:
        from . import signals

        signals.connect()
