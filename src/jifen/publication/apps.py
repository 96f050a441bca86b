from django.apps import AppConfig


class PublicationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "jifen.publication"
    label = "publication"
    verbose_name = "公示、异议与落户"
