"""An operator on the backup page in a real browser: a month of backups as chains, a full
backup taken now, a recovery drill run now and its result with RTO and RPO."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import Page, expect

from jifen.core.roles import Role
from jifen.demo import ops_backups
from jifen.ops.models import Backup, RecoveryDrill
from tests.factories import make_staff

from .conftest import PageWatch

pytestmark = pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="takes a real SQLite backup of the live server's database",
)


def test_operator_takes_a_backup_and_runs_a_drill(
    page: Page,
    live_server: Any,
    login_as: Callable[[Page, Any], None],
    watch: Callable[[Page, str], PageWatch],
    screenshot: Callable[[Page, str], Path],
    tmp_path: Path,
) -> None:
    operator = make_staff(Role.OPERATOR, username="ops-backups")
    with override_settings(BACKUP_DIR=tmp_path / "backups", EVIDENCE_ROOT=tmp_path / "ev"):
        ops_backups.load(operator=operator, now=timezone.now(), say=lambda _text: None)
        login_as(page, operator)
        watch(page, live_server.url)
        page.goto(live_server.url + "/ops/")
        page.get_by_role("link", name="备份与恢复").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("备份与恢复")
        expect(page.locator("table.backup-chain").first).to_be_visible()
        assert page.locator("table.backup-chain").count() >= 4  # four or five weekly chains
        expect(page.locator("#retention-rule")).to_contain_text("保留最近 5 条备份链")

        page.get_by_role("button", name="立即全量备份").click()
        expect(page.get_by_role("status").first).to_contain_text("已提交全量备份任务")
        taken = Backup.objects.filter(status="ok").order_by("-created").first()
        assert taken is not None and Path(taken.path).is_file()
        expect(page.locator("table.backup-chain").first).to_contain_text(taken.backup_id)

        page.get_by_role("button", name="立即恢复演练").click()
        expect(page.get_by_role("status").first).to_contain_text("已提交恢复演练任务")
        drill = RecoveryDrill.objects.order_by("-started").first()
        assert drill.ok, drill.failure
        assert drill.backup == taken
        last = page.locator("#last-drill")
        expect(last).to_contain_text("通过")
        expect(last).to_contain_text(taken.backup_id)
        expect(last).to_contain_text("审计链")
        screenshot(page, "ops-backups")
