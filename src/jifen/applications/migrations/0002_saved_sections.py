from django.db import migrations, models


def mark_saved(apps, schema_editor):
    """Applications from before the field: a section that holds anything was saved."""
    Application = apps.get_model("applications", "Application")
    for app in Application.objects.all().only("pk", "data"):
        saved = []
        for key, value in (app.data or {}).items():
            if isinstance(value, list) and value:
                saved.append(key)
            elif isinstance(value, dict) and any(value.values()):
                saved.append(key)
        Application.objects.filter(pk=app.pk).update(saved_sections=saved)


class Migration(migrations.Migration):

    dependencies = [
        ("applications", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="saved_sections",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(mark_saved, migrations.RunPython.noop),
    ]
