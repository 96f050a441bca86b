"""A stateless self-assessment: score a ``jifen.profile/1`` (docs: spec/profile-format.md)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Body, Router

from jifen.core.errors import FieldError, InvalidInput
from jifen.rules import score, to_result, validate_profile
from jifen.rules.identity import mask
from jifen.rules.problems import Problem, problem_zh
from jifen.rules.schema import ProfileError

from . import present
from .schemas import ErrorOut, ProfileAssessmentOut

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut}
# Anything shaped like an identity number in a message is masked before it is sent back.
_ID_LIKE = re.compile(r"\d{17}[\dXx]")

PROFILE_EXAMPLE = {
    "format": "jifen.profile/1",
    "application_year": 2022,
    "person": {
        "id_number": "110105197601152347",
        "name": "王素芳",
        "sex": "F",
        "birth_date": "1976-01-15",
        "female_cadre": False,
        "residence_permit": True,
        "criminal_record": False,
    },
    "social_insurance": [{"from": "1998-07", "to": "2021-12", "back_paid": []}],
    "housing": [{"kind": "owned", "from": "2010-01", "to": "2021-12", "district": "通州区"}],
    "employment": [{"from": "2016-05", "to": "2021-12", "district": "通州区"}],
    "education": [{"level": "bachelor", "degree": "bachelor", "full_time": True,
                   "from": "1994-09", "to": "1998-06"}],
    "innovation": [],
    "tax": {"2019": 0, "2020": 0, "2021": 0},
    "honours": [],
    "violations": [],
}

router = Router(tags=["积分自评"])


def _field_error(problem: Problem) -> FieldError:
    """The problem in Chinese, naming its field; anything like an identity number masked."""
    return FieldError(problem.path, _ID_LIKE.sub(lambda m: mask(m.group(0)), problem_zh(problem)))


@router.post(
    "/assess",
    response={200: ProfileAssessmentOut, **ERRORS},
    summary="按申请人信息（jifen.profile/1）自评积分",
    description=(
        "不保存任何数据。请求体为 jifen.profile/1 格式的申请人信息（未知字段视为错误）；"
        "返回积分规则的计算结果（jifen.result/1，未经审核）及中文说明。"
        "信息有误时返回 422，errors 按字段路径列出每个问题。须登录。"
    ),
)
def assess_profile(
    request: HttpRequest,
    profile: Annotated[dict[str, Any], Body(example=PROFILE_EXAMPLE)],
) -> dict[str, Any]:
    try:
        breakdown = score(validate_profile(profile))
    except ProfileError as exc:
        raise InvalidInput(
            "申请人信息有误，无法计算积分", errors=[_field_error(p) for p in exc.problems]
        ) from exc
    explanation, reasons = present.explanation(breakdown)
    return {"verified": False, "result": to_result(breakdown), "explanation_zh": explanation,
            "reasons_zh": reasons}
