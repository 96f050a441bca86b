"""The operations configuration database (运维配置管理数据库, CMDB): servers, software and
versions, services, network devices, documents; every change recorded (field, old → new, who,
when, why) as a :class:`ConfigChange` and in the audit chain.

The system fills in its own part (:func:`discover`): this host as a server (OS, CPU, memory),
Python, Django, the database server and every distribution the project depends on, with their
versions, as items with ``discovered=True``. A version that changed since the last discovery
(an upgrade) is recorded as a change. It runs daily (schedule.JOBS ``cmdb_discover``) and after
``migrate`` (apps.OpsConfig.ready connects :func:`discover_after_migrate`).
"""

from __future__ import annotations

import logging
import platform
import re
import socket
from datetime import datetime
from importlib import metadata
from typing import Any

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from jifen.audit.services import record_event
from jifen.core.errors import Conflict, InvalidInput

from .models import ConfigChange, ConfigItem

log = logging.getLogger(__name__)

CMDB_ADD_ACTION = "ops.cmdb_add"
CMDB_EDIT_ACTION = "ops.cmdb_edit"
CMDB_RETIRE_ACTION = "ops.cmdb_retire"
CMDB_DISCOVER_ACTION = "ops.cmdb_discover"

# The fields an operator edits, with their Chinese names (the history shows these).
FIELD_LABELS = {
    "kind": "类别",
    "name": "名称",
    "version": "版本",
    "host": "所在服务器",
    "note": "说明",
    "retired": "状态",
    "created": "登记",
}
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _clean(kind: Any, name: Any, version: Any, host: Any) -> dict[str, str]:
    if kind not in ConfigItem.Kind.values:
        raise InvalidInput("请选择配置项类别。", field="kind")
    name = (name or "").strip()
    if not name:
        raise InvalidInput("请填写配置项名称。", field="name")
    if len(name) > 200:
        raise InvalidInput("配置项名称不能超过 200 个字。", field="name")
    version = (version or "").strip()
    if len(version) > 100:
        raise InvalidInput("版本不能超过 100 个字。", field="version")
    host = (host or "").strip()
    if len(host) > 100:
        raise InvalidInput("所在服务器不能超过 100 个字。", field="host")
    return {"kind": kind, "name": name, "version": version, "host": host}


def _reason(reason: Any) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("请填写变更原因。", field="reason")
    return text


def _unique(kind: str, name: str, host: str, exclude: int | None = None) -> None:
    clash = ConfigItem.objects.filter(kind=kind, name=name, host=host)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise Conflict("同一服务器上已有同类别、同名称的配置项。", field="name")


@transaction.atomic
def config_item_add(
    *,
    actor: Any,
    kind: str,
    name: str,
    version: str = "",
    host: str = "",
    note: str = "",
    reason: str,
) -> ConfigItem:
    values = _clean(kind, name, version, host)
    why = _reason(reason)
    _unique(values["kind"], values["name"], values["host"])
    now = timezone.now()
    attributes = {"note": note.strip()} if (note or "").strip() else {}
    item = ConfigItem.objects.create(**values, attributes=attributes, updated=now)
    ConfigChange.objects.create(
        item=item,
        changed_at=now,
        changed_by=actor,
        field="created",
        new_value=f"{item.name} {item.version}".strip(),
        reason=why,
    )
    record_event(actor=actor, action=CMDB_ADD_ACTION, target=item, after=values, detail=why)
    return item


def _locked(item: ConfigItem | int) -> ConfigItem:
    pk = item if isinstance(item, int) else item.pk
    return ConfigItem.objects.select_for_update().get(pk=pk)


@transaction.atomic
def config_item_edit(
    *,
    actor: Any,
    item: ConfigItem | int,
    kind: str,
    name: str,
    version: str,
    host: str,
    note: str = "",
    reason: str,
) -> list[ConfigChange]:
    """Change an item; one ConfigChange per field that changed (nothing changed: refused)."""
    row = _locked(item)
    if row.retired:
        raise Conflict("该配置项已停用，不能修改。", field="reason")
    values = _clean(kind, name, version, host)
    why = _reason(reason)
    if row.discovered and values["version"] != row.version:
        raise Conflict("该配置项的版本由系统自动登记，不能手工修改。", field="version")
    _unique(values["kind"], values["name"], values["host"], exclude=row.pk)
    values["note"] = (note or "").strip()
    current = {
        "kind": row.kind,
        "name": row.name,
        "version": row.version,
        "host": row.host,
        "note": str(row.attributes.get("note", "")),
    }
    changed = {f: (current[f], v) for f, v in values.items() if current[f] != v}
    if not changed:
        raise InvalidInput("没有任何改动。", field="reason")
    now = timezone.now()
    changes = [
        ConfigChange.objects.create(
            item=row,
            changed_at=now,
            changed_by=actor,
            field=f,
            old_value=old,
            new_value=new,
            reason=why,
        )
        for f, (old, new) in changed.items()
    ]
    for f, (_, new) in changed.items():
        if f == "note":
            row.attributes = {**row.attributes, "note": new}
        else:
            setattr(row, f, new)
    row.updated = now
    row.save()
    record_event(
        actor=actor,
        action=CMDB_EDIT_ACTION,
        target=row,
        before={f: old for f, (old, _) in changed.items()},
        after={f: new for f, (_, new) in changed.items()},
        detail=why,
    )
    return changes


@transaction.atomic
def config_item_retire(*, actor: Any, item: ConfigItem | int, reason: str) -> ConfigItem:
    row = _locked(item)
    if row.retired:
        raise Conflict("该配置项已停用。", field="reason")
    why = _reason(reason)
    now = timezone.now()
    row.retired, row.updated = True, now
    row.save(update_fields=["retired", "updated"])
    ConfigChange.objects.create(
        item=row,
        changed_at=now,
        changed_by=actor,
        field="retired",
        old_value="在用",
        new_value="已停用",
        reason=why,
    )
    record_event(
        actor=actor,
        action=CMDB_RETIRE_ACTION,
        target=row,
        before={"retired": False},
        after={"retired": True},
        detail=why,
    )
    return row


# --- discovery -------------------------------------------------------------------------------


def _project_distributions() -> list[str]:
    """The names of the project's runtime dependencies (pyproject's ``dependencies``, as the
    installed package ``jifen`` declares them; extras such as ``dev`` left out)."""
    try:
        requirements = metadata.requires("jifen") or []
    except metadata.PackageNotFoundError:
        return ["Django"]
    names = []
    for requirement in requirements:
        if "extra ==" in requirement.replace('"', "'").replace("extra==", "extra =="):
            continue
        match = _NAME.match(requirement)
        if match:
            names.append(match.group(1))
    return names


def _database_version() -> tuple[str, str]:
    vendor = connection.vendor
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return "PostgreSQL", str(cursor.fetchone()[0]).split()[0]
    if vendor == "sqlite":
        import sqlite3

        return "SQLite", sqlite3.sqlite_version
    return vendor, ""


def discovered_facts() -> tuple[dict[str, Any], list[tuple[str, str, dict[str, Any]]]]:
    """(this server's facts, [(software name, version, attributes)]) as found now."""
    import django
    import psutil

    host = socket.gethostname() or platform.node() or "localhost"
    memory = psutil.virtual_memory().total
    server = {
        "name": host,
        "version": f"{platform.system()} {platform.release()}".strip(),
        "attributes": {
            "platform": platform.platform(),
            "machine": platform.machine(),
            "cpu_count": psutil.cpu_count(logical=True) or 0,
            "memory_gb": round(memory / 1024**3, 1),
        },
    }
    software: list[tuple[str, str, dict[str, Any]]] = [
        ("Python", platform.python_version(), {"implementation": platform.python_implementation()}),
        ("Django", django.get_version(), {}),
    ]
    db_name, db_version = _database_version()
    software.append((db_name, db_version, {"role": "数据库"}))
    seen = {"python", "django"}
    for dist in _project_distributions():
        if dist.lower() in seen:
            continue
        seen.add(dist.lower())
        try:
            software.append(
                # Named as pyproject spells it (XlsxWriter, not xlsxwriter).
                (dist, metadata.version(dist), {"source": "pyproject"})
            )
        except metadata.PackageNotFoundError:
            continue
    return server, software


def _upsert(
    *,
    kind: str,
    name: str,
    host: str,
    version: str,
    attributes: dict[str, Any],
    now: datetime,
    reason: str,
) -> str | None:
    """Create or update one discovered item; what happened ("new", "changed") or None."""
    item = ConfigItem.objects.select_for_update().filter(kind=kind, name=name, host=host).first()
    if item is None:
        item = ConfigItem.objects.create(
            kind=kind,
            name=name,
            host=host,
            version=version,
            attributes=attributes,
            discovered=True,
            updated=now,
        )
        ConfigChange.objects.create(
            item=item,
            changed_at=now,
            field="created",
            new_value=f"{name} {version}".strip(),
            reason=reason,
        )
        return "new"
    outcome = None
    if item.version != version:
        ConfigChange.objects.create(
            item=item,
            changed_at=now,
            field="version",
            old_value=item.version,
            new_value=version,
            reason=reason,
        )
        item.version = version
        outcome = "changed"
    if item.retired:
        ConfigChange.objects.create(
            item=item,
            changed_at=now,
            field="retired",
            old_value="已停用",
            new_value="在用",
            reason=reason,
        )
        item.retired = False
        outcome = "changed"
    item.attributes = {**item.attributes, **attributes}
    item.discovered = True
    item.updated = now
    item.save()
    return outcome


@transaction.atomic
def discover() -> dict[str, Any]:
    """Register this system's own server and software; returns what was found and changed:
    ``{"host", "items", "new": [names], "changed": [{"name", "old", "new"}]}``."""
    server, software = discovered_facts()
    host = server["name"]
    now = timezone.now()
    reason = "系统自动登记"
    before = {
        i.name: i.version
        for i in ConfigItem.objects.filter(
            host=host, discovered=True, kind__in=["server", "software"]
        )
    }
    new: list[str] = []
    changed: list[dict[str, str]] = []
    entries = [("server", host, server["version"], server["attributes"])] + [
        ("software", name, version, attrs) for name, version, attrs in software
    ]
    for kind, name, version, attrs in entries:
        outcome = _upsert(
            kind=kind,
            name=name,
            host=host,
            version=version,
            attributes=attrs,
            now=now,
            reason=reason,
        )
        if outcome == "new":
            new.append(name)
        elif outcome == "changed":
            changed.append({"name": name, "old": before.get(name, ""), "new": version})
    if new or changed:
        record_event(
            actor=None,
            action=CMDB_DISCOVER_ACTION,
            target_type="ops.configitem",
            target_id=host,
            after={"new": new, "changed": changed},
            detail=f"新登记 {len(new)} 项，版本变化 {len(changed)} 项",
        )
    return {"host": host, "items": len(entries), "new": new, "changed": changed}


def discover_job() -> str:
    """The scheduled job (schedule.JOBS ``cmdb_discover``)."""
    result = discover()
    changed = "，".join(f"{c['name']} {c['old']} → {c['new']}" for c in result["changed"])
    return (
        f"{result['host']}：登记 {result['items']} 项，新增 {len(result['new'])} 项，"
        f"版本变化 {len(result['changed'])} 项" + (f"（{changed}）" if changed else "")
    )


def discover_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """post_migrate receiver: refresh the system's own entries after ``migrate`` (not after a
    ``flush``, which sends the signal without a plan); off where settings say so (tests); never
    fails the migration."""
    from django.conf import settings

    if using != "default" or kwargs.get("plan") is None:
        return
    if not getattr(settings, "CMDB_DISCOVER_ON_MIGRATE", True):
        return
    try:
        discover()
    except Exception:
        log.warning("CMDB discovery after migrate failed", exc_info=True)


# --- reads -----------------------------------------------------------------------------------


def cmdb_status(start: datetime | None = None, end: datetime | None = None) -> dict[str, Any]:
    """The configuration status for the reports.

    Keys: ``by_kind`` ({kind label: items in use}, every kind); ``in_use``; ``retired``;
    ``discovered`` (items the system registered itself, in use); ``changes`` (ConfigChange rows
    with ``start <= changed_at < end``; all when no period is given); ``changes_by_field``
    ({field label: n}); ``version_changes`` (``[{"item", "old", "new", "at"}]``, software and
    servers whose version changed in the period, oldest first).
    """
    items = ConfigItem.objects.all()
    counts = dict(
        items.filter(retired=False).values_list("kind").annotate(n=Count("id")).order_by()
    )
    changes = ConfigChange.objects.select_related("item")
    if start is not None:
        changes = changes.filter(changed_at__gte=start)
    if end is not None:
        changes = changes.filter(changed_at__lt=end)
    by_field = dict(changes.values_list("field").annotate(n=Count("id")).order_by())
    return {
        "by_kind": {label: counts.get(kind, 0) for kind, label in ConfigItem.Kind.choices},
        "in_use": items.filter(retired=False).count(),
        "retired": items.filter(retired=True).count(),
        "discovered": items.filter(retired=False, discovered=True).count(),
        "changes": changes.count(),
        "changes_by_field": {FIELD_LABELS.get(f, f): n for f, n in by_field.items()},
        "version_changes": [
            {
                "item": c.item.name,
                "old": c.old_value,
                "new": c.new_value,
                "at": c.changed_at.isoformat(),
            }
            for c in changes.filter(field="version").order_by("changed_at", "id")
        ],
    }
