"""The audit log's tables, and the triggers that make the event table append-only.

The trigger SQL is a frozen copy of what this migration created (``jifen.audit.triggers``
keeps the live version and re-creates the triggers after every ``migrate`` when they are
missing or out of date): a migration must not change when application code does.
"""

# ruff: noqa: RUF012  (Django's migration class attributes are lists by convention)

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

_TABLE = "audit_auditevent"
_MESSAGE = "audit log is append-only"
# The columns of the table as this migration creates them (actor_id, the one column a
# deleted account may clear, last).
_COLUMNS = (
    "id", "seq", "at", "actor_ref", "actor_name", "actor_role", "kind", "action",
    "target_type", "target_id", "field", "before", "after", "detail", "ip", "user_agent",
    "channel", "prev_hash", "hash",
)
_UNCHANGED = " AND ".join(f'NEW."{c}" IS OLD."{c}"' for c in _COLUMNS)
_ABORT = f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
_SQLITE = {
    "audit_auditevent_no_update": (
        f'CREATE TRIGGER "audit_auditevent_no_update" BEFORE UPDATE ON "{_TABLE}" FOR EACH ROW '
        f'WHEN NOT (OLD."actor_id" IS NOT NULL AND NEW."actor_id" IS NULL AND {_UNCHANGED}) '
        f"{_ABORT}"
    ),
    "audit_auditevent_no_delete": (
        f'CREATE TRIGGER "audit_auditevent_no_delete" BEFORE DELETE ON "{_TABLE}" '
        f"FOR EACH ROW {_ABORT}"
    ),
}
_PG_FUNCTION = "audit_auditevent_append_only"
_PG_TRIGGERS = ("audit_auditevent_no_change", "audit_auditevent_no_truncate")
_PG_SQL = (
    f"""
CREATE OR REPLACE FUNCTION {_PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- Deleting a user account sets actor_id to NULL (on_delete=SET_NULL); nothing else.
        IF OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
           AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION '{_MESSAGE} (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
END;
$$
""",
    f"CREATE TRIGGER audit_auditevent_no_change BEFORE UPDATE OR DELETE ON {_TABLE} "
    f"FOR EACH ROW EXECUTE FUNCTION {_PG_FUNCTION}()",
    f"CREATE TRIGGER audit_auditevent_no_truncate BEFORE TRUNCATE ON {_TABLE} "
    f"FOR EACH STATEMENT EXECUTE FUNCTION {_PG_FUNCTION}()",
)


def add_triggers(apps, schema_editor):
    # Only SQLite and PostgreSQL get triggers. A plain cursor, without parameters: the
    # PL/pgSQL text holds a literal '%'.
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": tuple(_SQLITE.values()), "postgresql": _PG_SQL}.get(vendor, ())
    with schema_editor.connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        if vendor == "sqlite":
            for name in _SQLITE:
                cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
        elif vendor == "postgresql":
            for name in _PG_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {_TABLE}")


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
