"""The kinds of department records (../shared/spec/department-records.md) and who owns them.

Pure data, no Django: the rules of what a kind decides in the profile are in ``records``.
"""

from __future__ import annotations

from jifen.core.roles import Department

# In the order of the spec's table (the order of the items of an application).
KINDS: tuple[str, ...] = (
    "permits",
    "criminal_records",
    "detentions",
    "social_insurance",
    "employment",
    "housing",
    "education",
    "tax",
    "tax_offences",
    "innovation",
    "honours",
)

KIND_NAMES: dict[str, str] = {
    "permits": "居住证",
    "criminal_records": "刑事犯罪记录",
    "detentions": "行政拘留记录",
    "social_insurance": "社会保险缴纳",
    "employment": "就业地（社保缴纳单位所在区）",
    "housing": "住所",
    "education": "学历学位",
    "tax": "个人所得税",
    "tax_offences": "涉税违法记录",
    "innovation": "创新创业",
    "honours": "荣誉表彰",
}

KIND_DEPARTMENT: dict[str, str] = {
    "permits": Department.POLICE,
    "criminal_records": Department.POLICE,
    "detentions": Department.POLICE,
    "social_insurance": Department.SOCIAL_INSURANCE,
    "employment": Department.SOCIAL_INSURANCE,
    "housing": Department.HOUSING,
    "education": Department.EDUCATION,
    "tax": Department.TAX,
    "tax_offences": Department.TAX,
    "innovation": Department.SCIENCE,
    "honours": Department.HONOURS,
}

# The declaration section a kind is declared in (the applicant's and employer's pages).
KIND_SECTION: dict[str, str] = {
    "permits": "conditions",
    "criminal_records": "conditions",
    "detentions": "violations",
    "social_insurance": "social_insurance",
    "employment": "employment",
    "housing": "housing",
    "education": "education",
    "tax": "tax",
    "tax_offences": "violations",
    "innovation": "innovation",
    "honours": "honours",
}

# Departments that verify records (the service window does on-site checks, not kinds).
VERIFYING_DEPARTMENTS: tuple[str, ...] = tuple(dict.fromkeys(KIND_DEPARTMENT.values()))

# Working days each department has for its items unless the round sets its own.
DEFAULT_VERIFICATION_DAYS = 10


def kinds_of(department: str) -> tuple[str, ...]:
    """The kinds a department verifies, in the spec's order (none for the service window)."""
    return tuple(k for k in KINDS if KIND_DEPARTMENT[k] == department)
