"""The console's sections, in the order of its navigation bar: (URL name, label, roles).

A section whose URL name does not resolve, or that the signed-in role may not open, is left out
of the bar (see templatetags/ops_nav). The roles mirror the views' decorators (access.py).
"""

from jifen.core.roles import Role

_READERS = frozenset({Role.OPERATOR, Role.AUDITOR})
_REPORT_READERS = frozenset({Role.OPERATOR, Role.AUDITOR, Role.BUREAU_ADMIN})

SECTIONS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("ops:dashboard", "总览", _READERS),
    ("ops:inspections", "日常巡检", _READERS),
    ("ops:monitoring", "系统监测", _READERS),
    ("ops:backups", "备份与恢复", _READERS),
    ("ops:incidents", "故障处理", _READERS),
    ("ops:complaints", "投诉受理", _READERS),
    ("ops:visits", "现场服务", _READERS),
    ("ops:training", "培训", _READERS),
    ("ops:cmdb", "配置管理", _READERS),
    ("ops:parameters", "系统参数", _READERS),
    ("ops:reports", "运维报告", _REPORT_READERS),
)
