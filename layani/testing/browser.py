"""Browser tests: real headless Chromium from the Debian `chromium` package, driven by Playwright.

We never use a browser downloaded by Playwright (`playwright install`): the system Chromium is
launched through `executable_path`. When it is missing, a local run skips browser tests with a
clear reason; under CI (`CI=true`) the fixture installs the package (as root) and fails the test
if that does not work, so CI never skips them silently.

Usage:

    @pytest.mark.browser
    def test_something(chromium: ChromiumSession, live_server, agent) -> None:
        customer = ...                        # set up data first (see below)
        page = chromium.new_page()
        sign_in(page, live_server.url, agent.username)

Playwright's sync API keeps an asyncio event loop running in the test thread while the browser
is open. The fixture allows Django's ORM there (DJANGO_ALLOW_ASYNC_UNSAFE) for that time only,
but `async_to_sync` (our `publish_on_commit`, channel layers) cannot run in a thread with a
running loop. So Chromium starts lazily, on the first `new_page()`: create the data before it.
"""

import os
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_PACKAGE = "chromium"

# The machine's network is closed: without these Chromium keeps trying background connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

TIMEOUT_MS = 10_000

__all__ = [
    "CHROMIUM_PATH",
    "DESKTOP",
    "PHONE",
    "ChromiumSession",
    "chromium",
    "chromium_executable",
    "horizontal_overflow",
    "save_screenshot",
    "sign_in",
]


def _running_under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def _install_chromium() -> str | None:
    """Install Debian's chromium package; return why it failed, or None on success."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "not running as root, cannot apt-get install chromium"
    if shutil.which("apt-get") is None:
        return "apt-get not found"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", CHROMIUM_PACKAGE],
    ):
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if result.returncode != 0:
            tail = (result.stderr or result.stdout).strip()[-2000:]
            return f"{' '.join(command)} exited {result.returncode}: {tail}"
    return None


def require_chromium() -> str:
    """Return the Chromium path; install it under CI, skip the test elsewhere when missing."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "Python package playwright not installed: pip install -e .[test]"
        if _running_under_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    if os.path.exists(CHROMIUM_PATH):
        return CHROMIUM_PATH
    if not _running_under_ci():
        pytest.skip("Debian chromium not installed: apt-get install chromium")
    problem = _install_chromium()
    if problem is None and not os.path.exists(CHROMIUM_PATH):
        problem = f"chromium package installed but {CHROMIUM_PATH} is missing"
    if problem is not None:
        pytest.fail(
            f"CI needs Debian chromium for browser tests and could not install it: {problem}"
        )
    return CHROMIUM_PATH


class ChromiumSession:
    """Starts Playwright and Chromium on first use; each `new_page` gets a fresh context."""

    def __init__(self, executable_path: str) -> None:
        self.executable_path = executable_path
        self._playwright: Any = None
        self._browser: Any = None
        self._previous_async_unsafe: str | None = None

    @property
    def browser(self) -> Any:
        if self._browser is None:
            from playwright.sync_api import sync_playwright

            self._previous_async_unsafe = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=self.executable_path, headless=True, args=CHROMIUM_ARGS
            )
        return self._browser

    def new_page(
        self,
        viewport: dict[str, int] = DESKTOP,
        *,
        phone: bool = False,
        storage_state: Any = None,
    ) -> Any:
        """A page in a new browser context; `phone=True` emulates a touch phone screen."""
        options: dict[str, Any] = {"viewport": viewport, "locale": "id-ID"}
        if phone:
            options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
        if storage_state is not None:
            options["storage_state"] = storage_state
        context = self.browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        return context.new_page()

    def close(self) -> None:
        try:
            if self._browser is not None:
                self._browser.close()
            if self._playwright is not None:
                self._playwright.stop()
        finally:
            if self._playwright is not None:
                if self._previous_async_unsafe is None:
                    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
                else:
                    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = self._previous_async_unsafe
            self._browser = None
            self._playwright = None


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """Checked once per run, before any database is set up, so a skip costs nothing."""
    return require_chromium()


@pytest.fixture
def chromium(chromium_executable: str, transactional_db: Any) -> Iterator[ChromiumSession]:
    """Headless Debian Chromium, launched lazily; closed before the database is flushed."""
    session = ChromiumSession(chromium_executable)
    try:
        yield session
    finally:
        session.close()


def sign_in(page: Any, base_url: str, username: str, password: str | None = None) -> None:
    """Sign in through the login form (selected by input names, not by translated text)."""
    from django.urls import reverse

    from layani.testing.fixtures import PASSWORD

    login_url = base_url + reverse("staff:login")
    page.goto(login_url)
    # The top bar has forms with submit buttons too (language switch): use the password's form.
    form = page.locator("form:has(input[name=password])")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password or PASSWORD)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    if page.url.split("?")[0] == login_url:
        raise AssertionError(f"sign-in as {username!r} failed: still on {page.url}")


def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when nothing scrolls)."""
    return int(
        page.evaluate(
            "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
            " - window.innerWidth"
        )
    )


def save_screenshot(page: Any, name: str) -> str | None:
    """Full-page PNG into $LAYANI_SCREENSHOT_DIR, when set (for looking at a page by eye)."""
    directory = os.environ.get("LAYANI_SCREENSHOT_DIR")
    if not directory:
        return None
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"{name}.png")
    page.screenshot(path=path, full_page=True)
    return path
