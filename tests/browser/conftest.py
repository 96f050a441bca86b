"""Browser tests: Playwright for Python driving Debian's Chromium against pytest-django's
``live_server``.

The browser is ``/usr/bin/chromium`` from the Debian package ``chromium`` (``make browser-deps``
installs it with ``fonts-noto-cjk``); ``playwright install`` is never used. Every test in this
folder is marked ``browser``: ``pytest -m browser`` runs only these, ``-m "not browser"`` skips
them.

Fixtures and helpers:

- ``browser`` (package: this folder): a headless Chromium ``playwright.sync_api.Browser``.
- ``page`` (function): a fresh context (no cookies shared between tests), locale zh-CN,
  1280x900 viewport.
- ``mobile_page`` (function): a fresh phone-sized context, 390x844, ``is_mobile``, touch.
- ``new_page(**context_options)``: one more fresh page, e.g. for a second user in the same test.
- ``screenshot(page, name) -> Path``: a full-page PNG, written to ``docs/screenshots/<name>.png``
  when ``JIFEN_SCREENSHOTS=1``, otherwise into pytest's temporary folder.
- ``login_as(page, user)``: sign ``user`` in for ``page``'s context (a real session made by
  Django's test client, its cookie handed to the browser; a staff user's session has passed
  the second factor too); requires ``live_server``.
- ``watch(page, base_url) -> PageWatch``: records console errors, CSP violations, uncaught
  page errors, failed and 4xx/5xx responses, and requests to any other origin than
  ``base_url``; attach it *before* ``page.goto``; ``PageWatch.problems()`` lists them all.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Playwright,
    Request,
    Response,
    sync_playwright,
)

from tests.factories import verify_second_factor

ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root in a container, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--lang=zh-CN",  # the browser's own controls in Chinese (Debian's chromium-l10n)
]
LOCALE = "zh-CN"
TIMEZONE = "Asia/Shanghai"
DESKTOP_VIEWPORT = {"width": 1280, "height": 900}
MOBILE_VIEWPORT = {"width": 390, "height": 844}

BROWSER_DIR = Path(__file__).resolve().parent
SCREENSHOT_DIR = BROWSER_DIR.parents[1] / "docs" / "screenshots"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test in this folder ``browser`` (this hook sees the whole session's items)."""
    for item in items:
        if BROWSER_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


# Package scope, not session: one browser for all the tests in this folder, stopped after the
# last of them. Playwright's sync API keeps an asyncio event loop marked as running in the main
# thread while it is started; left running, it would break later tests elsewhere that call
# asyncio.run() or async_to_sync() ("cannot be called from a running event loop").
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser-deps` (Debian's chromium).")
    # Django sees that running loop too and refuses ORM calls from the test body (fixtures
    # creating users, assertions reading rows) with SynchronousOnlyOperation, although they
    # are plain synchronous calls; the live server answers in its own thread and is not
    # affected. DJANGO_ALLOW_ASYNC_UNSAFE is Django's documented switch for exactly this
    # (code driving an event loop in the same thread, e.g. notebooks); it lifts the check
    # only, and only while the browser runs.
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as p:
            yield p
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    # Chromium picks its own UI language (the file picker's button) from LANGUAGE;
    # --lang alone is ignored in headless mode.
    env = {**os.environ, "LANGUAGE": "zh_CN:zh"}
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, env=env
    )
    yield browser
    browser.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Factory for pages in fresh contexts; keyword arguments go to ``browser.new_context``."""
    contexts = []

    def make(**options: Any) -> Page:
        settings: dict[str, Any] = {
            "locale": LOCALE,
            "timezone_id": TIMEZONE,
            "viewport": DESKTOP_VIEWPORT,
        }
        settings.update(options)
        context = browser.new_context(**settings)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    """A desktop page (1280x900, zh-CN) in its own context."""
    return new_page()


@pytest.fixture
def mobile_page(new_page: Callable[..., Page]) -> Page:
    """A phone page (390x844, zh-CN, mobile viewport and touch) in its own context."""
    return new_page(viewport=MOBILE_VIEWPORT, is_mobile=True, has_touch=True)


@pytest.fixture
def screenshot(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Page, str], Path]:
    """``screenshot(page, name)``: save a full-page PNG and return its path.

    With ``JIFEN_SCREENSHOTS=1`` the file is ``docs/screenshots/<name>.png`` (the path is
    printed); otherwise it goes to pytest's temporary folder and the docs stay untouched.
    """
    if os.environ.get("JIFEN_SCREENSHOTS") == "1":
        folder = SCREENSHOT_DIR
    else:
        folder = tmp_path_factory.mktemp("screenshots", numbered=True)

    def take(page: Page, name: str) -> Path:
        path = folder / f"{name.removesuffix('.png')}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        if folder == SCREENSHOT_DIR:
            print(f"screenshot: {path}")
        return path

    return take


@pytest.fixture
def login_as(live_server: Any) -> Callable[[Page, Any], None]:
    """``login_as(page, user)``: the page's context is signed in as ``user`` from now on."""

    def sign_in(page: Page, user: Any) -> None:
        client = Client()
        client.force_login(user)
        if user.is_staff_role:
            verify_second_factor(client, user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
        )

    return sign_in


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class PageWatch:
    """What a page did that a healthy page must not do (filled in by ``watch``)."""

    base_url: str
    requests: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return [
            *(f"request to another origin: {url}" for url in self.foreign_requests),
            *(f"console error: {text}" for text in self.console_errors),
            *(f"CSP violation: {text}" for text in self.csp_violations),
            *(f"uncaught error: {text}" for text in self.page_errors),
            *(f"failed response: {text}" for text in self.bad_responses),
        ]


def _is_csp_message(text: str) -> bool:
    return "Content Security Policy" in text or "Content-Security-Policy" in text


@pytest.fixture
def watch() -> Callable[[Page, str], PageWatch]:
    """``watch(page, base_url)``: start recording; call it before ``page.goto``."""

    def attach(page: Page, base_url: str) -> PageWatch:
        record = PageWatch(base_url=base_url)
        own_origin = _origin(base_url)

        def on_request(request: Request) -> None:
            record.requests.append(request.url)
            # data: URLs (allowed by img-src) never leave the browser.
            if not request.url.startswith("data:") and _origin(request.url) != own_origin:
                record.foreign_requests.append(request.url)

        def on_console(message: ConsoleMessage) -> None:
            if _is_csp_message(message.text):
                record.csp_violations.append(message.text)
            elif message.type == "error":
                record.console_errors.append(message.text)

        def on_response(response: Response) -> None:
            if response.status >= 400:
                record.bad_responses.append(f"{response.status} {response.url}")

        page.on("request", on_request)
        page.on("console", on_console)
        page.on("pageerror", lambda error: record.page_errors.append(str(error)))
        page.on("response", on_response)
        def on_failed(request: Any) -> None:
            # A static file whose loading the browser cancelled because the test navigated
            # on before the page had finished loading (the favicon, a script at the end of the
            # body) is not a problem of the page: each loads in full on other pages.
            if request.failure == "net::ERR_ABORTED" and "/static/" in request.url:
                return
            record.bad_responses.append(f"{request.failure} {request.url}")

        page.on("requestfailed", on_failed)
        return record

    return attach
