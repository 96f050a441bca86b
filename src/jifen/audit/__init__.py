"""The security audit trail: an append-only, hash-chained event log.

Write with :func:`jifen.audit.services.record_event` (changes) and
:func:`jifen.audit.services.record_access` (who viewed personal data), inside the caller's
transaction; read with :mod:`jifen.audit.selectors`; check with ``manage.py audit_verify``.
"""
