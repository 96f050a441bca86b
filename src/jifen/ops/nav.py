"""The console's sections, in the order of its navigation bar: (URL name, label).

A section whose URL name does not resolve is left out of the bar (see templatetags/ops_nav).
"""

SECTIONS: tuple[tuple[str, str], ...] = (
    ("ops:dashboard", "总览"),
    ("ops:inspections", "日常巡检"),
    ("ops:monitoring", "系统监测"),
    ("ops:backups", "备份与恢复"),
    ("ops:incidents", "故障处理"),
    ("ops:complaints", "投诉受理"),
    ("ops:visits", "现场服务"),
    ("ops:training", "培训"),
    ("ops:cmdb", "配置管理"),
    ("ops:parameters", "系统参数"),
    ("ops:reports", "运维报告"),
)
