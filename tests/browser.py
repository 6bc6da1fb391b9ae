"""Helpers for tests that drive a real browser: Debian's chromium through Playwright, pages
served from a directory by a loopback HTTP server. No network is used or needed."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# Flags that let chromium start as root in a container with no network and no display.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def find_chromium() -> str | None:
    for candidate in (os.environ.get("TIDE_CHROMIUM", ""), *CHROMIUM_CANDIDATES):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium")


def unavailable(reason: str) -> None:
    """Fail in CI, where the browser tests must run; skip on a developer machine."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser tests (`make browser` installs chromium)")
    pytest.skip(reason)


@contextlib.contextmanager
def launch_browser() -> Iterator[Any]:
    """One headless chromium for the whole session (Playwright makes it a fresh profile)."""
    executable = find_chromium()
    if executable is None:
        unavailable("chromium is not installed (Debian package `chromium`)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the Python package playwright is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve_directory(root: Path) -> Iterator[str]:
    """Serve `root` on 127.0.0.1 on an ephemeral port; yields the base URL ending in '/'."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# Closed shadow roots (Material draws Mermaid diagrams into one) are opened so tests can look
# inside; `alert`, `confirm` and `prompt` are also counted, in case a dialog slips past events.
INIT_SCRIPT = """
(() => {
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    return attach.call(this, Object.assign({}, init, { mode: "open" }));
  };
  window.__tideCalls = [];
  for (const name of ["alert", "confirm", "prompt"]) {
    const original = window[name];
    window[name] = function (...args) {
      window.__tideCalls.push(name + ":" + String(args[0]));
      return original.apply(this, args);
    };
  }
})();
"""


@dataclass
class PageWatch:
    """What a page did: console errors, uncaught exceptions, dialogs, requests off loopback."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)


def watched_page(browser: Any, base_url: str) -> tuple[Any, PageWatch]:
    """A new page in its own context that records everything a test may want to refuse."""
    context = browser.new_context(base_url=base_url, service_workers="block")
    context.add_init_script(INIT_SCRIPT)
    page = context.new_page()
    watch = PageWatch()

    def on_console(message: Any) -> None:
        if message.type == "error":
            watch.console_errors.append(message.text)

    def on_dialog(dialog: Any) -> None:
        watch.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_route(route: Any) -> None:
        url = route.request.url
        if url.startswith(base_url) or url.startswith("data:") or url.startswith("blob:"):
            route.continue_()
        else:
            watch.external_requests.append(url)
            route.abort()

    page.on("console", on_console)
    page.on("pageerror", lambda exc: watch.page_errors.append(str(exc)))
    page.on("dialog", on_dialog)
    context.route("**/*", on_route)
    return page, watch
