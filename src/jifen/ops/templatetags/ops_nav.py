from __future__ import annotations

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse

from jifen.ops.nav import SECTIONS

register = template.Library()


@register.inclusion_tag("ops/_nav.html", takes_context=True)
def ops_nav(context: Any, current: str = "") -> dict[str, Any]:
    request = context.get("request")
    role = getattr(getattr(request, "user", None), "role", None)
    items = []
    for name, label, roles in SECTIONS:
        if role not in roles:
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": label, "current": name == current})
    return {"items": items}
