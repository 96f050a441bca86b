"""Small scheduled jobs that belong to no other module (see :mod:`jifen.ops.schedule`)."""

from __future__ import annotations

from django.core.management import call_command


def audit_checkpoint() -> str:
    """Anchor the audit chain's head outside the database (``manage.py audit_checkpoint``)."""
    from io import StringIO

    out = StringIO()
    call_command("audit_checkpoint", stdout=out)
    return out.getvalue().strip()[-500:]


def rotate_logs() -> str:
    """Rotate access/error/login logs and delete those past their retention (parameters
    ``log_keep_days``, ``log_login_keep_days``)."""
    from django.conf import settings

    from . import parameters
    from .logging_setup import rotate_logs as rotate

    result = rotate(
        settings.LOG_DIR,
        keep_days=parameters.get("log_keep_days"),
        login_keep_days=parameters.get("log_login_keep_days"),
    )
    return f"轮转 {result['rotated']} 个日志文件，删除 {result['deleted']} 个过期日志文件"
