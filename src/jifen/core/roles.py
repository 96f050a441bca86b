"""Roles and departments (shared by every app; permissions are decided in services/selectors)."""

from django.db import models


class Role(models.TextChoices):
    APPLICANT = "applicant", "申请人"
    EMPLOYER_AGENT = "employer_agent", "单位经办人"
    REVIEWER = "reviewer", "部门审核员"
    BUREAU_ADMIN = "bureau_admin", "市人社局管理员"
    OPERATOR = "operator", "运维人员"
    AUDITOR = "auditor", "审计员"
    SECURITY_ADMIN = "security_admin", "安全管理员"


class Department(models.TextChoices):
    SOCIAL_INSURANCE = "social_insurance", "人力资源社会保障（社保）"
    HOUSING = "housing", "住房城乡建设"
    EDUCATION = "education", "教育"
    TAX = "tax", "税务"
    POLICE = "police", "公安"
    SCIENCE = "science", "科学技术"
    HONOURS = "honours", "表彰授予单位"
    SERVICE_WINDOW = "service_window", "区服务窗口"


# Staff roles: everyone but the public (applicants, employer agents).
STAFF_ROLES = frozenset(
    {
        Role.REVIEWER,
        Role.BUREAU_ADMIN,
        Role.OPERATOR,
        Role.AUDITOR,
        Role.SECURITY_ADMIN,
    }
)
