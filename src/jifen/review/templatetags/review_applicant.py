"""The verification's state on the applicant's home page (a template of jifen.applications,
which does not import this app: the page loads this tag library instead)."""

from __future__ import annotations

from typing import Any

from django import template

from ..selectors_result import status_of

register = template.Library()


@register.inclusion_tag("review/_home_status.html")
def verification_status(app: Any) -> dict[str, Any]:
    """"部门核验中（已核验 x / 11 项）", or the first result's total with its link."""
    return {"status": status_of(app) if app is not None else None}
