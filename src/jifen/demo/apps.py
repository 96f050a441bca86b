from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo round and its accounts (``manage.py demo_round``). Development only: the
    production settings leave this app out, so its commands do not exist there."""

    name = "jifen.demo"
    label = "demo"
    verbose_name = "演示数据"
