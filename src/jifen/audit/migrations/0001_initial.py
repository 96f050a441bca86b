"""The audit log's tables, and the triggers that make the event table append-only."""

# ruff: noqa: RUF012  (Django's migration class attributes are lists by convention)

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from jifen.audit.triggers import install_triggers, remove_triggers


def add_triggers(apps, schema_editor):
    # Only SQLite and PostgreSQL get triggers (install_triggers checks connection.vendor).
    install_triggers(schema_editor.connection)


def drop_triggers(apps, schema_editor):
    remove_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                (
                    "id",
                    models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False),
                ),
                ("seq", models.BigIntegerField(default=0, verbose_name="最新事件序号")),
                (
                    "hash",
                    models.CharField(
                        default="0000000000000000000000000000000000000000000000000000000000000000",
                        max_length=64,
                        verbose_name="最新事件哈希",
                    ),
                ),
            ],
            options={
                "verbose_name": "审计链头",
                "verbose_name_plural": "审计链头",
            },
        ),
        migrations.CreateModel(
            name="AuditEvent",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("seq", models.BigIntegerField(editable=False, unique=True, verbose_name="序号")),
                ("at", models.DateTimeField(editable=False, verbose_name="时间")),
                (
                    "actor_ref",
                    models.CharField(
                        blank=True, editable=False, max_length=64, verbose_name="操作人主键"
                    ),
                ),
                (
                    "actor_name",
                    models.CharField(
                        blank=True, editable=False, max_length=150, verbose_name="操作人用户名"
                    ),
                ),
                (
                    "actor_role",
                    models.CharField(
                        blank=True, editable=False, max_length=64, verbose_name="操作人角色"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("change", "变更"), ("access", "查阅")],
                        editable=False,
                        max_length=10,
                        verbose_name="类别",
                    ),
                ),
                ("action", models.CharField(editable=False, max_length=100, verbose_name="动作")),
                (
                    "target_type",
                    models.CharField(
                        blank=True, editable=False, max_length=100, verbose_name="对象类型"
                    ),
                ),
                (
                    "target_id",
                    models.CharField(
                        blank=True, editable=False, max_length=64, verbose_name="对象主键"
                    ),
                ),
                (
                    "field",
                    models.CharField(
                        blank=True, editable=False, max_length=100, verbose_name="查阅字段"
                    ),
                ),
                (
                    "before",
                    models.JSONField(blank=True, editable=False, null=True, verbose_name="变更前"),
                ),
                (
                    "after",
                    models.JSONField(blank=True, editable=False, null=True, verbose_name="变更后"),
                ),
                ("detail", models.TextField(blank=True, editable=False, verbose_name="说明")),
                (
                    "ip",
                    models.CharField(
                        blank=True, editable=False, max_length=45, verbose_name="IP 地址"
                    ),
                ),
                (
                    "user_agent",
                    models.CharField(
                        blank=True, editable=False, max_length=255, verbose_name="客户端"
                    ),
                ),
                (
                    "channel",
                    models.CharField(
                        choices=[
                            ("web", "网页"),
                            ("api", "接口"),
                            ("cli", "命令行"),
                            ("system", "系统"),
                        ],
                        default="system",
                        editable=False,
                        max_length=10,
                        verbose_name="渠道",
                    ),
                ),
                (
                    "prev_hash",
                    models.CharField(editable=False, max_length=64, verbose_name="前一事件哈希"),
                ),
                (
                    "hash",
                    models.CharField(
                        editable=False, max_length=64, unique=True, verbose_name="本事件哈希"
                    ),
                ),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="操作人",
                    ),
                ),
            ],
            options={
                "verbose_name": "审计事件",
                "verbose_name_plural": "审计事件",
                "indexes": [
                    models.Index(fields=["actor", "seq"], name="audit_event_actor_idx"),
                    models.Index(
                        fields=["target_type", "target_id", "seq"], name="audit_event_target_idx"
                    ),
                    models.Index(fields=["at"], name="audit_event_at_idx"),
                    models.Index(fields=["action", "seq"], name="audit_event_action_idx"),
                    models.Index(fields=["kind", "seq"], name="audit_event_kind_idx"),
                ],
            },
        ),
        migrations.RunPython(add_triggers, drop_triggers),
    ]
