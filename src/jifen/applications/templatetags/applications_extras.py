"""Template helpers of the declaration pages: ``{% load applications_extras %}``."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse

from jifen.applications import display
from jifen.applications.declaration import Section
from jifen.applications.models import Application, Evidence
from jifen.applications.selectors import Assessment

register = template.Library()


@register.simple_tag
def section_display(
    section: Section, app: Application, data: dict[str, Any]
) -> display.SectionDisplay:
    """``{% section_display section app data as view %}``: rows or pairs to read."""
    return display.section_display(section, app, data or {})


@register.simple_tag
def evidence_of(
    evidence_by_item: dict[tuple[str, str], list[Evidence]] | None, section: str, item_id: str
) -> list[Evidence]:
    """``{% evidence_of evidence_by_item "housing" row.id as files %}``."""
    if not evidence_by_item:
        return []
    return evidence_by_item.get((section, item_id or ""), [])


@register.simple_tag
def assessment_reasons(assessment: Assessment | None) -> list[str]:
    """The eligibility reasons of a self-assessment, in Chinese."""
    return display.reasons_of(assessment) if assessment is not None else []


@register.simple_tag
def assessment_explanation(assessment: Assessment | None) -> list[dict[str, Any]]:
    return display.explanation_of(assessment) if assessment is not None else []


@register.filter
def describe_path(path: str) -> str:
    return display.describe_path(path)


@register.simple_tag
def problem_url(url_name: str, app: Application, path: str) -> str:
    """The section page of a problem's field path ("" when it names no section)."""
    section = display.section_of_path(path)
    if not url_name or section is None or app is None:
        return ""
    try:
        url = reverse(url_name, args=[app.pk, section])
    except NoReverseMatch:
        return ""
    return url


@register.filter
def points(value: Any) -> str:
    """Points with two decimals (12 -> 12.00), as the published lists print them."""
    if value is None or value == "":
        return ""
    try:
        return f"{float(value):.2f}"
    except (TypeError, ValueError):
        return str(value)
