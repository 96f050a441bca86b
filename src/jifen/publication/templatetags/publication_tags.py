"""Boxes other pages include: the home page's link to the lists on show, the applicant's result."""

from __future__ import annotations

from typing import Any

from django import template

from jifen.publication import selectors

register = template.Library()


@register.inclusion_tag("publication/_home_link.html")
def gongshi_links() -> dict[str, Any]:
    return {"lists": selectors.on_show()}


@register.inclusion_tag("publication/_applicant_box.html")
def final_result_box(user: Any) -> dict[str, Any]:
    return {"results": selectors.final_results(user)}
