"""System parameters (系统参数): defaults from ``data/parameters.toml``, changes recorded.

``get(key)`` is what the code reads; ``set_parameter`` is the one way to change a value: it
checks the type against the default, records who, when, old → new and why
(:class:`ParameterChange`) and appends an audit event, in one transaction.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from jifen.audit.services import record_event
from jifen.core.errors import ServiceError

from .models import Parameter, ParameterChange

PARAMETER_CHANGE_ACTION = "ops.parameter_change"
_DATA = Path(__file__).with_name("data") / "parameters.toml"


@dataclass(frozen=True)
class ParameterSpec:
    key: str
    default: Any
    label: str
    unit: str
    group: str
    description: str = ""


@cache
def specs() -> dict[str, ParameterSpec]:
    """Every known parameter, in the file's order."""
    with _DATA.open("rb") as fh:
        raw = tomllib.load(fh)
    return {
        key: ParameterSpec(
            key=key,
            default=item["default"],
            label=item["label"],
            unit=item.get("unit", ""),
            group=item.get("group", "其他"),
            description=item.get("description", ""),
        )
        for key, item in raw.items()
    }


def get(key: str) -> Any:
    """The parameter's current value (the default until someone changed it)."""
    spec = specs()[key]  # KeyError: a typo in code, not a user's mistake
    row = Parameter.objects.filter(key=key).only("value").first()
    return spec.default if row is None else row.value


def current_values() -> dict[str, Any]:
    """Every parameter's current value, by key."""
    values = {key: spec.default for key, spec in specs().items()}
    for key, value in Parameter.objects.values_list("key", "value"):
        if key in values:
            values[key] = value
    return values


def coerce(spec: ParameterSpec, raw: Any) -> Any:
    """``raw`` (a form's text or a JSON value) as the default's type, or ServiceError."""
    default = spec.default
    try:
        if isinstance(default, bool):
            if isinstance(raw, str):
                if raw.strip().lower() in {"1", "true", "是", "on"}:
                    return True
                if raw.strip().lower() in {"0", "false", "否", "off", ""}:
                    return False
                raise ValueError(raw)
            return bool(raw)
        if isinstance(default, int):
            value = int(str(raw).strip())
            if value < 0:
                raise ValueError(raw)
            return value
        if isinstance(default, float):
            value = float(str(raw).strip())
            if value < 0 or value != value:
                raise ValueError(raw)
            return value
        if isinstance(default, list):
            if isinstance(raw, str):
                return [part.strip() for part in raw.replace("，", ",").split(",") if part.strip()]
            return list(raw)
        return str(raw).strip()
    except (TypeError, ValueError):
        kind = "非负整数" if isinstance(default, int) else "非负数"
        raise ServiceError(
            f"参数“{spec.label}”的取值应为{kind}，收到“{raw}”。", field=spec.key
        ) from None


@transaction.atomic
def set_parameter(*, actor: Any, key: str, value: Any, reason: str) -> ParameterChange:
    """Change one parameter; ``reason`` is required (the agreement asks why)."""
    spec = specs().get(key)
    if spec is None:
        raise ServiceError(f"没有名为“{key}”的系统参数。", field="key")
    if not (reason or "").strip():
        raise ServiceError("请填写修改原因。", field="reason")
    new = coerce(spec, value)
    row = Parameter.objects.select_for_update().filter(key=key).first()
    old = spec.default if row is None else row.value
    if new == old:
        raise ServiceError(f"参数“{spec.label}”的新值与原值相同。", field=key)
    now = timezone.now()
    if row is None:
        Parameter.objects.create(key=key, value=new, updated_at=now, updated_by=actor)
    else:
        row.value, row.updated_at, row.updated_by = new, now, actor
        row.save(update_fields=["value", "updated_at", "updated_by"])
    change = ParameterChange.objects.create(
        key=key,
        old_value=old,
        new_value=new,
        changed_at=now,
        changed_by=actor,
        reason=reason.strip(),
    )
    record_event(
        actor=actor,
        action=PARAMETER_CHANGE_ACTION,
        target_type="ops.parameter",
        target_id=key,
        before={"value": old},
        after={"value": new},
        detail=reason.strip(),
    )
    return change
