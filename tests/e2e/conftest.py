"""End-to-end harness: the app served on a free loopback port, driven by Chromium.

Required when LMS_E2E=1 (CI sets it); otherwise skipped with a message that says so.
Screenshots go to LMS_SCREENSHOT_DIR (default: screenshots/ at the repository root).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from lms import PROJECT_ROOT, create_app
from tests.conftest import base_test_config

E2E_REQUIRED = os.environ.get("LMS_E2E") == "1"
CHROMIUM = os.environ.get("LMS_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("LMS_SCREENSHOT_DIR", PROJECT_ROOT / "screenshots"))
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.e2e)
            if not E2E_REQUIRED:
                item.add_marker(
                    pytest.mark.skip(reason="browser test: set LMS_E2E=1 to run it (CI does)")
                )


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LiveServer:
    def __init__(self, app, host: str = "127.0.0.1", port: int = 0) -> None:  # type: ignore[no-untyped-def]
        self.app = app
        self.server = make_server(host, port, app, threaded=True)
        self.url = f"http://{host}:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A separately migrated database with the demo data, as `make run` would have it."""
    from flask_migrate import upgrade

    instance = tmp_path_factory.mktemp("e2e-instance")
    config = base_test_config(instance, f"sqlite:///{instance / 'e2e.sqlite3'}")
    port = free_port()
    # Credentials name the site they come from, so the served address is the base URL.
    config.update(
        {
            "WTF_CSRF_ENABLED": True,
            "TESTING": False,
            "LIVE_PORT": port,
            "BASE_URL": f"http://127.0.0.1:{port}",
        }
    )
    app = create_app(config)
    with app.app_context():
        upgrade()
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    LIVE_APPS.append(app)
    return app


@pytest.fixture(scope="session")
def live_server(live_app) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    with LiveServer(live_app, port=live_app.config["LIVE_PORT"]) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


#: The served app, for reading what a test needs from its database (two-factor secrets).
LIVE_APPS: list = []  # type: ignore[type-arg]


def log_in(page, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    if page.url.endswith("/auth/login/code"):  # two-factor authentication (the demo admin)
        page.get_by_label("Code").fill(unused_code(email))
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()


def unused_code(email: str) -> str:
    """A code the authenticator app of `email` would show now, or the next one if this one
    was used already (a code is accepted once; the next step's is accepted early)."""
    from lms.accounts.services import find_user_by_email
    from lms.auth import two_factor
    from tests.auth.two_factor_helpers import totp_code

    with LIVE_APPS[-1].app_context():
        user = find_user_by_email(email)
        secret = two_factor.user_secret(user)
        last = user.two_factor_last_step if user.two_factor_last_step is not None else -1
    assert secret is not None, f"{email} does not use two-factor authentication"
    while True:
        now = two_factor.current_step()
        unused = [step for step in (now, now + 1) if step > last]
        if unused:
            return totp_code(secret, unused[0] * two_factor.TIME_STEP)
        time.sleep(1)
