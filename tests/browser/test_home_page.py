"""The home page in a real browser: Chinese text with a CJK font, the stylesheet applied under
the Content-Security-Policy, nothing fetched from other sites, and a phone-width layout."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import reverse
from playwright.sync_api import Page, Route, expect

from jifen.core.roles import Department, Role
from tests.factories import PASSWORD, make_applicant

from .conftest import PageWatch

SITE_NAME = "北京市积分落户管理信息系统"
PHASES = ["注册", "申报", "单位审核", "部门比对", "复查", "公示", "落户"]
BRAND_RED = "rgb(179, 38, 30)"  # --brand in site.css


def platform_fonts(page: Page, selector: str) -> list[str]:
    """The fonts Chromium actually drew the element's text with (not the CSS wish list)."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts: list[dict[str, Any]] = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})[
            "fonts"
        ]
    finally:
        cdp.detach()
    return [font["familyName"] for font in fonts if font["glyphCount"] > 0]


def test_home_page_renders_in_chinese_from_our_own_origin(
    page: Page,
    live_server: Any,
    watch: Callable[[Page, str], PageWatch],
    screenshot: Callable[[Page, str], Path],
) -> None:
    record = watch(page, live_server.url)
    response = page.goto(live_server.url + "/")
    assert response is not None and response.ok
    page.wait_for_load_state("load")

    expect(page).to_have_title(SITE_NAME)
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    expect(page.get_by_role("heading", level=1)).to_have_text(SITE_NAME)
    expect(page.get_by_role("heading", name="办理流程")).to_be_visible()
    expect(page.locator(".phase-name")).to_have_text(PHASES)

    # Signed out: the account links are in the header.
    nav = page.get_by_role("navigation", name="账户")
    for label in ("登录", "申请人注册", "单位注册"):
        expect(nav.get_by_role("link", name=label, exact=True)).to_be_visible()
    expect(nav.get_by_role("button", name="退出登录")).to_have_count(0)

    # The stylesheet was fetched from our origin and applied (CSP: style-src 'self').
    assert any(url.endswith("/static/web/css/site.css") for url in record.requests)
    expect(page.locator(".site-header")).to_have_css("background-color", BRAND_RED)

    # Chinese characters are drawn with a CJK font, not as boxes.
    fonts = platform_fonts(page, "h1")
    assert any("CJK" in name or "Noto" in name for name in fonts), fonts

    path = screenshot(page, "home")
    assert path.stat().st_size > 10_000
    assert record.problems() == []


def test_home_page_fits_a_phone_without_sideways_scrolling(
    mobile_page: Page,
    live_server: Any,
    watch: Callable[[Page, str], PageWatch],
    screenshot: Callable[[Page, str], Path],
) -> None:
    record = watch(mobile_page, live_server.url)
    mobile_page.goto(live_server.url + "/")
    mobile_page.wait_for_load_state("load")
    expect(mobile_page.get_by_role("heading", level=1)).to_have_text(SITE_NAME)

    widths = mobile_page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth,"
        " client: document.documentElement.clientWidth})"
    )
    # A mobile browser zooms out to fit wide content, which would widen innerWidth too:
    # pin it to the device width so the comparison cannot pass by zooming.
    assert widths["inner"] == 390, widths
    assert widths["scroll"] <= widths["inner"], widths
    assert widths["client"] == 390, widths

    # Phases are stacked in one column on a phone.
    lefts = mobile_page.locator(".phase").evaluate_all(
        "els => els.map(e => Math.round(e.getBoundingClientRect().left))"
    )
    assert len(set(lefts)) == 1, lefts

    # Header links are big enough to tap (44 CSS pixels).
    for link in mobile_page.locator(".site-nav .nav-link").all():
        box = link.bounding_box()
        assert box is not None and box["height"] >= 44, (link.inner_text(), box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (link.inner_text(), box)

    screenshot(mobile_page, "home-mobile")
    assert record.problems() == []


def test_signed_in_header_shows_the_user_and_signs_out(
    page: Page,
    live_server: Any,
    login_as: Callable[[Page, Any], None],
    watch: Callable[[Page, str], PageWatch],
) -> None:
    user = make_applicant(name="张伟")
    login_as(page, user)
    record = watch(page, live_server.url)
    page.goto(live_server.url + "/")

    nav = page.get_by_role("navigation", name="账户")
    expect(nav.locator(".nav-user-name")).to_have_text("张伟")
    expect(nav.locator(".nav-role")).to_have_text(Role.APPLICANT.label)
    expect(nav.get_by_role("link", name="我的办理")).to_have_attribute(
        "href", reverse("web:dashboard")
    )
    expect(nav.get_by_role("link", name="登录", exact=True)).to_have_count(0)

    # Signing out is a POST with the CSRF token; it lands back on the home page, signed out.
    nav.get_by_role("button", name="退出登录").click()
    page.wait_for_url(live_server.url + reverse("web:home"))
    signed_out_nav = page.get_by_role("navigation", name="账户")
    expect(signed_out_nav.get_by_role("link", name="登录", exact=True)).to_be_visible()
    expect(page.locator(".nav-user-name")).to_have_count(0)
    assert record.problems() == []


def test_signed_in_staff_header_fits_a_phone(
    mobile_page: Page,
    live_server: Any,
    login_as: Callable[[Page, Any], None],
    django_user_model: Any,
) -> None:
    reviewer = django_user_model.objects.create_user(
        username="reviewer-tax",
        password=PASSWORD,
        role=Role.REVIEWER,
        department=Department.TAX,
        full_name="欧阳晓明",
    )
    login_as(mobile_page, reviewer)
    mobile_page.goto(live_server.url + "/")

    nav = mobile_page.get_by_role("navigation", name="账户")
    expect(nav.locator(".nav-role")).to_have_text(Role.REVIEWER.label)
    expect(nav.get_by_role("link", name="工作台")).to_be_visible()
    scroll, inner = mobile_page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert (scroll, inner) == (390, 390)
    box = nav.get_by_role("button", name="退出登录").bounding_box()
    assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= 390, box


def test_the_watch_sees_csp_violations_and_other_origins(
    page: Page, live_server: Any, watch: Callable[[Page, str], PageWatch]
) -> None:
    """The checks above would pass vacuously if ``watch`` heard nothing: feed it a page that
    breaks both rules, served under our own origin with our own policy."""
    blocked = "http://elsewhere.invalid/tracker.png"

    def serve_bad_page(route: Route) -> None:
        route.fulfill(
            status=200,
            content_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": settings.CONTENT_SECURITY_POLICY},
            body='<!DOCTYPE html><html lang="zh-Hans"><head><style>p{color:red}</style></head>'
            '<body><p>内联样式</p><script>document.title = "x";</script></body></html>',
        )

    def serve_page_without_policy(route: Route) -> None:
        route.fulfill(
            status=200,
            content_type="text/html; charset=utf-8",
            body=f'<!DOCTYPE html><html><body><img src="{blocked}" alt=""></body></html>',
        )

    page.route(live_server.url + "/__probe/csp", serve_bad_page)
    page.route(live_server.url + "/__probe/foreign", serve_page_without_policy)
    page.route("http://elsewhere.invalid/**", lambda route: route.abort())

    record = watch(page, live_server.url)
    page.goto(live_server.url + "/__probe/csp")
    page.goto(live_server.url + "/__probe/foreign")
    page.wait_for_load_state("load")

    assert len(record.csp_violations) >= 2, record  # the <style> and the <script>
    assert record.foreign_requests == [blocked]
    assert record.problems() != []
