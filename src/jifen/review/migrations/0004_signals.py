# Signals: the departments they concern, whether the newest detection still finds them.
# Needs the users' phone index (accounts 0004) for the same-phone detector.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_user_phone_index'),
        ('review', '0003_results_dispute_onsite'),
    ]

    operations = [
        migrations.AddField(
            model_name='signal',
            name='active',
            field=models.BooleanField(default=True),
        ),
        migrations.AddField(
            model_name='signal',
            name='departments',
            field=models.CharField(blank=True, default='', max_length=200),
        ),
        migrations.AddField(
            model_name='signal',
            name='detected_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name='signal',
            index=models.Index(fields=['round', 'state', 'kind'], name='signal_round_state_kind'),
        ),
    ]
