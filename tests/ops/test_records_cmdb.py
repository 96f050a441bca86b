"""The CMDB: items added, edited and retired with every change recorded and audited; the
system registering its own server and software, an upgrade recorded as a change; the status
figures; the pages and who may use them."""

from __future__ import annotations

import json
import platform
import socket
from datetime import timedelta
from io import StringIO

import django
import pytest
from django.core.management import call_command
from django.utils import timezone

from jifen.audit.models import AuditEvent
from jifen.core.errors import ServiceError
from jifen.core.roles import Role
from jifen.ops import cmdb, schedule
from jifen.ops.models import ConfigChange, ConfigItem, ScheduledRun
from tests.factories import make_staff, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return make_staff(Role.OPERATOR)


def test_add_edit_retire_record_every_change(operator) -> None:
    item = cmdb.config_item_add(
        actor=operator,
        kind="server",
        name="app-01",
        version="",
        host="",
        note="应用服务器",
        reason="新上线",
    )
    changes = cmdb.config_item_edit(
        actor=operator,
        item=item,
        kind="server",
        name="app-01",
        version="Kylin V10",
        host="机房A",
        note="应用服务器",
        reason="补录操作系统",
    )
    assert sorted((c.field, c.old_value, c.new_value) for c in changes) == [
        ("host", "", "机房A"),
        ("version", "", "Kylin V10"),
    ]
    assert all(c.changed_by == operator and c.reason == "补录操作系统" for c in changes)
    cmdb.config_item_retire(actor=operator, item=item, reason="迁移至新机房")
    item.refresh_from_db()
    assert item.retired and item.version == "Kylin V10"
    fields = list(item.changes.order_by("changed_at", "id").values_list("field", flat=True))
    assert fields == ["created", "version", "host", "retired"] or fields[0] == "created"
    assert len(fields) == 4
    actions = [e.action for e in AuditEvent.objects.filter(action__startswith="ops.cmdb")]
    assert sorted(actions) == ["ops.cmdb_add", "ops.cmdb_edit", "ops.cmdb_retire"]
    edit = AuditEvent.objects.get(action="ops.cmdb_edit")
    assert edit.after == {"version": "Kylin V10", "host": "机房A"}
    with pytest.raises(ServiceError) as caught:
        cmdb.config_item_edit(
            actor=operator,
            item=item,
            kind="server",
            name="app-01",
            version="x",
            host="",
            reason="再改",
        )
    assert "已停用" in caught.value.message


@pytest.mark.parametrize(
    ("values", "field", "text"),
    [
        ({"kind": "printer"}, "kind", "请选择配置项类别"),
        ({"name": " "}, "name", "请填写配置项名称"),
        ({"reason": ""}, "reason", "请填写变更原因"),
        ({"version": "v" * 101}, "version", "版本不能超过 100 个字"),
    ],
)
def test_add_refusals_name_the_field(operator, values, field, text) -> None:
    args = {
        "kind": "software",
        "name": "nginx",
        "version": "1.22",
        "host": "app-01",
        "reason": "登记",
    }
    args.update(values)
    with pytest.raises(ServiceError) as caught:
        cmdb.config_item_add(actor=operator, **args)
    assert text in caught.value.message and caught.value.errors[0].field == field
    assert not ConfigItem.objects.exists()


def test_duplicates_and_no_change_are_refused(operator) -> None:
    item = cmdb.config_item_add(
        actor=operator, kind="software", name="nginx", version="1.22", host="app-01", reason="登记"
    )
    with pytest.raises(ServiceError) as caught:
        cmdb.config_item_add(
            actor=operator,
            kind="software",
            name="nginx",
            version="1.24",
            host="app-01",
            reason="再登记",
        )
    assert "已有同类别、同名称" in caught.value.message
    with pytest.raises(ServiceError) as caught:
        cmdb.config_item_edit(
            actor=operator,
            item=item,
            kind="software",
            name="nginx",
            version="1.22",
            host="app-01",
            reason="无改动",
        )
    assert "没有任何改动" in caught.value.message


def test_discovery_registers_the_system_and_records_an_upgrade() -> None:
    host = socket.gethostname()
    result = cmdb.discover()
    assert result["host"] == host and not result["changed"]
    names = set(
        ConfigItem.objects.filter(discovered=True, kind="software").values_list("name", flat=True)
    )
    assert {
        "Python",
        "Django",
        "SQLite" if django.db.connection.vendor == "sqlite" else "PostgreSQL",
        "XlsxWriter",
        "psutil",
    } <= names
    assert "pytest" not in {n.lower() for n in names}  # a dev extra, not a dependency
    server = ConfigItem.objects.get(kind="server", name=host)
    assert server.discovered and server.attributes["cpu_count"] >= 1
    assert server.attributes["memory_gb"] > 0
    python = ConfigItem.objects.get(kind="software", name="Python", host=host)
    assert python.version == platform.python_version()
    assert ConfigChange.objects.filter(item=python, field="created").exists()

    # An upgrade: the recorded Django is older than the one installed now.
    ConfigItem.objects.filter(name="Django", host=host).update(version="4.2.11")
    again = cmdb.discover()
    assert again["changed"] == [{"name": "Django", "old": "4.2.11", "new": django.get_version()}]
    change = ConfigChange.objects.get(item__name="Django", field="version")
    assert (change.old_value, change.new_value, change.changed_by) == (
        "4.2.11",
        django.get_version(),
        None,
    )
    event = AuditEvent.objects.filter(action="ops.cmdb_discover").latest("id")
    assert event.after["changed"][0]["name"] == "Django"
    # Nothing changed: nothing recorded.
    before = ConfigChange.objects.count(), AuditEvent.objects.count()
    assert cmdb.discover()["changed"] == []
    assert (ConfigChange.objects.count(), AuditEvent.objects.count()) == before


def test_discovered_version_is_not_edited_by_hand(operator) -> None:
    cmdb.discover()
    item = ConfigItem.objects.get(name="Django", discovered=True)
    with pytest.raises(ServiceError) as caught:
        cmdb.config_item_edit(
            actor=operator,
            item=item,
            kind="software",
            name="Django",
            version="9.9",
            host=item.host,
            reason="手改",
        )
    assert "由系统自动登记" in caught.value.message and caught.value.errors[0].field == "version"


def test_the_daily_job_is_scheduled_and_runs() -> None:
    job = schedule.job("cmdb_discover")
    assert job.func == "jifen.ops.cmdb:discover_job"
    out = StringIO()
    call_command("run_scheduler", "--run", "cmdb_discover", stdout=out)
    run = ScheduledRun.objects.get(job="cmdb_discover")
    assert run.ok and "登记" in run.output and "新增" in run.output


def test_discovery_after_migrate_only(settings) -> None:
    settings.CMDB_DISCOVER_ON_MIGRATE = True
    cmdb.discover_after_migrate(sender=None, using="default")  # a flush: no plan
    assert not ConfigItem.objects.exists()
    cmdb.discover_after_migrate(sender=None, using="default", plan=[])
    assert ConfigItem.objects.filter(name="Python").exists()


def test_cmdb_status(operator) -> None:
    cmdb.config_item_add(actor=operator, kind="server", name="db-01", reason="上线")
    net = cmdb.config_item_add(
        actor=operator, kind="network", name="防火墙", version="1.0", reason="上线"
    )
    cmdb.config_item_edit(
        actor=operator,
        item=net,
        kind="network",
        name="防火墙",
        version="1.1",
        host="",
        reason="升级固件",
    )
    cmdb.config_item_retire(actor=operator, item=net, reason="更换")
    status = cmdb.cmdb_status()
    assert status["by_kind"]["服务器"] == 1 and status["by_kind"]["网络设备"] == 0
    assert status["by_kind"]["文档"] == 0
    assert (status["in_use"], status["retired"], status["changes"]) == (1, 1, 4)
    assert status["changes_by_field"] == {"登记": 2, "版本": 1, "状态": 1}
    assert [(v["item"], v["old"], v["new"]) for v in status["version_changes"]] == [
        ("防火墙", "1.0", "1.1")
    ]
    later = cmdb.cmdb_status(timezone.now() + timedelta(hours=1))
    assert later["changes"] == 0 and later["version_changes"] == []
    json.dumps(status)  # the reports store it as JSON


def test_pages_and_permissions(operator) -> None:
    client = staff_client(operator)
    response = client.post(
        "/ops/cmdb/new/", {"kind": "software", "name": "", "version": "1.0", "reason": "登记"}
    )
    page = response.content.decode()
    assert "请填写配置项名称" in page and 'value="1.0"' in page
    response = client.post(
        "/ops/cmdb/new/",
        {
            "kind": "software",
            "name": "nginx",
            "version": "1.22",
            "host": "app-01",
            "reason": "登记",
        },
        follow=True,
    )
    assert "已新增配置项" in response.content.decode()
    item = ConfigItem.objects.get(name="nginx")
    response = client.post(
        f"/ops/cmdb/{item.pk}/",
        {
            "kind": "software",
            "name": "nginx",
            "version": "1.24",
            "host": "app-01",
            "reason": "安全升级",
        },
        follow=True,
    )
    text = response.content.decode()
    assert "已保存，记录 1 项变更" in text and "1.22 → 1.24" in text and "安全升级" in text
    client.post("/ops/cmdb/discover/")
    assert "系统自动" in client.get("/ops/cmdb/?kind=software").content.decode()
    auditor = staff_client(make_staff(Role.AUDITOR))
    assert auditor.get(f"/ops/cmdb/{item.pk}/").status_code == 200
    refused = auditor.post(
        f"/ops/cmdb/{item.pk}/",
        {"kind": "software", "name": "nginx", "version": "2", "reason": "x"},
    )
    assert refused.status_code == 403
    assert auditor.post(f"/ops/cmdb/{item.pk}/retire/", {"reason": "x"}).status_code == 403
    item.refresh_from_db()
    assert item.version == "1.24" and not item.retired
