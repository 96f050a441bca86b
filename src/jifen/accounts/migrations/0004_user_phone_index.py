"""A blind index of users' phone numbers (the same phone on several applicants), filled for
the users already there."""

from typing import Any

from django.db import migrations, models


def fill_phone_index(apps: Any, schema_editor: Any) -> None:
    from jifen.core.crypto import phone_index

    User = apps.get_model("accounts", "User")
    batch = []
    # The historical model keeps the encrypting field: ``phone`` reads decrypted.
    for user in User.objects.exclude(phone="").only("id", "phone").iterator(chunk_size=2000):
        user.phone_index = phone_index(user.phone)
        batch.append(user)
        if len(batch) >= 2000:
            User.objects.bulk_update(batch, ["phone_index"])
            batch = []
    if batch:
        User.objects.bulk_update(batch, ["phone_index"])


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_must_change_password"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="phone_index",
            field=models.CharField(
                blank=True, db_index=True, default="", editable=False, max_length=64
            ),
        ),
        migrations.RunPython(fill_phone_index, migrations.RunPython.noop),
    ]
