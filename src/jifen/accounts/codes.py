"""Check digits of the unified social credit code (GB 32100-2015) and employer codes."""

from __future__ import annotations

import re
import secrets

_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_RE = re.compile(r"^[0-9A-HJ-NP-RTUWXY]{2}\d{6}[0-9A-HJ-NP-RTUWXY]{10}$")


def credit_code_check_char(first17: str) -> str:
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_CHARS[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """None when ``code`` is a well-formed unified social credit code, else a reason (Chinese)."""
    if len(code) != 18:
        return "统一社会信用代码应为18位"
    if not _CREDIT_RE.match(code):
        return "统一社会信用代码含有不允许的字符"
    if credit_code_check_char(code[:17]) != code[17]:
        return "统一社会信用代码校验位不正确"
    return None


# Employer registration codes (单位注册码): no 0/O/1/I/L to read them out over the phone.
_EMPLOYER_CODE_CHARS = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_employer_code() -> str:
    return "DW" + "".join(secrets.choice(_EMPLOYER_CODE_CHARS) for _ in range(8))
