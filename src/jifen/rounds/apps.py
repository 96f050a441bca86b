from django.apps import AppConfig


class RoundsConfig(AppConfig):
    name = "jifen.rounds"
    label = "rounds"
    verbose_name = "积分落户年度"
