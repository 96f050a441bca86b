"""The decision ledger is insert-only below the ORM, as the audit log is."""

from __future__ import annotations

from jifen.core.append_only import AppendOnlyTable

LEDGER = AppendOnlyTable("review_decision", "the decision ledger is insert-only")

triggers_lifted = LEDGER.triggers_lifted
install_triggers = LEDGER.install
triggers_installed = LEDGER.installed
ensure_triggers_after_migrate = LEDGER.ensure_after_migrate
