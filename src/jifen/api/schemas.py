"""Request and response bodies of the JSON API.

Input strings refuse NUL characters and unpaired surrogates (the database cannot store them),
so such input is a 422 naming the field, never a server error. The declaration's section
values are deliberately loose: a draft stores what was typed, as typed, and the checks of
``jifen.applications.declaration`` report the problems after the save.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Path, Schema
from pydantic import AfterValidator, ConfigDict, PlainValidator, StringConstraints, WithJsonSchema

from jifen.applications import declaration as decl
from jifen.rules.ruleset import newest_rule_set

# Labels of codes and conditions: the newest rule set's (a round's may differ only in data).
_RULES = newest_rule_set()
_CONDITIONS = decl.condition_labels(_RULES)


def _codes(names: dict[str, str]) -> str:
    """owned（自有产权住房） / rented（租赁住房） / ..."""
    return " / ".join(f"{code}（{name}）" for code, name in names.items())


# The largest primary key the databases store (64-bit signed); larger ids are not found.
MAX_ID = 2**63 - 1
MAX_VERSION = 2**31 - 1
MAX_PAGE = 500

# Path ids: positive and within what the databases store (larger ones are a 422, not a 500).
ApplicationId = Annotated[int, Path(ge=1, le=MAX_ID, description="申报编号（id）")]
LinkId = Annotated[int, Path(ge=1, le=MAX_ID, description="关联申请编号")]
EvidenceId = Annotated[int, Path(ge=1, le=MAX_ID, description="材料编号")]


def _clean_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("不能包含空字符（NUL）")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("包含无效的字符") from None
    return value


# A string the database can store; with a length limit: Annotated[str, StringConstraints(...),
# STORABLE] (the limit first, so that it is reported as the string's length).
STORABLE = AfterValidator(_clean_text)
Text = Annotated[str, STORABLE]


def _bounded(max_length: int) -> Any:
    return Annotated[str, StringConstraints(max_length=max_length), STORABLE]


Text8, Text11, Text16, Text18, Text20 = (_bounded(n) for n in (8, 11, 16, 18, 20))
Text30, Text40 = (_bounded(n) for n in (30, 40))
Text150, Text200, Text256, Text500 = (_bounded(n) for n in (150, 200, 256, 500))


def _loose_scalar(value: Any) -> Any:
    """A value of a draft field: text as typed (numbers and booleans are accepted too)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return _clean_text(value)
    raise ValueError("应为文本")


def _loose_months(value: Any) -> Any:
    if isinstance(value, list):
        return [_loose_scalar(v) for v in value]
    return _loose_scalar(value)


def _loose_flag(value: Any) -> Any:
    """A yes/no of a draft: true/false, or the page's "on"/"是" as text."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return _clean_text(value)
    raise ValueError("应为 true 或 false")


DraftText = Annotated[
    Any,
    PlainValidator(_loose_scalar),
    WithJsonSchema({"type": ["string", "null"], "description": "超过200字的部分不保存"}),
]
DraftMonth = Annotated[
    Any,
    PlainValidator(_loose_scalar),
    WithJsonSchema({"type": ["string", "null"], "examples": ["2015-07"]}),
]
DraftMonths = Annotated[
    Any,
    PlainValidator(_loose_months),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "examples": ["2010-03, 2010-04"]},
                {"type": "array", "items": {"type": "string"}},
                {"type": "null"},
            ]
        }
    ),
]
DraftFlag = Annotated[Any, PlainValidator(_loose_flag), WithJsonSchema({"type": "boolean"})]
DraftAmount = Annotated[
    Any,
    PlainValidator(_loose_scalar),
    WithJsonSchema({"type": ["string", "number", "null"], "examples": ["120000"]}),
]
RowId = Annotated[
    Any,
    PlainValidator(_loose_scalar),
    WithJsonSchema(
        {
            "type": ["string", "null"],
            "description": "条目编号：已保存条目保留其编号（证明材料挂在编号上），新条目留空",
        }
    ),
]


class ErrorItem(Schema):
    field: str = Field(..., description="出错字段的路径，如 housing[1].district")
    message: str


class ErrorOut(Schema):
    """Every refusal: a machine-readable code, a message and the fields at fault."""

    code: str = Field(
        ...,
        description="not_authenticated, forbidden, csrf_failed, not_found, conflict, "
        "stale_version, outside_window, invalid, bad_request …",
    )
    message: str
    errors: list[ErrorItem] = []


# --- authentication and accounts --------------------------------------------------------------


class TokenIn(Schema):
    username: Text150
    password: Text256


class PasswordChangeIn(Schema):
    old_password: Text256
    new_password: Text256


class PasswordResetIn(Schema):
    identifier: Text150 = Field(..., description="用户名，或申请人的公民身份号码")
    phone: Text20 = Field(..., description="注册时填写的手机号码")


class PasswordResetOut(Schema):
    reset_id: str = Field(..., description="下一步（/api/auth/password-reset/confirm）使用")
    message: str


class PasswordResetConfirmIn(Schema):
    reset_id: Text256
    code: Text20 = Field(..., description="短信中的6位数字验证码")
    new_password: Text256


class TokenOut(Schema):
    token: str = Field(..., description="在请求头中使用：Authorization: Bearer <token>")
    token_type: str = "Bearer"
    expires_at: datetime


class EmployerOut(Schema):
    id: int
    name: str
    code: str = Field(..., description="单位注册码，申请人关联单位时填写")
    district: str


class ApplicantOut(Schema):
    name: str
    id_number_masked: str = Field(..., description="公民身份号码（已脱敏）")
    sex: str
    birth_date: str


class MeOut(Schema):
    id: int
    username: str
    role: str
    role_display: str
    display_name: str
    is_staff_role: bool
    department: str
    employer: EmployerOut | None = None
    applicant: ApplicantOut | None = None


class ApplicantRegisterIn(Schema):
    username: Text40
    password: Text256
    id_number: Text18 = Field(..., description="18位公民身份号码")
    name: Text30
    phone: Text11


class EmployerRegisterIn(Schema):
    employer_name: Text200
    credit_code: Text18 = Field(..., description="统一社会信用代码")
    district: Text20 = Field(..., description="单位所在区，如 通州区")
    username: Text40
    password: Text256
    agent_name: Text30
    phone: Text11


class RegisteredOut(Schema):
    id: int
    username: str
    role: str
    employer_code: str | None = Field(None, description="单位注册码（仅单位注册时返回）")


class PhaseOut(Schema):
    phase: str = Field(..., description="阶段：registration、declaration、employer_review、"
                       "verification、recheck、scoring、publication、settlement")
    label: str = Field(..., description="阶段名称")
    opens: datetime | None
    closes: datetime | None
    state: str = Field(..., description="open（进行中）、upcoming（未开始）、closed（已结束）"
                       "或 unscheduled（未安排）")
    state_label: str


class RoundOut(Schema):
    id: int
    year: int
    rule_set: str
    quota: int
    declaration_opens: datetime
    declaration_closes: datetime
    declaration_open: bool
    verification_days: dict[str, int] = Field(
        ..., description="各部门核验时限（工作日），未列出的部门按默认 10 个工作日"
    )
    phases: list[PhaseOut] = Field(..., description="各阶段及其时间窗口，按年度工作顺序")
    open_phases: list[str] = Field(..., description="当前进行中的阶段")


# --- employment links ---------------------------------------------------------------------


class LinkRequestIn(Schema):
    employer_code: Text20 = Field(..., description="单位注册码")


class ReasonIn(Schema):
    reason: Text500


class LinkEmployerOut(Schema):
    id: int
    name: str
    district: str


class LinkOut(Schema):
    id: int
    status: str
    status_display: str
    reason: str
    requested_at: datetime
    decided_at: datetime | None
    employer: LinkEmployerOut
    applicant: ApplicantOut


# --- applications -------------------------------------------------------------------------

Version = Annotated[
    int, Field(ge=0, le=MAX_VERSION, description="读取时的版本号；版本已变则返回 409 stale_version")
]


class StartIn(Schema):
    round_id: Annotated[int | None, Field(None, ge=1, le=MAX_ID)] = None


class VersionIn(Schema):
    version: Version


class ReturnIn(Schema):
    version: Version
    reason: Text500


class SectionOut(Schema):
    key: str
    title: str
    indicator: str
    help: str
    is_list: bool


class RoundBrief(Schema):
    id: int
    year: int
    rule_set: str


class ApplicationSummary(Schema):
    id: int
    number: str
    status: str
    status_display: str
    version: int
    editable: bool
    round: RoundBrief
    employer: LinkEmployerOut
    applicant: ApplicantOut
    return_reason: str
    submitted_at: datetime | None
    employer_submitted_at: datetime | None
    updated_at: datetime


class RequiredEvidenceOut(Schema):
    section: str
    item_id: str = Field(..., description="须上传材料的条目编号；空表示整个填报项")
    field: str = Field(..., description="该条目的路径，如 housing[0]；提交时缺少材料的问题以此命名")
    documents: list[str] = Field(..., description="须上传的证明材料，如 租赁合同及登记备案证明")
    uploaded: bool = Field(..., description="该条目是否已上传至少一个文件")


class ApplicationDetail(ApplicationSummary):
    sections: list[SectionOut] = Field(..., description="调用者可查看的填报项")
    data: dict[str, Any] = Field(..., description="申报内容（仅可查看的填报项），按填写原样保存")
    problems: dict[str, list[ErrorItem]] = Field(..., description="各填报项尚存的问题")
    warnings: dict[str, list[ErrorItem]] = Field(
        ..., description="各填报项中可能有误、请核对的内容（提醒，不影响保存和提交）"
    )
    evidence_required: list[RequiredEvidenceOut] = Field(
        ..., description="须上传证明材料的条目（可查看的填报项）；未上传的不能提交"
    )


class SaveOut(Schema):
    version: int = Field(..., description="保存后的版本号")
    errors: list[ErrorItem] = Field(..., description="该填报项尚存的问题（内容已保存）")
    warnings: list[ErrorItem] = Field(
        [], description="可能有误、请核对的内容（如学习期间明显短于通常学制）：提醒，不影响提交"
    )


class ExplanationItem(Schema):
    indicator: str
    name: str
    points: float | None
    basis: str
    basis_en: str = ""
    reference: str = ""


class AssessmentOut(Schema):
    verified: bool = Field(False, description="自评结果，未经部门审核")
    result: dict[str, Any] | None = Field(None, description="积分规则计算结果（jifen.result/1）")
    explanation_zh: list[ExplanationItem] | None = None
    reasons_zh: list[str] = []
    errors: list[ErrorItem] = []


# --- the sections of the declaration, one body each ---------------------------------------


class _Row(Schema):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: RowId = None


class _Period(_Row):
    from_: DraftMonth = Field(None, alias="from", description="起始年月 YYYY-MM")
    to: DraftMonth = Field(None, description="截止年月 YYYY-MM")


class SocialInsuranceRow(_Period):
    back_paid: DraftMonths = Field(None, description="补缴月份，逗号分隔的 YYYY-MM")


class HousingRow(_Period):
    kind: DraftText = Field(None, description=_codes(_RULES.housing_kind_names))
    district: DraftText = Field(None, description="北京市的区，如 通州区")


class EducationRow(_Period):
    level: DraftText = Field(None, description=_codes(_RULES.level_names))
    degree: DraftText = Field(None, description=_codes(_RULES.degree_names))
    full_time: DraftFlag = None


class EmploymentRow(_Period):
    district: DraftText = Field(None, description="就业所在区")


class CodeRow(_Row):
    code: DraftText = Field(None, description="积分规则中的项目代码")


class ViolationRow(_Row):
    kind: DraftText = Field(None, description="administrative_detention / tax_offence")
    date: DraftText = Field(None, description="日期 YYYY-MM-DD")


class ConditionsValue(Schema):
    model_config = ConfigDict(extra="forbid")

    residence_permit: DraftFlag = Field(None, description=_CONDITIONS["residence_permit"])
    criminal_record: DraftFlag = Field(None, description=_CONDITIONS["criminal_record"])
    female_cadre: DraftFlag = Field(None, description=_CONDITIONS["female_cadre"])


TaxValue = Annotated[
    dict[Text8, DraftAmount],
    Field(
        description="积分规则计入的各纳税年度（申报年度 Y 的 "
        + "、".join(f"Y{offset:+d}" for offset in _RULES.tax_year_offsets)
        + '）缴纳的个人所得税（元），如 {"2023": "120000"}'
    ),
]

ROW_SCHEMAS: dict[str, type[Schema]] = {
    "social_insurance": SocialInsuranceRow,
    "housing": HousingRow,
    "education": EducationRow,
    "employment": EmploymentRow,
    "innovation": CodeRow,
    "honours": CodeRow,
    "violations": ViolationRow,
}


def section_value_type(section: str) -> Any:
    """The type of ``value`` in the save body of ``section``."""
    if section == "conditions":
        return ConditionsValue
    if section == "tax":
        return TaxValue
    return Annotated[list[ROW_SCHEMAS[section]], Field(max_length=decl.MAX_ROWS)]  # type: ignore[valid-type]


def section_value_plain(value: Any) -> Any:
    """The body's value as the plain JSON the service stores ("from", not "from_")."""
    if isinstance(value, Schema):
        return value.model_dump(by_alias=True)
    if isinstance(value, list):
        return [section_value_plain(v) for v in value]
    return value


# --- evidence -----------------------------------------------------------------------------

SectionKey = Literal[decl.SECTION_KEYS]  # type: ignore[valid-type]


class EvidenceOut(Schema):
    id: int
    application_id: int
    section: str
    item_id: str = Field(..., description="所属条目编号；空表示整个填报项")
    original_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime


# --- stateless self-assessment ------------------------------------------------------------


class ProfileAssessmentOut(Schema):
    verified: bool = False
    result: dict[str, Any] = Field(..., description="积分规则计算结果（jifen.result/1）")
    explanation_zh: list[ExplanationItem] | None = None
    reasons_zh: list[str] = []
