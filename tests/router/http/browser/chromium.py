"""Debian's Chromium driven by playwright, able to reach loopback and nothing else.

Requests are held to loopback twice over: a route on the browser context aborts
(and records) every request to another host, and Chromium's resolver fails every
host name but 127.0.0.1, which also covers requests routes never see (while
routing is on, Chromium does not even ask for /favicon.ico). Locally a
missing browser skips the test with the reason; under CI=true it fails it, as a
missing server does (see `tests/backends.py`).
"""

from __future__ import annotations

import importlib.util
import ipaddress
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from tests.backends import IN_CI

if TYPE_CHECKING:
    from playwright.async_api import ConsoleMessage, Error, Page, Route

CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
)
TIMEOUT_MS = 10_000


def require_chromium() -> str:
    """The chromium binary; skips (under CI=true fails) the test if it or playwright is missing."""
    missing = []
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package is not installed (pip install -e '.[dev]')")
    chromium = shutil.which("chromium")
    if chromium is None:
        missing.append("no chromium on PATH (apt-get install chromium)")
    elif not missing:
        return chromium
    reason = "; ".join(missing)
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing browser is a failure)")
    pytest.skip(reason)


@dataclass
class Traffic:
    """What the page asked for and what it complained about."""

    requests: list[tuple[str, str, str | None]] = field(default_factory=list)
    """(method, URL, body) of every request let through, in the order they were made."""
    blocked: list[str] = field(default_factory=list)
    """URLs of requests aborted for leaving loopback."""
    console_errors: list[str] = field(default_factory=list)
    """Console errors and uncaught exceptions."""

    async def route(self, route: Route) -> None:
        request = route.request
        if _is_loopback(request.url):
            self.requests.append((request.method, request.url, request.post_data))
            await route.continue_()
        else:
            self.blocked.append(request.url)
            await route.abort("blockedbyclient")

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(f"{message.text} ({message.location['url']})")

    def on_page_error(self, error: Error) -> None:
        self.console_errors.append(f"uncaught: {error}")


@asynccontextmanager
async def loopback_page(chromium: str, screenshot: Path) -> AsyncIterator[tuple[Page, Traffic]]:
    """A fresh page in a fresh profile; if the block fails, the page is saved to `screenshot`."""
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            context = await browser.new_context()
            context.set_default_timeout(TIMEOUT_MS)
            traffic = Traffic()
            await context.route("**/*", traffic.route)
            page = await context.new_page()
            page.on("console", traffic.on_console)
            page.on("pageerror", traffic.on_page_error)
            try:
                yield page, traffic
            except Exception as failure:
                try:
                    await page.screenshot(path=screenshot, full_page=True)
                    failure.add_note(f"screenshot of the page: {screenshot}")
                except PlaywrightError as error:
                    failure.add_note(f"no screenshot of the page: {error}")
                raise
        finally:
            await browser.close()


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname
    if host is None:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name, not an address: nothing a loopback test should ask for
        return False
