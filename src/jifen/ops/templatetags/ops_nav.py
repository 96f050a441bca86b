from __future__ import annotations

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse

from jifen.ops.nav import SECTIONS

register = template.Library()


@register.inclusion_tag("ops/_nav.html", takes_context=True)
def ops_nav(context: Any, current: str = "") -> dict[str, Any]:
    items = []
    for name, label in SECTIONS:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": label, "current": name == current})
    return {"items": items}
