"""Application writes, one module per concept: ``links`` (employment links), ``applications``
(the declaration's life), ``evidence`` (evidence files), ``personal_data`` (views of another
person's data on the record).

Each function checks who may do it (role and ownership, on the server), the round's window and
the version the caller saw, then writes and records the audit event in one transaction. The
public functions are gathered here, so callers write ``services.application_submit(...)``.
"""

from .applications import (
    SaveResult,
    application_employer_submit,
    application_return,
    application_save_section,
    application_start,
    application_submit,
    application_withdraw,
)
from .evidence import evidence_add, evidence_delete, store_evidence
from .links import link_cancel, link_confirm, link_refuse, link_request
from .personal_data import record_declaration_view, record_personal_data_view

__all__ = [
    "SaveResult",
    "application_employer_submit",
    "application_return",
    "application_save_section",
    "application_start",
    "application_submit",
    "application_withdraw",
    "evidence_add",
    "evidence_delete",
    "link_cancel",
    "link_confirm",
    "link_refuse",
    "link_request",
    "record_declaration_view",
    "record_personal_data_view",
    "store_evidence",
]
