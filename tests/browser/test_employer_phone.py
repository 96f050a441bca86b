"""The employer's pages on a phone (390×844): every column of every row is on screen, as
cards, without sideways scrolling."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from jifen.applications import services
from tests.factories import fill_declaration, linked_pair, make_round

from .conftest import PageWatch

pytestmark = pytest.mark.browser


def _no_sideways_scroll(page: Page) -> None:
    scroll, inner = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    assert (scroll, inner) == (390, 390)


def _inside_the_screen(page: Page, selector: str) -> int:
    """How many elements match ``selector``; each must be visible and within 390 px."""
    boxes = page.locator(selector).evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return [r.left, r.right, r.width, r.height]; })"
    )
    assert boxes
    for left, right, width, height in boxes:
        assert width > 0 and height > 0 and left >= 0 and right <= 390, boxes
    return len(boxes)


@pytest.mark.django_db(transaction=True)
def test_the_employer_tables_become_cards_on_a_phone(
    mobile_page: Page, live_server: Any, login_as: Callable[[Page, Any], None],
    watch: Callable[[Page, str], PageWatch], screenshot: Callable[[Page, str], Path],
) -> None:
    make_round(2026)
    applicant, agent = linked_pair()
    app = fill_declaration(applicant, services.application_start(actor=applicant))
    app = services.application_submit(actor=applicant, application_id=app.pk,
                                      version=app.version)
    login_as(mobile_page, agent)
    record = watch(mobile_page, live_server.url)

    mobile_page.goto(live_server.url + reverse("applications:employer_home"))
    cards = mobile_page.locator("table.table-cards")
    expect(cards).to_have_count(3)  # the links, the applications and the round's phases
    _no_sideways_scroll(mobile_page)
    # Every cell of the applications' row, the last column (操作) included, is on screen with
    # its column's name.
    assert _inside_the_screen(mobile_page, "#apps-title ~ .table-wrap td") == 7
    action = mobile_page.locator("#apps-title ~ .table-wrap td[data-label='操作']")
    action.scroll_into_view_if_needed()
    expect(action).to_be_in_viewport()
    label = action.evaluate("e => getComputedStyle(e, '::before').content")
    assert label == '"操作"'
    # The header row is left to screen readers: each card names its own cells.
    head = mobile_page.locator("#apps-title ~ .table-wrap thead").bounding_box()
    assert head is not None and head["height"] <= 1
    screenshot(mobile_page, "employer-home-mobile")

    action.get_by_role("link", name="审核").click()
    expect(mobile_page.get_by_role("heading", level=1)).to_contain_text(app.number)
    _no_sideways_scroll(mobile_page)
    _inside_the_screen(mobile_page, ".score-table td.basis")
    screenshot(mobile_page, "employer-review-mobile")
    assert record.problems() == []
