"""Small scheduled jobs that belong to no other module (see :mod:`jifen.ops.schedule`)."""

from __future__ import annotations

from django.core.management import call_command


def audit_checkpoint() -> str:
    """Anchor the audit chain's head outside the database (``manage.py audit_checkpoint``)."""
    from io import StringIO

    out = StringIO()
    call_command("audit_checkpoint", stdout=out)
    return out.getvalue().strip()[-500:]
