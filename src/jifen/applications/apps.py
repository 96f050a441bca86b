from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "jifen.applications"
    label = "applications"
    verbose_name = "积分申报"
