"""Who may open the operations console's pages.

Operators (运维人员) work here; the auditor (审计员) reads the records; the bureau
(市人社局管理员) reads the reports. Writes are for operators only.
"""

from __future__ import annotations

from jifen.core.roles import Role
from jifen.web.access import role_required

ops_page = role_required({Role.OPERATOR}, "只有运维人员可以进行此项运维操作。")
ops_read = role_required({Role.OPERATOR, Role.AUDITOR}, "只有运维人员和审计员可以查看运维记录。")
report_read = role_required(
    {Role.OPERATOR, Role.AUDITOR, Role.BUREAU_ADMIN},
    "只有运维人员、审计员和市人社局管理员可以查看运维报告。",
)
