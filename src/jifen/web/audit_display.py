"""An audit event as the auditor reads it: a Chinese line per recorded fact.

``before``/``after`` hold codes and fingerprints (jifen.audit.redact); this turns them into
lines such as "状态：填报中 → 已提交", "合法稳定住所 第 1 条 所在区：已修改" or
"退回理由：已填写（9 字，内容不入日志）". Values are never looked up elsewhere: the lines show
what the log holds, in words.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from jifen.applications.declaration import SECTIONS_BY_KEY
from jifen.applications.display import describe_path
from jifen.applications.models import LinkStatus, Status
from jifen.audit.models import AuditEvent
from jifen.core.roles import Department, Role
from jifen.review.kinds import KIND_NAMES
from jifen.review.models import Action, Outcome, RecheckState, Source

CHANGE_WORDS = {"added": "已添加", "removed": "已删除", "modified": "已修改"}
REFUSAL_REASONS = {
    "not_found": "记录不存在或无权查看",
    "forbidden": "无权访问",
    "not_authenticated": "未登录或令牌无效",
}
HIDDEN = "内容不入日志"


def _yes_no(value: Any) -> str:
    return "是" if value else "否"


# Evidence sections that are not declaration sections (a re-check's files).
OTHER_SECTIONS = {"recheck": "复查材料"}


def _section(value: Any) -> str:
    section = SECTIONS_BY_KEY.get(str(value))
    return section.title if section else OTHER_SECTIONS.get(str(value), str(value))


def _text_fact(value: Any) -> str:
    """A free text the log keeps only as length and fingerprint."""
    if not isinstance(value, dict):
        return str(value)
    length = value.get("length", 0)
    return f"已填写（{length} 字，{HIDDEN}）" if length else "未填写"


def _fingerprint(value: Any) -> str:
    return f"已记录指纹（{HIDDEN}）" if value else "—"


def _size(value: Any) -> str:
    try:
        size = int(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{size} 字节" if size < 1024 else f"{size / 1024:.1f} KB"


def _labelled(choices: dict[str, str]) -> Callable[[Any], str]:
    return lambda value: choices.get(str(value), str(value)) if value not in (None, "") else "—"


def _disputes(value: Any) -> str:
    """A re-check request's items: "居住证（复查理由已填写（12 字，…），材料 1 个）"."""
    if not isinstance(value, list):
        return _plain(value)
    parts = []
    for d in value:
        if not isinstance(d, dict):
            parts.append(_plain(d))
            continue
        kind = KIND_NAMES.get(str(d.get("kind")), str(d.get("kind")))
        parts.append(f"{kind}（复查理由{_text_fact(d.get('statement'))}，"
                     f"材料 {d.get('files', 0)} 个）")
    return "；".join(parts) or "—"


# key -> (label, how its value reads). The order here is the order of the lines.
FIELDS: dict[str, tuple[str, Callable[[Any], str]]] = {
    "section": ("填报项", _section),
    "version": ("版本", str),
    "round": ("年度", str),
    "number": ("申报编号", str),
    "self_assessed_total": ("自评总分", str),
    "reason": ("理由", _text_fact),
    "evidence": ("证明材料编号", str),
    "item": ("条目", lambda v: str(v) or "整个填报项"),
    "file_name": ("文件名", _text_fact),
    "content": ("文件内容", _fingerprint),
    "size": ("文件大小", _size),
    "employer": ("用人单位编号", str),
    "username": ("用户名", str),
    "role": ("角色", _labelled(dict(Role.choices))),
    "department": ("部门", _labelled(dict(Department.choices))),
    "agent": ("经办人用户名", str),
    "credit_code": ("统一社会信用代码", str),
    "code": ("单位注册码", str),
    "typed_username": ("输入的用户名", _text_fact),
    "locked_out": ("账户已锁定", _yes_no),
    "failures": ("失败次数", str),
    "device": ("身份验证器编号", str),
    "devices": ("删除的身份验证器", str),
    "step": ("步骤", _labelled({"setup": "绑定", "verify": "验证"})),
    "throttled": ("因频繁失败被限速", _yes_no),
    "demo": ("演示账户", _yes_no),
    "token": ("令牌前缀", str),
    "expires_at": ("有效期至", str),
    "year": ("年度", str),
    "rule_set": ("积分规则", str),
    "quota": ("落户指标", str),
    "opens": ("申报开始", str),
    "closes": ("申报截止", str),
    "checkpoint": ("检查点", lambda v: f"第 {v} 个"),
    "seq": ("覆盖至事件序号", str),
    "signal_state": ("信号状态", _labelled({"open": "待处理", "dismissed": "已排除",
                                           "confirmed": "已确认异常"})),
    "applications": ("涉及申报数", str),
    "new_signals": ("新发现信号", str),
    "open_signals": ("待处理信号", str),
    "hash": ("事件哈希", lambda v: f"{str(v)[:16]}…"),
    "mac": ("检查点签名", lambda v: f"{str(v)[:16]}…"),
    # verification: re-checks and on-site checks
    "application": ("申报记录编号", str),
    "kind": ("核验事项", _labelled(KIND_NAMES)),
    "recheck": ("复查状态", _labelled(dict(RecheckState.choices))),
    "dispute": ("复查事项编号", str),
    "disputes": ("复查事项", _disputes),
    "consistent": ("原件与申报一致", _yes_no),
    "note": ("现场核验意见", _text_fact),
    "outcome": ("复查结论", _labelled(dict(Outcome.choices))),
    "decision": ("核验决定编号", str),
    "action": ("核验决定", _labelled(dict(Action.choices))),
    "decision_source": ("决定来源", _labelled(dict(Source.choices))),
    "value": ("核验值", _fingerprint),
}
# Keys shown by their own rules below, or not at all.
_SPECIAL = {"status", "changes", "method", "path", "url_name", "kwargs", "count", "source",
            "window_start", "window_seconds", "recorded_individually"}


def _status_label(event: AuditEvent) -> Callable[[Any], str]:
    choices = LinkStatus if event.target_type == "applications.employmentlink" else Status
    return _labelled(dict(choices.choices))


def _plain(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def change_line(item: dict[str, Any]) -> str:
    """ "合法稳定住所 第 1 条 所在区：已修改" for one item of a save's ``changes``."""
    path = str(item.get("path", ""))
    return f"{describe_path(path) or path}：{CHANGE_WORDS.get(item.get('change'), '已修改')}"


def _refusal_lines(event: AuditEvent, after: dict[str, Any]) -> list[str]:
    lines = []
    if "count" in after:  # a summary
        lines.append(f"另有 {after['count']} 次同类拒绝未逐条记录")
        lines.append(f"来源：{after.get('source', '')}")
    reason = after.get("reason")
    if isinstance(reason, str):
        status = f"（{after['status']}）" if "status" in after else ""
        lines.append(f"原因：{REFUSAL_REASONS.get(reason, reason)}{status}")
    if "method" in after or "path" in after:
        lines.append(f"请求：{after.get('method', '')} {after.get('path', '')}".rstrip())
    if after.get("url_name"):
        arguments = ", ".join(f"{k}={v}" for k, v in (after.get("kwargs") or {}).items())
        lines.append(f"页面：{after['url_name']}" + (f"（{arguments}）" if arguments else ""))
    return lines


def event_lines(event: AuditEvent) -> list[str]:
    """The readable lines of ``event``'s before → after (empty when it records none)."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    if event.kind == AuditEvent.Kind.REFUSAL:
        return _refusal_lines(event, after)
    lines: list[str] = []
    if "status" in before or "status" in after:
        show = _status_label(event)
        if "status" in before and "status" in after:
            lines.append(f"状态：{show(before['status'])} → {show(after['status'])}")
        else:
            lines.append(f"状态：{show(after.get('status', before.get('status')))}")
    keys = [k for k in FIELDS if k in before or k in after]
    keys += sorted(k for k in {*before, *after} if k not in FIELDS and k not in _SPECIAL)
    for key in keys:
        label, show = FIELDS.get(key, (key, _plain))
        if key in before and key in after and before[key] != after[key]:
            lines.append(f"{label}：{show(before[key])} → {show(after[key])}")
        else:
            lines.append(f"{label}：{show(after[key] if key in after else before[key])}")
    if "changes" in after:
        changes = after["changes"] or []
        lines += [change_line(item) for item in changes] or ["内容未变"]
    return lines


def access_fields(event: AuditEvent) -> str:
    """What an access event viewed: "申报内容（纳税、守法记录）", "公民身份号码"."""
    field = event.field
    if field == "declaration":
        titles = [_section(key) for key in event.detail.split(",") if key]
        return "申报内容" + (f"（{'、'.join(titles)}）" if titles else "")
    if field.startswith("evidence:"):
        return f"证明材料 #{field.split(':', 1)[1]}"
    return {"id_number": "公民身份号码", "phone": "手机号码", "audit_log": "审计日志"}.get(
        field, field
    )
