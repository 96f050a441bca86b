"""Errors of the audit log. They signal programming mistakes, not user errors."""


class AuditLogError(RuntimeError):
    """Base class of the audit log's errors."""


class AppendOnlyError(AuditLogError):
    """Someone tried to change, delete or bypass-insert an audit event."""
